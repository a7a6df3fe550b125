package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardis/shardis/pkg/slot"
)

// load runs writers through both proxies until stop is closed. It records
// each error and the slowest operation.
type load struct {
	ok, failed atomic.Int64
	slowest    atomic.Int64 // ns
	mu         sync.Mutex
	errs       map[string]int
	wg         sync.WaitGroup
}

func runLoad(t *testing.T, c *Cluster, stop <-chan struct{}, keys func(w, i int) string) *load {
	l := &load{errs: map[string]int{}}
	for w := range 4 {
		cl := goRedis(t, c.Proxies[w%2].Addr, 2)
		l.wg.Go(func() {
			ctx := context.Background()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				err := cl.Set(ctx, keys(w, i), i, 0).Err()
				if d := time.Since(start).Nanoseconds(); d > l.slowest.Load() {
					l.slowest.Store(d)
				}
				if err != nil {
					l.failed.Add(1)
					msg := err.Error()
					if len(msg) > 40 {
						msg = msg[:40]
					}
					l.mu.Lock()
					l.errs[msg]++
					l.mu.Unlock()
					time.Sleep(time.Millisecond)
					continue
				}
				l.ok.Add(1)
			}
		})
	}
	return l
}

// TestShardRestart kills a shard while clients run: its keys fail fast
// with CLUSTERDOWN, the other shards keep serving, and once the shard is
// back every key works again without reconnecting the clients.
func TestShardRestart(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	cl := goRedis(t, c.Proxies[0].Addr, 3)
	for i := range 60 {
		must(t, cl.Set(ctx, fmt.Sprintf("key%d", i), i, 0).Err())
	}
	stop := make(chan struct{})
	l := runLoad(t, c, stop, func(w, i int) string { return fmt.Sprintf("w%d:%d", w, i%200) })
	time.Sleep(300 * time.Millisecond)

	victim := c.Shards[1]
	victim.Kill()
	time.Sleep(500 * time.Millisecond)
	// While it is down: s2's keys fail fast and clearly, others work.
	down, up := 0, 0
	for i := range 60 {
		start := time.Now()
		err := cl.Get(ctx, fmt.Sprintf("key%d", i)).Err()
		if d := time.Since(start); d > time.Second {
			t.Errorf("GET took %v with a shard down; want a fast answer", d)
		}
		switch {
		case err == nil:
			up++
		case strings.HasPrefix(err.Error(), "CLUSTERDOWN"):
			down++
		default:
			t.Errorf("GET with a shard down: %v; want CLUSTERDOWN", err)
		}
	}
	if down == 0 || up == 0 {
		t.Errorf("with one of three shards down: %d keys failed, %d served; want some of each", down, up)
	}

	victim.Restart(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := cl.Get(ctx, "key0").Err()
		errs := 0
		for i := range 60 {
			if err := cl.Get(ctx, fmt.Sprintf("key%d", i)).Err(); err != nil {
				errs++
			}
		}
		if err == nil && errs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("5s after the shard came back, %d of 60 keys still fail", errs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	l.wg.Wait()
	t.Logf("load during the restart: %d ok, %d failed %v, slowest %v", l.ok.Load(), l.failed.Load(), l.errs, time.Duration(l.slowest.Load()))
	if l.slowest.Load() > int64(2*time.Second) {
		t.Errorf("slowest SET during the outage took %v; want no hang", time.Duration(l.slowest.Load()))
	}
	for msg := range l.errs {
		if !strings.HasPrefix(msg, "CLUSTERDOWN") {
			t.Errorf("unexpected error during the outage: %q", msg)
		}
	}
	// The data acknowledged before the crash survived (AOF).
	for i := range 60 {
		if v, err := cl.Get(ctx, fmt.Sprintf("key%d", i)).Int(); err != nil || v != i {
			t.Errorf("key%d after restart = %d, %v", i, v, err)
		}
	}
}

// TestSlotMapChange changes the slot map while clients run: both proxies
// apply and acknowledge the new version without dropping a client, and
// new writes to the moved slots go to the new owner.
func TestSlotMapChange(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	// The clients write keys of s3's slots only; slots 0-99 (s1's, empty)
	// move to s2.
	m, err := c.Topo.SlotMap(ctx)
	must(t, err)
	var s3keys []string
	for i := 0; len(s3keys) < 100; i++ {
		k := fmt.Sprintf("x%d", i)
		if m.Owner[slot.Of([]byte(k))] == "s3" {
			s3keys = append(s3keys, k)
		}
	}
	stop := make(chan struct{})
	l := runLoad(t, c, stop, func(w, i int) string { return s3keys[(w*31+i)%len(s3keys)] })
	cl := goRedis(t, c.Proxies[1].Addr, 3)
	must(t, cl.Ping(ctx).Err())
	id := cl.ClientID(ctx).Val()

	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	c.meta(t, "slots", "move", "0-99", "--to", "s2")
	next, err := c.Topo.SlotMap(ctx)
	must(t, err)
	must(t, c.Topo.Barrier(ctx, next.Version, 5*time.Second))
	t.Logf("both proxies acknowledged version %d, %v after the move started", next.Version, time.Since(start))
	time.Sleep(300 * time.Millisecond)
	close(stop)
	l.wg.Wait()
	if l.failed.Load() > 0 {
		t.Errorf("%d writes failed across the map change: %v", l.failed.Load(), l.errs)
	}
	if l.ok.Load() == 0 {
		t.Error("no write succeeded")
	}
	if got := cl.ClientID(ctx).Val(); got != id {
		t.Errorf("client reconnected across the map change (id %d -> %d)", id, got)
	}
	// A key of slot 0..99 now lands on s2.
	var k string
	for i := 0; ; i++ {
		k = fmt.Sprintf("moved%d", i)
		if slot.Of([]byte(k)) < 100 {
			break
		}
	}
	must(t, cl.Set(ctx, k, "v", 0).Err())
	s2 := goRedis(t, c.Shards[1].Addr, 2)
	if v, err := s2.Get(ctx, k).Result(); err != nil || v != "v" {
		t.Errorf("key of a moved slot on s2: %q, %v; want it there", v, err)
	}
	// s1 no longer serves the slot: it refuses the key (fencing), and
	// does not have it.
	s1 := goRedis(t, c.Shards[0].Addr, 2)
	if err := s1.Get(ctx, k).Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGSHARD") {
		t.Errorf("GET of a moved slot's key at s1: %v; want WRONGSHARD", err)
	}
	if keys := s1.Keys(ctx, k).Val(); len(keys) != 0 {
		t.Errorf("key of a moved slot found on s1: %v", keys)
	}
}
