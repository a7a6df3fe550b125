package ds

import (
	"bytes"
	"strings"
	"testing"
)

func TestStringEncodingByContent(t *testing.T) {
	for _, tc := range []struct {
		val, want string
	}{
		{"", "embstr"},
		{"0", "int"},
		{"123", "int"},
		{"-123", "int"},
		{"9223372036854775807", "int"},
		{"-9223372036854775808", "int"},
		{"9223372036854775808", "embstr"},
		{"01", "embstr"},
		{"-0", "embstr"},
		{"+1", "embstr"},
		{" 1", "embstr"},
		{"1.5", "embstr"},
		{"abc", "embstr"},
		{strings.Repeat("x", 44), "embstr"},
		{strings.Repeat("x", 45), "raw"},
	} {
		if got := NewString([]byte(tc.val)).Encoding(); got != tc.want {
			t.Errorf("NewString(%q).Encoding() = %q; want %q", tc.val, got, tc.want)
		}
	}
}

func TestStringEncodingByOrigin(t *testing.T) {
	check := func(name string, s *String, want string) {
		t.Helper()
		if got := s.Encoding(); got != want {
			t.Errorf("%s: Encoding() = %q; want %q", name, got, want)
		}
	}
	check("float 15", NewFloatString([]byte("15")), "embstr")
	check("float 10.5", NewFloatString([]byte("10.5")), "embstr")
	check("long float", NewFloatString(bytes.Repeat([]byte("1"), 50)), "raw")
	check("int", NewIntString(-42), "int")
	check("raw zeros", NewRawString(3), "raw")
	check("raw empty", NewRawString(0), "raw")

	s := NewString([]byte("1"))
	s.Append(nil)
	check("append nothing", s, "raw")

	s = NewString([]byte("12"))
	s.SetInt(13)
	check("incr in place", s, "int")
	s.MakeRaw()
	check("made raw", s, "raw")
	s.SetInt(14)
	check("incr of raw", s, "int")
	s.SetInt(1000)
	check("incr growing", s, "int")

	s = NewFloatString([]byte("15"))
	s.SetInt(16)
	check("incr of float", s, "int")

	s = NewString([]byte("abc"))
	s.GrowZero(2)
	check("grow within", s, "raw")
	s.Set([]byte("xyz"))
	check("set over raw", s, "embstr")
}

func TestStringAppendGrowZero(t *testing.T) {
	s := NewString([]byte("ab"))
	for i := 0; i < 100; i++ {
		s.Append([]byte("cd"))
		if cap(s.B) < len(s.B)+2 {
			t.Fatalf("after append %d: cap %d, len %d: not raw", i, cap(s.B), len(s.B))
		}
	}
	if want := "ab" + strings.Repeat("cd", 100); string(s.B) != want {
		t.Fatalf("got %q; want %q", s.B, want)
	}

	// Bytes beyond the length that were once used must read back as
	// zeros when the value grows over them again.
	s = NewRawString(8)
	copy(s.B, "12345678")
	s.B = s.B[:2]
	s.GrowZero(6)
	if want := "12\x00\x00\x00\x00"; string(s.B) != want {
		t.Fatalf("GrowZero: got %q; want %q", s.B, want)
	}
	s.GrowZero(3)
	if len(s.B) != 6 {
		t.Fatalf("GrowZero(3) shrank the value to %d bytes", len(s.B))
	}
}

func TestStringInt(t *testing.T) {
	for _, tc := range []struct {
		val string
		n   int64
		ok  bool
	}{
		{"0", 0, true}, {"-1", -1, true}, {"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 0, false}, {"01", 0, false}, {" 1", 0, false}, {"", 0, false},
		{"123456789012345678901", 0, false}, {"1e3", 0, false},
	} {
		n, ok := NewString([]byte(tc.val)).Int()
		if n != tc.n || ok != tc.ok {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", tc.val, n, ok, tc.n, tc.ok)
		}
	}
}

func TestStringNoAllocInPlace(t *testing.T) {
	s := NewString([]byte("0123456789abcdef"))
	val := []byte("fedcba9876543210")
	if n := testing.AllocsPerRun(100, func() { s.Set(val) }); n != 0 {
		t.Errorf("Set of a same-sized value: %v allocations; want 0", n)
	}
	c := NewIntString(100)
	i := int64(100)
	if n := testing.AllocsPerRun(100, func() {
		i++
		c.SetInt(i%900 + 100)
	}); n != 0 {
		t.Errorf("SetInt of a same-length number: %v allocations; want 0", n)
	}
}

func TestNewStringCopies(t *testing.T) {
	b := []byte("abc")
	s := NewString(b)
	b[0] = 'x'
	if string(s.B) != "abc" {
		t.Fatalf("NewString kept the caller's slice: %q", s.B)
	}
}
