package engine

import (
	"math"
	"strconv"
	"strings"

	"github.com/shardis/shardis/pkg/resp"
)

// parseInt parses an integer argument exactly as Redis does (string2ll).
func parseInt(b []byte) (int64, error) {
	n, ok := resp.ParseInt(b)
	if !ok {
		return 0, ErrNotInt
	}
	return n, nil
}

// parseFloat parses a floating-point argument as Redis's strtod-based
// parsers do: no surrounding spaces, "inf"/"-inf" accepted, NaN refused.
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || b[0] == ' ' || b[len(b)-1] == ' ' || strings.ContainsRune(string(b), '_') {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		// strtod saturates on overflow; ParseFloat reports ErrRange
		// with ±Inf, which Redis accepts as inf.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && math.IsInf(f, 0) {
			return f, true
		}
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// equalFold reports whether b equals the lower-case ASCII word w, ignoring
// case; options are matched with it without allocating.
func equalFold(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}
