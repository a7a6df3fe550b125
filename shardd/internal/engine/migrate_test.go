package engine_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

const clusterSecret = "s3cret"

// shardPair starts a source and a target shard that share a cluster
// secret, and returns internal clients of both.
func shardPair(t testing.TB, directives ...string) (src, dst *shardtest.Server, a, b *redis.Client) {
	t.Helper()
	directives = append(directives, "cluster-secret "+clusterSecret)
	src, dst = shardtest.Start(t, directives...), shardtest.Start(t, directives...)
	return src, dst, internalClient(t, src, 0), internalClient(t, dst, 0)
}

func internalClient(t testing.TB, srv *shardtest.Server, db int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, Username: "shardis", Password: clusterSecret, DB: db, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// keyState is what a key holds, as comparable text: its DUMP payload and
// its absolute expiry.
func keyState(t *testing.T, c *redis.Client, key string) string {
	t.Helper()
	ctx := context.Background()
	dump, err := c.Dump(ctx, key).Result()
	if err != nil {
		return "missing"
	}
	return fmt.Sprintf("%q expire=%d", dump, c.PExpireTime(ctx, key).Val())
}

// fillEveryType writes one key of every type under tag, some with a TTL,
// and returns their names.
func fillEveryType(t *testing.T, c *redis.Client, tag string) []string {
	t.Helper()
	ctx := context.Background()
	big := make([]any, 0, 600)
	for i := range 600 {
		big = append(big, "element-"+strconv.Itoa(i))
	}
	p := c.Pipeline()
	p.Set(ctx, tag+"str", strings.Repeat("v", 100), 0)
	p.Set(ctx, tag+"int", "12345", time.Hour)
	p.SetBit(ctx, tag+"bits", 1000, 1)
	p.RPush(ctx, tag+"list", "a", "b", "c")
	p.RPush(ctx, tag+"biglist", big...)
	p.HSet(ctx, tag+"hash", "f1", "1", "f2", "2")
	p.PExpire(ctx, tag+"hash", 90*time.Minute)
	p.SAdd(ctx, tag+"set", "x", "y", "z")
	p.SAdd(ctx, tag+"intset", 1, 2, 3)
	p.SAdd(ctx, tag+"bigset", big...)
	p.ZAdd(ctx, tag+"zset", redis.Z{Score: 1.5, Member: "m"}, redis.Z{Score: -2, Member: "n"})
	p.GeoAdd(ctx, tag+"geo", &redis.GeoLocation{Name: "rome", Longitude: 12.5, Latitude: 41.9})
	p.PExpire(ctx, tag+"geo", 2*time.Hour)
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return []string{tag + "str", tag + "int", tag + "bits", tag + "list", tag + "biglist", tag + "hash",
		tag + "set", tag + "intset", tag + "bigset", tag + "zset", tag + "geo"}
}

func TestMoveKeysEveryTypeWithTTL(t *testing.T) {
	_, dst, a, b := shardPair(t)
	ctx := context.Background()
	tag := "{m}"
	keys := fillEveryType(t, a, tag)
	want := map[string]string{}
	for _, k := range keys {
		want[k] = keyState(t, a, k)
	}
	// The target's own copy of a key is newer: it stays.
	a.Set(ctx, tag+"kept", "source", 0)
	b.Set(ctx, tag+"kept", "target", 0)

	s := strconv.Itoa(slotOf(tag))
	wantReply(t, a, "OK", migrate.SetSlots, "1", s+":m")
	wantReply(t, b, "OK", migrate.SetSlots, "1", s+":i")
	args := []any{migrate.MoveKeys, dst.Addr}
	for _, k := range keys {
		args = append(args, k)
	}
	// Missing and repeated keys are no trouble.
	args = append(args, tag+"kept", tag+"missing", keys[0])
	wantReply(t, a, int64(len(keys)+1), args...)

	for _, k := range keys {
		if got := keyState(t, b, k); got != want[k] {
			t.Errorf("%s at the target: %s; want %s", k, got, want[k])
		}
	}
	wantReply(t, b, "target", "GET", tag+"kept")
	wantReply(t, a, int64(0), "SHARDIS.COUNTKEYSINSLOT", s)
	// Moving again finds nothing.
	wantReply(t, a, int64(0), migrate.MoveKeys, dst.Addr, keys[0])
}

func TestMigrateSlotInBatches(t *testing.T) {
	src, dst, a, b := shardPair(t)
	ctx := context.Background()
	tag := "{batch}"
	s := strconv.Itoa(slotOf(tag))
	const n = 2000
	p := a.Pipeline()
	for i := range n {
		ttl := time.Duration(0)
		if i%3 == 0 {
			ttl = time.Hour
		}
		p.Set(ctx, tag+strconv.Itoa(i), "v"+strconv.Itoa(i), ttl)
	}
	// A key about to expire is not worth moving, nor counted as left.
	p.Set(ctx, tag+"short", "v", time.Millisecond)
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	want := keyState(t, a, tag+"3")

	v := raw(t, a, migrate.MigrateSlot, s, dst.Addr, "0")
	if fmt.Sprint(v) != fmt.Sprintf("[0 %d]", n+1) {
		t.Fatalf("MIGRATESLOT count 0 = %v", v)
	}
	wantReply(t, a, "ERR: ERR invalid count", migrate.MigrateSlot, s, dst.Addr, "-1")
	wantReply(t, a, "ERR: ERR Invalid or out of range slot", migrate.MigrateSlot, "16384", dst.Addr, "1")
	v = raw(t, a, migrate.MigrateSlot, s, dst.Addr, "300")
	if fmt.Sprint(v) != fmt.Sprintf("[300 %d]", n+1-300) {
		t.Fatalf("MIGRATESLOT 300 = %v", v)
	}
	moved := int64(300)
	for calls := 0; ; calls++ {
		r := raw(t, a, migrate.MigrateSlot, s, dst.Addr, "700").([]any)
		moved += r[0].(int64)
		if r[1] == int64(0) {
			break
		}
		if calls > 10 {
			t.Fatalf("MIGRATESLOT does not finish: %v", r)
		}
	}
	if moved != n {
		t.Errorf("moved %d keys; want %d", moved, n)
	}
	wantReply(t, b, int64(n), "SHARDIS.COUNTKEYSINSLOT", s)
	wantReply(t, b, "v1999", "GET", tag+"1999")
	if got := keyState(t, b, tag+"3"); got != want {
		t.Errorf("moved key with a TTL: %s; want %s", got, want)
	}

	// A move works in the connection's database.
	a1, b1 := internalClient(t, src, 1), internalClient(t, dst, 1)
	a1.Set(ctx, tag+"db1", "one", 0)
	if v := raw(t, a1, migrate.MigrateSlot, s, dst.Addr, "10"); fmt.Sprint(v) != "[1 0]" {
		t.Fatalf("MIGRATESLOT in db 1 = %v", v)
	}
	wantReply(t, b1, "one", "GET", tag+"db1")
	wantReply(t, b, nil, "GET", tag+"db1")
}

func TestMovesAreFenced(t *testing.T) {
	src, dst, a, b := shardPair(t)
	ctx := context.Background()
	key := "{f}k"
	s := strconv.Itoa(slotOf(key))
	a.Set(ctx, key, "v", 0)
	// A slot the source owns does not move: the caller's map is stale.
	wantReply(t, a, "OK", migrate.SetSlots, "3", s+":o")
	wantReply(t, a, refusal(3, key), migrate.MoveKeys, dst.Addr, key)
	wantReply(t, a, refusal(3, key), migrate.MigrateSlot, s, dst.Addr, "10")
	// A target that does not serve the slot refuses the keys; they stay.
	wantReply(t, a, "OK", migrate.SetSlots, "4", s+":m")
	wantReply(t, b, "OK", migrate.SetSlots, "4")
	wantReply(t, a, "ERR: ERR cannot move keys to "+dst.Addr+": SHARDIS.IMPORT at "+dst.Addr+": -"+migrate.WrongShard(4, slotOf(key)), migrate.MoveKeys, dst.Addr, key)
	wantReply(t, a, int64(1), "SHARDIS.COUNTKEYSINSLOT", s)
	// An unreachable target: the keys stay too.
	wantReply(t, a, "ERR: ERR cannot move keys to 127.0.0.1:1: *", migrate.MoveKeys, "127.0.0.1:1", key)
	wantReply(t, a, int64(1), "SHARDIS.COUNTKEYSINSLOT", s)
	// Without the secret nobody moves or imports anything.
	plain := src.Client(t)
	wantReply(t, plain, "ERR: NOPERM*", migrate.MoveKeys, dst.Addr, key)
	wantReply(t, dst.Client(t), "ERR: NOPERM*", migrate.Import, key, "0", "x")
}

func TestImportChecksItsInput(t *testing.T) {
	_, _, a, b := shardPair(t)
	ctx := context.Background()
	a.Set(ctx, "k", "v", 0)
	payload := a.Dump(ctx, "k").Val()
	wantReply(t, b, "ERR: ERR wrong number of arguments for 'shardis.import' command", migrate.Import, "k", "0", payload, "extra")
	wantReply(t, b, "ERR: ERR DUMP payload version or checksum are wrong", migrate.Import, "k", "0", "junk")
	wantReply(t, b, "ERR: ERR invalid expire time in shardis.import", migrate.Import, "k", "soon", payload)
	// An expiry in the past: nothing to import.
	wantReply(t, b, "OK", migrate.Import, "k", "1", payload)
	wantReply(t, b, int64(0), "EXISTS", "k")
	at := time.Now().Add(time.Hour).UnixMilli()
	wantReply(t, b, "OK", migrate.Import, "k", strconv.FormatInt(at, 10), payload, "k2", "0", payload)
	wantReply(t, b, at, "PEXPIRETIME", "k")
	wantReply(t, b, "v", "GET", "k2")
	// Existing keys are kept.
	wantReply(t, b, "OK", migrate.Import, "k2", "0", a.Dump(ctx, "k").Val())
	b.Set(ctx, "k2", "newer", 0)
	wantReply(t, b, "OK", migrate.Import, "k2", "0", payload)
	wantReply(t, b, "newer", "GET", "k2")
	// The moves wait on other shards or lock slots themselves: not
	// inside MULTI, whose EXEC holds the locks.
	conn := b.Conn()
	defer conn.Close()
	conn.Do(ctx, "MULTI")
	if err := conn.Do(ctx, migrate.Import, "k3", "0", payload).Err(); err == nil || err.Error() != "ERR Command not allowed inside a transaction" {
		t.Errorf("IMPORT inside MULTI: %v", err)
	}
	conn.Do(ctx, "DISCARD")
}

func TestMoveWaitsForPreparedTransactions(t *testing.T) {
	src, dst, a, b := shardPair(t)
	ctx := context.Background()
	tag := "{p}"
	s := strconv.Itoa(slotOf(tag))
	a.Set(ctx, tag+"k", "old", 0)
	wantReply(t, a, int64(0), "SHARDIS.PREPARE", "t1", "10000", "", "", "MSET", tag+"k", "new")
	mover := internalClient(t, src, 0)
	move := background(func() any { return raw(t, mover, migrate.MoveKeys, dst.Addr, tag+"k") })
	if got, ok := within(move, 200*time.Millisecond); ok {
		t.Fatalf("MOVEKEYS of a prepared key returned %#v before the decision", got)
	}
	wantReply(t, a, "OK", "SHARDIS.COMMIT", "t1")
	if got, _ := within(move, 5*time.Second); got != int64(1) {
		t.Fatalf("MOVEKEYS after the commit = %#v", got)
	}
	wantReply(t, b, "new", "GET", tag+"k")

	// A transaction creating a key of the slot holds MIGRATESLOT back
	// too, so the key is not left behind.
	wantReply(t, a, int64(0), "SHARDIS.PREPARE", "t2", "10000", "", "", "MSET", tag+"fresh", "1")
	rest := background(func() any { return raw(t, mover, migrate.MigrateSlot, s, dst.Addr, "100") })
	if got, ok := within(rest, 200*time.Millisecond); ok {
		t.Fatalf("MIGRATESLOT with a prepared transaction returned %#v before the decision", got)
	}
	wantReply(t, a, "OK", "SHARDIS.COMMIT", "t2")
	if got, _ := within(rest, 5*time.Second); fmt.Sprint(got) != "[1 0]" {
		t.Fatalf("MIGRATESLOT after the commit = %#v", got)
	}
	wantReply(t, b, "1", "GET", tag+"fresh")
}

// BenchmarkMigrateSlot moves 100,000 keys of 100 bytes in one slot between
// two shards with MIGRATESLOT calls of 10,000 keys, as shardis-meta does,
// and reports keys/s.
func BenchmarkMigrateSlot(b *testing.B) {
	for _, aof := range []string{"no", "everysec"} {
		b.Run("appendfsync="+aof, func(b *testing.B) {
			// No RDB save points: a background save would compete
			// for the two cores.
			directives := []string{`save ""`, "appendonly no"}
			if aof != "no" {
				directives = []string{`save ""`, "appendonly yes", "appendfsync " + aof}
			}
			_, dst, a, target := shardPair(b, directives...)
			ctx := context.Background()
			tag := "{bench}"
			s := strconv.Itoa(slotOf(tag))
			const n = 100_000
			value := strings.Repeat("x", 100)
			var elapsed time.Duration
			for range b.N {
				// The target keeps keys it has: start it empty.
				if err := target.FlushAll(ctx).Err(); err != nil {
					b.Fatal(err)
				}
				for i := 0; i < n; i += 1000 {
					p := a.Pipeline()
					for j := i; j < i+1000; j++ {
						p.Set(ctx, tag+strconv.Itoa(j), value, 0)
					}
					if _, err := p.Exec(ctx); err != nil {
						b.Fatal(err)
					}
				}
				start := time.Now()
				for {
					r, err := a.Do(ctx, migrate.MigrateSlot, s, dst.Addr, "10000").Slice()
					if err != nil {
						b.Fatal(err)
					}
					if r[1] == int64(0) {
						break
					}
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "keys/s")
		})
	}
}

// Clients writing through moves, as a proxy runs them (MOVEKEYS at the
// source, then the command at the target), while MIGRATESLOT copies the
// slot: no acknowledged write is lost or counted twice.
func TestWritesDuringMigrationAreKept(t *testing.T) {
	src, dst, a, b := shardPair(t)
	ctx := context.Background()
	tag := "{live}"
	s := strconv.Itoa(slotOf(tag))
	const keys, writers, writes = 200, 4, 300
	p := a.Pipeline()
	for i := range keys {
		p.Set(ctx, tag+strconv.Itoa(i), 0, 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	wantReply(t, a, "OK", migrate.SetSlots, "2", s+":m")
	wantReply(t, b, "OK", migrate.SetSlots, "2", s+":i")

	counts := make([][keys]int64, writers)
	done := make(chan error, writers)
	for w := range writers {
		go func() {
			from, to := internalClient(t, src, 0), internalClient(t, dst, 0)
			for i := range writes {
				k := (i*7 + w*13) % keys
				key := tag + strconv.Itoa(k)
				if err := from.Do(ctx, migrate.MoveKeys, dst.Addr, key).Err(); err != nil {
					done <- err
					return
				}
				if err := to.Incr(ctx, key).Err(); err != nil {
					done <- err
					return
				}
				counts[w][k]++
			}
			done <- nil
		}()
	}
	for {
		r, err := a.Do(ctx, migrate.MigrateSlot, s, dst.Addr, "7").Slice()
		if err != nil {
			t.Fatal(err)
		}
		if r[1] == int64(0) {
			break
		}
	}
	for range writers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	wantReply(t, a, int64(0), "SHARDIS.COUNTKEYSINSLOT", s)
	for k := range keys {
		var want int64
		for w := range writers {
			want += counts[w][k]
		}
		if got, err := b.Get(ctx, tag+strconv.Itoa(k)).Int64(); err != nil || got != want {
			t.Errorf("key %d = %d, %v; want %d", k, got, err, want)
		}
	}
}
