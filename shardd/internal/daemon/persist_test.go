package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/daemon"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// dump reads every key of db 0 and 1 with its type, value and whether it
// has a TTL, as one comparable string per key.
func dump(t *testing.T, c *redis.Client) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for db := 0; db < 2; db++ {
		c.Do(ctx, "SELECT", db)
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			typ := c.Type(ctx, k).Val()
			var val any
			switch typ {
			case "string":
				val = c.Get(ctx, k).Val()
			case "list":
				val = c.LRange(ctx, k, 0, -1).Val()
			case "hash":
				m := c.HGetAll(ctx, k).Val()
				var kv []string
				for f, v := range m {
					kv = append(kv, f+"="+v)
				}
				sort.Strings(kv)
				val = kv
			case "set":
				m := c.SMembers(ctx, k).Val()
				sort.Strings(m)
				val = m
			case "zset":
				val = c.ZRangeWithScores(ctx, k, 0, -1).Val()
			}
			ttl := c.PTTL(ctx, k).Val() > 0
			out = append(out, fmt.Sprintf("db%d %s %s %v ttl=%v", db, k, typ, val, ttl))
		}
	}
	c.Do(ctx, "SELECT", 0)
	sort.Strings(out)
	return out
}

func client(addr string) *redis.Client {
	// One connection, so SELECT in dump applies to what follows.
	return redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, Protocol: 2})
}

func restart(t *testing.T, srv *shardtest.Server, dir string, directives ...string) *shardtest.Server {
	t.Helper()
	srv.Close()
	return shardtest.Start(t, append([]string{"dir " + dir}, directives...)...)
}

func workload(t *testing.T, c *redis.Client, tag string) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatal(err)
		}
	}
	must(c.Set(ctx, tag+"s", "v", 0).Err())
	must(c.Set(ctx, tag+"ttl", "v", time.Hour).Err())
	must(c.Set(ctx, tag+"gone", "v", 30*time.Millisecond).Err())
	must(c.Incr(ctx, tag+"n").Err())
	must(c.IncrByFloat(ctx, tag+"f", 1.1).Err())
	must(c.RPush(ctx, tag+"l", "a", "b", "c").Err())
	must(c.LPop(ctx, tag+"l").Err())
	must(c.HSet(ctx, tag+"h", "f1", "1", "f2", "2").Err())
	must(c.HIncrBy(ctx, tag+"h", "f1", 5).Err())
	must(c.SAdd(ctx, tag+"set", "x", "y", "z").Err())
	must(c.SPop(ctx, tag+"set").Err())
	must(c.ZAdd(ctx, tag+"z", redis.Z{Score: 1.5, Member: "m"}, redis.Z{Score: -2, Member: "n"}).Err())
	must(c.Expire(ctx, tag+"h", time.Hour).Err())
	must(c.SetEx(ctx, tag+"ex", "v", time.Hour).Err())
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, tag+"tx1", "1", 0)
		p.Incr(ctx, tag+"tx1")
		p.Set(ctx, tag+"tx2", "2", 0)
		return nil
	})
	must(err)
	must(c.Do(ctx, "SELECT", 1).Err())
	must(c.Set(ctx, tag+"db1", "v", 0).Err())
	must(c.Do(ctx, "SELECT", 0).Err())
	must(c.Do(ctx, "MOVE", tag+"s", "1").Err())
	must(c.Rename(ctx, tag+"n", tag+"renamed").Err())
	must(c.Del(ctx, tag+"l").Err())
	time.Sleep(50 * time.Millisecond) // tag+"gone" expires
	must(c.Get(ctx, tag+"gone").Err())
}

func TestAOFRestoresEverything(t *testing.T) {
	for _, fsync := range []string{"always", "everysec", "no"} {
		t.Run(fsync, func(t *testing.T) {
			dir := t.TempDir()
			srv := shardtest.Start(t, "dir "+dir, "appendonly yes", "appendfsync "+fsync)
			c := client(srv.Addr)
			defer c.Close()
			workload(t, c, "a:")
			want := dump(t, c)
			c.Close()
			srv = restart(t, srv, dir, "appendonly yes")
			c2 := client(srv.Addr)
			defer c2.Close()
			if got := dump(t, c2); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("after restart:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// A rewrite while writers keep writing must keep every write: the state
// after a restart equals the state before it.
func TestRewriteUnderLoadKeepsEveryWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := shardtest.Start(t, "dir "+dir, "appendonly yes")
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 8})
	defer c.Close()
	for i := 0; i < 2000; i++ {
		c.Set(ctx, fmt.Sprintf("pre:%d", i), i, 0)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("w%d:%d", w, i%500)
				c.Incr(ctx, k)
				c.RPush(ctx, fmt.Sprintf("list%d", w), i)
				c.Set(ctx, fmt.Sprintf("pre:%d", i%2000), "changed", 0)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	if err := c.Do(ctx, "BGREWRITEAOF").Err(); err != nil {
		t.Fatal(err)
	}
	for strings.Contains(c.Info(ctx, "persistence").Val(), "aof_rewrite_in_progress:1") {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	cl := client(srv.Addr)
	want := dump(t, cl)
	cl.Close()
	files, _ := os.ReadDir(filepath.Join(dir, "appendonlydir"))
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
	}
	if !strings.Contains(strings.Join(names, " "), ".base.") {
		t.Errorf("no base file after the rewrite: %v", names)
	}
	srv = restart(t, srv, dir, "appendonly yes")
	c2 := client(srv.Addr)
	defer c2.Close()
	if got := dump(t, c2); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after rewrite and restart: %d keys; want %d", len(got), len(want))
	}
}

func incrFile(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no incremental AOF file: %v", err)
	}
	sort.Strings(m)
	return m[len(m)-1]
}

func TestTruncatedAOFTail(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := shardtest.Start(t, "dir "+dir, "appendonly yes")
	c := srv.Client(t)
	c.Set(ctx, "kept", "1", 0)
	srv.Close()
	f, err := os.OpenFile(incrFile(t, dir), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("*3\r\n$3\r\nSET\r\n$4\r\nlost\r\n$1") // a crash mid-write
	f.Close()

	cfg := config.Default()
	if err := cfg.LoadString("port 0\nbind 127.0.0.1\ndir " + dir + "\nappendonly yes\naof-load-truncated no"); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if d, err := daemon.Start(cfg, quiet); err == nil {
		d.Close()
		t.Fatal("started with a torn AOF although aof-load-truncated is no")
	} else if !strings.Contains(err.Error(), "offset") {
		t.Errorf("error does not say where: %v", err)
	}

	srv = shardtest.Start(t, "dir "+dir, "appendonly yes", "aof-load-truncated yes")
	c = srv.Client(t)
	if v := c.Get(ctx, "kept").Val(); v != "1" {
		t.Errorf("kept = %q", v)
	}
	if n := c.Exists(ctx, "lost").Val(); n != 0 {
		t.Error("the torn command was applied")
	}
	c.Set(ctx, "after", "1", 0) // the repaired file takes appends again
	srv = restart(t, srv, dir, "appendonly yes")
	if v := srv.Client(t).Get(ctx, "after").Val(); v != "1" {
		t.Errorf("write after repair lost: %q", v)
	}
}
