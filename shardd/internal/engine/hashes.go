package engine

import (
	"math/big"
	"math/rand/v2"
	"strconv"

	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/ds"
)

// hashCommands are the hash commands.
func hashCommands() map[string]handler {
	return map[string]handler{
		"hset":         cmdHSet,
		"hmset":        cmdHSet,
		"hsetnx":       cmdHSetNX,
		"hget":         cmdHGet,
		"hmget":        cmdHMGet,
		"hdel":         cmdHDel,
		"hlen":         cardinality(ds.KindHash),
		"hstrlen":      cmdHStrLen,
		"hexists":      cmdHExists,
		"hkeys":        cmdHKeys,
		"hvals":        cmdHVals,
		"hgetall":      cmdHGetAll,
		"hincrby":      cmdHIncrBy,
		"hincrbyfloat": cmdHIncrByFloat,
		"hrandfield":   cmdHRandField,
		"hscan":        cmdHScan,
	}
}

// Errors of the hash commands, worded as Redis 7.0 words them.
var (
	errHashNotInt   = simpleError("ERR hash value is not an integer")
	errHashNotFloat = simpleError("ERR hash value is not a float")
	errHashValueNaN = simpleError("ERR value is NaN or Infinity")
)

// lookupHash returns key's hash; nil if the key is missing.
func (x *Ctx) lookupHash(key []byte) (*ds.Hash, error) {
	v, err := x.lookupKind(key, ds.KindHash)
	if v == nil {
		return nil, err
	}
	return v.(*ds.Hash), nil
}

// hashForWrite returns key's hash, creating an empty one (not yet stored)
// if the key is missing; created tells which. The caller stores a
// created hash with x.set once it holds a field.
func (x *Ctx) hashForWrite(key []byte) (h *ds.Hash, created bool, err error) {
	h, err = x.lookupHash(key)
	if err != nil || h != nil {
		return h, false, err
	}
	return ds.NewHash(), true, nil
}

// hashStored finishes a write to key's hash h: it stores a new hash or
// records the change of an existing one.
func (x *Ctx) hashStored(key []byte, h *ds.Hash, created bool) {
	if created {
		x.set(key, h, 0)
	} else {
		x.changed(key)
	}
}

// hashLimits are hash-max-listpack-entries and hash-max-listpack-value.
func (x *Ctx) hashLimits() (entries, value int) {
	return int(min(x.e.cfg.Int("hash-max-listpack-entries"), 1<<40)),
		int(min(x.e.cfg.Int("hash-max-listpack-value"), 1<<40))
}

// hashConvertLong converts a listpack hash to a hashtable, as Redis does,
// when any of the given field or value lengths exceeds
// hash-max-listpack-value.
func (x *Ctx) hashConvertLong(h *ds.Hash, args [][]byte) {
	if !h.IsListpack() {
		return
	}
	_, maxValue := x.hashLimits()
	for _, a := range args {
		if len(a) > maxValue {
			h.Convert()
			return
		}
	}
}

// hashConvertSize converts a listpack hash holding more than
// hash-max-listpack-entries fields to a hashtable.
func (x *Ctx) hashConvertSize(h *ds.Hash) {
	if h.IsListpack() {
		if maxEntries, _ := x.hashLimits(); h.Len() > maxEntries {
			h.Convert()
		}
	}
}

// cmdHSet: HSET key field value [field value ...], and HMSET (which
// replies OK).
func cmdHSet(x *Ctx) {
	if len(x.args)%2 != 0 {
		x.r.Err(errArity(x.spec.Name))
		return
	}
	key := x.args[1]
	h, created, err := x.hashForWrite(key)
	if err != nil {
		x.r.Err(err)
		return
	}
	x.hashConvertLong(h, x.args[2:])
	var added int64
	for i := 2; i < len(x.args); i += 2 {
		if h.Set(x.args[i], x.args[i+1]) {
			added++
		}
	}
	x.hashConvertSize(h)
	x.hashStored(key, h, created)
	if x.spec.Name == "hmset" {
		x.r.OK()
	} else {
		x.r.Int(added)
	}
}

// cmdHSetNX: HSETNX key field value
func cmdHSetNX(x *Ctx) {
	key := x.args[1]
	h, created, err := x.hashForWrite(key)
	if err != nil {
		x.r.Err(err)
		return
	}
	if h.Has(x.args[2]) {
		x.r.Int(0)
		return
	}
	x.hashConvertLong(h, x.args[2:4])
	h.Set(x.args[2], x.args[3])
	x.hashConvertSize(h)
	x.hashStored(key, h, created)
	x.r.Int(1)
}

func cmdHGet(x *Ctx) {
	h, err := x.lookupHash(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	if h != nil {
		if v, ok := h.Get(x.args[2]); ok {
			x.r.BulkString(v)
			return
		}
	}
	x.r.Null()
}

// cmdHMGet: HMGET key field [field ...]
func cmdHMGet(x *Ctx) {
	h, err := x.lookupHash(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	fields := x.args[2:]
	x.r.Array(len(fields))
	for _, f := range fields {
		if h != nil {
			if v, ok := h.Get(f); ok {
				x.r.BulkString(v)
				continue
			}
		}
		x.r.Null()
	}
}

// cmdHDel: HDEL key field [field ...]
func cmdHDel(x *Ctx) {
	key := x.args[1]
	h, err := x.lookupHash(key)
	if err != nil {
		x.r.Err(err)
		return
	}
	if h == nil {
		x.r.Int(0)
		return
	}
	var n int64
	for _, f := range x.args[2:] {
		if h.Delete(f) {
			n++
			if h.Len() == 0 {
				break
			}
		}
	}
	if n > 0 {
		if h.Len() == 0 {
			x.del(key)
		} else {
			x.changed(key)
		}
	}
	x.r.Int(n)
}

func cmdHStrLen(x *Ctx) {
	h, err := x.lookupHash(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	var n int
	if h != nil {
		v, _ := h.Get(x.args[2])
		n = len(v)
	}
	x.r.Int(int64(n))
}

func cmdHExists(x *Ctx) {
	h, err := x.lookupHash(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
	case h != nil && h.Has(x.args[2]):
		x.r.Int(1)
	default:
		x.r.Int(0)
	}
}

func cmdHKeys(x *Ctx)   { hashGetAll(x, true, false) }
func cmdHVals(x *Ctx)   { hashGetAll(x, false, true) }
func cmdHGetAll(x *Ctx) { hashGetAll(x, true, true) }

// hashGetAll replies with the fields, the values or both (a map) of a
// hash.
func hashGetAll(x *Ctx, fields, values bool) {
	h, err := x.lookupHash(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if fields && values {
		x.r.Map(n)
	} else {
		x.r.Array(n)
	}
	for i := 0; i < n; i++ {
		f, v := h.At(i)
		if fields {
			x.r.BulkString(f)
		}
		if values {
			x.r.BulkString(v)
		}
	}
}

// cmdHIncrBy: HINCRBY key field increment
func cmdHIncrBy(x *Ctx) {
	incr, err := parseInt(x.args[3])
	if err != nil {
		x.r.Err(err)
		return
	}
	key, field := x.args[1], x.args[2]
	h, created, err := x.hashForWrite(key)
	if err != nil {
		x.r.Err(err)
		return
	}
	var old int64
	if s, ok := h.Get(field); ok {
		n, err := parseInt([]byte(s))
		if err != nil {
			x.r.Err(errHashNotInt)
			return
		}
		old = n
	}
	if (incr < 0 && old < 0 && incr < minInt64-old) || (incr > 0 && old > 0 && incr > maxInt64-old) {
		x.r.Err(ErrOverflow)
		return
	}
	var buf [24]byte
	v := strconv.AppendInt(buf[:0], old+incr, 10)
	x.hashConvertLong(h, [][]byte{field})
	h.Set(field, v)
	x.hashConvertSize(h)
	x.hashStored(key, h, created)
	x.r.Int(old + incr)
}

const (
	maxInt64 = 1<<63 - 1
	minInt64 = -1 << 63
)

// cmdHIncrByFloat: HINCRBYFLOAT key field increment. Redis adds in C's
// long double (x87 80-bit extended precision on x86-64) and stores the sum
// printed with "%.17Lf" minus trailing zeros; the long double emulation
// shared with INCRBYFLOAT (strings.go) reproduces both.
func cmdHIncrByFloat(x *Ctx) {
	incr, ok := parseLongDouble(x.args[3])
	if !ok {
		x.r.Err(ErrNotFloat)
		return
	}
	if incr.IsInf() {
		x.r.Err(errHashValueNaN)
		return
	}
	key, field := x.args[1], x.args[2]
	h, created, err := x.hashForWrite(key)
	if err != nil {
		x.r.Err(err)
		return
	}
	old := new(big.Float).SetPrec(ldMantBits)
	if s, ok := h.Get(field); ok {
		if old, ok = parseLongDouble([]byte(s)); !ok {
			x.r.Err(errHashNotFloat)
			return
		}
	}
	if old.IsInf() {
		x.r.Err(errIncrNaN)
		return
	}
	sum := new(big.Float).SetPrec(ldMantBits).Add(old, incr)
	if ldOverflows(sum) {
		x.r.Err(errIncrNaN)
		return
	}
	v := formatLongDouble(sum)
	pair := [][]byte{field, v}
	x.hashConvertLong(h, pair)
	h.Set(field, v)
	x.hashConvertSize(h)
	x.hashStored(key, h, created)
	x.r.Bulk(v)
}

// cmdHRandField: HRANDFIELD key [count [WITHVALUES]]
func cmdHRandField(x *Ctx) {
	if len(x.args) == 2 {
		h, err := x.lookupHash(x.args[1])
		switch {
		case err != nil:
			x.r.Err(err)
		case h == nil:
			x.r.Null()
		default:
			f, _ := h.At(rand.IntN(h.Len()))
			x.r.BulkString(f)
		}
		return
	}
	count, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	if count == minInt64 {
		x.r.Err(errRandCount)
		return
	}
	withValues := false
	if len(x.args) > 4 || (len(x.args) == 4 && !equalFold(x.args[3], "withvalues")) {
		x.r.Err(ErrSyntax)
		return
	}
	if len(x.args) == 4 {
		withValues = true
		if count < -maxInt64/2 || count > maxInt64/2 {
			x.r.Err(errOutOfRange)
			return
		}
	}
	h, err := x.lookupHash(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	if h == nil || count == 0 {
		x.r.Array(0)
		return
	}
	n := h.Len()
	resp3 := x.r.proto == 3
	// replyPair writes pair i: the field, and with WITHVALUES the value
	// (in RESP3 the two as an array of two).
	replyPair := func(i int) {
		f, v := h.At(i)
		if withValues && resp3 {
			x.r.Array(2)
		}
		x.r.BulkString(f)
		if withValues {
			x.r.BulkString(v)
		}
	}
	header := func(k int) {
		if withValues && !resp3 {
			x.r.Array(2 * k)
		} else {
			x.r.Array(k)
		}
	}
	switch {
	case count < 0 || count == 1:
		// Independent picks, repetitions allowed.
		k := count
		if k < 0 {
			k = -k
		}
		if k > maxHashRandReply {
			x.r.Err(errOutOfRange)
			return
		}
		header(int(k))
		for ; k > 0; k-- {
			replyPair(rand.IntN(n))
		}
	case count >= int64(n):
		header(n)
		for i := 0; i < n; i++ {
			replyPair(i)
		}
	default:
		// Distinct picks: a partial Fisher-Yates shuffle of the
		// positions.
		k := int(count)
		header(k)
		if k*3 > n {
			perm := make([]int32, n)
			for i := range perm {
				perm[i] = int32(i)
			}
			for i := 0; i < k; i++ {
				j := i + rand.IntN(n-i)
				perm[i], perm[j] = perm[j], perm[i]
				replyPair(int(perm[i]))
			}
			return
		}
		seen := make(map[int]struct{}, k)
		for len(seen) < k {
			i := rand.IntN(n)
			if _, dup := seen[i]; dup {
				continue
			}
			seen[i] = struct{}{}
			replyPair(i)
		}
	}
}

// maxHashRandReply caps HRANDFIELD's reply to a negative count. Redis tries
// to build any reply asked for and runs out of memory on absurd counts;
// shardd refuses those with "value is out of range" instead.
const maxHashRandReply = 1 << 25

// cmdHScan: HSCAN key cursor [MATCH pattern] [COUNT count]
//
// A hash that still has the listpack encoding is returned whole with
// cursor 0, as Redis does. A larger one is scanned by position from the
// last pair down: a cursor c > 0 means "positions below c are still to
// visit". Deleting a pair moves the last pair into its place, which can
// only move an already visited pair into the unvisited range (returned
// twice, which SCAN allows), never the other way, and new pairs are
// appended above every cursor; so every pair present for the whole scan
// is returned at least once, SCAN's guarantee.
func cmdHScan(x *Ctx) {
	cursor, ok := parseScanCursor(x.args[2])
	if !ok {
		x.r.Err(errInvalidCursor)
		return
	}
	h, err := x.lookupHash(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	if h == nil {
		x.r.Array(2)
		x.r.BulkString("0")
		x.r.Array(0)
		return
	}
	count := int64(10)
	var pattern []byte
	usePattern := false
	for i := 3; i < len(x.args); i += 2 {
		more := i+1 < len(x.args)
		switch opt := x.args[i]; {
		case equalFold(opt, "count") && more:
			n, err := parseInt(x.args[i+1])
			if err != nil {
				x.r.Err(err)
				return
			}
			if n < 1 {
				x.r.Err(ErrSyntax)
				return
			}
			count = n
		case equalFold(opt, "match") && more:
			pattern = x.args[i+1]
			usePattern = !(len(pattern) == 1 && pattern[0] == '*')
		default:
			x.r.Err(ErrSyntax)
			return
		}
	}
	n := h.Len()
	lo, hi := 0, n
	var next uint64
	if !h.IsListpack() {
		if cursor > 0 && cursor < uint64(n) {
			hi = int(cursor)
		}
		lo = max(0, hi-int(min(count, int64(hi))))
		next = uint64(lo)
	}
	matches := make([]int, 0, min(hi-lo, 1024))
	var pat string
	if usePattern {
		pat = string(pattern)
	}
	match := func(i int) {
		if usePattern {
			if f, _ := h.At(i); !config.Match(pat, f, false) {
				return
			}
		}
		matches = append(matches, i)
	}
	if h.IsListpack() {
		// In insertion order (while nothing was deleted), as Redis
		// lists a listpack.
		for i := lo; i < hi; i++ {
			match(i)
		}
	} else {
		for i := hi - 1; i >= lo; i-- {
			match(i)
		}
	}
	x.r.Array(2)
	var cbuf [20]byte
	x.r.Bulk(strconv.AppendUint(cbuf[:0], next, 10))
	x.r.Array(2 * len(matches))
	for _, i := range matches {
		f, v := h.At(i)
		x.r.BulkString(f)
		x.r.BulkString(v)
	}
}

// parseScanCursor parses a SCAN cursor as Redis does with strtoul: an
// optional sign (a negative value wraps), decimal digits, nothing else;
// the empty string is 0; a value beyond 2^64-1 is invalid. C stops at the
// first NUL byte.
func parseScanCursor(b []byte) (uint64, bool) {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	digits := b
	switch b[0] {
	case '-':
		neg, digits = true, b[1:]
	case '+':
		digits = b[1:]
	}
	if len(digits) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range digits {
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
