package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBinary builds shardis-meta and runs it as an operator would: an
// embedded etcd stopped by SIGTERM, and commands against it.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "shardis-meta")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	etcd := exec.Command(bin, "etcd", "--data-dir", filepath.Join(t.TempDir(), "etcd"), "--listen", "127.0.0.1:0")
	stdout, err := etcd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	etcd.Stderr = &logs
	if err := etcd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- etcd.Wait()
	}()
	t.Cleanup(func() { _ = etcd.Process.Kill() }) // fails harmlessly if it stopped
	var url string
	select {
	case url = <-lines:
	case err := <-exited:
		t.Fatalf("shardis-meta etcd exited: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("shardis-meta etcd printed no URL in 60s\n%s", logs.String())
	}

	run := func(env []string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), "goroutine ") {
			t.Fatalf("shardis-meta %v printed a stack trace:\n%s", args, out)
		}
		return string(out), code
	}
	if out, code := run([]string{"SHARDIS_ETCD=" + url}, "status"); code != 1 || !strings.Contains(out, "not initialized") {
		t.Fatalf("status on an empty etcd: exit %d: %s", code, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	out, code := run(nil, "--etcd", dead, "--timeout", "200ms", "slots")
	if want := fmt.Sprintf("shardis-meta: cannot reach etcd at %s: no answer within 200ms\n", dead); code != 1 || out != want {
		t.Fatalf("unreachable etcd: exit %d, output %q; want exit 1, %q", code, out, want)
	}
	if out, code := run(nil); code != 2 || !strings.Contains(out, "Usage: shardis-meta") {
		t.Fatalf("no arguments: exit %d: %s", code, out)
	}

	if err := etcd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("shardis-meta etcd exited with %v after SIGTERM\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("shardis-meta etcd still running 30s after SIGTERM\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `msg="etcd stopped"`) {
		t.Fatalf("no clean stop in the logs:\n%s", logs.String())
	}
}

// lockedBuffer collects a process's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
