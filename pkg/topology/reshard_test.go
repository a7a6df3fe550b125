package topology_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shardis/shardis/pkg/topology"
)

func TestReshardJournal(t *testing.T) {
	srv, c := initCluster(t, 2)
	ctx := testCtx(t, 30*time.Second)

	if _, err := c.Reshard(ctx); !errors.Is(err, topology.ErrNoReshard) {
		t.Fatalf("Reshard with no job = %v; want ErrNoReshard", err)
	}
	plan := []topology.Move{{First: 0, Last: 255, From: "s1", To: "s2"}, {First: 256, Last: 300, From: "s1", To: "s2"}}
	r, err := c.StartReshard(ctx, &topology.Reshard{Plan: plan, MaxKeysPerSec: 1000})
	if err != nil {
		t.Fatalf("StartReshard: %v", err)
	}
	if !strings.HasPrefix(r.ID, "r-") || r.Created.IsZero() || r.Revision == 0 {
		t.Fatalf("StartReshard = %+v; want an ID, a creation time and a revision", r)
	}
	if got, want := r.SlotsTotal(), 301; got != want {
		t.Fatalf("SlotsTotal = %d; want %d", got, want)
	}

	// A second job is refused, naming the first.
	_, err = c.StartReshard(ctx, &topology.Reshard{Plan: plan})
	if !errors.Is(err, topology.ErrReshardRunning) || !strings.Contains(err.Error(), "job "+r.ID) {
		t.Fatalf("second StartReshard = %v; want ErrReshardRunning naming %s", err, r.ID)
	}

	// Progress is written by compare-and-swap on the revision read.
	r.Marked, r.KeysMoved = true, 42
	r2, err := c.SaveReshard(ctx, r)
	if err != nil {
		t.Fatalf("SaveReshard: %v", err)
	}
	if _, err := c.SaveReshard(ctx, r); !errors.Is(err, topology.ErrConflict) {
		t.Fatalf("SaveReshard from a stale read = %v; want ErrConflict", err)
	}
	got, err := c.Reshard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != r.ID || !got.Marked || got.KeysMoved != 42 || got.Revision != r2.Revision || len(got.Plan) != 2 || got.Plan[1] != plan[1] {
		t.Fatalf("Reshard = %+v; want %+v", got, r2)
	}
	r2.Current, r2.Marked = 1, false
	if got := r2.SlotsDone(); got != 256 {
		t.Fatalf("SlotsDone = %d; want 256", got)
	}
	if _, err := c.SaveReshard(ctx, &topology.Reshard{ID: r.ID, Plan: plan, Current: 3, Revision: r2.Revision}); !errors.Is(err, topology.ErrInvalid) {
		t.Fatalf("SaveReshard with current 3 of 2 = %v; want ErrInvalid", err)
	}

	// The end deletes it, once, and only from a current read.
	if err := c.EndReshard(ctx, r); !errors.Is(err, topology.ErrConflict) {
		t.Fatalf("EndReshard from a stale read = %v; want ErrConflict", err)
	}
	if err := c.EndReshard(ctx, r2); err != nil {
		t.Fatalf("EndReshard: %v", err)
	}
	if _, err := c.Reshard(ctx); !errors.Is(err, topology.ErrNoReshard) {
		t.Fatalf("Reshard after the end = %v; want ErrNoReshard", err)
	}
	if _, err := c.SaveReshard(ctx, r2); !errors.Is(err, topology.ErrConflict) {
		t.Fatalf("SaveReshard of an ended job = %v; want ErrConflict", err)
	}

	// Bad plans, and a cluster that does not exist.
	for _, bad := range [][]topology.Move{
		{{First: 5, Last: 4, From: "s1", To: "s2"}},
		{{First: 0, Last: 16384, From: "s1", To: "s2"}},
		{{First: 0, Last: 1, From: "s1", To: "s1"}},
	} {
		if _, err := c.StartReshard(ctx, &topology.Reshard{Plan: bad}); !errors.Is(err, topology.ErrInvalid) {
			t.Errorf("StartReshard(%v) = %v; want ErrInvalid", bad, err)
		}
	}
	other := newClient(t, srv.Client(t), "other")
	if _, err := other.StartReshard(ctx, &topology.Reshard{Plan: plan}); !errors.Is(err, topology.ErrNoCluster) {
		t.Fatalf("StartReshard in an uninitialized cluster = %v; want ErrNoCluster", err)
	}

	// The stored document carries the format number like the others.
	resp, err := srv.Client(t).Get(ctx, topology.Prefix("default")+"reshard")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 0 {
		t.Fatalf("journal left after EndReshard: %s", resp.Kvs[0].Value)
	}
	if _, err := c.StartReshard(ctx, &topology.Reshard{ID: "r-fixed", Plan: plan}); err != nil {
		t.Fatal(err)
	}
	resp, err = srv.Client(t).Get(ctx, topology.Prefix("default")+"reshard")
	if err != nil || len(resp.Kvs) != 1 || !strings.HasPrefix(string(resp.Kvs[0].Value), `{"format":1,"id":"r-fixed",`) {
		t.Fatalf("stored journal = %v, %v", resp, err)
	}
	if _, err := srv.Client(t).Put(ctx, topology.Prefix("default")+"reshard", `{"format":2}`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reshard(ctx); !errors.Is(err, topology.ErrFormat) {
		t.Fatalf("Reshard of format 2 = %v; want ErrFormat", err)
	}
}
