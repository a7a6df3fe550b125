package rdb

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/ds"
	"github.com/shardis/shardis/shardd/internal/redisproc"
)

var update = flag.Bool("update", false, "rewrite testdata from redis-server")

func redisClient(t *testing.T, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, PoolSize: 1})
	t.Cleanup(func() { c.Close() })
	return c
}

// redisSetups create one value each (under key "k") with redis-server
// commands, covering every type and encoding.
func redisSetups() []struct {
	name string
	cmds [][]any
} {
	type setup = struct {
		name string
		cmds [][]any
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	many := func(cmd string, n int, elem func(i int) []any) []any {
		out := []any{cmd, "k"}
		for i := 0; i < n; i++ {
			out = append(out, elem(i)...)
		}
		return out
	}
	one := func(args ...any) [][]any { return [][]any{args} }
	return []setup{
		{"int", one("SET", "k", "12345")},
		{"negative int", one("SET", "k", "-5")},
		{"int64", one("SET", "k", "9999999999")},
		{"min int64", one("SET", "k", "-9223372036854775808")},
		{"embstr", one("SET", "k", "hello")},
		{"empty string", one("SET", "k", "")},
		{"44 bytes", one("SET", "k", strings.Repeat("x", 44))},
		{"raw 45 bytes", one("SET", "k", strings.Repeat("xy", 22)+"z")},
		{"binary", one("SET", "k", "a\x00b\r\n\xff")},
		{"compressible 21", one("SET", "k", strings.Repeat("a", 21))},
		{"compressible 10k", one("SET", "k", strings.Repeat("abcdefgh", 1250))},
		{"incompressible", one("SET", "k", random(300))},
		{"leading zero", one("SET", "k", "007")},
		{"append", [][]any{{"SET", "k", "abc"}, {"APPEND", "k", "def"}}},
		{"incrbyfloat", [][]any{{"SET", "k", "1"}, {"INCRBYFLOAT", "k", "0.5"}}},
		{"list small", one("RPUSH", "k", "a", "1", "-5", "300", "70000", "abc", "", "-9223372036854775808", "4096", "-4097")},
		{"list 10000", [][]any{many("RPUSH", 10000, func(i int) []any { return []any{strconv.Itoa(i * 37)} })}},
		{"list big elements", [][]any{{"RPUSH", "k", "a", strings.Repeat("b", 20000), random(9000), "c"}}},
		{"list strings", [][]any{many("RPUSH", 500, func(i int) []any { return []any{fmt.Sprintf("element-%d-%s", i, strings.Repeat("z", i%70))} })}},
		{"intset16", one("SADD", "k", "1", "2", "-3", "32767")},
		{"intset32", one("SADD", "k", "1", "70000", "-70000")},
		{"intset64", one("SADD", "k", "1", "9223372036854775807", "-9223372036854775808")},
		{"intset 512", [][]any{many("SADD", 512, func(i int) []any { return []any{strconv.Itoa(i * 3)} })}},
		{"intset 513", [][]any{many("SADD", 513, func(i int) []any { return []any{strconv.Itoa(i * 3)} })}},
		{"set strings", one("SADD", "k", "a", "b", "", "1")},
		{"set 1000", [][]any{many("SADD", 1000, func(i int) []any { return []any{"m" + strconv.Itoa(i)} })}},
		{"hash small", one("HSET", "k", "f", "v", "n", "12", "", "empty", "neg", "-70000")},
		{"hash long value", one("HSET", "k", "f", strings.Repeat("v", 65), "g", "1")},
		{"hash 600", [][]any{many("HSET", 600, func(i int) []any { return []any{"f" + strconv.Itoa(i), strconv.Itoa(i)} })}},
		{"hash 512", [][]any{many("HSET", 512, func(i int) []any { return []any{"f" + strconv.Itoa(i), random(10)} })}},
		{"zset small", one("ZADD", "k", "1.5", "a", "2", "b", "inf", "c", "-inf", "d", "0.1", "e", "1e300", "f", "-0", "g", "-2.5e-300", "h", "4503599627370496", "i")},
		{"zset 200", [][]any{many("ZADD", 200, func(i int) []any { return []any{strconv.FormatFloat(float64(i)/7, 'g', -1, 64), "m" + strconv.Itoa(i)} })}},
		{"zset long member", one("ZADD", "k", "1", strings.Repeat("m", 65), "2", "short")},
	}
}

// TestRedisDumpRestore checks both directions of DUMP/RESTORE against
// redis-server 7.0.15 for every type and encoding: redis-server's payload
// decodes to the value it holds, with the encoding redis-server reports,
// and the payload EncodeValue makes RESTOREs in redis-server to the same
// value and encoding.
func TestRedisDumpRestore(t *testing.T) {
	c := redisClient(t, redisproc.Start(t))
	ctx := context.Background()
	for _, s := range redisSetups() {
		t.Run(s.name, func(t *testing.T) {
			c.FlushAll(ctx)
			for _, cmd := range s.cmds {
				if err := c.Do(ctx, cmd...).Err(); err != nil {
					t.Fatalf("%v: %v", cmd[0], err)
				}
			}
			payload, err := c.Dump(ctx, "k").Result()
			if err != nil {
				t.Fatal(err)
			}
			// What redis-server makes of its own payload (a string
			// changed in place is raw, its restored copy embstr).
			if err := c.Restore(ctx, "ref", 0, payload).Err(); err != nil {
				t.Fatal(err)
			}
			want := redisproc.KeyView(t, c, "ref")
			if want == "none" {
				t.Fatalf("%s: the setup created no key", s.name)
			}
			v, err := DecodeValue([]byte(payload), nil)
			if err != nil {
				t.Fatalf("DecodeValue of redis-server's DUMP: %v", err)
			}
			if got := render(v); got != want {
				t.Fatalf("decoded\n %.300s\nredis-server has\n %.300s", got, want)
			}
			for _, compress := range []bool{true, false} {
				ours := AppendPayload(nil, v, compress)
				if err := c.Restore(ctx, "copy", 0, string(ours)).Err(); err != nil {
					t.Fatalf("redis-server refuses EncodeValue's payload: %v", err)
				}
				if got := redisproc.KeyView(t, c, "copy"); got != want {
					t.Fatalf("restored in redis-server\n %.300s\nwant\n %.300s", got, want)
				}
				c.Del(ctx, "copy")
			}
			if *update {
				name := strings.ReplaceAll(s.name, " ", "-")
				writeTestdata(t, filepath.Join("dump", name+".bin"), []byte(payload))
				writeTestdata(t, filepath.Join("dump", name+".txt"), []byte(golden(want)+"\n"))
			}
		})
	}
}

func writeTestdata(t *testing.T, name string, data []byte) {
	path := filepath.Join("testdata", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fileKeys are the keys TestRedisFile creates: "db key" -> setup.
func fileSetups() map[string][][]any {
	out := map[string][][]any{}
	for i, s := range redisSetups() {
		key := "k" + strconv.Itoa(i)
		var cmds [][]any
		for _, c := range s.cmds {
			c = slices.Clone(c)
			c[1] = key
			cmds = append(cmds, c)
		}
		db := []int{0, 3, 15}[i%3]
		if i%2 == 0 {
			// Absolute expiries keep the golden file stable.
			cmds = append(cmds, []any{"PEXPIREAT", key, 4102444800000 + int64(i)})
		}
		out[fmt.Sprintf("%d %s", db, key)] = cmds
	}
	return out
}

// TestRedisFile checks files in both directions: a dump.rdb saved by
// redis-server 7.0.15 loads with every value and TTL, and a file written
// by Writer loads into a freshly started redis-server.
func TestRedisFile(t *testing.T) {
	ctx := context.Background()
	c := redisClient(t, redisproc.Start(t))
	want := map[string]string{} // "db key" -> view + expiry
	for dbkey, cmds := range fileSetups() {
		var db int
		var key string
		fmt.Sscan(dbkey, &db, &key)
		c.Do(ctx, "SELECT", db)
		for _, cmd := range cmds {
			if err := c.Do(ctx, cmd...).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	dir := c.ConfigGet(ctx, "dir").Val()["dir"]
	file, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		writeTestdata(t, "redis-7.0.15.rdb", file)
		writeTestdata(t, "redis-7.0.15-small.rdb", smallRedisFile(t, c))
	}
	// What redis-server itself loads from the file is the reference (a
	// string changed in place is raw before, embstr after).
	refDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(refDir, "dump.rdb"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	ref := redisClient(t, redisproc.Start(t, "dir "+refDir))
	want = fileView(t, ref)
	if len(want) != len(fileSetups()) {
		t.Fatalf("redis-server loaded %d keys from its own file; want %d", len(want), len(fileSetups()))
	}
	libraryCheck(t, file, len(want))

	type loaded struct {
		db  int
		key string
		v   ds.Value
		exp int64
	}
	var keys []loaded
	got := map[string]string{}
	var aux []string
	err = Load(bytes.NewReader(file), LoadOptions{Aux: func(k, v []byte) error {
		aux = append(aux, string(k)+"="+string(v))
		return nil
	}}, func(db int, key []byte, v ds.Value, exp int64) error {
		expStr := strconv.FormatInt(exp, 10)
		if exp == 0 {
			expStr = "-1"
		}
		got[fmt.Sprintf("%d %s", db, key)] = render(v) + " exp " + expStr
		keys = append(keys, loaded{db, string(key), v, exp})
		return nil
	})
	if err != nil {
		t.Fatalf("Load of redis-server's dump.rdb: %v", err)
	}
	if !slices.Contains(aux, "redis-ver=7.0.15") {
		t.Errorf("aux fields %q", aux)
	}
	compareMaps(t, "loaded from redis-server's file", got, want)
	if *update {
		short := map[string]string{}
		for k, v := range got {
			view, exp, _ := strings.Cut(v, " exp ")
			short[k] = golden(view) + " exp " + exp
		}
		writeTestdata(t, "redis-7.0.15.txt", []byte(joinSorted(short)))
	}

	// The other direction: write what was loaded, start a redis-server
	// on the file, and compare.
	mine := t.TempDir()
	f, err := os.Create(filepath.Join(mine, "shardd.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f, WriterOptions{UsedMem: 1 << 20})
	slices.SortStableFunc(keys, func(a, b loaded) int { return a.db - b.db })
	for i, k := range keys {
		if i == 0 || keys[i-1].db != k.db {
			if err := w.WriteDB(k.db, 10, 5); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteKey([]byte(k.key), k.v, k.exp); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c2 := redisClient(t, redisproc.Start(t, "dir "+mine, "dbfilename shardd.rdb"))
	back := fileView(t, c2)
	compareMaps(t, "redis-server loading Writer's file", back, want)
}

func compareMaps(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: key %s missing", what, k)
		} else if g != w {
			t.Errorf("%s: key %s\n got %.300s\nwant %.300s", what, k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected key %s", what, k)
		}
	}
}

func pexpiretime(c *redis.Client, key string) string {
	n, _ := c.Do(context.Background(), "PEXPIRETIME", key).Int64()
	return strconv.FormatInt(n, 10)
}

// fileView renders every key of the databases fileSetups uses, with its
// expiry, keyed "db key".
func fileView(t *testing.T, c *redis.Client) map[string]string {
	ctx := context.Background()
	out := map[string]string{}
	for dbkey := range fileSetups() {
		var db int
		var key string
		fmt.Sscan(dbkey, &db, &key)
		c.Do(ctx, "SELECT", db)
		if c.Exists(ctx, key).Val() == 1 {
			view := redisproc.KeyView(t, c, key)
			if view == "none" {
				t.Fatalf("key %q listed by SCAN is missing", key)
			}
			out[dbkey] = view + " exp " + pexpiretime(c, key)
		}
	}
	return out
}

// joinSorted renders a map as sorted "key: value" lines.
func joinSorted(m map[string]string) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, k+": "+v+"\n")
	}
	slices.Sort(lines)
	return strings.Join(lines, "")
}

// smallRedisFile has redis-server save a file with only the small values
// of redisSetups, some with TTLs, in two databases: a fuzzing seed small
// enough to mutate quickly.
func smallRedisFile(t *testing.T, c *redis.Client) []byte {
	ctx := context.Background()
	c.FlushAll(ctx)
	for i, s := range redisSetups() {
		size := 0
		for _, cmd := range s.cmds {
			size += len(fmt.Sprint(cmd...))
		}
		if size > 200 {
			continue
		}
		key := "k" + strconv.Itoa(i)
		c.Do(ctx, "SELECT", i%2)
		for _, cmd := range s.cmds {
			cmd = slices.Clone(cmd)
			cmd[1] = key
			c.Do(ctx, cmd...)
		}
		if i%3 == 0 {
			c.Do(ctx, "PEXPIREAT", key, 4102444800000+int64(i))
		}
	}
	c.Do(ctx, "SELECT", 0)
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(c.ConfigGet(ctx, "dir").Val()["dir"], "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	return file
}
