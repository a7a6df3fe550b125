package engine_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hdt3213/rdb/crc64jones"
	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/redisproc"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// dumpClient connects to addr with one connection, RESP2 or RESP3.
func dumpClient(t *testing.T, addr string, proto int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, PoolSize: 1, MaxRetries: -1, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// dumpSetups create a value under "k" for every type and encoding.
func dumpSetups() [][][]any {
	many := func(cmd string, n int, elem func(i int) []any) [][]any {
		out := []any{cmd, "k"}
		for i := 0; i < n; i++ {
			out = append(out, elem(i)...)
		}
		return [][]any{out}
	}
	one := func(args ...any) [][]any { return [][]any{args} }
	return [][][]any{
		one("SET", "k", "12345"),
		one("SET", "k", "-9223372036854775808"),
		one("SET", "k", "hello"),
		one("SET", "k", ""),
		one("SET", "k", strings.Repeat("ab", 30)),
		one("SET", "k", strings.Repeat("compressible", 1000)),
		one("SET", "k", "\x00\x01\x02\xff\xfe binary"),
		{{"SET", "k", "x"}, {"APPEND", "k", "yz"}},
		one("RPUSH", "k", "a", "1", "-5", "300", "70000", "", "9223372036854775807"),
		many("RPUSH", 5000, func(i int) []any { return []any{strconv.Itoa(i * 7)} }),
		one("RPUSH", "k", strings.Repeat("big", 5000), "small"),
		one("SADD", "k", "1", "2", "-70000"),
		one("SADD", "k", "1", "9223372036854775807"),
		many("SADD", 600, func(i int) []any { return []any{strconv.Itoa(i)} }),
		one("SADD", "k", "a", "b", "3"),
		one("HSET", "k", "f", "v", "n", "1"),
		one("HSET", "k", "f", strings.Repeat("x", 65)),
		many("HSET", 600, func(i int) []any { return []any{"f" + strconv.Itoa(i), strconv.Itoa(i)} }),
		one("ZADD", "k", "1.5", "a", "2", "b", "inf", "c", "-inf", "d", "0.1", "e", "-0", "f"),
		many("ZADD", 200, func(i int) []any { return []any{strconv.FormatFloat(float64(i)/3, 'g', -1, 64), "m" + strconv.Itoa(i)} }),
		one("ZADD", "k", "1", strings.Repeat("m", 70)),
	}
}

// TestDumpRestoreWithRedis moves every type and encoding both ways: a
// payload from redis-server's DUMP restores in shardd to what redis-server
// itself restores from it, and shardd's DUMP restores in redis-server to
// the same value.
func TestDumpRestoreWithRedis(t *testing.T) {
	ctx := context.Background()
	rc := dumpClient(t, redisproc.Start(t), 2)
	sc := dumpClient(t, shardtest.Start(t).Addr, 2)
	for _, setup := range dumpSetups() {
		name := fmt.Sprint(setup[0][0], " ", setup[0][2])
		t.Run(name[:min(len(name), 30)], func(t *testing.T) {
			rc.FlushAll(ctx)
			sc.FlushAll(ctx)
			for _, cmd := range setup {
				if err := rc.Do(ctx, cmd...).Err(); err != nil {
					t.Fatal(err)
				}
				if err := sc.Do(ctx, cmd...).Err(); err != nil {
					t.Fatal(err)
				}
			}
			payload, err := rc.Dump(ctx, "k").Result()
			if err != nil {
				t.Fatal(err)
			}
			rc.Restore(ctx, "ref", 0, payload)
			want := redisproc.KeyView(t, rc, "ref")
			if err := sc.Restore(ctx, "fromredis", 0, payload).Err(); err != nil {
				t.Fatalf("shardd RESTORE of redis-server's payload: %v", err)
			}
			if got := redisproc.KeyView(t, sc, "fromredis"); got != want {
				t.Fatalf("shardd restored\n %.300s\nredis-server restores\n %.300s", got, want)
			}
			ours, err := sc.Dump(ctx, "k").Result()
			if err != nil {
				t.Fatal(err)
			}
			if err := rc.Restore(ctx, "fromshardd", 0, ours).Err(); err != nil {
				t.Fatalf("redis-server RESTORE of shardd's payload: %v", err)
			}
			if got := redisproc.KeyView(t, rc, "fromshardd"); got != want {
				t.Fatalf("redis-server restored shardd's payload as\n %.300s\nwant\n %.300s", got, want)
			}
			if err := sc.Restore(ctx, "roundtrip", 0, ours).Err(); err != nil {
				t.Fatal(err)
			}
			if got := redisproc.KeyView(t, sc, "roundtrip"); got != want {
				t.Fatalf("shardd round trip\n %.300s\nwant\n %.300s", got, want)
			}
		})
	}
}

// signed appends a DUMP footer (RDB version 10 and the CRC64) to body.
func signed(body string) string {
	p := binary.LittleEndian.AppendUint16([]byte(body), 10)
	crc := crc64jones.New()
	crc.Write(p)
	return string(binary.LittleEndian.AppendUint64(p, crc.Sum64()))
}

// TestRestoreSemantics runs the same checks against redis-server and
// shardd, so that every expectation is Redis's behaviour.
func TestRestoreSemantics(t *testing.T) {
	ctx := context.Background()
	servers := []struct{ name, addr string }{
		{"redis-server", redisproc.Start(t)},
		{"shardd", shardtest.Start(t).Addr},
	}
	for _, srv := range servers {
		for _, proto := range []int{2, 3} {
			t.Run(fmt.Sprint(srv.name, "/RESP", proto), func(t *testing.T) {
				c := dumpClient(t, srv.addr, proto)
				c.FlushAll(ctx)
				if _, err := c.Dump(ctx, "missing").Result(); err != redis.Nil {
					t.Fatalf("DUMP of a missing key: %v; want nil", err)
				}
				c.Set(ctx, "s", "hello", 0)
				p := c.Dump(ctx, "s").Val()
				expectErr := func(want string, args ...any) {
					t.Helper()
					if err := c.Do(ctx, args...).Err(); err == nil || err.Error() != want {
						t.Errorf("%v: %v; want %s", args, err, want)
					}
				}
				expectErr("BUSYKEY Target key name already exists.", "RESTORE", "s", 0, p)
				expectErr("BUSYKEY Target key name already exists.", "RESTORE", "s", -1, "junk")
				expectErr("ERR Invalid TTL value, must be >= 0", "RESTORE", "n", -1, p)
				expectErr("ERR value is not an integer or out of range", "RESTORE", "n", "1.5", p)
				expectErr("ERR DUMP payload version or checksum are wrong", "RESTORE", "n", 0, "junk")
				expectErr("ERR DUMP payload version or checksum are wrong", "RESTORE", "n", 0, p[:len(p)-1]+"x")
				expectErr("ERR syntax error", "RESTORE", "n", 0, p, "bogus")
				expectErr("ERR syntax error", "RESTORE", "n", 0, p, "IDLETIME")
				expectErr("ERR syntax error", "RESTORE", "n", 0, p, "IDLETIME", 1, "FREQ", 1)
				expectErr("ERR syntax error", "RESTORE", "n", 0, p, "FREQ", 1, "IDLETIME", 1)
				expectErr("ERR Invalid IDLETIME value, must be >= 0", "RESTORE", "n", 0, p, "IDLETIME", -1)
				expectErr("ERR Invalid FREQ value, must be >= 0 and <= 255", "RESTORE", "n", 0, p, "FREQ", 256)
				expectErr("ERR value is not an integer or out of range", "RESTORE", "n", 0, p, "FREQ", "x")
				expectErr("ERR wrong number of arguments for 'restore' command", "RESTORE", "n", 0)
				expectErr("ERR wrong number of arguments for 'dump' command", "DUMP")
				// A valid footer around bad data.
				expectErr("ERR Bad data format", "RESTORE", "n", 0, signed("\x01\x00"))   // an empty list
				expectErr("ERR Bad data format", "RESTORE", "n", 0, signed("\x0f\x00"))   // a stream
				expectErr("ERR Bad data format", "RESTORE", "n", 0, signed("\x00\x20ab")) // truncated

				// A value that runs into the footer is read from it, as
				// Redis does.
				if err := c.Restore(ctx, "spill", 0, signed("\x00\x05ab")).Err(); err != nil || len(c.Get(ctx, "spill").Val()) != 5 {
					t.Errorf("RESTORE of a value running into the footer: %v, %q", err, c.Get(ctx, "spill").Val())
				}

				// REPLACE, TTLs, ABSTTL.
				if err := c.Restore(ctx, "n", 0, p).Err(); err != nil {
					t.Fatal(err)
				}
				if c.Get(ctx, "n").Val() != "hello" || c.PTTL(ctx, "n").Val() != -1 {
					t.Errorf("restored n = %q, pttl %v", c.Get(ctx, "n").Val(), c.PTTL(ctx, "n").Val())
				}
				if err := c.Do(ctx, "RESTORE", "n", 100000, p, "REPLACE", "IDLETIME", 5).Err(); err != nil {
					t.Fatal(err)
				}
				if ttl := c.PTTL(ctx, "n").Val(); ttl <= 90*time.Second || ttl > 100*time.Second {
					t.Errorf("PTTL after RESTORE 100000 = %v", ttl)
				}
				at := time.Now().Add(time.Hour).UnixMilli()
				if err := c.Do(ctx, "RESTORE", "a", at, p, "ABSTTL", "FREQ", 5).Err(); err != nil {
					t.Fatal(err)
				}
				if got, _ := c.Do(ctx, "PEXPIRETIME", "a").Int64(); got != at {
					t.Errorf("PEXPIRETIME after ABSTTL = %d; want %d", got, at)
				}
				// An expiry in the past: OK, and nothing is created...
				if err := c.Do(ctx, "RESTORE", "past", 1, p, "ABSTTL").Err(); err != nil || c.Exists(ctx, "past").Val() != 0 {
					t.Errorf("RESTORE with a past ABSTTL: %v, exists %d", err, c.Exists(ctx, "past").Val())
				}
				// ... or, with REPLACE, the old key is deleted.
				if err := c.Do(ctx, "RESTORE", "a", 1, p, "ABSTTL", "REPLACE").Err(); err != nil || c.Exists(ctx, "a").Val() != 0 {
					t.Errorf("RESTORE REPLACE with a past ABSTTL: %v, exists %d", err, c.Exists(ctx, "a").Val())
				}
				// A relative TTL that overflows is in the past too.
				if err := c.Do(ctx, "RESTORE", "huge", int64(1<<63-1), p).Err(); err != nil || c.Exists(ctx, "huge").Val() != 0 {
					t.Errorf("RESTORE with ttl 2^63-1: %v, exists %d", err, c.Exists(ctx, "huge").Val())
				}
				// An expired key does not block RESTORE.
				c.Set(ctx, "e", "old", time.Millisecond)
				time.Sleep(5 * time.Millisecond)
				if err := c.Restore(ctx, "e", 0, p).Err(); err != nil {
					t.Errorf("RESTORE over an expired key: %v", err)
				}
			})
		}
	}
}

// TestRestoreConfigLimits checks that a restored value takes the encoding
// the server's thresholds give it.
func TestRestoreConfigLimits(t *testing.T) {
	ctx := context.Background()
	c := dumpClient(t, shardtest.Start(t, "hash-max-listpack-entries 2", "set-max-intset-entries 2").Addr, 3)
	c.HSet(ctx, "h", "a", "1", "b", "2")
	c.SAdd(ctx, "s", "1", "2")
	hp, sp := c.Dump(ctx, "h").Val(), c.Dump(ctx, "s").Val()
	c.ConfigSet(ctx, "hash-max-listpack-entries", "1")
	c.ConfigSet(ctx, "set-max-intset-entries", "1")
	c.Restore(ctx, "h2", 0, hp)
	c.Restore(ctx, "s2", 0, sp)
	if h, s := c.ObjectEncoding(ctx, "h2").Val(), c.ObjectEncoding(ctx, "s2").Val(); h != "hashtable" || s != "hashtable" {
		t.Errorf("restored with limits of 1: hash %s, set %s; want hashtable, hashtable", h, s)
	}
}
