package topology_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/pkg/topology"
	"github.com/shardis/shardis/pkg/topology/etcdtest"
)

func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t *testing.T, cli *clientv3.Client, cluster string) *topology.Client {
	t.Helper()
	c, err := topology.New(cli, topology.Options{Cluster: cluster, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// initCluster starts etcd and initializes cluster "default" with n shards.
func initCluster(t *testing.T, n int) (*etcdtest.Server, *topology.Client) {
	t.Helper()
	srv := etcdtest.Start(t)
	c := newClient(t, srv.Client(t), "")
	shards := make([]topology.Shard, n)
	for i := range shards {
		shards[i].Addr = fmt.Sprintf("127.0.0.1:%d", 7001+i)
	}
	if _, err := c.Init(testCtx(t, 10*time.Second), shards); err != nil {
		t.Fatalf("Init: %v", err)
	}
	return srv, c
}

func TestInitAndSnapshot(t *testing.T) {
	srv := etcdtest.Start(t)
	ctx := testCtx(t, 30*time.Second)
	c := newClient(t, srv.Client(t), "")
	if _, err := c.Snapshot(ctx); !errors.Is(err, topology.ErrNoCluster) {
		t.Fatalf("Snapshot before Init = %v; want ErrNoCluster", err)
	}
	if _, err := c.Init(ctx, nil); !errors.Is(err, topology.ErrInvalid) {
		t.Fatalf("Init without shards = %v; want ErrInvalid", err)
	}
	if _, err := c.Init(ctx, []topology.Shard{{Addr: "h:1"}, {Addr: "h:1"}}); !errors.Is(err, topology.ErrAddrInUse) {
		t.Fatalf("Init with a duplicate address = %v; want ErrAddrInUse", err)
	}
	if _, err := c.Init(ctx, []topology.Shard{{Addr: "h:1"}, {Addr: "h:2"}, {Addr: "h:3"}}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	snap, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if snap.Cluster.Name != "default" || snap.SlotMap.Version != 1 {
		t.Fatalf("got cluster %q map version %d; want default, 1", snap.Cluster.Name, snap.SlotMap.Version)
	}
	if got := strings.Join(snap.Registry.IDs(), ","); got != "s1,s2,s3" {
		t.Fatalf("shard IDs %s; want s1,s2,s3", got)
	}
	if c := snap.SlotMap.Counts(); c["s1"] != 5462 || c["s2"] != 5461 || c["s3"] != 5461 {
		t.Fatalf("slot counts %v; want 5462, 5461, 5461", c)
	}
	if _, err := c.Init(ctx, []topology.Shard{{Addr: "h:9"}}); !errors.Is(err, topology.ErrClusterExists) {
		t.Fatalf("second Init = %v; want ErrClusterExists", err)
	}
	// Another cluster in the same etcd is independent.
	other := newClient(t, srv.Client(t), "other")
	if _, err := other.Init(ctx, []topology.Shard{{Addr: "h:1"}}); err != nil {
		t.Fatalf("Init of a second cluster: %v", err)
	}
	if m, _ := c.SlotMap(ctx); m.Version != 1 || m.Counts()["s1"] != 5462 {
		t.Fatalf("the second cluster changed the first one's map")
	}
	if _, err := topology.New(srv.Client(t), topology.Options{Cluster: "a/b"}); !errors.Is(err, topology.ErrInvalid) {
		t.Fatalf("New with cluster a/b = %v; want ErrInvalid", err)
	}
}

func TestShardRegistry(t *testing.T) {
	_, c := initCluster(t, 2)
	ctx := testCtx(t, 30*time.Second)

	s, err := c.AddShard(ctx, topology.Shard{Addr: "127.0.0.1:7003"})
	if err != nil || s.ID != "s3" {
		t.Fatalf("AddShard = %+v, %v; want s3", s, err)
	}
	if _, err := c.AddShard(ctx, topology.Shard{Addr: "127.0.0.1:7001"}); !errors.Is(err, topology.ErrAddrInUse) || !strings.Contains(err.Error(), "s1") {
		t.Fatalf("AddShard of s1's address = %v; want ErrAddrInUse naming s1", err)
	}
	if _, err := c.AddShard(ctx, topology.Shard{Addr: "127.0.0.1:7009", ID: "s2"}); !errors.Is(err, topology.ErrShardExists) {
		t.Fatalf("AddShard with ID s2 = %v; want ErrShardExists", err)
	}
	if _, err := c.AddShard(ctx, topology.Shard{Addr: "nohost"}); !errors.Is(err, topology.ErrInvalid) {
		t.Fatalf("AddShard of a bad address = %v; want ErrInvalid", err)
	}
	if s, err := c.AddShard(ctx, topology.Shard{Addr: "127.0.0.1:7004", ID: "s4"}); err != nil || s.ID != "s4" {
		t.Fatalf("AddShard with ID s4 = %+v, %v", s, err)
	}
	// s4 was taken by hand: the next automatic ID skips it.
	if s, err := c.AddShard(ctx, topology.Shard{Addr: "127.0.0.1:7005"}); err != nil || s.ID != "s5" {
		t.Fatalf("AddShard = %+v, %v; want s5", s, err)
	}

	if _, err := c.RemoveShard(ctx, "s1"); !errors.Is(err, topology.ErrShardBusy) {
		t.Fatalf("RemoveShard of a shard with slots = %v; want ErrShardBusy", err)
	}
	if _, err := c.RemoveShard(ctx, "s9"); !errors.Is(err, topology.ErrShardNotFound) {
		t.Fatalf("RemoveShard(s9) = %v; want ErrShardNotFound", err)
	}
	// A migration target is busy too.
	if _, err := c.UpdateSlotMap(ctx, func(m *topology.SlotMap, _ *topology.Registry) error {
		m.Migrations[0] = topology.Migration{From: "s1", To: "s5", State: topology.Migrating}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoveShard(ctx, "s5"); !errors.Is(err, topology.ErrShardBusy) {
		t.Fatalf("RemoveShard of a migration target = %v; want ErrShardBusy", err)
	}
	if rm, err := c.RemoveShard(ctx, "s3"); err != nil || rm.Addr != "127.0.0.1:7003" {
		t.Fatalf("RemoveShard(s3) = %+v, %v", rm, err)
	}
	// Automatic IDs are never reused, and the address is free again.
	if s, err := c.AddShard(ctx, topology.Shard{Addr: "127.0.0.1:7003"}); err != nil || s.ID != "s6" {
		t.Fatalf("AddShard after removal = %+v, %v; want s6", s, err)
	}
	reg, err := c.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(reg.IDs(), ","); got != "s1,s2,s4,s5,s6" {
		t.Fatalf("registry %s; want s1,s2,s4,s5,s6", got)
	}
}

func TestSlotMapCompareAndSwap(t *testing.T) {
	_, c := initCluster(t, 2)
	ctx := testCtx(t, 30*time.Second)
	reg, err := c.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.SlotMap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, b := m.Clone(), m.Clone()
	a.Owner[0], b.Owner[1] = "s2", "s2"
	stored, err := c.SwapSlotMap(ctx, m, reg, a)
	if err != nil || stored.Version != 2 {
		t.Fatalf("first swap = version %v, %v; want version 2", stored, err)
	}
	if _, err := c.SwapSlotMap(ctx, m, reg, b); !errors.Is(err, topology.ErrConflict) {
		t.Fatalf("second swap from the same version = %v; want ErrConflict", err)
	}
	bad := stored.Clone()
	bad.Owner[0] = "nope"
	if _, err := c.SwapSlotMap(ctx, stored, reg, bad); !errors.Is(err, topology.ErrInvalid) {
		t.Fatalf("swap to an unregistered owner = %v; want ErrInvalid", err)
	}
	// A registry change also makes a swap from an older read fail, so a
	// shard cannot be removed while a concurrent admin gives it slots.
	if _, err := c.AddShard(ctx, topology.Shard{Addr: "127.0.0.1:7999"}); err != nil {
		t.Fatal(err)
	}
	next := stored.Clone()
	next.Owner[5] = "s2"
	if _, err := c.SwapSlotMap(ctx, stored, reg, next); !errors.Is(err, topology.ErrConflict) {
		t.Fatalf("swap after a registry change = %v; want ErrConflict", err)
	}
	// UpdateSlotMap with no change writes nothing.
	same, err := c.UpdateSlotMap(ctx, func(*topology.SlotMap, *topology.Registry) error { return nil })
	if err != nil || same.Version != 2 {
		t.Fatalf("UpdateSlotMap without change = %v, %v; want version 2", same, err)
	}
	// An error from fn aborts.
	boom := errors.New("boom")
	if _, err := c.UpdateSlotMap(ctx, func(*topology.SlotMap, *topology.Registry) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("UpdateSlotMap = %v; want fn's error", err)
	}
}

// TestConcurrentUpdates runs several admins that each flip their own slots
// one update at a time, and several watchers: no update may be lost, and
// every watcher must see every version, in order, each differing from the
// previous by exactly one slot.
func TestConcurrentUpdates(t *testing.T) {
	srv, c := initCluster(t, 2)
	ctx := testCtx(t, 2*time.Minute)
	const writers, perWriter, watchers = 4, 25, 3
	const final = 1 + writers*perWriter
	start, err := c.SlotMap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(id string) string {
		if id == "s1" {
			return "s2"
		}
		return "s1"
	}

	type seen struct {
		versions []uint64
		err      error
	}
	results := make([]seen, watchers)
	var wg sync.WaitGroup
	for w := range watchers {
		// Each watcher has its own etcd client and topology client.
		wc := newClient(t, srv.Client(t), "")
		ch := wc.Watch(ctx, 0)
		// Wait for the current map, so that the watch is in place before
		// the writers start and must see every later version.
		first, ok := <-ch
		if !ok || first.Version != 1 {
			t.Fatalf("watcher %d: first map %v; want version 1", w, first)
		}
		results[w].versions = append(results[w].versions, first.Version)
		wg.Go(func() {
			prev := first
			for m := range ch {
				results[w].versions = append(results[w].versions, m.Version)
				diff := 0
				for s := range slot.Count {
					if m.Owner[s] != prev.Owner[s] {
						diff++
					}
				}
				if diff != 1 && results[w].err == nil {
					results[w].err = fmt.Errorf("version %d differs from %d in %d slots; want 1", m.Version, prev.Version, diff)
				}
				prev = m
				if m.Version == final {
					return
				}
			}
			results[w].err = fmt.Errorf("watch closed after %v", results[w].versions)
		})
	}

	var writersWG sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		admin := newClient(t, srv.Client(t), "")
		writersWG.Go(func() {
			for i := range perWriter {
				s := w*perWriter + i
				if _, err := admin.UpdateSlotMap(ctx, func(m *topology.SlotMap, _ *topology.Registry) error {
					m.Owner[s] = flip(m.Owner[s])
					return nil
				}); err != nil {
					errs <- fmt.Errorf("writer %d update %d: %w", w, i, err)
					return
				}
			}
		})
	}
	writersWG.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wg.Wait()

	got, err := c.SlotMap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != final {
		t.Fatalf("final version %d; want %d", got.Version, final)
	}
	for s := range slot.Count {
		want := start.Owner[s]
		if s < writers*perWriter {
			want = flip(want)
		}
		if got.Owner[s] != want {
			t.Fatalf("slot %d owned by %s; want %s (an update was lost)", s, got.Owner[s], want)
		}
	}
	for w, r := range results {
		if r.err != nil {
			t.Errorf("watcher %d: %v", w, r.err)
		}
		if len(r.versions) != final {
			t.Errorf("watcher %d saw %d versions; want %d: %v", w, len(r.versions), final, r.versions)
			continue
		}
		for i, v := range r.versions {
			if v != uint64(i+1) {
				t.Errorf("watcher %d: version #%d is %d; want %d", w, i, v, i+1)
				break
			}
		}
	}
}

func TestWatchWaitsForInitAndSurvivesRestart(t *testing.T) {
	srv := etcdtest.Start(t)
	ctx := testCtx(t, time.Minute)
	admin := newClient(t, srv.Client(t), "")
	wctx, stop := context.WithCancel(ctx)
	ch := newClient(t, srv.Client(t), "").Watch(wctx, 0)
	next := func() *topology.SlotMap {
		t.Helper()
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatal("watch closed")
			}
			return m
		case <-ctx.Done():
			t.Fatal("no slot map delivered in time")
		}
		return nil
	}
	if _, err := admin.Init(ctx, []topology.Shard{{Addr: "h:1"}, {Addr: "h:2"}}); err != nil {
		t.Fatal(err)
	}
	if m := next(); m.Version != 1 {
		t.Fatalf("first map version %d; want 1", m.Version)
	}
	move := func(s int) {
		t.Helper()
		if _, err := admin.UpdateSlotMap(ctx, func(m *topology.SlotMap, _ *topology.Registry) error {
			m.Owner[s] = "s2"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	move(0)
	if m := next(); m.Version != 2 {
		t.Fatalf("version %d; want 2", m.Version)
	}
	srv.Restart(t)
	move(1)
	move(2)
	for want := uint64(3); want <= 4; want++ {
		if m := next(); m.Version != want || m.Owner[want-2] != "s2" {
			t.Fatalf("after restart got version %d; want %d with slot %d on s2", m.Version, want, want-2)
		}
	}
	// A watcher that starts late from version 4 gets only what follows.
	late := newClient(t, srv.Client(t), "").Watch(wctx, 4)
	move(3)
	if m := <-late; m.Version != 5 {
		t.Fatalf("late watcher got version %d; want 5", m.Version)
	}
	if m := next(); m.Version != 5 {
		t.Fatalf("got version %d; want 5", m.Version)
	}
	stop()
	for range ch {
	}
	for range late {
	}
}

func TestProxyLeaseExpires(t *testing.T) {
	srv, c := initCluster(t, 1)
	ctx := testCtx(t, time.Minute)

	// The proxy has its own etcd client; closing it stops the lease's
	// keep-alives without revoking it, as a crash would.
	proxyCli := srv.Client(t)
	pc := newClient(t, proxyCli, "")
	reg, err := pc.Register(ctx, topology.Proxy{ID: "p1", Addr: "127.0.0.1:6000", Version: 1}, time.Second)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if _, err := c.Register(ctx, topology.Proxy{ID: "p1", Addr: "127.0.0.1:6001"}, time.Second); !errors.Is(err, topology.ErrProxyExists) {
		t.Fatalf("second Register of p1 = %v; want ErrProxyExists", err)
	}
	if err := reg.Ack(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Outlive a few TTLs: the keep-alives hold the registration.
	time.Sleep(2500 * time.Millisecond)
	ps, err := c.Proxies(ctx)
	if err != nil || len(ps) != 1 || ps[0].ID != "p1" || ps[0].Addr != "127.0.0.1:6000" || ps[0].Version != 1 {
		t.Fatalf("Proxies = %+v, %v; want p1 at 127.0.0.1:6000 version 1", ps, err)
	}
	proxyCli.Close()
	start := time.Now()
	for {
		ps, err := c.Proxies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("registration still there %v after the proxy died: %+v", time.Since(start), ps)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("registration expired %v after the proxy stopped", time.Since(start))
	_ = reg.Close(ctx) // its client is closed; only stops the goroutine

	// Close removes a registration at once.
	reg2, err := c.Register(ctx, topology.Proxy{Addr: "127.0.0.1:6002"}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if id := reg2.Proxy().ID; !strings.HasPrefix(id, "p-") {
		t.Fatalf("generated proxy ID %q; want p-...", id)
	}
	if err := reg2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if ps, err := c.Proxies(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("Proxies after Close = %+v, %v; want none", ps, err)
	}
}

func TestProxyRegistersAgainAfterLosingLease(t *testing.T) {
	srv, c := initCluster(t, 1)
	ctx := testCtx(t, time.Minute)
	admin := srv.Client(t)
	reg, err := c.Register(ctx, topology.Proxy{ID: "p1", Addr: "127.0.0.1:6000"}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close(ctx)
	if err := reg.Ack(ctx, 3); err != nil {
		t.Fatal(err)
	}
	old := reg.Proxy().Lease
	// Lose the lease as after a long partition: etcd deletes the entry.
	if _, err := admin.Revoke(ctx, clientv3.LeaseID(old)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ps, err := c.Proxies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 1 && ps[0].Lease != old {
			if ps[0].Version != 3 || ps[0].ID != "p1" {
				t.Fatalf("registered again as %+v; want p1 at version 3", ps[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy not registered again: %+v", ps)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := reg.Ack(ctx, 4); err != nil {
		t.Fatalf("Ack after registering again: %v", err)
	}
	if ps, _ := c.Proxies(ctx); len(ps) != 1 || ps[0].Version != 4 {
		t.Fatalf("Proxies = %+v; want p1 at version 4", ps)
	}
}

func TestBarrier(t *testing.T) {
	srv, c := initCluster(t, 1)
	ctx := testCtx(t, time.Minute)

	// No proxy: passes at once.
	if err := c.Barrier(ctx, 1, time.Second); err != nil {
		t.Fatalf("Barrier without proxies = %v", err)
	}

	register := func(id string, ttl time.Duration) (*topology.Registration, *clientv3.Client) {
		t.Helper()
		cli := srv.Client(t)
		r, err := newClient(t, cli, "").Register(ctx, topology.Proxy{ID: id, Addr: "10.0.0.1:" + id[1:], Version: 1}, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return r, cli
	}
	fast, _ := register("p1", 10*time.Second)
	slow, _ := register("p2", 10*time.Second)
	defer fast.Close(ctx)
	defer slow.Close(ctx)

	// The barrier waits for the slow proxy.
	if err := fast.Ack(ctx, 2); err != nil {
		t.Fatal(err)
	}
	const delay = 500 * time.Millisecond
	start := time.Now()
	go func() {
		time.Sleep(delay)
		_ = slow.Ack(context.Background(), 2)
	}()
	if err := c.Barrier(ctx, 2, 20*time.Second); err != nil {
		t.Fatalf("Barrier = %v; want nil once the slow proxy acked", err)
	}
	if d := time.Since(start); d < delay {
		t.Fatalf("Barrier returned after %v, before the slow proxy acked (%v)", d, delay)
	}

	// A dead proxy whose lease is still valid makes the barrier time out,
	// named in the error.
	dead, deadCli := register("p3", 30*time.Second)
	deadCli.Close()
	_ = dead.Close(ctx) // stops its goroutine; cannot revoke with a closed client
	if err := fast.Ack(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := slow.Ack(ctx, 3); err != nil {
		t.Fatal(err)
	}
	err := c.Barrier(ctx, 3, 700*time.Millisecond)
	var be *topology.BarrierError
	if !errors.As(err, &be) || !errors.Is(err, topology.ErrBarrierTimeout) {
		t.Fatalf("Barrier with a dead proxy = %v; want *BarrierError", err)
	}
	if len(be.Laggards) != 1 || be.Laggards[0].ID != "p3" || be.Laggards[0].Version != 1 {
		t.Fatalf("laggards %+v; want only p3 at version 1", be.Laggards)
	}
	if !strings.Contains(err.Error(), "p3 (10.0.0.1:3) at version 1") {
		t.Fatalf("error %q does not name p3, its address and version", err)
	}

	// A dead proxy with a short lease drops out: the barrier passes once
	// the lease expires.
	if _, err := clientv3.NewKV(srv.Client(t)).Delete(ctx, topology.Prefix("default")+"proxies/p3"); err != nil {
		t.Fatal(err)
	}
	short, shortCli := register("p4", time.Second)
	shortCli.Close()
	_ = short.Close(ctx) // as above: the lease stays until it expires
	start = time.Now()
	if err := c.Barrier(ctx, 3, 20*time.Second); err != nil {
		t.Fatalf("Barrier = %v; want nil once p4's lease expired", err)
	}
	t.Logf("barrier passed %v after p4 died", time.Since(start))

	// The parent context's end is reported as such.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.Barrier(cctx, 99, time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("Barrier with a canceled context = %v; want context.Canceled", err)
	}
}
