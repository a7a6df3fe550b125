package engine_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// raw runs a raw command and returns its reply or error text.
func raw(t *testing.T, c *redis.Client, args ...any) any {
	t.Helper()
	v, err := c.Do(context.Background(), args...).Result()
	if err != nil && err != redis.Nil {
		return "ERR: " + err.Error()
	}
	return v
}

func wantReply(t *testing.T, c *redis.Client, want any, args ...any) {
	t.Helper()
	got := raw(t, c, args...)
	if ws, ok := want.(string); ok && strings.HasSuffix(ws, "*") {
		if gs, ok := got.(string); ok && strings.HasPrefix(gs, strings.TrimSuffix(ws, "*")) {
			return
		}
	} else if got == want {
		return
	}
	t.Fatalf("%v = %#v; want %#v", args, got, want)
}

// background runs f on a goroutine; its result arrives on the channel.
func background(f func() any) <-chan any {
	res := make(chan any, 1)
	go func() { res <- f() }()
	return res
}

// within returns what arrives on ch within d, or false for "nothing".
func within(ch <-chan any, d time.Duration) (any, bool) {
	select {
	case v := <-ch:
		return v, true
	case <-time.After(d):
		return nil, false
	}
}

func TestPrepareCommitMakesReadersWait(t *testing.T) {
	srv := shardtest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	c.Set(ctx, "a", "old", 0)
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "t1", "5000", "", "", "MSET", "a", "new", "b", "new")
	// A repeated PREPARE gets the same answer (MSET: always 0).
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "t1", "5000", "", "", "MSET", "a", "new", "b", "new")

	reader := srv.Client(t)
	read := background(func() any { return reader.Get(ctx, "a").Val() })
	if got, ok := within(read, 300*time.Millisecond); ok {
		t.Fatalf("GET of a prepared key returned %q before the decision", got)
	}
	// A write waits too, and runs after the commit.
	writer := srv.Client(t)
	write := background(func() any { return writer.Append(ctx, "b", "+w").Err() })
	time.Sleep(50 * time.Millisecond)
	wantReply(t, c, "OK", "SHARDIS.COMMIT", "t1")
	if err, ok := within(write, 5*time.Second); !ok || err != nil {
		t.Fatalf("APPEND after the commit: done %v, err %v", ok, err)
	}
	if got, _ := within(read, 5*time.Second); got != "new" {
		t.Errorf("waiting GET = %#v; want the committed value", got)
	}
	wantReply(t, c, "new+w", "GET", "b")
	// Commit is idempotent on the primary, which keeps the decision
	// until FORGET.
	wantReply(t, c, "OK", "SHARDIS.COMMIT", "t1")
	wantReply(t, c, "committed", "SHARDIS.TXSTATUS", "t1")
	wantReply(t, c, "ERR: TXCOMMITTED*", "SHARDIS.ABORT", "t1")
	wantReply(t, c, "OK", "SHARDIS.FORGET", "t1")
	wantReply(t, c, "ERR: TXUNKNOWN*", "SHARDIS.COMMIT", "t1")
}

func TestPrepareConflictsFailFast(t *testing.T) {
	srv := shardtest.Start(t)
	c := srv.Client(t)
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "t1", "5000", "", "", "MSET", "a", "1")
	wantReply(t, c, "ERR: TXCONFLICT*", "SHARDIS.PREPARE", "t2", "5000", "", "", "MSET", "b", "2", "a", "2")
	// t2 locked nothing.
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "t3", "5000", "", "", "DEL", "b")
	wantReply(t, c, "OK", "SHARDIS.ABORT", "t1")
	wantReply(t, c, "OK", "SHARDIS.ABORT", "t1") // idempotent
	wantReply(t, c, "OK", "SHARDIS.ABORT", "t3")
	wantReply(t, c, nil, "GET", "a")
	// An aborted transaction cannot commit.
	wantReply(t, c, "ERR: TXABORTED*", "SHARDIS.COMMIT", "t1")
	wantReply(t, c, "ERR: TXABORTED*", "SHARDIS.PREPARE", "t1", "5000", "", "", "MSET", "a", "1")
}

func TestPrepareMSETNXAndDEL(t *testing.T) {
	srv := shardtest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	c.Set(ctx, "x", "1", 0)
	// MSETNX votes no (the number of existing keys) and locks nothing.
	wantReply(t, c, int64(1), "SHARDIS.PREPARE", "n1", "5000", "", "", "MSETNX", "x", "2", "y", "2")
	wantReply(t, c, "OK", "SET", "y", "free")
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "n2", "5000", "", "", "MSETNX", "z", "3")
	wantReply(t, c, "OK", "SHARDIS.COMMIT", "n2")
	wantReply(t, c, "3", "GET", "z")
	// DEL answers how many of its keys exist, counting duplicates once.
	wantReply(t, c, int64(2), "SHARDIS.PREPARE", "d1", "5000", "", "", "DEL", "x", "y", "x", "nope")
	wantReply(t, c, "OK", "SHARDIS.COMMIT", "d1")
	wantReply(t, c, int64(0), "EXISTS", "x", "y")
	wantReply(t, c, "ERR: ERR unsupported transaction op*", "SHARDIS.PREPARE", "e1", "5000", "", "", "INCR", "x")
	wantReply(t, c, "ERR: ERR MSET needs key-value pairs", "SHARDIS.PREPARE", "e2", "5000", "", "", "MSET", "x")
	wantReply(t, c, "ERR: ERR invalid timeout", "SHARDIS.PREPARE", "e3", "-1", "", "", "MSET", "x", "1")
}

func TestLockReadBlocksPrepareAndWaitsForDecision(t *testing.T) {
	srv := shardtest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	c.MSet(ctx, "a", "1", "b", "2")
	v := raw(t, c, "SHARDIS.LOCKREAD", "r1", "5000", "MGET", "a", "b", "nope")
	if got, ok := v.([]any); !ok || len(got) != 3 || got[0] != "1" || got[1] != "2" || got[2] != nil {
		t.Fatalf("LOCKREAD MGET = %#v", v)
	}
	wantReply(t, c, "ERR: TXCONFLICT*", "SHARDIS.PREPARE", "t1", "5000", "", "", "MSET", "a", "9")
	// Plain writes do not wait for shared locks.
	wantReply(t, c, "OK", "SET", "b", "3")
	wantReply(t, c, "OK", "SHARDIS.UNLOCK", "r1")
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "t1", "5000", "", "", "MSET", "a", "9")

	reader := srv.Client(t)
	read := background(func() any { return raw(t, reader, "SHARDIS.LOCKREAD", "r2", "5000", "EXISTS", "a", "b") })
	if got, ok := within(read, 100*time.Millisecond); ok {
		t.Fatalf("LOCKREAD of a prepared key returned %#v before the decision", got)
	}
	wantReply(t, c, "OK", "SHARDIS.COMMIT", "t1")
	if got, _ := within(read, 5*time.Second); got != int64(2) {
		t.Fatalf("LOCKREAD after commit = %#v", got)
	}
	wantReply(t, c, "OK", "SHARDIS.UNLOCK", "r2")
	wantReply(t, c, "9", "GET", "a")
	// Unreleased shared locks expire.
	wantReply(t, c, int64(1), "SHARDIS.LOCKREAD", "r3", "50", "EXISTS", "a")
	deadline := time.Now().Add(5 * time.Second)
	for raw(t, c, "SHARDIS.PREPARE", "t2", "5000", "", "", "DEL", "a") != int64(1) {
		if time.Now().After(deadline) {
			t.Fatal("the shared lock of r3 did not expire")
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantReply(t, c, "OK", "SHARDIS.ABORT", "t2")
	wantReply(t, c, "ERR: ERR LOCKREAD runs MGET or EXISTS only", "SHARDIS.LOCKREAD", "r4", "50", "GET", "a")
}

// A writer refused because of shared locks leaves a write intent: new
// shared locks on its keys wait a moment, so readers cannot starve it.
func TestRefusedPrepareHoldsOffNewReaders(t *testing.T) {
	srv := shardtest.Start(t)
	c := srv.Client(t)
	wantReply(t, c, int64(0), "SHARDIS.LOCKREAD", "r1", "5000", "EXISTS", "k")
	wantReply(t, c, "ERR: TXCONFLICT*", "SHARDIS.PREPARE", "w1", "5000", "", "", "MSET", "k", "1")
	reader := srv.Client(t)
	start := time.Now()
	read := background(func() any { return raw(t, reader, "SHARDIS.LOCKREAD", "r2", "5000", "EXISTS", "k") })
	wantReply(t, c, "OK", "SHARDIS.UNLOCK", "r1")
	// The writer comes back within the intent and gets the key first.
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "w1", "5000", "", "", "MSET", "k", "1")
	wantReply(t, c, "OK", "SHARDIS.COMMIT", "w1")
	if got, _ := within(read, 5*time.Second); got != int64(1) {
		t.Fatalf("reader after the writer = %#v; want to see its write", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("reader waited %v", d)
	}
}

// The shared locks of a reader whose connection closes (a proxy that
// died) go with it, long before their ttl.
func TestLockReadEndsWithItsConnection(t *testing.T) {
	srv := shardtest.Start(t)
	c := srv.Client(t)
	reader := redis.NewClient(&redis.Options{Addr: srv.Addr})
	wantReply(t, reader, int64(0), "SHARDIS.LOCKREAD", "r1", "600000", "EXISTS", "k")
	wantReply(t, c, "ERR: TXCONFLICT*", "SHARDIS.PREPARE", "w1", "5000", "", "", "MSET", "k", "1")
	reader.Close()
	deadline := time.Now().Add(5 * time.Second)
	for raw(t, c, "SHARDIS.PREPARE", "w1", "5000", "", "", "MSET", "k", "1") != int64(0) {
		if time.Now().After(deadline) {
			t.Fatal("the shared lock outlived its connection")
		}
		time.Sleep(10 * time.Millisecond)
	}
	wantReply(t, c, "OK", "SHARDIS.COMMIT", "w1")
}

func TestTxStatusOfUnknownIsAbortForever(t *testing.T) {
	c := shardtest.Start(t).Client(t)
	wantReply(t, c, "aborted", "SHARDIS.TXSTATUS", "late")
	wantReply(t, c, "ERR: TXABORTED*", "SHARDIS.PREPARE", "late", "5000", "", "", "MSET", "k", "v")
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "p", "5000", "", "", "MSET", "k", "v")
	wantReply(t, c, "prepared", "SHARDIS.TXSTATUS", "p")
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// A primary whose coordinator did not come back commits once it learns
// that every participant prepared; with no secondaries, that is itself.
func TestPrimaryAloneCommitsAfterTimeout(t *testing.T) {
	c := shardtest.Start(t, "hz 100").Client(t)
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "t1", "100", "", "", "MSET", "k", "v")
	time.Sleep(50 * time.Millisecond)
	// A reader waits for the timeout's decision.
	wantReply(t, c, "v", "GET", "k")
	wantReply(t, c, "committed", "SHARDIS.TXSTATUS", "t1")
	wantReply(t, c, "OK", "SHARDIS.COMMIT", "t1")
	if v := raw(t, c, "SHARDIS.TXLIST"); len(v.([]any)) != 0 {
		t.Errorf("TXLIST = %#v; want none", v)
	}
}

// twoParticipants starts two shards with a cluster secret and returns
// them with internal clients.
func twoParticipants(t *testing.T) (primary, secondary *shardtest.Server, p, s *redis.Client) {
	t.Helper()
	primary = shardtest.Start(t, "hz 100", "cluster-secret s")
	secondary = shardtest.Start(t, "hz 100", "cluster-secret s")
	p = redis.NewClient(&redis.Options{Addr: primary.Addr, Username: "shardis", Password: "s"})
	s = redis.NewClient(&redis.Options{Addr: secondary.Addr, Username: "shardis", Password: "s"})
	t.Cleanup(func() { p.Close(); s.Close() })
	return primary, secondary, p, s
}

// A primary left prepared asks its secondaries: it commits when all of
// them prepared, aborts when one did not (which then refuses the late
// PREPARE), and keeps waiting while one cannot be reached.
func TestPrimaryRecoversThroughSecondaries(t *testing.T) {
	primary, secondary, p, s := twoParticipants(t)
	gone := freeAddr(t)

	wantReply(t, s, int64(0), "SHARDIS.PREPARE", "all", "60000", primary.Addr, "", "MSET", "s1", "1")
	wantReply(t, s, int64(0), "SHARDIS.PREPARE", "lost", "60000", primary.Addr, "", "MSET", "s3", "1")
	wantReply(t, p, int64(0), "SHARDIS.PREPARE", "all", "100", "", secondary.Addr, "MSET", "p1", "1")
	wantReply(t, p, int64(0), "SHARDIS.PREPARE", "some", "100", "", secondary.Addr, "MSET", "p2", "1")
	wantReply(t, p, int64(0), "SHARDIS.PREPARE", "lost", "100", "", secondary.Addr+","+gone, "MSET", "p3", "1")
	time.Sleep(50 * time.Millisecond)
	wantReply(t, p, "1", "GET", "p1") // waits for the decision: commit
	wantReply(t, p, nil, "GET", "p2") // the secondary never prepared "some"
	wantReply(t, s, "ERR: TXABORTED*", "SHARDIS.PREPARE", "some", "60000", primary.Addr, "", "MSET", "s2", "1")
	wantReply(t, p, "committed", "SHARDIS.TXSTATUS", "all")
	// The secondary still waits for the decision on "all" (its timeout
	// is long): the primary keeps it until told to forget.
	wantReply(t, s, "prepared", "SHARDIS.TXSTATUS", "all")
	wantReply(t, s, "OK", "SHARDIS.COMMIT", "all")
	wantReply(t, s, "1", "GET", "s1")
	// "lost" has a participant nobody can reach: it stays prepared (the
	// one that can be reached prepared it).
	time.Sleep(300 * time.Millisecond)
	v := raw(t, p, "SHARDIS.TXLIST")
	if l, ok := v.([]any); !ok || len(l) != 1 || l[0].([]any)[0] != "lost" {
		t.Fatalf("primary TXLIST = %#v; want lost only", v)
	}
}

// COMMIT, ABORT and FORGET take several ids; the reply lists each one's.
func TestDecisionsForSeveralTransactions(t *testing.T) {
	c := shardtest.Start(t).Client(t)
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "a", "5000", "", "", "MSET", "ka", "1")
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "b", "5000", "", "", "MSET", "kb", "1")
	wantReply(t, c, int64(0), "SHARDIS.PREPARE", "c", "5000", "", "", "MSET", "kc", "1")
	v := raw(t, c, "SHARDIS.COMMIT", "a", "b", "nope")
	if l, ok := v.([]any); !ok || len(l) != 3 || l[0] != "OK" || l[1] != "OK" {
		t.Fatalf("COMMIT a b nope = %#v", v)
	}
	if err, ok := v.([]any)[2].(error); !ok || !strings.HasPrefix(err.Error(), "TXUNKNOWN") {
		t.Fatalf("COMMIT of an unknown id in a batch = %#v", v)
	}
	v = raw(t, c, "SHARDIS.ABORT", "c", "late")
	if l, ok := v.([]any); !ok || len(l) != 2 || l[0] != "OK" || l[1] != "OK" {
		t.Fatalf("ABORT c late = %#v", v)
	}
	wantReply(t, c, "ERR: TXABORTED*", "SHARDIS.PREPARE", "late", "5000", "", "", "MSET", "kl", "1")
	wantReply(t, c, int64(2), "EXISTS", "ka", "kb")
	wantReply(t, c, int64(0), "EXISTS", "kc")
	v = raw(t, c, "SHARDIS.FORGET", "a", "b")
	if l, ok := v.([]any); !ok || len(l) != 2 {
		t.Fatalf("FORGET a b = %#v", v)
	}
	wantReply(t, c, "aborted", "SHARDIS.TXSTATUS", "a") // forgotten: unknown
}

// A secondary left prepared asks its primary for the decision and
// applies it; while the primary is undecided it keeps waiting.
func TestSecondaryResolvesThroughPrimary(t *testing.T) {
	primary, _, p, s := twoParticipants(t)

	wantReply(t, p, int64(0), "SHARDIS.PREPARE", "c1", "60000", "", "", "MSET", "pk", "1")
	wantReply(t, s, int64(0), "SHARDIS.PREPARE", "c1", "100", primary.Addr, "", "MSET", "sk", "1")
	wantReply(t, s, int64(0), "SHARDIS.PREPARE", "a1", "100", primary.Addr, "", "MSET", "sk2", "1")
	time.Sleep(400 * time.Millisecond)
	// The primary has not decided c1: the secondary keeps it.
	v := raw(t, s, "SHARDIS.TXLIST")
	if l, ok := v.([]any); !ok || len(l) != 1 || l[0].([]any)[0] != "c1" || l[0].([]any)[1] != "secondary" {
		t.Fatalf("secondary TXLIST = %#v; want c1 only (a1 is unknown to the primary, so aborted)", v)
	}
	wantReply(t, p, "OK", "SHARDIS.COMMIT", "c1")
	wantReply(t, s, "1", "GET", "sk") // waits until the secondary learns the decision
	wantReply(t, s, nil, "GET", "sk2")
	wantReply(t, p, "aborted", "SHARDIS.TXSTATUS", "a1")
}

func TestTwoPhaseCommandsAreInternal(t *testing.T) {
	c := shardtest.Start(t, "cluster-secret s").Client(t)
	wantReply(t, c, "ERR: NOPERM*", "SHARDIS.PREPARE", "t", "100", "", "", "MSET", "k", "v")
	wantReply(t, c, "ERR: NOPERM*", "SHARDIS.LOCKREAD", "r", "100", "MGET", "k")
}
