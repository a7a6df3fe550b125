package ds

// List is a list value: a double-ended queue of byte strings with O(1)
// push and pop at both ends and O(1) access by index.
//
// It is a ring buffer of strings whose capacity is a power of two. Each
// element costs its own allocation plus a 16-byte string header in the
// ring, and the ring never holds more than four times the slots in use
// (it shrinks when a pop or a trim leaves it a quarter full), so many
// small lists stay small. Elements are immutable strings: the list copies
// the bytes it is given once, and a popped element can be pushed onto
// another list (LMOVE) without another copy.
type List struct {
	ring []string // len(ring) is 0 or a power of two
	head int      // ring index of element 0
	n    int      // number of elements
}

// minRing is the smallest ring a non-empty list shrinks back to.
const minRing = 4

// NewList returns an empty list.
func NewList() *List { return &List{} }

func (*List) Kind() Kind { return KindList }

// Encoding is always "quicklist": Redis 7.0 reports it for every list.
func (*List) Encoding() string { return "quicklist" }

// Len returns the number of elements.
func (l *List) Len() int { return l.n }

// slot maps element index i (0 <= i < n, or n for the slot after the
// last) to its ring index.
func (l *List) slot(i int) int { return (l.head + i) & (len(l.ring) - 1) }

// At returns element i; 0 <= i < Len().
func (l *List) At(i int) string {
	if uint(i) >= uint(l.n) {
		panic("ds: list index out of range")
	}
	return l.ring[l.slot(i)]
}

// Set replaces element i (0 <= i < Len()) with a copy of b.
func (l *List) Set(i int, b []byte) {
	if uint(i) >= uint(l.n) {
		panic("ds: list index out of range")
	}
	l.ring[l.slot(i)] = string(b)
}

// PushLeft prepends a copy of b.
func (l *List) PushLeft(b []byte) { l.PushLeftString(string(b)) }

// PushRight appends a copy of b.
func (l *List) PushRight(b []byte) { l.PushRightString(string(b)) }

// PushLeftString prepends s (strings are immutable: no copy is needed).
func (l *List) PushLeftString(s string) {
	if l.n == len(l.ring) {
		l.resize(max(minRing, 2*len(l.ring)))
	}
	l.head = (l.head - 1) & (len(l.ring) - 1)
	l.ring[l.head] = s
	l.n++
}

// PushRightString appends s.
func (l *List) PushRightString(s string) {
	if l.n == len(l.ring) {
		l.resize(max(minRing, 2*len(l.ring)))
	}
	l.ring[l.slot(l.n)] = s
	l.n++
}

// PopLeft removes and returns the first element; ok is false if the list
// is empty.
func (l *List) PopLeft() (s string, ok bool) {
	if l.n == 0 {
		return "", false
	}
	s = l.ring[l.head]
	l.ring[l.head] = ""
	l.head = (l.head + 1) & (len(l.ring) - 1)
	l.n--
	l.maybeShrink()
	return s, true
}

// PopRight removes and returns the last element; ok is false if the list
// is empty.
func (l *List) PopRight() (s string, ok bool) {
	if l.n == 0 {
		return "", false
	}
	i := l.slot(l.n - 1)
	s = l.ring[i]
	l.ring[i] = ""
	l.n--
	l.maybeShrink()
	return s, true
}

// Insert inserts a copy of b before element i (0 <= i <= Len(); Len()
// appends), shifting the shorter side.
func (l *List) Insert(i int, b []byte) {
	if uint(i) > uint(l.n) {
		panic("ds: list index out of range")
	}
	s := string(b)
	if i == 0 {
		l.PushLeftString(s)
		return
	}
	if i == l.n {
		l.PushRightString(s)
		return
	}
	if l.n == len(l.ring) {
		l.resize(2 * len(l.ring))
	}
	if i < l.n/2 {
		// Move elements 0..i-1 one slot to the left.
		l.head = (l.head - 1) & (len(l.ring) - 1)
		for j := 0; j < i; j++ {
			l.ring[l.slot(j)] = l.ring[l.slot(j+1)]
		}
	} else {
		// Move elements i..n-1 one slot to the right.
		for j := l.n; j > i; j-- {
			l.ring[l.slot(j)] = l.ring[l.slot(j-1)]
		}
	}
	l.ring[l.slot(i)] = s
	l.n++
}

// RemoveMatches removes elements equal to b: at most count of them
// scanning from the head if count > 0, at most -count scanning from the
// tail if count < 0, all of them if count == 0. It returns how many it
// removed.
func (l *List) RemoveMatches(b []byte, count int) int {
	limit := count
	if limit <= 0 {
		limit = -limit
		if count == 0 {
			limit = l.n
		}
	}
	removed := 0
	if count >= 0 {
		w := 0
		for r := 0; r < l.n; r++ {
			s := l.ring[l.slot(r)]
			if removed < limit && s == string(b) {
				removed++
				continue
			}
			if w != r {
				l.ring[l.slot(w)] = s
			}
			w++
		}
		for j := w; j < l.n; j++ {
			l.ring[l.slot(j)] = ""
		}
	} else {
		w := l.n - 1
		for r := l.n - 1; r >= 0; r-- {
			s := l.ring[l.slot(r)]
			if removed < limit && s == string(b) {
				removed++
				continue
			}
			if w != r {
				l.ring[l.slot(w)] = s
			}
			w--
		}
		for j := 0; j <= w; j++ {
			l.ring[l.slot(j)] = ""
		}
		l.head = l.slot(w + 1)
	}
	l.n -= removed
	l.maybeShrink()
	return removed
}

// Trim keeps elements start..stop-1 and drops the rest
// (0 <= start <= stop <= Len()).
func (l *List) Trim(start, stop int) {
	if start < 0 || start > stop || stop > l.n {
		panic("ds: list trim out of range")
	}
	for j := 0; j < start; j++ {
		l.ring[l.slot(j)] = ""
	}
	for j := stop; j < l.n; j++ {
		l.ring[l.slot(j)] = ""
	}
	if len(l.ring) > 0 {
		l.head = l.slot(start)
	}
	l.n = stop - start
	l.maybeShrink()
}

// maybeShrink halves the ring while it is at most a quarter full, so a
// list that grew and drained does not keep its peak memory.
func (l *List) maybeShrink() {
	if l.n == 0 {
		l.ring, l.head = nil, 0
		return
	}
	if len(l.ring) > minRing && l.n <= len(l.ring)/4 {
		size := len(l.ring)
		for size > minRing && l.n <= size/4 {
			size /= 2
		}
		l.resize(size)
	}
}

// resize moves the elements into a new ring of size (a power of two >= n),
// element 0 first.
func (l *List) resize(size int) {
	ring := make([]string, size)
	if l.n > 0 {
		first := l.ring[l.head:min(len(l.ring), l.head+l.n)]
		copy(ring, first)
		copy(ring[len(first):], l.ring[:l.n-len(first)])
	}
	l.ring, l.head = ring, 0
}
