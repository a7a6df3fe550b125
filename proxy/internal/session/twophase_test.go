package session

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shardis/shardis/pkg/twopc"
	"github.com/shardis/shardis/proxy/internal/shardtest"
)

// Cross-shard writes (two-phase commit) and isolated cross-shard reads,
// against real shardd.

// startShardd starts n shardd (the shard side of the protocol is
// shardd's; redis-server does not have it).
func startShardd(t *testing.T, n int) ([]*shardtest.Server, []string) {
	t.Helper()
	srvs, addrs := startShards(t, n)
	if srvs[0].Kind != "shardd" {
		t.Skip("cross-shard transactions need shardd")
	}
	return srvs, addrs
}

func arr(elems ...string) string {
	return "*" + strconv.Itoa(len(elems)) + "\r\n" + strings.Join(elems, "")
}

// The four commands across shards answer what one Redis would, all or
// nothing, with the primary (the first key's shard) on either side.
func TestCrossShardWriteReplies(t *testing.T) {
	_, addrs := startShardd(t, 2)
	p := startProxy(t, addrs, setup{})
	c := dial(t, p.Addr)
	a1, a2, a3 := onS1("a1"), onS1("a2"), onS1("a3")
	b1, b2, b3 := onS2("b1"), onS2("b2"), onS2("b3")
	steps := []struct {
		cmd  []string
		want string
	}{
		{[]string{"MSET", a1, "1", b1, "2"}, "+OK\r\n"},
		{[]string{"MGET", a1, b1, a2}, arr(bulk("1"), bulk("2"), nullBulk)},
		// Primary on s2; a key twice: the last value wins.
		{[]string{"MSET", b2, "x", a2, "y", b2, "z"}, "+OK\r\n"},
		{[]string{"MGET", b2, a2}, arr(bulk("z"), bulk("y"))},
		// MSETNX with a key that exists on the primary, then on a
		// secondary: nothing is written anywhere.
		{[]string{"MSETNX", a1, "n", b3, "n"}, intr(0)},
		{[]string{"MSETNX", b3, "n", a1, "n", a3, "n"}, intr(0)},
		{[]string{"MGET", a1, b3, a3}, arr(bulk("1"), nullBulk, nullBulk)},
		{[]string{"MSETNX", b3, "n", a3, "m"}, intr(1)},
		{[]string{"MGET", a3, b3}, arr(bulk("m"), bulk("n"))},
		// EXISTS counts a repeated key each time, as Redis does.
		{[]string{"EXISTS", a1, b1, a1, "missing" + b1}, intr(3)},
		{[]string{"TOUCH", a1, b1, a1}, intr(3)},
		// DEL counts the keys removed, a repeated one once.
		{[]string{"DEL", a1, b1, a1, onS2("missing")}, intr(2)},
		{[]string{"EXISTS", a1, b1}, intr(0)},
		{[]string{"UNLINK", b2, a2, a3, b3}, intr(4)},
		{[]string{"MGET", a2, b2, a3, b3}, arr(nullBulk, nullBulk, nullBulk, nullBulk)},
		{[]string{"MSET", a1, "1", b1}, "-ERR wrong number of arguments for 'mset' command\r\n"},
		{[]string{"MSETNX", a1, "1", b1}, "-ERR wrong number of arguments for 'msetnx' command\r\n"},
		// Other multi-key writes stay single-shard.
		{[]string{"RENAME", a1, b1}, "-" + errCrossSlot + "\r\n"},
	}
	for _, st := range steps {
		if got := c.do(st.cmd...); got != st.want {
			t.Errorf("%v: got %q; want %q", st.cmd, got, st.want)
		}
	}
	// Inside MULTI nothing changed: a cross-shard EXEC is refused.
	c.do("MULTI")
	c.do("MSET", a1, "1", b1, "2")
	if got := c.do("EXEC"); !strings.HasPrefix(got, "-EXECABORT") {
		t.Errorf("cross-shard MSET in MULTI: EXEC got %q; want EXECABORT", got)
	}
	info := c.do("INFO", "transactions")
	for _, want := range []string{"tx_started:7\r\n", "tx_committed:5\r\n", "tx_aborted:2\r\n", "tx_outcome_unknown:0\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO transactions lacks %q:\n%s", want, info)
		}
	}
}

// A client's pipeline keeps its order around cross-shard writes: earlier
// commands are answered first, later ones see the write.
func TestCrossShardWriteInPipeline(t *testing.T) {
	_, addrs := startShardd(t, 2)
	p := startProxy(t, addrs, setup{})
	c := dial(t, p.Addr)
	a, b := onS1("pipe"), onS2("pipe")
	var cmds [][]string
	var want []string
	for i := range 20 {
		v := strconv.Itoa(i)
		cmds = append(cmds,
			[]string{"SET", a, "pre" + v},
			[]string{"MSET", a, v, b, v},
			[]string{"GET", a},
			[]string{"MGET", b, a},
			[]string{"DEL", a, b},
			[]string{"GET", b},
		)
		want = append(want, "+OK\r\n", "+OK\r\n", bulk(v), arr(bulk(v), bulk(v)), intr(2), nullBulk)
	}
	c.send(cmds...)
	for i, w := range want {
		if got := c.read(); got != w {
			t.Fatalf("reply %d (%v): got %q; want %q", i, cmds[i], got, w)
		}
	}
}

func newRedis(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 16, ReadTimeout: 20 * time.Second})
	t.Cleanup(func() { rc.Close() })
	return rc
}

// Many clients MSET and DEL overlapping cross-shard key sets, in
// different orders: all finish without an error (conflicts are retried
// inside the proxy), and the final state is one that some serial order of
// the writes produces.
func TestCrossShardWritesConcurrent(t *testing.T) {
	_, addrs := startShardd(t, 2)
	p := startProxy(t, addrs, setup{})
	rc := newRedis(t, p.Addr)
	ctx := context.Background()
	var keys []string
	for i := range 3 {
		keys = append(keys, onS1("conc"+strconv.Itoa(i)), onS2("conc"+strconv.Itoa(i)))
	}
	const writers, rounds = 8, 40
	// sets records each written value's key set.
	var mu sync.Mutex
	sets := map[string][]string{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for r := range rounds {
				ks := slices.Clone(keys)
				rng.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
				ks = ks[:2+rng.IntN(len(ks)-1)]
				val := fmt.Sprintf("w%d-r%d", w, r)
				mu.Lock()
				sets[val] = ks
				mu.Unlock()
				var err error
				if r%7 == 6 {
					err = rc.Del(ctx, ks...).Err()
				} else {
					var kv []any
					for _, k := range ks {
						kv = append(kv, k, val)
					}
					err = rc.MSet(ctx, kv...).Err()
				}
				if err != nil {
					t.Errorf("writer %d round %d %v: %v", w, r, ks, err)
					return
				}
			}
		})
	}
	wg.Wait()
	vals, err := rc.MGet(ctx, keys...).Result()
	if err != nil {
		t.Fatal(err)
	}
	// Key k holds the value of the last write to it (nil: a DEL). Two
	// keys holding different writes' values are coherent unless each of
	// those writes covered both keys (then one of them came last for
	// both).
	last := make([]string, len(keys))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			last[i] = s
		}
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if last[i] == "" || last[j] == "" || last[i] == last[j] {
				continue
			}
			if slices.Contains(sets[last[i]], keys[j]) && slices.Contains(sets[last[j]], keys[i]) {
				t.Errorf("incoherent: %s=%s and %s=%s, but both writes covered both keys", keys[i], last[i], keys[j], last[j])
			}
		}
	}
}

// Readers never see half of a cross-shard write: writers MSET one
// generation to every key (in different key orders) while readers MGET
// and EXISTS across the shards.
func TestCrossShardReadsAreIsolated(t *testing.T) {
	_, addrs := startShardd(t, 2)
	p := startProxy(t, addrs, setup{})
	rc := newRedis(t, p.Addr)
	ctx := context.Background()
	var keys []string
	for i := range 2 {
		keys = append(keys, onS1("iso"+strconv.Itoa(i)), onS2("iso"+strconv.Itoa(i)))
	}
	// do runs a write; a TXCONFLICT (the proxy's retries ran out while
	// readers held the keys: reads take shared locks and writers fail
	// fast on them, see docs/proxy.md) is counted and retried.
	var gaveUp atomic.Int64
	do := func(cmd func() error) error {
		for {
			err := cmd()
			if err == nil || !strings.HasPrefix(err.Error(), twopc.ErrConflict+" ") {
				return err
			}
			gaveUp.Add(1)
		}
	}
	stop := make(chan struct{})
	var writers, readers sync.WaitGroup
	for w := range 3 {
		writers.Go(func() {
			for g := 0; g < 60; g++ {
				ks := slices.Clone(keys)
				if (w+g)%2 == 1 {
					slices.Reverse(ks)
				}
				var kv []any
				gen := fmt.Sprintf("w%d-g%d", w, g)
				for _, k := range ks {
					kv = append(kv, k, gen)
				}
				if err := do(func() error { return rc.MSet(ctx, kv...).Err() }); err != nil {
					t.Errorf("MSET: %v", err)
					return
				}
				if g%10 == 9 {
					if err := do(func() error { return rc.Del(ctx, ks...).Err() }); err != nil {
						t.Errorf("DEL: %v", err)
						return
					}
				}
			}
		})
	}
	var reads, mixed atomic.Int64
	for range 3 {
		readers.Go(func() {
			for mixed.Load() < 3 {
				select {
				case <-stop:
					return
				default:
				}
				vals, err := rc.MGet(ctx, keys...).Result()
				if err != nil {
					t.Errorf("MGET: %v", err)
					return
				}
				n, err := rc.Exists(ctx, keys...).Result()
				if err != nil {
					t.Errorf("EXISTS: %v", err)
					return
				}
				reads.Add(2)
				if n != 0 && n != int64(len(keys)) {
					mixed.Add(1)
					t.Errorf("EXISTS saw %d of %d keys", n, len(keys))
				}
				for _, v := range vals[1:] {
					if v != vals[0] {
						mixed.Add(1)
						t.Errorf("MGET saw a mix: %v", vals)
						break
					}
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	t.Logf("%d isolated reads; writes that gave up on conflicts and were retried by the client: %d", reads.Load(), gaveUp.Load())
}

// A key locked by a prepared transaction makes a proxied read wait for
// the decision; a cross-shard write that conflicts with it retries and
// gives up with TXCONFLICT, writing nothing.
func TestPreparedKeyMakesReadsWait(t *testing.T) {
	srvs, addrs := startShardd(t, 2)
	p := startProxy(t, addrs, setup{})
	a, b := onS1("held"), onS2("held")
	c := dial(t, p.Addr)
	if got := c.do("SET", a, "before"); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	shard := dial(t, srvs[0].Addr)
	if got := shard.do(twopc.Prepare, "test-tx-1", "30000", "", "", twopc.OpMSET, a, "after"); got != intr(0) {
		t.Fatalf("PREPARE: %q", got)
	}

	// The write cannot lock a and gives up after its retries.
	w := dial(t, p.Addr)
	start := time.Now()
	if got := w.do("MSET", b, "x", a, "x"); !strings.HasPrefix(got, "-TXCONFLICT ") {
		t.Errorf("MSET on a prepared key: got %q; want -TXCONFLICT ...", got)
	}
	t.Logf("MSET gave up after %v", time.Since(start))
	if got := w.do("GET", b); got != nullBulk {
		t.Errorf("GET %s after the refused MSET: got %q; want nil", b, got)
	}

	for _, cmd := range [][]string{{"GET", a}, {"MGET", b, a}, {"EXISTS", a, b}} {
		c.send(cmd)
	}
	c.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if raw, err := c.rd.Next(); err == nil {
		t.Fatalf("a read of a prepared key answered before the decision: %q", raw)
	}
	if got := shard.do(twopc.Commit, "test-tx-1"); got != "+OK\r\n" {
		t.Fatalf("COMMIT: %q", got)
	}
	for _, want := range []string{bulk("after"), arr(nullBulk, bulk("after")), intr(1)} {
		if got := c.read(); got != want {
			t.Errorf("after COMMIT: got %q; want %q", got, want)
		}
	}
}

// What happens when messages of a transaction go missing. The failing
// shards are scripted (a real one does not fail on demand); the
// secondary, where a case needs a real one, is a shardd.
func TestTransactionStepFailures(t *testing.T) {
	ok := func(r string) func(int64) string { return func(int64) string { return r } }
	lost := ok("") // "" closes the connection instead of answering
	lostFirst := func(r string) func(int64) string {
		return func(n int64) string {
			if n == 0 {
				return ""
			}
			return r
		}
	}
	cases := []struct {
		name string
		// The primary's answers to the n-th PREPARE, COMMIT and ABORT.
		prepare, commit, abort func(n int64) string
		// fakeSecondary makes the secondary a scripted shard too, which
		// answers like the primary.
		fakeSecondary bool
		want          string // the client's reply (a prefix)
		// secondary is what the real secondary holds afterwards:
		// "committed" (it applied the write), "prepared" (it waits to
		// settle the transaction with the primary) or "clean".
		secondary string
	}{
		{"commit reply lost, sent again", ok(":0\r\n"), lostFirst("+OK\r\n"), ok("+OK\r\n"), false, "+OK\r\n", "committed"},
		// Every participant prepared: the transaction committed, though
		// the primary does not know it yet.
		{"primary unreachable at commit", ok(":0\r\n"), lost, ok("+OK\r\n"), false, "+OK\r\n", "prepared"},
		// The primary may have prepared, but the secondary's abort makes
		// sure the transaction can never commit.
		{"prepare reply lost, aborted", lost, ok("+OK\r\n"), ok("+OK\r\n"), false, "-CLUSTERDOWN shard s1", "clean"},
		{"prepare and abort lost everywhere", lost, lost, lost, true, "-TRYAGAIN the outcome of the transaction is unknown", ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := func() string {
				var prepares, commits, aborts atomic.Int64
				return shardtest.NewFake(t, func(c *shardtest.FakeConn) {
					for {
						args, err := c.ReadCommand()
						if err != nil {
							return
						}
						r := "+OK\r\n"
						switch strings.ToUpper(args[0]) {
						case twopc.Prepare:
							r = tc.prepare(prepares.Add(1) - 1)
						case twopc.Commit:
							r = tc.commit(commits.Add(1) - 1)
						case twopc.Abort:
							r = tc.abort(aborts.Add(1) - 1)
						}
						if r == "" {
							return
						}
						c.Write([]byte(r))
					}
				}).Addr
			}
			addrs := []string{fake()}
			var secondary *client
			if tc.fakeSecondary {
				addrs = append(addrs, fake())
			} else {
				srvs, real := startShardd(t, 1)
				addrs = append(addrs, real[0])
				secondary = dial(t, srvs[0].Addr)
			}
			p := startProxy(t, addrs, setup{txTimeout: time.Minute})
			c := dial(t, p.Addr)
			a, b := onS1("fail"+strconv.Itoa(i)), onS2("fail"+strconv.Itoa(i))
			if got := c.do("MSET", a, "v", b, "v"); !strings.HasPrefix(got, tc.want) {
				t.Errorf("MSET: got %q; want %q...", got, tc.want)
			}
			switch tc.secondary {
			case "committed":
				// Waits for the COMMIT to arrive.
				if got := c.do("GET", b); got != bulk("v") {
					t.Errorf("GET %s on the secondary: got %q; want %q", b, got, bulk("v"))
				}
			case "prepared":
				if got := secondary.do(twopc.List); !strings.HasPrefix(got, "*1\r\n") {
					t.Errorf("TXLIST on the secondary: got %q; want the transaction still prepared", got)
				}
				// The proxy retries the COMMIT for a while, then leaves
				// the transaction to the shards and counts that.
				deadline := time.Now().Add(10 * time.Second)
				for !strings.Contains(c.do("INFO", "transactions"), "tx_messages_given_up:1\r\n") {
					if time.Now().After(deadline) {
						t.Fatalf("INFO transactions: %q; want one message given up", c.do("INFO", "transactions"))
					}
					time.Sleep(50 * time.Millisecond)
				}
			case "clean":
				if got := secondary.do(twopc.List); got != "*0\r\n" {
					t.Errorf("TXLIST on the secondary: got %q; want nothing prepared", got)
				}
				if got := secondary.do("EXISTS", b); got != intr(0) {
					t.Errorf("EXISTS %s on the secondary: got %q", b, got)
				}
			}
		})
	}
}
