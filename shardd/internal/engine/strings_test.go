package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/engine"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// The string and bitmap tests run scripted steps against an in-process
// shardd. With SHARDD_TEST_REDIS_ADDR=host:port they run against that
// server instead (it is flushed!), which checks the expectations
// themselves against redis-server.

// strClient returns a RESP3 (or RESP2) client of a fresh server.
func strClient(t *testing.T, proto int) *redis.Client {
	t.Helper()
	addr := os.Getenv("SHARDD_TEST_REDIS_ADDR")
	if addr == "" {
		addr = shardtest.Start(t).Addr
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, MaxRetries: -1, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	if err := c.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

// errReply is an expected error reply.
type errReply string

// nilReply is an expected null reply.
var nilReply = struct{ null bool }{true}

// step is one command and its expected reply: a value as go-redis
// decodes it (int64, string, []any, map[any]any), nilReply or errReply.
type step struct {
	args []any
	want any
}

func s(want any, args ...any) step { return step{args: args, want: want} }

func runSteps(t *testing.T, c *redis.Client, steps []step) {
	t.Helper()
	ctx := context.Background()
	for _, st := range steps {
		got, err := c.Do(ctx, st.args...).Result()
		var gotv any = got
		switch {
		case errors.Is(err, redis.Nil):
			gotv = nilReply
		case err != nil:
			gotv = errReply(err.Error())
		}
		if !reflect.DeepEqual(gotv, st.want) {
			t.Errorf("%v: got %#v; want %#v", st.args, gotv, st.want)
		}
	}
}

// otherType stores a value of a non-string type under key and reports
// whether this shardd has a command for that yet.
func otherType(t *testing.T, c *redis.Client, key string) bool {
	t.Helper()
	ctx := context.Background()
	for _, args := range [][]any{{"LPUSH", key, "x"}, {"SADD", key, "x"}, {"HSET", key, "f", "v"}, {"ZADD", key, "1", "x"}} {
		if err := c.Do(ctx, args...).Err(); err == nil {
			return true
		}
	}
	return false
}

// wrongType runs steps that expect WRONGTYPE on a key holding a list (or
// another type), if shardd can make one yet.
func wrongType(t *testing.T, c *redis.Client, key string, steps []step) {
	t.Helper()
	if !otherType(t, c, key) {
		t.Log("no non-string type to test WRONGTYPE with yet")
		return
	}
	runSteps(t, c, steps)
}

const (
	wrongTypeErr = errReply("WRONGTYPE Operation against a key holding the wrong kind of value")
	notIntErr    = errReply("ERR value is not an integer or out of range")
	notFloatErr  = errReply("ERR value is not a valid float")
	syntaxErr    = errReply("ERR syntax error")
)

func arityErr(cmd string) errReply {
	return errReply("ERR wrong number of arguments for '" + cmd + "' command")
}

func TestGetSet(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		s(nilReply, "GET", "k"),
		s("OK", "SET", "k", "v"),
		s("v", "GET", "k"),
		s("OK", "SET", "k", ""),
		s("", "GET", "k"),
		s("OK", "SET", "k", "\x00\xff\r\n"),
		s("\x00\xff\r\n", "GET", "k"),
		s(arityErr("get"), "GET"),
		s(arityErr("get"), "GET", "a", "b"),
		s(arityErr("set"), "SET", "k"),
		s(syntaxErr, "SET", "k", "v", "FOO"),
	})
	wrongType(t, c, "l", []step{s(wrongTypeErr, "GET", "l"), s("OK", "SET", "l", "now a string"), s("now a string", "GET", "l")})
}

func TestSetOptions(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		// NX and XX.
		s(nilReply, "SET", "k", "1", "XX"),
		s("OK", "SET", "k", "1", "NX"),
		s(nilReply, "SET", "k", "2", "nx"),
		s("OK", "SET", "k", "3", "xx"),
		s("3", "GET", "k"),
		s(syntaxErr, "SET", "k", "4", "NX", "XX"),
		s(syntaxErr, "SET", "k", "4", "XX", "NX"),
		s("OK", "SET", "k", "4", "XX", "XX"),
		// GET returns the old value, with NX/XX too (Redis 7).
		s("4", "SET", "k", "5", "GET"),
		s("5", "SET", "k", "6", "NX", "GET"),
		s("5", "GET", "k"),
		s(nilReply, "SET", "new", "1", "GET"),
		s(nilReply, "SET", "new2", "1", "XX", "GET"),
		s(int64(0), "EXISTS", "new2"),
		// Expiry options: repeating one is fine (the last wins), mixing
		// them is not.
		s("OK", "SET", "k", "v", "EX", "100"),
		s("OK", "SET", "k", "v", "EX", "10", "EX", "1000"),
		s("OK", "SET", "k", "v", "px", "100000", "PX", "200000"),
		s(syntaxErr, "SET", "k", "v", "EX", "10", "PX", "100"),
		s(syntaxErr, "SET", "k", "v", "EX", "10", "KEEPTTL"),
		s(syntaxErr, "SET", "k", "v", "KEEPTTL", "EXAT", "10"),
		s(syntaxErr, "SET", "k", "v", "PXAT", "10", "EXAT", "10"),
		s(syntaxErr, "SET", "k", "v", "PERSIST"),
		s(syntaxErr, "SET", "k", "v", "EX"),
		s("OK", "SET", "k", "v", "KEEPTTL", "KEEPTTL"),
		// The expiry value is checked after the syntax.
		s(syntaxErr, "SET", "k", "v", "EX", "abc", "FOO"),
		s(notIntErr, "SET", "k", "v", "EX", "abc"),
		s(errReply("ERR invalid expire time in 'set' command"), "SET", "k", "v", "EX", "0"),
		s(errReply("ERR invalid expire time in 'set' command"), "SET", "k", "v", "PX", "-5"),
		s(errReply("ERR invalid expire time in 'set' command"), "SET", "k", "v", "EX", "9223372036854775"),
		s(errReply("ERR invalid expire time in 'set' command"), "SET", "k", "v", "EX", "9223372036854776"),
		s(errReply("ERR invalid expire time in 'set' command"), "SET", "k", "v", "PX", "9223372036854775807"),
		s(errReply("ERR invalid expire time in 'set' command"), "SET", "k", "v", "EXAT", "9223372036854776"),
		s(errReply("ERR invalid expire time in 'set' command"), "SET", "k", "v", "PXAT", "0"),
		s("OK", "SET", "k", "v", "EXAT", "9223372036854775"),
		s("OK", "SET", "k", "v", "PXAT", "9223372036854775807"),
		s("v", "GET", "k"),
		// An absolute time in the past stores a key that is gone at once.
		s("OK", "SET", "k", "v", "PXAT", "1"),
		s(nilReply, "GET", "k"),
		s("OK", "SET", "k", "v", "EXAT", "1"),
		s(int64(0), "EXISTS", "k"),
		// The expiry error comes before the GET's wrong type.
		s(nilReply, "SET", "k", "v", "GET", "EX", "100", "NX", "NX"),
	})
	wrongType(t, c, "l", []step{
		s(errReply("ERR invalid expire time in 'set' command"), "SET", "l", "v", "GET", "EX", "0"),
		s(wrongTypeErr, "SET", "l", "v", "GET"),
		s(nilReply, "SET", "l", "v", "NX"),
		s("OK", "SET", "l", "v", "XX"),
	})
}

// ttl returns key's PTTL, or skips the test when shardd has no PTTL yet.
func ttl(t *testing.T, c *redis.Client, key string) time.Duration {
	t.Helper()
	d, err := c.PTTL(context.Background(), key).Result()
	if err != nil {
		if strings.Contains(err.Error(), "unknown command") {
			t.Skip("PTTL is not implemented yet")
		}
		t.Fatal(err)
	}
	return d
}

func TestSetTTL(t *testing.T) {
	c := strClient(t, 3)
	ctx := context.Background()
	inRange := func(key string, lo, hi time.Duration) {
		t.Helper()
		if d := ttl(t, c, key); d < lo || d > hi {
			t.Errorf("PTTL %s = %v; want in [%v, %v]", key, d, lo, hi)
		}
	}
	c.Do(ctx, "SET", "k", "v", "EX", "100")
	inRange("k", 99*time.Second, 100*time.Second)
	c.Do(ctx, "SET", "k", "w", "KEEPTTL")
	inRange("k", 99*time.Second, 100*time.Second)
	c.Do(ctx, "SET", "k", "x")
	inRange("k", -1, -1) // SET drops the TTL
	c.Do(ctx, "SET", "k", "v", "PX", "50000")
	inRange("k", 49*time.Second, 50*time.Second)
	c.Do(ctx, "SET", "k", "v", "EXAT", strconv.FormatInt(time.Now().Unix()+200, 10))
	inRange("k", 198*time.Second, 200*time.Second)
	c.Do(ctx, "SET", "k", "v", "PXAT", strconv.FormatInt(time.Now().UnixMilli()+300000, 10))
	inRange("k", 299*time.Second, 300*time.Second)
	c.Do(ctx, "APPEND", "k", "x")
	c.Do(ctx, "INCRBYFLOAT", "k", "1") // fails: not a number
	c.Do(ctx, "SETRANGE", "k", "0", "1")
	c.Do(ctx, "SETBIT", "k", "0", "0")
	c.Do(ctx, "INCR", "k")
	c.Do(ctx, "INCRBYFLOAT", "k", "1.5")
	inRange("k", 299*time.Second, 300*time.Second) // all of them keep it
	c.Do(ctx, "GETSET", "k", "1")
	inRange("k", -1, -1)
	c.Do(ctx, "SETEX", "k", "100", "v")
	inRange("k", 99*time.Second, 100*time.Second)
	c.Do(ctx, "MSET", "k", "v")
	inRange("k", -1, -1)
	c.Do(ctx, "PSETEX", "k", "100000", "v")
	inRange("k", 99*time.Second, 100*time.Second)
	c.Do(ctx, "BITOP", "NOT", "k", "k")
	inRange("k", -1, -1)
	// GETEX.
	c.Do(ctx, "GETEX", "k", "EX", "100")
	inRange("k", 99*time.Second, 100*time.Second)
	c.Do(ctx, "GETEX", "k")
	inRange("k", 99*time.Second, 100*time.Second)
	c.Do(ctx, "GETEX", "k", "PERSIST")
	inRange("k", -1, -1)
	c.Do(ctx, "GETEX", "k", "PX", "100000")
	inRange("k", 99*time.Second, 100*time.Second)
	c.Do(ctx, "GETEX", "k", "PXAT", strconv.FormatInt(time.Now().UnixMilli()+300000, 10))
	inRange("k", 299*time.Second, 300*time.Second)
	c.Do(ctx, "GETEX", "k", "EXAT", strconv.FormatInt(time.Now().Unix()+200, 10))
	inRange("k", 198*time.Second, 200*time.Second)
	// A TTL that runs out.
	c.Do(ctx, "SET", "k", "v", "PX", "20")
	time.Sleep(40 * time.Millisecond)
	runSteps(t, c, []step{s(nilReply, "GET", "k"), s(int64(1), "INCR", "k")})
	inRange("k", -1, -1)
}

func TestGetSetGetDel(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		s(nilReply, "GETSET", "k", "1"),
		s("1", "GETSET", "k", "2"),
		s("2", "GET", "k"),
		s(arityErr("getset"), "GETSET", "k"),
		s("2", "GETDEL", "k"),
		s(nilReply, "GETDEL", "k"),
		s(int64(0), "EXISTS", "k"),
		s(arityErr("getdel"), "GETDEL", "k", "x"),
	})
	wrongType(t, c, "l", []step{s(wrongTypeErr, "GETSET", "l", "v"), s(wrongTypeErr, "GETDEL", "l")})
}

func TestGetEx(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		// A missing key is null before the expiry is even parsed.
		s(nilReply, "GETEX", "k"),
		s(nilReply, "GETEX", "k", "EX", "abc"),
		s(nilReply, "GETEX", "k", "PERSIST"),
		s(syntaxErr, "GETEX", "k", "NX"),
		s(syntaxErr, "GETEX", "k", "KEEPTTL"),
		s(syntaxErr, "GETEX", "k", "GET"),
		s("OK", "SET", "k", "v"),
		s("v", "GETEX", "k"),
		s("v", "GETEX", "k", "EX", "100"),
		s("v", "GETEX", "k", "ex", "100", "EX", "200"),
		s(syntaxErr, "GETEX", "k", "EX", "100", "PX", "100"),
		s(syntaxErr, "GETEX", "k", "EX", "100", "PERSIST"),
		s(syntaxErr, "GETEX", "k", "PERSIST", "EX", "100"),
		s(syntaxErr, "GETEX", "k", "EX"),
		s("v", "GETEX", "k", "PERSIST", "persist"),
		s(notIntErr, "GETEX", "k", "EX", "abc"),
		s(errReply("ERR invalid expire time in 'getex' command"), "GETEX", "k", "EX", "0"),
		s(errReply("ERR invalid expire time in 'getex' command"), "GETEX", "k", "PXAT", "-1"),
		s(errReply("ERR invalid expire time in 'getex' command"), "GETEX", "k", "EX", "9223372036854775807"),
		// An absolute time in the past deletes the key, after the reply.
		s("v", "GETEX", "k", "PXAT", "1"),
		s(int64(0), "EXISTS", "k"),
		s("OK", "SET", "k", "v"),
		s("v", "GETEX", "k", "EXAT", "1"),
		s(nilReply, "GET", "k"),
	})
	wrongType(t, c, "l", []step{
		s(wrongTypeErr, "GETEX", "l"),
		s(wrongTypeErr, "GETEX", "l", "EX", "0"), // type before expiry
		s(syntaxErr, "GETEX", "l", "FOO"),
	})
}

func TestSetNXSetEX(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		s(int64(1), "SETNX", "k", "a"),
		s(int64(0), "SETNX", "k", "b"),
		s("a", "GET", "k"),
		s("OK", "SETEX", "k", "100", "b"),
		s("b", "GET", "k"),
		s(notIntErr, "SETEX", "k", "x", "c"),
		s(notIntErr, "SETEX", "k", "1.5", "c"),
		s(errReply("ERR invalid expire time in 'setex' command"), "SETEX", "k", "0", "c"),
		s(errReply("ERR invalid expire time in 'setex' command"), "SETEX", "k", "-1", "c"),
		s(errReply("ERR invalid expire time in 'setex' command"), "SETEX", "k", "9223372036854775807", "c"),
		s("OK", "PSETEX", "k", "100000", "c"),
		s("c", "GET", "k"),
		s(errReply("ERR invalid expire time in 'psetex' command"), "PSETEX", "k", "0", "c"),
		s(errReply("ERR invalid expire time in 'psetex' command"), "PSETEX", "k", "9223372036854775807", "c"),
		s(notIntErr, "PSETEX", "k", "", "c"),
		s(arityErr("setex"), "SETEX", "k", "100"),
		s(arityErr("psetex"), "PSETEX", "k", "100", "v", "x"),
		s(arityErr("setnx"), "SETNX", "k"),
	})
	wrongType(t, c, "l", []step{s(int64(0), "SETNX", "l", "v"), s("OK", "SETEX", "l", "10", "v"), s("v", "GET", "l")})
}

func TestMGetMSet(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		s([]any{nil, nil}, "MGET", "a", "b"),
		s("OK", "MSET", "a", "1", "b", "2", "a", "3"),
		s([]any{"3", "2", nil}, "MGET", "a", "b", "c"),
		s(arityErr("mset"), "MSET", "a", "1", "b"),
		s(arityErr("mset"), "MSET", "a"),
		s(arityErr("mget"), "MGET"),
		s(int64(0), "MSETNX", "c", "1", "a", "x"),
		s(nilReply, "GET", "c"),
		s(int64(1), "MSETNX", "c", "1", "d", "2", "c", "3"),
		s([]any{"3", "2"}, "MGET", "c", "d"),
		s(arityErr("msetnx"), "MSETNX", "x", "1", "y"),
		s("OK", "MSET", "{t}1", "x", "{u}2", "y"),
		s([]any{"x", "y"}, "MGET", "{t}1", "{u}2"),
	})
	wrongType(t, c, "l", []step{
		s([]any{nil, "3"}, "MGET", "l", "c"),
		s(int64(0), "MSETNX", "l", "v"),
		s("OK", "MSET", "l", "v"),
		s("v", "GET", "l"),
	})
}

func TestAppendStrlen(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		s(int64(0), "STRLEN", "k"),
		s(int64(5), "APPEND", "k", "hello"),
		s(int64(11), "APPEND", "k", " world"),
		s(int64(11), "APPEND", "k", ""),
		s("hello world", "GET", "k"),
		s(int64(11), "STRLEN", "k"),
		s(int64(0), "APPEND", "e", ""),
		s("", "GET", "e"),
		s("OK", "SET", "n", "12"),
		s(int64(3), "APPEND", "n", "3"),
		s(int64(124), "INCR", "n"),
		s(arityErr("append"), "APPEND", "k"),
		s(arityErr("strlen"), "STRLEN"),
	})
	wrongType(t, c, "l", []step{s(wrongTypeErr, "APPEND", "l", "x"), s(wrongTypeErr, "STRLEN", "l")})
}

func TestIncrDecr(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		s(int64(1), "INCR", "k"),
		s(int64(0), "DECR", "k"),
		s(int64(-1), "DECR", "k"),
		s(int64(9), "INCRBY", "k", "10"),
		s(int64(-91), "DECRBY", "k", "100"),
		s(int64(-5), "INCRBY", "new", "-5"),
		s(int64(5), "DECRBY", "new2", "-5"),
		s("OK", "SET", "k", "9223372036854775806"),
		s(int64(9223372036854775807), "INCR", "k"),
		s(errReply("ERR increment or decrement would overflow"), "INCR", "k"),
		s(errReply("ERR increment or decrement would overflow"), "INCRBY", "k", "1"),
		s(int64(-1), "INCRBY", "k", "-9223372036854775808"),
		s("OK", "SET", "k", "-9223372036854775808"),
		s(errReply("ERR increment or decrement would overflow"), "DECR", "k"),
		s(errReply("ERR decrement would overflow"), "DECRBY", "k", "-9223372036854775808"),
		s(errReply("ERR decrement would overflow"), "DECRBY", "nokey", "-9223372036854775808"),
		s(int64(9223372036854775807), "DECRBY", "zero", "-9223372036854775807"),
		s(notIntErr, "INCRBY", "k", "abc"),
		s(notIntErr, "INCRBY", "k", "1.0"),
		s(notIntErr, "INCRBY", "k", "9223372036854775808"),
		s(notIntErr, "DECRBY", "k", ""),
		s(arityErr("incr"), "INCR"),
		s(arityErr("incrby"), "INCRBY", "k"),
	})
	for _, bad := range []string{" 1", "1 ", "01", "+1", "-0", "1.0", "", "abc", "9223372036854775808", "1e3", "0x10"} {
		runSteps(t, c, []step{s("OK", "SET", "b", bad), s(notIntErr, "INCR", "b"), s(notIntErr, "DECRBY", "b", "1")})
	}
	wrongType(t, c, "l", []step{
		s(wrongTypeErr, "INCR", "l"),
		s(notIntErr, "INCRBY", "l", "x"), // the increment is parsed first
		s(wrongTypeErr, "INCRBYFLOAT", "l", "1"),
	})
}

func TestIncrByFloat(t *testing.T) {
	c := strClient(t, 3)
	nanInf := errReply("ERR increment would produce NaN or Infinity")
	runSteps(t, c, []step{
		s("10.5", "INCRBYFLOAT", "k", "10.5"),
		s("10.6", "INCRBYFLOAT", "k", "0.1"),
		s("5.6", "INCRBYFLOAT", "k", "-5"),
		s("OK", "SET", "k", "0.1"),
		s("0.3", "INCRBYFLOAT", "k", "0.2"),
		s("OK", "SET", "k", "3.0e3"),
		s("3000", "INCRBYFLOAT", "k", "0"),
		s("OK", "SET", "k", "1e17"),
		s("100000000000000001", "INCRBYFLOAT", "k", "1"),
		s("OK", "SET", "k", "-0"),
		s("0", "INCRBYFLOAT", "k", "-0"),
		s("0", "INCRBYFLOAT", "z", "-0.000000000000000001"),
		s("16", "INCRBYFLOAT", "h", "0x10"),
		s("16.5", "INCRBYFLOAT", "h", "0x1p-1"),
		s("5000", "INCRBYFLOAT", "e", "5e3"),
		s("0.5", "INCRBYFLOAT", "d", ".5"),
		s("5", "INCRBYFLOAT", "d2", "5."),
		s("OK", "SET", "k", "1e4932"),
		s(nanInf, "INCRBYFLOAT", "k", "1e4932"),
		s(notFloatErr, "INCRBYFLOAT", "k", "1e5000"),
		s(notFloatErr, "INCRBYFLOAT", "k", "1e-5000"),
		s(nanInf, "INCRBYFLOAT", "k", "inf"),
		s(nanInf, "INCRBYFLOAT", "k", "-Infinity"),
		s(notFloatErr, "INCRBYFLOAT", "k", "nan"),
		s(notFloatErr, "INCRBYFLOAT", "k", " 1"),
		s(notFloatErr, "INCRBYFLOAT", "k", "1 "),
		s(notFloatErr, "INCRBYFLOAT", "k", ""),
		s(notFloatErr, "INCRBYFLOAT", "k", "1e"),
		s(notFloatErr, "INCRBYFLOAT", "k", "0x"),
		s(notFloatErr, "INCRBYFLOAT", "k", "abc"),
		s(notFloatErr, "INCRBYFLOAT", "k", strings.Repeat("1", 5120)),
		s("OK", "SET", "k", "abc"),
		s(notFloatErr, "INCRBYFLOAT", "k", "1"),
		s("OK", "SET", "k", "inf"),
		s(nanInf, "INCRBYFLOAT", "k", "1"),
		s(arityErr("incrbyfloat"), "INCRBYFLOAT", "k"),
	})
	// Huge results are printed in full, as "%.17Lf" does.
	got, err := c.Do(context.Background(), "INCRBYFLOAT", "big", "1e300").Text()
	if err != nil || len(got) != 301 || !strings.HasPrefix(got, "1000000000000000000") {
		t.Errorf("INCRBYFLOAT big 1e300 = %q, %v; want 301 digits", got, err)
	}
}

func TestGetRangeSetRange(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		s("", "GETRANGE", "k", "0", "-1"),
		s("OK", "SET", "k", "Hello World"),
		s("Hell", "GETRANGE", "k", "0", "3"),
		s("rld", "GETRANGE", "k", "-3", "-1"),
		s("Hello World", "GETRANGE", "k", "0", "-1"),
		s("orld", "GETRANGE", "k", "7", "100"),
		s("", "GETRANGE", "k", "5", "3"),
		s("", "GETRANGE", "k", "-1", "-5"),
		s("Hello World", "GETRANGE", "k", "-100", "100"),
		s("H", "GETRANGE", "k", "-100", "-11"),
		s("", "GETRANGE", "k", "20", "30"),
		s("Hell", "SUBSTR", "k", "0", "3"),
		s(notIntErr, "GETRANGE", "k", "a", "1"),
		s(notIntErr, "GETRANGE", "missing", "0", "b"),
		s("OK", "SET", "n", "12345"),
		s("234", "GETRANGE", "n", "1", "3"),
		s(int64(11), "SETRANGE", "k", "6", "Redis"),
		s("Hello Redis", "GET", "k"),
		s(int64(13), "SETRANGE", "k", "11", "!!"),
		s(int64(13), "SETRANGE", "k", "2", ""),
		s(int64(0), "SETRANGE", "new", "5", ""),
		s(int64(0), "EXISTS", "new"),
		s(int64(8), "SETRANGE", "new", "5", "abc"),
		s("\x00\x00\x00\x00\x00abc", "GET", "new"),
		s(errReply("ERR offset is out of range"), "SETRANGE", "k", "-1", "x"),
		s(notIntErr, "SETRANGE", "k", "x", "x"),
		s(errReply("ERR string exceeds maximum allowed size (proto-max-bulk-len)"), "SETRANGE", "k", "536870912", "x"),
		s(errReply("ERR string exceeds maximum allowed size (proto-max-bulk-len)"), "SETRANGE", "new2", "536870911", "xx"),
		s(int64(0), "SETRANGE", "new2", "536870911", ""),
		s(int64(13), "SETRANGE", "k", "9223372036854775807", ""),
		s(arityErr("setrange"), "SETRANGE", "k", "1"),
		s(arityErr("getrange"), "GETRANGE", "k", "1"),
	})
	wrongType(t, c, "l", []step{
		s(wrongTypeErr, "GETRANGE", "l", "0", "1"),
		s(wrongTypeErr, "SETRANGE", "l", "0", "x"),
		s(wrongTypeErr, "SETRANGE", "l", "0", ""),
		s(errReply("ERR offset is out of range"), "SETRANGE", "l", "-1", "x"),
	})
}

func TestLCS(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		s("OK", "MSET", "a", "ohmytext", "b", "mynewtext"),
		s("mytext", "LCS", "a", "b"),
		s(int64(6), "LCS", "a", "b", "LEN"),
		s(map[any]any{
			"matches": []any{
				[]any{[]any{int64(4), int64(7)}, []any{int64(5), int64(8)}},
				[]any{[]any{int64(2), int64(3)}, []any{int64(0), int64(1)}},
			},
			"len": int64(6),
		}, "LCS", "a", "b", "IDX"),
		s(map[any]any{
			"matches": []any{[]any{[]any{int64(4), int64(7)}, []any{int64(5), int64(8)}, int64(4)}},
			"len":     int64(6),
		}, "LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
		s(map[any]any{"matches": []any{}, "len": int64(0)}, "LCS", "a", "missing", "IDX"),
		s("", "LCS", "x", "y"),
		s(int64(8), "LCS", "a", "a", "len", "LEN"),
		s(errReply("ERR If you want both the length and indexes, please just use IDX."), "LCS", "a", "b", "LEN", "IDX"),
		s(syntaxErr, "LCS", "a", "b", "FOO"),
		s(syntaxErr, "LCS", "a", "b", "MINMATCHLEN"),
		s(notIntErr, "LCS", "a", "b", "MINMATCHLEN", "x"),
		s(arityErr("lcs"), "LCS", "a"),
	})
	wrongType(t, c, "l", []step{
		s(errReply("ERR The specified keys must contain string values"), "LCS", "a", "l"),
		s(errReply("ERR The specified keys must contain string values"), "LCS", "l", "missing", "FOO"),
	})
}

// TestLCSIdxRESP2 checks the IDX map's RESP2 form, a flat array.
func TestLCSIdxRESP2(t *testing.T) {
	c := strClient(t, 2)
	runSteps(t, c, []step{
		s("OK", "MSET", "a", "abc", "b", "abc"),
		s([]any{"matches", []any{[]any{[]any{int64(0), int64(2)}, []any{int64(0), int64(2)}}}, "len", int64(3)}, "LCS", "a", "b", "IDX"),
		s(nilReply, "GET", "missing"),
		s([]any{nil}, "MGET", "missing"),
	})
}

// TestObjectEncoding checks OBJECT ENCODING's emulation for strings, when
// shardd has OBJECT.
func TestObjectEncoding(t *testing.T) {
	c := strClient(t, 3)
	ctx := context.Background()
	if err := c.Do(ctx, "OBJECT", "ENCODING", "x").Err(); err != nil && strings.Contains(err.Error(), "unknown") {
		t.Skip("OBJECT is not implemented yet")
	}
	long := strings.Repeat("x", 45)
	for _, tc := range []struct {
		setup [][]any
		want  string
	}{
		{[][]any{{"SET", "k", "123"}}, "int"},
		{[][]any{{"SET", "k", "-9223372036854775808"}}, "int"},
		{[][]any{{"SET", "k", "01"}}, "embstr"},
		{[][]any{{"SET", "k", strings.Repeat("x", 44)}}, "embstr"},
		{[][]any{{"SET", "k", long}}, "raw"},
		{[][]any{{"SET", "k", "a"}, {"APPEND", "k", "b"}}, "raw"},
		{[][]any{{"SET", "k", "1"}, {"APPEND", "k", ""}}, "raw"},
		{[][]any{{"APPEND", "k", "12"}}, "int"},
		{[][]any{{"SET", "k", "ab"}, {"SETRANGE", "k", "0", "x"}}, "raw"},
		{[][]any{{"SETRANGE", "k", "0", "1"}}, "raw"},
		{[][]any{{"SETBIT", "k", "1", "1"}}, "raw"},
		{[][]any{{"SET", "k", "a"}, {"SETBIT", "k", "1", "1"}}, "raw"},
		{[][]any{{"SET", "k", "a"}, {"BITOP", "NOT", "k", "k"}}, "raw"},
		{[][]any{{"BITFIELD", "k", "SET", "u8", "0", "1"}}, "raw"},
		{[][]any{{"SET", "k", "ab"}, {"APPEND", "k", "c"}, {"INCR", "k"}}, "raw"},
		{[][]any{{"SET", "k", "12"}, {"APPEND", "k", "3"}, {"INCR", "k"}}, "int"},
		{[][]any{{"INCR", "k"}}, "int"},
		{[][]any{{"INCRBYFLOAT", "k", "15"}}, "embstr"},
		{[][]any{{"INCRBYFLOAT", "k", "1e50"}}, "raw"},
		{[][]any{{"SET", "k", "x"}, {"GETSET", "k", "5"}}, "int"},
		{[][]any{{"MSET", "k", "5"}}, "int"},
		{[][]any{{"SET", "k", "a"}, {"APPEND", "k", "b"}, {"SET", "k", "ab"}}, "embstr"},
	} {
		c.Del(ctx, "k")
		for _, cmd := range tc.setup {
			c.Do(ctx, cmd...)
		}
		got, err := c.Do(ctx, "OBJECT", "ENCODING", "k").Text()
		if err != nil || got != tc.want {
			t.Errorf("%v: OBJECT ENCODING = %q, %v; want %q", tc.setup, got, err, tc.want)
		}
	}
}

// TestStringsAllocs checks that GET, SET and INCR allocate nothing beyond
// what every command costs (PING's allocations) once the key exists.
func TestStringsAllocs(t *testing.T) {
	e, err := engine.New(engine.Options{Config: config.Default()})
	if err != nil {
		t.Fatal(err)
	}
	sess := e.NewSession("127.0.0.1:1", "127.0.0.1:2", nopConn{})
	allocs := func(args ...string) float64 {
		b := make([][]byte, len(args))
		for i, a := range args {
			b[i] = []byte(a)
		}
		return testing.AllocsPerRun(200, func() {
			e.Exec(sess, b)
			sess.Reply().Reset(1 << 16)
		})
	}
	base := allocs("PING")
	for _, args := range [][]string{
		{"SET", "k", "0123456789abcdef0123456789abcdef"},
		{"GET", "k"},
		{"SET", "k", "0123456789abcdef0123456789abcdef", "KEEPTTL"},
		{"MSET", "k", "0123456789abcdef0123456789abcdef", "k2", "0123456789abcdef0123456789abcdef"},
		{"MGET", "k", "k2"},
		{"INCR", "n"},
		{"INCRBY", "n", "1000"},
		{"DECR", "n"},
		{"STRLEN", "k"},
		{"GETBIT", "k", "3"},
		{"SETBIT", "k", "3", "1"},
		{"BITCOUNT", "k"},
	} {
		if n := allocs(args...); n > base {
			t.Errorf("%v: %v allocations; want at most %v (PING's)", args, n, base)
		}
	}
}

func BenchmarkStrings(b *testing.B) {
	e, err := engine.New(engine.Options{Config: config.Default()})
	if err != nil {
		b.Fatal(err)
	}
	sess := e.NewSession("127.0.0.1:1", "127.0.0.1:2", nopConn{})
	val := strings.Repeat("v", 32)
	for _, args := range [][]string{
		{"SET", "key:%d", val},
		{"GET", "key:%d"},
		{"INCR", "counter:%d"},
		{"SET", "new:%d", val},
	} {
		b.Run(args[0]+"-"+strings.SplitN(args[1], ":", 2)[0], func(b *testing.B) {
			keys := make([][]byte, 1000)
			for i := range keys {
				keys[i] = []byte(fmt.Sprintf(args[1], i))
			}
			cmd := make([][]byte, len(args))
			for i, a := range args {
				cmd[i] = []byte(a)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				cmd[1] = keys[i%len(keys)]
				if args[1] == "new:%d" {
					cmd[1] = []byte("new:" + strconv.Itoa(i))
				}
				e.Exec(sess, cmd)
				sess.Reply().Reset(1 << 16)
			}
		})
	}
}
