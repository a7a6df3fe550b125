package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shardis/shardis/pkg/slot"
)

// Tests of online resharding (docs/resharding.md): slots move between
// shards with shardis-meta while clients keep working through two proxies.

// reshardLoad is the client load of a resharding test: writers of unique,
// growing values (the last acknowledged value of every key is kept),
// readers, and cross-shard MSETs of generations checked by MGET readers.
type reshardLoad struct {
	keysPerWriter int
	writers       int
	mu            sync.Mutex
	acked         map[string]int64 // key -> last acknowledged value
	ops           atomic.Int64
	errs          atomic.Int64
	firstErr      atomic.Pointer[string]
	groups        *groupLoad
	wg            sync.WaitGroup
}

func (l *reshardLoad) fail(err error) {
	if strings.HasPrefix(err.Error(), "TXCONFLICT") {
		return // a cross-shard write that gave up changed nothing
	}
	l.errs.Add(1)
	msg := err.Error()
	l.firstErr.CompareAndSwap(nil, &msg)
}

// start runs the load until stop is closed. clients may restrict it to
// some proxies.
func (l *reshardLoad) start(t *testing.T, c *Cluster, stop <-chan struct{}, proxies []*Process) {
	l.acked = map[string]int64{}
	for w := range l.writers {
		cl := goRedis(t, proxies[w%len(proxies)].Addr, 2)
		l.wg.Go(func() {
			ctx := context.Background()
			for i := int64(1); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("w%d:%d", w, i%int64(l.keysPerWriter))
				var err error
				if i%7 == 0 { // some keys with a TTL, which must survive moves
					err = cl.Set(ctx, k, i, time.Hour).Err()
				} else {
					err = cl.Set(ctx, k, i, 0).Err()
				}
				if err != nil {
					l.fail(fmt.Errorf("SET %s: %w", k, err))
					continue
				}
				l.ops.Add(1)
				l.mu.Lock()
				l.acked[k] = i
				l.mu.Unlock()
				if _, err := cl.Get(ctx, k).Result(); err != nil {
					l.fail(fmt.Errorf("GET %s: %w", k, err))
				}
			}
		})
	}
	for r := range 2 {
		cl := goRedis(t, proxies[r%len(proxies)].Addr, 3)
		l.wg.Go(func() {
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(uint64(r), 5))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("w%d:%d", rng.IntN(l.writers), rng.IntN(l.keysPerWriter))
				if err := cl.Get(ctx, k).Err(); err != nil && err != redis.Nil {
					l.fail(fmt.Errorf("GET %s: %w", k, err))
				}
				l.ops.Add(1)
			}
		})
	}
	l.groups.run(t, c, 2, 2, stop, proxies...)
}

// check verifies, after the load stopped, that every acknowledged write
// is there with its latest value, and that no key lives on two shards or
// off its owner.
func (l *reshardLoad) check(t *testing.T, c *Cluster, shards []*Process) {
	t.Helper()
	l.wg.Wait()
	l.groups.wg.Wait()
	t.Logf("%d operations, %d errors (first: %s); cross-shard writes %d, reads %d, mixes %d",
		l.ops.Load(), l.errs.Load(), ptrString(l.firstErr.Load()), l.groups.writes.Load(), l.groups.reads.Load(), l.groups.mixes.Load())
	if n := l.errs.Load(); n > 0 {
		t.Errorf("clients saw %d errors, e.g. %s", n, *l.firstErr.Load())
	}
	if n := l.groups.otherErrs.Load(); n > 0 {
		t.Errorf("cross-shard clients saw %d errors, e.g. %s", n, *l.groups.firstError.Load())
	}
	if m := l.groups.mixes.Load(); m > 0 {
		t.Errorf("%d cross-shard reads saw a mix, e.g. %s", m, *l.groups.firstMix.Load())
	}
	ctx := context.Background()
	cl := goRedis(t, c.Proxies[0].Addr, 2)
	for k, want := range l.acked {
		got, err := cl.Get(ctx, k).Int64()
		if err != nil || got != want {
			t.Errorf("%s = %d, %v; want the last acknowledged %d", k, got, err, want)
		}
		if want%7 == 0 {
			if ttl := cl.TTL(ctx, k).Val(); ttl <= 0 || ttl > time.Hour {
				t.Errorf("%s lost its TTL: %v", k, ttl)
			}
		}
	}
	l.groups.checkGroups(t, cl)
	// Every key on exactly one shard, its owner.
	m, err := c.Topo.SlotMap(ctx)
	must(t, err)
	reg, err := c.Topo.Registry(ctx)
	must(t, err)
	where := map[string]string{}
	for _, s := range shards {
		id := ""
		for _, r := range reg.Shards {
			if r.Addr == s.Addr {
				id = r.ID
			}
		}
		keys, err := goRedis(t, s.Addr, 2).Keys(ctx, "*").Result()
		must(t, err)
		for _, k := range keys {
			if other, dup := where[k]; dup {
				t.Errorf("%s lives on %s and %s", k, other, s.Name)
			}
			where[k] = s.Name
			if owner := m.Owner[slot.OfString(k)]; owner != id {
				t.Errorf("%s lives on %s (%s) but its slot belongs to %s", k, s.Name, id, owner)
			}
		}
	}
	if len(m.Migrations) != 0 {
		t.Errorf("migrations left in the map: %d", len(m.Migrations))
	}
}

func newReshardLoad(t *testing.T, c *Cluster) *reshardLoad {
	return &reshardLoad{keysPerWriter: 300, writers: 4, groups: newGroupLoad(t, c, 4, 6)}
}

// slotCounts returns the number of slots per shard ID.
func slotCounts(t *testing.T, c *Cluster) map[string]int {
	m, err := c.Topo.SlotMap(context.Background())
	must(t, err)
	return m.Counts()
}

// The cluster grows 2 -> 3 -> 4 shards and shrinks back to 2 while
// clients write, read and run cross-shard MSETs through two proxies: no
// client sees an error, every acknowledged write survives with its latest
// value and TTL, and every key ends on its owner only.
func TestReshardGrowAndShrink(t *testing.T) {
	c := startClusterOf(t, 2)
	l := newReshardLoad(t, c)
	stop := make(chan struct{})
	l.start(t, c, stop, c.Proxies)
	time.Sleep(300 * time.Millisecond)
	for _, step := range []func(){
		func() { c.meta(t, "shard", "add", c.startShard(t).Addr, "--rebalance") },
		func() { c.meta(t, "shard", "add", c.startShard(t).Addr, "--rebalance") },
		func() { c.meta(t, "shard", "remove", "s4", "--drain") },
		func() { c.meta(t, "shard", "remove", "s3", "--drain") },
	} {
		start := time.Now()
		step()
		t.Logf("slots %v after %v", slotCounts(t, c), time.Since(start).Round(time.Millisecond))
		time.Sleep(200 * time.Millisecond)
	}
	close(stop)
	l.check(t, c, c.Shards)
	if n := slotCounts(t, c); len(n) != 2 || n["s1"] != 8192 || n["s2"] != 8192 {
		t.Errorf("final slots %v; want 8192 each on s1 and s2", n)
	}
}

// A shardis-meta killed (SIGKILL) in the middle of a move resumes with
// --resume, and a proxy restarted in the middle of a move serves the
// right data again: clients of the other proxy see no error and nothing
// is lost.
func TestReshardResumeAfterKills(t *testing.T) {
	c := startClusterOf(t, 2)
	l := newReshardLoad(t, c)
	stop := make(chan struct{})
	// The load goes through the first proxy only: the second is killed.
	l.start(t, c, stop, c.Proxies[:1])
	// More keys, so that a throttled move lasts a few seconds.
	const fillKeys = 12000
	fill := goRedis(t, c.Proxies[0].Addr, 2)
	pipe := fill.Pipeline()
	for i := range fillKeys {
		pipe.Set(context.Background(), "fill:"+strconv.Itoa(i), i, 0)
	}
	_, err := pipe.Exec(context.Background())
	must(t, err)

	s3 := c.startShard(t)
	c.meta(t, "shard", "add", s3.Addr)
	meta := exec.Command(filepath.Join(binDir, "shardis-meta"), "--etcd", c.Etcd.Addr, "rebalance", "--max-keys-per-sec", "1000", "--batch-slots", "512")
	out := &strings.Builder{}
	meta.Stdout, meta.Stderr = out, out
	must(t, meta.Start())
	time.Sleep(1500 * time.Millisecond)
	meta.Process.Signal(syscall.SIGKILL)
	meta.Wait()
	t.Logf("shardis-meta killed; its output:\n%s", out.String())
	if st := c.meta(t, "status"); !strings.Contains(st, "resharding job r-") {
		t.Fatalf("status after the kill shows no job in progress:\n%s", st)
	}

	// The second proxy dies and comes back in the middle of the move.
	c.Proxies[1].Kill()
	time.Sleep(200 * time.Millisecond)
	c.Proxies[1].Restart(t)

	c.meta(t, "rebalance", "--resume")
	close(stop)
	l.check(t, c, c.Shards)
	n := slotCounts(t, c)
	for _, id := range []string{"s1", "s2", "s3"} {
		if n[id] < 5461 || n[id] > 5462 {
			t.Errorf("slots after the resumed rebalance: %v", n)
			break
		}
	}
	// The restarted proxy serves every key from its new owner.
	pipe = goRedis(t, c.Proxies[1].Addr, 2).Pipeline()
	gets := make([]*redis.StringCmd, fillKeys)
	for i := range fillKeys {
		gets[i] = pipe.Get(context.Background(), "fill:"+strconv.Itoa(i))
	}
	pipe.Exec(context.Background())
	for i, g := range gets {
		if v, err := g.Int(); err != nil || v != i {
			t.Fatalf("fill:%d through the restarted proxy = %d, %v", i, v, err)
		}
	}
}
