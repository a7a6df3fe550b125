package integration

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shardis/shardis/pkg/topology"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shardis-integration-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, b := range [][2]string{
		{"shardd", "github.com/shardis/shardis/shardd/cmd/shardd"},
		{"shardis-meta", "github.com/shardis/shardis/meta/cmd/shardis-meta"},
		{"shardis-proxy", "github.com/shardis/shardis/proxy/cmd/shardis-proxy"},
	} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b[0]), b[1])
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "cannot build %s: %v\n", b[0], err)
			os.Exit(1)
		}
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Process is a running binary whose log is in the test directory.
type Process struct {
	Name string
	Addr string
	args []string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

var readyRE = regexp.MustCompile(`ready to accept connections.* addr=(\S+)`)

// start runs a binary and waits for its address: a "ready to accept
// connections addr=" log line, or the first stdout line for etcd.
func start(t *testing.T, dir, name string, args ...string) *Process {
	t.Helper()
	p := &Process{Name: name, args: args, dir: dir}
	p.launch(t)
	return p
}

func (p *Process) launch(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(p.dir, p.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, p.args[0]), p.args[1:]...)
	cmd.Dir = p.dir
	outR, outW, _ := os.Pipe()
	cmd.Stdout, cmd.Stderr = outW, outW
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.Name, err)
	}
	outW.Close()
	p.cmd, p.done = cmd, make(chan struct{})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if m := readyRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- strings.Trim(m[1], `"`):
				default:
				}
			} else if strings.HasPrefix(line, "http://") {
				select {
				case addr <- strings.TrimPrefix(line, "http://"):
				default:
				}
			}
		}
		logf.Close()
	}()
	go func() { cmd.Wait(); close(p.done) }()
	select {
	case a := <-addr:
		p.Addr = a
	case <-p.done:
		t.Fatalf("%s exited during startup; see %s", p.Name, filepath.Join(p.dir, p.Name+".log"))
	case <-time.After(30 * time.Second):
		t.Fatalf("%s not ready after 30s", p.Name)
	}
}

// Stop sends SIGTERM and waits.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// Kill kills the process at once (SIGKILL).
func (p *Process) Kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// Restart starts a stopped process again with the same arguments; a port
// 0 (--port 0, --listen host:0) is replaced by the old address's port.
func (p *Process) Restart(t *testing.T) {
	t.Helper()
	_, port, _ := strings.Cut(p.Addr, ":")
	for i, a := range p.args {
		switch {
		case a == "0" && i > 0 && p.args[i-1] == "--port":
			p.args[i] = port
		case strings.HasSuffix(a, ":0") && i > 0 && p.args[i-1] == "--listen":
			p.args[i] = p.Addr
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		old := p.Addr
		p.launch(t)
		if p.Addr == old || time.Now().After(deadline) {
			return
		}
	}
}

// Cluster is etcd, three shards and two proxies.
type Cluster struct {
	Dir     string
	Etcd    *Process
	Shards  []*Process
	Proxies []*Process
	Topo    *topology.Client
}

// startCluster starts a cluster of three shards for one test; proxyArgs
// are added to the proxies' command lines.
func startCluster(t *testing.T, proxyArgs ...string) *Cluster {
	t.Helper()
	return startClusterOf(t, 3, proxyArgs...)
}

// startClusterOf starts a cluster of n shards.
func startClusterOf(t *testing.T, n int, proxyArgs ...string) *Cluster {
	t.Helper()
	dir := t.TempDir()
	if os.Getenv("SHARDIS_KEEP") != "" {
		dir, _ = os.MkdirTemp("", "shardis-"+t.Name())
	}
	c := &Cluster{Dir: dir}
	var mu sync.Mutex
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range c.Proxies {
			p.Stop()
		}
		for _, p := range c.Shards {
			p.Stop()
		}
		if c.Etcd != nil {
			c.Etcd.Stop()
		}
		if t.Failed() {
			kept, _ := os.MkdirTemp("", "shardis-failed-")
			exec.Command("cp", "-r", dir, kept).Run()
			t.Logf("logs kept in %s", kept)
		}
	})
	must(t, os.MkdirAll(filepath.Join(dir, "etcd"), 0o755))
	c.Etcd = start(t, dir, "etcd", "shardis-meta", "etcd", "--data-dir", filepath.Join(dir, "etcd"), "--listen", "127.0.0.1:0")
	var addrs []string
	for range n {
		addrs = append(addrs, c.startShard(t).Addr)
	}
	out, err := exec.Command(filepath.Join(binDir, "shardis-meta"), "--etcd", c.Etcd.Addr, "init", "--shards", strings.Join(addrs, ",")).CombinedOutput()
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	for i := 1; i <= 2; i++ {
		args := append([]string{"shardis-proxy", "--listen", "127.0.0.1:0", "--etcd", c.Etcd.Addr, "--lease-ttl", "2s", "--backend-timeout", "3s"}, proxyArgs...)
		c.Proxies = append(c.Proxies, start(t, dir, fmt.Sprintf("proxy%d", i), args...))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cli, err := topology.Connect(ctx, []string{c.Etcd.Addr}, 5*time.Second)
	must(t, err)
	t.Cleanup(func() { cli.Close() })
	c.Topo, err = topology.New(cli, topology.Options{})
	must(t, err)
	// Both proxies have applied version 1.
	must(t, c.Topo.Barrier(ctx, 1, 5*time.Second))
	return c
}

// startShard starts one more shard process, s<N>, not registered yet.
func (c *Cluster) startShard(t *testing.T) *Process {
	t.Helper()
	name := fmt.Sprintf("s%d", len(c.Shards)+1)
	sdir := filepath.Join(c.Dir, name)
	must(t, os.MkdirAll(sdir, 0o755))
	s := start(t, c.Dir, name, "shardd", "--port", "0", "--dir", sdir, "--appendonly", "yes", "--appendfsync", "no")
	c.Shards = append(c.Shards, s)
	return s
}

// meta runs shardis-meta against the cluster's etcd and returns its
// output; the test fails if it fails.
func (c *Cluster) meta(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(binDir, "shardis-meta"), append([]string{"--etcd", c.Etcd.Addr}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("shardis-meta %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
