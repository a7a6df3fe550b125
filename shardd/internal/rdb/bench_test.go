package rdb

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"github.com/shardis/shardis/shardd/internal/ds"
)

// benchFile is an RDB of n keys with 32-byte string values.
func benchFile(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf, WriterOptions{})
	w.WriteDB(0, n, 0)
	v := ds.NewString([]byte("0123456789abcdefghijklmnopqrstuv"))
	key := []byte("key:")
	for i := 0; i < n; i++ {
		if err := w.WriteKey(strconv.AppendInt(key[:4], int64(i), 10), v, 0); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkWriter(b *testing.B) {
	v := ds.NewString([]byte("0123456789abcdefghijklmnopqrstuv"))
	w := NewWriter(io.Discard, WriterOptions{})
	w.WriteDB(0, b.N, 0)
	key := make([]byte, 4, 32)
	copy(key, "key:")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		w.WriteKey(strconv.AppendInt(key[:4], int64(i), 10), v, 0)
	}
	w.Close()
}

func BenchmarkLoad(b *testing.B) {
	file := benchFile(b, 100000)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		err := Load(bytes.NewReader(file), LoadOptions{}, func(int, []byte, ds.Value, int64) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}
