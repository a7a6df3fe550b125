package ds

// Operations on ZSet that emulate how Redis 7.0 walks a sorted set, so that
// the engine's replies match redis-server's even where Redis leaves the
// result unspecified (lexicographic ranges over members with different
// scores): while the set is small, Redis keeps it in a listpack and scans
// it linearly; once converted, it descends its skiplist. Both are
// reproduced, chosen by the emulated encoding.

// ZCursor is a position in a sorted set that moves towards higher
// (score, member) pairs, or lower ones when it was made reversed. It is
// invalid once the set changes.
type ZCursor struct {
	n   *zNode
	rev bool
}

// Ok reports whether the cursor is on a member.
func (c *ZCursor) Ok() bool { return c.n != nil }

// Member is the current member.
func (c *ZCursor) Member() string { return c.n.member }

// Score is the current member's score.
func (c *ZCursor) Score() float64 { return c.n.score }

// Next moves to the following member in the cursor's direction.
func (c *ZCursor) Next() {
	if c.rev {
		c.n = c.n.back
	} else {
		c.n = c.n.level[0].next
	}
}

// small reports whether Redis would hold the set as a listpack.
func (z *ZSet) small() bool { return !z.converted }

// CursorAtRank returns a cursor on the member of 0-based rank r, counted
// from the lowest member or, with rev, from the highest one and then
// moving downwards. Out of range ranks give an invalid cursor.
func (z *ZSet) CursorAtRank(r int, rev bool) ZCursor {
	if rev {
		return ZCursor{z.nodeAt(z.length - 1 - r), true}
	}
	return ZCursor{z.nodeAt(r), false}
}

// GteMin reports whether s is above the range's lower end.
func (r ScoreRange) GteMin(s float64) bool { return r.aboveMin(s) }

// LteMax reports whether s is below the range's upper end.
func (r ScoreRange) LteMax(s float64) bool { return r.belowMax(s) }

// GteMin reports whether m is above the range's lower end.
func (r LexRange) GteMin(m string) bool { return r.aboveMin(m) }

// LteMax reports whether m is below the range's upper end.
func (r LexRange) LteMax(m string) bool { return r.belowMax(m) }

// inScoreRange is Redis's quick emptiness test of a score range: false
// when the range is empty or lies wholly outside the set's scores.
func (z *ZSet) inScoreRange(r ScoreRange) bool {
	if r.empty() || z.length == 0 {
		return false
	}
	return r.aboveMin(z.tail.score) && r.belowMax(z.head.level[0].next.score)
}

// CursorScore returns a cursor on the first member of r (the last one with
// rev), or an invalid cursor when r holds none. The caller stops when the
// cursor leaves r (LteMax, or GteMin when reversed).
func (z *ZSet) CursorScore(r ScoreRange, rev bool) ZCursor {
	if !z.inScoreRange(r) {
		return ZCursor{rev: rev}
	}
	if rev {
		return ZCursor{z.lastInScore(r), true}
	}
	return ZCursor{z.firstInScore(r), false}
}

// lexCompare compares two lex range ends as Redis's sdscmplex does: "-" is
// below and "+" above everything, and each equals itself.
func lexCompare(a, b LexBound) int {
	switch {
	case a.Inf != 0 && a.Inf == b.Inf:
		return 0
	case a.Inf < 0 || b.Inf > 0:
		return -1
	case a.Inf > 0 || b.Inf < 0:
		return 1
	case a.Value < b.Value:
		return -1
	case a.Value > b.Value:
		return 1
	}
	return 0
}

// inLexRange is Redis's quick emptiness test of a lex range (the first
// member must be below the maximum, the last above the minimum).
func (z *ZSet) inLexRange(r LexRange) bool {
	c := lexCompare(r.Min, r.Max)
	if c > 0 || c == 0 && (r.Min.Ex || r.Max.Ex) {
		return false
	}
	if z.length == 0 {
		return false
	}
	return r.aboveMin(z.tail.member) && r.belowMax(z.head.level[0].next.member)
}

// lexFirst returns the node Redis starts a forward lex range from.
func (z *ZSet) lexFirst(r LexRange) *zNode {
	if !z.inLexRange(r) {
		return nil
	}
	var x *zNode
	if z.small() {
		x = z.head.level[0].next
		for x != nil && !r.aboveMin(x.member) {
			x = x.level[0].next
		}
	} else {
		x = z.head
		for i := z.level - 1; i >= 0; i-- {
			for x.level[i].next != nil && !r.aboveMin(x.level[i].next.member) {
				x = x.level[i].next
			}
		}
		x = x.level[0].next
	}
	if x == nil || !r.belowMax(x.member) {
		return nil
	}
	return x
}

// lexLast returns the node Redis starts a reverse lex range from.
func (z *ZSet) lexLast(r LexRange) *zNode {
	if !z.inLexRange(r) {
		return nil
	}
	var x *zNode
	if z.small() {
		x = z.tail
		for x != nil && !r.belowMax(x.member) {
			x = x.back
		}
	} else {
		x = z.head
		for i := z.level - 1; i >= 0; i-- {
			for x.level[i].next != nil && r.belowMax(x.level[i].next.member) {
				x = x.level[i].next
			}
		}
		if x == z.head {
			x = nil
		}
	}
	if x == nil || !r.aboveMin(x.member) {
		return nil
	}
	return x
}

// CursorLex returns a cursor on the member Redis starts a lex range from
// (forward, or reversed with rev), or an invalid cursor when there is
// none. The caller stops when the cursor leaves r (LteMax, or GteMin when
// reversed); like Redis it does not re-check the other end.
func (z *ZSet) CursorLex(r LexRange, rev bool) ZCursor {
	if rev {
		return ZCursor{z.lexLast(r), true}
	}
	return ZCursor{z.lexFirst(r), false}
}

// CountInLex counts the members of r the way Redis's ZLEXCOUNT does.
func (z *ZSet) CountInLex(r LexRange) int {
	first := z.lexFirst(r)
	if first == nil {
		return 0
	}
	if z.small() {
		n := 0
		for x := first; x != nil && r.belowMax(x.member); x = x.level[0].next {
			n++
		}
		return n
	}
	fr := z.rankOf(first)
	count := z.length - fr
	if last := z.lexLast(r); last != nil {
		count -= z.length - 1 - z.rankOf(last)
	}
	return count
}

// rankOf returns the 0-based rank of node n.
func (z *ZSet) rankOf(n *zNode) int {
	rank := 0
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for x.level[i].next != nil && !less(n.score, n.member, x.level[i].next.score, x.level[i].next.member) {
			rank += x.level[i].span
			x = x.level[i].next
		}
		if x == n {
			return rank - 1
		}
	}
	return rank - 1
}

// RevRank returns member's 0-based rank in descending order.
func (z *ZSet) RevRank(member []byte) (int, bool) {
	r, ok := z.Rank(member)
	if !ok {
		return 0, false
	}
	return z.length - 1 - r, true
}

// remove unlinks n and forgets its member.
func (z *ZSet) remove(n *zNode) {
	z.deleteNode(n)
	delete(z.dict, n.member)
}

// Pop removes and returns the lowest member, or the highest with max.
func (z *ZSet) Pop(max bool) (Member, bool) {
	n := z.head.level[0].next
	if max {
		n = z.tail
	}
	if n == nil {
		return Member{}, false
	}
	z.remove(n)
	return Member{n.member, n.score}, true
}

// RemoveRangeByRank removes ranks start..stop (0-based, inclusive, already
// clamped to the set) and returns how many it removed.
func (z *ZSet) RemoveRangeByRank(start, stop int) int {
	n := 0
	x := z.nodeAt(start)
	for i := start; i <= stop && x != nil; i++ {
		next := x.level[0].next
		z.remove(x)
		x = next
		n++
	}
	return n
}

// RemoveRangeByScore removes the members with scores in r.
func (z *ZSet) RemoveRangeByScore(r ScoreRange) int {
	n := 0
	c := z.CursorScore(r, false)
	for x := c.n; x != nil && r.belowMax(x.score); {
		next := x.level[0].next
		z.remove(x)
		x = next
		n++
	}
	return n
}

// RemoveRangeByLex removes the members of r as Redis's ZREMRANGEBYLEX
// does: from the first member of the range while members stay below its
// maximum.
func (z *ZSet) RemoveRangeByLex(r LexRange) int {
	var x *zNode
	if z.small() {
		x = z.lexFirst(r)
	} else {
		// Redis's skiplist deletion skips the emptiness test.
		x = z.head
		for i := z.level - 1; i >= 0; i-- {
			for x.level[i].next != nil && !r.aboveMin(x.level[i].next.member) {
				x = x.level[i].next
			}
		}
		x = x.level[0].next
	}
	n := 0
	for x != nil && r.belowMax(x.member) {
		next := x.level[0].next
		z.remove(x)
		x = next
		n++
	}
	return n
}

// AddString is Add for a member that is already a string the caller will
// not change (a member of another sorted set, say): it is stored without
// a copy.
func (z *ZSet) AddString(m string, score float64) bool {
	if old, ok := z.dict[m]; ok {
		if old != score {
			n := z.find(old, m)
			z.deleteNode(n)
			n.score = score
			n.level = n.level[:0]
			z.insertNode(n)
			z.dict[m] = score
		}
		return false
	}
	z.insertNode(&zNode{member: m, score: score})
	z.dict[m] = score
	if z.length > zListpackEntries || len(m) > zListpackValue {
		z.converted = true
	}
	return true
}

// listpackKeeps reports whether a listpack-encoded set stays one after
// storing member m: Redis converts it before inserting a member that
// would make it too long or that is itself too long.
func (z *ZSet) listpackKeeps(m string) bool {
	if !z.small() {
		return false
	}
	if _, ok := z.dict[m]; ok {
		return true
	}
	return z.length+1 <= zListpackEntries && len(m) <= zListpackValue
}

// Put is Add as Redis 7.0 stores the score. A listpack holds scores as
// text, from which "-0" reads back as 0; so a -0 stored while the set is
// (and stays) a listpack becomes 0, while a skiplist keeps it.
func (z *ZSet) Put(member []byte, score float64) bool {
	if score == 0 && z.listpackKeeps(string(member)) {
		score = 0
	}
	return z.Add(member, score)
}

// PutString is Put for a member string the caller will not change.
func (z *ZSet) PutString(m string, score float64) bool {
	if score == 0 && z.listpackKeeps(m) {
		score = 0
	}
	return z.AddString(m, score)
}

// NewZSetSkiplist returns an empty sorted set that is skiplist-encoded
// from the start, as Redis creates the results of ZUNIONSTORE and the
// like (see FitListpack) and large ZRANGESTORE results.
func NewZSetSkiplist() *ZSet {
	z := NewZSet()
	z.converted = true
	return z
}

// FitListpack converts a set back to the listpack encoding when it is
// small enough, as Redis's zsetConvertToListpackIfNeeded does for the
// sets it builds as skiplists; scores of -0 become 0 on the way.
func (z *ZSet) FitListpack() {
	if !z.converted || z.length > zListpackEntries {
		return
	}
	for x := z.head.level[0].next; x != nil; x = x.level[0].next {
		if len(x.member) > zListpackValue {
			return
		}
	}
	z.converted = false
	for x := z.head.level[0].next; x != nil; x = x.level[0].next {
		if x.score == 0 {
			x.score = 0
			z.dict[x.member] = 0
		}
	}
}

// ZSetListpackEntries is Redis 7.0's default zset-max-listpack-entries.
const ZSetListpackEntries = zListpackEntries
