package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"

	"github.com/shardis/shardis/pkg/slot"
)

// Tests of cross-shard atomic writes (docs/twopc.md) through real
// proxies and shards.

// txTimeout is the proxies' transaction timeout in these tests: short, so
// that transactions a killed proxy left behind settle quickly.
const txTimeout = "1s"

// spreadKeys returns n keys named prefix:N that live on at least
// minShards different shards (or on all, if there are fewer), in an order
// that alternates between them.
func spreadKeys(t *testing.T, c *Cluster, prefix string, n, minShards int) []string {
	t.Helper()
	m, err := c.Topo.SlotMap(context.Background())
	must(t, err)
	minShards = min(minShards, len(m.Counts()))
	byShard := map[string][]string{}
	for i := 0; len(byShard) < minShards || countKeys(byShard) < n; i++ {
		k := fmt.Sprintf("%s:%d", prefix, i)
		owner := m.Owner[slot.OfString(k)]
		if len(byShard[owner]) < (n+minShards-1)/minShards {
			byShard[owner] = append(byShard[owner], k)
		}
	}
	var keys []string
	for len(keys) < n {
		for _, owner := range slices.Sorted(mapKeys(byShard)) {
			if ks := byShard[owner]; len(ks) > 0 && len(keys) < n {
				keys = append(keys, ks[0])
				byShard[owner] = ks[1:]
			}
		}
	}
	return keys
}

func countKeys(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// mixed reports whether values are not all the same (nil counts as a
// value).
func mixed(values []any) bool {
	for _, v := range values[1:] {
		if v != values[0] {
			return true
		}
	}
	return false
}

// The basics through a proxy: every op across shards behaves as on one
// Redis.
func TestCrossShardWrites(t *testing.T) {
	c := startCluster(t, "--tx-timeout", txTimeout)
	ctx := context.Background()
	cl := goRedis(t, c.Proxies[0].Addr, 3)
	keys := spreadKeys(t, c, "w", 6, 3)
	args := make([]any, 0, 12)
	for i, k := range keys {
		args = append(args, k, fmt.Sprint(i))
	}
	must(t, cl.MSet(ctx, args...).Err())
	got, err := cl.MGet(ctx, keys...).Result()
	must(t, err)
	for i := range keys {
		if got[i] != fmt.Sprint(i) {
			t.Fatalf("MGET after MSET = %v", got)
		}
	}
	if n := cl.Exists(ctx, append(keys, "w:none")...).Val(); n != 6 {
		t.Errorf("EXISTS = %d; want 6", n)
	}
	// MSETNX: one existing key on one shard, and nothing is written.
	fresh := spreadKeys(t, c, "nx", 4, 3)
	ok, err := cl.MSetNX(ctx, fresh[0], "a", fresh[1], "a", keys[2], "a", fresh[3], "a").Result()
	if err != nil || ok {
		t.Fatalf("MSETNX with an existing key = %v, %v; want false", ok, err)
	}
	if n := cl.Exists(ctx, fresh...).Val(); n != 0 {
		t.Fatalf("MSETNX that failed wrote %d keys", n)
	}
	if cl.Get(ctx, keys[2]).Val() != "2" {
		t.Fatal("MSETNX that failed changed an existing key")
	}
	ok, err = cl.MSetNX(ctx, fresh[0], "b", fresh[1], "b", fresh[2], "b").Result()
	if err != nil || !ok {
		t.Fatalf("MSETNX of fresh keys = %v, %v", ok, err)
	}
	// DEL and UNLINK count the keys removed on every shard.
	if n, err := cl.Del(ctx, keys[0], keys[1], keys[2], "w:none", keys[0]).Result(); err != nil || n != 3 {
		t.Errorf("DEL = %d, %v; want 3", n, err)
	}
	if n, err := cl.Unlink(ctx, keys[3], keys[4], fresh[0], fresh[1]).Result(); err != nil || n != 4 {
		t.Errorf("UNLINK = %d, %v; want 4", n, err)
	}
	if n := cl.Exists(ctx, keys...).Val(); n != 1 {
		t.Errorf("EXISTS after DEL/UNLINK = %d; want 1", n)
	}
	// The other proxy sees the same.
	other := goRedis(t, c.Proxies[1].Addr, 2)
	if v := other.MGet(ctx, keys[5], fresh[2]).Val(); v[0] != "5" || v[1] != "b" {
		t.Errorf("MGET through the other proxy = %v", v)
	}
}

// groupWriter writes generation numbers into every key of a group with
// cross-shard MSETs; readers check with MGET that a group never mixes
// generations.
type groupLoad struct {
	groups     [][]string
	gen        atomic.Int64
	writes     atomic.Int64
	writeErrs  atomic.Int64
	reads      atomic.Int64
	readErrs   atomic.Int64
	mixes      atomic.Int64
	conflicts  atomic.Int64 // writes that gave up on conflicts
	otherErrs  atomic.Int64
	firstMix   atomic.Pointer[string]
	firstError atomic.Pointer[string]
	wg         sync.WaitGroup
}

func (l *groupLoad) noteError(err error, counter *atomic.Int64) {
	counter.Add(1)
	msg := err.Error()
	if strings.HasPrefix(msg, "TXCONFLICT") {
		l.conflicts.Add(1)
		return
	}
	l.otherErrs.Add(1)
	l.firstError.CompareAndSwap(nil, &msg)
}

// run starts the writers and readers, spread over proxies (all of the
// cluster's if none are given).
func (l *groupLoad) run(t *testing.T, c *Cluster, writers, readers int, stop <-chan struct{}, proxies ...*Process) {
	if len(proxies) == 0 {
		proxies = c.Proxies
	}
	for w := range writers {
		cl := goRedis(t, proxies[w%len(proxies)].Addr, 2)
		l.wg.Go(func() {
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				g := l.groups[rng.IntN(len(l.groups))]
				gen := l.gen.Add(1)
				args := make([]any, 0, 2*len(g))
				for _, k := range g {
					args = append(args, k, gen)
				}
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := cl.MSet(cctx, args...).Err()
				cancel()
				if err != nil {
					l.noteError(err, &l.writeErrs)
					time.Sleep(5 * time.Millisecond)
					continue
				}
				l.writes.Add(1)
			}
		})
	}
	for r := range readers {
		cl := goRedis(t, proxies[r%len(proxies)].Addr, 3)
		l.wg.Go(func() {
			ctx := context.Background()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				g := l.groups[i%len(l.groups)]
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				vals, err := cl.MGet(cctx, g...).Result()
				cancel()
				if err != nil {
					l.noteError(err, &l.readErrs)
					time.Sleep(5 * time.Millisecond)
					continue
				}
				l.reads.Add(1)
				if mixed(vals) {
					l.mixes.Add(1)
					s := fmt.Sprintf("MGET %v = %v", g, vals)
					l.firstMix.CompareAndSwap(nil, &s)
				}
			}
		})
	}
}

// checkGroups reads every group until none is being decided and checks
// that each holds one generation.
func (l *groupLoad) checkGroups(t *testing.T, cl *redis.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, g := range l.groups {
		vals, err := cl.MGet(ctx, g...).Result()
		if err != nil {
			t.Fatalf("final MGET %v: %v", g, err)
		}
		if mixed(vals) {
			t.Errorf("group %v holds a mix after recovery: %v", g, vals)
		}
	}
}

func newGroupLoad(t *testing.T, c *Cluster, groups, size int) *groupLoad {
	l := &groupLoad{}
	for i := range groups {
		l.groups = append(l.groups, spreadKeys(t, c, fmt.Sprintf("g%d", i), size, 3))
	}
	return l
}

// Readers never see half of a cross-shard MSET, and with no faults
// nobody gets an error.
func TestCrossShardIsolation(t *testing.T) {
	c := startCluster(t, "--tx-timeout", txTimeout)
	l := newGroupLoad(t, c, 4, 6)
	stop := make(chan struct{})
	l.run(t, c, 4, 4, stop)
	time.Sleep(3 * time.Second)
	close(stop)
	l.wg.Wait()
	t.Logf("writes %d (errors %d, of which conflicts %d), reads %d (errors %d)", l.writes.Load(), l.writeErrs.Load(), l.conflicts.Load(), l.reads.Load(), l.readErrs.Load())
	if m := l.mixes.Load(); m > 0 {
		t.Errorf("%d reads saw a mix, e.g. %s", m, *l.firstMix.Load())
	}
	// Without faults the only error allowed is a write that gave up on
	// conflicts (and so changed nothing); it must stay rare.
	if e := l.otherErrs.Load(); e > 0 {
		t.Errorf("%d errors without faults, e.g. %s", e, *l.firstError.Load())
	}
	if c := l.conflicts.Load(); c*50 > l.writes.Load() {
		t.Errorf("%d of %d writes gave up on conflicts", c, l.writes.Load()+c)
	}
	if l.writes.Load() == 0 || l.reads.Load() == 0 {
		t.Fatal("no progress")
	}
	l.checkGroups(t, goRedis(t, c.Proxies[0].Addr, 2))
}

// Cross-shard MSETs stay all-or-nothing while proxies and shards are
// killed with SIGKILL at random moments and restarted: after recovery
// every group of keys holds one generation.
func TestCrossShardAtomicityUnderFaults(t *testing.T) {
	c := startCluster(t, "--tx-timeout", txTimeout)
	l := newGroupLoad(t, c, 6, 6)
	stop := make(chan struct{})
	l.run(t, c, 4, 2, stop)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for round := range 6 {
		time.Sleep(time.Duration(200+rng.IntN(400)) * time.Millisecond)
		var victims []*Process
		switch round % 3 {
		case 0:
			victims = []*Process{c.Proxies[rng.IntN(2)]}
		case 1:
			victims = []*Process{c.Shards[rng.IntN(3)]}
		case 2:
			victims = []*Process{c.Proxies[rng.IntN(2)], c.Shards[rng.IntN(3)]}
		}
		names := make([]string, len(victims))
		for i, p := range victims {
			p.Kill()
			names[i] = p.Name
		}
		t.Logf("round %d: killed %s", round, strings.Join(names, ", "))
		time.Sleep(time.Duration(50+rng.IntN(300)) * time.Millisecond)
		for _, p := range victims {
			p.Restart(t)
		}
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	l.wg.Wait()
	t.Logf("writes %d (errors %d), reads %d (errors %d), first error: %v", l.writes.Load(), l.writeErrs.Load(), l.reads.Load(), l.readErrs.Load(), ptrString(l.firstError.Load()))
	if m := l.mixes.Load(); m > 0 {
		t.Errorf("%d reads saw a mix, e.g. %s", m, *l.firstMix.Load())
	}
	if l.writes.Load() == 0 {
		t.Fatal("no write went through")
	}
	l.checkGroups(t, goRedis(t, c.Proxies[0].Addr, 2))
	// Nothing stays prepared: every shard settled what the dead proxies
	// left behind.
	deadline := time.Now().Add(20 * time.Second)
	for _, s := range c.Shards {
		sc := goRedis(t, s.Addr, 2)
		for {
			n, err := sc.Do(context.Background(), "SHARDIS.TXLIST").Slice()
			if err == nil && len(n) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still has prepared transactions: %v %v", s.Name, n, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func ptrString(p *string) string {
	if p == nil {
		return "none"
	}
	return *p
}

// Many clients MSET overlapping key sets in different orders: every one
// of them finishes (conflicts are retried inside the proxy), and no
// deadlock stalls them.
func TestCrossShardNoDeadlock(t *testing.T) {
	c := startCluster(t, "--tx-timeout", txTimeout)
	keys := spreadKeys(t, c, "dl", 6, 3)
	const clients, rounds = 8, 60
	var wg sync.WaitGroup
	var errs atomic.Int64
	var firstErr atomic.Pointer[string]
	for w := range clients {
		cl := goRedis(t, c.Proxies[w%2].Addr, 2)
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for i := range rounds {
				ks := slices.Clone(keys)
				rng.Shuffle(len(ks), func(a, b int) { ks[a], ks[b] = ks[b], ks[a] })
				ks = ks[:3+rng.IntN(4)]
				args := make([]any, 0, 2*len(ks))
				for _, k := range ks {
					args = append(args, k, fmt.Sprintf("%d-%d", w, i))
				}
				var err error
				if i%5 == 4 {
					err = cl.Del(context.Background(), ks...).Err()
				} else {
					err = cl.MSet(context.Background(), args...).Err()
				}
				if err != nil {
					errs.Add(1)
					msg := err.Error()
					firstErr.CompareAndSwap(nil, &msg)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("clients did not finish: deadlock")
	}
	if n := errs.Load(); n > 0 {
		t.Errorf("%d of %d transactions failed, e.g. %s", n, clients*rounds, *firstErr.Load())
	}
}

// The linearizability of cross-shard MSET, MGET and DEL, checked with
// porcupine over a history of concurrent clients on three keys that live
// on three shards. Every write spans at least two shards.
func TestCrossShardLinearizable(t *testing.T) {
	c := startCluster(t, "--tx-timeout", txTimeout)
	keys := spreadKeys(t, c, "lin", 3, 3)
	type input struct {
		op   string // mset, mget, del
		keys []int
		vals []string
	}
	type output struct {
		vals []string // mget ("" for nil)
		n    int64    // del
		err  bool
	}
	var mu sync.Mutex
	var history []porcupine.Operation
	var conflicts atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for cid := range 6 {
		cl := goRedis(t, c.Proxies[cid%2].Addr, 2)
		wg.Go(func() {
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(uint64(cid), 11))
			var lastErr string
			check := func(err error) bool {
				if err != nil {
					lastErr = err.Error()
				}
				return err != nil
			}
			for i := 0; time.Since(start) < 3*time.Second; i++ {
				var in input
				ks := rng.Perm(3)[:2+rng.IntN(2)]
				in.keys = ks
				names := make([]string, len(ks))
				for j, k := range ks {
					names[j] = keys[k]
				}
				call := time.Since(start).Nanoseconds()
				var out output
				switch r := rng.IntN(10); {
				case r < 4:
					in.op = "mset"
					args := make([]any, 0, 2*len(ks))
					for j := range ks {
						v := fmt.Sprintf("%d.%d.%d", cid, i, j)
						in.vals = append(in.vals, v)
						args = append(args, names[j], v)
					}
					out.err = check(cl.MSet(ctx, args...).Err())
				case r < 8:
					in.op = "mget"
					vals, err := cl.MGet(ctx, names...).Result()
					out.err = check(err)
					for _, v := range vals {
						s, _ := v.(string)
						out.vals = append(out.vals, s)
					}
				default:
					in.op = "del"
					n, err := cl.Del(ctx, names...).Result()
					out.n, out.err = n, check(err)
				}
				ret := time.Since(start).Nanoseconds()
				if out.err {
					// A write that gave up on conflicts changed nothing
					// (the error says so); it is left out of the
					// history. Any other error fails the test.
					if !strings.HasPrefix(lastErr, "TXCONFLICT") {
						t.Errorf("%s: %s", in.op, lastErr)
						return
					}
					conflicts.Add(1)
					continue
				}
				mu.Lock()
				history = append(history, porcupine.Operation{ClientId: cid, Input: in, Call: call, Output: out, Return: ret})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	model := porcupine.Model{
		Init: func() any { return [3]string{} },
		Step: func(state, in, out any) (bool, any) {
			s := state.([3]string)
			i, o := in.(input), out.(output)
			switch i.op {
			case "mset":
				for j, k := range i.keys {
					s[k] = i.vals[j]
				}
				return true, s
			case "mget":
				for j, k := range i.keys {
					if o.vals[j] != s[k] {
						return false, s
					}
				}
				return true, s
			default:
				var n int64
				for _, k := range i.keys {
					if s[k] != "" {
						n++
					}
					s[k] = ""
				}
				return n == o.n, s
			}
		},
		DescribeOperation: func(in, out any) string {
			i, o := in.(input), out.(output)
			return fmt.Sprintf("%s %v %v -> %v %d", i.op, i.keys, i.vals, o.vals, o.n)
		},
	}
	res := porcupine.CheckOperationsTimeout(model, history, time.Minute)
	t.Logf("%d operations (and %d writes that gave up on conflicts), result %v", len(history), conflicts.Load(), res)
	if res == porcupine.Illegal {
		t.Fatal("the history of cross-shard MSET/MGET/DEL is not linearizable")
	}
	if len(history) < 100 {
		t.Fatalf("only %d operations", len(history))
	}
}
