package engine

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/shardis/shardis/shardd/internal/ds"
)

// Errors of the bitmap commands, worded as Redis 7.0 words them.
var (
	errBitOffset    = simpleError("ERR bit offset is not an integer or out of range")
	errBitValue     = simpleError("ERR bit is not an integer or out of range")
	errBitArg       = simpleError("ERR The bit argument must be 1 or 0.")
	errBitOpNot     = simpleError("ERR BITOP NOT must be called with a single source key.")
	errBitfieldType = simpleError("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
	errOverflowType = simpleError("ERR Invalid OVERFLOW type specified")
	errBitfieldRO   = simpleError("ERR BITFIELD_RO only supports the GET subcommand")
)

// bitOffset parses a bit offset as Redis's getBitOffsetFromArgument: a
// non-negative integer below proto-max-bulk-len*8; with hash, "#N" means
// N*width (wrapping on overflow, like Redis's C, and then refused).
func (x *Ctx) bitOffset(arg []byte, hash bool, width int) (int64, bool) {
	useHash := hash && len(arg) > 1 && arg[0] == '#'
	if useHash {
		arg = arg[1:]
	}
	n, err := parseInt(arg)
	if err == nil && useHash {
		n *= int64(width)
	}
	if err != nil || n < 0 || n>>3 >= x.maxBulk() {
		x.r.Err(errBitOffset)
		return 0, false
	}
	return n, true
}

// bitString returns key's string grown (with zero bytes) to hold bit
// maxBit, creating it if missing, as Redis's lookupStringForBitCommand;
// the value becomes raw. created tells whether the key was made (a change
// already counted), grown whether an existing value got longer (a change
// the caller must report). s is nil after replying an error.
func (x *Ctx) bitString(key []byte, maxBit int64) (s *ds.String, created, grown bool) {
	n := int(maxBit>>3) + 1
	e, found := x.lookup(key)
	if !found {
		s = ds.NewRawString(n)
		x.set(key, s, 0)
		return s, true, false
	}
	s, ok := e.Value.(*ds.String)
	if !ok {
		x.r.Err(ErrWrongType)
		return nil, false, false
	}
	old := len(s.B)
	s.GrowZero(n)
	return s, false, len(s.B) != old
}

// cmdSetBit: SETBIT key offset 0|1
func cmdSetBit(x *Ctx) {
	off, ok := x.bitOffset(x.args[2], false, 0)
	if !ok {
		return
	}
	on, err := parseInt(x.args[3])
	if err != nil || on&^1 != 0 {
		x.r.Err(errBitValue)
		return
	}
	s, created, _ := x.bitString(x.args[1], off)
	if s == nil {
		return
	}
	i, mask := off>>3, byte(1)<<(7-off&7)
	old := s.B[i]&mask != 0
	if on == 1 {
		s.B[i] |= mask
	} else {
		s.B[i] &^= mask
	}
	if !created {
		x.changed(x.args[1])
	}
	if old {
		x.r.Int(1)
	} else {
		x.r.Int(0)
	}
}

// cmdGetBit: GETBIT key offset
func cmdGetBit(x *Ctx) {
	off, ok := x.bitOffset(x.args[2], false, 0)
	if !ok {
		return
	}
	s, err := x.lookupString(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
	case s == nil || off>>3 >= int64(len(s.B)):
		x.r.Int(0)
	default:
		x.r.Int(int64(s.B[off>>3]>>(7-off&7)) & 1)
	}
}

// clampRange normalises BITCOUNT/BITPOS's inclusive range [start, end]
// over total units (bytes or bits) as Redis does: negative indexes count
// from the end, then both are clamped into the string. The range is empty
// when start > end afterwards.
func clampRange(start, end, total int64) (int64, int64) {
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start = max(start, 0)
	end = max(end, 0)
	if end >= total {
		end = total - 1
	}
	return start, end
}

// bitUnit parses BITCOUNT/BITPOS's BYTE|BIT option: true for BIT.
func bitUnit(x *Ctx, arg []byte) (isBit, ok bool) {
	switch {
	case equalFold(arg, "bit"):
		return true, true
	case equalFold(arg, "byte"):
		return false, true
	}
	x.r.Err(ErrSyntax)
	return false, false
}

// popcount counts the set bits of b.
func popcount(b []byte) int64 {
	var n int
	for len(b) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	for _, c := range b {
		n += bits.OnesCount8(c)
	}
	return int64(n)
}

// cmdBitCount: BITCOUNT key [start end [BYTE|BIT]]
func cmdBitCount(x *Ctx) {
	// Redis looks the key up first: a missing key counts 0 whatever
	// the other arguments.
	s, err := x.lookupString(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	if s == nil {
		x.r.Int(0)
		return
	}
	n := int64(len(s.B))
	from, to := int64(0), n*8-1 // in bits, inclusive
	switch len(x.args) {
	case 2:
	case 4, 5:
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
		if start < 0 && end < 0 && start > end {
			x.r.Int(0)
			return
		}
		isBit := false
		if len(x.args) == 5 {
			var ok bool
			if isBit, ok = bitUnit(x, x.args[4]); !ok {
				return
			}
		}
		from, to = bitSpan(start, end, n, isBit)
	default:
		x.r.Err(ErrSyntax)
		return
	}
	if from > to {
		x.r.Int(0)
		return
	}
	first, last := from>>3, to>>3
	count := popcount(s.B[first : last+1])
	// Take off the bits of the first and last bytes outside the range.
	count -= int64(bits.OnesCount8(s.B[first]&^(0xff>>(from&7))) + bits.OnesCount8(s.B[last]&(0x7f>>(to&7))))
	x.r.Int(count)
}

// bitSpan converts a BITCOUNT/BITPOS range of a string of n bytes to an
// inclusive range of bits; empty when from > to.
func bitSpan(start, end, n int64, isBit bool) (from, to int64) {
	if isBit {
		return clampRange(start, end, n*8)
	}
	start, end = clampRange(start, end, n)
	if start > end {
		return 0, -1
	}
	return start * 8, end*8 + 7
}

// cmdBitPos: BITPOS key bit [start [end [BYTE|BIT]]]
func cmdBitPos(x *Ctx) {
	bit, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	if bit != 0 && bit != 1 {
		x.r.Err(errBitArg)
		return
	}
	s, err := x.lookupString(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	if s == nil {
		// A missing key is an infinite run of zeros.
		x.r.Int(-bit)
		return
	}
	n := int64(len(s.B))
	from, to := int64(0), n*8-1 // in bits, inclusive
	endGiven := false
	switch len(x.args) {
	case 3:
	case 4, 5, 6:
		start, err := parseInt(x.args[3])
		if err != nil {
			x.r.Err(err)
			return
		}
		isBit := false
		if len(x.args) == 6 {
			var ok bool
			if isBit, ok = bitUnit(x, x.args[5]); !ok {
				return
			}
		}
		end := int64(-1)
		if len(x.args) >= 5 {
			if end, err = parseInt(x.args[4]); err != nil {
				x.r.Err(err)
				return
			}
			endGiven = true
		}
		from, to = bitSpan(start, end, n, isBit)
	default:
		x.r.Err(ErrSyntax)
		return
	}
	if from > to {
		x.r.Int(-1)
		return
	}
	if pos := findBit(s.B, from, to, bit == 1); pos >= 0 {
		x.r.Int(pos)
		return
	}
	// Not found. Looking for a clear bit without an explicit end, the
	// string counts as padded with zeros: the answer is the first bit
	// after it.
	if bit == 0 && !endGiven {
		x.r.Int(to + 1)
		return
	}
	x.r.Int(-1)
}

// findBit returns the position of the first bit set (or clear, for
// !set) in bits [from, to] of b, or -1.
func findBit(b []byte, from, to int64, set bool) int64 {
	var flip byte
	if !set {
		flip = 0xff
	}
	// A partial first byte.
	for from <= to && from&7 != 0 {
		if (b[from>>3]^flip)>>(7-from&7)&1 != 0 {
			return from
		}
		from++
	}
	// Whole bytes, a word at a time.
	var flip64 uint64
	if !set {
		flip64 = math.MaxUint64
	}
	for from+63 <= to {
		if w := binary.BigEndian.Uint64(b[from>>3:]) ^ flip64; w != 0 {
			return from + int64(bits.LeadingZeros64(w))
		}
		from += 64
	}
	for from+7 <= to {
		if c := b[from>>3] ^ flip; c != 0 {
			return from + int64(bits.LeadingZeros8(c))
		}
		from += 8
	}
	for ; from <= to; from++ {
		if (b[from>>3]^flip)>>(7-from&7)&1 != 0 {
			return from
		}
	}
	return -1
}

// cmdBitOp: BITOP AND|OR|XOR|NOT destkey key [key ...]
func cmdBitOp(x *Ctx) {
	op := x.args[1]
	var and, or, xor, not bool
	switch {
	case equalFold(op, "and"):
		and = true
	case equalFold(op, "or"):
		or = true
	case equalFold(op, "xor"):
		xor = true
	case equalFold(op, "not"):
		not = true
	default:
		x.r.Err(ErrSyntax)
		return
	}
	if not && len(x.args) != 4 {
		x.r.Err(errBitOpNot)
		return
	}
	dest := x.args[2]
	srcs := make([][]byte, len(x.args)-3)
	maxLen := 0
	for i, k := range x.args[3:] {
		s, err := x.lookupString(k)
		if err != nil {
			x.r.Err(err)
			return
		}
		if s != nil {
			srcs[i] = s.B
			maxLen = max(maxLen, len(s.B))
		}
	}
	if maxLen == 0 {
		x.del(dest)
		x.r.Int(0)
		return
	}
	res := ds.NewRawString(maxLen)
	out := res.B
	switch {
	case not:
		for i, c := range srcs[0] {
			out[i] = ^c
		}
		for i := len(srcs[0]); i < maxLen; i++ {
			out[i] = 0xff
		}
	case and:
		copy(out, srcs[0])
		for _, s := range srcs[1:] {
			for i := range out {
				if i < len(s) {
					out[i] &= s[i]
				} else {
					clear(out[i:])
					break
				}
			}
		}
	default:
		copy(out, srcs[0])
		for _, s := range srcs[1:] {
			if or {
				for i, c := range s {
					out[i] |= c
				}
			} else if xor {
				for i, c := range s {
					out[i] ^= c
				}
			}
		}
	}
	x.set(dest, res, 0)
	x.r.Int(int64(maxLen))
}

// BITFIELD operations.
const (
	bfGet = iota
	bfSet
	bfIncrBy
)

// Overflow behaviours.
const (
	bfWrap = iota
	bfSat
	bfFail
)

type bitfieldOp struct {
	op       int
	overflow int
	signed   bool
	width    int
	offset   int64
	value    int64
}

// parseBitfieldType parses a BITFIELD type as Redis's
// getBitfieldTypeFromArgument: 'i' or 'u' (lower case), then the width as
// a C string (it ends at a NUL byte): i1..i64, u1..u63.
func parseBitfieldType(b []byte) (signed bool, width int, ok bool) {
	if len(b) == 0 || (b[0] != 'i' && b[0] != 'u') {
		return false, 0, false
	}
	signed = b[0] == 'i'
	w := b[1:]
	for i, c := range w {
		if c == 0 {
			w = w[:i]
			break
		}
	}
	n, err := parseInt(w)
	if err != nil || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, int(n), true
}

func cmdBitField(x *Ctx)   { bitfield(x, false) }
func cmdBitFieldRO(x *Ctx) { bitfield(x, true) }

// bitfield is BITFIELD and BITFIELD_RO: BITFIELD key [GET type offset]
// [SET type offset value] [INCRBY type offset increment]
// [OVERFLOW WRAP|SAT|FAIL] ...
func bitfield(x *Ctx, readOnly bool) {
	var ops []bitfieldOp
	overflow := bfWrap
	writes := false
	var highest int64
	for i := 2; i < len(x.args); i++ {
		rem := len(x.args) - i - 1
		a := x.args[i]
		var op int
		switch {
		case equalFold(a, "get") && rem >= 2:
			op = bfGet
		case equalFold(a, "set") && rem >= 3:
			op = bfSet
		case equalFold(a, "incrby") && rem >= 3:
			op = bfIncrBy
		case equalFold(a, "overflow") && rem >= 1:
			i++
			switch t := x.args[i]; {
			case equalFold(t, "wrap"):
				overflow = bfWrap
			case equalFold(t, "sat"):
				overflow = bfSat
			case equalFold(t, "fail"):
				overflow = bfFail
			default:
				x.r.Err(errOverflowType)
				return
			}
			continue
		default:
			x.r.Err(ErrSyntax)
			return
		}
		signed, width, ok := parseBitfieldType(x.args[i+1])
		if !ok {
			x.r.Err(errBitfieldType)
			return
		}
		off, ok := x.bitOffset(x.args[i+2], true, width)
		if !ok {
			return
		}
		o := bitfieldOp{op: op, overflow: overflow, signed: signed, width: width, offset: off}
		if op != bfGet {
			writes = true
			highest = max(highest, off+int64(width)-1)
			v, err := parseInt(x.args[i+3])
			if err != nil {
				x.r.Err(err)
				return
			}
			o.value = v
			i++
		}
		ops = append(ops, o)
		i += 2
	}
	key := x.args[1]
	var s *ds.String
	var created, grown bool
	if !writes {
		var err error
		if s, err = x.lookupString(key); err != nil {
			x.r.Err(err)
			return
		}
	} else {
		if readOnly {
			x.r.Err(errBitfieldRO)
			return
		}
		if s, created, grown = x.bitString(key, highest); s == nil {
			return
		}
	}
	changes := 0
	x.r.Array(len(ops))
	for _, o := range ops {
		if o.op == bfGet {
			var buf [9]byte
			byteOff := o.offset >> 3
			if s != nil && byteOff < int64(len(s.B)) {
				copy(buf[:], s.B[byteOff:])
			}
			v := getBits(buf[:], o.offset-byteOff*8, o.width)
			if o.signed {
				x.r.Int(signExtend(v, o.width))
			} else {
				x.r.Int(int64(v))
			}
			continue
		}
		old := getBits(s.B, o.offset, o.width)
		var next, ret uint64
		var over bool
		if o.signed {
			oldv := signExtend(old, o.width)
			var nv int64
			if o.op == bfIncrBy {
				w, ovf := signedOverflow(oldv, o.value, o.width, o.overflow)
				nv = oldv + o.value
				if ovf {
					nv = w
				}
				over = ovf
				ret = uint64(nv)
			} else {
				nv = o.value
				w, ovf := signedOverflow(nv, 0, o.width, o.overflow)
				if ovf {
					nv = w
				}
				over = ovf
				ret = uint64(oldv)
			}
			next = uint64(nv)
		} else {
			if o.op == bfIncrBy {
				next = old + uint64(o.value)
				w, ovf := unsignedOverflow(old, o.value, o.width, o.overflow)
				if ovf {
					next = w
				}
				over = ovf
				ret = next
			} else {
				next = uint64(o.value)
				w, ovf := unsignedOverflow(next, 0, o.width, o.overflow)
				if ovf {
					next = w
				}
				over = ovf
				ret = old
			}
		}
		if over && o.overflow == bfFail {
			x.r.Null()
			continue
		}
		x.r.Int(int64(ret))
		setBits(s.B, o.offset, o.width, next)
		changes++
	}
	if !created && (grown || changes > 0) {
		x.changed(key)
	}
}

// getBits reads width bits of b from bit offset, most significant first.
func getBits(b []byte, offset int64, width int) uint64 {
	var v uint64
	for i := 0; i < width; i++ {
		bit := uint64(b[offset>>3]>>(7-offset&7)) & 1
		v = v<<1 | bit
		offset++
	}
	return v
}

// setBits writes the low width bits of v into b at bit offset.
func setBits(b []byte, offset int64, width int, v uint64) {
	for i := 0; i < width; i++ {
		mask := byte(1) << (7 - offset&7)
		if v>>(width-1-i)&1 != 0 {
			b[offset>>3] |= mask
		} else {
			b[offset>>3] &^= mask
		}
		offset++
	}
}

// signExtend interprets the low width bits of v as a signed integer.
func signExtend(v uint64, width int) int64 {
	if width < 64 && v&(1<<(width-1)) != 0 {
		v |= math.MaxUint64 << width
	}
	return int64(v)
}

// unsignedOverflow is Redis's checkUnsignedBitfieldOverflow: whether
// value+incr leaves the range of a width-bit unsigned field, and the value
// to store instead under WRAP or SAT.
func unsignedOverflow(value uint64, incr int64, width, how int) (uint64, bool) {
	maxv := uint64(1)<<width - 1
	maxIncr := int64(maxv - value)
	minIncr := -int64(value)
	var limit uint64
	switch {
	case value > maxv || (incr > 0 && incr > maxIncr):
		limit = maxv
	case incr < 0 && incr < minIncr:
		limit = 0
	default:
		return 0, false
	}
	if how == bfWrap {
		limit = (value + uint64(incr)) &^ (math.MaxUint64 << width)
	}
	return limit, true
}

// signedOverflow is Redis's checkSignedBitfieldOverflow for a width-bit
// signed field.
func signedOverflow(value, incr int64, width, how int) (int64, bool) {
	maxv := int64(math.MaxInt64)
	if width < 64 {
		maxv = 1<<(width-1) - 1
	}
	minv := -maxv - 1
	maxIncr := int64(uint64(maxv) - uint64(value))
	minIncr := minv - value // may wrap, as in Redis; used only when it does not
	var limit int64
	switch {
	case value > maxv || (width != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		limit = maxv
	case value < minv || (width != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		limit = minv
	default:
		return 0, false
	}
	if how == bfWrap {
		c := uint64(value) + uint64(incr)
		if width < 64 {
			mask := uint64(math.MaxUint64) << width
			if c&(1<<(width-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		limit = int64(c)
	}
	return limit, true
}
