package resp

import (
	"math"
	"strconv"
)

// Append functions encode one RESP value onto dst. The RESP3-only types have
// RESP2 fallbacks in the callers (see shardd's reply writer), not here.

// AppendSimple appends a simple string: +s.
func AppendSimple(dst []byte, s string) []byte {
	dst = append(dst, '+')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendError appends an error: -msg. Newlines in msg would break the
// framing, so they become spaces, as Redis does.
func AppendError(dst []byte, msg string) []byte {
	dst = append(dst, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return append(dst, '\r', '\n')
}

// AppendInt appends an integer: :n.
func AppendInt(dst []byte, n int64) []byte {
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, '\r', '\n')
}

// AppendBulk appends a bulk string.
func AppendBulk(dst, b []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// AppendBulkString appends a bulk string.
func AppendBulkString(dst []byte, s string) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendBulkInt appends n's decimal form as a bulk string.
func AppendBulkInt(dst []byte, n int64) []byte {
	var tmp [20]byte
	return AppendBulk(dst, strconv.AppendInt(tmp[:0], n, 10))
}

// AppendHeader appends an aggregate header such as *n, %n, ~n or >n.
func AppendHeader(dst []byte, kind byte, n int) []byte {
	dst = append(dst, kind)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

// AppendArray appends an array header: *n.
func AppendArray(dst []byte, n int) []byte { return AppendHeader(dst, '*', n) }

// AppendNullBulk appends RESP2's null bulk string: $-1.
func AppendNullBulk(dst []byte) []byte { return append(dst, "$-1\r\n"...) }

// AppendNullArray appends RESP2's null array: *-1.
func AppendNullArray(dst []byte) []byte { return append(dst, "*-1\r\n"...) }

// AppendNull appends RESP3's null: _.
func AppendNull(dst []byte) []byte { return append(dst, "_\r\n"...) }

// AppendBool appends a RESP3 boolean: #t or #f.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "#t\r\n"...)
	}
	return append(dst, "#f\r\n"...)
}

// AppendDouble appends a RESP3 double: ,f (inf, -inf and nan spelled as
// RESP3 requires).
func AppendDouble(dst []byte, f float64) []byte {
	dst = append(dst, ',')
	dst = AppendFloat(dst, f)
	return append(dst, '\r', '\n')
}

// AppendVerbatim appends a RESP3 verbatim string with a three-letter format
// such as "txt".
func AppendVerbatim(dst []byte, format string, s []byte) []byte {
	dst = append(dst, '=')
	dst = strconv.AppendInt(dst, int64(len(s)+4), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, format...)
	dst = append(dst, ':')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendFloat formats f the way Redis 7.0 prints doubles in replies (scores,
// distances): C's "%.17g", with inf, -inf and nan spelled out.
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}
