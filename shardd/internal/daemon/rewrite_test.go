package daemon_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// Rewrites under a full-speed multi-client write load finish, and the
// rewritten server ends in the state of a server that was fed the same
// commands and never rewritten, before and after a restart from its AOF.
// Both servers get the same deterministic stream: one generator per
// client, on keys of its own, so the interleaving of the clients does not
// matter. Client latency with and without a rewrite running is logged.
func TestRewriteUnderLoadMatchesNeverRewritten(t *testing.T) {
	const (
		writers  = 4
		rewrites = 4
	)
	seed := crashSeed(t)
	dirA := t.TempDir()
	// Rewritten: BGREWRITEAOF again and again, alternating the RDB and
	// the RESP base. Never rewritten: the same AOF settings otherwise.
	a := shardtest.Start(t, "dir "+dirA, "appendonly yes", "auto-aof-rewrite-percentage 0")
	b := shardtest.Start(t, "appendonly yes", "auto-aof-rewrite-percentage 0")

	// A dataset for the rewrites to copy while the load changes it: per
	// writer, strings (some with a TTL) and big collections.
	want := make([]model, writers)
	for w := range writers {
		want[w] = model{}
		for _, cmd := range preloadCommands(w) {
			want[w].apply(cmd)
		}
	}
	for _, addr := range []string{a.Addr, b.Addr} {
		preload(t, addr, writers)
	}

	// The rewritten server, under load until the rewrites are done.
	var rewriting atomic.Bool
	var flips atomic.Int64 // counts rewrite starts and ends
	stop := make(chan struct{})
	counts := make([]int, writers)
	during, between := runLoad(t, a.Addr, seed, writers, counts, stop, &rewriting, &flips)
	stopLoad := sync.OnceFunc(func() {
		close(stop)
		<-during.done
	})
	defer stopLoad() // on a t.Fatal
	ctx := context.Background()
	ctl := redis.NewClient(&redis.Options{Addr: a.Addr, Protocol: 2})
	defer ctl.Close()
	time.Sleep(100 * time.Millisecond) // some latency without a rewrite first
	for i := range rewrites {
		preamble := []string{"yes", "no"}[i%2]
		if err := ctl.ConfigSet(ctx, "aof-use-rdb-preamble", preamble).Err(); err != nil {
			t.Fatalf("CONFIG SET aof-use-rdb-preamble: %v", err)
		}
		rewriting.Store(true)
		flips.Add(1)
		start := time.Now()
		if err := ctl.Do(ctx, "BGREWRITEAOF").Err(); err != nil {
			t.Fatalf("BGREWRITEAOF: %v", err)
		}
		for rewriteRunning(t, ctl) {
			if time.Since(start) > 15*time.Second {
				t.Fatalf("rewrite %d did not finish in 15 s", i+1)
			}
			time.Sleep(2 * time.Millisecond)
		}
		rewriting.Store(false)
		flips.Add(1)
		t.Logf("rewrite %d (aof-use-rdb-preamble %s) took %v", i+1, preamble, time.Since(start).Round(time.Millisecond))
		time.Sleep(100 * time.Millisecond)
	}
	stopLoad()
	if t.Failed() {
		return
	}
	info := ctl.Info(ctx, "persistence").Val()
	if m := regexp.MustCompile(`aof_rewrites:(\d+)`).FindStringSubmatch(info); m == nil || atoi(m[1]) != rewrites {
		t.Errorf("INFO persistence says %v rewrites; want %d", m, rewrites)
	}
	if !regexp.MustCompile(`aof_last_bgrewrite_status:ok`).MatchString(info) {
		t.Error("the last rewrite did not succeed:\n" + info)
	}

	// The never-rewritten server, the same ops per client.
	_, base := runLoad(t, b.Addr, seed, writers, counts, nil, nil, nil)
	<-base.done
	total := 0
	for w := range writers {
		g := newOpGen(seed, w)
		ops := loadOps(g, rand.New(rand.NewPCG(seed, uint64(1000+w))), counts[w])
		for _, op := range ops {
			want[w].applyOp(op)
		}
		total += counts[w]
	}
	t.Logf("seed %d: %d ops from %d clients", seed, total, writers)
	t.Logf("latency on the rewritten server while a rewrite runs:  %s", during)
	t.Logf("latency on the rewritten server between rewrites:      %s", between)
	t.Logf("latency on the never-rewritten server (same load):     %s", base)

	never := readAll(t, b.Addr)
	expected := state{}
	for _, m := range want {
		for k, v := range m {
			expected[k] = v.render()
		}
	}
	if !expected.equal(never) {
		t.Errorf("the never-rewritten server differs from the model of the commands (want model, got server):\n%s",
			expected.diff(never))
	}
	if got := readAll(t, a.Addr); !never.equal(got) {
		t.Errorf("after the load, the rewritten server differs (want never-rewritten, got rewritten):\n%s", never.diff(got))
	}
	a.Close()
	a = shardtest.Start(t, "dir "+dirA, "appendonly yes", "auto-aof-rewrite-percentage 0")
	if got := readAll(t, a.Addr); !never.equal(got) {
		t.Errorf("after a restart, the rewritten server differs (want never-rewritten, got rewritten):\n%s", never.diff(got))
	}
}

// preloadCommands is writer w's dataset before the load.
func preloadCommands(w int) [][]string {
	p := "c" + strconv.Itoa(w) + ":"
	var cmds [][]string
	for i := range 10000 {
		cmd := []string{"SET", p + "p" + strconv.Itoa(i), "pre" + strconv.Itoa(i)}
		if i%10 == 0 {
			cmd = append(cmd, "EX", "3600")
		}
		cmds = append(cmds, cmd)
	}
	for j := range 5 {
		n := strconv.Itoa(j)
		for i := 0; i < 1000; i += 100 {
			h := []string{"HSET", p + "bh" + n}
			s := []string{"SADD", p + "bs" + n}
			l := []string{"RPUSH", p + "bl" + n}
			for x := i; x < i+100; x++ {
				h = append(h, "f"+strconv.Itoa(x), strconv.Itoa(x))
				s = append(s, "m"+strconv.Itoa(x))
				l = append(l, strconv.Itoa(x))
			}
			cmds = append(cmds, h, s, l)
			for x := i; x < i+100; x++ {
				cmds = append(cmds, []string{"ZADD", p + "bz" + n, strconv.Itoa(x % 37), "m" + strconv.Itoa(x)})
			}
		}
	}
	return cmds
}

// preload writes every writer's dataset into the server at addr.
func preload(t *testing.T, addr string, writers int) {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, Protocol: 2})
	defer c.Close()
	for w := range writers {
		cmds := preloadCommands(w)
		for len(cmds) > 0 {
			n := min(1000, len(cmds))
			if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, cmd := range cmds[:n] {
					p.Do(ctx, anyArgs(cmd)...)
				}
				return nil
			}); err != nil {
				t.Fatalf("preload: %v", err)
			}
			cmds = cmds[n:]
		}
	}
}

// loadOp is the load's next op: the generator's, or a change to the
// preloaded dataset, which the rewrites copy.
func loadOp(g *opGen, rng *rand.Rand) writerOp {
	if rng.IntN(2) == 0 {
		return g.next()
	}
	p := "c" + strconv.Itoa(g.w) + ":"
	n := strconv.Itoa(rng.IntN(5))
	x := strconv.Itoa(rng.IntN(1200))
	var cmd []string
	switch rng.IntN(5) {
	case 0:
		cmd = []string{"HSET", p + "bh" + n, "f" + x, "v" + x}
	case 1:
		cmd = []string{"SADD", p + "bs" + n, "m" + x}
	case 2:
		cmd = []string{"ZINCRBY", p + "bz" + n, "1", "m" + x}
	case 3:
		cmd = []string{"RPUSH", p + "bl" + n, x}
	default:
		cmd = []string{"SET", p + "p" + strconv.Itoa(rng.IntN(10000)), "w" + x}
	}
	return writerOp{cmds: [][]string{cmd}}
}

// loadOps is the first n ops of a writer's load.
func loadOps(g *opGen, rng *rand.Rand, n int) []writerOp {
	ops := make([]writerOp, n)
	for i := range ops {
		ops[i] = loadOp(g, rng)
	}
	return ops
}

// latencies collects command round trips.
type latencies struct {
	mu   sync.Mutex
	d    []time.Duration
	done chan struct{} // closed when the load ended
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return "no commands"
	}
	d := slices.Clone(l.d)
	slices.Sort(d)
	q := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return fmt.Sprintf("%7d ops  p50 %8v  p99 %8v  max %8v", len(d), q(0.50), q(0.99), d[len(d)-1])
}

// runLoad starts writers clients on addr. With stop, each runs until stop
// is closed and leaves its op count in counts; without, each runs
// counts[w] ops. Round trips go to during while rewriting is (or turned)
// true during the op, else to between; the result's done is closed when
// every writer finished.
func runLoad(t *testing.T, addr string, seed uint64, writers int, counts []int, stop chan struct{},
	rewriting *atomic.Bool, flips *atomic.Int64) (during, between *latencies) {
	t.Helper()
	during = &latencies{done: make(chan struct{})}
	between = &latencies{done: during.done}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, MaxRetries: -1, Protocol: 2})
			defer c.Close()
			g := newOpGen(seed, w)
			rng := rand.New(rand.NewPCG(seed, uint64(1000+w)))
			for i := 0; ; i++ {
				if stop == nil && i == counts[w] {
					return
				}
				if stop != nil {
					select {
					case <-stop:
						counts[w] = i
						return
					default:
					}
				}
				op := loadOp(g, rng)
				var f0 int64
				r0 := false
				if rewriting != nil {
					f0, r0 = flips.Load(), rewriting.Load()
				}
				start := time.Now()
				if err := doOp(ctx, c, op); err != nil {
					t.Errorf("writer %d: %v: %v", w, op, err)
					if stop != nil {
						<-stop
						counts[w] = i
					}
					return
				}
				d := time.Since(start)
				if rewriting != nil && (r0 || rewriting.Load() || flips.Load() != f0) {
					during.add(d)
				} else {
					between.add(d)
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(during.done)
	}()
	return during, between
}

// rewriteRunning reports INFO persistence's aof_rewrite_in_progress.
func rewriteRunning(t *testing.T, c *redis.Client) bool {
	t.Helper()
	info, err := c.Info(context.Background(), "persistence").Result()
	if err != nil {
		t.Fatalf("INFO: %v", err)
	}
	return regexp.MustCompile(`aof_rewrite_in_progress:1`).MatchString(info)
}
