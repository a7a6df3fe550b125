package ds

import (
	"fmt"
	"strconv"
	"testing"
)

// TestClone checks that clones have the same contents and encoding and
// share nothing mutable with the original.
func TestClone(t *testing.T) {
	s := NewString([]byte("abc"))
	s.Append([]byte("d"))
	cs := s.Clone().(*String)
	s.B[0] = 'X'
	if string(cs.B) != "abcd" || cs.Encoding() != "raw" {
		t.Errorf("string clone = %q %s; want abcd raw", cs.B, cs.Encoding())
	}
	if c := NewIntString(42).Clone(); c.Encoding() != "int" {
		t.Errorf("int string clone encoding = %s", c.Encoding())
	}

	l := NewList()
	for i := 0; i < 10; i++ {
		l.PushLeft([]byte(strconv.Itoa(i)))
	}
	l.PopRight()
	cl := l.Clone().(*List)
	l.Set(0, []byte("changed"))
	l.PushRight([]byte("more"))
	if cl.Len() != 9 || cl.At(0) != "9" || cl.At(8) != "1" {
		t.Errorf("list clone = %d elements, first %q last %q", cl.Len(), cl.At(0), cl.At(cl.Len()-1))
	}
	if e := NewList().Clone().(*List); e.Len() != 0 {
		t.Error("empty list clone not empty")
	}

	h := NewHash()
	for i := 0; i < 20; i++ {
		h.Set([]byte(fmt.Sprint("f", i)), []byte(fmt.Sprint("v", i)))
	}
	h.Convert()
	ch := h.Clone().(*Hash)
	h.Set([]byte("f1"), []byte("changed"))
	h.Delete([]byte("f2"))
	if v, _ := ch.Get([]byte("f1")); v != "v1" || !ch.Has([]byte("f2")) || ch.Len() != 20 || ch.Encoding() != "hashtable" {
		t.Errorf("hash clone: f1=%q has f2=%v len=%d enc=%s", v, ch.Has([]byte("f2")), ch.Len(), ch.Encoding())
	}
	ch.Set([]byte("new"), []byte("x"))
	if h.Has([]byte("new")) {
		t.Error("hash clone shares its index with the original")
	}

	z := NewZSet()
	for i := 0; i < 200; i++ {
		z.Add([]byte(fmt.Sprint("m", i)), float64(i%7))
	}
	for i := 0; i < 150; i++ {
		z.Remove([]byte(fmt.Sprint("m", i)))
	}
	cz := z.Clone().(*ZSet)
	z.Add([]byte("m199"), -1)
	if cz.Encoding() != "skiplist" || cz.Len() != 50 {
		t.Errorf("zset clone: %s, %d members", cz.Encoding(), cz.Len())
	}
	if sc, _ := cz.Score([]byte("m199")); sc != float64(199%7) {
		t.Errorf("zset clone score of m199 = %v", sc)
	}
	var got, want []Member
	cz.Each(func(m Member) bool { got = append(got, m); return true })
	z.Add([]byte("m199"), float64(199%7))
	z.Each(func(m Member) bool { want = append(want, m); return true })
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("zset clone order %v; want %v", got, want)
	}
	for i, m := range want {
		if r, ok := cz.Rank([]byte(m.Member)); !ok || r != i {
			t.Fatalf("clone Rank(%s) = %d; want %d", m.Member, r, i)
		}
	}
}
