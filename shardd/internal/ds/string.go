package ds

import (
	"slices"
	"strconv"

	"github.com/shardis/shardis/pkg/resp"
)

// String is a string value.
//
// B holds the bytes. The holder of the key's write lock may change bytes
// within len(B) in place, but must change the length or the encoding only
// through String's methods, and must build Strings with the constructors
// (never &String{B: b}): they keep the encoding emulation right.
//
// Encoding emulation. Redis reports "int", "embstr" or "raw" for a string
// depending on how it was made: SET and friends pick by content (int for a
// canonical 64-bit integer, embstr up to 44 bytes, raw beyond), INCR and
// DECR make int, INCRBYFLOAT makes embstr (or raw beyond 44 bytes) even
// for "15", and a value changed in place (APPEND, SETRANGE, SETBIT,
// BITFIELD) or made by SETRANGE, SETBIT, BITOP or BITFIELD is raw for ever.
// Memory per key matters more than elegance here, so instead of a field
// the kind lives in B's spare capacity, which nothing else uses:
//
//	cap(B) == len(B)    by content (NewString, NewIntString)
//	cap(B) == len(B)+1  embstr, raw beyond 44 bytes (NewFloatString)
//	cap(B) >= len(B)+2  raw (NewRawString, Append, GrowZero, MakeRaw)
type String struct {
	B []byte
}

// NewString returns a String holding a copy of b, encoded by content as
// Redis's tryObjectEncoding does.
func NewString(b []byte) *String {
	s := make([]byte, len(b))
	copy(s, b)
	return &String{B: s}
}

// NewIntString returns a String holding n's decimal form (encoding int).
func NewIntString(n int64) *String {
	var buf [20]byte
	return NewString(strconv.AppendInt(buf[:0], n, 10))
}

// NewFloatString returns a String holding a copy of b with the encoding
// Redis gives a formatted number: embstr up to 44 bytes, raw beyond.
func NewFloatString(b []byte) *String {
	s := make([]byte, len(b), len(b)+1)
	copy(s, b)
	return &String{B: s}
}

// NewRawString returns a String of n zero bytes, encoded raw.
func NewRawString(n int) *String {
	return &String{B: make([]byte, n, n+2)}
}

func (*String) Kind() Kind { return KindString }

// Encoding reports what Redis 7.0's OBJECT ENCODING would (see String).
func (s *String) Encoding() string {
	n, c := len(s.B), cap(s.B)
	switch {
	case n > 44 || c >= n+2:
		return "raw"
	case c == n+1:
		return "embstr"
	case n <= 20 && isInt(s.B):
		return "int"
	}
	return "embstr"
}

// isInt reports whether Redis would store b as an integer: a canonical
// signed 64-bit decimal (string2l).
func isInt(b []byte) bool {
	_, ok := resp.ParseInt(b)
	return ok
}

// Int parses the value as Redis's INCR does (string2ll); false if it is
// not a canonical 64-bit integer.
func (s *String) Int() (int64, bool) {
	if len(s.B) > 20 {
		return 0, false
	}
	return resp.ParseInt(s.B)
}

// SetInt replaces the value by n's decimal form, encoded int. It reuses
// the bytes in place when the length does not change, so INCR on a
// counter does not allocate.
func (s *String) SetInt(n int64) {
	var buf [20]byte
	d := strconv.AppendInt(buf[:0], n, 10)
	if len(d) == len(s.B) && cap(s.B) == len(s.B) {
		copy(s.B, d)
		return
	}
	b := make([]byte, len(d))
	copy(b, d)
	s.B = b
}

// Set replaces the value by a copy of b, encoded by content. It reuses the
// bytes in place when they have exactly b's length and are not raw, so
// overwriting a value with one of the same size does not allocate.
func (s *String) Set(b []byte) {
	if len(b) == len(s.B) && cap(s.B) == len(s.B) {
		copy(s.B, b)
		return
	}
	n := make([]byte, len(b))
	copy(n, b)
	s.B = n
}

// MakeRaw marks the value raw, as Redis's dbUnshareStringValue does
// before changing a value in place.
func (s *String) MakeRaw() {
	if cap(s.B) < len(s.B)+2 {
		s.B = slices.Grow(s.B, 2)
	}
}

// Append appends b and marks the value raw.
func (s *String) Append(b []byte) {
	s.reserve(len(s.B) + len(b))
	s.B = append(s.B, b...)
}

// GrowZero extends the value with zero bytes to at least n bytes and
// marks it raw.
func (s *String) GrowZero(n int) {
	old := len(s.B)
	if n <= old {
		s.MakeRaw()
		return
	}
	s.reserve(n)
	s.B = s.B[:n]
	clear(s.B[old:])
}

// reserve makes room for n bytes plus the two spare bytes that mark the
// value raw, growing geometrically like Redis's sds so that repeated
// APPENDs are amortised.
func (s *String) reserve(n int) {
	if cap(s.B) >= n+2 {
		return
	}
	s.B = slices.Grow(s.B, n+2-len(s.B))
}
