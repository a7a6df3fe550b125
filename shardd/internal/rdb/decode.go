package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"strconv"

	"github.com/hdt3213/rdb/crc64jones"
	"github.com/hdt3213/rdb/lzf"
	"github.com/shardis/shardis/shardd/internal/ds"
)

// source is what the reader consumes: a *bufio.Reader, or a byte slice.
// Peek and Discard let the reader look at the next bytes without copying
// and consume exactly what it decoded, so a file reader can stop right
// after the checksum.
type source interface {
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
}

// sliceSource is a source over a byte slice.
type sliceSource struct{ b []byte }

func (s *sliceSource) Peek(n int) ([]byte, error) {
	if n > len(s.b) {
		return s.b, io.EOF
	}
	return s.b[:n], nil
}

func (s *sliceSource) Discard(n int) (int, error) {
	s.b = s.b[n:]
	return n, nil
}

// chunk is the most a reader peeks at once (bufio's buffer must hold it).
const chunk = 32 << 10

// reader decodes RDB from a source, counting the offset and, for files,
// the CRC64 of what it consumed.
type reader struct {
	src  source
	off  int64       // bytes consumed
	crc  hash.Hash64 // nil: no checksum
	left int64       // bytes left in a slice source, or -1 for a stream
	lim  Limits
	key  []byte // the key being decoded, for error messages
}

func newSliceReader(b []byte, lim *Limits) *reader {
	return &reader{src: &sliceSource{b}, left: int64(len(b)), lim: limitsOrDefault(lim)}
}

func newStreamReader(r io.Reader, lim *Limits) *reader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < chunk {
		br = bufio.NewReaderSize(r, 2*chunk)
	}
	return &reader{src: br, left: -1, crc: crc64jones.New(), lim: limitsOrDefault(lim)}
}

// corrupt returns a CorruptError at the current offset.
func (r *reader) corrupt(format string, args ...any) error {
	return r.corruptAt(r.off, format, args...)
}

func (r *reader) corruptAt(off int64, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	if r.key != nil {
		reason = fmt.Sprintf("key %q: %s", r.key, reason)
	}
	return &CorruptError{Offset: off, Reason: reason}
}

// fail turns a source error into the error to return.
func (r *reader) fail(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return r.corrupt("unexpected end of data")
	}
	return fmt.Errorf("rdb: read at offset %d: %w", r.off, err)
}

// consume drops p (len(p) bytes peeked) from the source.
func (r *reader) consume(p []byte) {
	if r.crc != nil {
		r.crc.Write(p)
	}
	r.src.Discard(len(p))
	r.off += int64(len(p))
	if r.left >= 0 {
		r.left -= int64(len(p))
	}
}

// peek returns the next n (<= chunk) bytes without consuming them.
func (r *reader) peek(n int) ([]byte, error) {
	p, err := r.src.Peek(n)
	if len(p) < n {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, r.fail(err)
	}
	return p, nil
}

func (r *reader) byte() (byte, error) {
	p, err := r.peek(1)
	if err != nil {
		return 0, err
	}
	c := p[0]
	r.consume(p)
	return c, nil
}

// fixed reads n (<= 8) bytes into a little-endian integer.
func (r *reader) fixed(n int) (uint64, error) {
	p, err := r.peek(n)
	if err != nil {
		return 0, err
	}
	var buf [8]byte
	copy(buf[:], p)
	r.consume(p)
	return binary.LittleEndian.Uint64(buf[:]), nil
}

// append reads n bytes onto dst. Memory grows with the data actually
// read, so a corrupt length cannot allocate more than the input holds.
func (r *reader) append(dst []byte, n uint64) ([]byte, error) {
	if r.left >= 0 && n > uint64(r.left) {
		return dst, r.corrupt("length %d exceeds the %d bytes left", n, r.left)
	}
	for n > 0 {
		k := int(min(n, chunk))
		p, err := r.src.Peek(k)
		if len(p) < k {
			// Consume what is there so the offset shows where the
			// data ended.
			r.consume(p)
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return dst, r.fail(err)
		}
		dst = append(dst, p...)
		r.consume(p)
		n -= uint64(k)
	}
	return dst, nil
}

// length reads an RDB length. special is set (and n is the encoding) for
// the special string encodings.
func (r *reader) length() (n uint64, special bool, err error) {
	c, err := r.byte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case len6:
		return uint64(c & 0x3F), false, nil
	case len14:
		d, err := r.byte()
		return uint64(c&0x3F)<<8 | uint64(d), false, err
	case lenSpec:
		return uint64(c & 0x3F), true, nil
	}
	switch c {
	case len32:
		p, err := r.peek(4)
		if err != nil {
			return 0, false, err
		}
		n = uint64(binary.BigEndian.Uint32(p))
		r.consume(p)
		return n, false, nil
	case len64:
		p, err := r.peek(8)
		if err != nil {
			return 0, false, err
		}
		n = binary.BigEndian.Uint64(p)
		r.consume(p)
		return n, false, nil
	}
	return 0, false, r.corruptAt(r.off-1, "unknown length encoding 0x%02x", c)
}

// count reads a plain length (an element count).
func (r *reader) count() (uint64, error) {
	start := r.off
	n, special, err := r.length()
	if err == nil && special {
		err = r.corruptAt(start, "string encoding where a length was expected")
	}
	return n, err
}

// maxLZFRatio bounds how much LZF can expand: a 3-byte back reference
// produces at most 264 bytes.
const maxLZFRatio = 88

// str reads an RDB string onto dst[:0].
func (r *reader) str(dst []byte) ([]byte, error) {
	start := r.off
	n, special, err := r.length()
	if err != nil {
		return dst, err
	}
	if !special {
		return r.append(dst[:0], n)
	}
	switch n {
	case encInt8:
		v, err := r.fixed(1)
		return strconv.AppendInt(dst[:0], int64(int8(v)), 10), err
	case encInt16:
		v, err := r.fixed(2)
		return strconv.AppendInt(dst[:0], int64(int16(v)), 10), err
	case encInt32:
		v, err := r.fixed(4)
		return strconv.AppendInt(dst[:0], int64(int32(v)), 10), err
	case encLZF:
		clen, err := r.count()
		if err != nil {
			return dst, err
		}
		ulen, err := r.count()
		if err != nil {
			return dst, err
		}
		if ulen > clen*maxLZFRatio || ulen > math.MaxInt32 {
			return dst, r.corruptAt(start, "LZF string of %d bytes cannot expand to %d", clen, ulen)
		}
		comp, err := r.append(nil, clen)
		if err != nil {
			return dst, err
		}
		if ulen == 0 {
			if clen != 0 {
				return dst, r.corruptAt(start, "invalid LZF compressed string")
			}
			return dst[:0], nil
		}
		out, err := lzf.Decompress(comp, len(comp), int(ulen))
		if err != nil || uint64(len(out)) != ulen {
			return dst, r.corruptAt(start, "invalid LZF compressed string")
		}
		return out, nil
	}
	return dst, r.corruptAt(start, "unknown string encoding %d", n)
}

// errEmpty is an empty collection: Redis skips such keys when loading a
// file and refuses them in RESTORE.
var errEmpty = errors.New("rdb: empty value")

// isValueType reports whether t is a value type of RDB version 10.
func isValueType(t byte) bool {
	return t <= typeModule2 || t >= typeHashZipmap && t <= typeStreamListpack2
}

// value decodes a value of type t.
func (r *reader) value(t byte) (ds.Value, error) {
	start := r.off
	switch t {
	case typeString:
		b, err := r.str(nil)
		if err != nil {
			return nil, err
		}
		return ds.NewString(b), nil
	case typeList:
		return r.linkedList()
	case typeSet:
		return r.set()
	case typeZSet, typeZSet2:
		return r.zset(t == typeZSet2)
	case typeHash:
		return r.hash()
	case typeListQuicklist, typeListQuicklist2:
		return r.quicklist(t == typeListQuicklist2)
	case typeHashZipmap, typeListZiplist, typeSetIntset, typeZSetZiplist,
		typeHashZiplist, typeHashListpack, typeZSetListpack:
		blob, err := r.str(nil)
		if err != nil {
			return nil, err
		}
		v, err := r.blobValue(t, blob)
		if err != nil && !errors.Is(err, errEmpty) {
			return nil, r.corruptAt(start, "%s", blobMsg(err))
		}
		return v, err
	case typeModule, typeModule2:
		return nil, fmt.Errorf("%w: module value at offset %d", ErrUnsupported, start-1)
	case typeStreamListpacks, typeStreamListpack2:
		return nil, fmt.Errorf("%w: stream at offset %d", ErrUnsupported, start-1)
	}
	return nil, r.corruptAt(start-1, "unknown value type %d", t)
}

func (r *reader) linkedList() (ds.Value, error) {
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errEmpty
	}
	l := ds.NewList()
	var buf []byte
	for ; n > 0; n-- {
		if buf, err = r.str(buf); err != nil {
			return nil, err
		}
		l.PushRight(buf)
	}
	return l, nil
}

func (r *reader) set() (ds.Value, error) {
	start := r.off
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errEmpty
	}
	s := ds.NewSet()
	var buf []byte
	for ; n > 0; n-- {
		if buf, err = r.str(buf); err != nil {
			return nil, err
		}
		if !s.Add(buf, r.lim.SetMaxIntsetEntries) {
			return nil, r.corruptAt(start, "duplicate set member %q", buf)
		}
	}
	return s, nil
}

func (r *reader) zset(binaryScores bool) (ds.Value, error) {
	start := r.off
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errEmpty
	}
	z := ds.NewZSet()
	var buf, num []byte
	for ; n > 0; n-- {
		if buf, err = r.str(buf); err != nil {
			return nil, err
		}
		var score float64
		if binaryScores {
			bits, err := r.fixed(8)
			if err != nil {
				return nil, err
			}
			score = math.Float64frombits(bits)
		} else {
			// A length byte (253 NaN, 254 +inf, 255 -inf) and text.
			c, err := r.byte()
			if err != nil {
				return nil, err
			}
			switch c {
			case 253:
				score = math.NaN()
			case 254:
				score = math.Inf(1)
			case 255:
				score = math.Inf(-1)
			default:
				if num, err = r.append(num[:0], uint64(c)); err != nil {
					return nil, err
				}
				if score, err = strconv.ParseFloat(string(num), 64); err != nil && !errors.Is(err, strconv.ErrRange) {
					return nil, r.corrupt("invalid score %q", num)
				}
			}
		}
		if math.IsNaN(score) {
			return nil, r.corrupt("NaN score")
		}
		if !z.Add(buf, score) {
			return nil, r.corruptAt(start, "duplicate sorted set member %q", buf)
		}
	}
	return z, nil
}

func (r *reader) hash() (ds.Value, error) {
	start := r.off
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errEmpty
	}
	h := ds.NewHash()
	if n > uint64(r.lim.HashMaxListpackEntries) {
		h.Convert()
	}
	var f, v []byte
	for ; n > 0; n-- {
		if f, err = r.str(f); err != nil {
			return nil, err
		}
		if v, err = r.str(v); err != nil {
			return nil, err
		}
		if len(f) > r.lim.HashMaxListpackValue || len(v) > r.lim.HashMaxListpackValue {
			h.Convert()
		}
		if !h.Set(f, v) {
			return nil, r.corruptAt(start, "duplicate hash field %q", f)
		}
	}
	return h, nil
}

func (r *reader) quicklist(v2 bool) (ds.Value, error) {
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	l := ds.NewList()
	var blob []byte
	for ; n > 0; n-- {
		container := uint64(containerPacked)
		if v2 {
			start := r.off
			if container, err = r.count(); err != nil {
				return nil, err
			}
			if container != containerPacked && container != containerPlain {
				return nil, r.corruptAt(start, "unknown quicklist container %d", container)
			}
		}
		start := r.off
		if blob, err = r.str(blob); err != nil {
			return nil, err
		}
		if len(blob) == 0 {
			return nil, r.corruptAt(start, "empty quicklist node")
		}
		if container == containerPlain {
			l.PushRight(blob)
			continue
		}
		if v2 {
			err = lpEach(blob, func(e []byte) error { l.PushRight(e); return nil })
		} else {
			err = zlEach(blob, func(e []byte) error { l.PushRight(e); return nil })
		}
		if err != nil {
			return nil, r.corruptAt(start, "%s", blobMsg(err))
		}
	}
	if l.Len() == 0 {
		return nil, errEmpty
	}
	return l, nil
}
