package engine

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/shardd/internal/ds"
)

// zsetCommands are the sorted set commands. Their semantics, replies and
// error texts follow Redis 7.0's t_zset.c, including its evaluation order
// (which argument error wins), its float parsing (C's strtod) and, for
// lexicographic ranges over members with different scores, its walk of
// the listpack or skiplist encoding (see ds/zset_ops.go).
func zsetCommands() map[string]handler {
	return map[string]handler{
		"zadd":             cmdZAdd,
		"zincrby":          cmdZIncrBy,
		"zrem":             cmdZRem,
		"zcard":            cardinality(ds.KindZSet),
		"zscore":           cmdZScore,
		"zmscore":          cmdZMScore,
		"zrank":            cmdZRank,
		"zrevrank":         cmdZRevRank,
		"zcount":           cmdZCount,
		"zlexcount":        cmdZLexCount,
		"zrange":           cmdZRange,
		"zrangebyscore":    cmdZRangeByScore,
		"zrevrangebyscore": cmdZRevRangeByScore,
		"zrangebylex":      cmdZRangeByLex,
		"zrevrangebylex":   cmdZRevRangeByLex,
		"zrevrange":        cmdZRevRange,
		"zrangestore":      cmdZRangeStore,
		"zremrangebyrank":  cmdZRemRangeByRank,
		"zremrangebyscore": cmdZRemRangeByScore,
		"zremrangebylex":   cmdZRemRangeByLex,
		"zpopmin":          cmdZPopMin,
		"zpopmax":          cmdZPopMax,
		"zrandmember":      cmdZRandMember,
		"zunion":           cmdZUnion,
		"zinter":           cmdZInter,
		"zdiff":            cmdZDiff,
		"zunionstore":      cmdZUnionStore,
		"zinterstore":      cmdZInterStore,
		"zdiffstore":       cmdZDiffStore,
		"zintercard":       cmdZInterCard,
		"zmpop":            cmdZMPop,
		"zscan":            cmdZScan,
	}
}

var (
	errZNaN           = simpleError("ERR resulting score is not a number (NaN)")
	errZXXNX          = simpleError("ERR XX and NX options at the same time are not compatible")
	errZGTLTNX        = simpleError("ERR GT, LT, and/or NX options at the same time are not compatible")
	errZIncrPair      = simpleError("ERR INCR option supports a single increment-element pair")
	errZMinMaxFloat   = simpleError("ERR min or max is not a float")
	errZMinMaxLex     = simpleError("ERR min or max not valid string range item")
	errZLimitRank     = simpleError("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
	errZWithScoresLex = simpleError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
	errZWeight        = simpleError("ERR weight value is not a float")
)

// --- argument parsing ---

// cstr cuts b at its first NUL byte: Redis compares option words with
// strcasecmp, which stops there.
func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// optIs reports whether the option argument b is the lower-case word w,
// compared as Redis's strcasecmp does.
func optIs(b []byte, w string) bool { return equalFold(cstr(b), w) }

func hasPrefixFold(b []byte, w string) bool {
	return len(b) >= len(w) && equalFold(b[:len(w)], w)
}

// strtod emulates glibc's strtod in the C locale: it skips leading white
// space and parses the longest prefix of b that is a number (decimal or
// hexadecimal, "inf", "infinity", "nan", "nan(...)"). It returns the
// value, the bytes consumed (0 when nothing is a number) and whether the
// result overflowed or underflowed to zero (errno ERANGE).
func strtod(b []byte) (f float64, n int, erange bool) {
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	start := i
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i < len(b) {
		switch b[i] | 0x20 {
		case 'i':
			switch {
			case hasPrefixFold(b[i:], "infinity"):
				i += 8
			case hasPrefixFold(b[i:], "inf"):
				i += 3
			default:
				return 0, 0, false
			}
			if neg {
				return math.Inf(-1), i, false
			}
			return math.Inf(1), i, false
		case 'n':
			if !hasPrefixFold(b[i:], "nan") {
				return 0, 0, false
			}
			i += 3
			if i < len(b) && b[i] == '(' {
				j := i + 1
				for j < len(b) && (isDigit(b[j]) || 'a' <= b[j]|0x20 && b[j]|0x20 <= 'z' || b[j] == '_') {
					j++
				}
				if j < len(b) && b[j] == ')' {
					i = j + 1
				}
			}
			return math.NaN(), i, false
		}
	}
	if i+1 < len(b) && b[i] == '0' && b[i+1]|0x20 == 'x' {
		if f, n, erange, ok := strtodHex(b, i+2, neg); ok {
			return f, n, erange
		}
	}
	// Decimal: digits, an optional point and digits (at least one digit
	// in all), then an optional exponent.
	digits, nonzero := 0, false
	for i < len(b) && isDigit(b[i]) {
		nonzero = nonzero || b[i] != '0'
		digits++
		i++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && isDigit(b[i]) {
			nonzero = nonzero || b[i] != '0'
			digits++
			i++
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	if i < len(b) && b[i]|0x20 == 'e' {
		j := i + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j < len(b) && isDigit(b[j]) {
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			i = j
		}
	}
	f, err := strconv.ParseFloat(unsafeString(b[start:i]), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, 0, false // cannot happen: the syntax was checked
	}
	erange = math.IsInf(f, 0) || f == 0 && nonzero
	return f, i, erange
}

// strtodHex parses the hexadecimal float whose digits start at b[i]; ok
// is false when no hex digit follows "0x" (then strtod reads just "0").
func strtodHex(b []byte, i int, neg bool) (f float64, n int, erange, ok bool) {
	var mant []byte
	var buf [64]byte
	mant = buf[:0]
	if neg {
		mant = append(mant, '-')
	}
	mant = append(mant, "0x"...)
	digits, nonzero := 0, false
	for i < len(b) && isHexDigit(b[i]) {
		nonzero = nonzero || b[i] != '0'
		mant = append(mant, b[i])
		digits++
		i++
	}
	if i < len(b) && b[i] == '.' {
		j := i + 1
		frac := 0
		for j < len(b) && isHexDigit(b[j]) {
			frac++
			j++
		}
		if digits > 0 || frac > 0 {
			mant = append(mant, b[i:j]...)
			for _, c := range b[i+1 : j] {
				nonzero = nonzero || c != '0'
			}
			digits += frac
			i = j
		}
	}
	if digits == 0 {
		return 0, 0, false, false
	}
	mant = append(mant, 'p')
	exp := false
	if i < len(b) && b[i]|0x20 == 'p' {
		j := i + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j < len(b) && isDigit(b[j]) {
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			mant = append(mant, b[i+1:j]...)
			i = j
			exp = true
		}
	}
	if !exp {
		mant = append(mant, '0')
	}
	f, err := strconv.ParseFloat(unsafeString(mant), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, 0, false, false
	}
	return f, i, math.IsInf(f, 0) || f == 0 && nonzero, true
}

// unsafeString views b as a string for the duration of a parse.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// parseScore parses a score or other float argument as Redis's
// getDoubleFromObject: the whole argument must be a number, with no
// leading space, no overflow or underflow to zero, and not NaN.
func parseScore(b []byte) (float64, bool) {
	if n := len(b); n > 0 && n < 16 && isDigit(b[n-1]) {
		// Fast path: a plain integer.
		neg := b[0] == '-'
		i := 0
		if neg {
			i = 1
		}
		var v int64
		for ; i < n && isDigit(b[i]); i++ {
			v = v*10 + int64(b[i]-'0')
		}
		if i == n && (!neg || n > 1) {
			if neg {
				return -float64(v), true
			}
			return float64(v), true
		}
	}
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	f, n, erange := strtod(b)
	if n != len(b) || erange && (math.IsInf(f, 0) || f == 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// parseRangeEnd parses one end of a score range as Redis's zslParseRange:
// "(" makes it exclusive; strtod must reach the end of the argument (or a
// NUL byte), so "" means 0; NaN is refused.
func parseRangeEnd(b []byte) (f float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		ex = true
		b = b[1:]
	}
	f, n, _ := strtod(b)
	if n < len(b) && b[n] != 0 || math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

// parseScoreRange parses a [min, max] score range.
func parseScoreRange(minArg, maxArg []byte) (ds.ScoreRange, bool) {
	var r ds.ScoreRange
	var ok bool
	if r.Min, r.MinEx, ok = parseRangeEnd(minArg); !ok {
		return r, false
	}
	if r.Max, r.MaxEx, ok = parseRangeEnd(maxArg); !ok {
		return r, false
	}
	return r, true
}

// parseLexEnd parses one end of a lex range: "-", "+", "[value" or
// "(value". Like Redis it looks at the byte after '-' or '+' only, so a
// NUL there still means the infinite end.
func parseLexEnd(b []byte) (ds.LexBound, bool) {
	if len(b) == 0 {
		return ds.LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return ds.LexBound{}, false
		}
		if b[0] == '+' {
			return ds.LexBound{Ex: true, Inf: 1}, true
		}
		return ds.LexBound{Ex: true, Inf: -1}, true
	case '(':
		return ds.LexBound{Value: string(b[1:]), Ex: true}, true
	case '[':
		return ds.LexBound{Value: string(b[1:])}, true
	}
	return ds.LexBound{}, false
}

func parseLexRange(minArg, maxArg []byte) (ds.LexRange, bool) {
	min, ok1 := parseLexEnd(minArg)
	max, ok2 := parseLexEnd(maxArg)
	return ds.LexRange{Min: min, Max: max}, ok1 && ok2
}

// parsePositive is Redis's getPositiveLongFromObjectOrReply: a
// non-negative integer, else the error msg.
func parsePositive(b []byte, msg error) (int64, error) {
	n, err := parseInt(b)
	if err != nil || n < 0 {
		return 0, msg
	}
	return n, nil
}

// --- helpers ---

// lookupZSet returns key's sorted set; nil if missing.
func (x *Ctx) lookupZSet(key []byte) (*ds.ZSet, error) {
	v, err := x.lookupKind(key, ds.KindZSet)
	if v == nil {
		return nil, err
	}
	return v.(*ds.ZSet), nil
}

// zArray starts a reply of n members, with their scores if withScores:
// a flat array in RESP2, an array of [member, score] pairs in RESP3.
func (x *Ctx) zArray(n int, withScores bool) {
	if withScores && x.r.proto == 2 {
		x.r.Array(2 * n)
	} else {
		x.r.Array(n)
	}
}

// zMember writes one member of a zArray reply.
func (x *Ctx) zMember(m string, score float64, withScores bool) {
	if withScores && x.r.proto != 2 {
		x.r.Array(2)
	}
	x.r.BulkString(m)
	if withScores {
		x.zDouble(score)
	}
}

// zDouble is Reply.Double with a fast path for the common integral
// scores, which "%.17g" prints as plain integers.
func (x *Ctx) zDouble(f float64) {
	if f >= -1e15 && f <= 1e15 && f == math.Trunc(f) && (f != 0 || !math.Signbit(f)) {
		var tmp [24]byte
		b := tmp[:0]
		if x.r.proto != 2 {
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(f), 10)
			x.r.Raw(append(b, '\r', '\n'))
			return
		}
		x.r.Bulk(strconv.AppendInt(b, int64(f), 10))
		return
	}
	x.r.Double(f)
}

// zStore stores z (nil or empty: deletes dst) and replies with its size.
func (x *Ctx) zStore(dst []byte, z *ds.ZSet) {
	if z == nil || z.Len() == 0 {
		x.del(dst)
		x.r.Int(0)
		return
	}
	x.set(dst, z, 0)
	x.r.Int(int64(z.Len()))
}

// zRemoved records removals from key's set z, deleting an emptied key.
func (x *Ctx) zRemoved(key []byte, z *ds.ZSet, n int) {
	switch {
	case z.Len() == 0:
		x.del(key)
	case n > 0:
		x.changed(key)
	}
}

// --- ZADD, ZINCRBY, ZREM ---

// zaddFlags are ZADD's options.
type zaddFlags uint8

const (
	zaddNX zaddFlags = 1 << iota
	zaddXX
	zaddGT
	zaddLT
	zaddIncr
	zaddCH
)

func cmdZAdd(x *Ctx)     { x.zadd(0) }
func cmdZIncrBy(x *Ctx)  { x.zadd(zaddIncr) }
func cmdZRank(x *Ctx)    { x.zrank(false) }
func cmdZRevRank(x *Ctx) { x.zrank(true) }

// zadd runs ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ... and
// ZINCRBY key increment member (ZADD INCR with the options parsed the
// same way, as Redis does).
func (x *Ctx) zadd(fl zaddFlags) {
	args := x.args
	idx := 2
	for ; idx < len(args); idx++ {
		a := args[idx]
		switch {
		case optIs(a, "nx"):
			fl |= zaddNX
		case optIs(a, "xx"):
			fl |= zaddXX
		case optIs(a, "ch"):
			fl |= zaddCH
		case optIs(a, "incr"):
			fl |= zaddIncr
		case optIs(a, "gt"):
			fl |= zaddGT
		case optIs(a, "lt"):
			fl |= zaddLT
		default:
			goto parsed
		}
	}
parsed:
	elements := len(args) - idx
	if elements%2 != 0 || elements == 0 {
		x.r.Err(ErrSyntax)
		return
	}
	elements /= 2
	nx, xx, gt, lt := fl&zaddNX != 0, fl&zaddXX != 0, fl&zaddGT != 0, fl&zaddLT != 0
	switch {
	case nx && xx:
		x.r.Err(errZXXNX)
		return
	case gt && nx || lt && nx || gt && lt:
		x.r.Err(errZGTLTNX)
		return
	case fl&zaddIncr != 0 && elements > 1:
		x.r.Err(errZIncrPair)
		return
	}
	var buf [16]float64
	scores := buf[:0]
	if elements > len(buf) {
		scores = make([]float64, 0, elements)
	}
	for i := 0; i < elements; i++ {
		f, ok := parseScore(args[idx+2*i])
		if !ok {
			x.r.Err(ErrNotFloat)
			return
		}
		scores = append(scores, f)
	}
	x.zaddScores(args[1], fl, scores, args, idx+1, 2)
}

// zaddScores adds members args[first], args[first+stride], ... with
// scores under key and replies as ZADD (shared with GEOADD).
func (x *Ctx) zaddScores(key []byte, fl zaddFlags, scores []float64, args [][]byte, first, stride int) {
	z, err := x.lookupZSet(key)
	if err != nil {
		x.r.Err(err)
		return
	}
	incr := fl&zaddIncr != 0
	created := false
	if z == nil {
		if fl&zaddXX != 0 {
			if incr {
				x.r.Null()
			} else {
				x.r.Int(0)
			}
			return
		}
		z = ds.NewZSet()
		created = true
	}
	var added, updated, processed int
	var score float64
	for i, s := range scores {
		m := args[first+i*stride]
		res, newScore := zsetAdd(z, m, s, fl)
		switch res {
		case zaddNaN:
			if added+updated > 0 {
				x.changed(key)
			}
			x.r.Err(errZNaN)
			return
		case zaddAdded:
			added++
			processed++
		case zaddUpdated:
			updated++
			processed++
		case zaddSame:
			processed++
		}
		score = newScore
	}
	switch {
	case created:
		x.set(key, z, 0)
	case added+updated > 0:
		x.changed(key)
	}
	switch {
	case !incr && fl&zaddCH != 0:
		x.r.Int(int64(added + updated))
	case !incr:
		x.r.Int(int64(added))
	case processed > 0:
		x.zDouble(score)
	default:
		x.r.Null()
	}
}

type zaddResult uint8

const (
	zaddNop zaddResult = iota
	zaddSame
	zaddAdded
	zaddUpdated
	zaddNaN
)

// zsetAdd is Redis's zsetAdd: it adds or updates member m with score
// (an increment with zaddIncr) under the NX/XX/GT/LT rules, and returns
// what happened and the member's resulting score.
func zsetAdd(z *ds.ZSet, m []byte, score float64, fl zaddFlags) (zaddResult, float64) {
	cur, exists := z.Score(m)
	if !exists {
		if fl&zaddXX != 0 {
			return zaddNop, score
		}
		z.Put(m, score)
		return zaddAdded, score
	}
	if fl&zaddNX != 0 {
		return zaddNop, score
	}
	if fl&zaddIncr != 0 {
		score += cur
		if math.IsNaN(score) {
			return zaddNaN, score
		}
	}
	if fl&zaddLT != 0 && score >= cur || fl&zaddGT != 0 && score <= cur {
		return zaddNop, score
	}
	if score == cur {
		return zaddSame, score
	}
	z.Put(m, score)
	return zaddUpdated, score
}

func cmdZRem(x *Ctx) {
	key := x.args[1]
	z, err := x.lookupZSet(key)
	if z == nil {
		if err != nil {
			x.r.Err(err)
		} else {
			x.r.Int(0)
		}
		return
	}
	n := 0
	for _, m := range x.args[2:] {
		if z.Remove(m) {
			n++
			if z.Len() == 0 {
				break
			}
		}
	}
	x.zRemoved(key, z, n)
	x.r.Int(int64(n))
}

// --- single-member reads ---

func cmdZScore(x *Ctx) {
	z, err := x.lookupZSet(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	if z != nil {
		if s, ok := z.Score(x.args[2]); ok {
			x.zDouble(s)
			return
		}
	}
	x.r.Null()
}

func cmdZMScore(x *Ctx) {
	z, err := x.lookupZSet(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	x.r.Array(len(x.args) - 2)
	for _, m := range x.args[2:] {
		if z != nil {
			if s, ok := z.Score(m); ok {
				x.zDouble(s)
				continue
			}
		}
		x.r.Null()
	}
}

func (x *Ctx) zrank(rev bool) {
	z, err := x.lookupZSet(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	if z != nil {
		var r int
		var ok bool
		if rev {
			r, ok = z.RevRank(x.args[2])
		} else {
			r, ok = z.Rank(x.args[2])
		}
		if ok {
			x.r.Int(int64(r))
			return
		}
	}
	x.r.Null()
}

func cmdZCount(x *Ctx) {
	r, ok := parseScoreRange(x.args[2], x.args[3])
	if !ok {
		x.r.Err(errZMinMaxFloat)
		return
	}
	z, err := x.lookupZSet(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
	case z == nil:
		x.r.Int(0)
	default:
		x.r.Int(int64(z.CountInScore(r)))
	}
}

func cmdZLexCount(x *Ctx) {
	r, ok := parseLexRange(x.args[2], x.args[3])
	if !ok {
		x.r.Err(errZMinMaxLex)
		return
	}
	z, err := x.lookupZSet(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
	case z == nil:
		x.r.Int(0)
	default:
		x.r.Int(int64(z.CountInLex(r)))
	}
}

// --- ZRANGE and friends ---

type zRangeType uint8

const (
	zByAuto zRangeType = iota
	zByRank
	zByScore
	zByLex
)

type zDirection uint8

const (
	zDirAuto zDirection = iota
	zDirForward
	zDirReverse
)

func cmdZRange(x *Ctx)           { x.zrange(1, false, zByAuto, zDirAuto) }
func cmdZRangeStore(x *Ctx)      { x.zrange(2, true, zByAuto, zDirAuto) }
func cmdZRevRange(x *Ctx)        { x.zrange(1, false, zByRank, zDirReverse) }
func cmdZRangeByScore(x *Ctx)    { x.zrange(1, false, zByScore, zDirForward) }
func cmdZRevRangeByScore(x *Ctx) { x.zrange(1, false, zByScore, zDirReverse) }
func cmdZRangeByLex(x *Ctx)      { x.zrange(1, false, zByLex, zDirForward) }
func cmdZRevRangeByLex(x *Ctx)   { x.zrange(1, false, zByLex, zDirReverse) }

// zrangeOut is where a range goes: the reply, or a new sorted set for
// ZRANGESTORE.
type zrangeOut struct {
	x          *Ctx
	store      bool
	dst        *ds.ZSet
	withScores bool
}

// begin starts the output of n members; hint is the length Redis knows
// in advance (-1 for score and lex ranges), which decides the encoding a
// stored result starts with.
func (o *zrangeOut) begin(n, hint int) {
	if o.store {
		if hint > ds.ZSetListpackEntries {
			o.dst = ds.NewZSetSkiplist()
		} else {
			o.dst = ds.NewZSet()
		}
	} else {
		o.x.zArray(n, o.withScores)
	}
}

func (o *zrangeOut) emit(c *ds.ZCursor) {
	if o.store {
		o.dst.PutString(c.Member(), c.Score())
	} else {
		o.x.zMember(c.Member(), c.Score(), o.withScores)
	}
}

func (o *zrangeOut) end() {
	if o.store {
		o.x.zStore(o.x.args[1], o.dst)
	}
}

// zrange is Redis's zrangeGenericCommand: the key is at argStart, the
// range ends follow, then the options; rt and dir are fixed by the
// command or left to the options (ZRANGE, ZRANGESTORE).
func (x *Ctx) zrange(argStart int, store bool, rt zRangeType, dir zDirection) {
	args := x.args
	minIdx, maxIdx := argStart+1, argStart+2
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := argStart + 3; j < len(args); j++ {
		a := args[j]
		left := len(args) - j - 1
		switch {
		case !store && optIs(a, "withscores"):
			withScores = true
		case optIs(a, "limit") && left >= 2:
			var err error
			if offset, err = parseInt(args[j+1]); err != nil {
				x.r.Err(err)
				return
			}
			if limit, err = parseInt(args[j+2]); err != nil {
				x.r.Err(err)
				return
			}
			j += 2
		case dir == zDirAuto && optIs(a, "rev"):
			dir = zDirReverse
		case rt == zByAuto && optIs(a, "bylex"):
			rt = zByLex
		case rt == zByAuto && optIs(a, "byscore"):
			rt = zByScore
		default:
			x.r.Err(ErrSyntax)
			return
		}
	}
	if dir == zDirAuto {
		dir = zDirForward
	}
	if rt == zByAuto {
		rt = zByRank
	}
	if limit != -1 && rt == zByRank {
		x.r.Err(errZLimitRank)
		return
	}
	if withScores && rt == zByLex {
		x.r.Err(errZWithScoresLex)
		return
	}
	rev := dir == zDirReverse
	if rev && rt != zByRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	var start, end int64
	var sr ds.ScoreRange
	var lr ds.LexRange
	switch rt {
	case zByRank:
		var err error
		if start, err = parseInt(args[minIdx]); err != nil {
			x.r.Err(err)
			return
		}
		if end, err = parseInt(args[maxIdx]); err != nil {
			x.r.Err(err)
			return
		}
	case zByScore:
		var ok bool
		if sr, ok = parseScoreRange(args[minIdx], args[maxIdx]); !ok {
			x.r.Err(errZMinMaxFloat)
			return
		}
	case zByLex:
		var ok bool
		if lr, ok = parseLexRange(args[minIdx], args[maxIdx]); !ok {
			x.r.Err(errZMinMaxLex)
			return
		}
	}
	out := zrangeOut{x: x, store: store, withScores: withScores}
	z, err := x.lookupZSet(args[argStart])
	switch {
	case err != nil:
		x.r.Err(err)
		return
	case z == nil:
		out.begin(0, -1)
		out.end()
		return
	}
	switch rt {
	case zByRank:
		zrangeRank(&out, z, start, end, rev)
	case zByScore:
		c := z.CursorScore(sr, rev)
		zrangeWalk(&out, z, c, offset, limit, func(c *ds.ZCursor) bool {
			if rev {
				return sr.GteMin(c.Score())
			}
			return sr.LteMax(c.Score())
		})
	case zByLex:
		c := z.CursorLex(lr, rev)
		zrangeWalk(&out, z, c, offset, limit, func(c *ds.ZCursor) bool {
			if rev {
				return lr.GteMin(c.Member())
			}
			return lr.LteMax(c.Member())
		})
	}
	out.end()
}

// zrangeRank emits ranks start..end (Redis's index rules: negative counts
// from the end, then clamped).
func zrangeRank(out *zrangeOut, z *ds.ZSet, start, end int64, rev bool) {
	n := int64(z.Len())
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = max(start, 0)
	if start > end || start >= n {
		out.begin(0, 0)
		return
	}
	end = min(end, n-1)
	count := int(end - start + 1)
	out.begin(count, count)
	c := z.CursorAtRank(int(start), rev)
	for i := 0; i < count && c.Ok(); i++ {
		out.emit(&c)
		c.Next()
	}
}

// zrangeWalk emits from cursor c, skipping offset members and then
// taking up to limit (negative: no limit) while inRange holds. Like
// Redis, a negative offset skips everything.
func zrangeWalk(out *zrangeOut, z *ds.ZSet, c ds.ZCursor, offset, limit int64, inRange func(*ds.ZCursor) bool) {
	if offset < 0 || offset > 0 && offset >= int64(z.Len()) {
		out.begin(0, 0)
		return
	}
	for ; offset > 0 && c.Ok(); offset-- {
		c.Next()
	}
	// Count first, so that the reply's length comes before its elements.
	n := 0
	cc := c
	for lim := limit; cc.Ok() && lim != 0 && inRange(&cc); lim-- {
		n++
		cc.Next()
	}
	out.begin(n, -1)
	for i := 0; i < n; i++ {
		out.emit(&c)
		c.Next()
	}
}

// --- ZREMRANGEBY* ---

func cmdZRemRangeByRank(x *Ctx) {
	start, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	end, err := parseInt(x.args[3])
	if err != nil {
		x.r.Err(err)
		return
	}
	key := x.args[1]
	z, err := x.lookupZSet(key)
	if z == nil {
		if err != nil {
			x.r.Err(err)
		} else {
			x.r.Int(0)
		}
		return
	}
	n := int64(z.Len())
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = max(start, 0)
	if start > end || start >= n {
		x.r.Int(0)
		return
	}
	end = min(end, n-1)
	removed := z.RemoveRangeByRank(int(start), int(end))
	x.zRemoved(key, z, removed)
	x.r.Int(int64(removed))
}

func cmdZRemRangeByScore(x *Ctx) {
	r, ok := parseScoreRange(x.args[2], x.args[3])
	if !ok {
		x.r.Err(errZMinMaxFloat)
		return
	}
	x.zremRange(func(z *ds.ZSet) int { return z.RemoveRangeByScore(r) })
}

func cmdZRemRangeByLex(x *Ctx) {
	r, ok := parseLexRange(x.args[2], x.args[3])
	if !ok {
		x.r.Err(errZMinMaxLex)
		return
	}
	x.zremRange(func(z *ds.ZSet) int { return z.RemoveRangeByLex(r) })
}

func (x *Ctx) zremRange(remove func(*ds.ZSet) int) {
	key := x.args[1]
	z, err := x.lookupZSet(key)
	if z == nil {
		if err != nil {
			x.r.Err(err)
		} else {
			x.r.Int(0)
		}
		return
	}
	n := remove(z)
	x.zRemoved(key, z, n)
	x.r.Int(int64(n))
}

// --- pops ---

func cmdZPopMin(x *Ctx) { x.zpopCmd(false) }
func cmdZPopMax(x *Ctx) { x.zpopCmd(true) }

// zpopCmd runs ZPOPMIN/ZPOPMAX key [count].
func (x *Ctx) zpopCmd(max bool) {
	if len(x.args) > 3 {
		x.r.Err(ErrSyntax)
		return
	}
	count := int64(-1)
	if len(x.args) == 3 {
		var err error
		if count, err = parsePositive(x.args[2], ErrPositive); err != nil {
			x.r.Err(err)
			return
		}
	}
	nested := x.r.proto != 2 && count != -1
	if !x.zpop(x.args[1:2], max, false, count, nested) {
		x.r.Array(0)
	}
}

// zpop is Redis's genericZpopCommand, shared by ZPOPMIN/ZPOPMAX, ZMPOP
// and the blocking pops: it pops from the first of keys that holds a
// sorted set, from its lowest end (highest with max), up to count
// members (count -1: one member, replied without the nesting a count
// brings in RESP3). emitKey puts the key in the reply: [key, m, s, ...]
// for BZPOPMIN/BZPOPMAX (nested false) and [key, [[m, s], ...]] for
// ZMPOP/BZMPOP (nested true); without emitKey the reply is [m, s, ...],
// or [[m, s], ...] when nested. A key of another type replies
// WRONGTYPE. zpop returns false, without replying, when none of the keys
// exists: the caller replies (an empty array, a null) or blocks.
func (x *Ctx) zpop(keys [][]byte, max, emitKey bool, count int64, nested bool) bool {
	var key []byte
	var z *ds.ZSet
	for _, k := range keys {
		v, err := x.lookupZSet(k)
		if err != nil {
			x.r.Err(err)
			return true
		}
		if v != nil {
			key, z = k, v
			break
		}
	}
	if z == nil {
		return false
	}
	if count == 0 {
		x.r.Array(0)
		return true
	}
	if count < 0 {
		count = 1
	}
	n := int(min(count, int64(z.Len())))
	switch {
	case !nested && !emitKey:
		x.r.Array(2 * n)
	case nested && !emitKey:
		x.r.Array(n)
	case !nested && emitKey:
		x.r.Array(2*n + 1)
		x.r.Bulk(key)
	default:
		x.r.Array(2)
		x.r.Bulk(key)
		x.r.Array(n)
	}
	for i := 0; i < n; i++ {
		m, _ := z.Pop(max)
		if nested {
			x.r.Array(2)
		}
		x.r.BulkString(m.Member)
		x.zDouble(m.Score)
	}
	x.zRemoved(key, z, n)
	return true
}

// cmdZMPop: ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
func cmdZMPop(x *Ctx) {
	keys, max, count, ok := x.parseZMPop(1)
	if !ok {
		return
	}
	if !x.zpop(keys, max, true, count, true) {
		x.r.NullArray()
	}
}

// parseZMPop parses ZMPOP's arguments from the numkeys at x.args[at]
// (BZMPOP's come after its timeout), replying with the error if any.
func (x *Ctx) parseZMPop(at int) (keys [][]byte, max bool, count int64, ok bool) {
	args := x.args
	numKeys, err := parseInt(args[at])
	if err != nil || numKeys < 1 {
		x.r.Err(errNumKeys)
		return nil, false, 0, false
	}
	if numKeys >= int64(len(args)-at-1) {
		x.r.Err(ErrSyntax)
		return nil, false, 0, false
	}
	whereIdx := at + int(numKeys) + 1
	switch {
	case optIs(args[whereIdx], "min"):
	case optIs(args[whereIdx], "max"):
		max = true
	default:
		x.r.Err(ErrSyntax)
		return nil, false, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < len(args); j++ {
		if count == -1 && optIs(args[j], "count") && j+1 < len(args) {
			j++
			if count, err = parseInt(args[j]); err != nil || count < 1 {
				x.r.Err(errCountPositive)
				return nil, false, 0, false
			}
			continue
		}
		x.r.Err(ErrSyntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return args[at+1 : whereIdx], max, count, true
}

// --- ZRANDMEMBER ---

// cmdZRandMember: ZRANDMEMBER key [count [WITHSCORES]]
func cmdZRandMember(x *Ctx) {
	args := x.args
	if len(args) == 2 {
		z, err := x.lookupZSet(args[1])
		switch {
		case err != nil:
			x.r.Err(err)
		case z == nil:
			x.r.Null()
		default:
			c := z.CursorAtRank(rand.IntN(z.Len()), false)
			x.r.BulkString(c.Member())
		}
		return
	}
	l, err := parseInt(args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	if l == math.MinInt64 {
		x.r.Err(errRandCount)
		return
	}
	withScores := false
	if len(args) > 4 || len(args) == 4 && !optIs(args[3], "withscores") {
		x.r.Err(ErrSyntax)
		return
	}
	if len(args) == 4 {
		withScores = true
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			x.r.Err(errOutOfRange)
			return
		}
	}
	z, err := x.lookupZSet(args[1])
	switch {
	case err != nil:
		x.r.Err(err)
		return
	case z == nil:
		x.r.Array(0)
		return
	}
	count, uniq := l, true
	if l < 0 {
		count, uniq = -l, false
	}
	size := z.Len()
	switch {
	case count == 0:
		x.r.Array(0)
	case !uniq || count == 1:
		if count > maxRandReply {
			x.r.Err(errOutOfRange)
			return
		}
		x.zArray(int(count), withScores)
		for i := int64(0); i < count; i++ {
			c := z.CursorAtRank(rand.IntN(size), false)
			x.zMember(c.Member(), c.Score(), withScores)
		}
	case count >= int64(size):
		// The whole set, in the order Redis's iterator walks it: from
		// the highest member down.
		x.zArray(size, withScores)
		for c := z.CursorAtRank(0, true); c.Ok(); c.Next() {
			x.zMember(c.Member(), c.Score(), withScores)
		}
	default:
		x.zArray(int(count), withScores)
		for _, i := range randomIndexes(size, int(count)) {
			c := z.CursorAtRank(i, false)
			x.zMember(c.Member(), c.Score(), withScores)
		}
	}
}

// --- ZSCAN ---

// cmdZScan: ZSCAN key cursor [MATCH pattern] [COUNT count]. Every member
// comes in the first call, with cursor 0.
func cmdZScan(x *Ctx) {
	if _, ok := parseCursor(x.args[2]); !ok {
		x.r.Err(errInvalidCursor)
		return
	}
	z, err := x.lookupZSet(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
		return
	case z == nil:
		x.replyScan(0, nil)
		return
	}
	o, ok := x.parseScanOpts(3, false)
	if !ok {
		return
	}
	matched := make([]ds.Member, 0, z.Len())
	for c := z.CursorAtRank(0, false); c.Ok(); c.Next() {
		if o.matches(c.Member()) {
			matched = append(matched, ds.Member{Member: c.Member(), Score: c.Score()})
		}
	}
	listpack := z.Encoding() == "listpack"
	x.r.Array(2)
	x.r.BulkString("0")
	x.r.Array(2 * len(matched))
	var tmp [32]byte
	for _, m := range matched {
		x.r.BulkString(m.Member)
		if listpack {
			x.r.Bulk(appendListpackScore(tmp[:0], m.Score))
		} else {
			x.r.Bulk(resp.AppendFloat(tmp[:0], m.Score))
		}
	}
}

// appendListpackScore formats a score as a listpack stores it (Redis's
// d2string), which is what ZSCAN returns for a listpack-encoded set: an
// integral score within ±2^62 in integer form, others as "%.17g".
func appendListpackScore(dst []byte, f float64) []byte {
	const half = float64(math.MaxInt64 / 2)
	if f == 0 {
		return append(dst, '0') // a listpack reads "-0" back as 0
	}
	if f >= -half && f <= half && f == math.Trunc(f) {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return resp.AppendFloat(dst, f)
}

// --- ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD ---

type zsetOp uint8

const (
	zOpUnion zsetOp = iota
	zOpInter
	zOpDiff
)

type zAggregate uint8

const (
	zAggSum zAggregate = iota
	zAggMin
	zAggMax
)

// zsrc is an input of a set operation: a sorted set, a set (whose
// members score 1) or a missing key.
type zsrc struct {
	z      *ds.ZSet
	s      *ds.Set
	weight float64
}

func (s *zsrc) len() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.s != nil:
		return s.s.Len()
	}
	return 0
}

// same reports whether two inputs are the same key's value.
func (s *zsrc) same(o *zsrc) bool {
	return s.z != nil && s.z == o.z || s.s != nil && s.s == o.s
}

// find returns m's score in s.
func (s *zsrc) find(m string) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.Score(unsafeBytes(m))
	case s.s != nil:
		return 1, s.s.Has(unsafeBytes(m))
	}
	return 0, false
}

// each calls fn for every member of s with its score, until fn returns
// false. Sorted sets are walked from the highest member down, as Redis's
// iterator does.
func (s *zsrc) each(fn func(m string, score float64) bool) {
	switch {
	case s.z != nil:
		for c := s.z.CursorAtRank(0, true); c.Ok(); c.Next() {
			if !fn(c.Member(), c.Score()) {
				return
			}
		}
	case s.s != nil:
		for i := 0; i < s.s.Len(); i++ {
			if !fn(s.s.Member(i), 1) {
				return
			}
		}
	}
}

// unsafeBytes views s as bytes for a lookup that does not keep them.
func unsafeBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// fold folds val into *target as Redis's zunionInterAggregate does.
func (a zAggregate) fold(target *float64, val float64) {
	switch a {
	case zAggSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case zAggMin:
		if val < *target {
			*target = val
		}
	case zAggMax:
		if val > *target {
			*target = val
		}
	}
}

func cmdZUnion(x *Ctx)      { x.zsetop(zOpUnion, nil, 1, false) }
func cmdZInter(x *Ctx)      { x.zsetop(zOpInter, nil, 1, false) }
func cmdZDiff(x *Ctx)       { x.zsetop(zOpDiff, nil, 1, false) }
func cmdZUnionStore(x *Ctx) { x.zsetop(zOpUnion, x.args[1], 2, false) }
func cmdZInterStore(x *Ctx) { x.zsetop(zOpInter, x.args[1], 2, false) }
func cmdZDiffStore(x *Ctx)  { x.zsetop(zOpDiff, x.args[1], 2, false) }
func cmdZInterCard(x *Ctx)  { x.zsetop(zOpInter, nil, 1, true) }

// zsetop is Redis's zunionInterDiffGenericCommand.
func (x *Ctx) zsetop(op zsetOp, dst []byte, numIdx int, cardOnly bool) {
	args := x.args
	setnum, err := parseInt(args[numIdx])
	if err != nil {
		x.r.Err(err)
		return
	}
	if setnum < 1 {
		x.r.Error("ERR at least 1 input key is needed for '" + x.spec.Name + "' command")
		return
	}
	if setnum > int64(len(args)-numIdx-1) {
		x.r.Err(ErrSyntax)
		return
	}
	srcs := make([]zsrc, setnum)
	j := numIdx + 1
	for i := range srcs {
		e, ok := x.lookup(args[j])
		j++
		srcs[i].weight = 1
		if !ok {
			continue
		}
		switch v := e.Value.(type) {
		case *ds.ZSet:
			srcs[i].z = v
		case *ds.Set:
			srcs[i].s = v
		default:
			x.r.Err(ErrWrongType)
			return
		}
	}
	agg := zAggSum
	withScores := false
	var limit int64
	for j < len(args) {
		remaining := len(args) - j
		a := args[j]
		switch {
		case op != zOpDiff && !cardOnly && remaining >= len(srcs)+1 && optIs(a, "weights"):
			j++
			for i := range srcs {
				w, ok := parseScore(args[j])
				if !ok {
					x.r.Err(errZWeight)
					return
				}
				srcs[i].weight = w
				j++
			}
		case op != zOpDiff && !cardOnly && remaining >= 2 && optIs(a, "aggregate"):
			switch b := args[j+1]; {
			case optIs(b, "sum"):
				agg = zAggSum
			case optIs(b, "min"):
				agg = zAggMin
			case optIs(b, "max"):
				agg = zAggMax
			default:
				x.r.Err(ErrSyntax)
				return
			}
			j += 2
		case dst == nil && !cardOnly && optIs(a, "withscores"):
			withScores = true
			j++
		case cardOnly && remaining >= 2 && optIs(a, "limit"):
			if limit, err = parsePositive(args[j+1], errSetLimitNegative); err != nil {
				x.r.Err(err)
				return
			}
			j += 2
		default:
			x.r.Err(ErrSyntax)
			return
		}
	}
	if op != zOpDiff {
		slices.SortStableFunc(srcs, func(a, b zsrc) int { return a.len() - b.len() })
	}

	var out []ds.Member
	switch op {
	case zOpInter:
		card := int64(0)
		if srcs[0].len() > 0 {
			first := &srcs[0]
			first.each(func(m string, s float64) bool {
				score := first.weight * s
				if math.IsNaN(score) {
					score = 0
				}
				for k := 1; k < len(srcs); k++ {
					o := &srcs[k]
					var v float64
					if o.same(first) {
						v = s * o.weight
					} else if f, ok := o.find(m); ok {
						v = f * o.weight
					} else {
						return true
					}
					agg.fold(&score, v)
				}
				if cardOnly {
					card++
					return limit == 0 || card < limit
				}
				out = append(out, ds.Member{Member: m, Score: score})
				return true
			})
		}
		if cardOnly {
			x.r.Int(card)
			return
		}
	case zOpUnion:
		acc := make(map[string]float64, srcs[len(srcs)-1].len())
		for i := range srcs {
			src := &srcs[i]
			src.each(func(m string, s float64) bool {
				score := src.weight * s
				if math.IsNaN(score) {
					score = 0
				}
				if cur, ok := acc[m]; ok {
					agg.fold(&cur, score)
					acc[m] = cur
				} else {
					acc[m] = score
				}
				return true
			})
		}
		out = make([]ds.Member, 0, len(acc))
		for m, s := range acc {
			out = append(out, ds.Member{Member: m, Score: s})
		}
	case zOpDiff:
		first := &srcs[0]
		if first.len() > 0 {
			dup := false
			for k := 1; k < len(srcs); k++ {
				dup = dup || srcs[k].same(first)
			}
			if !dup {
				first.each(func(m string, s float64) bool {
					for k := 1; k < len(srcs); k++ {
						if _, ok := srcs[k].find(m); ok {
							return true
						}
					}
					out = append(out, ds.Member{Member: m, Score: s})
					return true
				})
			}
		}
	}
	slices.SortFunc(out, func(a, b ds.Member) int {
		switch {
		case a.Score < b.Score:
			return -1
		case a.Score > b.Score:
			return 1
		}
		return strings.Compare(a.Member, b.Member)
	})
	if dst != nil {
		// Redis builds the result as a skiplist and converts it if small.
		z := ds.NewZSetSkiplist()
		for _, m := range out {
			z.AddString(m.Member, m.Score)
		}
		z.FitListpack()
		x.zStore(dst, z)
		return
	}
	x.zArray(len(out), withScores)
	for _, m := range out {
		x.zMember(m.Member, m.Score, withScores)
	}
}
