package slot

import (
	"testing"

	"github.com/cespare/xxhash/v2"
)

func TestTag(t *testing.T) {
	tests := []struct {
		key, want string
	}{
		{"{user1}.a", "user1"},
		{"foo{user1}bar", "user1"},
		{"a{}b", "a{}b"},
		{"{}{x}", "{}{x}"},
		{"}{", "}{"},
		{"{", "{"},
		{"}", "}"},
		{"{a", "{a"},
		{"", ""},
		{"plain", "plain"},
		{"{a}{b}", "a"},
		{"{{a}}", "{a"},
		{"x{\x00\xff}y", "\x00\xff"},
		{"\x00\x01\x02", "\x00\x01\x02"},
	}
	for _, tt := range tests {
		if got := string(Tag([]byte(tt.key))); got != tt.want {
			t.Errorf("Tag(%q) = %q; want %q", tt.key, got, tt.want)
		}
	}
}

func TestOfUsesTag(t *testing.T) {
	tests := []struct {
		key, hashed string
	}{
		{"{user1}.a", "user1"},
		{"{user1}.b", "user1"},
		{"a{}b", "a{}b"},
		{"{}{x}", "{}{x}"},
		{"}{", "}{"},
		{"", ""},
		{"\xff\xfe{\x00}", "\x00"},
	}
	for _, tt := range tests {
		want := int(xxhash.Sum64String(tt.hashed) % Count)
		if got := Of([]byte(tt.key)); got != want {
			t.Errorf("Of(%q) = %d; want %d", tt.key, got, want)
		}
		if got := OfString(tt.key); got != want {
			t.Errorf("OfString(%q) = %d; want %d", tt.key, got, want)
		}
	}
	if Of([]byte("{user1}.a")) != Of([]byte("{user1}.b")) {
		t.Error("keys with the same tag got different slots")
	}
}

func TestSpread(t *testing.T) {
	var seen [Count]bool
	n := 0
	for i := 0; i < 200000; i++ {
		s := OfString("key:" + string(rune('a'+i%26)) + itoa(i))
		if s < 0 || s >= Count {
			t.Fatalf("slot %d out of range", s)
		}
		if !seen[s] {
			seen[s] = true
			n++
		}
	}
	if n < Count*99/100 {
		t.Errorf("200000 keys hit %d slots; want nearly all %d", n, Count)
	}
}

func itoa(i int) string {
	var b [20]byte
	p := len(b)
	for {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[p:])
		}
	}
}

func FuzzOf(f *testing.F) {
	for _, s := range []string{"", "{", "}{", "{a}b", "a{}b", "{}{x}", "\x00{\xff}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		a, b := Of([]byte(key)), OfString(key)
		if a != b {
			t.Fatalf("Of(%q)=%d, OfString=%d", key, a, b)
		}
		if a < 0 || a >= Count {
			t.Fatalf("slot %d out of range", a)
		}
	})
}
