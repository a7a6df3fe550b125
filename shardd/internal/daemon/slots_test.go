package daemon_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/daemon"
	"github.com/shardis/shardis/shardd/internal/engine"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// Keys moved by MIGRATESLOT, in both databases, survive restarts of both
// shards: the target's AOF has the imports, the source's the deletions,
// and the source still knows the slot migrates.
func TestMovedKeysAndSlotTableSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dirA, dirB := t.TempDir(), t.TempDir()
	srvA := shardtest.Start(t, "dir "+dirA, "appendonly yes")
	srvB := shardtest.Start(t, "dir "+dirB, "appendonly yes")
	a, b := client(srvA.Addr), client(srvB.Addr)
	tag := "{w}"
	workload(t, a, tag)
	want := dump(t, a)

	s := fmt.Sprint(slot.Of([]byte(tag)))
	for _, c := range []struct {
		addr, state string
	}{{srvA.Addr, s + ":m"}, {srvB.Addr, s + ":i"}} {
		cl := client(c.addr)
		if err := cl.Do(ctx, migrate.SetSlots, "7", c.state).Err(); err != nil {
			t.Fatal(err)
		}
		cl.Close()
	}
	for _, db := range []int{0, 1} {
		a.Do(ctx, "SELECT", db)
		v, err := a.Do(ctx, migrate.MigrateSlot, s, srvB.Addr, "1000").Slice()
		if err != nil || v[1] != int64(0) {
			t.Fatalf("MIGRATESLOT in db %d = %v, %v", db, v, err)
		}
	}
	a.Do(ctx, "SELECT", 0)
	if got := dump(t, b); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("at the target:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	a.Close()
	b.Close()

	srvA = restart(t, srvA, dirA, "appendonly yes")
	srvB = restart(t, srvB, dirB, "appendonly yes")
	a, b = client(srvA.Addr), client(srvB.Addr)
	defer a.Close()
	defer b.Close()
	if got := dump(t, b); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("target after restart:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := dump(t, a); len(got) != 0 {
		t.Errorf("source after restart still has %v", got)
	}
	if v := a.Do(ctx, migrate.GetSlots).Val(); fmt.Sprint(v) != fmt.Sprintf("[7 %s:m]", s) {
		t.Errorf("GETSLOTS after restart = %v", v)
	}
	if err := a.Get(ctx, tag+"x").Err(); err == nil || err.Error() != migrate.WrongShard(7, slot.Of([]byte(tag))) {
		t.Errorf("GET of a migrating slot after restart: %v; want WRONGSHARD", err)
	}
}

// A slot table that cannot be read stops the start: serving every slot
// instead could write to slots another shard owns.
func TestBadSlotTableStopsStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, engine.SlotsFile), []byte("7 0-99:o 100:q\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	if err := cfg.LoadString("port 0\nbind 127.0.0.1\ndir " + dir); err != nil {
		t.Fatal(err)
	}
	d, err := daemon.Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		d.Close()
		t.Fatal("shardd started with a corrupt slot table")
	}
	if !strings.Contains(err.Error(), "slot table") {
		t.Errorf("error %q does not name the slot table", err)
	}
}
