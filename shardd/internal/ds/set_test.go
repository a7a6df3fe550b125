package ds

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func TestSetEncoding(t *testing.T) {
	tests := []struct {
		name    string
		members []string
		want    string
	}{
		{"empty", nil, "intset"},
		{"ints", []string{"1", "-5", "9223372036854775807", "-9223372036854775808", "0"}, "intset"},
		{"leading zero", []string{"1", "01"}, "hashtable"},
		{"plus sign", []string{"+1"}, "hashtable"},
		{"minus zero", []string{"-0"}, "hashtable"},
		{"space", []string{" 1"}, "hashtable"},
		{"overflow", []string{"9223372036854775808"}, "hashtable"},
		{"empty string", []string{""}, "hashtable"},
		{"text", []string{"a"}, "hashtable"},
	}
	for _, tc := range tests {
		s := NewSet()
		for _, m := range tc.members {
			s.Add([]byte(m), MaxIntsetEntries)
		}
		if got := s.Encoding(); got != tc.want {
			t.Errorf("%s: Encoding() = %q; want %q", tc.name, got, tc.want)
		}
	}
}

func TestSetIntsetLimitAndOneWay(t *testing.T) {
	s := NewSet()
	for i := 0; i < MaxIntsetEntries; i++ {
		s.Add([]byte(strconv.Itoa(i)), MaxIntsetEntries)
	}
	if got := s.Encoding(); got != "intset" {
		t.Fatalf("at %d entries: Encoding() = %q; want intset", s.Len(), got)
	}
	s.Add([]byte("100000"), MaxIntsetEntries)
	if got := s.Encoding(); got != "hashtable" {
		t.Fatalf("at %d entries: Encoding() = %q; want hashtable", s.Len(), got)
	}
	for i := 0; i < 500; i++ {
		s.Remove([]byte(strconv.Itoa(i)))
	}
	if got := s.Encoding(); got != "hashtable" {
		t.Fatalf("after shrinking: Encoding() = %q; want hashtable", got)
	}
	if s.Len() != 13 {
		t.Fatalf("Len() = %d; want 13", s.Len())
	}
}

func TestSetIntsetOrder(t *testing.T) {
	s := NewSet()
	for _, m := range []string{"5", "-3", "10", "0"} {
		s.Add([]byte(m), MaxIntsetEntries)
	}
	if got, want := s.Members(), []string{"-3", "0", "5", "10"}; !slices.Equal(got, want) {
		t.Fatalf("Members() = %q; want %q", got, want)
	}
}

// TestSetModel checks both encodings against a map under random
// operations, RemoveAt included.
func TestSetModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, pool := range [][]string{
		{"1", "2", "3", "4", "5", "6", "7", "8"},
		{"1", "2", "a", "b", "", "-1", "01", "x y"},
	} {
		s := NewSet()
		model := map[string]bool{}
		for step := 0; step < 5000; step++ {
			m := pool[rng.IntN(len(pool))]
			switch rng.IntN(4) {
			case 0, 1:
				if got, want := s.Add([]byte(m), 4), !model[m]; got != want {
					t.Fatalf("Add(%q) = %v; want %v", m, got, want)
				}
				model[m] = true
			case 2:
				if got, want := s.Remove([]byte(m)), model[m]; got != want {
					t.Fatalf("Remove(%q) = %v; want %v", m, got, want)
				}
				delete(model, m)
			case 3:
				if s.Len() > 0 {
					got := s.RemoveAt(rng.IntN(s.Len()))
					if !model[got] {
						t.Fatalf("RemoveAt returned %q, not a member", got)
					}
					delete(model, got)
				}
			}
			if s.Len() != len(model) {
				t.Fatalf("Len() = %d; want %d", s.Len(), len(model))
			}
			for _, p := range pool {
				if s.Has([]byte(p)) != model[p] {
					t.Fatalf("Has(%q) = %v; want %v", p, !model[p], model[p])
				}
			}
			seen := map[string]bool{}
			for i := 0; i < s.Len(); i++ {
				seen[s.Member(i)] = true
				if got := string(s.AppendMember(nil, i)); got != s.Member(i) {
					t.Fatalf("AppendMember(%d) = %q; want %q", i, got, s.Member(i))
				}
			}
			if len(seen) != len(model) {
				t.Fatalf("iteration saw %d distinct members; want %d", len(seen), len(model))
			}
		}
	}
}

func TestSetCloneIsDeep(t *testing.T) {
	for _, first := range []string{"1", "a"} {
		s := NewSet()
		s.Add([]byte(first), MaxIntsetEntries)
		c := s.Clone().(*Set)
		c.Add([]byte("2"), MaxIntsetEntries)
		c.Remove([]byte(first))
		if !s.Has([]byte(first)) || s.Has([]byte("2")) || s.Len() != 1 {
			t.Fatalf("changing the clone changed the original: %q", s.Members())
		}
		if c.Encoding() != s.Encoding() {
			t.Fatalf("clone encoding %q; want %q", c.Encoding(), s.Encoding())
		}
	}
}

func TestSetAddCopies(t *testing.T) {
	s := NewSet()
	b := []byte("abc")
	s.Add(b, MaxIntsetEntries)
	b[0] = 'x'
	if !s.Has([]byte("abc")) || s.Has([]byte("xbc")) {
		t.Fatal("Add kept the caller's slice")
	}
}
