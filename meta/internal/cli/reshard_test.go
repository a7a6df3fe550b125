package cli_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shardis/shardis/meta/internal/cli"
	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/pkg/topology"
	"github.com/shardis/shardis/pkg/topology/etcdtest"
)

// reshardCluster is an initialized cluster of real shards with keys
// written to their owners.
type reshardCluster struct {
	t    *testing.T
	env  map[string]string
	url  string
	topo *topology.Client
	keys int
}

// newReshardCluster starts etcd and n shards, initializes the cluster and
// writes keys keys, every other one with a TTL of an hour.
func newReshardCluster(t *testing.T, n, keys int) *reshardCluster {
	t.Helper()
	var addrs []string
	for range n {
		addr, _ := startShard(t)
		addrs = append(addrs, addr)
	}
	srv := etcdtest.Start(t)
	topo, err := topology.New(srv.Client(t), topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &reshardCluster{t: t, env: map[string]string{cli.EnvEtcd: srv.URL}, url: srv.URL, topo: topo, keys: keys}
	ok(t, c.env, "init", "--shards", strings.Join(addrs, ","))
	reg, m := c.load()
	ctx := testContext(t)
	pipes := map[string]redis.Pipeliner{}
	for i := range keys {
		k := fmt.Sprintf("key:%d", i)
		s, _ := reg.Shard(m.Owner[slot.OfString(k)])
		p := pipes[s.Addr]
		if p == nil {
			p = c.client(s.Addr).Pipeline()
			pipes[s.Addr] = p
		}
		var ttl time.Duration
		if i%2 == 0 {
			ttl = time.Hour
		}
		p.Set(ctx, k, "v"+k, ttl)
	}
	for addr, p := range pipes {
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("writing keys to %s: %v", addr, err)
		}
	}
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (c *reshardCluster) client(addr string) *redis.Client {
	cl := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	c.t.Cleanup(func() { cl.Close() })
	return cl
}

func (c *reshardCluster) load() (*topology.Registry, *topology.SlotMap) {
	c.t.Helper()
	reg, m, err := c.topo.Load(testContext(c.t))
	if err != nil {
		c.t.Fatal(err)
	}
	return reg, m
}

// check verifies the cluster after a job: no journal, no migration, every
// key on its owner with its TTL and nowhere else, and every shard's slot
// table saying what the map says at the map's version.
func (c *reshardCluster) check() *topology.SlotMap {
	t := c.t
	t.Helper()
	ctx := testContext(t)
	if j, err := c.topo.Reshard(ctx); !errors.Is(err, topology.ErrNoReshard) {
		t.Fatalf("journal after the job: %v, %v", j, err)
	}
	reg, m := c.load()
	if len(m.Migrations) != 0 {
		t.Fatalf("migrations left: %v", m.MigrationRanges())
	}
	var total int64
	for _, s := range reg.Shards {
		cl := c.client(s.Addr)
		n, err := cl.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		total += n
		got, err := cl.Do(ctx, migrate.GetSlots).StringSlice()
		if err != nil || len(got) == 0 {
			t.Fatalf("GETSLOTS on %s: %v, %v", s.ID, got, err)
		}
		var want []string
		for _, r := range m.RangesOf(s.ID) {
			want = append(want, fmt.Sprintf("%d-%d:o", r.First, r.Last))
		}
		if got[0] != fmt.Sprint(m.Version) || !slices.Equal(got[1:], want) {
			t.Fatalf("slot table of %s = %v; want version %d %v", s.ID, got, m.Version, want)
		}
	}
	if total != int64(c.keys) {
		t.Fatalf("the shards hold %d keys; want %d", total, c.keys)
	}
	for i := range c.keys {
		k := fmt.Sprintf("key:%d", i)
		s, _ := reg.Shard(m.Owner[slot.OfString(k)])
		cl := c.client(s.Addr)
		if v, err := cl.Get(ctx, k).Result(); err != nil || v != "v"+k {
			t.Fatalf("GET %s on its owner %s = %q, %v", k, s.ID, v, err)
		}
		ttl, err := cl.TTL(ctx, k).Result()
		if err != nil || (i%2 == 0) != (ttl > 59*time.Minute) || (i%2 == 1 && ttl != -1) {
			t.Fatalf("TTL of %s on %s = %v, %v", k, s.ID, ttl, err)
		}
	}
	return m
}

func TestReshardMoveRebalanceDrain(t *testing.T) {
	c := newReshardCluster(t, 2, 1000)
	env := c.env

	// Ranges reaching into s2's slots, which stay as they are.
	r := meta(t, env, "slots", "move", "0-99,8100-8291", "--to", "s2")
	if r.code != 0 || !strings.Contains(r.stdout, "done: moved 192 slots and ") || !strings.Contains(r.stderr, "batch 1/2 s1->s2 0-99 marking") {
		t.Fatalf("slots move: %v", r)
	}
	m := c.check()
	if got := m.Counts(); got["s1"] != 8000 || m.Owner[0] != "s2" || m.Owner[8100] != "s2" || m.Owner[100] != "s1" {
		t.Fatalf("after slots move: %v", m.Ranges())
	}
	ok(t, env, "slots", "move", "0-50", "--to", "s2") // nothing to move
	fails(t, env, 1, []string{"no such shard", "s9"}, "slots", "move", "1-2", "--to", "s9")

	// A dry run changes nothing.
	s3, _ := startShard(t)
	ok(t, env, "shard", "add", s3)
	out := squash(ok(t, env, "rebalance", "--dry-run"))
	for _, want := range []string{"plan: move 5461 slots in 22 batches of up to 256 slots (dry run", "s1 8000 5461", "s2 8384 5462", "s3 0 5461"} {
		if !strings.Contains(out, want) {
			t.Fatalf("rebalance --dry-run lacks %q:\n%s", want, out)
		}
	}
	if _, m2 := c.load(); m2.Version != m.Version {
		t.Fatalf("dry run changed the map to version %d", m2.Version)
	}
	ok(t, env, "shard", "remove", "s3")

	// Growing to three shards gives each its share, with the keys.
	s3, _ = startShard(t)
	out = ok(t, env, "shard", "add", s3, "--rebalance")
	if !strings.Contains(out, "added shard s4") || !strings.Contains(out, "done: moved 5461 slots") {
		t.Fatalf("shard add --rebalance printed %q", out)
	}
	m = c.check()
	for id, n := range m.Counts() {
		if n != 5461 && n != 5462 {
			t.Fatalf("after shard add --rebalance, %s owns %d slots: %v", id, n, m.Counts())
		}
	}
	if out := ok(t, env, "rebalance"); !strings.Contains(out, "spread evenly already") {
		t.Fatalf("a second rebalance printed %q", out)
	}
	if out := ok(t, env, "status"); !strings.Contains(out, "no resharding job in progress") {
		t.Fatalf("status:\n%s", out)
	}

	// Draining goes back to two shards, and unregisters the drained one.
	out = ok(t, env, "shard", "remove", "s4", "--drain", "--batch-slots", "4096")
	if !strings.Contains(out, "removed shard s4") {
		t.Fatalf("shard remove --drain printed %q", out)
	}
	m = c.check()
	if got := m.Counts(); got["s1"] != 8192 || got["s2"] != 8192 || len(got) != 2 {
		t.Fatalf("after the drain: %v", got)
	}
	if reg, _ := c.load(); len(reg.Shards) != 2 {
		t.Fatalf("registry after the drain: %v", reg.IDs())
	}
}

// metaBin builds shardis-meta once, for the tests that stop it by signal.
var metaBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "shardis-meta-bin-")
	if err != nil {
		return "", err
	}
	bin := dir + "/shardis-meta"
	out, err := exec.Command("go", "build", "-o", bin, "github.com/shardis/shardis/meta/cmd/shardis-meta").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build shardis-meta: %v\n%s", err, out)
	}
	return bin, nil
})

// startJob runs shardis-meta with args as a process, waits until the
// journal says that the copy moved more than after keys, then sends it sig
// and returns its exit code and stderr.
func (c *reshardCluster) startJob(sig syscall.Signal, after int64, args ...string) (int, string) {
	t := c.t
	t.Helper()
	bin, err := metaBin()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"--etcd", c.url}, args...)...)
	var errb syncBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx := testContext(t)
	for {
		j, err := c.topo.Reshard(ctx)
		if err == nil && j.Marked && j.KeysMoved > after {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("shardis-meta %v exited before it was stopped: %v\n%s", args, err, errb.String())
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			t.Fatalf("shardis-meta %v: no copy progress in the journal\n%s", args, errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("shardis-meta %v still running 20s after %v\n%s", args, sig, errb.String())
	}
	return cmd.ProcessState.ExitCode(), errb.String()
}

func (c *reshardCluster) journal() *topology.Reshard {
	c.t.Helper()
	j, err := c.topo.Reshard(testContext(c.t))
	if err != nil {
		c.t.Fatalf("journal: %v", err)
	}
	return j
}

func TestReshardInterruptAndResume(t *testing.T) {
	c := newReshardCluster(t, 2, 600)
	env := c.env

	// Ctrl-C stops the job after its current step, with the way out.
	code, stderr := c.startJob(syscall.SIGINT, 0, "slots", "move", "0-8191", "--to", "s2", "--batch-slots", "4096", "--max-keys-per-sec", "100")
	if code != 1 || !strings.Contains(stderr, "interrupted: job r-") || !strings.Contains(stderr, "'shardis-meta rebalance --resume' continues it") {
		t.Fatalf("after SIGINT: exit %d\n%s", code, stderr)
	}
	j := c.journal()
	if j.Current != 0 || !j.Marked || j.MaxKeysPerSec != 100 || len(j.Plan) != 2 {
		t.Fatalf("journal after SIGINT: %+v", j)
	}
	out := squash(ok(t, env, "status"))
	for _, want := range []string{"resharding job " + j.ID, "throttle 100 keys/s", "batch 1/2: 0-4095 s1 -> s2, marked", "plan: 0-8191 s1 -> s2", "MIGRATING FROM TO STATE\n0-4095 s1 s2 migrating"} {
		if !strings.Contains(out, want) {
			t.Fatalf("status lacks %q:\n%s", want, out)
		}
	}
	// No second job meanwhile.
	for _, args := range [][]string{{"rebalance"}, {"slots", "move", "1-2", "--to", "s1"}, {"shard", "remove", "s1", "--drain"}} {
		fails(t, env, 1, []string{"a resharding job is in progress: job " + j.ID, "rebalance --resume", "rebalance --abort"}, args...)
	}

	// A killed shardis-meta resumes too.
	code, stderr = c.startJob(syscall.SIGKILL, j.KeysMoved, "rebalance", "--resume")
	if code != -1 {
		t.Fatalf("after SIGKILL: exit %d\n%s", code, stderr)
	}
	// The killed run may have finished the first batch: either way, the
	// job ends where it should.
	out = ok(t, env, "rebalance", "--resume", "--max-keys-per-sec", "0")
	if !strings.Contains(out, "job "+j.ID+" done: moved ") {
		t.Fatalf("rebalance --resume printed %q", out)
	}
	m := c.check()
	if got := m.Counts(); got["s2"] != 16384 {
		t.Fatalf("after the resumed job: %v", got)
	}
	fails(t, env, 1, []string{"no resharding job in progress"}, "rebalance", "--resume")
}

func TestReshardAbort(t *testing.T) {
	c := newReshardCluster(t, 2, 600)
	_, before := c.load()
	code, stderr := c.startJob(syscall.SIGKILL, 0, "slots", "move", "0-8191", "--to", "s2", "--batch-slots", "8192", "--max-keys-per-sec", "100")
	if code != -1 {
		t.Fatalf("after SIGKILL: exit %d\n%s", code, stderr)
	}
	if out := ok(t, c.env, "rebalance", "--abort"); !strings.Contains(out, "aborted") {
		t.Fatalf("rebalance --abort printed %q", out)
	}
	m := c.check()
	if m.Owner != before.Owner || m.Version != before.Version+3 {
		t.Fatalf("after the abort: version %d, %v; want version %d, %v", m.Version, m.Ranges(), before.Version+3, before.Ranges())
	}
}
