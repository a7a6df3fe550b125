package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// do runs raw commands on one connection and returns each reply as text.
func do(t *testing.T, c *redis.Conn, cmds ...[]any) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, cmd := range cmds {
		v, err := c.Do(ctx, cmd...).Result()
		switch {
		case errors.Is(err, redis.Nil):
			out = append(out, "nil")
		case err != nil:
			out = append(out, "err: "+err.Error())
		default:
			out = append(out, fmt.Sprint(v))
		}
	}
	return out
}

func cmds(lines ...string) [][]any {
	var out [][]any
	for _, l := range lines {
		var c []any
		for _, w := range strings.Fields(l) {
			c = append(c, w)
		}
		out = append(out, c)
	}
	return out
}

func TestTransactionBasics(t *testing.T) {
	srv := shardtest.Start(t)
	cl := redis.NewClient(&redis.Options{Addr: srv.Addr, Protocol: 2})
	defer cl.Close()
	c := cl.Conn()
	defer c.Close()
	tests := []struct {
		cmds []string
		want []string
	}{
		{[]string{"MULTI", "SET a 1", "INCR a", "GET a", "EXEC"}, []string{"OK", "QUEUED", "QUEUED", "QUEUED", "[OK 2 2]"}},
		// A runtime error does not undo the others.
		{[]string{"MULTI", "SET s x", "INCR s", "SET t y", "EXEC", "GET t"}, []string{"OK", "QUEUED", "QUEUED", "QUEUED",
			"[OK ERR value is not an integer or out of range OK]", "y"}},
		// A queuing error aborts the whole transaction.
		{[]string{"MULTI", "SET u 1", "NOSUCHCMD", "GET", "EXEC", "EXISTS u"}, []string{"OK", "QUEUED",
			"err: ERR unknown command 'NOSUCHCMD', with args beginning with: ",
			"err: ERR wrong number of arguments for 'get' command",
			"err: EXECABORT Transaction discarded because of previous errors.", "0"}},
		{[]string{"EXEC", "DISCARD"}, []string{"err: ERR EXEC without MULTI", "err: ERR DISCARD without MULTI"}},
		{[]string{"MULTI", "MULTI", "WATCH a", "DISCARD"}, []string{"OK", "err: ERR MULTI calls can not be nested",
			"err: ERR WATCH inside MULTI is not allowed", "OK"}},
		{[]string{"MULTI", "EXEC"}, []string{"OK", "[]"}},
		// SELECT inside a transaction applies to what follows.
		{[]string{"MULTI", "SELECT 1", "SET indb1 v", "SELECT 0", "EXEC", "EXISTS indb1", "SELECT 1", "EXISTS indb1", "SELECT 0"},
			[]string{"OK", "QUEUED", "QUEUED", "QUEUED", "[OK OK OK]", "0", "OK", "1", "OK"}},
		// Whole-keyspace commands run inside EXEC without deadlock.
		{[]string{"MULTI", "SET k1 v", "KEYS k1", "DBSIZE", "FLUSHDB", "DBSIZE", "EXEC"},
			[]string{"OK", "QUEUED", "QUEUED", "QUEUED", "QUEUED", "QUEUED"}},
	}
	for _, tt := range tests {
		got := do(t, c, cmds(tt.cmds...)...)
		if len(tt.want) < len(got) {
			got = got[:len(tt.want)]
		}
		if strings.Join(got, " | ") != strings.Join(tt.want, " | ") {
			t.Errorf("%q:\n got %q\nwant %q", tt.cmds, got, tt.want)
		}
	}
}

func TestWatch(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	cl := redis.NewClient(&redis.Options{Addr: srv.Addr, Protocol: 2})
	defer cl.Close()
	other := srv.Client(t)
	tests := []struct {
		name    string
		between func()
		fails   bool
	}{
		{"untouched", func() {}, false},
		{"set", func() { other.Set(ctx, "w", "2", 0) }, true},
		{"del", func() { other.Del(ctx, "w") }, true},
		{"expire", func() { other.Expire(ctx, "w", time.Hour) }, true},
		{"other key", func() { other.Set(ctx, "unrelated", "1", 0) }, false},
		{"flushall", func() { other.FlushAll(ctx) }, true},
		{"rename onto", func() { other.Set(ctx, "src", "1", 0); other.Rename(ctx, "src", "w") }, true},
		{"swapdb", func() { other.Do(ctx, "SWAPDB", "0", "1") }, true},
		{"read only", func() { other.Get(ctx, "w") }, false},
		{"failed write", func() { other.SetNX(ctx, "w", "x", 0) }, false},
	}
	for _, tt := range tests {
		cl.FlushAll(ctx)
		cl.Set(ctx, "w", "1", 0)
		err := cl.Watch(ctx, func(tx *redis.Tx) error {
			tt.between()
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "result", "done", 0)
				return nil
			})
			return err
		}, "w")
		if failed := errors.Is(err, redis.TxFailedErr); failed != tt.fails {
			t.Errorf("%s: EXEC failed=%v (err %v); want %v", tt.name, failed, err, tt.fails)
		}
	}
}

func TestWatchedKeyExpiry(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	cl := redis.NewClient(&redis.Options{Addr: srv.Addr, Protocol: 2})
	defer cl.Close()
	cl.Set(ctx, "soon", "1", 50*time.Millisecond)
	err := cl.Watch(ctx, func(tx *redis.Tx) error {
		time.Sleep(100 * time.Millisecond)
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "x", "1", 0)
			return nil
		})
		return err
	}, "soon")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Errorf("EXEC after a watched key expired: %v; want TxFailedErr", err)
	}
}

// Many clients incrementing one counter with WATCH/MULTI/EXEC retry loops
// must not lose an increment: EXEC is atomic and WATCH catches every
// interleaving.
func TestOptimisticLockingIsAtomic(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	cl := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 20})
	defer cl.Close()
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				for {
					err := cl.Watch(ctx, func(tx *redis.Tx) error {
						n, err := tx.Get(ctx, "counter").Int()
						if err != nil && !errors.Is(err, redis.Nil) {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
							p.Set(ctx, "counter", n+1, 0)
							return nil
						})
						return err
					}, "counter")
					if err == nil {
						break
					}
					if !errors.Is(err, redis.TxFailedErr) {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if n, _ := cl.Get(ctx, "counter").Int(); n != workers*each {
		t.Errorf("counter = %d; want %d", n, workers*each)
	}
}

// No other client's command may interleave inside EXEC: a transaction
// that sets two keys is never observed half done by MGET.
func TestExecIsIsolated(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	cl := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 10})
	defer cl.Close()
	cl.MSet(ctx, "a", 0, "b", 0)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= 300; i++ {
			cl.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "a", i, 0)
				p.Set(ctx, "b", i, 0)
				return nil
			})
		}
		close(stop)
	}()
	for {
		select {
		case <-stop:
			wg.Wait()
			return
		default:
		}
		v, err := cl.MGet(ctx, "a", "b").Result()
		if err != nil {
			t.Fatal(err)
		}
		if v[0] != v[1] {
			t.Fatalf("saw a half-applied transaction: a=%v b=%v", v[0], v[1])
		}
	}
}
