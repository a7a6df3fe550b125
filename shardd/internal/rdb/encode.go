package rdb

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/shardd/internal/ds"
)

// encoder appends RDB encodings to a buffer.
type encoder struct {
	compress bool // LZF-compress strings longer than 20 bytes (rdbcompression)
	lzf      *lzfCompressor
	scratch  []byte // a listpack or intset being built
	cbuf     []byte // compressed bytes
}

// appendLen appends an RDB length.
func appendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|len14<<6, byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, len32), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, len64), n)
}

// appendIntEncoded appends n in the 8, 16 or 32-bit string form; false if
// it does not fit in 32 bits.
func appendIntEncoded(b []byte, n int64) ([]byte, bool) {
	switch {
	case n >= math.MinInt8 && n <= math.MaxInt8:
		return append(b, lenSpec<<6|encInt8, byte(n)), true
	case n >= math.MinInt16 && n <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(b, lenSpec<<6|encInt16), uint16(n)), true
	case n >= math.MinInt32 && n <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32(append(b, lenSpec<<6|encInt32), uint32(n)), true
	}
	return b, false
}

// appendString appends s as Redis's rdbSaveRawString does: a short
// canonical integer in integer form, a string over 20 bytes LZF-compressed
// if that saves at least 4 bytes, else the length and the bytes.
func (e *encoder) appendString(b []byte, s []byte) []byte {
	if len(s) <= 11 {
		if n, ok := resp.ParseInt(s); ok {
			if b, ok := appendIntEncoded(b, n); ok {
				return b
			}
		}
	}
	if e.compress && len(s) > 20 {
		if e.lzf == nil {
			e.lzf = lzfPool.Get().(*lzfCompressor)
		}
		c, ok := e.lzf.compress(e.cbuf[:0], s, len(s)-4)
		e.cbuf = c[:0]
		if ok {
			b = appendLen(appendLen(append(b, lenSpec<<6|encLZF), uint64(len(c))), uint64(len(s)))
			return append(b, c...)
		}
	}
	return append(appendLen(b, uint64(len(s))), s...)
}

// release returns pooled state.
func (e *encoder) release() {
	if e.lzf != nil {
		lzfPool.Put(e.lzf)
		e.lzf = nil
	}
}

// objectType is the RDB type v is written as.
func objectType(v ds.Value) (byte, error) {
	switch v := v.(type) {
	case *ds.String:
		return typeString, nil
	case *ds.List:
		return typeListQuicklist2, nil
	case *ds.Set:
		if v.Encoding() == "intset" {
			return typeSetIntset, nil
		}
		return typeSet, nil
	case *ds.ZSet:
		if v.Encoding() == "listpack" {
			return typeZSetListpack, nil
		}
		return typeZSet2, nil
	case *ds.Hash:
		if v.IsListpack() {
			return typeHashListpack, nil
		}
		return typeHash, nil
	}
	return 0, fmt.Errorf("%w: %T", ErrUnsupported, v)
}

// appendObject appends v's type byte and encoding.
func (e *encoder) appendObject(b []byte, v ds.Value) ([]byte, error) {
	t, err := objectType(v)
	if err != nil {
		return b, err
	}
	return e.appendBody(append(b, t), v), nil
}

// appendBody appends v's encoding in the type objectType chose.
func (e *encoder) appendBody(b []byte, v ds.Value) []byte {
	switch v := v.(type) {
	case *ds.String:
		if v.Encoding() == "int" {
			// Redis saves an int-encoded string from its number;
			// the result is the same bytes as below.
			if n, ok := v.Int(); ok {
				if nb, ok := appendIntEncoded(b, n); ok {
					return nb
				}
			}
		}
		return e.appendString(b, v.B)
	case *ds.List:
		return e.appendList(b, v)
	case *ds.Set:
		return e.appendSet(b, v)
	case *ds.ZSet:
		return e.appendZSet(b, v)
	case *ds.Hash:
		return e.appendHash(b, v)
	}
	return b
}

// appendList writes a quicklist of listpack nodes of about listNodeBytes.
func (e *encoder) appendList(b []byte, l *ds.List) []byte {
	// Count the nodes first: the count precedes them.
	nodes := 0
	size := 0
	count := 0
	for i := 0; i < l.Len(); i++ {
		n := lpEntrySize(l.At(i))
		if count == 0 || size+n > listNodeBytes-lpOverhead || count == math.MaxUint16-1 {
			nodes++
			size, count = 0, 0
		}
		size += n
		count++
	}
	b = appendLen(b, uint64(nodes))
	lp := e.scratch[:0]
	lpStart := func() { lp = lpBegin(lp[:0]) }
	count = 0
	for i := 0; i < l.Len(); i++ {
		s := l.At(i)
		n := lpEntrySize(s)
		if count > 0 && (len(lp)-lpHeader+n > listNodeBytes-lpOverhead || count == math.MaxUint16-1) {
			b = e.appendString(appendLen(b, containerPacked), lpEnd(lp, count))
			count = 0
		}
		if count == 0 {
			lpStart()
		}
		lp = lpAppendString(lp, s)
		count++
	}
	if count > 0 {
		b = e.appendString(appendLen(b, containerPacked), lpEnd(lp, count))
	}
	e.scratch = lp[:0]
	return b
}

// appendSet writes an intset while the set is one, else a plain set.
func (e *encoder) appendSet(b []byte, s *ds.Set) []byte {
	if s.Encoding() == "intset" {
		width := 2
		for i := 0; i < s.Len(); i++ {
			n, _ := strconv.ParseInt(s.Member(i), 10, 64)
			switch {
			case n < math.MinInt32 || n > math.MaxInt32:
				width = 8
			case (n < math.MinInt16 || n > math.MaxInt16) && width < 4:
				width = 4
			}
		}
		is := binary.LittleEndian.AppendUint32(e.scratch[:0], uint32(width))
		is = binary.LittleEndian.AppendUint32(is, uint32(s.Len()))
		for i := 0; i < s.Len(); i++ {
			n, _ := strconv.ParseInt(s.Member(i), 10, 64)
			switch width {
			case 2:
				is = binary.LittleEndian.AppendUint16(is, uint16(n))
			case 4:
				is = binary.LittleEndian.AppendUint32(is, uint32(n))
			default:
				is = binary.LittleEndian.AppendUint64(is, uint64(n))
			}
		}
		b = e.appendString(b, is)
		e.scratch = is[:0]
		return b
	}
	b = appendLen(b, uint64(s.Len()))
	var buf []byte
	for i := 0; i < s.Len(); i++ {
		buf = s.AppendMember(buf[:0], i)
		b = e.appendString(b, buf)
	}
	return b
}

// appendZSet writes a listpack of member, score pairs in order while the
// set is small, else members with binary scores.
func (e *encoder) appendZSet(b []byte, z *ds.ZSet) []byte {
	if z.Encoding() == "listpack" {
		lp := lpBegin(e.scratch[:0])
		var num [32]byte
		z.Each(func(m ds.Member) bool {
			lp = lpAppendString(lp, m.Member)
			lp = lpAppendBytes(lp, appendScore(num[:0], m.Score))
			return true
		})
		b = e.appendString(b, lpEnd(lp, 2*z.Len()))
		e.scratch = lp[:0]
		return b
	}
	b = appendLen(b, uint64(z.Len()))
	// Redis writes from the tail so that loading inserts at the head;
	// the order does not matter to the loader.
	z.Each(func(m ds.Member) bool {
		b = e.appendString(b, []byte(m.Member))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.Score))
		return true
	})
	return b
}

// appendScore formats a score as Redis's d2string: an integer when the
// value is one (within ±2^52), "%.17g" otherwise.
func appendScore(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(b, "-0"...)
		}
		return append(b, '0')
	case f > -4503599627370495 && f < 4503599627370496 && f == float64(int64(f)):
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// appendHash writes a listpack of field, value pairs while the hash is
// one, else a plain hash.
func (e *encoder) appendHash(b []byte, h *ds.Hash) []byte {
	if h.IsListpack() {
		lp := lpBegin(e.scratch[:0])
		for i := 0; i < h.Len(); i++ {
			f, v := h.At(i)
			lp = lpAppendString(lp, f)
			lp = lpAppendString(lp, v)
		}
		b = e.appendString(b, lpEnd(lp, 2*h.Len()))
		e.scratch = lp[:0]
		return b
	}
	b = appendLen(b, uint64(h.Len()))
	for i := 0; i < h.Len(); i++ {
		f, v := h.At(i)
		b = e.appendString(b, []byte(f))
		b = e.appendString(b, []byte(v))
	}
	return b
}

// Listpacks: a 6-byte header (total bytes u32, element count u16, both
// little-endian; a count of 65535 means "count them"), the entries, and a
// 0xFF terminator. An entry is its encoding and data followed by their
// length ("backlen", 1-5 bytes) so it can be walked backwards.
const (
	lpHeader   = 6
	lpOverhead = lpHeader + 1
	lpEOF      = 0xFF
)

func lpBegin(b []byte) []byte { return append(b, 0, 0, 0, 0, 0, 0) }

// lpEnd terminates a listpack started with lpBegin and fills its header.
func lpEnd(lp []byte, count int) []byte {
	lp = append(lp, lpEOF)
	binary.LittleEndian.PutUint32(lp[0:], uint32(len(lp)))
	binary.LittleEndian.PutUint16(lp[4:], uint16(min(count, math.MaxUint16)))
	return lp
}

// lpBacklenSize is the size of the backlen of an entry of l bytes.
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func lpAppendBacklen(b []byte, l int) []byte {
	// Big-endian groups of 7 bits; all but the first byte carry the
	// continuation bit, as the entry is read backwards.
	n := lpBacklenSize(l)
	switch n {
	case 1:
		return append(b, byte(l))
	case 2:
		return append(b, byte(l>>7), byte(l&127)|128)
	case 3:
		return append(b, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case 4:
		return append(b, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
	return append(b, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
}

// lpIntSize is the encoded size (without backlen) of integer n.
func lpIntSize(n int64) int {
	switch {
	case n >= 0 && n <= 127:
		return 1
	case n >= -4096 && n <= 4095:
		return 2
	case n >= math.MinInt16 && n <= math.MaxInt16:
		return 3
	case n >= -1<<23 && n < 1<<23:
		return 4
	case n >= math.MinInt32 && n <= math.MaxInt32:
		return 5
	}
	return 9
}

// lpStrHeader is the size of a string entry's encoding byte(s).
func lpStrHeader(l int) int {
	switch {
	case l < 64:
		return 1
	case l < 4096:
		return 2
	}
	return 5
}

// lpEntrySize is the full size of s's entry.
func lpEntrySize(s string) int {
	var n int
	if v, ok := resp.ParseInt([]byte(s)); ok && len(s) <= 20 {
		n = lpIntSize(v)
	} else {
		n = lpStrHeader(len(s)) + len(s)
	}
	return n + lpBacklenSize(n)
}

func lpAppendString(lp []byte, s string) []byte {
	if len(s) <= 20 {
		if v, ok := resp.ParseInt([]byte(s)); ok {
			return lpAppendInt(lp, v)
		}
	}
	return lpAppendStr(lp, s)
}

func lpAppendBytes(lp []byte, s []byte) []byte {
	if v, ok := resp.ParseInt(s); ok {
		return lpAppendInt(lp, v)
	}
	return lpAppendStr(lp, string(s))
}

// lpAppendStr appends s as a string entry.
func lpAppendStr(lp []byte, s string) []byte {
	l := len(s)
	switch {
	case l < 64:
		lp = append(lp, 0x80|byte(l))
	case l < 4096:
		lp = append(lp, 0xE0|byte(l>>8), byte(l))
	default:
		lp = binary.LittleEndian.AppendUint32(append(lp, 0xF0), uint32(l))
	}
	lp = append(lp, s...)
	return lpAppendBacklen(lp, lpStrHeader(l)+l)
}

// lpAppendInt appends n in the smallest integer entry.
func lpAppendInt(lp []byte, n int64) []byte {
	size := lpIntSize(n)
	switch size {
	case 1:
		lp = append(lp, byte(n))
	case 2:
		u := uint64(n) & 0x1FFF
		lp = append(lp, 0xC0|byte(u>>8), byte(u))
	case 3:
		lp = binary.LittleEndian.AppendUint16(append(lp, 0xF1), uint16(n))
	case 4:
		lp = append(lp, 0xF2, byte(n), byte(n>>8), byte(n>>16))
	case 5:
		lp = binary.LittleEndian.AppendUint32(append(lp, 0xF3), uint32(n))
	default:
		lp = binary.LittleEndian.AppendUint64(append(lp, 0xF4), uint64(n))
	}
	return lpAppendBacklen(lp, size)
}
