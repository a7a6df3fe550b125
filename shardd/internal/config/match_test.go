package config

import (
	"strings"
	"testing"
	"time"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		nocase     bool
		want       bool
	}{
		{"", "", false, true},
		{"*", "", false, false}, // as in Redis: callers special-case "*"
		{"*", "anything", false, true},
		{"a*", "a", false, true},
		{"a*", "abc", false, true},
		{"a*c", "abbbc", false, true},
		{"a*c", "abbbd", false, false},
		{"*a*b*c*", "xxaxxbxxcxx", false, true},
		{"h?llo", "hello", false, true},
		{"h?llo", "hllo", false, false},
		{"h[ae]llo", "hallo", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[b-a]llo", "hbllo", false, true}, // reversed range
		{"h[a-b]llo", "hcllo", false, false},
		{`h\*llo`, "h*llo", false, true},
		{`h\*llo`, "hello", false, false},
		{`[\]]`, "]", false, true},
		{`[\-]`, "-", false, true},
		{`[a-]`, "]", false, true}, // a-] is a range up to ']'
		{"[", "a", false, false},   // unterminated, empty set
		{"[^", "a", false, true},   // unterminated, negated empty set
		{"[abc", "b", false, true},
		{"[]", "]", false, false},
		{`\`, `\`, false, true},
		{`a\`, `a\`, false, true},
		{"MAXMEMORY*", "maxmemory-policy", true, true},
		{"MAXMEMORY*", "maxmemory-policy", false, false},
		{"[A-C]*", "bind", true, true},
		{"[a-c]*", "BIND", true, true},
		{`[\B]`, "b", true, false}, // escaped bytes in a set compare exactly
		{"?", "é", false, false},   // bytes, not runes
		{"??", "é", false, true},
		{"**a", "a", false, true},
		{"a**", "a", false, true},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s, tt.nocase); got != tt.want {
			t.Errorf("Match(%q, %q, %v) = %v; want %v", tt.pattern, tt.s, tt.nocase, got, tt.want)
		}
		if got := refMatch(tt.pattern, tt.s, tt.nocase); got != tt.want {
			t.Errorf("refMatch(%q, %q, %v) = %v; want %v (bad test or reference)", tt.pattern, tt.s, tt.nocase, got, tt.want)
		}
	}
}

// TestMatchExhaustive compares Match with the reference on every short
// pattern and string over a small alphabet rich in special characters.
func TestMatchExhaustive(t *testing.T) {
	pats := words("a*?[]^-\\", 4)
	strs := words("a]-\\A", 3)
	for _, p := range pats {
		for _, s := range strs {
			for _, nocase := range []bool{false, true} {
				if got, want := Match(p, s, nocase), refMatch(p, s, nocase); got != want {
					t.Fatalf("Match(%q, %q, %v) = %v; reference says %v", p, s, nocase, got, want)
				}
			}
		}
	}
}

// words returns every string of length 0..n over the alphabet.
func words(alphabet string, n int) []string {
	out := []string{""}
	level := []string{""}
	for i := 0; i < n; i++ {
		var next []string
		for _, w := range level {
			for j := 0; j < len(alphabet); j++ {
				next = append(next, w+alphabet[j:j+1])
			}
		}
		out = append(out, next...)
		level = next
	}
	return out
}

func TestMatchNotExponential(t *testing.T) {
	pattern := strings.Repeat("a*", 40) + "b"
	s := strings.Repeat("a", 5000)
	start := time.Now()
	if Match(pattern, s, false) {
		t.Fatal("matched; want no match")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Match took %v", d)
	}
}

// FuzzMatch compares Match with a direct recursive reference (exponential,
// so only small inputs are compared).
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"*", "abc"}, {"a*b?c", "axxbyc"}, {"[a-z]*", "hello"}, {"[^a]", "b"}, {`\[x`, "[x"},
		{"[", "x"}, {"[^", "x"}, {"*[a-]", "]"}, {"h[ae]llo*", "HELLO world"}, {"**?*", "a"},
	} {
		f.Add(s[0], s[1], false)
		f.Add(s[0], s[1], true)
	}
	f.Fuzz(func(t *testing.T, pattern, s string, nocase bool) {
		if len(pattern) > 12 || len(s) > 12 {
			Match(pattern, s, nocase) // must not panic
			return
		}
		if got, want := Match(pattern, s, nocase), refMatch(pattern, s, nocase); got != want {
			t.Fatalf("Match(%q, %q, %v) = %v; reference says %v", pattern, s, nocase, got, want)
		}
	})
}

// refMatch follows Redis's recursive stringmatchlen step by step (without
// its pruning). Past the end of the pattern it reads a 0 byte, as C reads
// the string terminator.
func refMatch(p, s string, nocase bool) bool {
	pc := func(i int) byte {
		if i < len(p) {
			return p[i]
		}
		return 0
	}
	eq := func(a, b byte) bool {
		if nocase {
			return lowerByte(a) == lowerByte(b)
		}
		return a == b
	}
	pi, si := 0, 0
	for pi < len(p) && si < len(s) {
		switch p[pi] {
		case '*':
			for pi < len(p) && pc(pi+1) == '*' {
				pi++
			}
			if len(p)-pi == 1 {
				return true
			}
			for ; si < len(s); si++ {
				if refMatch(p[pi+1:], s[si:], nocase) {
					return true
				}
			}
			return false
		case '?':
			si++
		case '[':
			pi++
			not := pc(pi) == '^'
			if not {
				pi++
			}
			match := false
			for {
				if pc(pi) == '\\' && len(p)-pi >= 2 {
					pi++
					if p[pi] == s[si] {
						match = true
					}
				} else if pc(pi) == ']' {
					break
				} else if pi == len(p) {
					pi--
					break
				} else if len(p)-pi >= 3 && p[pi+1] == '-' {
					lo, hi, c := p[pi], p[pi+2], s[si]
					if lo > hi {
						lo, hi = hi, lo
					}
					if nocase {
						lo, hi, c = lowerByte(lo), lowerByte(hi), lowerByte(c)
					}
					pi += 2
					if c >= lo && c <= hi {
						match = true
					}
				} else if eq(p[pi], s[si]) {
					match = true
				}
				pi++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			si++
		case '\\':
			if len(p)-pi >= 2 {
				pi++
			}
			if !eq(p[pi], s[si]) {
				return false
			}
			si++
		default:
			if !eq(p[pi], s[si]) {
				return false
			}
			si++
		}
		pi++
		if si == len(s) {
			for pc(pi) == '*' {
				pi++
			}
			break
		}
	}
	return pi == len(p) && si == len(s)
}
