package rdb

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shardis/shardis/shardd/internal/ds"
)

// maxSeed is the largest seed input.
const maxSeed = 4 << 10

// seedValues are values of every type and encoding, for fuzz seeds.
func seedValues() []ds.Value {
	l := ds.NewList()
	for i := 0; i < 100; i++ {
		l.PushRight([]byte(strconv.Itoa(i * 977)))
	}
	l.PushRight([]byte(strings.Repeat("long element ", 10)))
	hs, hb := ds.NewHash(), ds.NewHash()
	hs.Set([]byte("f"), []byte("v"))
	hs.Set([]byte("n"), []byte("-70000"))
	hb.Set([]byte("f"), []byte(strings.Repeat("v", 100)))
	hb.Convert()
	si, ss := ds.NewSet(), ds.NewSet()
	for _, m := range []string{"1", "-70000", "9223372036854775807"} {
		si.Add([]byte(m), 512)
	}
	ss.Add([]byte("a"), 512)
	ss.Add([]byte("2"), 512)
	zs, zb := ds.NewZSet(), ds.NewZSet()
	zs.Add([]byte("a"), 1.5)
	zs.Add([]byte("b"), 2)
	for i := 0; i < 130; i++ {
		zb.Add([]byte(strconv.Itoa(i)), float64(i)/3)
	}
	return []ds.Value{
		ds.NewString([]byte("12345")), ds.NewString([]byte("hello")),
		ds.NewString([]byte(strings.Repeat("abc", 30))), ds.NewIntString(-1 << 40),
		l, hs, hb, si, ss, zs, zb,
	}
}

// checkErr fails unless err is nil or one of the package's error classes.
func checkErr(t *testing.T, err error) {
	if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) &&
		!errors.Is(err, ErrVersion) && !errors.Is(err, ErrPayload) {
		t.Fatalf("error of no known class: %v", err)
	}
}

// FuzzDecodeValue feeds arbitrary payloads (seeded with redis-server's
// and EncodeValue's) to DecodeValue, with the CRC made right so that the
// fuzzer reaches the value decoder. Whatever decodes must re-encode to
// a payload that decodes to the same value.
func FuzzDecodeValue(f *testing.F) {
	// Seeds are kept small: the fuzzer minimizes every new input it
	// finds, which takes minutes for inputs of tens of kilobytes.
	paths, _ := filepath.Glob("testdata/dump/*.bin")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) <= maxSeed {
			f.Add(b[:len(b)-footerSize])
		}
	}
	for _, v := range seedValues() {
		if p := EncodeValue(v); len(p) <= maxSeed {
			f.Add(p[:len(p)-footerSize])
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := DecodeValue(repayload(body, Version), nil)
		checkErr(t, err)
		if err != nil {
			return
		}
		back, err := DecodeValue(EncodeValue(v), nil)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", render(v), err)
		}
		if render(back) != render(v) {
			t.Fatalf("re-encoding changed the value:\n %s\n %s", render(v), render(back))
		}
	})
}

// FuzzLoad feeds arbitrary files (seeded with redis-server's dump.rdb,
// Writer's files and, when present, hdt3213/rdb's test files) to Load.
// Load must return or fail with a known error class, never panic; it is
// run with and without a valid checksum so that mutations reach the
// decoder.
func FuzzLoad(f *testing.F) {
	if b, err := os.ReadFile("testdata/redis-7.0.15-small.rdb"); err == nil {
		f.Add(b)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, WriterOptions{NoChecksum: true})
	w.WriteDB(0, 1, 1)
	for i, v := range seedValues() {
		w.WriteKey([]byte{'k', byte('a' + i)}, v, int64(i)*1000)
	}
	w.WriteDB(5, 1, 0)
	w.WriteKey([]byte("x"), ds.NewString([]byte("y")), 0)
	w.Close()
	f.Add(buf.Bytes())
	for _, path := range libraryCases() {
		if b, err := os.ReadFile(path); err == nil && len(b) <= maxSeed {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		keys := 0
		err := Load(bytes.NewReader(file), LoadOptions{}, func(db int, key []byte, v ds.Value, exp int64) error {
			keys++
			if v == nil || db < 0 {
				t.Fatalf("key %q: value %v in db %d", key, v, db)
			}
			return nil
		})
		checkErr(t, err)
		var ce *CorruptError
		if errors.As(err, &ce) && (ce.Offset < 0 || ce.Offset > int64(len(file))) {
			t.Fatalf("offset %d outside a %d-byte file", ce.Offset, len(file))
		}
	})
}
