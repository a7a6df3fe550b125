package daemon_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/redisproc"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

func TestSaveAndLoadDumpRDB(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := shardtest.Start(t, "dir "+dir, "save \"\"")
	c := client(srv.Addr)
	workload(t, c, "r:")
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	last := c.LastSave(ctx).Val()
	if time.Now().Unix()-last > 5 {
		t.Errorf("LASTSAVE = %d, not recent", last)
	}
	want := dump(t, c)
	c.Set(ctx, "after-save", "x", 0) // not in the file: save "" means no save at exit
	c.Close()
	srv = restart(t, srv, dir, "save \"\"")
	c2 := client(srv.Addr)
	defer c2.Close()
	if got := dump(t, c2); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after restart from dump.rdb:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// With save points configured, stopping shardd saves; a BGSAVE under
// load completes and LASTSAVE moves.
func TestBgSaveAndSaveOnShutdown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := shardtest.Start(t, "dir "+dir, "save 3600 1")
	c := srv.Client(t)
	for i := 0; i < 500; i++ {
		c.Set(ctx, "k"+string(rune('a'+i%26))+strings.Repeat("x", i%7), i, 0)
	}
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:1") {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_saves:1") {
		t.Errorf("INFO after BGSAVE: %s", c.Info(ctx, "persistence").Val())
	}
	c.Set(ctx, "late", "1", 0)
	n := c.DBSize(ctx).Val()
	srv = restart(t, srv, dir, "save 3600 1")
	c = srv.Client(t)
	if got := c.DBSize(ctx).Val(); got != n || c.Get(ctx, "late").Val() != "1" {
		t.Errorf("after a stop with save points: %d keys (late=%q); want %d", got, c.Get(ctx, "late").Val(), n)
	}
}

// An AOF whose base is RDB (aof-use-rdb-preamble yes, the default)
// restores the same data.
func TestRewriteWithRDBPreamble(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := shardtest.Start(t, "dir "+dir, "appendonly yes", "aof-use-rdb-preamble yes", "save \"\"")
	c := client(srv.Addr)
	workload(t, c, "p:")
	if err := c.Do(ctx, "BGREWRITEAOF").Err(); err != nil {
		t.Fatal(err)
	}
	for strings.Contains(c.Info(ctx, "persistence").Val(), "aof_rewrite_in_progress:1") {
		time.Sleep(10 * time.Millisecond)
	}
	c.Set(ctx, "p:after", "1", 0)
	want := dump(t, c)
	c.Close()
	if m, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.base.rdb")); len(m) != 1 {
		t.Fatalf("no RDB base after the rewrite: %v", m)
	}
	srv = restart(t, srv, dir, "appendonly yes", "save \"\"")
	c2 := client(srv.Addr)
	defer c2.Close()
	if got := dump(t, c2); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after restart:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A dump.rdb written by redis-server 7.0 loads into shardd, and shardd's
// loads into redis-server.
func TestDumpRDBCrossesWithRedis(t *testing.T) {
	ctx := context.Background()
	redisDir := t.TempDir()
	raddr := redisproc.Start(t, "dir "+redisDir)
	r := redis.NewClient(&redis.Options{Addr: raddr, Protocol: 2, PoolSize: 1})
	defer r.Close()
	workload(t, r, "x:")
	if err := r.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	want := dump(t, r)

	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(redisDir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644)
	srv := shardtest.Start(t, "dir "+dir, "save \"\"")
	c := client(srv.Addr)
	defer c.Close()
	if got := dump(t, c); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("redis-server's dump.rdb in shardd:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	back := t.TempDir()
	data, _ = os.ReadFile(filepath.Join(dir, "dump.rdb"))
	os.WriteFile(filepath.Join(back, "dump.rdb"), data, 0o644)
	r2 := redis.NewClient(&redis.Options{Addr: redisproc.Start(t, "dir "+back), Protocol: 2, PoolSize: 1})
	defer r2.Close()
	if got := dump(t, r2); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("shardd's dump.rdb in redis-server:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
