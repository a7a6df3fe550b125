package ds

import (
	"math/rand/v2"
)

// ZSet is a sorted set: members with float64 scores, ordered by (score,
// member). A skiplist whose links carry spans gives O(log n) insert,
// delete, rank and range by rank, score or member; a map gives O(1) score
// lookups. Members are copied on insert.
type ZSet struct {
	dict   map[string]float64
	head   *zNode
	tail   *zNode
	level  int
	length int
	// converted is set once the set outgrew Redis's listpack limits, so
	// Encoding stays "skiplist" afterwards as in Redis.
	converted bool
}

const (
	zMaxLevel = 32
	zP        = 0.25
	// Redis 7.0's zset-max-listpack-entries and -value defaults.
	zListpackEntries = 128
	zListpackValue   = 64
)

type zNode struct {
	member string
	score  float64
	back   *zNode
	level  []zLevel
}

type zLevel struct {
	next *zNode
	span int // nodes skipped by next, counting next itself
}

// NewZSet returns an empty sorted set.
func NewZSet() *ZSet {
	return &ZSet{
		dict:  make(map[string]float64),
		head:  &zNode{level: make([]zLevel, zMaxLevel)},
		level: 1,
	}
}

func (*ZSet) Kind() Kind { return KindZSet }

// Encoding emulates Redis: "listpack" while small, then "skiplist".
func (z *ZSet) Encoding() string {
	if z.converted {
		return "skiplist"
	}
	return "listpack"
}

// Len is the number of members.
func (z *ZSet) Len() int { return z.length }

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) {
	s, ok := z.dict[string(member)]
	return s, ok
}

// less orders by score, then member bytes.
func less(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

func randomLevel() int {
	l := 1
	for l < zMaxLevel && rand.Float64() < zP {
		l++
	}
	return l
}

// Add sets member's score, inserting it if new. It reports whether the
// member was added (false: an existing member's score was updated).
func (z *ZSet) Add(member []byte, score float64) bool {
	if old, ok := z.dict[string(member)]; ok {
		if old != score {
			m := z.find(old, string(member))
			z.deleteNode(m)
			m.score = score
			m.level = m.level[:0]
			z.insertNode(m)
			z.dict[m.member] = score
		}
		return false
	}
	m := string(member)
	z.insertNode(&zNode{member: m, score: score})
	z.dict[m] = score
	if z.length > zListpackEntries || len(m) > zListpackValue {
		z.converted = true
	}
	return true
}

// find returns the node of (score, member), which must exist.
func (z *ZSet) find(score float64, member string) *zNode {
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for x.level[i].next != nil && less(x.level[i].next.score, x.level[i].next.member, score, member) {
			x = x.level[i].next
		}
	}
	return x.level[0].next
}

func (z *ZSet) insertNode(n *zNode) {
	var update [zMaxLevel]*zNode
	var rank [zMaxLevel]int
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		if i < z.level-1 {
			rank[i] = rank[i+1]
		}
		for x.level[i].next != nil && less(x.level[i].next.score, x.level[i].next.member, n.score, n.member) {
			rank[i] += x.level[i].span
			x = x.level[i].next
		}
		update[i] = x
	}
	lvl := randomLevel()
	if lvl > z.level {
		for i := z.level; i < lvl; i++ {
			rank[i] = 0
			update[i] = z.head
			update[i].level[i].span = z.length
		}
		z.level = lvl
	}
	if cap(n.level) >= lvl {
		n.level = n.level[:lvl]
	} else {
		n.level = make([]zLevel, lvl)
	}
	for i := 0; i < lvl; i++ {
		n.level[i].next = update[i].level[i].next
		update[i].level[i].next = n
		n.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = rank[0] - rank[i] + 1
	}
	for i := lvl; i < z.level; i++ {
		update[i].level[i].span++
	}
	if update[0] != z.head {
		n.back = update[0]
	} else {
		n.back = nil
	}
	if n.level[0].next != nil {
		n.level[0].next.back = n
	} else {
		z.tail = n
	}
	z.length++
}

// deleteNode unlinks n (which must be in the list).
func (z *ZSet) deleteNode(n *zNode) {
	var update [zMaxLevel]*zNode
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for x.level[i].next != nil && less(x.level[i].next.score, x.level[i].next.member, n.score, n.member) {
			x = x.level[i].next
		}
		update[i] = x
	}
	for i := 0; i < z.level; i++ {
		if update[i].level[i].next == n {
			update[i].level[i].span += n.level[i].span - 1
			update[i].level[i].next = n.level[i].next
		} else {
			update[i].level[i].span--
		}
	}
	if n.level[0].next != nil {
		n.level[0].next.back = n.back
	} else {
		z.tail = n.back
	}
	for z.level > 1 && z.head.level[z.level-1].next == nil {
		z.level--
	}
	z.length--
}

// Remove deletes member; false if absent.
func (z *ZSet) Remove(member []byte) bool {
	score, ok := z.dict[string(member)]
	if !ok {
		return false
	}
	z.deleteNode(z.find(score, string(member)))
	delete(z.dict, string(member))
	return true
}

// Rank returns member's 0-based rank in ascending order.
func (z *ZSet) Rank(member []byte) (int, bool) {
	score, ok := z.dict[string(member)]
	if !ok {
		return 0, false
	}
	rank := 0
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for x.level[i].next != nil && !less(score, string(member), x.level[i].next.score, x.level[i].next.member) {
			rank += x.level[i].span
			x = x.level[i].next
		}
		if x.member == string(member) && x != z.head {
			return rank - 1, true
		}
	}
	return rank - 1, true
}

// nodeAt returns the node of 0-based rank r, or nil.
func (z *ZSet) nodeAt(r int) *zNode {
	if r < 0 || r >= z.length {
		return nil
	}
	traversed := 0
	x := z.head
	target := r + 1
	for i := z.level - 1; i >= 0; i-- {
		for x.level[i].next != nil && traversed+x.level[i].span <= target {
			traversed += x.level[i].span
			x = x.level[i].next
		}
		if traversed == target {
			return x
		}
	}
	return nil
}

// Member is a member and its score.
type Member struct {
	Member string
	Score  float64
}

// RangeByRank calls fn for ranks start..stop (inclusive, 0-based, already
// clamped by the caller), ascending or, with rev, descending from the top.
func (z *ZSet) RangeByRank(start, stop int, rev bool, fn func(Member) bool) {
	if start > stop || start >= z.length {
		return
	}
	stop = min(stop, z.length-1)
	var x *zNode
	if rev {
		x = z.nodeAt(z.length - 1 - start)
	} else {
		x = z.nodeAt(start)
	}
	for i := start; i <= stop && x != nil; i++ {
		if !fn(Member{x.member, x.score}) {
			return
		}
		if rev {
			x = x.back
		} else {
			x = x.level[0].next
		}
	}
}

// ScoreRange is a score interval with optional exclusive ends.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

func (r ScoreRange) aboveMin(s float64) bool {
	if r.MinEx {
		return s > r.Min
	}
	return s >= r.Min
}

func (r ScoreRange) belowMax(s float64) bool {
	if r.MaxEx {
		return s < r.Max
	}
	return s <= r.Max
}

func (r ScoreRange) empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// firstInScore returns the first node with score in r, or nil.
func (z *ZSet) firstInScore(r ScoreRange) *zNode {
	if r.empty() {
		return nil
	}
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for x.level[i].next != nil && !r.aboveMin(x.level[i].next.score) {
			x = x.level[i].next
		}
	}
	x = x.level[0].next
	if x == nil || !r.belowMax(x.score) {
		return nil
	}
	return x
}

// lastInScore returns the last node with score in r, or nil.
func (z *ZSet) lastInScore(r ScoreRange) *zNode {
	if r.empty() {
		return nil
	}
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for x.level[i].next != nil && r.belowMax(x.level[i].next.score) {
			x = x.level[i].next
		}
	}
	if x == z.head || !r.aboveMin(x.score) {
		return nil
	}
	return x
}

// RangeByScore calls fn for the members with scores in r, ascending or
// descending, skipping offset of them first.
func (z *ZSet) RangeByScore(r ScoreRange, rev bool, offset int, fn func(Member) bool) {
	var x *zNode
	if rev {
		x = z.lastInScore(r)
	} else {
		x = z.firstInScore(r)
	}
	for ; x != nil; offset-- {
		if rev && !r.aboveMin(x.score) || !rev && !r.belowMax(x.score) {
			return
		}
		if offset <= 0 && !fn(Member{x.member, x.score}) {
			return
		}
		if rev {
			x = x.back
		} else {
			x = x.level[0].next
		}
	}
}

// CountInScore counts the members with scores in r in O(log n).
func (z *ZSet) CountInScore(r ScoreRange) int {
	first := z.firstInScore(r)
	if first == nil {
		return 0
	}
	last := z.lastInScore(r)
	fr, _ := z.Rank([]byte(first.member))
	lr, _ := z.Rank([]byte(last.member))
	return lr - fr + 1
}

// LexBound is one end of a lexicographic range: "-" / "+" (Inf < 0 / > 0)
// or a member, inclusive or exclusive.
type LexBound struct {
	Value string
	Ex    bool
	Inf   int // -1 for "-", +1 for "+", 0 for a value
}

// LexRange is a member interval, meaningful when all scores are equal.
type LexRange struct{ Min, Max LexBound }

func (r LexRange) aboveMin(m string) bool {
	switch {
	case r.Min.Inf < 0:
		return true
	case r.Min.Inf > 0:
		return false
	case r.Min.Ex:
		return m > r.Min.Value
	}
	return m >= r.Min.Value
}

func (r LexRange) belowMax(m string) bool {
	switch {
	case r.Max.Inf > 0:
		return true
	case r.Max.Inf < 0:
		return false
	case r.Max.Ex:
		return m < r.Max.Value
	}
	return m <= r.Max.Value
}

// RangeByLex calls fn for members in r (ascending or descending), skipping
// offset of them first.
func (z *ZSet) RangeByLex(r LexRange, rev bool, offset int, fn func(Member) bool) {
	x := z.head
	if rev {
		for i := z.level - 1; i >= 0; i-- {
			for x.level[i].next != nil && r.belowMax(x.level[i].next.member) {
				x = x.level[i].next
			}
		}
		if x == z.head {
			return
		}
	} else {
		for i := z.level - 1; i >= 0; i-- {
			for x.level[i].next != nil && !r.aboveMin(x.level[i].next.member) {
				x = x.level[i].next
			}
		}
		x = x.level[0].next
	}
	for ; x != nil; offset-- {
		if !r.aboveMin(x.member) || !r.belowMax(x.member) {
			return
		}
		if offset <= 0 && !fn(Member{x.member, x.score}) {
			return
		}
		if rev {
			x = x.back
		} else {
			x = x.level[0].next
		}
	}
}

// Each calls fn for every member in ascending order until it returns false.
func (z *ZSet) Each(fn func(Member) bool) {
	for x := z.head.level[0].next; x != nil; x = x.level[0].next {
		if !fn(Member{x.member, x.score}) {
			return
		}
	}
}
