package ds

import "slices"

// Deep copies with the same encoding, for COPY and for copy-before-write
// snapshots. (*Set).Clone is in set.go and returns *Set.

// Clone returns a deep copy of s, with the same encoding.
func (s *String) Clone() Value {
	b := make([]byte, len(s.B), cap(s.B))
	copy(b, s.B)
	return &String{B: b}
}

// Clone returns a deep copy of l. Elements are immutable strings, so they
// are shared.
func (l *List) Clone() Value {
	c := &List{n: l.n}
	if l.n > 0 {
		c.ring = slices.Clone(l.ring)
		c.head = l.head
	}
	return c
}

// Clone returns a deep copy of h, with the same encoding and pair order.
func (h *Hash) Clone() Value {
	c := &Hash{pairs: slices.Clone(h.pairs), big: h.big}
	if h.index != nil {
		c.index = make(map[string]int32, len(h.index))
		for k, v := range h.index {
			c.index[k] = v
		}
	}
	return c
}

// Clone returns a deep copy of z, with the same encoding.
func (z *ZSet) Clone() Value {
	c := NewZSet()
	// Appending in order at the tail: each insert walks from the head
	// on every level, which is O(log n) expected.
	for x := z.head.level[0].next; x != nil; x = x.level[0].next {
		c.insertNode(&zNode{member: x.member, score: x.score})
		c.dict[x.member] = x.score
	}
	c.converted = z.converted
	return c
}
