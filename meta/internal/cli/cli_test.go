package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardis/shardis/meta/internal/admin"
	"github.com/shardis/shardis/meta/internal/cli"
	"github.com/shardis/shardis/pkg/topology"
	"github.com/shardis/shardis/pkg/topology/etcdtest"
)

// result is what one shardis-meta run printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// meta runs shardis-meta in-process with the environment env.
func meta(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := cli.Run(ctx, args, func(k string) string { return env[k] }, &out, &errb)
	r := result{out.String(), errb.String(), code}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		t.Fatalf("shardis-meta %s printed a stack trace:\n%v", strings.Join(args, " "), r)
	}
	return r
}

// ok runs shardis-meta and fails the test unless it succeeds.
func ok(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	r := meta(t, env, args...)
	if r.code != 0 {
		t.Fatalf("shardis-meta %s: %v", strings.Join(args, " "), r)
	}
	return r.stdout
}

// fails runs shardis-meta and checks the exit code and that stderr has
// every one of wants.
func fails(t *testing.T, env map[string]string, code int, wants []string, args ...string) {
	t.Helper()
	r := meta(t, env, args...)
	if r.code != code {
		t.Fatalf("shardis-meta %s: got exit %d; want %d\n%v", strings.Join(args, " "), r.code, code, r)
	}
	for _, w := range wants {
		if !strings.Contains(r.stderr, w) {
			t.Fatalf("shardis-meta %s: stderr lacks %q\n%v", strings.Join(args, " "), w, r)
		}
	}
}

// squash collapses runs of spaces, so that tables can be matched without
// knowing the column widths.
func squash(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' }), " ")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// sharddBin builds the shardd binary of this workspace once for the tests.
var sharddBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "shardd-bin-")
	if err != nil {
		return "", err
	}
	bin := dir + "/shardd"
	out, err := exec.Command("go", "build", "-o", bin, "github.com/shardis/shardis/shardd/cmd/shardd").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build shardd: %v\n%s", err, out)
	}
	return bin, nil
})

// startShard starts a real shardd on a free port and returns its address
// and a function that stops it early.
func startShard(t *testing.T) (string, func()) {
	t.Helper()
	bin, err := sharddBin()
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", t.TempDir())
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		var once sync.Once
		stop := func() {
			once.Do(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				if attempt < 3 { // port taken meanwhile: try another
					goto retry
				}
				t.Fatalf("shardd exited: %s", logs.String())
			default:
			}
			if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
				c.Close()
				t.Cleanup(stop)
				return addr, stop
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		t.Fatalf("shardd on %s not up after 10s", addr)
	retry:
	}
}

func TestCluster(t *testing.T) {
	s1, _ := startShard(t)
	s2, _ := startShard(t)
	s3, stop3 := startShard(t)
	s4, _ := startShard(t)
	srv := etcdtest.Start(t)
	env := map[string]string{cli.EnvEtcd: srv.URL}

	fails(t, env, 1, []string{`cluster "default" is not initialized`, "shardis-meta init"}, "status")

	out := ok(t, env, "init", "--shards", s1+","+s2+","+s3)
	for _, want := range []string{"initialized cluster \"default\" with 3 shards", "s1 " + s1 + " 5462 0-5461", "s2 " + s2 + " 5461 5462-10922", "s3 " + s3 + " 5461 10923-16383"} {
		if !strings.Contains(squash(out), want) {
			t.Fatalf("init output lacks %q:\n%s", want, out)
		}
	}
	fails(t, env, 1, []string{`cluster "default" is already initialized`}, "init", "--shards", s4)

	// A shard: add, duplicates, unreachable, explicit ID.
	if out := ok(t, env, "shard", "add", s4); !strings.Contains(out, "added shard s4 at "+s4) {
		t.Fatalf("shard add printed %q", out)
	}
	fails(t, env, 1, []string{s4 + " is already registered as shard s4"}, "shard", "add", s4)
	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	fails(t, env, 1, []string{"shard " + dead + " does not answer PING", "connection refused"}, "shard", "add", dead)
	fails(t, env, 1, []string{`invalid address "nope"`}, "shard", "add", "nope")
	s5, _ := startShard(t)
	fails(t, env, 1, []string{"shard ID s1 is already registered"}, "shard", "add", s5, "--id", "s1")
	if out := ok(t, env, "shard", "add", "--id", "extra", s5); !strings.Contains(out, "added shard extra") {
		t.Fatalf("shard add --id printed %q", out)
	}

	out = ok(t, env, "shard", "list")
	for _, want := range []string{"SHARD ADDR SLOTS RANGES", "s1 " + s1 + " 5462 0-5461", "s4 " + s4 + " 0 -", "extra " + s5 + " 0 -"} {
		if !strings.Contains(squash(out), want) {
			t.Fatalf("shard list lacks %q:\n%s", want, out)
		}
	}

	// Removal: refused while the shard owns slots, with the way out.
	fails(t, env, 1, []string{"shard s2 owns 5461 slots (5462-10922)", "shardis-meta slots move 5462-10922 --to s1"}, "shard", "remove", "s2")
	fails(t, env, 1, []string{"no such shard", "s9"}, "shard", "remove", "s9")
	if out := ok(t, env, "shard", "remove", "extra"); !strings.Contains(out, "removed shard extra ("+s5+")") {
		t.Fatalf("shard remove printed %q", out)
	}

	// Slots: table and JSON.
	out = ok(t, env, "slots")
	for _, want := range []string{"slot map version 1", "s2 " + s2 + " 5461 5462-10922", "s4 " + s4 + " 0 -", "no migrations in progress"} {
		if !strings.Contains(squash(out), want) {
			t.Fatalf("slots lacks %q:\n%s", want, out)
		}
	}
	var sr admin.SlotsReport
	if err := json.Unmarshal([]byte(ok(t, env, "slots", "--json")), &sr); err != nil {
		t.Fatal(err)
	}
	if sr.Version != 1 || len(sr.Shards) != 4 || sr.Shards[1].Ranges[0] != [2]int{5462, 10922} || sr.Shards[3].Slots != 0 || len(sr.Shards[3].Ranges) != 0 {
		t.Fatalf("slots --json = %+v", sr)
	}

	// Write some keys, register a proxy and start a migration, then
	// check that status shows all of it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The keys are of slots that s1 owns: init gave every shard its slot
	// table, so s1 refuses the others.
	if r, err := exec.Command("redis-cli", "-p", strings.TrimPrefix(s1, "127.0.0.1:"), "mset", "d", "1", "e", "2").CombinedOutput(); err != nil || strings.TrimSpace(string(r)) != "OK" {
		t.Fatalf("redis-cli: %v: %s", err, r)
	}
	topo, err := topology.New(srv.Client(t), topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := topo.Register(ctx, topology.Proxy{ID: "px", Addr: "127.0.0.1:6380", Version: 1}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close(ctx)
	if _, err := topo.UpdateSlotMap(ctx, func(m *topology.SlotMap, _ *topology.Registry) error {
		for s := 10; s <= 20; s++ {
			m.Migrations[s] = topology.Migration{From: "s1", To: "s4", State: topology.Migrating}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A transaction left prepared (its coordinator gone) for more than
	// two seconds is listed as in doubt.
	if r, err := exec.Command("redis-cli", "-p", strings.TrimPrefix(s1, "127.0.0.1:"), "shardis.prepare", "tx-lost", "60000", "", "", "MSET", "x", "3").CombinedOutput(); err != nil || strings.TrimSpace(string(r)) != "0" {
		t.Fatalf("redis-cli shardis.prepare: %v: %s", err, r)
	}
	time.Sleep(admin.InDoubtAge + 100*time.Millisecond)
	stop3()
	out = ok(t, env, "status")
	for _, want := range []string{
		"slot map version 2",
		"s1 " + s1 + " up 5462 2 ",
		"s3 " + s3 + " DOWN 5461 ? ?",
		"s3: shard " + s3 + ": INFO:",
		"px 127.0.0.1:6380 1 (behind)",
		"MIGRATING FROM TO STATE\n10-20 s1 s4 migrating",
		"IN-DOUBT TX SHARD ROLE AGE OP KEYS\ntx-lost s1 primary 2.",
	} {
		if !strings.Contains(squash(out), want) {
			t.Fatalf("status lacks %q:\n%s", want, out)
		}
	}
	var st admin.StatusReport
	if err := json.Unmarshal([]byte(ok(t, env, "status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Version != 2 || len(st.Shards) != 4 || len(st.Proxies) != 1 || len(st.Migrations) != 1 || len(st.InDoubt) != 1 {
		t.Fatalf("status --json = %+v", st)
	}
	if sh := st.Shards[0]; !sh.Up || sh.Keys == nil || *sh.Keys != 2 || sh.Memory == nil || *sh.Memory <= 0 || sh.Slots != 5462 {
		t.Fatalf("status --json shard s1 = %+v; want up with 2 keys and some memory", sh)
	}
	if sh := st.Shards[2]; sh.Up || sh.Error == "" || sh.Keys != nil {
		t.Fatalf("status --json shard s3 = %+v; want down with an error", sh)
	}
	if p := st.Proxies[0]; p.ID != "px" || p.Version != 1 || !p.Behind {
		t.Fatalf("status --json proxy = %+v", p)
	}
	// The migration's target cannot be removed either.
	fails(t, env, 1, []string{"shard s4 takes part in a slot migration"}, "shard", "remove", "s4")
}

func TestEtcdEndpoints(t *testing.T) {
	srv := etcdtest.Start(t)
	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t))

	// Unreachable etcd: the error names the endpoint and comes quickly.
	start := time.Now()
	fails(t, nil, 1, []string{"cannot reach etcd at " + dead, "no answer within 300ms"}, "--etcd", dead, "--timeout", "300ms", "status")
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("an unreachable etcd took %v to report", d)
	}
	fails(t, map[string]string{cli.EnvEtcd: dead}, 1, []string{"cannot reach etcd at " + dead}, "shard", "list", "--timeout", "300ms")

	// --etcd wins over SHARDIS_ETCD, before or after the command.
	env := map[string]string{cli.EnvEtcd: dead}
	fails(t, env, 1, []string{"not initialized"}, "--etcd", srv.URL, "status")
	fails(t, env, 1, []string{"not initialized"}, "status", "--etcd", srv.URL)
	// SHARDIS_ETCD alone is used.
	fails(t, map[string]string{cli.EnvEtcd: srv.URL}, 1, []string{"not initialized"}, "slots")
	// --cluster selects another cluster in the same etcd.
	fails(t, map[string]string{cli.EnvEtcd: srv.URL}, 1, []string{`cluster "blue" is not initialized`}, "--cluster", "blue", "slots")
}

func TestUsage(t *testing.T) {
	if r := meta(t, nil, "help"); r.code != 0 || !strings.Contains(r.stdout, "Usage: shardis-meta") {
		t.Fatalf("help: %v", r)
	}
	if r := meta(t, nil, "-h"); r.code != 0 || !strings.Contains(r.stdout, "Usage: shardis-meta") {
		t.Fatalf("-h: %v", r)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"--nope", "status"}, "flag provided but not defined: -nope"},
		{[]string{"status", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"status", "extra"}, `unexpected argument "extra"`},
		{[]string{"shard"}, "want a subcommand"},
		{[]string{"shard", "grow"}, `unknown subcommand "grow"`},
		{[]string{"shard", "add"}, "want one address"},
		{[]string{"shard", "remove"}, "want one shard ID"},
		{[]string{"init"}, "--shards host:port,... is required"},
		{[]string{"slots", "move", "0-5"}, "want FIRST-LAST[,...] --to SHARD"},
		{[]string{"slots", "move", "0-16384", "--to", "s1"}, `invalid slot range "0-16384"`},
		{[]string{"rebalance", "--resume", "--abort"}, "exclude one another"},
		{[]string{"rebalance", "--batch-slots", "0"}, "--batch-slots must be at least 1"},
		{[]string{"shard", "remove", "s1", "--drain", "--max-keys-per-sec", "-1"}, "--max-keys-per-sec must not be negative"},
		{[]string{"etcd"}, "--data-dir is required"},
		{[]string{"etcd", "--data-dir", "x", "--log-level", "loud"}, "--log-level"},
		{[]string{"--cluster", "a/b", "status"}, "invalid cluster name"},
		{[]string{"--timeout", "0s", "status"}, "--timeout must be positive"},
	} {
		r := meta(t, nil, tc.args...)
		if r.code != cli.ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("shardis-meta %v: got %v; want exit 2 and %q", tc.args, r, tc.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and a polling reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEtcdCommand(t *testing.T) {
	dir := t.TempDir() + "/etcd" // etcd creates it with mode 0700
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	code := make(chan int, 1)
	args := []string{"etcd", "--data-dir", dir, "--listen", "127.0.0.1:0"}
	go func() { code <- cli.Run(ctx, args, func(string) string { return "" }, &out, &errb) }()
	url := ""
	for deadline := time.Now().Add(60 * time.Second); url == ""; {
		if line, _, found := strings.Cut(out.String(), "\n"); found {
			url = line
			break
		}
		select {
		case c := <-code:
			t.Fatalf("etcd exited with %d: %s", c, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed in 60s: %s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("printed URL %q; want http://127.0.0.1:<port>", url)
	}
	fails(t, map[string]string{cli.EnvEtcd: url}, 1, []string{"not initialized"}, "status")

	// A second member on the same client port fails with a clear error.
	port := strings.TrimPrefix(url, "http://")
	fails(t, nil, 1, []string{"cannot start etcd", "address already in use"}, "etcd", "--data-dir", t.TempDir(), "--listen", port)

	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("etcd exited with %d after a clean stop: %s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("etcd did not stop within 30s")
	}
	logs := errb.String()
	for _, want := range []string{`msg="etcd ready"`, `msg="etcd stopped"`} {
		if !strings.Contains(logs, want) {
			t.Fatalf("logs lack %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "level=WARN") {
		t.Fatalf("a clean run logged warnings or errors:\n%s", logs)
	}
}
