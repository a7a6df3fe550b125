package ds

import (
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestZSetOpsAgainstModel checks the range removals, pops, ranks and
// cursors against the sorted model of zset_test.go. Lex ranges use equal
// scores, where every encoding agrees.
func TestZSetOpsAgainstModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		z, m := NewZSet(), model{}
		members := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
		lexOnly := rapid.Bool().Draw(t, "lexonly")
		for i := rapid.IntRange(0, 200).Draw(t, "n"); i > 0; i-- {
			k := rapid.SampledFrom(members).Draw(t, "m")
			s := float64(rapid.IntRange(-2, 3).Draw(t, "s"))
			if lexOnly {
				s = 0
			}
			z.Put([]byte(k), s)
			m[k] = s
		}
		want := m.sorted()
		switch rapid.IntRange(0, 5).Draw(t, "op") {
		case 0:
			start := rapid.IntRange(0, len(want)).Draw(t, "start")
			stop := rapid.IntRange(start, len(want)).Draw(t, "stop")
			if start < len(want) {
				stop = min(stop, len(want)-1)
				n := z.RemoveRangeByRank(start, stop)
				if n != stop-start+1 {
					t.Fatalf("RemoveRangeByRank removed %d", n)
				}
				want = slices.Delete(want, start, stop+1)
			}
		case 1:
			r := ScoreRange{Min: float64(rapid.IntRange(-3, 3).Draw(t, "min")), Max: float64(rapid.IntRange(-3, 3).Draw(t, "max")),
				MinEx: rapid.Bool().Draw(t, "minex"), MaxEx: rapid.Bool().Draw(t, "maxex")}
			n := z.RemoveRangeByScore(r)
			kept := slices.DeleteFunc(slices.Clone(want), func(x Member) bool { return r.GteMin(x.Score) && r.LteMax(x.Score) })
			if n != len(want)-len(kept) {
				t.Fatalf("RemoveRangeByScore(%+v) removed %d; want %d", r, n, len(want)-len(kept))
			}
			want = kept
		case 2:
			if !lexOnly {
				return
			}
			r := LexRange{
				Min: LexBound{Value: rapid.SampledFrom(members).Draw(t, "lmin"), Ex: rapid.Bool().Draw(t, "lminex")},
				Max: LexBound{Value: rapid.SampledFrom(members).Draw(t, "lmax"), Ex: rapid.Bool().Draw(t, "lmaxex")},
			}
			in := func(x Member) bool { return r.GteMin(x.Member) && r.LteMax(x.Member) }
			count := 0
			for _, x := range want {
				if in(x) {
					count++
				}
			}
			if got := z.CountInLex(r); got != count {
				t.Fatalf("CountInLex(%+v) = %d; want %d", r, got, count)
			}
			n := z.RemoveRangeByLex(r)
			want = slices.DeleteFunc(want, in)
			if n != count {
				t.Fatalf("RemoveRangeByLex removed %d; want %d", n, count)
			}
		case 3:
			max := rapid.Bool().Draw(t, "max")
			got, ok := z.Pop(max)
			if ok != (len(want) > 0) {
				t.Fatalf("Pop on %d members: %v", len(want), ok)
			}
			if ok {
				i := 0
				if max {
					i = len(want) - 1
				}
				if got != want[i] {
					t.Fatalf("Pop(%v) = %v; want %v", max, got, want[i])
				}
				want = slices.Delete(want, i, i+1)
			}
		case 4:
			for i, x := range want {
				if r, ok := z.RevRank([]byte(x.Member)); !ok || r != len(want)-1-i {
					t.Fatalf("RevRank(%s) = %d, %v; want %d", x.Member, r, ok, len(want)-1-i)
				}
			}
		}
		var got []Member
		for c := z.CursorAtRank(0, false); c.Ok(); c.Next() {
			got = append(got, Member{c.Member(), c.Score()})
		}
		if !slices.Equal(got, want) || z.Len() != len(want) {
			t.Fatalf("set %v; want %v", got, want)
		}
		var rev []Member
		for c := z.CursorAtRank(0, true); c.Ok(); c.Next() {
			rev = append(rev, Member{c.Member(), c.Score()})
		}
		slices.Reverse(rev)
		if !slices.Equal(rev, want) {
			t.Fatalf("reversed walk %v; want %v", rev, want)
		}
	})
}

// TestZSetNegativeZero checks Redis's listpack quirk: -0 stored while the
// set is a listpack reads back as 0; a skiplist keeps it.
func TestZSetNegativeZero(t *testing.T) {
	negZero := math.Copysign(0, -1)
	z := NewZSet()
	z.Put([]byte("a"), negZero)
	if s, _ := z.Score([]byte("a")); math.Signbit(s) {
		t.Fatalf("listpack kept -0")
	}
	big := NewZSetSkiplist()
	big.PutString("a", negZero)
	if s, _ := big.Score([]byte("a")); !math.Signbit(s) {
		t.Fatalf("skiplist lost -0")
	}
	if big.Encoding() != "skiplist" {
		t.Fatalf("NewZSetSkiplist encoding %s", big.Encoding())
	}
	big.FitListpack()
	if s, _ := big.Score([]byte("a")); math.Signbit(s) || big.Encoding() != "listpack" {
		t.Fatalf("FitListpack: score %v, encoding %s", s, big.Encoding())
	}
}

// TestZSetLexListpackWalk checks the linear walk Redis makes over a
// listpack when scores differ.
func TestZSetLexListpackWalk(t *testing.T) {
	z := NewZSet()
	for i, m := range []string{"c", "a", "d", "b"} {
		z.Put([]byte(m), float64(i))
	}
	r := LexRange{Min: LexBound{Value: "b"}, Max: LexBound{Value: "c"}}
	var got []string
	for c := z.CursorLex(r, false); c.Ok() && r.LteMax(c.Member()); c.Next() {
		got = append(got, c.Member())
	}
	if !slices.Equal(got, []string{"c", "a"}) {
		t.Fatalf("walk %q; want [c a]", got)
	}
}
