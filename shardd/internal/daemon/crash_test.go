package daemon_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// buildShardd builds the shardd binary into a temporary directory.
func buildShardd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shardd")
	build := exec.Command("go", "build", "-o", bin, "github.com/shardis/shardis/shardd/cmd/shardd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs the shardd binary and returns its address, read from
// its "ready to accept connections" log line. The last lines of its log
// are shown if the test fails.
func startProcess(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var tail []string
	done := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		<-done
		if t.Failed() {
			mu.Lock()
			t.Logf("shardd pid %d, last log lines:\n%s", cmd.Process.Pid, strings.Join(tail, "\n"))
			mu.Unlock()
		}
	})
	ready := regexp.MustCompile(`ready to accept connections"? addr=(\S+)`)
	addrc := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			if tail = append(tail, sc.Text()); len(tail) > 20 {
				tail = tail[1:]
			}
			mu.Unlock()
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
	}()
	select {
	case addr := <-addrc:
		return cmd, addr
	case <-time.After(20 * time.Second):
		t.Fatal("shardd did not start")
		return nil, ""
	}
}

// kill9 kills a shardd with SIGKILL and reaps it.
func kill9(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// A shardd killed with SIGKILL in the middle of a write load keeps every
// write it acknowledged (appendfsync always), including writes made during
// a background rewrite, and comes back with no torn state.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process")
	}
	bin := buildShardd(t)
	dir := t.TempDir()
	args := []string{"--port", "0", "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes",
		"--appendfsync", "always", "--save", ""}
	cmd, addr := startProcess(t, bin, args...)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 8, MaxRetries: -1})
	defer c.Close()

	var acked sync.Map // key -> value acknowledged
	var n atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				k := fmt.Sprintf("w%d:%d", w, i%300)
				v := fmt.Sprintf("%d", i)
				if err := c.Set(ctx, k, v, 0).Err(); err != nil {
					return // the server died
				}
				acked.Store(k, v)
				n.Add(1)
			}
		}()
	}
	for n.Load() < 3000 {
		time.Sleep(5 * time.Millisecond)
	}
	c.Do(ctx, "BGREWRITEAOF")
	for n.Load() < 6000 {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	wg.Wait()

	_, addr = startProcess(t, bin, args...)
	c2 := redis.NewClient(&redis.Options{Addr: addr})
	defer c2.Close()
	lost := 0
	acked.Range(func(k, v any) bool {
		got, err := c2.Get(ctx, k.(string)).Result()
		// A later write may have reached the AOF without its reply
		// reaching us, so the value may be newer, never older or gone.
		if err != nil || atoi(got) < atoi(v.(string)) {
			lost++
			if lost < 5 {
				t.Errorf("key %s: got %q (%v); acknowledged %s", k, got, err, v)
			}
		}
		return true
	})
	if lost > 0 {
		t.Errorf("%d acknowledged writes lost after kill -9", lost)
	}
	if _, err := os.Stat(filepath.Join(dir, "appendonlydir")); err != nil {
		t.Error(err)
	}
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// With appendfsync always, a shardd killed again and again at random
// moments of a mixed write load (every type, transactions, TTLs, rewrites)
// keeps every acknowledged write, and two loads of the same AOF give the
// same state.
func TestKill9RepeatedlyAlways(t *testing.T) {
	testKill9Repeatedly(t, kill9Test{fsync: "always", kills: 5, minRun: 200 * time.Millisecond, maxRun: 1200 * time.Millisecond})
}

// With appendfsync everysec only the writes acknowledged in the last two
// seconds before a kill may be missing. (A kill -9 does not lose what
// reached the OS, so in practice nothing is missing; the test checks only
// what everysec promises.)
func TestKill9RepeatedlyEverySec(t *testing.T) {
	testKill9Repeatedly(t, kill9Test{fsync: "everysec", kills: 3, minRun: 2100 * time.Millisecond,
		maxRun: 2600 * time.Millisecond, mayLose: 2 * time.Second})
}

type kill9Test struct {
	fsync          string
	kills          int
	minRun, maxRun time.Duration // how long the load runs before a kill
	// mayLose is how long before the kill an acknowledged write may have
	// been acknowledged and still be missing.
	mayLose time.Duration
}

// crashSeed is the seed of a randomized test: $SHARDD_CRASH_SEED or the
// clock, logged so that a failure can be replayed (the command streams
// and kill times are the seed's; the scheduling is the machine's).
func crashSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SHARDD_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("SHARDD_CRASH_SEED: %v", err)
		}
	}
	t.Logf("seed %d (replay with SHARDD_CRASH_SEED=%d)", seed, seed)
	return seed
}

// writerLog is what one writer sent in one run: ops, of which the first
// len(acks) were acknowledged at the times in acks.
type writerLog struct {
	ops  []writerOp
	acks []time.Time
}

func testKill9Repeatedly(t *testing.T, tc kill9Test) {
	const writers = 4
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	bin := buildShardd(t)
	dir := t.TempDir()
	args := []string{"--port", "0", "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes",
		"--appendfsync", tc.fsync, "--save", "", "--auto-aof-rewrite-percentage", "0"}
	ctx := context.Background()

	gens := make([]*opGen, writers)
	models := make([]model, writers) // each writer's keys as the server has them
	for w := range gens {
		gens[w] = newOpGen(seed, w)
		models[w] = model{}
	}
	proc, addr := startProcess(t, bin, args...)
	for kill := 1; kill <= tc.kills; kill++ {
		// Load from every writer, a rewrite at a random moment in half
		// of the runs, and a kill -9 at a random moment.
		logs := make([]*writerLog, writers)
		var wg sync.WaitGroup
		for w := range writers {
			logs[w] = &writerLog{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, MaxRetries: -1, Protocol: 2})
				defer c.Close()
				l := logs[w]
				for {
					op := gens[w].next()
					l.ops = append(l.ops, op)
					if err := doOp(ctx, c, op); err != nil {
						var rerr redis.Error
						if errors.As(err, &rerr) {
							t.Errorf("writer %d: %v: %v", w, op, err)
						}
						return // the server died
					}
					l.acks = append(l.acks, time.Now())
				}
			}()
		}
		run := tc.minRun + time.Duration(rng.Int64N(int64(tc.maxRun-tc.minRun)+1))
		rewriteAt := time.Duration(-1)
		rewrite := "no rewrite"
		if rng.IntN(2) == 0 {
			rewriteAt = time.Duration(rng.Int64N(int64(run)))
			rewrite = "rewrite at " + rewriteAt.Round(time.Millisecond).String()
		}
		if rewriteAt >= 0 {
			time.Sleep(rewriteAt)
			c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, Protocol: 2})
			if err := c.Do(ctx, "BGREWRITEAOF").Err(); err != nil {
				t.Errorf("BGREWRITEAOF: %v", err)
			}
			c.Close()
			time.Sleep(run - rewriteAt)
		} else {
			time.Sleep(run)
		}
		killedAt := time.Now()
		kill9(proc)
		wg.Wait()
		if t.Failed() {
			return
		}

		// The first load: every writer's keys must hold what it had
		// acknowledged, possibly plus its one unacknowledged op.
		proc, addr = startProcess(t, bin, args...)
		first := readAll(t, addr)
		for w := range writers {
			l := logs[w]
			need := len(l.acks) // ops that must be there
			if tc.mayLose > 0 {
				need, _ = slices.BinarySearchFunc(l.acks, killedAt.Add(-tc.mayLose), time.Time.Compare)
			}
			actual := first.of(fmt.Sprintf("c%d:", w))
			got, m, ok := matchPrefix(models[w], l.ops, need, actual)
			if !ok {
				t.Errorf("kill %d (after %v, %s), writer %d: the state after the restart is not the state after "+
					"any %d..%d of its %d ops (%d acknowledged); differences from the acknowledged state:\n%s",
					kill, run, rewrite, w, need, len(l.ops), len(l.ops), len(l.acks),
					diffAfter(models[w], l.ops[:len(l.acks)], actual))
				continue
			}
			if got < len(l.acks) {
				t.Logf("kill %d, writer %d: %d of %d acknowledged ops missing (allowed: %d)",
					kill, w, len(l.acks)-got, len(l.acks), len(l.acks)-need)
			}
			models[w] = m
		}
		acked := 0
		for _, l := range logs {
			acked += len(l.acks)
		}
		t.Logf("kill %d after %v (%s): %d ops acknowledged, %d keys", kill, run.Round(time.Millisecond),
			rewrite, acked, len(first))

		// The second load of the same files, without writes in between,
		// gives the same state.
		kill9(proc)
		proc, addr = startProcess(t, bin, args...)
		if second := readAll(t, addr); !second.equal(first) {
			t.Errorf("kill %d: two loads of the same AOF differ:\n%s", kill, first.diff(second))
		}
		if t.Failed() {
			return
		}
	}
}

// doOp sends one op: a command, or a MULTI/EXEC block.
func doOp(ctx context.Context, c *redis.Client, op writerOp) error {
	if !op.tx {
		return ignoreNil(c.Do(ctx, anyArgs(op.cmds[0])...).Err())
	}
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, cmd := range op.cmds {
			p.Do(ctx, anyArgs(cmd)...)
		}
		return nil
	})
	if len(cmds) == 0 {
		return err
	}
	for _, cmd := range cmds {
		if err := ignoreNil(cmd.Err()); err != nil {
			return err
		}
	}
	return nil
}

func ignoreNil(err error) error {
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}

func anyArgs(args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

// A deterministic write load, and a model of what it does.
//
// Writer w works on its own keys, "c<w>:<kind><n>", each kind of one type,
// so that the writers' order relative to each other does not matter and
// no command fails: s strings (SET, SET EX, APPEND, GETDEL), n counters
// (INCRBY), l lists, h hashes, st sets, z sorted sets, plus DEL, EXPIRE,
// PEXPIREAT and PERSIST on any of them, and MULTI/EXEC blocks bracketed
// by INCR c<w>:txa and INCR c<w>:txb. Keys "c<w>:x<n>" live a few
// milliseconds (SET PX) and are neither modelled nor compared. The
// generator does not look at replies, so the same seed gives the same
// stream against any server.

// writerOp is one step of a writer: a command, or the commands of a
// MULTI/EXEC block.
type writerOp struct {
	cmds [][]string
	tx   bool
}

func (op writerOp) String() string {
	var parts []string
	for _, c := range op.cmds {
		parts = append(parts, strings.Join(c, " "))
	}
	if op.tx {
		return "MULTI; " + strings.Join(parts, "; ") + "; EXEC"
	}
	return parts[0]
}

// opGen generates writer w's stream.
type opGen struct {
	w   int
	rng *rand.Rand
	seq int // makes every written value distinct
}

func newOpGen(seed uint64, w int) *opGen {
	return &opGen{w: w, rng: rand.New(rand.NewPCG(seed, uint64(w)+1))}
}

func (g *opGen) key(kind string) string {
	return "c" + strconv.Itoa(g.w) + ":" + kind + strconv.Itoa(g.rng.IntN(4))
}

// keyOther is a key of the kind other than from.
func (g *opGen) keyOther(kind, from string) string {
	for {
		if k := g.key(kind); k != from {
			return k
		}
	}
}

func (g *opGen) next() writerOp {
	if g.rng.IntN(8) > 0 {
		return writerOp{cmds: [][]string{g.command()}}
	}
	p := "c" + strconv.Itoa(g.w) + ":"
	op := writerOp{tx: true, cmds: [][]string{{"INCR", p + "txa"}}}
	for range 1 + g.rng.IntN(3) {
		op.cmds = append(op.cmds, g.command())
	}
	op.cmds = append(op.cmds, []string{"INCR", p + "txb"})
	return op
}

func (g *opGen) command() []string {
	g.seq++
	v := strconv.Itoa(g.seq)
	small := func() string { return strconv.Itoa(g.rng.IntN(8)) }
	anyKey := func() string {
		return g.key([]string{"s", "n", "l", "h", "st", "z"}[g.rng.IntN(6)])
	}
	switch g.rng.IntN(30) {
	case 0, 1:
		return []string{"SET", g.key("s"), v}
	case 2:
		return []string{"SET", g.key("s"), v, "EX", "3600"}
	case 3:
		return []string{"APPEND", g.key("s"), "+" + v}
	case 4:
		return []string{"GETDEL", g.key("s")}
	case 5, 6:
		return []string{"INCRBY", g.key("n"), strconv.Itoa(g.rng.IntN(100) - 20)}
	case 7, 8:
		return []string{"RPUSH", g.key("l"), v, v + "b"}
	case 9:
		return []string{"LPUSH", g.key("l"), v}
	case 10:
		return []string{"LPOP", g.key("l")}
	case 11:
		return []string{"LTRIM", g.key("l"), "0", "9"}
	case 12:
		src := g.key("l")
		return []string{"LMOVE", src, g.keyOther("l", src), "LEFT", "RIGHT"}
	case 13, 14:
		return []string{"HSET", g.key("h"), "f" + small(), v, "f" + small(), v}
	case 15:
		return []string{"HDEL", g.key("h"), "f" + small()}
	case 16:
		return []string{"HINCRBY", g.key("h"), "count", "3"}
	case 17, 18:
		return []string{"SADD", g.key("st"), "m" + small(), "m" + small()}
	case 19:
		return []string{"SREM", g.key("st"), "m" + small()}
	case 20:
		return []string{"SPOP", g.key("st"), "100"} // all: a deterministic SPOP
	case 21:
		src := g.key("st")
		return []string{"SMOVE", src, g.keyOther("st", src), "m" + small()}
	case 22, 23:
		return []string{"ZADD", g.key("z"), strconv.Itoa(g.rng.IntN(50)), "m" + small()}
	case 24:
		return []string{"ZINCRBY", g.key("z"), "2", "m" + small()}
	case 25:
		return []string{"ZPOPMIN", g.key("z")}
	case 26:
		switch g.rng.IntN(3) {
		case 0:
			return []string{"DEL", anyKey()}
		case 1:
			return []string{"ZREM", g.key("z"), "m" + small()}
		default:
			return []string{"PERSIST", anyKey()}
		}
	case 27:
		return []string{"EXPIRE", anyKey(), "3600"}
	case 28:
		return []string{"PEXPIREAT", anyKey(), "4102444800000"} // 2100-01-01
	default:
		return []string{"SET", g.key("x"), v, "PX", strconv.Itoa(1 + g.rng.IntN(5))}
	}
}

// value is a modelled key.
type value struct {
	typ  string // string, list, hash, set, zset
	str  string
	list []string
	hash map[string]string
	set  map[string]bool
	zset map[string]float64
	ttl  bool
}

// model is a writer's keys as the commands left them.
type model map[string]*value

func (m model) clone() model {
	out := make(model, len(m))
	for k, v := range m {
		c := *v
		c.list = slices.Clone(v.list)
		if v.hash != nil {
			c.hash = make(map[string]string, len(v.hash))
			for f, x := range v.hash {
				c.hash[f] = x
			}
		}
		if v.set != nil {
			c.set = make(map[string]bool, len(v.set))
			for f := range v.set {
				c.set[f] = true
			}
		}
		if v.zset != nil {
			c.zset = make(map[string]float64, len(v.zset))
			for f, x := range v.zset {
				c.zset[f] = x
			}
		}
		out[k] = &c
	}
	return out
}

// get returns key k, created empty with type typ if missing.
func (m model) get(k, typ string) *value {
	if v := m[k]; v != nil {
		return v
	}
	v := &value{typ: typ, hash: map[string]string{}, set: map[string]bool{}, zset: map[string]float64{}}
	m[k] = v
	return v
}

// dropEmpty deletes k if it is an empty collection.
func (m model) dropEmpty(k string) {
	if v := m[k]; v != nil && v.typ != "string" && len(v.list)+len(v.hash)+len(v.set)+len(v.zset) == 0 {
		delete(m, k)
	}
}

// apply does one command of the generator's repertoire and returns the
// keys it may have changed.
func (m model) apply(cmd []string) []string {
	k := cmd[1]
	if strings.Contains(k, ":x") {
		return nil
	}
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch cmd[0] {
	case "SET":
		m[k] = &value{typ: "string", str: cmd[2], ttl: len(cmd) > 3}
	case "APPEND":
		m.get(k, "string").str += cmd[2]
	case "INCR", "INCRBY":
		v := m.get(k, "string")
		d := 1
		if len(cmd) > 2 {
			d = num(cmd[2])
		}
		v.str = strconv.Itoa(num(v.str) + d)
	case "GETDEL", "DEL", "SPOP":
		delete(m, k)
	case "RPUSH":
		v := m.get(k, "list")
		v.list = append(v.list, cmd[2:]...)
	case "LPUSH":
		v := m.get(k, "list")
		v.list = append([]string{cmd[2]}, v.list...)
	case "LPOP":
		if v := m[k]; v != nil {
			v.list = v.list[1:]
			m.dropEmpty(k)
		}
	case "LTRIM":
		if v := m[k]; v != nil && len(v.list) > 10 {
			v.list = v.list[:10]
		}
	case "LMOVE":
		if v := m[k]; v != nil {
			e := v.list[0]
			v.list = v.list[1:]
			d := m.get(cmd[2], "list")
			d.list = append(d.list, e)
			m.dropEmpty(k)
		}
		return []string{k, cmd[2]}
	case "HSET":
		v := m.get(k, "hash")
		for i := 2; i+1 < len(cmd); i += 2 {
			v.hash[cmd[i]] = cmd[i+1]
		}
	case "HDEL":
		if v := m[k]; v != nil {
			delete(v.hash, cmd[2])
			m.dropEmpty(k)
		}
	case "HINCRBY":
		v := m.get(k, "hash")
		v.hash[cmd[2]] = strconv.Itoa(num(v.hash[cmd[2]]) + num(cmd[3]))
	case "SADD":
		v := m.get(k, "set")
		for _, x := range cmd[2:] {
			v.set[x] = true
		}
	case "SREM":
		if v := m[k]; v != nil {
			delete(v.set, cmd[2])
			m.dropEmpty(k)
		}
	case "SMOVE":
		if v := m[k]; v != nil && v.set[cmd[3]] {
			delete(v.set, cmd[3])
			m.get(cmd[2], "set").set[cmd[3]] = true
			m.dropEmpty(k)
		}
		return []string{k, cmd[2]}
	case "ZADD":
		m.get(k, "zset").zset[cmd[3]] = float64(num(cmd[2]))
	case "ZINCRBY":
		m.get(k, "zset").zset[cmd[3]] += float64(num(cmd[2]))
	case "ZREM":
		if v := m[k]; v != nil {
			delete(v.zset, cmd[2])
			m.dropEmpty(k)
		}
	case "ZPOPMIN":
		if v := m[k]; v != nil {
			delete(v.zset, sortedZ(v.zset)[0].Member.(string))
			m.dropEmpty(k)
		}
	case "EXPIRE", "PEXPIREAT":
		if v := m[k]; v != nil {
			v.ttl = true
		}
	case "PERSIST":
		if v := m[k]; v != nil {
			v.ttl = false
		}
	default:
		panic("model: no " + cmd[0])
	}
	return []string{k}
}

func (m model) applyOp(op writerOp) []string {
	var keys []string
	for _, c := range op.cmds {
		keys = append(keys, m.apply(c)...)
	}
	return keys
}

func sortedZ(z map[string]float64) []redis.Z {
	out := make([]redis.Z, 0, len(z))
	for m, s := range z {
		out = append(out, redis.Z{Member: m, Score: s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score < out[j].Score
		}
		return out[i].Member.(string) < out[j].Member.(string)
	})
	return out
}

// render is the form readAll gives the key.
func (v *value) render() string {
	var s string
	switch v.typ {
	case "string":
		s = v.str
	case "list":
		s = strings.Join(v.list, ",")
	case "hash":
		var kv []string
		for f, x := range v.hash {
			kv = append(kv, f+"="+x)
		}
		sort.Strings(kv)
		s = strings.Join(kv, ",")
	case "set":
		var ms []string
		for x := range v.set {
			ms = append(ms, x)
		}
		sort.Strings(ms)
		s = strings.Join(ms, ",")
	case "zset":
		s = renderZ(sortedZ(v.zset))
	}
	return fmt.Sprintf("%s %s ttl=%v", v.typ, s, v.ttl)
}

func renderZ(z []redis.Z) string {
	var parts []string
	for _, x := range z {
		parts = append(parts, fmt.Sprint(x.Member)+":"+strconv.FormatFloat(x.Score, 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}

// matchPrefix finds the largest k >= need such that applying ops[:k] to
// base gives actual, and returns k and that state. (The largest: an op
// that changed nothing, like LPOP of an empty list, matches both ways.)
func matchPrefix(base model, ops []writerOp, need int, actual state) (int, model, bool) {
	m := base.clone()
	differ := map[string]bool{}
	check := func(k string) {
		want := ""
		if v := m[k]; v != nil {
			want = v.render()
		}
		if actual[k] != want {
			differ[k] = true
		} else {
			delete(differ, k)
		}
	}
	for k := range m {
		check(k)
	}
	for k := range actual {
		check(k)
	}
	found := -1
	for i := 0; ; i++ {
		if i >= need && len(differ) == 0 {
			found = i
		}
		if i == len(ops) {
			break
		}
		for _, k := range m.applyOp(ops[i]) {
			check(k)
		}
	}
	if found < 0 {
		return 0, nil, false
	}
	m = base.clone()
	for _, op := range ops[:found] {
		m.applyOp(op)
	}
	return found, m, true
}

// diffAfter describes how actual differs from base after ops.
func diffAfter(base model, ops []writerOp, actual state) string {
	m := base.clone()
	for _, op := range ops {
		m.applyOp(op)
	}
	want := state{}
	for k, v := range m {
		want[k] = v.render()
	}
	return want.diff(actual)
}

// state is a full dump of database 0: key -> "type value ttl=bool", with
// the short-lived "c<w>:x" keys left out.
type state map[string]string

// of returns the keys starting with prefix.
func (s state) of(prefix string) state {
	out := state{}
	for k, v := range s {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

func (s state) equal(o state) bool {
	if len(s) != len(o) {
		return false
	}
	for k, v := range s {
		if x, ok := o[k]; !ok || x != v {
			return false
		}
	}
	return true
}

// diff lists (up to 20) keys that differ: "key: want <s's> got <o's>".
func (s state) diff(o state) string {
	var keys []string
	for k := range s {
		if o[k] != s[k] {
			keys = append(keys, k)
		}
	}
	for k := range o {
		if _, ok := s[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i == 20 {
			fmt.Fprintf(&b, "... %d more\n", len(keys)-i)
			break
		}
		fmt.Fprintf(&b, "%s: want %q, got %q\n", k, s[k], o[k])
	}
	return b.String()
}

// readAll dumps database 0 of the server at addr with public commands
// only: KEYS, TYPE, the type's read command and PTTL, pipelined.
func readAll(t *testing.T, addr string) state {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, MaxRetries: -1, Protocol: 2})
	defer c.Close()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatalf("KEYS: %v", err)
	}
	keys = slices.DeleteFunc(keys, func(k string) bool { return strings.Contains(k, ":x") })
	out := state{}
	const batch = 1000
	for len(keys) > 0 {
		n := min(batch, len(keys))
		part := keys[:n]
		keys = keys[n:]
		types := make([]*redis.StatusCmd, n)
		if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range part {
				types[i] = p.Type(ctx, k)
			}
			return nil
		}); err != nil {
			t.Fatalf("TYPE: %v", err)
		}
		vals := make([]redis.Cmder, n)
		ttls := make([]*redis.DurationCmd, n)
		if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range part {
				switch types[i].Val() {
				case "string":
					vals[i] = p.Get(ctx, k)
				case "list":
					vals[i] = p.LRange(ctx, k, 0, -1)
				case "hash":
					vals[i] = p.HGetAll(ctx, k)
				case "set":
					vals[i] = p.SMembers(ctx, k)
				case "zset":
					vals[i] = p.ZRangeWithScores(ctx, k, 0, -1)
				default: // gone since KEYS (expired), or a type we do not write
					vals[i] = p.Type(ctx, k)
				}
				ttls[i] = p.PTTL(ctx, k)
			}
			return nil
		}); err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("reading values: %v", err)
		}
		for i, k := range part {
			var s string
			switch v := vals[i].(type) {
			case *redis.StringCmd:
				s = v.Val()
			case *redis.StringSliceCmd:
				if types[i].Val() == "set" {
					ms := v.Val()
					sort.Strings(ms)
					s = strings.Join(ms, ",")
				} else {
					s = strings.Join(v.Val(), ",")
				}
			case *redis.MapStringStringCmd:
				var kv []string
				for f, x := range v.Val() {
					kv = append(kv, f+"="+x)
				}
				sort.Strings(kv)
				s = strings.Join(kv, ",")
			case *redis.ZSliceCmd:
				s = renderZ(v.Val())
			default:
				if types[i].Val() == "none" {
					continue
				}
				s = "?"
			}
			out[k] = fmt.Sprintf("%s %s ttl=%v", types[i].Val(), s, ttls[i].Val() > 0)
		}
	}
	return out
}
