package daemon_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// Prepared transactions and a primary's decisions survive a restart, with
// or without an AOF rewrite in between: the AOF replays to the same locks
// and decisions.
func TestTwoPhaseStateSurvivesRestart(t *testing.T) {
	for _, rewrite := range []bool{false, true} {
		t.Run(fmt.Sprintf("rewrite=%v", rewrite), func(t *testing.T) {
			for _, preamble := range []string{"yes", "no"} {
				if !rewrite && preamble == "yes" {
					continue
				}
				testTwoPhaseRestart(t, rewrite, "aof-use-rdb-preamble "+preamble)
			}
		})
	}
}

func testTwoPhaseRestart(t *testing.T, rewrite bool, preamble string) {
	ctx := context.Background()
	dir := t.TempDir()
	conf := []string{"appendonly yes", "appendfsync always", preamble}
	srv := shardtest.Start(t, append([]string{"dir " + dir}, conf...)...)
	c := client(srv.Addr)
	must := func(want any, args ...any) {
		t.Helper()
		got, err := c.Do(ctx, args...).Result()
		if err != nil && err != redis.Nil {
			got = "ERR: " + err.Error()
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%v = %v; want %v", args, got, want)
		}
	}
	must("OK", "SET", "gone", "x")
	// Committed before the restart (and the decision kept: primary).
	must(0, "SHARDIS.PREPARE", "c1", "60000", "", "", "MSET", "a", "1", "b", "1")
	must("OK", "SHARDIS.COMMIT", "c1")
	// Committed in one message with another: each logged.
	must(0, "SHARDIS.PREPARE", "m1", "60000", "", "", "MSET", "m1", "1")
	must(0, "SHARDIS.PREPARE", "m2", "60000", "127.0.0.1:1", "", "MSET", "m2", "1")
	must("[OK OK]", "SHARDIS.COMMIT", "m1", "m2")
	// Prepared, undecided: locks come back.
	must(0, "SHARDIS.PREPARE", "p1", "60000", "", "127.0.0.1:1", "MSET", "a", "2", "c", "2")
	must(1, "SHARDIS.PREPARE", "p2", "60000", "127.0.0.1:1", "", "DEL", "gone")
	// Aborted: nothing left.
	must(0, "SHARDIS.PREPARE", "x1", "60000", "", "", "MSET", "d", "3")
	must("OK", "SHARDIS.ABORT", "x1")
	must("aborted", "SHARDIS.TXSTATUS", "never")
	if rewrite {
		must("Background append only file rewriting started", "BGREWRITEAOF")
		waitRewrite(t, c)
	}
	c.Close()
	srv = restart(t, srv, dir, conf...)
	c = client(srv.Addr)
	defer c.Close()

	list, err := c.Do(ctx, "SHARDIS.TXLIST").Slice()
	if err != nil || len(list) != 2 {
		t.Fatalf("TXLIST after restart = %v, %v; want p1 and p2", list, err)
	}
	must("committed", "SHARDIS.TXSTATUS", "c1")
	must("aborted", "SHARDIS.TXSTATUS", "x1")
	must("aborted", "SHARDIS.TXSTATUS", "never")
	must("ERR: TXABORTED transaction never was already decided", "SHARDIS.PREPARE", "never", "60000", "", "", "MSET", "z", "1")
	must("[1 <nil> 1 1]", "MGET", "b", "d", "m1", "m2")
	must("committed", "SHARDIS.TXSTATUS", "m1")
	must("OK", "SHARDIS.COMMIT", "p1")
	must("OK", "SHARDIS.COMMIT", "p2")
	must("[2 1 2 <nil>]", "MGET", "a", "b", "c", "gone")
}

func waitRewrite(t *testing.T, c *redis.Client) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := c.Info(context.Background(), "persistence").Val()
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrites:1") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rewrite did not finish:\n%s", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
