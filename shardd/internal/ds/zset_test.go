package ds

import (
	"fmt"
	"sort"
	"testing"

	"pgregory.net/rapid"
)

// model is the obviously correct sorted set: a map sorted on demand.
type model map[string]float64

func (m model) sorted() []Member {
	out := make([]Member, 0, len(m))
	for k, v := range m {
		out = append(out, Member{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i].Score, out[i].Member, out[j].Score, out[j].Member) })
	return out
}

func collect(f func(func(Member) bool)) []Member {
	var out []Member
	f(func(m Member) bool { out = append(out, m); return true })
	return out
}

func TestZSetAgainstModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		z, m := NewZSet(), model{}
		member := rapid.SampledFrom([]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"})
		score := rapid.SampledFrom([]float64{-2, -1, 0, 0.5, 1, 1, 2, 3})
		for step := 0; step < 200; step++ {
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0, 1:
				k, s := member.Draw(t, "m"), score.Draw(t, "s")
				_, had := m[k]
				if added := z.Add([]byte(k), s); added == had {
					t.Fatalf("Add(%s) reported added=%v; model had=%v", k, added, had)
				}
				m[k] = s
			case 2:
				k := member.Draw(t, "m")
				_, had := m[k]
				if z.Remove([]byte(k)) != had {
					t.Fatalf("Remove(%s) disagrees", k)
				}
				delete(m, k)
			}
			want := m.sorted()
			if z.Len() != len(want) {
				t.Fatalf("Len %d; want %d", z.Len(), len(want))
			}
			got := collect(z.Each)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("order %v; want %v", got, want)
			}
			for i, w := range want {
				if r, ok := z.Rank([]byte(w.Member)); !ok || r != i {
					t.Fatalf("Rank(%s) = %d; want %d", w.Member, r, i)
				}
			}
			lo, hi := rapid.IntRange(0, 10).Draw(t, "lo"), rapid.IntRange(0, 10).Draw(t, "hi")
			var wantRange []Member
			for i := lo; i <= hi && i < len(want); i++ {
				wantRange = append(wantRange, want[i])
			}
			if got := collect(func(f func(Member) bool) { z.RangeByRank(lo, hi, false, f) }); fmt.Sprint(got) != fmt.Sprint(wantRange) {
				t.Fatalf("RangeByRank(%d,%d) = %v; want %v", lo, hi, got, wantRange)
			}
			r := ScoreRange{Min: score.Draw(t, "min"), Max: score.Draw(t, "max"), MinEx: rapid.Bool().Draw(t, "minex"), MaxEx: rapid.Bool().Draw(t, "maxex")}
			var inScore []Member
			for _, w := range want {
				if r.aboveMin(w.Score) && r.belowMax(w.Score) {
					inScore = append(inScore, w)
				}
			}
			if got := collect(func(f func(Member) bool) { z.RangeByScore(r, false, 0, f) }); fmt.Sprint(got) != fmt.Sprint(inScore) {
				t.Fatalf("RangeByScore(%+v) = %v; want %v", r, got, inScore)
			}
			if n := z.CountInScore(r); n != len(inScore) {
				t.Fatalf("CountInScore(%+v) = %d; want %d", r, n, len(inScore))
			}
			rev := collect(func(f func(Member) bool) { z.RangeByScore(r, true, 0, f) })
			for i := range rev {
				if rev[i] != inScore[len(inScore)-1-i] {
					t.Fatalf("reverse RangeByScore(%+v) = %v; want reverse of %v", r, rev, inScore)
				}
			}
		}
	})
}

func TestZSetLex(t *testing.T) {
	z := NewZSet()
	for _, m := range []string{"a", "b", "c", "d", "e"} {
		z.Add([]byte(m), 0)
	}
	r := LexRange{Min: LexBound{Value: "b"}, Max: LexBound{Value: "d", Ex: true}}
	got := collect(func(f func(Member) bool) { z.RangeByLex(r, false, 0, f) })
	if fmt.Sprint(got) != "[{b 0} {c 0}]" {
		t.Errorf("[b (d = %v", got)
	}
	got = collect(func(f func(Member) bool) {
		z.RangeByLex(LexRange{Min: LexBound{Inf: -1}, Max: LexBound{Inf: 1}}, true, 1, f)
	})
	if fmt.Sprint(got) != "[{d 0} {c 0} {b 0} {a 0}]" {
		t.Errorf("- + rev offset 1 = %v", got)
	}
}
