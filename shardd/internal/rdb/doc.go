// Package rdb converts shardd's values (package ds) to and from Redis's RDB
// serialization: the DUMP/RESTORE payload of a single value, and whole
// dump.rdb files for SAVE, BGSAVE, loading at start-up and the RDB base
// file of the AOF.
//
// # Compatibility
//
// shardd speaks RDB version 10, the version of Redis 7.0: it writes
// version 10 (Redis 7.0 refuses version 11, which Redis 7.2 and the
// hdt3213/rdb encoder write) and reads every version from 1 to 10. Values
// are written with the encodings Redis 7.0 picks for the same value:
//
//	string  integers in 8/16/32-bit form, strings over 20 bytes LZF
//	        compressed when that saves at least 4 bytes, raw bytes otherwise
//	list    quicklist of listpacks (type 18), 8 KB nodes
//	set     intset (type 11) while the set is an intset, plain set (2)
//	zset    listpack (17) while small, binary-double zset (5) beyond
//	hash    listpack (16) while small, plain hash (4) beyond
//
// and read with every encoding Redis 7.0 reads: besides the above the
// older linked lists, ziplists, zipmaps, quicklists of ziplists and zsets
// with textual scores. A loaded value gets the encoding Redis 7.0 would
// give it (see Limits). Streams and module values are refused with
// ErrUnsupported; Redis functions in a file are skipped.
//
// A DUMP payload is the value's RDB encoding (type byte and body), the RDB
// version as 2 little-endian bytes, and the CRC64 (Jones polynomial, as
// Redis's crc64) of everything before it as 8 little-endian bytes. As in
// Redis, the value is decoded from the whole payload and what follows it
// is ignored, so a value cut short that runs into the footer's bytes can
// still decode.
//
// A file is "REDIS0010", auxiliary fields (redis-ver, redis-bits, ctime,
// used-mem, aof-base), then per database SELECTDB and a RESIZEDB hint
// followed by its keys (each optionally preceded by its expiry in Unix
// milliseconds), EOF, and the CRC64 of all that as 8 little-endian bytes.
// A stored checksum of 0 means the writer disabled checksums (rdbchecksum
// no) and is not verified, as in Redis.
//
// # Bad input
//
// Decoding never trusts a length: a length larger than the data left is
// corruption, and reading from a stream allocates only as data arrives, so
// a few corrupt bytes cannot make the loader allocate gigabytes. Encoded
// blobs (listpacks, ziplists, intsets, zipmaps) are validated in depth,
// duplicates included, where Redis by default (sanitize-dump-payload no)
// checks only their headers. Every malformed or truncated input is
// reported as an error wrapping ErrCorrupt that carries the offset where
// decoding failed; nothing panics (FuzzLoad and FuzzDecodeValue check it).
//
// github.com/hdt3213/rdb provides the CRC64 and the LZF decompressor. Its
// whole-file decoder allocates whatever a length field claims, recovers
// from panics instead of validating, reports no offsets and does not
// check checksums, and its encoder writes version 11 and ziplists, so this
// package encodes and parses RDB itself; the tests use the library's
// decoder as an independent check, on Writer's files and on the library's
// own collection of files from Redis 2 to 7.
//
// # Concurrency
//
// The functions are safe for concurrent use; a Writer is used by one
// goroutine at a time.
package rdb
