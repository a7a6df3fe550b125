package daemon_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/shardis/shardis/shardd/internal/shardtest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(b)
}

func TestMetricsAndPprof(t *testing.T) {
	ctx := context.Background()
	addr := freeAddr(t)
	srv := shardtest.Start(t, "metrics-addr "+addr)
	c := srv.Client(t)
	for i := 0; i < 10; i++ {
		c.Set(ctx, fmt.Sprint("k", i), "v", 0)
	}
	c.Get(ctx, "k1")
	c.Do(ctx, "INCR", "k1") // fails: not an integer... it is "v"
	body := get(t, "http://"+addr+"/metrics")
	for _, want := range []string{
		`shardd_command_calls_total{command="set"} 10`,
		`shardd_command_failed_calls_total{command="incr"} 1`,
		`shardd_keys{db="0"} 10`,
		`shardd_command_duration_seconds_bucket{command="get",le="+Inf"} 1`,
		`shardd_connected_clients `,
		`shardd_tx_prepared 0`,
		`shardd_tx_settled_total 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !strings.Contains(get(t, "http://"+addr+"/debug/pprof/"), "goroutine") {
		t.Error("/debug/pprof/ does not list profiles")
	}
}
