package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// The list and hash tests use go-redis's typed API where it has one (so
// they also prove go-redis parses shardd's replies) and Do for the error
// cases and raw reply shapes.

// ctErr is an expected error reply in ctDo's want.
type ctErr string

// ctClients starts a shardd and returns a RESP3 and a RESP2 client. With
// SHARDD_TEST_REDIS_ADDR=host:port they connect to that server instead
// (flushing it!), which checks the expectations against redis-server.
func ctClients(t *testing.T) (resp3, resp2 *redis.Client) {
	t.Helper()
	addr := os.Getenv("SHARDD_TEST_REDIS_ADDR")
	if addr == "" {
		addr = shardtest.Start(t).Addr
	}
	resp3 = redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	resp2 = redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() {
		resp3.Close()
		resp2.Close()
	})
	ctCheck(t, resp3.FlushAll(context.Background()).Err())
	return resp3, resp2
}

// ctAgainstRedis reports whether the test runs against redis-server.
func ctAgainstRedis() bool { return os.Getenv("SHARDD_TEST_REDIS_ADDR") != "" }

// ctDo runs args and compares the reply (as go-redis decodes it; nil for
// a null) or the error text with want.
func ctDo(t *testing.T, c *redis.Client, want any, args ...any) {
	t.Helper()
	got, err := c.Do(context.Background(), args...).Result()
	switch {
	case errors.Is(err, redis.Nil):
		got = nil
	case err != nil:
		got = ctErr(err.Error())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%v: got %#v; want %#v", args, got, want)
	}
}

// ctCheck fails the test if err is not nil.
func ctCheck(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ctEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v; want %#v", what, got, want)
	}
}

func ctArity(cmd string) ctErr {
	return ctErr("ERR wrong number of arguments for '" + cmd + "' command")
}

const (
	ctWrongType = ctErr("WRONGTYPE Operation against a key holding the wrong kind of value")
	ctNotInt    = ctErr("ERR value is not an integer or out of range")
	ctSyntax    = ctErr("ERR syntax error")
)

// arr builds an expected array reply.
func arr(v ...any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func TestListPushPop(t *testing.T) {
	c, c2 := ctClients(t)
	ctx := context.Background()
	n, err := c.RPush(ctx, "l", "a", "b").Result()
	ctCheck(t, err)
	ctEqual(t, "RPUSH", n, int64(2))
	n, _ = c.LPush(ctx, "l", "x", "y").Result()
	ctEqual(t, "LPUSH", n, int64(4))
	got, _ := c.LRange(ctx, "l", 0, -1).Result()
	ctEqual(t, "LRANGE", got, []string{"y", "x", "a", "b"})

	n, _ = c.LPushX(ctx, "nokey", "a").Result()
	ctEqual(t, "LPUSHX missing", n, int64(0))
	n, _ = c.RPushX(ctx, "nokey", "a", "b").Result()
	ctEqual(t, "RPUSHX missing", n, int64(0))
	ctDo(t, c, int64(0), "EXISTS", "nokey")
	n, _ = c.LPushX(ctx, "l", "z").Result()
	ctEqual(t, "LPUSHX", n, int64(5))
	n, _ = c.RPushX(ctx, "l", "c", "d").Result()
	ctEqual(t, "RPUSHX", n, int64(7))

	s, _ := c.LPop(ctx, "l").Result()
	ctEqual(t, "LPOP", s, "z")
	s, _ = c.RPop(ctx, "l").Result()
	ctEqual(t, "RPOP", s, "d")
	pops, _ := c.LPopCount(ctx, "l", 2).Result()
	ctEqual(t, "LPOP 2", pops, []string{"y", "x"})
	pops, _ = c.RPopCount(ctx, "l", 2).Result()
	ctEqual(t, "RPOP 2", pops, []string{"c", "b"})
	ctDo(t, c, arr(), "LPOP", "l", "0")
	ctDo(t, c, arr("a"), "RPOP", "l", "100")
	ctDo(t, c, int64(0), "EXISTS", "l") // emptied lists are deleted

	_, err = c.LPop(ctx, "l").Result()
	ctEqual(t, "LPOP missing", err, error(redis.Nil))
	_, err = c.LPopCount(ctx, "l", 3).Result()
	ctEqual(t, "LPOP count missing", err, error(redis.Nil))
	ctDo(t, c, nil, "RPOP", "l", "0")
	for _, cl := range []*redis.Client{c, c2} {
		ctDo(t, cl, ctErr("ERR value is out of range, must be positive"), "LPOP", "l", "-1")
		ctDo(t, cl, ctErr("ERR value is out of range, must be positive"), "RPOP", "l", "x")
		ctDo(t, cl, ctArity("lpop"), "LPOP", "l", "1", "2")
		ctDo(t, cl, ctArity("rpop"), "RPOP")
		ctDo(t, cl, ctArity("lpush"), "LPUSH", "l")
		ctDo(t, cl, ctArity("rpushx"), "RPUSHX", "l")
	}
	// RESP2's nulls: $-1 without a count, *-1 with one.
	ctDo(t, c2, nil, "LPOP", "nokey")
	ctDo(t, c2, nil, "LPOP", "nokey", "2")

	// Binary-safe, empty elements.
	c.RPush(ctx, "b", "", "\x00\xff\r\n")
	ctDo(t, c, arr("", "\x00\xff\r\n"), "LRANGE", "b", "0", "-1")
	ctDo(t, c, "quicklist", "OBJECT", "ENCODING", "b")
	ctDo(t, c, "list", "TYPE", "b")
}

func TestListRangeIndex(t *testing.T) {
	c, _ := ctClients(t)
	ctx := context.Background()
	c.RPush(ctx, "l", "a", "b", "c", "d", "e")
	for _, tc := range []struct {
		start, stop string
		want        []any
	}{
		{"0", "-1", arr("a", "b", "c", "d", "e")},
		{"1", "2", arr("b", "c")},
		{"-2", "-1", arr("d", "e")},
		{"-100", "1", arr("a", "b")},
		{"3", "100", arr("d", "e")},
		{"4", "4", arr("e")},
		{"5", "10", arr()},
		{"2", "1", arr()},
		{"-1", "-2", arr()},
		{"-9223372036854775808", "9223372036854775807", arr("a", "b", "c", "d", "e")},
	} {
		ctDo(t, c, tc.want, "LRANGE", "l", tc.start, tc.stop)
	}
	ctDo(t, c, arr(), "LRANGE", "nokey", "0", "-1")
	ctDo(t, c, ctNotInt, "LRANGE", "l", "x", "1")
	ctDo(t, c, ctNotInt, "LRANGE", "l", "0", "1.5")
	ctDo(t, c, ctArity("lrange"), "LRANGE", "l", "0")

	for i, want := range map[string]any{"0": "a", "4": "e", "-1": "e", "-5": "a", "5": nil, "-6": nil} {
		ctDo(t, c, want, "LINDEX", "l", i)
	}
	ctDo(t, c, nil, "LINDEX", "nokey", "0")
	ctDo(t, c, nil, "LINDEX", "nokey", "x") // the key is looked up first
	ctDo(t, c, ctNotInt, "LINDEX", "l", "x")
	ctDo(t, c, int64(5), "LLEN", "l")
	ctDo(t, c, int64(0), "LLEN", "nokey")
	ctDo(t, c, ctArity("llen"), "LLEN", "l", "x")
}

func TestListSetInsert(t *testing.T) {
	c, _ := ctClients(t)
	ctx := context.Background()
	c.RPush(ctx, "l", "a", "b", "c")
	ctCheck(t, c.LSet(ctx, "l", 0, "A").Err())
	ctCheck(t, c.LSet(ctx, "l", -1, "C").Err())
	ctDo(t, c, ctErr("ERR index out of range"), "LSET", "l", "3", "x")
	ctDo(t, c, ctErr("ERR index out of range"), "LSET", "l", "-4", "x")
	ctDo(t, c, ctErr("ERR no such key"), "LSET", "nokey", "0", "x")
	ctDo(t, c, ctErr("ERR no such key"), "LSET", "nokey", "x", "x")
	ctDo(t, c, ctNotInt, "LSET", "l", "x", "x")
	ctDo(t, c, arr("A", "b", "C"), "LRANGE", "l", "0", "-1")

	n, _ := c.LInsertBefore(ctx, "l", "b", "x").Result()
	ctEqual(t, "LINSERT BEFORE", n, int64(4))
	n, _ = c.LInsertAfter(ctx, "l", "C", "y").Result()
	ctEqual(t, "LINSERT AFTER", n, int64(5))
	n, _ = c.LInsertAfter(ctx, "l", "A", "z").Result()
	ctEqual(t, "LINSERT AFTER", n, int64(6))
	ctDo(t, c, int64(-1), "LINSERT", "l", "before", "nosuch", "x")
	ctDo(t, c, int64(0), "LINSERT", "nokey", "BEFORE", "a", "x")
	ctDo(t, c, ctSyntax, "LINSERT", "l", "middle", "a", "x")
	ctDo(t, c, ctSyntax, "LINSERT", "nokey", "middle", "a", "x")
	ctDo(t, c, arr("A", "z", "x", "b", "C", "y"), "LRANGE", "l", "0", "-1")

	// Inserting near either end of a long list shifts the shorter side.
	var want []any
	for i := 0; i < 100; i++ {
		c.RPush(ctx, "big", i)
		want = append(want, strconv.Itoa(i))
	}
	c.LInsertBefore(ctx, "big", "10", "p")
	c.LInsertAfter(ctx, "big", "90", "q")
	want = append(want[:10], append([]any{"p"}, want[10:]...)...)
	want = append(want[:92], append([]any{"q"}, want[92:]...)...)
	ctDo(t, c, want, "LRANGE", "big", "0", "-1")
}

func TestListRemTrim(t *testing.T) {
	c, _ := ctClients(t)
	ctx := context.Background()
	reset := func() {
		c.Del(ctx, "l")
		c.RPush(ctx, "l", "a", "b", "a", "c", "a", "b")
	}
	for _, tc := range []struct {
		count string
		elem  string
		n     int64
		rest  []any
	}{
		{"0", "a", 3, arr("b", "c", "b")},
		{"1", "a", 1, arr("b", "a", "c", "a", "b")},
		{"2", "a", 2, arr("b", "c", "a", "b")},
		{"-1", "a", 1, arr("a", "b", "a", "c", "b")},
		{"-2", "b", 2, arr("a", "a", "c", "a")},
		{"100", "a", 3, arr("b", "c", "b")},
		{"-9223372036854775808", "a", 3, arr("b", "c", "b")},
		{"0", "zz", 0, arr("a", "b", "a", "c", "a", "b")},
	} {
		reset()
		ctDo(t, c, tc.n, "LREM", "l", tc.count, tc.elem)
		ctDo(t, c, tc.rest, "LRANGE", "l", "0", "-1")
	}
	c.Del(ctx, "l")
	c.RPush(ctx, "l", "a", "a")
	ctDo(t, c, int64(2), "LREM", "l", "0", "a")
	ctDo(t, c, int64(0), "EXISTS", "l")
	ctDo(t, c, int64(0), "LREM", "nokey", "0", "a")
	ctDo(t, c, ctNotInt, "LREM", "l", "x", "a")

	for _, tc := range []struct {
		start, stop string
		rest        []any
	}{
		{"0", "-1", arr("a", "b", "c", "d", "e")},
		{"1", "-2", arr("b", "c", "d")},
		{"-2", "100", arr("d", "e")},
		{"-100", "0", arr("a")},
		{"3", "1", arr()},
		{"5", "10", arr()},
	} {
		c.Del(ctx, "t")
		c.RPush(ctx, "t", "a", "b", "c", "d", "e")
		ctDo(t, c, "OK", "LTRIM", "t", tc.start, tc.stop)
		ctDo(t, c, tc.rest, "LRANGE", "t", "0", "-1")
	}
	ctDo(t, c, int64(0), "EXISTS", "t") // trimmed to nothing: deleted
	ctDo(t, c, "OK", "LTRIM", "nokey", "0", "1")
	ctDo(t, c, ctNotInt, "LTRIM", "t", "0", "x")
}

func TestListPos(t *testing.T) {
	c, _ := ctClients(t)
	ctx := context.Background()
	c.RPush(ctx, "l", "a", "b", "c", "a", "b", "a")
	n, err := c.LPos(ctx, "l", "a", redis.LPosArgs{}).Result()
	ctCheck(t, err)
	ctEqual(t, "LPOS", n, int64(0))
	n, _ = c.LPos(ctx, "l", "a", redis.LPosArgs{Rank: 2}).Result()
	ctEqual(t, "LPOS RANK 2", n, int64(3))
	n, _ = c.LPos(ctx, "l", "a", redis.LPosArgs{Rank: -1}).Result()
	ctEqual(t, "LPOS RANK -1", n, int64(5))
	n, _ = c.LPos(ctx, "l", "b", redis.LPosArgs{Rank: -2}).Result()
	ctEqual(t, "LPOS RANK -2", n, int64(1))
	_, err = c.LPos(ctx, "l", "a", redis.LPosArgs{Rank: 4}).Result()
	ctEqual(t, "LPOS RANK 4", err, error(redis.Nil))
	_, err = c.LPos(ctx, "l", "c", redis.LPosArgs{MaxLen: 2}).Result()
	ctEqual(t, "LPOS MAXLEN", err, error(redis.Nil))
	ps, _ := c.LPosCount(ctx, "l", "a", 0, redis.LPosArgs{}).Result()
	ctEqual(t, "LPOS COUNT 0", ps, []int64{0, 3, 5})
	ps, _ = c.LPosCount(ctx, "l", "a", 2, redis.LPosArgs{Rank: -1}).Result()
	ctEqual(t, "LPOS COUNT 2 RANK -1", ps, []int64{5, 3})
	ps, _ = c.LPosCount(ctx, "l", "a", 0, redis.LPosArgs{Rank: 2, MaxLen: 5}).Result()
	ctEqual(t, "LPOS COUNT 0 RANK 2 MAXLEN 5", ps, []int64{3})
	ps, _ = c.LPosCount(ctx, "l", "zz", 1, redis.LPosArgs{}).Result()
	ctEqual(t, "LPOS no match COUNT", ps, []int64{})

	ctDo(t, c, nil, "LPOS", "nokey", "a")
	ctDo(t, c, arr(), "LPOS", "nokey", "a", "COUNT", "1")
	// Negating the smallest rank wraps, as in Redis: every match counts.
	ctDo(t, c, int64(5), "LPOS", "l", "a", "RANK", "-9223372036854775808")
	ctDo(t, c, arr(int64(5), int64(3), int64(0)), "LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "0")
	ctDo(t, c, nil, "LPOS", "l", "a", "RANK", "9223372036854775807")
	ctDo(t, c, int64(3), "LPOS", "l", "a", "rank", "1", "RANK", "2") // the last one wins

	rankZero := ctErr("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
	for _, tc := range []struct {
		want ctErr
		args []any
	}{
		{rankZero, []any{"RANK", "0"}},
		{ctNotInt, []any{"RANK", "x"}},
		{ctErr("ERR COUNT can't be negative"), []any{"COUNT", "-1"}},
		{ctErr("ERR COUNT can't be negative"), []any{"COUNT", "x"}},
		{ctErr("ERR MAXLEN can't be negative"), []any{"MAXLEN", "-1"}},
		{ctErr("ERR MAXLEN can't be negative"), []any{"MAXLEN", "x"}},
		{ctSyntax, []any{"RANK"}},
		{ctSyntax, []any{"FOO", "1"}},
	} {
		ctDo(t, c, tc.want, append([]any{"LPOS", "l", "a"}, tc.args...)...)
		// Options are checked before the key.
		ctDo(t, c, tc.want, append([]any{"LPOS", "nokey", "a"}, tc.args...)...)
	}
}

func TestListMove(t *testing.T) {
	c, _ := ctClients(t)
	ctx := context.Background()
	c.RPush(ctx, "src", "a", "b", "c")
	for _, tc := range []struct {
		from, to string
		elem     string
		src, dst []any
	}{
		{"LEFT", "RIGHT", "a", arr("b", "c"), arr("a")},
		{"RIGHT", "LEFT", "c", arr("b"), arr("c", "a")},
		{"left", "left", "b", nil, arr("b", "c", "a")},
	} {
		s, err := c.LMove(ctx, "src", "dst", tc.from, tc.to).Result()
		ctCheck(t, err)
		ctEqual(t, "LMOVE "+tc.from+" "+tc.to, s, tc.elem)
		if tc.src == nil {
			ctDo(t, c, int64(0), "EXISTS", "src")
		} else {
			ctDo(t, c, tc.src, "LRANGE", "src", "0", "-1")
		}
		ctDo(t, c, tc.dst, "LRANGE", "dst", "0", "-1")
	}
	ctDo(t, c, nil, "LMOVE", "src", "dst", "LEFT", "RIGHT")
	ctDo(t, c, ctSyntax, "LMOVE", "dst", "src", "UP", "RIGHT")
	ctDo(t, c, ctSyntax, "LMOVE", "nokey", "src", "LEFT", "DOWN")

	// Rotation onto the same list, both ways, and of a single element.
	ctDo(t, c, "a", "LMOVE", "dst", "dst", "RIGHT", "LEFT")
	ctDo(t, c, arr("a", "b", "c"), "LRANGE", "dst", "0", "-1")
	ctDo(t, c, "a", "LMOVE", "dst", "dst", "LEFT", "RIGHT")
	ctDo(t, c, arr("b", "c", "a"), "LRANGE", "dst", "0", "-1")
	ctDo(t, c, "b", "LMOVE", "dst", "dst", "LEFT", "LEFT")
	ctDo(t, c, arr("b", "c", "a"), "LRANGE", "dst", "0", "-1")
	c.RPush(ctx, "one", "x")
	ctDo(t, c, "x", "LMOVE", "one", "one", "LEFT", "RIGHT")
	ctDo(t, c, arr("x"), "LRANGE", "one", "0", "-1")

	s, err := c.RPopLPush(ctx, "dst", "other").Result()
	ctCheck(t, err)
	ctEqual(t, "RPOPLPUSH", s, "a")
	ctDo(t, c, arr("a"), "LRANGE", "other", "0", "-1")
	ctDo(t, c, nil, "RPOPLPUSH", "nokey", "other")

	// A destination of another type: an error, and the source keeps
	// its element.
	c.Set(ctx, "str", "v", 0)
	ctDo(t, c, ctWrongType, "LMOVE", "dst", "str", "LEFT", "LEFT")
	ctDo(t, c, ctWrongType, "RPOPLPUSH", "dst", "str")
	ctDo(t, c, arr("b", "c"), "LRANGE", "dst", "0", "-1")
	ctDo(t, c, ctWrongType, "LMOVE", "str", "dst", "LEFT", "LEFT")
	ctDo(t, c, nil, "LMOVE", "nokey", "str", "LEFT", "LEFT") // a missing source comes first
}

func TestListMPop(t *testing.T) {
	c, c2 := ctClients(t)
	ctx := context.Background()
	c.RPush(ctx, "b", "1", "2", "3", "4")
	key, elems, err := c.LMPop(ctx, "left", 2, "a", "b").Result()
	ctCheck(t, err)
	ctEqual(t, "LMPOP key", key, "b")
	ctEqual(t, "LMPOP elems", elems, []string{"1", "2"})
	ctDo(t, c, arr("b", arr("4")), "LMPOP", "2", "a", "b", "RIGHT")
	ctDo(t, c, arr("b", arr("3")), "LMPOP", "1", "b", "right", "COUNT", "10")
	ctDo(t, c, int64(0), "EXISTS", "b")
	ctDo(t, c, nil, "LMPOP", "2", "a", "b", "LEFT")
	ctDo(t, c2, nil, "LMPOP", "2", "a", "b", "LEFT")

	numkeys := ctErr("ERR numkeys should be greater than 0")
	count := ctErr("ERR count should be greater than 0")
	for _, tc := range []struct {
		want ctErr
		args []any
	}{
		{numkeys, []any{"0", "a", "LEFT"}},
		{numkeys, []any{"-1", "a", "LEFT"}},
		{numkeys, []any{"x", "a", "LEFT"}},
		{ctSyntax, []any{"3", "a", "LEFT"}},
		{ctSyntax, []any{"9223372036854775807", "a", "LEFT"}},
		{ctSyntax, []any{"1", "a", "MIDDLE"}},
		{ctSyntax, []any{"1", "a", "LEFT", "FOO"}},
		{ctSyntax, []any{"1", "a", "LEFT", "COUNT"}},
		{ctSyntax, []any{"1", "a", "LEFT", "COUNT", "1", "COUNT", "1"}},
		{count, []any{"1", "a", "LEFT", "COUNT", "0"}},
		{count, []any{"1", "a", "LEFT", "COUNT", "-1"}},
		{count, []any{"1", "a", "LEFT", "COUNT", "x"}},
	} {
		ctDo(t, c, tc.want, append([]any{"LMPOP"}, tc.args...)...)
	}
	ctDo(t, c, ctArity("lmpop"), "LMPOP", "1", "a")

	c.Set(ctx, "str", "v", 0)
	c.RPush(ctx, "l", "x")
	ctDo(t, c, ctWrongType, "LMPOP", "2", "str", "l", "LEFT")
	ctDo(t, c, arr("l", arr("x")), "LMPOP", "2", "l", "str", "LEFT")
}

func TestListWrongType(t *testing.T) {
	c, _ := ctClients(t)
	c.Set(context.Background(), "s", "v", 0)
	for _, args := range [][]any{
		{"LPUSH", "s", "a"}, {"RPUSH", "s", "a"}, {"LPUSHX", "s", "a"}, {"RPUSHX", "s", "a"},
		{"LPOP", "s"}, {"RPOP", "s", "2"}, {"LPOP", "s", "0"}, {"LLEN", "s"}, {"LRANGE", "s", "0", "1"},
		{"LINDEX", "s", "0"}, {"LINDEX", "s", "x"}, {"LSET", "s", "0", "a"}, {"LINSERT", "s", "BEFORE", "a", "b"},
		{"LREM", "s", "0", "a"}, {"LTRIM", "s", "0", "1"}, {"LPOS", "s", "a"}, {"LMOVE", "s", "d", "LEFT", "LEFT"},
		{"RPOPLPUSH", "s", "d"}, {"LMPOP", "1", "s", "LEFT"},
	} {
		ctDo(t, c, ctWrongType, args...)
	}
	ctDo(t, c, "v", "GET", "s")
}

// TestListLong pushes and pops enough at both ends for the ring to grow
// and shrink several times, checking against a slice.
func TestListLong(t *testing.T) {
	c, _ := ctClients(t)
	ctx := context.Background()
	var model []string
	pipe := c.Pipeline()
	for i := 0; i < 3000; i++ {
		v := strconv.Itoa(i)
		if i%3 == 0 {
			pipe.LPush(ctx, "l", v)
			model = append([]string{v}, model...)
		} else {
			pipe.RPush(ctx, "l", v)
			model = append(model, v)
		}
	}
	_, err := pipe.Exec(ctx)
	ctCheck(t, err)
	got, _ := c.LRange(ctx, "l", 0, -1).Result()
	ctEqual(t, "LRANGE after pushes", got, model)
	got, _ = c.LRange(ctx, "l", 0, 99).Result()
	ctEqual(t, "LRANGE 0 99", got, model[:100])
	for len(model) > 10 {
		n := len(model) / 3
		l, _ := c.LPopCount(ctx, "l", n).Result()
		ctEqual(t, "LPOP count", l, model[:n])
		model = model[n:]
		r, _ := c.RPop(ctx, "l").Result()
		ctEqual(t, "RPOP", r, model[len(model)-1])
		model = model[:len(model)-1]
		s, _ := c.LIndex(ctx, "l", int64(len(model)/2)).Result()
		ctEqual(t, fmt.Sprintf("LINDEX %d", len(model)/2), s, model[len(model)/2])
	}
	got, _ = c.LRange(ctx, "l", 0, -1).Result()
	ctEqual(t, "LRANGE after pops", got, model)
}
