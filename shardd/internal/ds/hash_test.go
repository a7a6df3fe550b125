package ds

import (
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// TestHashModel runs random operations on a Hash and on a map and
// compares them, crossing the size at which the field index is built.
func TestHashModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := NewHash()
		model := map[string]string{}
		field := func() []byte {
			return []byte(strconv.Itoa(rapid.IntRange(0, 20).Draw(t, "field")))
		}
		for step := rapid.IntRange(1, 200).Draw(t, "steps"); step > 0; step-- {
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0, 1:
				f := field()
				v := []byte(rapid.String().Draw(t, "value"))
				_, existed := model[string(f)]
				if added := h.Set(f, v); added == existed {
					t.Fatalf("Set(%q) added = %v with the field existing = %v", f, added, existed)
				}
				model[string(f)] = string(v)
			case 2:
				f := field()
				_, existed := model[string(f)]
				if h.Delete(f) != existed {
					t.Fatalf("Delete(%q) != %v", f, existed)
				}
				delete(model, string(f))
			}
			if h.Len() != len(model) {
				t.Fatalf("Len = %d; want %d", h.Len(), len(model))
			}
			seen := map[string]bool{}
			for i := 0; i < h.Len(); i++ {
				f, v := h.At(i)
				if model[f] != v || seen[f] {
					t.Fatalf("At(%d) = %q, %q; model %q", i, f, v, model)
				}
				seen[f] = true
			}
			for f, v := range model {
				if got, ok := h.Get([]byte(f)); !ok || got != v || !h.Has([]byte(f)) {
					t.Fatalf("Get(%q) = %q, %v; want %q", f, got, ok, v)
				}
			}
			if _, ok := h.Get([]byte("missing")); ok {
				t.Fatal("Get of a missing field succeeded")
			}
		}
	})
}

func TestHashCopiesAndEncoding(t *testing.T) {
	h := NewHash()
	f, v := []byte("f"), []byte("v")
	h.Set(f, v)
	f[0], v[0] = 'X', 'Y'
	if got, ok := h.Get([]byte("f")); !ok || got != "v" {
		t.Fatalf("Get = %q, %v after the caller changed its buffers", got, ok)
	}
	if h.Kind() != KindHash || h.Encoding() != "listpack" || !h.IsListpack() {
		t.Errorf("Kind, Encoding = %v, %q", h.Kind(), h.Encoding())
	}
	h.Convert()
	h.Delete([]byte("f"))
	if h.Encoding() != "hashtable" {
		t.Errorf("Encoding after Convert = %q; want hashtable (one-way)", h.Encoding())
	}
}

func BenchmarkHashSetSmall(b *testing.B) {
	h := NewHash()
	fields := [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")}
	v := []byte("value")
	for i := 0; i < b.N; i++ {
		h.Set(fields[i&3], v)
	}
}
