package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/hdt3213/rdb/crc64jones"
	"github.com/shardis/shardis/shardd/internal/ds"
)

// RedisVersion is the redis-ver auxiliary field written: the Redis
// version whose RDB format and behaviour shardd reproduces.
const RedisVersion = "7.0.15"

// WriterOptions configure a Writer. The zero value writes what a
// default-configured Redis 7.0 writes.
type WriterOptions struct {
	// NoCompression disables LZF compression of strings (rdbcompression
	// no).
	NoCompression bool
	// NoChecksum writes a zero checksum (rdbchecksum no); loaders then
	// skip the check.
	NoChecksum bool
	// Time is the file's ctime field; zero means now.
	Time time.Time
	// UsedMem is the used-mem field, in bytes.
	UsedMem int64
	// AOFBase marks the file as the base of an AOF (aof-base 1).
	AOFBase bool
}

// Writer writes an RDB file key by key, so that a snapshot can be streamed
// without building it in memory: NewWriter, then for each database WriteDB
// and its keys with WriteKey, then Close. Output is buffered; the first
// error sticks and is returned by every later call.
type Writer struct {
	w     io.Writer
	enc   encoder
	buf   []byte
	crc   hash.Hash64
	err   error
	n     int64 // bytes handed to w
	inDB  bool
	noCRC bool
}

// flushAt is the buffer size at which a Writer writes to its io.Writer.
const flushAt = 64 << 10

// NewWriter starts a file on w: it buffers the header and the auxiliary
// fields.
func NewWriter(w io.Writer, opts WriterOptions) *Writer {
	wr := &Writer{
		w:     w,
		enc:   encoder{compress: !opts.NoCompression},
		crc:   crc64jones.New(),
		noCRC: opts.NoChecksum,
	}
	wr.buf = fmt.Appendf(make([]byte, 0, flushAt+flushAt/4), "REDIS%04d", Version)
	ctime := opts.Time
	if ctime.IsZero() {
		ctime = time.Now()
	}
	aofBase := "0"
	if opts.AOFBase {
		aofBase = "1"
	}
	for _, kv := range [][2]string{
		{"redis-ver", RedisVersion},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(ctime.Unix(), 10)},
		{"used-mem", strconv.FormatInt(opts.UsedMem, 10)},
		{"aof-base", aofBase},
	} {
		wr.buf = append(wr.buf, opAux)
		wr.buf = wr.enc.appendString(wr.buf, []byte(kv[0]))
		wr.buf = wr.enc.appendString(wr.buf, []byte(kv[1]))
	}
	return wr
}

// WriteDB starts database db. keys and expires (how many of the keys have
// a TTL) are sizing hints for the loader and may be estimates.
func (w *Writer) WriteDB(db int, keys, expires int) error {
	if w.err != nil {
		return w.err
	}
	if db < 0 {
		return fmt.Errorf("rdb: invalid database %d", db)
	}
	w.buf = appendLen(append(w.buf, opSelectDB), uint64(db))
	w.buf = appendLen(append(w.buf, opResizeDB), uint64(max(keys, 0)))
	w.buf = appendLen(w.buf, uint64(max(expires, 0)))
	w.inDB = true
	return w.maybeFlush()
}

// WriteKey writes key with value v and expiry expireAt (Unix ms, 0 for
// none) in the current database. v is only read during the call.
func (w *Writer) WriteKey(key []byte, v ds.Value, expireAt int64) error {
	if w.err != nil {
		return w.err
	}
	if !w.inDB {
		return errors.New("rdb: WriteKey before WriteDB")
	}
	mark := len(w.buf)
	if expireAt != 0 {
		w.buf = binary.LittleEndian.AppendUint64(append(w.buf, opExpireTimeMs), uint64(expireAt))
	}
	t, err := objectType(v)
	if err != nil {
		w.buf = w.buf[:mark]
		return err
	}
	w.buf = w.enc.appendString(append(w.buf, t), key)
	w.buf = w.enc.appendBody(w.buf, v)
	return w.maybeFlush()
}

// Close writes the end of the file and flushes; it does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	w.buf = append(w.buf, opEOF)
	w.crc.Write(w.buf)
	sum := w.crc.Sum64()
	if w.noCRC {
		sum = 0
	}
	w.buf = binary.LittleEndian.AppendUint64(w.buf, sum)
	w.flush(false)
	w.enc.release()
	if w.err == nil {
		w.err = errClosed
		return nil
	}
	return w.err
}

var errClosed = errors.New("rdb: Writer is closed")

// Written is the number of bytes written to the io.Writer so far.
func (w *Writer) Written() int64 { return w.n }

func (w *Writer) maybeFlush() error {
	if len(w.buf) >= flushAt {
		w.flush(true)
	}
	return w.err
}

// flush writes the buffer out; withCRC adds it to the checksum first.
func (w *Writer) flush(withCRC bool) {
	if withCRC {
		w.crc.Write(w.buf)
	}
	n, err := w.w.Write(w.buf)
	w.n += int64(n)
	if err != nil {
		w.err = fmt.Errorf("rdb: write: %w", err)
	}
	w.buf = w.buf[:0]
}

// LoadOptions configure Load. The zero value loads with Redis's default
// encoding thresholds and ignores auxiliary fields.
type LoadOptions struct {
	// Limits decide the encodings of loaded values; nil means
	// DefaultLimits.
	Limits *Limits
	// Aux, if set, is called with every auxiliary field (redis-ver,
	// aof-base, ...); the slices are valid only during the call.
	Aux func(key, value []byte) error
}

// KeyFunc receives a loaded key: its database, name (valid only during
// the call), value, and expiry in Unix ms (0 for none; an expiry at or
// before the epoch is reported as 1, already expired). Keys that have
// expired are passed too: whether to drop them is the caller's decision
// (Redis drops them when loading a dump.rdb, not an AOF base).
type KeyFunc func(db int, key []byte, v ds.Value, expireAt int64) error

// Load reads an RDB file from r and calls fn for every key, in file order.
// It checks the signature and version (ErrVersion for a newer one) and the
// trailing checksum. Malformed or truncated input gives an error wrapping
// ErrCorrupt with the offset; streams and module values give one wrapping
// ErrUnsupported; an error from fn or opts.Aux is returned as is. Empty
// collections are skipped, as Redis does; function libraries are skipped.
//
// When r is a *bufio.Reader with a buffer of at least 32 KB, Load consumes
// exactly the file's bytes, so the caller can read what follows (the
// commands after an AOF's RDB preamble).
func Load(r io.Reader, opts LoadOptions, fn KeyFunc) error {
	rd := newStreamReader(r, opts.Limits)
	return rd.load(opts, fn)
}

func (r *reader) load(opts LoadOptions, fn KeyFunc) error {
	version, err := r.header()
	if err != nil {
		return err
	}
	db := 0
	var expireAt int64
	hasExpire := false
	var key, a, b []byte
	for {
		at := r.off
		t, err := r.byte()
		if err != nil {
			return err
		}
		switch t {
		case opEOF:
			return r.checksum(version)
		case opExpireTime:
			v, err := r.fixed(4)
			if err != nil {
				return err
			}
			expireAt, hasExpire = int64(int32(v))*1000, true
		case opExpireTimeMs:
			v, err := r.fixed(8)
			if err != nil {
				return err
			}
			expireAt, hasExpire = int64(v), true
		case opFreq:
			if _, err := r.byte(); err != nil {
				return err
			}
		case opIdle:
			if _, err := r.count(); err != nil {
				return err
			}
		case opSelectDB:
			n, err := r.count()
			if err != nil {
				return err
			}
			if n > math.MaxInt32 {
				return r.corruptAt(at, "database number %d", n)
			}
			db = int(n)
		case opResizeDB:
			if _, err := r.count(); err != nil {
				return err
			}
			if _, err := r.count(); err != nil {
				return err
			}
		case opAux:
			if a, err = r.str(a); err != nil {
				return err
			}
			if b, err = r.str(b); err != nil {
				return err
			}
			if opts.Aux != nil {
				if err := opts.Aux(a, b); err != nil {
					return err
				}
			}
		case opFunction2:
			// A function library's code: shardd has no functions.
			if a, err = r.str(a); err != nil {
				return err
			}
		case opFunction, opModuleAux:
			return fmt.Errorf("%w: opcode %d (functions or module data) at offset %d", ErrUnsupported, t, at)
		default:
			if !isValueType(t) {
				return r.corruptAt(at, "unknown opcode or value type %d", t)
			}
			if key, err = r.str(key); err != nil {
				return err
			}
			r.key = key
			v, err := r.value(t)
			r.key = nil
			if errors.Is(err, errEmpty) {
				hasExpire = false
				continue
			}
			if err != nil {
				if errors.Is(err, ErrUnsupported) {
					return fmt.Errorf("key %q: %w", key, err)
				}
				return err
			}
			at := int64(0)
			if hasExpire {
				// -1 is Redis's "no expiry"; other times at or
				// before the epoch have expired.
				switch {
				case expireAt == -1:
				case expireAt <= 0:
					at = 1
				default:
					at = expireAt
				}
			}
			if err := fn(db, key, v, at); err != nil {
				return err
			}
			hasExpire = false
		}
	}
}

// header reads "REDIS" and a 4-digit version.
func (r *reader) header() (int, error) {
	p, err := r.src.Peek(9)
	if len(p) < 9 {
		if len(p) == 0 && (err == nil || errors.Is(err, io.EOF)) {
			return 0, r.corrupt("empty file")
		}
		if err == nil || errors.Is(err, io.EOF) {
			return 0, r.corrupt("file too short for an RDB header")
		}
		return 0, r.fail(err)
	}
	if string(p[:5]) != "REDIS" {
		return 0, r.corrupt("not an RDB file (signature %q)", p[:5])
	}
	version := 0
	for _, c := range p[5:9] {
		if c < '0' || c > '9' {
			return 0, r.corrupt("invalid RDB version %q", p[5:9])
		}
		version = version*10 + int(c-'0')
	}
	if version < 1 {
		return 0, r.corrupt("invalid RDB version %q", p[5:9])
	}
	if version > Version {
		return 0, fmt.Errorf("%w %d: shardd reads RDB versions up to %d (Redis 7.0)", ErrVersion, version, Version)
	}
	r.consume(p)
	return version, nil
}

// checksum reads and verifies the CRC64 after EOF (RDB 5 and later).
func (r *reader) checksum(version int) error {
	if version < 5 {
		return nil
	}
	want := r.crc.Sum64()
	at := r.off
	got, err := r.fixed(8)
	if err != nil {
		return err
	}
	if got != 0 && got != want {
		return r.corruptAt(at, "checksum mismatch: file says %016x, data hashes to %016x", got, want)
	}
	return nil
}
