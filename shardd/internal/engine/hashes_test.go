package engine_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestHashSetGet(t *testing.T) {
	c, c2 := ctClients(t)
	ctx := context.Background()
	n, err := c.HSet(ctx, "h", "a", "1", "b", "2", "a", "3").Result()
	ctCheck(t, err)
	ctEqual(t, "HSET new fields", n, int64(2))
	n, _ = c.HSet(ctx, "h", "b", "x", "c", "y").Result()
	ctEqual(t, "HSET one new", n, int64(1))
	ctDo(t, c, "3", "HGET", "h", "a")
	ctDo(t, c, nil, "HGET", "h", "zz")
	ctDo(t, c, nil, "HGET", "nokey", "a")
	ctDo(t, c, arr("3", nil, "x"), "HMGET", "h", "a", "zz", "b")
	ctDo(t, c, arr(nil, nil), "HMGET", "nokey", "a", "b")
	ctDo(t, c2, arr("3", nil), "HMGET", "h", "a", "zz")
	ctDo(t, c, "OK", "HMSET", "h", "d", "4", "a", "5")
	ctDo(t, c, "5", "HGET", "h", "a")
	ctDo(t, c, int64(4), "HLEN", "h")
	ctDo(t, c, int64(0), "HLEN", "nokey")

	ok, _ := c.HSetNX(ctx, "h", "a", "new").Result()
	ctEqual(t, "HSETNX existing", ok, false)
	ok, _ = c.HSetNX(ctx, "h", "e", "new").Result()
	ctEqual(t, "HSETNX new", ok, true)
	ok, _ = c.HSetNX(ctx, "h2", "f", "v").Result()
	ctEqual(t, "HSETNX new key", ok, true)
	ctDo(t, c, "new", "HGET", "h", "e")
	ctDo(t, c, "5", "HGET", "h", "a")

	ctDo(t, c, int64(1), "HEXISTS", "h", "a")
	ctDo(t, c, int64(0), "HEXISTS", "h", "zz")
	ctDo(t, c, int64(0), "HEXISTS", "nokey", "a")
	ctDo(t, c, int64(3), "HSTRLEN", "h", "e")
	ctDo(t, c, int64(0), "HSTRLEN", "h", "zz")
	ctDo(t, c, int64(0), "HSTRLEN", "nokey", "a")

	ctDo(t, c, int64(2), "HDEL", "h", "a", "zz", "b", "a")
	ctDo(t, c, int64(0), "HDEL", "nokey", "a")
	ctDo(t, c, int64(3), "HLEN", "h")
	ctDo(t, c, int64(3), "HDEL", "h", "c", "d", "e")
	ctDo(t, c, int64(0), "EXISTS", "h") // an emptied hash is deleted

	// Binary-safe fields and values, the empty ones included.
	c.HSet(ctx, "b", "", "\x00\xff", "\r\n", "")
	ctDo(t, c, "\x00\xff", "HGET", "b", "")
	ctDo(t, c, "", "HGET", "b", "\r\n")
	ctDo(t, c, "hash", "TYPE", "b")

	for _, cl := range []*redis.Client{c, c2} {
		ctDo(t, cl, ctArity("hset"), "HSET", "h", "a")
		ctDo(t, cl, ctArity("hset"), "HSET", "h", "a", "1", "b")
		ctDo(t, cl, ctArity("hmset"), "HMSET", "h", "a", "1", "b")
		ctDo(t, cl, ctArity("hsetnx"), "HSETNX", "h", "a")
		ctDo(t, cl, ctArity("hget"), "HGET", "h", "a", "b")
		ctDo(t, cl, ctArity("hmget"), "HMGET", "h")
		ctDo(t, cl, ctArity("hdel"), "HDEL", "h")
		ctDo(t, cl, ctArity("hlen"), "HLEN")
		ctDo(t, cl, ctArity("hstrlen"), "HSTRLEN", "h")
		ctDo(t, cl, ctArity("hexists"), "HEXISTS", "h")
	}
}

func TestHashGetAll(t *testing.T) {
	c, c2 := ctClients(t)
	ctx := context.Background()
	c.HSet(ctx, "h", "a", "1", "b", "2", "c", "3")
	m, err := c.HGetAll(ctx, "h").Result()
	ctCheck(t, err)
	ctEqual(t, "HGETALL", m, map[string]string{"a": "1", "b": "2", "c": "3"})
	m, _ = c2.HGetAll(ctx, "h").Result()
	ctEqual(t, "HGETALL RESP2", m, map[string]string{"a": "1", "b": "2", "c": "3"})
	keys, _ := c.HKeys(ctx, "h").Result()
	slices.Sort(keys)
	ctEqual(t, "HKEYS", keys, []string{"a", "b", "c"})
	vals, _ := c.HVals(ctx, "h").Result()
	slices.Sort(vals)
	ctEqual(t, "HVALS", vals, []string{"1", "2", "3"})

	// Reply types: a map in RESP3, a flat array in RESP2.
	ctDo(t, c, map[any]any{}, "HGETALL", "nokey")
	ctDo(t, c2, arr(), "HGETALL", "nokey")
	ctDo(t, c, arr(), "HKEYS", "nokey")
	ctDo(t, c, arr(), "HVALS", "nokey")
	c.Del(ctx, "h")
	c.HSet(ctx, "h", "f", "v")
	ctDo(t, c, map[any]any{"f": "v"}, "HGETALL", "h")
	ctDo(t, c2, arr("f", "v"), "HGETALL", "h")
	for _, name := range []string{"hkeys", "hvals", "hgetall"} {
		ctDo(t, c, ctArity(name), name, "h", "x")
	}
}

func TestHashIncr(t *testing.T) {
	c, _ := ctClients(t)
	ctx := context.Background()
	n, err := c.HIncrBy(ctx, "h", "n", 5).Result()
	ctCheck(t, err)
	ctEqual(t, "HINCRBY new", n, int64(5))
	n, _ = c.HIncrBy(ctx, "h", "n", -7).Result()
	ctEqual(t, "HINCRBY", n, int64(-2))
	ctDo(t, c, "-2", "HGET", "h", "n")
	ctDo(t, c, int64(9223372036854775807), "HINCRBY", "h", "max", "9223372036854775807")
	ctDo(t, c, ctErr("ERR increment or decrement would overflow"), "HINCRBY", "h", "max", "1")
	ctDo(t, c, int64(-9223372036854775808), "HINCRBY", "h", "min", "-9223372036854775808")
	ctDo(t, c, ctErr("ERR increment or decrement would overflow"), "HINCRBY", "h", "min", "-1")
	c.HSet(ctx, "h", "s", "abc", "sp", " 1", "lead0", "01", "negz", "-0", "f", "1.5", "e", "")
	for _, f := range []string{"s", "sp", "lead0", "negz", "f", "e"} {
		ctDo(t, c, ctErr("ERR hash value is not an integer"), "HINCRBY", "h", f, "1")
	}
	ctDo(t, c, ctNotInt, "HINCRBY", "h", "n", "x")
	ctDo(t, c, ctNotInt, "HINCRBY", "h", "n", "1.0")
	ctDo(t, c, ctNotInt, "HINCRBY", "h", "n", "9223372036854775808")

	// HINCRBYFLOAT adds in long double precision and prints 17 decimals
	// without trailing zeros.
	for _, tc := range []struct{ field, incr, want string }{
		{"x", "0.1", "0.1"},
		{"x", "0.2", "0.3"},
		{"y", "10.5", "10.5"},
		{"y", "0.1", "10.6"},
		{"y", "-10.6", "0"},
		{"z", "1e20", "100000000000000000000"},
		{"w", "5.0e3", "5000"},
		{"w", "-5000.5", "-0.5"},
		{"n", "1.5", "-0.5"}, // n held -2
		{"i", "0x10", "16"},
		{"i", "0x1p-2", "16.25"},
		{"i", "+.5", "16.75"},
		{"i", "-0", "16.75"},
		{"t", "3.0000000000000000001", "3"},
		{"u", "1e-20", "0"},
		{"v", "1e70", "10000000000000000000222479489586148259025995410601157579323600873193472"},
	} {
		ctDo(t, c, tc.want, "HINCRBYFLOAT", "h", tc.field, tc.incr)
		ctDo(t, c, tc.want, "HGET", "h", tc.field)
	}
	f, err := c.HIncrByFloat(ctx, "h", "g", 2.5).Result()
	ctCheck(t, err)
	ctEqual(t, "HINCRBYFLOAT typed", f, 2.5)
	ctDo(t, c, "hashtable", "OBJECT", "ENCODING", "h") // the 71-byte value
	c.HSet(ctx, "h", "inf", "inf", "nan", "nan", "tiny", "1e-5000")
	notFloat := ctErr("ERR hash value is not a float")
	for _, f := range []string{"s", "sp", "e", "nan", "tiny"} {
		ctDo(t, c, notFloat, "HINCRBYFLOAT", "h", f, "1")
	}
	ctDo(t, c, ctErr("ERR increment would produce NaN or Infinity"), "HINCRBYFLOAT", "h", "inf", "1")
	c.HSet(ctx, "h", "huge", "1e4932")
	ctDo(t, c, ctErr("ERR increment would produce NaN or Infinity"), "HINCRBYFLOAT", "h", "huge", "1e4932")
	ctDo(t, c, ctErr("ERR value is NaN or Infinity"), "HINCRBYFLOAT", "h", "x", "inf")
	ctDo(t, c, ctErr("ERR value is NaN or Infinity"), "HINCRBYFLOAT", "h", "x", "-Infinity")
	for _, bad := range []string{"x", "", " 1", "1 ", "nan", "1e5000", "1e-5000", "1_0", "0b11", ".", "0x"} {
		ctDo(t, c, ctErr("ERR value is not a valid float"), "HINCRBYFLOAT", "h", "x", bad)
	}
	c.Set(ctx, "str", "v", 0)
	ctDo(t, c, ctErr("ERR value is not a valid float"), "HINCRBYFLOAT", "str", "x", "bad") // the increment first
	ctDo(t, c, ctNotInt, "HINCRBY", "str", "x", "bad")
	ctDo(t, c, ctWrongType, "HINCRBYFLOAT", "str", "x", "1")
	ctDo(t, c, ctWrongType, "HINCRBY", "str", "x", "1")
	ctDo(t, c, ctArity("hincrby"), "HINCRBY", "h", "x")
	ctDo(t, c, ctArity("hincrbyfloat"), "HINCRBYFLOAT", "h", "x")
}

func TestHashRandField(t *testing.T) {
	c, c2 := ctClients(t)
	ctx := context.Background()
	all := map[string]string{}
	for i := 0; i < 20; i++ {
		all["f"+strconv.Itoa(i)] = "v" + strconv.Itoa(i)
		c.HSet(ctx, "h", "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	member := func(what, f string) {
		t.Helper()
		if _, ok := all[f]; !ok {
			t.Errorf("%s: %q is not a field", what, f)
		}
	}
	s, err := c.HRandField(ctx, "h", 1).Result()
	ctCheck(t, err)
	ctEqual(t, "HRANDFIELD 1 length", len(s), 1)
	member("HRANDFIELD 1", s[0])
	f, _ := c.Do(ctx, "HRANDFIELD", "h").Text()
	member("HRANDFIELD", f)

	for _, count := range []int{5, 15, 19, 20, 100} {
		fs, _ := c.HRandField(ctx, "h", count).Result()
		ctEqual(t, "HRANDFIELD "+strconv.Itoa(count)+" length", len(fs), min(count, 20))
		for _, f := range fs {
			member("HRANDFIELD", f)
		}
		slices.Sort(fs)
		if len(slices.Compact(fs)) != min(count, 20) {
			t.Errorf("HRANDFIELD %d repeated a field: %v", count, fs)
		}
	}
	// A negative count picks independently: repeats are expected.
	fs, _ := c.HRandField(ctx, "h", -200).Result()
	ctEqual(t, "HRANDFIELD -200 length", len(fs), 200)
	seen := map[string]bool{}
	for _, f := range fs {
		member("HRANDFIELD -200", f)
		seen[f] = true
	}
	if len(seen) < 10 {
		t.Errorf("HRANDFIELD -200 returned only %d distinct fields of 20", len(seen))
	}
	c.HSet(ctx, "one", "a", "1")
	ctDo(t, c, arr("a", "a", "a"), "HRANDFIELD", "one", "-3")

	// WITHVALUES: pairs of the hash; RESP3 nests each pair in an array,
	// RESP2 is flat.
	for _, count := range []int{3, -30, 20} {
		kvs, err := c.HRandFieldWithValues(ctx, "h", count).Result()
		ctCheck(t, err)
		ctEqual(t, "HRANDFIELD WITHVALUES length", len(kvs), max(count, -count))
		for _, kv := range kvs {
			if all[kv.Key] != kv.Value {
				t.Errorf("HRANDFIELD WITHVALUES: %q=%q is not a pair of the hash", kv.Key, kv.Value)
			}
		}
		kvs, _ = c2.HRandFieldWithValues(ctx, "h", count).Result()
		ctEqual(t, "HRANDFIELD WITHVALUES RESP2 length", len(kvs), max(count, -count))
	}
	ctDo(t, c, arr(arr("a", "1"), arr("a", "1")), "HRANDFIELD", "one", "-2", "WITHVALUES")
	ctDo(t, c2, arr("a", "1", "a", "1"), "HRANDFIELD", "one", "-2", "withvalues")
	ctDo(t, c, arr(arr("a", "1")), "HRANDFIELD", "one", "5", "WITHVALUES")
	ctDo(t, c2, arr("a", "1"), "HRANDFIELD", "one", "1", "WITHVALUES")

	ctDo(t, c, nil, "HRANDFIELD", "nokey")
	ctDo(t, c2, nil, "HRANDFIELD", "nokey")
	ctDo(t, c, arr(), "HRANDFIELD", "nokey", "5")
	ctDo(t, c, arr(), "HRANDFIELD", "nokey", "-5", "WITHVALUES")
	ctDo(t, c, arr(), "HRANDFIELD", "h", "0")
	ctDo(t, c, ctNotInt, "HRANDFIELD", "h", "x")
	ctDo(t, c, ctNotInt, "HRANDFIELD", "nokey", "x")
	ctDo(t, c, ctNotInt, "HRANDFIELD", "h", "x", "foo")
	ctDo(t, c, ctSyntax, "HRANDFIELD", "h", "1", "foo")
	ctDo(t, c, ctSyntax, "HRANDFIELD", "h", "1", "WITHVALUES", "x")
	ctDo(t, c, ctErr("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
		"HRANDFIELD", "h", "-9223372036854775808")
	ctDo(t, c, ctErr("ERR value is out of range"), "HRANDFIELD", "h", "4611686018427387904", "WITHVALUES")
	ctDo(t, c, ctErr("ERR value is out of range"), "HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES")
	fs, _ = c.HRandField(ctx, "h", 4611686018427387904).Result() // without values the range is wider
	ctEqual(t, "HRANDFIELD huge length", len(fs), 20)
	c.Set(ctx, "str", "v", 0)
	ctDo(t, c, ctWrongType, "HRANDFIELD", "str")
	ctDo(t, c, ctWrongType, "HRANDFIELD", "str", "1")
	ctDo(t, c, ctArity("hrandfield"), "HRANDFIELD")
}

func TestHashScan(t *testing.T) {
	c, c2 := ctClients(t)
	ctx := context.Background()
	c.HSet(ctx, "small", "a1", "x", "a2", "y", "b1", "z")
	// A listpack-encoded hash comes whole, with cursor 0, whatever COUNT.
	kv, cursor, err := c.HScan(ctx, "small", 0, "", 1).Result()
	ctCheck(t, err)
	ctEqual(t, "HSCAN cursor", cursor, uint64(0))
	ctEqual(t, "HSCAN length", len(kv), 6)
	kv, _, _ = c.HScan(ctx, "small", 0, "a*", 0).Result()
	ctEqual(t, "HSCAN MATCH length", len(kv), 4)
	ctDo(t, c, arr("0", arr("b1", "z")), "HSCAN", "small", "0", "MATCH", "b*", "COUNT", "1000")
	ctDo(t, c, arr("0", arr("b1", "z")), "HSCAN", "small", "0", "match", "a*", "MATCH", "b?")
	ctDo(t, c2, arr("0", arr()), "HSCAN", "small", "0", "MATCH", "zz")
	ctDo(t, c, arr("0", arr()), "HSCAN", "nokey", "0")
	ctDo(t, c, arr("0", arr()), "HSCAN", "nokey", "0", "BADOPTION") // options come after the key

	for _, cur := range []string{"x", " 0", "-", "18446744073709551616", "1x"} {
		ctDo(t, c, ctErr("ERR invalid cursor"), "HSCAN", "small", cur)
	}
	for _, cur := range []string{"", "+0", "-0", "18446744073709551615"} {
		ctDo(t, c, arr("0", arr("a1", "x", "a2", "y", "b1", "z")), "HSCAN", "small", cur)
	}
	ctDo(t, c, ctSyntax, "HSCAN", "small", "0", "COUNT", "0")
	ctDo(t, c, ctNotInt, "HSCAN", "small", "0", "COUNT", "x")
	ctDo(t, c, ctSyntax, "HSCAN", "small", "0", "MATCH")
	ctDo(t, c, ctSyntax, "HSCAN", "small", "0", "TYPE", "hash")
	c.Set(ctx, "str", "v", 0)
	ctDo(t, c, ctWrongType, "HSCAN", "str", "0")
	ctDo(t, c, ctErr("ERR invalid cursor"), "HSCAN", "str", "x") // the cursor first
	ctDo(t, c, ctArity("hscan"), "HSCAN", "small")

	// A big hash is scanned in steps; fields deleted and added meanwhile
	// do not hide the fields present all along.
	const n = 2000
	pipe := c.Pipeline()
	for i := 0; i < n; i++ {
		pipe.HSet(ctx, "big", "f"+strconv.Itoa(i), i)
	}
	_, err = pipe.Exec(ctx)
	ctCheck(t, err)
	ctDo(t, c, "hashtable", "OBJECT", "ENCODING", "big")
	seen := map[string]bool{}
	calls := 0
	for cursor, step := uint64(0), 0; ; step++ {
		kv, next, err := c.HScan(ctx, "big", cursor, "", 100).Result()
		ctCheck(t, err)
		calls++
		for i := 0; i < len(kv); i += 2 {
			seen[kv[i]] = true
		}
		// Churn: delete a field with a high number, add new ones.
		c.HDel(ctx, "big", "f"+strconv.Itoa(n-1-step))
		c.HSet(ctx, "big", "new"+strconv.Itoa(step), "x")
		if next == 0 {
			break
		}
		cursor = next
	}
	if calls < 5 {
		t.Errorf("HSCAN of %d fields took %d calls; want paging", n, calls)
	}
	for i := 0; i < n-calls; i++ {
		if !seen["f"+strconv.Itoa(i)] {
			t.Fatalf("HSCAN missed f%d, present for the whole scan", i)
		}
	}
	kv, _, _ = c.HScan(ctx, "big", 0, "f1?", 10000).Result()
	ctEqual(t, "HSCAN MATCH f1? length", len(kv), 20)
}

func TestHashEncoding(t *testing.T) {
	c, _ := ctClients(t)
	ctx := context.Background()
	c.HSet(ctx, "h", "a", "1")
	ctDo(t, c, "listpack", "OBJECT", "ENCODING", "h")
	c.HSet(ctx, "h", "b", strings.Repeat("x", 64))
	ctDo(t, c, "listpack", "OBJECT", "ENCODING", "h")
	c.HSet(ctx, "h", "c", strings.Repeat("x", 65))
	ctDo(t, c, "hashtable", "OBJECT", "ENCODING", "h")
	c.HDel(ctx, "h", "c")
	ctDo(t, c, "hashtable", "OBJECT", "ENCODING", "h") // one-way

	c.HSet(ctx, "f", strings.Repeat("k", 65), "1")
	ctDo(t, c, "hashtable", "OBJECT", "ENCODING", "f")
	// HSETNX converts only when it sets.
	c.HSet(ctx, "nx", "a", "1")
	ctDo(t, c, int64(0), "HSETNX", "nx", "a", strings.Repeat("x", 65))
	ctDo(t, c, "listpack", "OBJECT", "ENCODING", "nx")
	ctDo(t, c, int64(1), "HSETNX", "nx", "b", strings.Repeat("x", 65))
	ctDo(t, c, "hashtable", "OBJECT", "ENCODING", "nx")
	c.HSet(ctx, "inc", "a", "1")
	c.HIncrBy(ctx, "inc", strings.Repeat("k", 65), 1)
	ctDo(t, c, "hashtable", "OBJECT", "ENCODING", "inc")

	// hash-max-listpack-entries is 512 by default.
	args := []any{"HSET", "n"}
	for i := 0; i < 512; i++ {
		args = append(args, "f"+strconv.Itoa(i), i)
	}
	ctDo(t, c, int64(512), args...)
	ctDo(t, c, "listpack", "OBJECT", "ENCODING", "n")
	ctDo(t, c, int64(1), "HSET", "n", "one-more", "x")
	ctDo(t, c, "hashtable", "OBJECT", "ENCODING", "n")

	ctDo(t, c, "OK", "CONFIG", "SET", "hash-max-listpack-entries", "2", "hash-max-listpack-value", "3")
	c.HSet(ctx, "s", "a", "1", "b", "2")
	ctDo(t, c, "listpack", "OBJECT", "ENCODING", "s")
	c.HSet(ctx, "s", "c", "3")
	ctDo(t, c, "hashtable", "OBJECT", "ENCODING", "s")
	c.HSet(ctx, "v", "a", "1234")
	ctDo(t, c, "hashtable", "OBJECT", "ENCODING", "v")
	ctDo(t, c, "OK", "CONFIG", "SET", "hash-max-listpack-entries", "512", "hash-max-listpack-value", "64")
}

func TestHashWrongType(t *testing.T) {
	c, _ := ctClients(t)
	c.Set(context.Background(), "s", "v", 0)
	for _, args := range [][]any{
		{"HSET", "s", "a", "1"}, {"HMSET", "s", "a", "1"}, {"HSETNX", "s", "a", "1"}, {"HGET", "s", "a"},
		{"HMGET", "s", "a"}, {"HDEL", "s", "a"}, {"HLEN", "s"}, {"HSTRLEN", "s", "a"}, {"HEXISTS", "s", "a"},
		{"HKEYS", "s"}, {"HVALS", "s"}, {"HGETALL", "s"}, {"HINCRBY", "s", "a", "1"},
		{"HINCRBYFLOAT", "s", "a", "1"}, {"HRANDFIELD", "s"}, {"HRANDFIELD", "s", "2", "WITHVALUES"},
		{"HSCAN", "s", "0"},
	} {
		ctDo(t, c, ctWrongType, args...)
	}
	ctDo(t, c, "v", "GET", "s")
}
