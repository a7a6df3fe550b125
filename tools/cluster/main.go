// Command cluster starts a complete local Shardis cluster with one
// command, from the workspace root:
//
//	go run ./tools/cluster --dir ./data
//
// It builds shardd, shardis-meta and shardis-proxy into DIR/bin, starts an
// embedded etcd (shardis-meta etcd), three shardd with AOF on, creates the
// cluster (shardis-meta init, skipped when DIR already holds one) and one
// proxy, then prints the redis-cli command to connect. Ctrl-C (or SIGTERM)
// stops the proxy, the shards and etcd, in that order, each cleanly. All
// state lives in DIR: etcd/, s1/ s2/ s3/ (AOF), logs/ and bin/; running
// it again on the same DIR brings the same cluster and data back.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run())
}

type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func run() int {
	dir := flag.String("dir", "./data", "directory for all data, logs and binaries")
	port := flag.Int("port", 6380, "proxy port")
	shardPort := flag.Int("shard-port", 7001, "first shard port; shards use this and the next two")
	shards := flag.Int("shards", 3, "number of shards")
	etcdPort := flag.Int("etcd-port", 2379, "etcd client port (the peer port is the next one)")
	metrics := flag.String("metrics", "127.0.0.1:9121", "proxy metrics/pprof address (\"\" = off)")
	flag.Parse()

	abs, err := filepath.Abs(*dir)
	if err != nil {
		return fail(err)
	}
	for _, sub := range []string{"bin", "logs", "etcd"} {
		if err := os.MkdirAll(filepath.Join(abs, sub), 0o755); err != nil {
			return fail(err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Println("building shardd, shardis-meta, shardis-proxy ...")
	bin := filepath.Join(abs, "bin")
	for _, b := range [][2]string{
		{"shardd", "./shardd/cmd/shardd"},
		{"shardis-meta", "./meta/cmd/shardis-meta"},
		{"shardis-proxy", "./proxy/cmd/shardis-proxy"},
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, b[0]), b[1])
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fail(fmt.Errorf("go build %s (run this from the workspace root): %w", b[1], err))
		}
	}

	var procs []*proc
	defer func() { stopAll(procs) }()
	start := func(name string, args ...string) (*proc, error) {
		logf, err := os.OpenFile(filepath.Join(abs, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(filepath.Join(bin, args[0]), args[1:]...)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.Dir = abs
		// Own process group: the terminal's Ctrl-C reaches only us, and we
		// stop the children in order.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			logf.Close()
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
		go func() { cmd.Wait(); logf.Close(); close(p.done) }()
		procs = append(procs, p)
		return p, nil
	}

	etcdAddr := fmt.Sprintf("127.0.0.1:%d", *etcdPort)
	p, err := start("etcd", "shardis-meta", "etcd", "--data-dir", filepath.Join(abs, "etcd"), "--listen", etcdAddr)
	if err != nil {
		return fail(err)
	}
	if err := waitTCP(ctx, p, etcdAddr); err != nil {
		return fail(err)
	}
	var addrs []string
	for i := 1; i <= *shards; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", *shardPort+i-1)
		sdir := filepath.Join(abs, fmt.Sprintf("s%d", i))
		if err := os.MkdirAll(sdir, 0o755); err != nil {
			return fail(err)
		}
		p, err := start(fmt.Sprintf("s%d", i), "shardd", "--port", strconv.Itoa(*shardPort+i-1), "--bind", "127.0.0.1",
			"--dir", sdir, "--appendonly", "yes")
		if err != nil {
			return fail(err)
		}
		if err := waitTCP(ctx, p, addr); err != nil {
			return fail(err)
		}
		addrs = append(addrs, addr)
	}
	meta := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "shardis-meta"), append([]string{"--etcd", etcdAddr}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := meta("slots"); err != nil {
		if !strings.Contains(out, "not initialized") && !strings.Contains(out, "no cluster") && !strings.Contains(out, "does not exist") {
			fmt.Fprint(os.Stderr, out)
		}
		out, err := meta("init", "--shards", strings.Join(addrs, ","))
		fmt.Print(out)
		if err != nil {
			return fail(errors.New("shardis-meta init failed"))
		}
	} else {
		fmt.Println("cluster found in", abs, "- resuming it")
	}
	proxyAddr := fmt.Sprintf("127.0.0.1:%d", *port)
	pargs := []string{"shardis-proxy", "--listen", proxyAddr, "--etcd", etcdAddr}
	if *metrics != "" {
		pargs = append(pargs, "--metrics", *metrics)
	}
	p, err = start("proxy", pargs...)
	if err != nil {
		return fail(err)
	}
	if err := waitTCP(ctx, p, proxyAddr); err != nil {
		return fail(err)
	}
	fmt.Printf("\nShardis is running: etcd %s, shards %s, proxy %s\n", etcdAddr, strings.Join(addrs, " "), proxyAddr)
	if *metrics != "" {
		fmt.Printf("metrics: http://%s/metrics\n", *metrics)
	}
	fmt.Printf("data and logs: %s\n\n    redis-cli -p %d\n\nCtrl-C stops everything.\n", abs, *port)

	select {
	case <-ctx.Done():
		fmt.Println("\nstopping ...")
	case <-anyDone(procs):
		for _, p := range procs {
			select {
			case <-p.done:
				fmt.Fprintf(os.Stderr, "%s exited; see %s\n", p.name, filepath.Join(abs, "logs", p.name+".log"))
			default:
			}
		}
		stopAll(procs)
		procs = nil
		return 1
	}
	stopAll(procs)
	procs = nil
	fmt.Println("stopped")
	return 0
}

// stopAll stops the processes in reverse start order: SIGTERM, then
// SIGKILL after 10s.
func stopAll(procs []*proc) {
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		select {
		case <-p.done:
			continue
		default:
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			fmt.Fprintf(os.Stderr, "%s did not stop in 10s; killing it\n", p.name)
			p.cmd.Process.Kill()
			<-p.done
		}
	}
}

func anyDone(procs []*proc) <-chan struct{} {
	ch := make(chan struct{})
	for _, p := range procs {
		go func() {
			<-p.done
			select {
			case ch <- struct{}{}:
			default:
			}
		}()
	}
	return ch
}

// waitTCP waits until addr accepts connections, p exits or 20s pass.
func waitTCP(ctx context.Context, p *proc, addr string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited during startup (is %s already in use?); see its log", p.name, addr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not listen on %s within 20s", p.name, addr)
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "cluster:", err)
	return 1
}
