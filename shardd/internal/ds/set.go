package ds

import (
	"slices"
	"strconv"
)

// MaxIntsetEntries is Redis's default set-max-intset-entries: a set of
// integers larger than this is stored (and reported) as a hashtable.
const MaxIntsetEntries = 512

// Set is a set of byte strings. Like Redis 7.0 it has two encodings:
//
//   - intset, while every member is a canonical 64-bit integer and the set
//     is small: a sorted []int64, looked up by binary search. Iteration
//     is in ascending numeric order, as Redis's intset.
//   - hashtable otherwise: the members in a slice plus a map from member
//     to its position, so that a random member is one index away and a
//     removal is a swap with the last element.
//
// The conversion from intset to hashtable is one-way, as in Redis. Members
// are addressed by position in [0, Len()) for iteration and random picks;
// positions change when the set changes.
type Set struct {
	intset bool
	ints   []int64 // intset encoding: sorted, distinct

	members []string       // hashtable encoding
	index   map[string]int // member -> position in members
}

// NewSet returns an empty set in the intset encoding.
func NewSet() *Set { return &Set{intset: true} }

func (*Set) Kind() Kind { return KindSet }

// Encoding is "intset" or "hashtable", as OBJECT ENCODING reports.
func (s *Set) Encoding() string {
	if s.intset {
		return "intset"
	}
	return "hashtable"
}

// Len is the number of members.
func (s *Set) Len() int {
	if s.intset {
		return len(s.ints)
	}
	return len(s.members)
}

// canonicalInt parses m if it is the canonical decimal form of a 64-bit
// integer (what Redis's string2ll accepts: no sign on zero, no leading
// zeros, no '+', no spaces).
func canonicalInt(m []byte) (int64, bool) {
	if len(m) == 0 || len(m) > 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(m), 10, 64)
	if err != nil {
		return 0, false
	}
	var buf [20]byte
	if string(strconv.AppendInt(buf[:0], n, 10)) != string(m) {
		return 0, false
	}
	return n, true
}

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	if s.intset {
		n, ok := canonicalInt(m)
		if !ok {
			return false
		}
		_, found := slices.BinarySearch(s.ints, n)
		return found
	}
	_, ok := s.index[string(m)]
	return ok
}

// Add inserts a copy of m and reports whether it was new. maxIntset is
// set-max-intset-entries: an intset growing beyond it becomes a hashtable.
func (s *Set) Add(m []byte, maxIntset int) bool {
	if s.intset {
		if n, ok := canonicalInt(m); ok {
			i, found := slices.BinarySearch(s.ints, n)
			if found {
				return false
			}
			s.ints = slices.Insert(s.ints, i, n)
			if len(s.ints) > maxIntset {
				s.toHashtable()
			}
			return true
		}
		s.toHashtable()
	}
	if _, ok := s.index[string(m)]; ok {
		return false
	}
	k := string(m)
	s.index[k] = len(s.members)
	s.members = append(s.members, k)
	return true
}

// AddString is Add for a member held as a string (no copy needed).
func (s *Set) AddString(m string, maxIntset int) bool {
	if !s.intset {
		if _, ok := s.index[m]; ok {
			return false
		}
		s.index[m] = len(s.members)
		s.members = append(s.members, m)
		return true
	}
	return s.Add([]byte(m), maxIntset)
}

// Remove deletes m and reports whether it was a member.
func (s *Set) Remove(m []byte) bool {
	if s.intset {
		n, ok := canonicalInt(m)
		if !ok {
			return false
		}
		i, found := slices.BinarySearch(s.ints, n)
		if !found {
			return false
		}
		s.ints = slices.Delete(s.ints, i, i+1)
		return true
	}
	i, ok := s.index[string(m)]
	if !ok {
		return false
	}
	s.RemoveAt(i)
	return true
}

// RemoveAt deletes the member at position i and returns it.
func (s *Set) RemoveAt(i int) string {
	if s.intset {
		m := strconv.FormatInt(s.ints[i], 10)
		s.ints = slices.Delete(s.ints, i, i+1)
		return m
	}
	m := s.members[i]
	last := len(s.members) - 1
	if i != last {
		moved := s.members[last]
		s.members[i] = moved
		s.index[moved] = i
	}
	s.members[last] = ""
	s.members = s.members[:last]
	delete(s.index, m)
	return m
}

// Member returns the member at position i.
func (s *Set) Member(i int) string {
	if s.intset {
		return strconv.FormatInt(s.ints[i], 10)
	}
	return s.members[i]
}

// AppendMember appends the member at position i to dst; it lets a caller
// write members without allocating a string per member.
func (s *Set) AppendMember(dst []byte, i int) []byte {
	if s.intset {
		return strconv.AppendInt(dst, s.ints[i], 10)
	}
	return append(dst, s.members[i]...)
}

// Members returns every member, in iteration order.
func (s *Set) Members() []string {
	out := make([]string, s.Len())
	for i := range out {
		out[i] = s.Member(i)
	}
	return out
}

// Clone returns a deep copy with the same encoding.
func (s *Set) Clone() Value {
	c := &Set{intset: s.intset}
	if s.intset {
		c.ints = slices.Clone(s.ints)
		return c
	}
	c.members = slices.Clone(s.members)
	c.index = make(map[string]int, len(s.index))
	for k, v := range s.index {
		c.index[k] = v
	}
	return c
}

func (s *Set) toHashtable() {
	s.intset = false
	s.members = make([]string, len(s.ints), len(s.ints)+1)
	s.index = make(map[string]int, len(s.ints)+1)
	for i, n := range s.ints {
		m := strconv.FormatInt(n, 10)
		s.members[i] = m
		s.index[m] = i
	}
	s.ints = nil
}
