package daemon_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startProcess runs the shardd binary and returns its address, read from
// its "ready to accept connections" log line.
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
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := regexp.MustCompile(`ready to accept connections"? addr=(\S+)`)
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
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

// A shardd killed with SIGKILL in the middle of a write load keeps every
// write it acknowledged (appendfsync always), including writes made during
// a background rewrite, and comes back with no torn state.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process")
	}
	bin := filepath.Join(t.TempDir(), "shardd")
	build := exec.Command("go", "build", "-o", bin, "github.com/shardis/shardis/shardd/cmd/shardd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
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
