package ds

import (
	"slices"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// TestListModel runs random operations on a List and on a plain slice and
// compares them after every step, checking the ring's invariants too.
func TestListModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := NewList()
		var model []string
		elem := func() []byte {
			return []byte(rapid.SampledFrom([]string{"a", "b", "c", "", "\x00"}).Draw(t, "elem"))
		}
		for step := rapid.IntRange(1, 300).Draw(t, "steps"); step > 0; step-- {
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			case 0, 1:
				e := elem()
				l.PushLeft(e)
				model = append([]string{string(e)}, model...)
			case 2, 3:
				e := elem()
				l.PushRight(e)
				model = append(model, string(e))
			case 4:
				s, ok := l.PopLeft()
				if ok != (len(model) > 0) || ok && s != model[0] {
					t.Fatalf("PopLeft = %q, %v; model %q", s, ok, model)
				}
				if ok {
					model = model[1:]
				}
			case 5:
				s, ok := l.PopRight()
				if ok != (len(model) > 0) || ok && s != model[len(model)-1] {
					t.Fatalf("PopRight = %q, %v; model %q", s, ok, model)
				}
				if ok {
					model = model[:len(model)-1]
				}
			case 6:
				i := rapid.IntRange(0, len(model)).Draw(t, "at")
				e := elem()
				l.Insert(i, e)
				model = slices.Insert(model, i, string(e))
			case 7:
				if len(model) > 0 {
					i := rapid.IntRange(0, len(model)-1).Draw(t, "set")
					e := elem()
					l.Set(i, e)
					model[i] = string(e)
				}
			case 8:
				e := elem()
				count := rapid.IntRange(-3, 3).Draw(t, "count")
				got := l.RemoveMatches(e, count)
				want := 0
				switch {
				case count >= 0:
					var kept []string
					for _, s := range model {
						if s == string(e) && (count == 0 || want < count) {
							want++
							continue
						}
						kept = append(kept, s)
					}
					model = kept
				default:
					var kept []string
					for i := len(model) - 1; i >= 0; i-- {
						if model[i] == string(e) && want < -count {
							want++
							continue
						}
						kept = append([]string{model[i]}, kept...)
					}
					model = kept
				}
				if got != want {
					t.Fatalf("RemoveMatches(%q, %d) = %d; want %d", e, count, got, want)
				}
			case 9:
				start := rapid.IntRange(0, len(model)).Draw(t, "start")
				stop := rapid.IntRange(start, len(model)).Draw(t, "stop")
				l.Trim(start, stop)
				model = append([]string(nil), model[start:stop]...)
			}
			if l.Len() != len(model) {
				t.Fatalf("Len = %d; want %d", l.Len(), len(model))
			}
			for i, want := range model {
				if got := l.At(i); got != want {
					t.Fatalf("At(%d) = %q; want %q (model %q)", i, got, want, model)
				}
			}
			// The ring is a power of two, holds the elements, and is
			// more than a quarter full unless at its minimum size.
			if r := len(l.ring); r != 0 && (r&(r-1) != 0 || r < l.n || r > minRing && l.n <= r/4) {
				t.Fatalf("ring of %d slots for %d elements", r, l.n)
			}
			if l.n == 0 && l.ring != nil {
				t.Fatalf("empty list keeps a ring of %d", len(l.ring))
			}
		}
	})
}

func TestListCopiesElements(t *testing.T) {
	l := NewList()
	b := []byte("abc")
	l.PushRight(b)
	l.PushLeft(b)
	l.Insert(1, b)
	l.Set(0, b)
	b[0] = 'X'
	for i := 0; i < l.Len(); i++ {
		if l.At(i) != "abc" {
			t.Fatalf("At(%d) = %q after the caller changed its buffer", i, l.At(i))
		}
	}
	if l.Kind() != KindList || l.Encoding() != "quicklist" {
		t.Errorf("Kind, Encoding = %v, %q", l.Kind(), l.Encoding())
	}
}

func TestListShrinks(t *testing.T) {
	l := NewList()
	for i := 0; i < 10000; i++ {
		l.PushRight([]byte(strconv.Itoa(i)))
	}
	for l.Len() > 3 {
		l.PopLeft()
	}
	if len(l.ring) > 16 {
		t.Errorf("3 elements left in a ring of %d slots", len(l.ring))
	}
	if l.At(0) != "9997" || l.At(2) != "9999" {
		t.Errorf("remaining elements %q %q", l.At(0), l.At(2))
	}
}

func BenchmarkListPushPop(b *testing.B) {
	l := NewList()
	v := []byte("value")
	for i := 0; i < b.N; i++ {
		l.PushLeft(v)
		if l.Len() > 1000 {
			l.PopRight()
		}
	}
}
