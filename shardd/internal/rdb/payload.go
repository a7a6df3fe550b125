package rdb

import (
	"encoding/binary"
	"errors"

	"github.com/hdt3213/rdb/crc64jones"
	"github.com/shardis/shardis/shardd/internal/ds"
)

// footerSize is the RDB version and CRC64 that end a DUMP payload.
const footerSize = 2 + 8

// EncodeValue returns v's DUMP payload, with strings compressed as Redis
// does by default (rdbcompression yes). It panics if v is not one of ds's
// value types, which is a programming error.
func EncodeValue(v ds.Value) []byte {
	return AppendPayload(nil, v, true)
}

// AppendPayload appends v's DUMP payload to dst. compress selects LZF
// compression of strings longer than 20 bytes (Redis's rdbcompression).
func AppendPayload(dst []byte, v ds.Value, compress bool) []byte {
	e := encoder{compress: compress}
	defer e.release()
	start := len(dst)
	b, err := e.appendObject(dst, v)
	if err != nil {
		panic(err)
	}
	b = binary.LittleEndian.AppendUint16(b, Version)
	crc := crc64jones.New()
	crc.Write(b[start:])
	return binary.LittleEndian.AppendUint64(b, crc.Sum64())
}

// CheckPayload verifies a DUMP payload's footer as Redis's RESTORE does:
// at least the footer's size, an RDB version no newer than Version and a
// matching CRC64. It returns ErrPayload otherwise.
func CheckPayload(payload []byte) error {
	if len(payload) < footerSize {
		return ErrPayload
	}
	body := len(payload) - footerSize
	if binary.LittleEndian.Uint16(payload[body:]) > Version {
		return ErrPayload
	}
	crc := crc64jones.New()
	crc.Write(payload[:body+2])
	if crc.Sum64() != binary.LittleEndian.Uint64(payload[body+2:]) {
		return ErrPayload
	}
	return nil
}

// DecodeValue decodes a DUMP payload into a new value whose encoding is
// the one Redis 7.0 would give it under lim (nil: DefaultLimits). It returns ErrPayload for a
// bad footer, an error wrapping ErrCorrupt for malformed data (including
// an empty collection, which RESTORE refuses) and one wrapping
// ErrUnsupported for streams and module values.
func DecodeValue(payload []byte, lim *Limits) (ds.Value, error) {
	if err := CheckPayload(payload); err != nil {
		return nil, err
	}
	// Like Redis, decode from the whole payload, footer included, and
	// ignore what follows the value: a value cut short may run into
	// the footer's bytes, which Redis accepts.
	r := newSliceReader(payload, lim)
	t, err := r.byte()
	if err != nil {
		return nil, err
	}
	if !isValueType(t) {
		return nil, r.corruptAt(0, "unknown value type %d", t)
	}
	v, err := r.value(t)
	if errors.Is(err, errEmpty) {
		return nil, r.corruptAt(1, "empty collection")
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}
