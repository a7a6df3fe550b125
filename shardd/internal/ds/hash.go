package ds

// Hash is a hash value: a map from field to value.
//
// Pairs live in a dense slice, so that iteration, HRANDFIELD's random
// picks (a uniform random index) and cursor scans are O(1) per pair. A
// small hash finds fields by a linear scan of the slice, as Redis's
// listpack does; past indexThreshold pairs a map from field to slice
// position is kept beside it. Deleting a pair moves the last pair into its
// place, so the order of pairs is unspecified (as HGETALL's is).
//
// The encoding OBJECT ENCODING reports is tracked apart from the layout:
// the engine decides when a hash stops being a "listpack" (from Redis's
// hash-max-listpack-* thresholds) and calls Convert; like Redis's, the
// conversion is one-way.
type Hash struct {
	pairs []hashPair
	index map[string]int32 // nil while len(pairs) <= indexThreshold
	big   bool             // "hashtable" encoding
}

type hashPair struct {
	field, value string
}

// indexThreshold is the size above which fields are found through a map.
const indexThreshold = 8

// NewHash returns an empty hash.
func NewHash() *Hash { return &Hash{} }

func (*Hash) Kind() Kind { return KindHash }

// Encoding is "listpack" until Convert, then "hashtable".
func (h *Hash) Encoding() string {
	if h.big {
		return "hashtable"
	}
	return "listpack"
}

// IsListpack reports whether the hash still has the listpack encoding.
func (h *Hash) IsListpack() bool { return !h.big }

// Convert switches the reported encoding to "hashtable" for good.
func (h *Hash) Convert() { h.big = true }

// Len returns the number of fields.
func (h *Hash) Len() int { return len(h.pairs) }

// find returns the position of field, or -1.
func (h *Hash) find(field []byte) int {
	if h.index != nil {
		if i, ok := h.index[string(field)]; ok {
			return int(i)
		}
		return -1
	}
	for i := range h.pairs {
		if h.pairs[i].field == string(field) {
			return i
		}
	}
	return -1
}

// Get returns field's value.
func (h *Hash) Get(field []byte) (string, bool) {
	if i := h.find(field); i >= 0 {
		return h.pairs[i].value, true
	}
	return "", false
}

// Has reports whether field exists.
func (h *Hash) Has(field []byte) bool { return h.find(field) >= 0 }

// Set stores copies of field and value; added is true if the field is
// new.
func (h *Hash) Set(field, value []byte) (added bool) {
	if i := h.find(field); i >= 0 {
		h.pairs[i].value = string(value)
		return false
	}
	f := string(field)
	h.pairs = append(h.pairs, hashPair{f, string(value)})
	if h.index != nil {
		h.index[f] = int32(len(h.pairs) - 1)
	} else if len(h.pairs) > indexThreshold {
		h.index = make(map[string]int32, len(h.pairs))
		for i, p := range h.pairs {
			h.index[p.field] = int32(i)
		}
	}
	return true
}

// Delete removes field; false if it did not exist.
func (h *Hash) Delete(field []byte) bool {
	i := h.find(field)
	if i < 0 {
		return false
	}
	last := len(h.pairs) - 1
	if h.index != nil {
		delete(h.index, h.pairs[i].field)
		if i != last {
			h.index[h.pairs[last].field] = int32(i)
		}
	}
	h.pairs[i] = h.pairs[last]
	h.pairs[last] = hashPair{}
	h.pairs = h.pairs[:last]
	if len(h.pairs) == 0 {
		h.pairs, h.index = nil, nil
	} else if cap(h.pairs) > 16 && len(h.pairs) <= cap(h.pairs)/4 {
		h.pairs = append(make([]hashPair, 0, 2*len(h.pairs)), h.pairs...)
	}
	return true
}

// At returns pair i (0 <= i < Len()). Positions are stable until the
// next Set of a new field or Delete.
func (h *Hash) At(i int) (field, value string) {
	p := &h.pairs[i]
	return p.field, p.value
}
