package router

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/pkg/topology"
	"github.com/shardis/shardis/pkg/topology/etcdtest"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/shardtest"
)

func TestMain(m *testing.M) { shardtest.Main(m) }

func opts() *backend.Options {
	return &backend.Options{ConnsPerShard: 1, DialTimeout: 200 * time.Millisecond}
}

func registry(shards ...string) *topology.Registry {
	r := &topology.Registry{}
	for _, s := range shards {
		id, addr, _ := strings.Cut(s, "=")
		r.Shards = append(r.Shards, topology.Shard{ID: id, Addr: addr})
	}
	return r
}

// checkTable checks that every slot routes to the pool of the shard m
// names, through Owner and OwnerOf alike.
func checkTable(t *testing.T, tb *Table, m *topology.SlotMap) {
	t.Helper()
	for s := range slot.Count {
		p := tb.Owner[s]
		if p == nil || p.ID != m.Owner[s] {
			t.Fatalf("slot %d: owner %v; want %s", s, p, m.Owner[s])
		}
		if q := tb.OwnerOf(s); q != p {
			t.Fatalf("slot %d: OwnerOf %s, Owner %s", s, q.ID, p.ID)
		}
	}
	if tb.Version != m.Version {
		t.Errorf("version %d; want %d", tb.Version, m.Version)
	}
}

// Apply builds a table from a map and a registry, keeps the pools of
// shards whose address did not change and closes the others.
func TestApply(t *testing.T) {
	r := New(opts(), nil)
	defer r.Close()
	var applied atomic.Uint64
	r.OnApply = func(tb *Table) { applied.Store(tb.Version) }
	if r.Current() != nil {
		t.Fatal("Current() before the first map")
	}
	a1, a2 := serving(t), serving(t)
	reg := registry("s1="+a1, "s2="+a2)
	m := topology.Spread([]string{"s1", "s2"})
	m.Version = 1
	m.Migrations[5] = topology.Migration{From: "s1", To: "s2", State: topology.Migrating}
	t1 := r.Apply(m, reg)
	if r.Current() != t1 || applied.Load() != 1 {
		t.Fatalf("Current() %p, OnApply saw %d; want the new table, 1", r.Current(), applied.Load())
	}
	checkTable(t, t1, m)
	if len(t1.Shards) != 2 || t1.Shards[0].ID != "s1" || t1.Shards[1].ID != "s2" {
		t.Fatalf("shards %v; want s1, s2", t1.Shards)
	}
	if t1.Pool("s2") != t1.Shards[1] || t1.Pool("s3") != nil {
		t.Error("Pool by ID")
	}
	if t1.Migrating[5] != t1.Pool("s2") || len(t1.Migrating) != 1 {
		t.Errorf("migrating %v; want slot 5 to s2", t1.Migrating)
	}
	for _, c := range []struct {
		slot      int
		want      string
		migrating bool
	}{{5, "s2", true}, {4, "s1", false}, {slot.Count - 1, "s2", false}} {
		if p, mig := t1.Serving(c.slot); p.ID != c.want || mig != c.migrating {
			t.Errorf("Serving(%d) = %s, %v; want %s, %v", c.slot, p.ID, mig, c.want, c.migrating)
		}
	}

	// Same shards, new map: the pools are kept.
	m2 := m.Clone()
	m2.Version = 2
	m2.Owner[0] = "s2"
	delete(m2.Migrations, 5)
	t2 := r.Apply(m2, reg)
	checkTable(t, t2, m2)
	if p, mig := t2.Serving(5); p.ID != "s1" || mig {
		t.Errorf("Serving(5) after the migration = %s, %v; want s1, false", p.ID, mig)
	}
	if t2.Pool("s1") != t1.Pool("s1") || t2.Pool("s2") != t1.Pool("s2") {
		t.Error("pools not kept across maps")
	}
	if t1.Owner[0].ID != "s1" {
		t.Error("an applied table changed")
	}

	// s2 moves: a new pool, the old one is closed (its requests fail).
	for _, p := range t2.Shards {
		if got := ping(p); got != "+PONG\r\n" {
			t.Fatalf("pool %s: %q", p.ID, got)
		}
	}
	reg3 := registry("s1="+a1, "s2="+serving(t))
	m3 := m2.Clone()
	m3.Version = 3
	t3 := r.Apply(m3, reg3)
	if t3.Pool("s2") == t2.Pool("s2") || t3.Pool("s1") != t2.Pool("s1") {
		t.Fatal("a moved shard must get a new pool, the others keep theirs")
	}
	waitClosed(t, t2.Pool("s2"))

	// s1 leaves the registry: its pool is closed after a grace period.
	m4 := topology.Spread([]string{"s2"})
	m4.Version = 4
	t4 := r.Apply(m4, registry("s2="+t3.Pool("s2").Addr))
	checkTable(t, t4, m4)
	if len(t4.Shards) != 1 {
		t.Fatalf("shards %v; want s2", t4.Shards)
	}
	waitClosed(t, t3.Pool("s1"))
	if got := ping(t4.Pool("s2")); got != "+PONG\r\n" {
		t.Errorf("the remaining shard: %q", got)
	}
}

// Wait returns once a table of the version asked for is in use, and
// gives up, with the table in use, when its context ends.
func TestWait(t *testing.T) {
	r := New(opts(), nil)
	defer r.Close()
	reg := registry("s1=" + serving(t))
	m := topology.Spread([]string{"s1"})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if tb, ok := r.Wait(ctx, 0); ok || tb != nil {
		t.Errorf("Wait before the first map = %v, %v; want nil, false", tb, ok)
	}
	cancel()
	go func() {
		for v := uint64(1); v <= 3; v++ {
			time.Sleep(10 * time.Millisecond)
			mv := m.Clone()
			mv.Version = v
			r.Apply(mv, reg)
		}
	}()
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	tb, ok := r.Wait(ctx, 3)
	if !ok || tb.Version != 3 {
		t.Fatalf("Wait(3) = %v, %v; want version 3", tb, ok)
	}
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Errorf("Wait returned after %v, before the maps were applied", d)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if tb, ok := r.Wait(ctx2, 4); ok || tb.Version != 3 {
		t.Errorf("Wait(4) without that map = %v, %v; want version 3, false", tb.Version, ok)
	}
}

// serving returns the address of a fake shard that answers.
func serving(t *testing.T) string {
	f := shardtest.NewFake(t, func(c *shardtest.FakeConn) { shardtest.Serve(c, -1) })
	return f.Addr
}

func ping(p *backend.Pool) string {
	w := &waiter{done: make(chan string, 1)}
	c := p.Conn(0, 2)
	c.Send(w, backend.Encode(nil, "PING"))
	c.Flush()
	return <-w.done
}

// waitClosed waits until a request to p fails because p is closed.
func waitClosed(t *testing.T, p *backend.Pool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if got := ping(p); strings.HasPrefix(got, "-CLUSTERDOWN") {
			// A closed pool stays down.
			time.Sleep(150 * time.Millisecond)
			if got := ping(p); strings.HasPrefix(got, "-CLUSTERDOWN") && !p.Up() {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pool %s (%s) still serves", p.ID, p.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type waiter struct{ done chan string }

func (w *waiter) Reply(raw []byte) backend.Flusher {
	w.done <- string(raw)
	return nil
}

// With more owners than a byte can index, OwnerOf still routes right.
func TestOwnerOfManyShards(t *testing.T) {
	r := New(opts(), nil)
	defer r.Close()
	var ids, shards []string
	for i := range 300 {
		id := fmt.Sprintf("s%d", i)
		ids = append(ids, id)
		shards = append(shards, id+"=127.0.0.1:1")
	}
	m := topology.Spread(ids)
	m.Version = 1
	tb := r.Apply(m, registry(shards...))
	checkTable(t, tb, m)
	if tb.idx != nil {
		t.Error("packed table with 300 owners")
	}
}

// Run follows the slot map in etcd: it applies every version and then
// acknowledges it in the proxy's registration.
func TestRunFollowsEtcd(t *testing.T) {
	e := etcdtest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cli, err := topology.Connect(ctx, []string{e.URL}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	topo, err := topology.New(cli, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := topo.Init(ctx, []topology.Shard{{ID: "s1", Addr: "127.0.0.1:1"}, {ID: "s2", Addr: "127.0.0.1:2"}}); err != nil {
		t.Fatal(err)
	}
	reg, err := topo.Register(ctx, topology.Proxy{ID: "p1", Addr: "127.0.0.1:3"}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close(context.Background())
	r := New(opts(), nil)
	defer r.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx, topo, reg)
	}()
	waitVersion := func(v uint64) *Table {
		t.Helper()
		if err := topo.Barrier(ctx, v, 5*time.Second); err != nil {
			t.Fatalf("barrier at version %d: %v", v, err)
		}
		tb := r.Current()
		if tb == nil || tb.Version < v {
			t.Fatalf("acknowledged version %d before applying it (table %v)", v, tb)
		}
		return tb
	}
	waitVersion(1)
	m, err := topo.UpdateSlotMap(ctx, func(m *topology.SlotMap, _ *topology.Registry) error {
		for s := range 100 {
			m.Owner[s] = "s2"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tb := waitVersion(m.Version)
	checkTable(t, tb, m)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
