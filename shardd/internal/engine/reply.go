package engine

import (
	"github.com/shardis/shardis/pkg/resp"
)

// Reply accumulates a connection's replies in the protocol version the
// client negotiated with HELLO. RESP3-only types fall back to their RESP2
// forms the way Redis does: maps and sets become flat arrays, doubles bulk
// strings, the null its RESP2 variant for the reply's shape.
type Reply struct {
	b     []byte
	proto int // 2 or 3
}

// Bytes returns the encoded replies.
func (r *Reply) Bytes() []byte { return r.b }

// Reset empties the buffer. It keeps the memory unless that exceeds keep
// bytes, so one huge reply (KEYS *) does not pin memory for the
// connection's lifetime.
func (r *Reply) Reset(keep int) {
	if cap(r.b) > keep {
		r.b = nil
	} else {
		r.b = r.b[:0]
	}
}

// Len reports the buffered bytes.
func (r *Reply) Len() int { return len(r.b) }

func (r *Reply) OK()                 { r.b = append(r.b, "+OK\r\n"...) }
func (r *Reply) Simple(s string)     { r.b = resp.AppendSimple(r.b, s) }
func (r *Reply) Error(msg string)    { r.b = resp.AppendError(r.b, msg) }
func (r *Reply) Int(n int64)         { r.b = resp.AppendInt(r.b, n) }
func (r *Reply) Bulk(b []byte)       { r.b = resp.AppendBulk(r.b, b) }
func (r *Reply) BulkString(s string) { r.b = resp.AppendBulkString(r.b, s) }
func (r *Reply) Array(n int)         { r.b = resp.AppendArray(r.b, n) }
func (r *Reply) Raw(b []byte)        { r.b = append(r.b, b...) }
func (r *Reply) BulkInt(n int64)     { r.b = resp.AppendBulkInt(r.b, n) }
func (r *Reply) Err(err error)       { r.Error(err.Error()) }

// Null is the null of a single value: $-1 in RESP2.
func (r *Reply) Null() {
	if r.proto == 3 {
		r.b = resp.AppendNull(r.b)
	} else {
		r.b = resp.AppendNullBulk(r.b)
	}
}

// NullArray is the null of an aggregate: *-1 in RESP2.
func (r *Reply) NullArray() {
	if r.proto == 3 {
		r.b = resp.AppendNull(r.b)
	} else {
		r.b = resp.AppendNullArray(r.b)
	}
}

// Map starts a map of n pairs (a flat array of 2n in RESP2).
func (r *Reply) Map(n int) {
	if r.proto == 3 {
		r.b = resp.AppendHeader(r.b, '%', n)
	} else {
		r.b = resp.AppendArray(r.b, 2*n)
	}
}

// Set starts a set of n elements (an array in RESP2).
func (r *Reply) Set(n int) {
	if r.proto == 3 {
		r.b = resp.AppendHeader(r.b, '~', n)
	} else {
		r.b = resp.AppendArray(r.b, n)
	}
}

// Push starts an out-of-band push message (an array in RESP2).
func (r *Reply) Push(n int) {
	if r.proto == 3 {
		r.b = resp.AppendHeader(r.b, '>', n)
	} else {
		r.b = resp.AppendArray(r.b, n)
	}
}

// Double writes a floating-point reply (a bulk string in RESP2).
func (r *Reply) Double(f float64) {
	if r.proto == 3 {
		r.b = resp.AppendDouble(r.b, f)
		return
	}
	var tmp [32]byte
	r.b = resp.AppendBulk(r.b, resp.AppendFloat(tmp[:0], f))
}

// Bool writes a boolean (the integer 1 or 0 in RESP2).
func (r *Reply) Bool(v bool) {
	if r.proto == 3 {
		r.b = resp.AppendBool(r.b, v)
		return
	}
	if v {
		r.b = resp.AppendInt(r.b, 1)
	} else {
		r.b = resp.AppendInt(r.b, 0)
	}
}

// Verbatim writes text such as INFO's (a bulk string in RESP2).
func (r *Reply) Verbatim(s string) {
	if r.proto == 3 {
		r.b = resp.AppendVerbatim(r.b, "txt", []byte(s))
	} else {
		r.b = resp.AppendBulkString(r.b, s)
	}
}

// BulkOrNull writes b, or Null for a nil b.
func (r *Reply) BulkOrNull(b []byte) {
	if b == nil {
		r.Null()
	} else {
		r.Bulk(b)
	}
}

// StringArray writes an array of bulk strings.
func (r *Reply) StringArray(s []string) {
	r.Array(len(s))
	for _, v := range s {
		r.BulkString(v)
	}
}
