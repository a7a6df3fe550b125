package engine_test

import (
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/shardd/aof"
	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/engine"
)

// BenchmarkLoadAOF loads an incremental AOF of SETs, as
// tools/bench/aof-benchmark.sh does with 1,000,000 keys.
func BenchmarkLoadAOF(b *testing.B) {
	for _, keys := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(keys), func(b *testing.B) {
			dir := b.TempDir()
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			a, err := aof.Open(aof.Options{Dir: dir, Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			if err := a.Start(); err != nil {
				b.Fatal(err)
			}
			val := []byte("vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv")
			var cmd []byte
			for i := range keys {
				cmd = resp.AppendArray(cmd[:0], 3)
				cmd = resp.AppendBulkString(cmd, "SET")
				cmd = resp.AppendBulkString(cmd, fmt.Sprintf("key:%012d", i))
				cmd = resp.AppendBulk(cmd, val)
				a.Append(0, cmd)
			}
			if err := a.Close(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				e, err := engine.New(engine.Options{Config: config.Default(), Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				a, err := aof.Open(aof.Options{Dir: dir, Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				if err := e.LoadAOF(a); err != nil {
					b.Fatal(err)
				}
				if got := e.Keyspace().DB(0).Size(); got != int64(keys) {
					b.Fatalf("%d keys loaded; want %d", got, keys)
				}
				b.StopTimer()
				a.Close()
				b.StartTimer()
			}
		})
	}
}
