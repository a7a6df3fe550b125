package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// ksClient returns a client (RESP3 or RESP2) of a fresh, flushed server.
func ksClient(t *testing.T, proto int, directives ...string) *redis.Client {
	t.Helper()
	addr := os.Getenv("SHARDD_TEST_REDIS_ADDR")
	if addr == "" {
		addr = shardtest.Start(t, directives...).Addr
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, MaxRetries: -1, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	if err := c.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

// ksStep is one command and its expected reply: a value as go-redis
// decodes it (int64, string, []any), ksNil, a ksErr, a ksUnorderedReply
// (an array compared as a multiset) or a ksScanReply.
type ksStep struct {
	args []any
	want any
}

func ks(want any, args ...any) ksStep { return ksStep{args: args, want: want} }

type ksErr string

type ksNull struct{}

var ksNil = ksNull{}

// ksUnorderedReply is an array reply whose order does not matter.
type ksUnorderedReply []string

func ksUnordered(elems ...string) ksUnorderedReply { return elems }

// ksSet is a set reply (an array in RESP2), in any order.
func ksSet(elems ...string) ksUnorderedReply { return elems }

// ksScanReply is a SCAN-style reply: a cursor and elements in any order.
type ksScanReply struct {
	cursor string
	elems  []string
}

func ksScan(cursor string, elems ...string) ksScanReply { return ksScanReply{cursor, elems} }

const (
	ksWrongType   = ksErr("WRONGTYPE Operation against a key holding the wrong kind of value")
	ksNotInt      = ksErr("ERR value is not an integer or out of range")
	ksSyntax      = ksErr("ERR syntax error")
	ksErrPositive = ksErr("ERR value is out of range, must be positive")
	ksNoSuchKey   = ksErr("ERR no such key")
	ksDBRange     = ksErr("ERR DB index is out of range")
	ksSameObject  = ksErr("ERR source and destination objects are the same")
	ksInt32Range  = ksErr("ERR value is out of range, value must between -2147483648 and 2147483647")
)

func ksArity(cmd string) ksErr {
	return ksErr("ERR wrong number of arguments for '" + cmd + "' command")
}

// ksStrings converts an array reply of strings, ok false if it is not one.
func ksStrings(v any) ([]string, bool) {
	arr, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		if out[i], ok = e.(string); !ok {
			return nil, false
		}
	}
	slices.Sort(out)
	return out, true
}

func ksMatch(got, want any) bool {
	switch w := want.(type) {
	case ksUnorderedReply:
		g, ok := ksStrings(got)
		sorted := slices.Sorted(slices.Values(w))
		return ok && slices.Equal(g, sorted)
	case ksScanReply:
		arr, ok := got.([]any)
		if !ok || len(arr) != 2 || arr[0] != w.cursor {
			return false
		}
		return ksMatch(arr[1], ksUnorderedReply(w.elems))
	}
	return reflect.DeepEqual(got, want)
}

func ksDo(c *redis.Client, args ...any) any {
	got, err := c.Do(context.Background(), args...).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return ksNil
	case err != nil:
		return ksErr(err.Error())
	}
	return got
}

func ksRun(t *testing.T, c *redis.Client, steps []ksStep) {
	t.Helper()
	for _, st := range steps {
		if got := ksDo(c, st.args...); !ksMatch(got, st.want) {
			t.Errorf("%q: got %#v; want %#v", st.args, got, st.want)
		}
	}
}

func TestDelExistsType(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks("OK", "SET", "a", "1"),
		ks(int64(1), "SADD", "s", "x"),
		ks(int64(3), "EXISTS", "a", "a", "s", "nokey"), // a repeated key counts twice
		ks(int64(2), "TOUCH", "a", "s", "nokey"),
		ks("string", "TYPE", "a"),
		ks("set", "TYPE", "s"),
		ks("none", "TYPE", "nokey"),
		ks(int64(1), "DEL", "a", "a", "nokey"),
		ks(int64(1), "UNLINK", "s"),
		ks(int64(0), "EXISTS", "a", "s"),
		ks(ksArity("del"), "DEL"),
		ks(ksArity("exists"), "EXISTS"),
		ks(ksArity("touch"), "TOUCH"),
		ks(ksArity("type"), "TYPE", "a", "b"),
	})
}

func TestKeys(t *testing.T) {
	c := ksClient(t, 3)
	for _, k := range []string{"hello", "hallo", "hxllo", "hllo", "heeeello", "", "a*b", "foo"} {
		c.Set(context.Background(), k, "v", 0)
	}
	c.Set(context.Background(), "gone", "v", time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	ksRun(t, c, []ksStep{
		ks(ksUnordered("hello", "hallo", "hxllo", "hllo", "heeeello", "", "a*b", "foo"), "KEYS", "*"),
		ks(ksUnordered("hello", "hallo", "hxllo"), "KEYS", "h?llo"),
		ks(ksUnordered("hello", "hallo", "hxllo", "hllo", "heeeello"), "KEYS", "h*llo"),
		ks(ksUnordered("hello", "hallo"), "KEYS", "h[ae]llo"),
		ks(ksUnordered("hxllo"), "KEYS", "h[^ae]llo"),
		ks(ksUnordered("hello", "hallo"), "KEYS", "h[a-e]llo"),
		ks(ksUnordered("a*b"), "KEYS", "a\\*b"),
		ks(ksUnordered(""), "KEYS", ""),
		ks(ksUnordered(), "KEYS", "nothing*"),
		ks(ksArity("keys"), "KEYS"),
	})
}

func TestScan(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		c.Set(ctx, "str"+strconv.Itoa(i), "v", 0)
		c.SAdd(ctx, "set"+strconv.Itoa(i), "m")
	}
	scanAll := func(match string, count int64, typ string) []string {
		t.Helper()
		var all []string
		var cursor uint64
		for i := 0; ; i++ {
			var keys []string
			var err error
			if typ != "" {
				keys, cursor, err = c.ScanType(ctx, cursor, match, count, typ).Result()
			} else {
				keys, cursor, err = c.Scan(ctx, cursor, match, count).Result()
			}
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, keys...)
			if cursor == 0 {
				break
			}
			if i > 20000 {
				t.Fatal("SCAN does not end")
			}
		}
		slices.Sort(all)
		return all
	}
	if got := scanAll("", 10, ""); len(got) != 200 || len(slices.Compact(got)) != 200 {
		t.Fatalf("SCAN: %d keys; want 200 distinct", len(got))
	}
	if got := scanAll("str1*", 5, ""); len(got) != 11 {
		t.Fatalf("SCAN MATCH str1*: %q", got)
	}
	if got := scanAll("", 1000, "set"); len(got) != 100 || got[0] != "set0" {
		t.Fatalf("SCAN TYPE set: %d keys", len(got))
	}
	if got := scanAll("", 3, "STRING"); len(got) != 100 || got[0] != "str0" {
		t.Fatalf("SCAN TYPE STRING: %d keys", len(got))
	}
	if got := scanAll("", 10, "list"); len(got) != 0 {
		t.Fatalf("SCAN TYPE list: %q", got)
	}
	// With a large COUNT everything comes in one call.
	keys, cursor, err := c.Scan(ctx, 0, "*", 1000).Result()
	if err != nil || cursor != 0 || len(keys) != 200 {
		t.Fatalf("SCAN 0 COUNT 1000: %d keys, cursor %d, %v", len(keys), cursor, err)
	}
	ksRun(t, c, []ksStep{
		ks(ksErr("ERR invalid cursor"), "SCAN", "x"),
		ks(ksErr("ERR invalid cursor"), "SCAN", "1x"),
		ks(ksErr("ERR invalid cursor"), "SCAN", " 1"),
		ks(ksErr("ERR invalid cursor"), "SCAN", "-"),
		ks(ksErr("ERR invalid cursor"), "SCAN", "18446744073709551616"),
		ks(ksSyntax, "SCAN", "0", "COUNT", "0"),
		ks(ksSyntax, "SCAN", "0", "COUNT", "-1"),
		ks(ksNotInt, "SCAN", "0", "COUNT", "x"),
		ks(ksSyntax, "SCAN", "0", "MATCH"),
		ks(ksSyntax, "SCAN", "0", "TYPE"),
		ks(ksSyntax, "SCAN", "0", "foo", "bar"),
		ks(ksArity("scan"), "SCAN"),
	})
	if os.Getenv("SHARDD_TEST_REDIS_ADDR") == "" {
		// shardd's cursors are slot numbers: past the last slot the
		// scan is over.
		ksRun(t, c, []ksStep{
			ks(ksScan("0"), "SCAN", "18446744073709551615"),
			ks(ksScan("0"), "SCAN", "-1"),
			ks(ksScan("0"), "SCAN", "16384"),
		})
	}
}

// TestScanGuarantee scans while other clients add and delete keys: every
// key present for the whole scan must be returned.
func TestScanGuarantee(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	const stable = 3000
	pipe := c.Pipeline()
	for i := 0; i < stable; i++ {
		pipe.Set(ctx, "stable:"+strconv.Itoa(i), "v", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				k := fmt.Sprintf("churn:%d:%d", w, i%300)
				if i%600 < 300 {
					c.Set(ctx, k, "v", 0)
				} else {
					c.Del(ctx, k)
				}
			}
		}()
	}
	defer func() {
		stop.Store(true)
		wg.Wait()
	}()
	for round := 0; round < 3; round++ {
		seen := map[string]int{}
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, "stable:*", 20).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				seen[k]++
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
		for i := 0; i < stable; i++ {
			if k := "stable:" + strconv.Itoa(i); seen[k] == 0 {
				t.Fatalf("round %d: SCAN missed %q", round, k)
			}
		}
		if os.Getenv("SHARDD_TEST_REDIS_ADDR") == "" {
			for k, n := range seen {
				if n != 1 {
					t.Fatalf("round %d: SCAN returned %q %d times", round, k, n)
				}
			}
		}
	}
}

func TestRandomKey(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	ksRun(t, c, []ksStep{
		ks(ksNil, "RANDOMKEY"),
		ks("OK", "SET", "gone", "v", "PX", "1"),
	})
	time.Sleep(5 * time.Millisecond)
	ksRun(t, c, []ksStep{
		ks(ksNil, "RANDOMKEY"), // expired keys are skipped
		ks("OK", "SET", "only", "v"),
		ks("only", "RANDOMKEY"),
		ks(ksArity("randomkey"), "RANDOMKEY", "x"),
	})
	for i := 0; i < 10; i++ {
		c.Set(ctx, "k"+strconv.Itoa(i), "v", 0)
	}
	seen := map[string]bool{}
	for i := 0; i < 300; i++ {
		k, err := c.RandomKey(ctx).Result()
		if err != nil || c.Exists(ctx, k).Val() != 1 {
			t.Fatalf("RANDOMKEY = %q, %v", k, err)
		}
		seen[k] = true
	}
	if len(seen) < 8 {
		t.Fatalf("RANDOMKEY returned only %d distinct keys of 11", len(seen))
	}
}

func TestRename(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks(ksNoSuchKey, "RENAME", "nokey", "b"),
		ks(ksNoSuchKey, "RENAMENX", "nokey", "b"),
		ks(ksNoSuchKey, "RENAME", "nokey", "nokey"),
		ks("OK", "SET", "a", "1", "EX", "100"),
		ks("OK", "RENAME", "a", "a"),
		ks(int64(0), "RENAMENX", "a", "a"),
		ks("OK", "RENAME", "a", "b"),
		ks(int64(0), "EXISTS", "a"),
		ks(int64(100), "TTL", "b"), // the TTL moves with the value
		ks("OK", "SET", "c", "2"),
		ks(int64(0), "RENAMENX", "b", "c"),
		ks("OK", "RENAME", "b", "c"), // RENAME replaces
		ks("1", "GET", "c"),
		ks(int64(100), "TTL", "c"),
		ks(int64(1), "SADD", "s", "m"),
		ks(int64(1), "RENAMENX", "s", "t"),
		ks(ksSet("m"), "SMEMBERS", "t"),
		ks(int64(-1), "TTL", "t"),
		ks("OK", "SET", "x", "v", "EX", "100"),
		ks("OK", "RENAME", "t", "x"), // the destination's TTL goes
		ks(int64(-1), "TTL", "x"),
		ks(ksArity("rename"), "RENAME", "a"),
		ks(ksArity("renamenx"), "RENAMENX", "a", "b", "c"),
	})
}

func TestMove(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	c1 := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: 1, MaxRetries: -1, DisableIdentity: true})
	defer c1.Close()
	ksRun(t, c, []ksStep{
		ks("OK", "SET", "a", "1", "EX", "100"),
		ks(ksSameObject, "MOVE", "a", "0"),
		ks(ksDBRange, "MOVE", "a", "16"),
		ks(ksDBRange, "MOVE", "a", "-1"),
		ks(ksNotInt, "MOVE", "a", "x"),
		ks(ksInt32Range, "MOVE", "a", "2147483648"),
		ks(int64(0), "MOVE", "nokey", "1"),
		ks(int64(1), "MOVE", "a", "1"),
		ks(int64(0), "EXISTS", "a"),
		ks(int64(0), "MOVE", "a", "1"),
	})
	if got := c1.Get(ctx, "a").Val(); got != "1" {
		t.Fatalf("db 1 GET a = %q", got)
	}
	if ttl := c1.TTL(ctx, "a").Val(); ttl < 99*time.Second {
		t.Fatalf("db 1 TTL a = %v; want the TTL moved", ttl)
	}
	ksRun(t, c, []ksStep{
		ks("OK", "SET", "a", "2"),
		ks(int64(0), "MOVE", "a", "1"), // exists in db 1
		ks("2", "GET", "a"),
		ks(ksArity("move"), "MOVE", "a"),
	})
}

func TestCopy(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	c1 := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: 1, MaxRetries: -1, DisableIdentity: true})
	defer c1.Close()
	ksRun(t, c, []ksStep{
		ks(int64(0), "COPY", "nokey", "b"),
		ks(int64(2), "SADD", "s", "1", "2"),
		ks(int64(1), "PEXPIRE", "s", "100000"),
		ks(ksSameObject, "COPY", "s", "s"),
		ks(ksSameObject, "COPY", "s", "s", "DB", "0"),
		ks(ksDBRange, "COPY", "s", "t", "DB", "16"),
		ks(ksDBRange, "COPY", "s", "t", "DB", "-1"),
		ks(ksNotInt, "COPY", "s", "t", "DB", "x"),
		ks(ksInt32Range, "COPY", "s", "t", "DB", "4294967296"),
		ks(ksSyntax, "COPY", "s", "t", "DB"),
		ks(ksSyntax, "COPY", "s", "t", "foo"),
		ks(int64(1), "COPY", "s", "t"),
		ks("intset", "OBJECT", "ENCODING", "t"),
		ks(int64(1), "SADD", "t", "a"), // a deep copy: s does not change
		ks(ksSet("1", "2"), "SMEMBERS", "s"),
		ks(ksSet("1", "2", "a"), "SMEMBERS", "t"),
		ks(int64(0), "COPY", "s", "t"),
		ks(int64(1), "COPY", "s", "t", "REPLACE", "replace"),
		ks(ksSet("1", "2"), "SMEMBERS", "t"),
		ks(int64(1), "COPY", "s", "s", "DB", "1"),
		ks(int64(0), "COPY", "s", "s", "DB", "1"),
		ks("OK", "SET", "str", "hello"),
		ks(int64(1), "COPY", "str", "str2"),
		ks(int64(10), "APPEND", "str2", "world"),
		ks("hello", "GET", "str"),
		ks(ksArity("copy"), "COPY", "a"),
	})
	// Lists and hashes are deep copies too, with their encoding.
	if c.LPush(ctx, "l", "a", "b").Err() == nil {
		ksRun(t, c, []ksStep{
			ks(int64(1), "COPY", "l", "l2"),
			ks(int64(3), "RPUSH", "l2", "c"),
			ks([]any{"b", "a"}, "LRANGE", "l", "0", "-1"),
			ks([]any{"b", "a", "c"}, "LRANGE", "l2", "0", "-1"),
		})
	}
	if c.HSet(ctx, "h", "f", "v").Err() == nil {
		ksRun(t, c, []ksStep{
			ks(int64(1), "HSET", "h", "long", strings.Repeat("x", 100)),
			ks(int64(1), "HDEL", "h", "long"),
			ks("hashtable", "OBJECT", "ENCODING", "h"),
			ks(int64(1), "COPY", "h", "h2"),
			ks("hashtable", "OBJECT", "ENCODING", "h2"),
			ks(int64(1), "HSET", "h2", "g", "w"),
			ks(int64(1), "HLEN", "h"),
			ks("v", "HGET", "h2", "f"),
		})
	}
	if ttl := c.PTTL(ctx, "t").Val(); ttl < 90*time.Second {
		t.Fatalf("PTTL of the copy = %v; want the TTL copied", ttl)
	}
	if got := c1.SMembers(ctx, "s").Val(); len(got) != 2 {
		t.Fatalf("db 1 SMEMBERS s = %q", got)
	}
	if ttl := c1.PTTL(ctx, "s").Val(); ttl < 90*time.Second {
		t.Fatalf("db 1 PTTL s = %v; want the TTL copied", ttl)
	}
}

func TestExpireOptions(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks(int64(0), "EXPIRE", "nokey", "100"),
		ks("OK", "SET", "k", "v"),
		ks(ksErr("ERR NX and XX, GT or LT options at the same time are not compatible"), "EXPIRE", "k", "100", "NX", "XX"),
		ks(ksErr("ERR NX and XX, GT or LT options at the same time are not compatible"), "EXPIRE", "k", "100", "nx", "gt"),
		ks(ksErr("ERR NX and XX, GT or LT options at the same time are not compatible"), "EXPIRE", "k", "abc", "lt", "nx"),
		ks(ksErr("ERR GT and LT options at the same time are not compatible"), "PEXPIRE", "k", "100", "GT", "LT"),
		ks(ksErr("ERR Unsupported option foo"), "EXPIRE", "k", "abc", "foo"),
		ks(ksErr("ERR Unsupported option foo"), "EXPIRE", "k", "100", "NX", "XX", "foo"),
		ks(ksNotInt, "EXPIRE", "k", "abc"),
		ks(ksNotInt, "EXPIRE", "k", "1.5"),
		ks(int64(0), "EXPIRE", "k", "100", "XX"), // no TTL yet
		ks(int64(0), "EXPIRE", "k", "100", "GT"), // no TTL counts as infinite
		ks(int64(1), "EXPIRE", "k", "100", "NX"),
		ks(int64(0), "EXPIRE", "k", "200", "NX"),
		ks(int64(100), "TTL", "k"),
		ks(int64(1), "EXPIRE", "k", "200", "XX"),
		ks(int64(200), "TTL", "k"),
		ks(int64(0), "EXPIRE", "k", "100", "GT"),
		ks(int64(1), "EXPIRE", "k", "300", "gt"),
		ks(int64(0), "EXPIRE", "k", "400", "LT"),
		ks(int64(1), "EXPIRE", "k", "50", "LT"),
		ks(int64(50), "TTL", "k"),
		ks(int64(1), "PERSIST", "k"),
		ks(int64(0), "PERSIST", "k"),
		ks(int64(0), "PERSIST", "nokey"),
		ks(int64(1), "EXPIRE", "k", "100", "LT"), // no TTL is infinite: any TTL is less
		ks(int64(1), "PEXPIREAT", "k", "4102444800000", "XX"),
		ks(int64(4102444800), "EXPIRETIME", "k"),
		ks(int64(4102444800000), "PEXPIRETIME", "k"),
		ks(int64(0), "EXPIREAT", "k", "4102444800", "GT"), // the same time is not greater
		ks(int64(1), "EXPIREAT", "k", "4102444801", "GT"),
		ks(ksArity("expire"), "EXPIRE", "k"),
		ks(ksArity("pexpireat"), "PEXPIREAT", "k"),
	})
}

func TestExpireLimits(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks("OK", "SET", "k", "v"),
		ks(ksErr("ERR invalid expire time in 'expire' command"), "EXPIRE", "k", "9223372036854775807"),
		ks(ksErr("ERR invalid expire time in 'expire' command"), "EXPIRE", "k", "-9223372036854775808"),
		ks(ksErr("ERR invalid expire time in 'expire' command"), "EXPIRE", "k", "9223372036854776"),
		ks(ksErr("ERR invalid expire time in 'pexpire' command"), "PEXPIRE", "k", "9223372036854775807"),
		ks(ksErr("ERR invalid expire time in 'expireat' command"), "EXPIREAT", "k", "9223372036854775807"),
		ks(ksErr("ERR invalid expire time in 'expireat' command"), "EXPIREAT", "k", "-9223372036854776"),
		ks(int64(0), "PEXPIRE", "nokey", "9223372036854775"), // valid, but no key
		ks(int64(1), "PEXPIREAT", "k", "9223372036854775807"),
		ks(int64(9223372036854775807), "PEXPIRETIME", "k"),
		ks(int64(9223372036854776), "EXPIRETIME", "k"),
		// A time not in the future deletes the key.
		ks(int64(1), "EXPIRE", "k", "0"),
		ks(int64(0), "EXISTS", "k"),
		ks("OK", "SET", "k", "v"),
		ks(int64(1), "PEXPIRE", "k", "-1"),
		ks(int64(0), "EXISTS", "k"),
		ks("OK", "SET", "k", "v"),
		ks(int64(1), "EXPIREAT", "k", "1"),
		ks(int64(0), "EXISTS", "k"),
		ks("OK", "SET", "k", "v"),
		ks(int64(1), "PEXPIREAT", "k", "-9223372036854775808"),
		ks(int64(0), "EXISTS", "k"),
		ks("OK", "SET", "k", "v", "EX", "100"),
		ks(int64(1), "EXPIRE", "k", "-100", "LT"),
		ks(int64(0), "EXISTS", "k"),
	})
}

func TestTTL(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	ksRun(t, c, []ksStep{
		ks(int64(-2), "TTL", "nokey"),
		ks(int64(-2), "PTTL", "nokey"),
		ks(int64(-2), "EXPIRETIME", "nokey"),
		ks(int64(-2), "PEXPIRETIME", "nokey"),
		ks("OK", "SET", "k", "v"),
		ks(int64(-1), "TTL", "k"),
		ks(int64(-1), "PTTL", "k"),
		ks(int64(-1), "EXPIRETIME", "k"),
		ks(int64(-1), "PEXPIRETIME", "k"),
		ks(int64(1), "PEXPIRE", "k", "1500"),
		ks(ksArity("ttl"), "TTL"),
		ks(ksArity("pttl"), "PTTL", "a", "b"),
	})
	// TTL rounds to the nearest second.
	if ttl := ksDo(c, "TTL", "k"); ttl != int64(1) && ttl != int64(2) {
		t.Fatalf("TTL after PEXPIRE 1500 = %v", ttl)
	}
	pttl := ksDo(c, "PTTL", "k").(int64)
	if pttl <= 1400 || pttl > 1500 {
		t.Fatalf("PTTL after PEXPIRE 1500 = %d", pttl)
	}
	now := time.Now().UnixMilli()
	at := ksDo(c, "PEXPIRETIME", "k").(int64)
	if at < now+1400 || at > now+1600 {
		t.Fatalf("PEXPIRETIME = %d; want about %d", at, now+1500)
	}
	if got := ksDo(c, "EXPIRETIME", "k").(int64); got != (at+500)/1000 {
		t.Fatalf("EXPIRETIME = %d; want %d", got, (at+500)/1000)
	}
	c.Set(ctx, "e", "v", 0)
	c.Do(ctx, "EXPIREAT", "e", time.Now().Unix()+1000)
	if ttl := ksDo(c, "TTL", "e").(int64); ttl < 998 || ttl > 1000 {
		t.Fatalf("TTL after EXPIREAT now+1000 = %d", ttl)
	}
}

// TestLazyExpiry reads keys right after they expire: they are gone,
// whether or not active expiry has seen them yet.
func TestLazyExpiry(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		c.Set(ctx, k, "v", 30*time.Millisecond)
	}
	c.SAdd(ctx, "s", "m")
	c.PExpire(ctx, "s", 30*time.Millisecond)
	time.Sleep(40 * time.Millisecond)
	ksRun(t, c, []ksStep{
		ks(ksNil, "GET", "a"),
		ks(int64(0), "EXISTS", "b"),
		ks(int64(-2), "TTL", "c"),
		ks("none", "TYPE", "d"),
		ks(ksNoSuchKey, "RENAME", "e", "x"),
		ks(int64(1), "SADD", "f", "m"), // a write replaces the expired value
		ks("set", "TYPE", "f"),
		ks(int64(-1), "TTL", "f"),
		ks(ksSet(), "SMEMBERS", "s"),
		ks(ksUnordered("f"), "KEYS", "*"),
		ks(ksScan("0", "f"), "SCAN", "0", "COUNT", "1000"),
	})
}

// TestActiveExpiry checks that expired keys are deleted without being
// accessed: DBSIZE counts expired keys until they are deleted.
func TestActiveExpiry(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	pipe := c.Pipeline()
	for i := 0; i < 500; i++ {
		pipe.Set(ctx, "v"+strconv.Itoa(i), "x", 50*time.Millisecond)
	}
	pipe.Set(ctx, "keep", "x", 0)
	pipe.Set(ctx, "later", "x", time.Hour)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if n := c.DBSize(ctx).Val(); n != 502 {
		t.Fatalf("DBSIZE = %d; want 502", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.DBSize(ctx).Val() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE = %d 5 s after the keys expired; want 2", c.DBSize(ctx).Val())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestObject(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks(ksNil, "OBJECT", "ENCODING", "nokey"),
		ks(ksNil, "OBJECT", "FREQ", "nokey"),
		ks(ksNil, "OBJECT", "IDLETIME", "nokey"),
		ks(ksNil, "OBJECT", "REFCOUNT", "nokey"),
		ks("OK", "SET", "int", "12"),
		ks("OK", "SET", "bigint", "12345"),
		ks("OK", "SET", "str", "hello"),
		ks("OK", "SET", "long", "0123456789012345678901234567890123456789012345"),
		ks("int", "OBJECT", "ENCODING", "int"),
		ks("int", "OBJECT", "encoding", "bigint"),
		ks("embstr", "OBJECT", "ENCODING", "str"),
		ks("raw", "OBJECT", "ENCODING", "long"),
		ks(int64(2147483647), "OBJECT", "REFCOUNT", "int"), // a shared integer
		ks(int64(1), "OBJECT", "REFCOUNT", "bigint"),
		ks(int64(1), "OBJECT", "REFCOUNT", "str"),
		ks(int64(0), "OBJECT", "IDLETIME", "str"),
		ks(ksErr("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."),
			"OBJECT", "FREQ", "str"),
		ks(ksArity("object|encoding"), "OBJECT", "ENCODING"),
		ks(ksArity("object|encoding"), "OBJECT", "ENCODING", "a", "b"),
		ks(ksArity("object|help"), "OBJECT", "HELP", "x"),
		ks(ksArity("object"), "OBJECT"),
		ks(ksErr("ERR unknown subcommand 'foo'. Try OBJECT HELP."), "OBJECT", "foo", "k"),
	})
	help, ok := ksDo(c, "OBJECT", "HELP").([]any)
	if !ok || len(help) != 15 || help[0] != "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" {
		t.Fatalf("OBJECT HELP = %#v", help)
	}
	if os.Getenv("SHARDD_TEST_REDIS_ADDR") == "" {
		ksRun(t, c, []ksStep{
			ks("OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"),
			ks(int64(0), "OBJECT", "FREQ", "str"),
			ks(ksErr("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."),
				"OBJECT", "IDLETIME", "str"),
			ks("OK", "CONFIG", "SET", "maxmemory-policy", "noeviction"),
		})
	}
}

func TestSwapDB(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	c1 := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: 1, MaxRetries: -1, DisableIdentity: true})
	defer c1.Close()
	c.Set(ctx, "in0", "a", time.Hour)
	c1.Set(ctx, "in1", "b", 0)
	ksRun(t, c, []ksStep{
		ks(ksErr("ERR invalid first DB index"), "SWAPDB", "x", "1"),
		ks(ksErr("ERR invalid second DB index"), "SWAPDB", "0", "x"),
		ks(ksErr("ERR invalid first DB index"), "SWAPDB", "4294967296", "x"),
		ks(ksDBRange, "SWAPDB", "0", "16"),
		ks(ksDBRange, "SWAPDB", "-1", "0"),
		ks("OK", "SWAPDB", "0", "0"),
		ks("OK", "SWAPDB", "0", "1"),
		ks("b", "GET", "in1"),
		ks(ksNil, "GET", "in0"),
		ks(int64(1), "DBSIZE"),
		ks(ksArity("swapdb"), "SWAPDB", "0"),
	})
	if ttl := c1.TTL(ctx, "in0").Val(); ttl < 59*time.Minute {
		t.Fatalf("TTL in0 after SWAPDB = %v", ttl)
	}
	if n := c1.DBSize(ctx).Val(); n != 1 {
		t.Fatalf("db 1 DBSIZE = %d", n)
	}
}

func TestFlushAndDBSize(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	c1 := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: 1, MaxRetries: -1, DisableIdentity: true})
	defer c1.Close()
	c.Set(ctx, "a", "1", 0)
	c.SAdd(ctx, "b", "1")
	c1.Set(ctx, "c", "1", 0)
	ksRun(t, c, []ksStep{
		ks(int64(2), "DBSIZE"),
		ks(ksSyntax, "FLUSHDB", "foo"),
		ks(ksSyntax, "FLUSHALL", "SYNC", "ASYNC"),
		ks("OK", "FLUSHDB", "ASYNC"),
		ks(int64(0), "DBSIZE"),
		ks(ksArity("dbsize"), "DBSIZE", "x"),
	})
	if n := c1.DBSize(ctx).Val(); n != 1 {
		t.Fatalf("db 1 DBSIZE after FLUSHDB in db 0 = %d", n)
	}
	ksRun(t, c, []ksStep{ks("OK", "FLUSHALL", "sync")})
	if n := c1.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("db 1 DBSIZE after FLUSHALL = %d", n)
	}
}
