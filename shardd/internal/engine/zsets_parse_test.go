package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

// strtodGolden holds glibc 2.36's strtod results (value bits, bytes
// consumed, errno == ERANGE), recorded by calling it on each input.
var strtodGolden = []struct {
	in     string
	bits   uint64
	n      int
	erange bool
}{
	{"0", 0x0000000000000000, 1, false},
	{"-0", 0x8000000000000000, 2, false},
	{"1", 0x3ff0000000000000, 1, false},
	{"+1", 0x3ff0000000000000, 2, false},
	{"-1.5", 0xbff8000000000000, 4, false},
	{"1e3", 0x408f400000000000, 3, false},
	{"1E-3", 0x3f50624dd2f1a9fc, 4, false},
	{".5", 0x3fe0000000000000, 2, false},
	{"5.", 0x4014000000000000, 2, false},
	{".", 0x0000000000000000, 0, false},
	{" 1", 0x3ff0000000000000, 2, false},
	{"\t\n 2", 0x4000000000000000, 4, false},
	{"1 ", 0x3ff0000000000000, 1, false},
	{"1x", 0x3ff0000000000000, 1, false},
	{"", 0x0000000000000000, 0, false},
	{"x", 0x0000000000000000, 0, false},
	{"-", 0x0000000000000000, 0, false},
	{"+", 0x0000000000000000, 0, false},
	{"inf", 0x7ff0000000000000, 3, false},
	{"-inf", 0xfff0000000000000, 4, false},
	{"+INF", 0x7ff0000000000000, 4, false},
	{"infinity", 0x7ff0000000000000, 8, false},
	{"-Infinity", 0xfff0000000000000, 9, false},
	{"infinit", 0x7ff0000000000000, 3, false},
	{"infx", 0x7ff0000000000000, 3, false},
	{"nan", 0x7ff8000000000000, 3, false},
	{"-nan", 0xfff8000000000000, 4, false},
	{"NaN(123)", 0x7ff8000000000000, 8, false},
	{"nan(", 0x7ff8000000000000, 3, false},
	{"nan()", 0x7ff8000000000000, 5, false},
	{"nan(a_b)", 0x7ff8000000000000, 8, false},
	{"0x10", 0x4030000000000000, 4, false},
	{"0X1P3", 0x4020000000000000, 5, false},
	{"0x1.8p1", 0x4008000000000000, 7, false},
	{"0x.8", 0x3fe0000000000000, 4, false},
	{"0x", 0x0000000000000000, 1, false},
	{"0xg", 0x0000000000000000, 1, false},
	{"0x1p", 0x3ff0000000000000, 3, false},
	{"0x1p+", 0x3ff0000000000000, 3, false},
	{"0x1p-1074", 0x0000000000000001, 9, false},
	{"0x1p-1075", 0x0000000000000000, 9, true},
	{"0x1.8p-1075", 0x0000000000000001, 11, true},
	{"1e400", 0x7ff0000000000000, 5, true},
	{"-1e400", 0xfff0000000000000, 6, true},
	{"1e-400", 0x0000000000000000, 6, true},
	{"1e-320", 0x00000000000007e8, 6, true},
	{"4.9e-324", 0x0000000000000001, 8, true},
	{"2.4e-324", 0x0000000000000000, 8, true},
	{"2.5e-324", 0x0000000000000001, 8, true},
	{"1e", 0x3ff0000000000000, 1, false},
	{"1e+", 0x3ff0000000000000, 1, false},
	{"1e+5x", 0x40f86a0000000000, 4, false},
	{"1_0", 0x3ff0000000000000, 1, false},
	{"00012", 0x4028000000000000, 5, false},
	{"0.000000000000000000000000000001e30", 0x3ff0000000000000, 35, false},
	{"123456789012345678901234567890", 0x45f8ee90ff6c373e, 30, false},
	{"9007199254740993", 0x4340000000000000, 16, false},
	{"1.7976931348623157e308", 0x7fefffffffffffff, 22, false},
	{"1.7976931348623159e308", 0x7ff0000000000000, 22, true},
	{"2.2250738585072011e-308", 0x000fffffffffffff, 23, true},
	{"--1", 0x0000000000000000, 0, false},
	{"+-1", 0x0000000000000000, 0, false},
	{"0b101", 0x0000000000000000, 1, false},
	{"1,5", 0x3ff0000000000000, 1, false},
	{"\uff11", 0x0000000000000000, 0, false},
}

func TestStrtodGolden(t *testing.T) {
	for _, g := range strtodGolden {
		f, n, erange := strtod([]byte(g.in))
		want := math.Float64frombits(g.bits)
		sameValue := math.Float64bits(f) == g.bits || math.IsNaN(f) && math.IsNaN(want)
		if !sameValue || n != g.n {
			t.Errorf("strtod(%q) = %v (%#x), %d bytes; want %v (%#x), %d", g.in, f, math.Float64bits(f), n, want, g.bits, g.n)
		}
		// Redis looks at ERANGE only for an infinite or zero result.
		if (math.IsInf(want, 0) || want == 0) && erange != g.erange {
			t.Errorf("strtod(%q) erange = %v; want %v", g.in, erange, g.erange)
		}
	}
}

func TestParseScore(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"-1", -1, true}, {"1.5", 1.5, true}, {"inf", math.Inf(1), true},
		{"-inf", math.Inf(-1), true}, {"+inf", math.Inf(1), true}, {"0x10", 16, true},
		{"1e3", 1000, true}, {"00012", 12, true}, {"-0", math.Copysign(0, -1), true},
		{"123456789012345", 123456789012345, true}, {"1e-310", 1e-310, true},
		{"", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"nan", 0, false}, {"-nan", 0, false},
		{"1e400", 0, false}, {"1e-400", 0, false}, {"abc", 0, false}, {"1\x00", 0, false},
		{"-", 0, false}, {"+", 0, false}, {"--1", 0, false}, {"(1", 0, false},
	} {
		got, ok := parseScore([]byte(tc.in))
		if ok != tc.ok || ok && math.Float64bits(got) != math.Float64bits(tc.want) {
			t.Errorf("parseScore(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseScoreRange(t *testing.T) {
	for _, tc := range []struct {
		min, max string
		ok       bool
		want     string
	}{
		{"-inf", "+inf", true, "{-Inf +Inf false false}"},
		{"(1", "(2.5", true, "{1 2.5 true true}"},
		{"", "(", true, "{0 0 false true}"},
		{" 1", "1e400", true, "{1 +Inf false false}"},
		{"1\x00junk", "2", true, "{1 2 false false}"},
		{"nan", "1", false, ""},
		{"1", "(nan", false, ""},
		{"1 ", "2", false, ""},
		{"[1", "2", false, ""},
		{"((1", "2", false, ""},
	} {
		r, ok := parseScoreRange([]byte(tc.min), []byte(tc.max))
		got := ""
		if ok {
			got = fmt.Sprintf("{%v %v %v %v}", r.Min, r.Max, r.MinEx, r.MaxEx)
		}
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseScoreRange(%q, %q) = %s, %v; want %s, %v", tc.min, tc.max, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzStrtod checks strtod against Go's parser on the syntax both share,
// and that it never reads past the input or panics.
func FuzzStrtod(f *testing.F) {
	for _, g := range strtodGolden {
		f.Add(g.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, n, erange := strtod([]byte(s))
		if n < 0 || n > len(s) {
			t.Fatalf("strtod(%q) consumed %d bytes", s, n)
		}
		if n == 0 && v != 0 {
			t.Fatalf("strtod(%q) = %v without consuming anything", s, v)
		}
		if erange && !math.IsInf(v, 0) && v != 0 {
			t.Fatalf("strtod(%q) = %v reports a range error", s, v)
		}
		if !plainDecimal(s) {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil && !math.IsInf(want, 0) {
			return
		}
		if n != len(s) || math.Float64bits(v) != math.Float64bits(want) {
			t.Fatalf("strtod(%q) = %v, %d bytes; want %v, %d", s, v, n, want, len(s))
		}
	})
}

// plainDecimal reports whether s is [+-]digits[.digits][e[+-]digits].
func plainDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// FuzzScoreRange checks that a "(" makes an end exclusive without
// changing its value, and that accepted ends are never NaN.
func FuzzScoreRange(f *testing.F) {
	for _, s := range []string{"-inf", "+inf", "(1", "1.5", "", "(", " 3", "nan", "0x1p3", "1e400", "1\x00x", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ex, ok := parseRangeEnd([]byte(s))
		if ok && math.IsNaN(v) {
			t.Fatalf("parseRangeEnd(%q) accepted NaN", s)
		}
		if ex != (ok && strings.HasPrefix(s, "(")) && ok {
			t.Fatalf("parseRangeEnd(%q) exclusive = %v", s, ex)
		}
		if strings.HasPrefix(s, "(") {
			return
		}
		v2, ex2, ok2 := parseRangeEnd([]byte("(" + s))
		if ok2 != ok || ok && (!ex2 || math.Float64bits(v2) != math.Float64bits(v)) {
			t.Fatalf("parseRangeEnd(%q) = %v %v; with '(' %v %v %v", s, v, ok, v2, ex2, ok2)
		}
		if f, ok3 := parseScore([]byte(s)); ok3 && (!ok || math.Float64bits(f) != math.Float64bits(v)) {
			t.Fatalf("parseScore(%q) = %v but parseRangeEnd = %v, %v", s, f, v, ok)
		}
	})
}

// FuzzLexRange checks the lex range item rules: "-" and "+" alone (or
// followed by a NUL), else '[' or '(' and the rest as the value.
func FuzzLexRange(f *testing.F) {
	for _, s := range []string{"-", "+", "[a", "(a", "[", "(", "a", "", "+x", "-\x00", "[\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, ok := parseLexEnd([]byte(s))
		var want bool
		switch {
		case s == "":
		case s[0] == '-' || s[0] == '+':
			want = len(s) == 1 || s[1] == 0
			if want && (b.Inf == 0 || !b.Ex) {
				t.Fatalf("parseLexEnd(%q) = %+v; want an infinite end", s, b)
			}
		case s[0] == '[' || s[0] == '(':
			want = true
			if b.Value != s[1:] || b.Ex != (s[0] == '(') || b.Inf != 0 {
				t.Fatalf("parseLexEnd(%q) = %+v", s, b)
			}
		}
		if ok != want {
			t.Fatalf("parseLexEnd(%q) ok = %v; want %v", s, ok, want)
		}
	})
}
