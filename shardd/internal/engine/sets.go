package engine

import (
	"math/rand/v2"
	"slices"

	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/ds"
)

// setCommands are the set commands.
func setCommands() map[string]handler {
	return map[string]handler{
		"sadd":        cmdSAdd,
		"srem":        cmdSRem,
		"sismember":   cmdSIsMember,
		"smismember":  cmdSMIsMember,
		"smembers":    cmdSMembers,
		"scard":       cardinality(ds.KindSet),
		"spop":        cmdSPop,
		"srandmember": cmdSRandMember,
		"smove":       cmdSMove,
		"sinter":      cmdSInter,
		"sintercard":  cmdSInterCard,
		"sinterstore": cmdSInterStore,
		"sunion":      cmdSUnion,
		"sunionstore": cmdSUnionStore,
		"sdiff":       cmdSDiff,
		"sdiffstore":  cmdSDiffStore,
		"sscan":       cmdSScan,
	}
}

var (
	errSetLimitNegative = simpleError("ERR LIMIT can't be negative")
	errSetNumKeysArgs   = simpleError("ERR Number of keys can't be greater than number of args")
)

// maxRandReply bounds SRANDMEMBER's negative count. Redis would try to
// build a reply of any size and run out of memory; shardd refuses.
const maxRandReply = 1 << 24

// lookupSet returns key's set value; nil if missing.
func (x *Ctx) lookupSet(key []byte) (*ds.Set, error) {
	v, err := x.lookupKind(key, ds.KindSet)
	if v == nil {
		return nil, err
	}
	return v.(*ds.Set), nil
}

// maxIntset is set-max-intset-entries.
func (x *Ctx) maxIntset() int {
	return int(min(x.e.cfg.Int("set-max-intset-entries"), 1<<31))
}

// replySet writes s's members as a set reply (an array in RESP2).
func (x *Ctx) replySet(s *ds.Set) {
	if s == nil {
		x.r.Set(0)
		return
	}
	n := s.Len()
	x.r.Set(n)
	var buf []byte
	for i := 0; i < n; i++ {
		buf = s.AppendMember(buf[:0], i)
		x.r.Bulk(buf)
	}
}

// storeSet stores s under key replacing it (and its TTL), or deletes key
// when s is empty; it replies with s's size.
func (x *Ctx) storeSet(key []byte, s *ds.Set) {
	if s.Len() == 0 {
		x.del(key)
		x.r.Int(0)
		return
	}
	x.set(key, s, 0)
	x.r.Int(int64(s.Len()))
}

func cmdSAdd(x *Ctx) {
	key := x.args[1]
	s, err := x.lookupSet(key)
	if err != nil {
		x.r.Err(err)
		return
	}
	created := s == nil
	if created {
		s = ds.NewSet()
	}
	maxInts := x.maxIntset()
	var added int64
	for _, m := range x.args[2:] {
		if s.Add(m, maxInts) {
			added++
		}
	}
	switch {
	case created:
		x.set(key, s, 0)
	case added > 0:
		x.changed(key)
	}
	x.r.Int(added)
}

func cmdSRem(x *Ctx) {
	key := x.args[1]
	s, err := x.lookupSet(key)
	if s == nil {
		if err != nil {
			x.r.Err(err)
		} else {
			x.r.Int(0)
		}
		return
	}
	var removed int64
	for _, m := range x.args[2:] {
		if s.Remove(m) {
			removed++
			if s.Len() == 0 {
				break
			}
		}
	}
	x.afterSetRemove(key, s, removed > 0)
	x.r.Int(removed)
}

// afterSetRemove deletes key if s became empty, else records the change.
func (x *Ctx) afterSetRemove(key []byte, s *ds.Set, changed bool) {
	switch {
	case s.Len() == 0:
		x.del(key)
	case changed:
		x.changed(key)
	}
}

func cmdSIsMember(x *Ctx) {
	s, err := x.lookupSet(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
	case s != nil && s.Has(x.args[2]):
		x.r.Int(1)
	default:
		x.r.Int(0)
	}
}

func cmdSMIsMember(x *Ctx) {
	s, err := x.lookupSet(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	x.r.Array(len(x.args) - 2)
	for _, m := range x.args[2:] {
		if s != nil && s.Has(m) {
			x.r.Int(1)
		} else {
			x.r.Int(0)
		}
	}
}

func cmdSMembers(x *Ctx) {
	s, err := x.lookupSet(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	x.replySet(s)
}

// cmdSPop: SPOP key [count]
func cmdSPop(x *Ctx) {
	if len(x.args) > 3 {
		x.r.Err(ErrSyntax)
		return
	}
	key := x.args[1]
	if len(x.args) == 2 {
		s, err := x.lookupSet(key)
		switch {
		case err != nil:
			x.r.Err(err)
		case s == nil:
			x.r.Null()
		default:
			m := s.RemoveAt(rand.IntN(s.Len()))
			x.afterSetRemove(key, s, true)
			x.r.BulkString(m)
			// The AOF gets what was popped, not another random pick.
			x.logAs([]byte("SREM"), key, []byte(m))
		}
		return
	}
	count, err := parseInt(x.args[2])
	if err != nil || count < 0 {
		x.r.Err(ErrPositive)
		return
	}
	s, err := x.lookupSet(key)
	switch {
	case err != nil:
		x.r.Err(err)
		return
	case s == nil || count == 0:
		x.r.Set(0)
		return
	}
	if count >= int64(s.Len()) {
		x.replySet(s)
		x.del(key)
		x.logAs([]byte("DEL"), key)
		return
	}
	x.r.Set(int(count))
	srem := [][]byte{[]byte("SREM"), key}
	for i := int64(0); i < count; i++ {
		m := s.RemoveAt(rand.IntN(s.Len()))
		x.r.BulkString(m)
		srem = append(srem, []byte(m))
	}
	x.changed(key)
	x.logAs(srem...)
}

// cmdSRandMember: SRANDMEMBER key [count]. A positive count asks for
// distinct members, a negative one allows repeats.
func cmdSRandMember(x *Ctx) {
	if len(x.args) > 3 {
		x.r.Err(ErrSyntax)
		return
	}
	key := x.args[1]
	if len(x.args) == 2 {
		s, err := x.lookupSet(key)
		switch {
		case err != nil:
			x.r.Err(err)
		case s == nil:
			x.r.Null()
		default:
			x.r.BulkString(s.Member(rand.IntN(s.Len())))
		}
		return
	}
	count, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	if count == -1<<63 {
		x.r.Err(errRandCount)
		return
	}
	s, err := x.lookupSet(key)
	switch {
	case err != nil:
		x.r.Err(err)
		return
	case s == nil || count == 0:
		x.r.Array(0)
		return
	}
	n := s.Len()
	var buf []byte
	switch {
	case count < 0:
		if -count > maxRandReply {
			x.r.Err(errRandCount)
			return
		}
		x.r.Array(int(-count))
		for i := int64(0); i < -count; i++ {
			buf = s.AppendMember(buf[:0], rand.IntN(n))
			x.r.Bulk(buf)
		}
	case count >= int64(n):
		x.r.Array(n)
		for i := 0; i < n; i++ {
			buf = s.AppendMember(buf[:0], i)
			x.r.Bulk(buf)
		}
	default:
		x.r.Array(int(count))
		for _, i := range randomIndexes(n, int(count)) {
			buf = s.AppendMember(buf[:0], i)
			x.r.Bulk(buf)
		}
	}
}

// randomIndexes returns k distinct random indexes in [0, n), k < n.
func randomIndexes(n, k int) []int {
	if k*4 < n {
		// Few of many: draw and reject repeats.
		seen := make(map[int]struct{}, k)
		out := make([]int, 0, k)
		for len(out) < k {
			i := rand.IntN(n)
			if _, dup := seen[i]; !dup {
				seen[i] = struct{}{}
				out = append(out, i)
			}
		}
		return out
	}
	// Many of few: a partial Fisher-Yates shuffle.
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + rand.IntN(n-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm[:k]
}

// cmdSMove: SMOVE source destination member
func cmdSMove(x *Ctx) {
	srcKey, dstKey, m := x.args[1], x.args[2], x.args[3]
	srcE, srcOK := x.lookup(srcKey)
	dstE, dstOK := x.lookup(dstKey)
	if !srcOK {
		x.r.Int(0)
		return
	}
	if srcE.Value.Kind() != ds.KindSet || (dstOK && dstE.Value.Kind() != ds.KindSet) {
		x.r.Err(ErrWrongType)
		return
	}
	src := srcE.Value.(*ds.Set)
	if string(srcKey) == string(dstKey) {
		if src.Has(m) {
			x.r.Int(1)
		} else {
			x.r.Int(0)
		}
		return
	}
	if !src.Remove(m) {
		x.r.Int(0)
		return
	}
	x.afterSetRemove(srcKey, src, true)
	if dstOK {
		if dstE.Value.(*ds.Set).Add(m, x.maxIntset()) {
			x.changed(dstKey)
		}
	} else {
		dst := ds.NewSet()
		dst.Add(m, x.maxIntset())
		x.set(dstKey, dst, 0)
	}
	x.r.Int(1)
}

// lookupSets looks up the sets of keys. A missing key gives a nil entry;
// a key of another type fails the whole lookup.
func (x *Ctx) lookupSets(keys [][]byte) ([]*ds.Set, error) {
	sets := make([]*ds.Set, len(keys))
	for i, k := range keys {
		s, err := x.lookupSet(k)
		if err != nil {
			return nil, err
		}
		sets[i] = s
	}
	return sets, nil
}

// interSets computes the intersection of sets (none nil). With limit > 0
// and count only, it stops counting at limit. It returns the result set
// (nil when counting only) and its size.
func (x *Ctx) interSets(sets []*ds.Set, countOnly bool, limit int) (*ds.Set, int) {
	sets = slices.Clone(sets)
	slices.SortFunc(sets, func(a, b *ds.Set) int { return a.Len() - b.Len() })
	var out *ds.Set
	if !countOnly {
		out = ds.NewSet()
	}
	maxInts := x.maxIntset()
	n := 0
	var buf []byte
	smallest := sets[0]
outer:
	for i := 0; i < smallest.Len(); i++ {
		buf = smallest.AppendMember(buf[:0], i)
		for _, o := range sets[1:] {
			if o != smallest && !o.Has(buf) {
				continue outer
			}
		}
		n++
		if countOnly {
			if limit > 0 && n >= limit {
				break
			}
			continue
		}
		out.Add(buf, maxInts)
	}
	return out, n
}

// sinter runs SINTER, SINTERSTORE (dst != nil) and SINTERCARD
// (countOnly) over keys.
func (x *Ctx) sinter(keys [][]byte, dst []byte, countOnly bool, limit int) {
	sets, err := x.lookupSets(keys)
	if err != nil {
		x.r.Err(err)
		return
	}
	if slices.Contains(sets, nil) {
		switch {
		case dst != nil:
			x.del(dst)
			x.r.Int(0)
		case countOnly:
			x.r.Int(0)
		default:
			x.r.Set(0)
		}
		return
	}
	out, n := x.interSets(sets, countOnly, limit)
	switch {
	case countOnly:
		x.r.Int(int64(n))
	case dst != nil:
		x.storeSet(dst, out)
	default:
		x.replySet(out)
	}
}

func cmdSInter(x *Ctx)      { x.sinter(x.args[1:], nil, false, 0) }
func cmdSInterStore(x *Ctx) { x.sinter(x.args[2:], x.args[1], false, 0) }

// cmdSInterCard: SINTERCARD numkeys key [key ...] [LIMIT limit]
func cmdSInterCard(x *Ctx) {
	numKeys, err := parseInt(x.args[1])
	if err != nil || numKeys < 1 {
		x.r.Err(errNumKeys)
		return
	}
	if numKeys > int64(len(x.args)-2) {
		x.r.Err(errSetNumKeysArgs)
		return
	}
	var limit int64
	for i := 2 + int(numKeys); i < len(x.args); i++ {
		if equalFold(x.args[i], "limit") && i+1 < len(x.args) {
			i++
			limit, err = parseInt(x.args[i])
			if err != nil || limit < 0 {
				x.r.Err(errSetLimitNegative)
				return
			}
			continue
		}
		x.r.Err(ErrSyntax)
		return
	}
	x.sinter(x.args[2:2+numKeys], nil, true, int(min(limit, 1<<31)))
}

// unionDiff runs SUNION/SDIFF (and their STORE forms when dst != nil).
func (x *Ctx) unionDiff(keys [][]byte, dst []byte, union bool) {
	sets, err := x.lookupSets(keys)
	if err != nil {
		x.r.Err(err)
		return
	}
	out := ds.NewSet()
	maxInts := x.maxIntset()
	var buf []byte
	if union {
		for _, s := range sets {
			if s == nil {
				continue
			}
			for i := 0; i < s.Len(); i++ {
				buf = s.AppendMember(buf[:0], i)
				out.Add(buf, maxInts)
			}
		}
	} else if first := sets[0]; first != nil && !slices.Contains(sets[1:], first) {
	next:
		for i := 0; i < first.Len(); i++ {
			buf = first.AppendMember(buf[:0], i)
			for _, o := range sets[1:] {
				if o != nil && o.Has(buf) {
					continue next
				}
			}
			out.Add(buf, maxInts)
		}
	}
	if dst != nil {
		x.storeSet(dst, out)
	} else {
		x.replySet(out)
	}
}

func cmdSUnion(x *Ctx)      { x.unionDiff(x.args[1:], nil, true) }
func cmdSUnionStore(x *Ctx) { x.unionDiff(x.args[2:], x.args[1], true) }
func cmdSDiff(x *Ctx)       { x.unionDiff(x.args[1:], nil, false) }
func cmdSDiffStore(x *Ctx)  { x.unionDiff(x.args[2:], x.args[1], false) }

// scanOpts are the options of SCAN and the *SCAN commands.
type scanOpts struct {
	pattern  string // "" when there is no MATCH, or MATCH *
	usePat   bool
	count    int
	typeName string // SCAN's TYPE, when useType
	useType  bool
}

// parseScanOpts parses [MATCH pattern] [COUNT count] (and [TYPE type]
// when withType) from x.args[from:], replying with the error if any.
func (x *Ctx) parseScanOpts(from int, withType bool) (scanOpts, bool) {
	o := scanOpts{count: 10}
	for i := from; i < len(x.args); i += 2 {
		a := x.args[i]
		more := i+1 < len(x.args)
		switch {
		case equalFold(a, "count") && more:
			n, err := parseInt(x.args[i+1])
			if err != nil {
				x.r.Err(err)
				return o, false
			}
			if n < 1 {
				x.r.Err(ErrSyntax)
				return o, false
			}
			o.count = int(min(n, 1<<31))
		case equalFold(a, "match") && more:
			p := x.args[i+1]
			o.usePat = !(len(p) == 1 && p[0] == '*')
			o.pattern = string(p)
		case equalFold(a, "type") && withType && more:
			o.typeName, o.useType = string(x.args[i+1]), true
		default:
			x.r.Err(ErrSyntax)
			return o, false
		}
	}
	return o, true
}

// matches reports whether s passes the MATCH pattern.
func (o *scanOpts) matches(s string) bool {
	return !o.usePat || config.Match(o.pattern, s, false)
}

// parseCursor parses a SCAN cursor as Redis does (strtoul in base 10,
// refusing leading space, trailing bytes and overflow): "-1" is the
// largest cursor, "" is 0.
func parseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	i := 0
	neg := false
	switch b[0] {
	case '-':
		neg = true
		i++
	case '+':
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var n uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	return n, true
}

// replyScan writes a SCAN-style reply: the next cursor and the elements.
func (x *Ctx) replyScan(cursor uint64, elems []string) {
	x.r.Array(2)
	var tmp [20]byte
	x.r.Bulk(appendUint(tmp[:0], cursor))
	x.r.StringArray(elems)
}

func appendUint(dst []byte, n uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, tmp[i:]...)
}

// cmdSScan: SSCAN key cursor [MATCH pattern] [COUNT count]. Every member
// comes in the first call, with cursor 0, as Redis does for small sets.
func cmdSScan(x *Ctx) {
	if _, ok := parseCursor(x.args[2]); !ok {
		x.r.Err(errInvalidCursor)
		return
	}
	s, err := x.lookupSet(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
		return
	case s == nil:
		x.replyScan(0, nil)
		return
	}
	o, ok := x.parseScanOpts(3, false)
	if !ok {
		return
	}
	out := make([]string, 0, s.Len())
	for i := 0; i < s.Len(); i++ {
		if m := s.Member(i); o.matches(m) {
			out = append(out, m)
		}
	}
	x.replyScan(0, out)
}
