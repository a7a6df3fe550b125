package ds

// Kind is the Redis type of a value, as TYPE reports it.
type Kind uint8

const (
	KindString Kind = iota + 1
	KindList
	KindHash
	KindSet
	KindZSet
)

// String returns the name TYPE prints.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindList:
		return "list"
	case KindHash:
		return "hash"
	case KindSet:
		return "set"
	case KindZSet:
		return "zset"
	}
	return "none"
}

// Value is a value stored under a key.
type Value interface {
	Kind() Kind
	// Encoding is what OBJECT ENCODING reports; the engine emulates
	// Redis's encodings from the value's size so that tools that look
	// at it see what they would see on redis-server.
	Encoding() string
	// Clone returns a deep copy with the same encoding (COPY, and
	// snapshots that must not share mutable state).
	Clone() Value
}
