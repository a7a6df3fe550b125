package rdb

import (
	"errors"
	"fmt"
)

// Version is the RDB version written, and the highest one read: Redis
// 7.0's.
const Version = 10

// Errors. Decoding errors wrap one of them, so callers test with
// errors.Is.
var (
	// ErrCorrupt is malformed or truncated data. The error wrapping it
	// is a *CorruptError with the offset.
	ErrCorrupt = errors.New("rdb: corrupt data")
	// ErrVersion is a well-formed header of an RDB version newer than
	// Version.
	ErrVersion = errors.New("rdb: unsupported RDB version")
	// ErrUnsupported is a value shardd has no type for (streams,
	// module values) or module data.
	ErrUnsupported = errors.New("rdb: unsupported value type")
	// ErrPayload is a DUMP payload whose footer is wrong: too short, a
	// newer RDB version or a checksum mismatch (Redis's "DUMP payload
	// version or checksum are wrong").
	ErrPayload = errors.New("rdb: DUMP payload version or checksum are wrong")
)

// CorruptError describes where decoding found malformed or truncated
// data. It matches ErrCorrupt with errors.Is.
type CorruptError struct {
	// Offset is the byte offset in the file or payload where the
	// problem was found (for a problem inside an encoded blob such as a
	// listpack, the offset of the blob).
	Offset int64
	// Reason says what was wrong.
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("rdb: corrupt data at offset %d: %s", e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Limits are the encoding thresholds of the loading server, which decide
// the encoding (as OBJECT ENCODING reports it) of a loaded value exactly as
// Redis 7.0's loader does. Functions take a *Limits; nil means
// DefaultLimits. Sorted sets use ds's fixed thresholds.
type Limits struct {
	HashMaxListpackEntries int // hash-max-listpack-entries
	HashMaxListpackValue   int // hash-max-listpack-value
	SetMaxIntsetEntries    int // set-max-intset-entries
}

// DefaultLimits are Redis 7.0's defaults.
var DefaultLimits = Limits{HashMaxListpackEntries: 512, HashMaxListpackValue: 64, SetMaxIntsetEntries: 512}

func limitsOrDefault(l *Limits) Limits {
	if l == nil {
		return DefaultLimits
	}
	return *l
}

// Value types (the byte before a key, or first byte of a DUMP payload).
const (
	typeString          = 0
	typeList            = 1
	typeSet             = 2
	typeZSet            = 3
	typeHash            = 4
	typeZSet2           = 5
	typeModule          = 6
	typeModule2         = 7
	typeHashZipmap      = 9
	typeListZiplist     = 10
	typeSetIntset       = 11
	typeZSetZiplist     = 12
	typeHashZiplist     = 13
	typeListQuicklist   = 14
	typeStreamListpacks = 15
	typeHashListpack    = 16
	typeZSetListpack    = 17
	typeListQuicklist2  = 18
	typeStreamListpack2 = 19
)

// Opcodes of a file.
const (
	opFunction2    = 245 // a function library (Redis 7.0)
	opFunction     = 246 // a function library (Redis 7.0 release candidates)
	opModuleAux    = 247
	opIdle         = 248 // LRU idle time of the next key
	opFreq         = 249 // LFU frequency of the next key
	opAux          = 250 // auxiliary field: two strings
	opResizeDB     = 251 // sizes of the current database: two lengths
	opExpireTimeMs = 252 // expiry of the next key, Unix ms, 8 bytes LE
	opExpireTime   = 253 // expiry of the next key, Unix s, 4 bytes LE
	opSelectDB     = 254
	opEOF          = 255
)

// Length encodings: the top two bits of a length's first byte.
const (
	len6     = 0
	len14    = 1
	len32    = 0x80 // whole first byte
	len64    = 0x81 // whole first byte
	lenSpec  = 3    // a special string encoding follows in the low 6 bits
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// Quicklist node containers (type 18).
const (
	containerPlain  = 1
	containerPacked = 2
)

// listNodeBytes is the listpack size a quicklist node is filled to, Redis
// 7.0's default list-max-listpack-size -2 (8 KB).
const listNodeBytes = 8192
