package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		line string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"   \t ", nil, false},
		{"port 6379", []string{"port", "6379"}, false},
		{"  save   900 1  ", []string{"save", "900", "1"}, false},
		{"a\tb\r\nc", []string{"a", "b", "c"}, false},
		{`dir "/tmp/my dir"`, []string{"dir", "/tmp/my dir"}, false},
		{`requirepass ""`, []string{"requirepass", ""}, false},
		{`x ''`, []string{"x", ""}, false},
		{`"a\nb\r\tc\bd\ae"`, []string{"a\nb\r\tc\bd\ae"}, false},
		{`"\x41\x7a\x00z"`, []string{"Az\x00z"}, false},
		{`"\x4"`, []string{"x4"}, false},   // not two hex digits: \x is x
		{`"\xZZ"`, []string{"xZZ"}, false}, // same
		{`"\q\"\\"`, []string{`q"\`}, false},
		{`'it\'s' 'a\nb'`, []string{"it's", `a\nb`}, false},
		{`'a"b'`, []string{`a"b`}, false},
		{`"a'b"`, []string{`a'b`}, false},
		{`a"b c"`, []string{"ab c"}, false}, // quote opening mid-argument
		{`a'b c' d`, []string{"ab c", "d"}, false},
		{`foo"bar"baz`, nil, true}, // closing quote not followed by space
		{`"abc`, nil, true},
		{`'abc`, nil, true},
		{`"abc\"`, nil, true},
		{`"abc\`, nil, true},
		{`"a"b`, nil, true},
		{`'a'b`, nil, true},
		{"\"a\"\tb", []string{"a", "b"}, false},
		{"a\x00b c", []string{"a"}, false},  // NUL ends the line, as in C
		{"\va\fb", []string{"a\fb"}, false}, // \v and \f are blanks between, not inside, arguments
	}
	for _, tt := range tests {
		got, err := SplitArgs(tt.line)
		if tt.err {
			if !errors.Is(err, ErrUnbalancedQuotes) {
				t.Errorf("SplitArgs(%q) = %q, %v; want ErrUnbalancedQuotes", tt.line, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", tt.line, got, err, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"abc", `"abc"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\n\r\t\a\b", `"\n\r\t\a\b"`},
		{"\x00\x7f\xff é", `"\x00\x7f\xff \xc3\xa9"`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s; want %s", tt.in, got, tt.want)
		}
		back, err := SplitArgs(Quote(tt.in))
		if err != nil || len(back) != 1 || back[0] != tt.in {
			t.Errorf("SplitArgs(Quote(%q)) = %q, %v", tt.in, back, err)
		}
	}
}

// FuzzSplitArgs checks that SplitArgs never panics and that quoting its
// result gives the same arguments back.
func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{
		"port 6379", `dir "/a b"`, `"\x41\n" 'x\'y'`, `a"b c"`, `"unterminated`, `'`, `""`,
		"save 900 1 300 10", `"\xzz\x4`, "a\x00b", "\t\v\f\r\n", `"a"b`, `\"`, `'\\'`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args, err := SplitArgs(line)
		if err != nil {
			return
		}
		q := make([]string, len(args))
		for i, a := range args {
			q[i] = Quote(a)
		}
		again, err := SplitArgs(strings.Join(q, " "))
		if err != nil {
			t.Fatalf("re-split of %q: %v", q, err)
		}
		if !slices.Equal(args, again) && !(len(args) == 0 && len(again) == 0) {
			t.Fatalf("SplitArgs(%q) = %q, but the quoted form splits to %q", line, args, again)
		}
	})
}
