package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/shardis/shardis/shardd/internal/ds"
)

// Parsers of the encodings Redis stores as one string ("blobs"):
// listpacks, ziplists, intsets and zipmaps. They check every offset
// against the blob and report problems as *blobError with the position
// inside the blob; the reader turns that into a CorruptError at the blob's
// offset.

type blobError struct{ msg string }

func (e *blobError) Error() string { return e.msg }

func blobErr(kind string, at int, format string, args ...any) error {
	return &blobError{fmt.Sprintf("%s: %s at byte %d", kind, fmt.Sprintf(format, args...), at)}
}

// blobMsg is the message of a parser error.
func blobMsg(err error) string {
	var be *blobError
	if errors.As(err, &be) {
		return be.msg
	}
	return err.Error()
}

// lpEach calls fn with every entry of listpack lp (integers in decimal);
// the slice is valid only during the call.
func lpEach(lp []byte, fn func(e []byte) error) error {
	const kind = "listpack"
	if len(lp) < lpOverhead {
		return blobErr(kind, 0, "%d bytes is too short", len(lp))
	}
	if total := binary.LittleEndian.Uint32(lp); uint64(total) != uint64(len(lp)) {
		return blobErr(kind, 0, "header says %d bytes, blob has %d", total, len(lp))
	}
	if lp[len(lp)-1] != lpEOF {
		return blobErr(kind, len(lp)-1, "missing terminator")
	}
	declared := int(binary.LittleEndian.Uint16(lp[4:]))
	var num [24]byte
	count := 0
	p := lpHeader
	end := len(lp) - 1
	for p < end {
		at := p
		c := lp[p]
		var hdr, dlen int // encoding bytes, data bytes
		var isInt bool
		var v int64
		need := func(n int) bool { return p+n <= end }
		switch {
		case c&0x80 == 0:
			hdr, isInt, v = 1, true, int64(c)
		case c&0xC0 == 0x80:
			hdr, dlen = 1, int(c&0x3F)
		case c&0xE0 == 0xC0:
			if !need(2) {
				return blobErr(kind, at, "truncated entry")
			}
			u := int64(c&0x1F)<<8 | int64(lp[p+1])
			if u >= 1<<12 {
				u -= 1 << 13
			}
			hdr, isInt, v = 2, true, u
		case c&0xF0 == 0xE0:
			if !need(2) {
				return blobErr(kind, at, "truncated entry")
			}
			hdr, dlen = 2, int(c&0x0F)<<8|int(lp[p+1])
		case c == 0xF0:
			if !need(5) {
				return blobErr(kind, at, "truncated entry")
			}
			hdr, dlen = 5, int(binary.LittleEndian.Uint32(lp[p+1:]))
		case c >= 0xF1 && c <= 0xF4:
			size := [...]int{3, 4, 5, 9}[c-0xF1]
			if !need(size) {
				return blobErr(kind, at, "truncated entry")
			}
			var buf [8]byte
			copy(buf[:], lp[p+1:p+size])
			u := binary.LittleEndian.Uint64(buf[:])
			switch c {
			case 0xF1:
				v = int64(int16(u))
			case 0xF2:
				v = int64(int32(uint32(u)<<8)) >> 8
			case 0xF3:
				v = int64(int32(u))
			default:
				v = int64(u)
			}
			hdr, isInt = size, true
		default:
			return blobErr(kind, at, "invalid entry encoding 0x%02x", c)
		}
		size := hdr + dlen
		bl := lpBacklenSize(size)
		if dlen > end-p || p+size+bl > end {
			return blobErr(kind, at, "entry overruns the listpack")
		}
		var want [5]byte
		if string(lpAppendBacklen(want[:0], size)) != string(lp[p+size:p+size+bl]) {
			return blobErr(kind, at, "wrong entry length")
		}
		var e []byte
		if isInt {
			e = strconv.AppendInt(num[:0], v, 10)
		} else {
			e = lp[p+hdr : p+size]
		}
		if err := fn(e); err != nil {
			return err
		}
		count++
		p += size + bl
	}
	if declared != math.MaxUint16 && declared != count {
		return blobErr(kind, 4, "header says %d entries, found %d", declared, count)
	}
	return nil
}

// zlEach calls fn with every entry of ziplist zl (integers in decimal).
func zlEach(zl []byte, fn func(e []byte) error) error {
	const kind = "ziplist"
	const hdrSize = 10
	if len(zl) < hdrSize+1 {
		return blobErr(kind, 0, "%d bytes is too short", len(zl))
	}
	if total := binary.LittleEndian.Uint32(zl); uint64(total) != uint64(len(zl)) {
		return blobErr(kind, 0, "header says %d bytes, blob has %d", total, len(zl))
	}
	if zl[len(zl)-1] != 0xFF {
		return blobErr(kind, len(zl)-1, "missing terminator")
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	declared := int(binary.LittleEndian.Uint16(zl[8:]))
	var num [24]byte
	count, prev, last := 0, 0, hdrSize
	p := hdrSize
	end := len(zl) - 1
	for p < end {
		at := p
		// Length of the previous entry.
		var prevlen int
		if zl[p] < 254 {
			prevlen = int(zl[p])
			p++
		} else if zl[p] == 254 && p+5 <= end {
			prevlen = int(binary.LittleEndian.Uint32(zl[p+1:]))
			p += 5
		} else {
			return blobErr(kind, at, "invalid previous-entry length")
		}
		if prevlen != prev {
			return blobErr(kind, at, "previous-entry length %d, previous entry has %d bytes", prevlen, prev)
		}
		if p >= end {
			return blobErr(kind, at, "truncated entry")
		}
		c := zl[p]
		var hdr, dlen int
		var isInt bool
		var v int64
		need := func(n int) bool { return p+n <= end }
		switch {
		case c>>6 == 0:
			hdr, dlen = 1, int(c&0x3F)
		case c>>6 == 1:
			if !need(2) {
				return blobErr(kind, at, "truncated entry")
			}
			hdr, dlen = 2, int(c&0x3F)<<8|int(zl[p+1])
		case c>>6 == 2:
			if !need(5) {
				return blobErr(kind, at, "truncated entry")
			}
			hdr, dlen = 5, int(binary.BigEndian.Uint32(zl[p+1:]))
		case c >= 0xF1 && c <= 0xFD:
			hdr, isInt, v = 1, true, int64(c&0x0F)-1
		default:
			var size int
			switch c {
			case 0xC0:
				size = 2
			case 0xD0:
				size = 4
			case 0xE0:
				size = 8
			case 0xF0:
				size = 3
			case 0xFE:
				size = 1
			default:
				return blobErr(kind, at, "invalid entry encoding 0x%02x", c)
			}
			if !need(1 + size) {
				return blobErr(kind, at, "truncated entry")
			}
			var buf [8]byte
			copy(buf[:], zl[p+1:p+1+size])
			u := binary.LittleEndian.Uint64(buf[:])
			switch c {
			case 0xC0:
				v = int64(int16(u))
			case 0xD0:
				v = int64(int32(u))
			case 0xE0:
				v = int64(u)
			case 0xF0:
				v = int64(int32(uint32(u)<<8)) >> 8
			default:
				v = int64(int8(u))
			}
			hdr, isInt = 1+size, true
		}
		if dlen > end-p || p+hdr+dlen > end {
			return blobErr(kind, at, "entry overruns the ziplist")
		}
		var e []byte
		if isInt {
			e = strconv.AppendInt(num[:0], v, 10)
		} else {
			e = zl[p+hdr : p+hdr+dlen]
		}
		if err := fn(e); err != nil {
			return err
		}
		count++
		last = at
		p += hdr + dlen
		prev = p - at
	}
	if tail != last {
		return blobErr(kind, 4, "tail offset %d, last entry at %d", tail, last)
	}
	if declared != math.MaxUint16 && declared != count {
		return blobErr(kind, 8, "header says %d entries, found %d", declared, count)
	}
	return nil
}

// intsetEach calls fn with every member of intset is.
func intsetEach(is []byte, fn func(n int64) error) error {
	const kind = "intset"
	if len(is) < 8 {
		return blobErr(kind, 0, "%d bytes is too short", len(is))
	}
	width := binary.LittleEndian.Uint32(is)
	if width != 2 && width != 4 && width != 8 {
		return blobErr(kind, 0, "invalid encoding %d", width)
	}
	n := binary.LittleEndian.Uint32(is[4:])
	if n == 0 {
		return blobErr(kind, 4, "empty intset")
	}
	if uint64(len(is)-8) != uint64(n)*uint64(width) {
		return blobErr(kind, 4, "%d members of %d bytes do not fill %d bytes", n, width, len(is)-8)
	}
	for p := 8; p < len(is); p += int(width) {
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(is[p:])))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(is[p:])))
		default:
			v = int64(binary.LittleEndian.Uint64(is[p:]))
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// zipmapEach calls fn with every field and value of zipmap zm (Redis 2.4
// hashes).
func zipmapEach(zm []byte, fn func(f, v []byte) error) error {
	const kind = "zipmap"
	if len(zm) < 2 {
		return blobErr(kind, 0, "%d bytes is too short", len(zm))
	}
	declared := int(zm[0])
	p := 1
	// strlen reads a zipmap length: one byte below 254, or 254 and
	// four little-endian bytes.
	strlen := func() (int, bool) {
		if p >= len(zm) {
			return 0, false
		}
		c := zm[p]
		if c < 254 {
			p++
			return int(c), true
		}
		if c == 254 && p+5 <= len(zm) {
			n := int(binary.LittleEndian.Uint32(zm[p+1:]))
			p += 5
			return n, true
		}
		return 0, false
	}
	count := 0
	for {
		if p >= len(zm) {
			return blobErr(kind, p, "missing terminator")
		}
		if zm[p] == 0xFF {
			if p != len(zm)-1 {
				return blobErr(kind, p, "data after the terminator")
			}
			break
		}
		at := p
		flen, ok := strlen()
		if !ok || flen > len(zm)-p {
			return blobErr(kind, at, "invalid field length")
		}
		f := zm[p : p+flen]
		p += flen
		vlen, ok := strlen()
		if !ok || p >= len(zm) {
			return blobErr(kind, at, "invalid value length")
		}
		free := int(zm[p])
		p++
		if vlen > len(zm)-p || free > len(zm)-p-vlen {
			return blobErr(kind, at, "value overruns the zipmap")
		}
		v := zm[p : p+vlen]
		p += vlen + free
		if err := fn(f, v); err != nil {
			return err
		}
		count++
	}
	if declared < 254 && declared != count {
		return blobErr(kind, 0, "header says %d entries, found %d", declared, count)
	}
	return nil
}

// blobValue builds the value of a blob-encoded type, with the encoding
// Redis 7.0 gives it after loading.
func (r *reader) blobValue(t byte, blob []byte) (ds.Value, error) {
	switch t {
	case typeListZiplist:
		l := ds.NewList()
		if err := zlEach(blob, func(e []byte) error { l.PushRight(e); return nil }); err != nil {
			return nil, err
		}
		if l.Len() == 0 {
			return nil, errEmpty
		}
		return l, nil
	case typeSetIntset:
		s := ds.NewSet()
		var num [24]byte
		err := intsetEach(blob, func(n int64) error {
			if !s.Add(strconv.AppendInt(num[:0], n, 10), r.lim.SetMaxIntsetEntries) {
				return &blobError{fmt.Sprintf("intset: duplicate member %d", n)}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	case typeHashZipmap:
		h := ds.NewHash()
		maxLen := 0
		err := zipmapEach(blob, func(f, v []byte) error {
			maxLen = max(maxLen, len(f), len(v))
			if !h.Set(f, v) {
				return &blobError{fmt.Sprintf("zipmap: duplicate field %q", f)}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if h.Len() == 0 {
			return nil, errEmpty
		}
		if h.Len() > r.lim.HashMaxListpackEntries || maxLen > r.lim.HashMaxListpackValue {
			h.Convert()
		}
		return h, nil
	case typeHashZiplist, typeHashListpack:
		h := ds.NewHash()
		var field []byte
		odd := false
		each := lpEach
		if t == typeHashZiplist {
			each = zlEach
		}
		err := each(blob, func(e []byte) error {
			if odd = !odd; odd {
				field = append(field[:0], e...)
				return nil
			}
			if !h.Set(field, e) {
				return &blobError{fmt.Sprintf("hash: duplicate field %q", field)}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if odd {
			return nil, &blobError{"hash: field without a value"}
		}
		if h.Len() == 0 {
			return nil, errEmpty
		}
		// Redis converts by count only here; long strings stay in
		// the listpack.
		if h.Len() > r.lim.HashMaxListpackEntries {
			h.Convert()
		}
		return h, nil
	case typeZSetZiplist, typeZSetListpack:
		z := ds.NewZSet()
		var member []byte
		odd := false
		each := lpEach
		if t == typeZSetZiplist {
			each = zlEach
		}
		err := each(blob, func(e []byte) error {
			if odd = !odd; odd {
				member = append(member[:0], e...)
				return nil
			}
			score, err := strconv.ParseFloat(string(e), 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(score) {
				return &blobError{fmt.Sprintf("zset: invalid score %q", e)}
			}
			if !z.Add(member, score) {
				return &blobError{fmt.Sprintf("zset: duplicate member %q", member)}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if odd {
			return nil, &blobError{"zset: member without a score"}
		}
		if z.Len() == 0 {
			return nil, errEmpty
		}
		return z, nil
	}
	return nil, &blobError{fmt.Sprintf("unknown blob type %d", t)}
}
