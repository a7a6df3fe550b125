package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// waitBlocked waits until n clients are blocked (INFO blocked_clients).
func waitBlocked(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	want := fmt.Sprintf("blocked_clients:%d", n)
	for i := 0; i < 500; i++ {
		if strings.Contains(c.Info(context.Background(), "clients").Val(), want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("never reached %s", want)
}

func TestBLPopWakesOnPush(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	c, other := srv.Client(t), srv.Client(t)
	got := make(chan []string, 1)
	go func() {
		v, err := c.BLPop(ctx, 0, "empty", "q").Result()
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	waitBlocked(t, other, 1)
	other.RPush(ctx, "q", "job1")
	if v := <-got; strings.Join(v, ",") != "q,job1" {
		t.Errorf("BLPOP = %v; want [q job1]", v)
	}
	if n := other.Exists(ctx, "q").Val(); n != 0 {
		t.Error("the served element is still in the list")
	}
}

func TestBlockingTimeoutAndImmediateCases(t *testing.T) {
	ctx := context.Background()
	c := shardtest.Start(t).Client(t)
	start := time.Now()
	if err := c.BLPop(ctx, 150*time.Millisecond, "none").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("BLPOP timeout: %v; want nil reply", err)
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Error("BLPOP returned before its timeout")
	}
	if err := c.BLMove(ctx, "none", "dst", "LEFT", "RIGHT", 50*time.Millisecond).Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("BLMOVE timeout: %v; want nil", err)
	}
	c.RPush(ctx, "l", "a", "b")
	if v := c.BRPop(ctx, time.Second, "l").Val(); strings.Join(v, ",") != "l,b" {
		t.Errorf("BRPOP on data = %v", v)
	}
	c.Set(ctx, "str", "x", 0)
	if err := c.BLPop(ctx, time.Second, "str").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		t.Errorf("BLPOP on a string: %v", err)
	}
	for _, tt := range []struct{ timeout, want string }{
		{"-1", "ERR timeout is negative"}, {"abc", "ERR timeout is not a float or out of range"},
	} {
		if err := c.Do(ctx, "BLPOP", "l", tt.timeout).Err(); err == nil || err.Error() != tt.want {
			t.Errorf("timeout %s: %v; want %s", tt.timeout, err, tt.want)
		}
	}
	// Inside MULTI a blocking command does not block.
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.BLPop(ctx, 0, "none")
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) || len(cmds) != 1 || !errors.Is(cmds[0].Err(), redis.Nil) {
		t.Errorf("BLPOP inside MULTI: %v %v", cmds, err)
	}
}

// Clients blocked on one key are served in the order they blocked.
func TestBlockedClientsAreServedFIFO(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	admin := srv.Client(t)
	const n = 4
	results := make([]chan string, n)
	for i := 0; i < n; i++ {
		results[i] = make(chan string, 1)
		c := srv.Client(t)
		go func(i int) {
			v, err := c.BLPop(ctx, 10*time.Second, "fifo").Result()
			if err != nil {
				results[i] <- err.Error()
				return
			}
			results[i] <- v[1]
		}(i)
		waitBlocked(t, admin, i+1)
	}
	admin.RPush(ctx, "fifo", "e0", "e1", "e2", "e3")
	for i := 0; i < n; i++ {
		if got := <-results[i]; got != fmt.Sprintf("e%d", i) {
			t.Errorf("client %d got %q; want e%d", i, got, i)
		}
	}
}

// A push inside MULTI/EXEC wakes the blocked client once EXEC is done,
// and commands inside the transaction still see the element.
func TestPushInsideExecWakesAtExec(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	c, tx := srv.Client(t), srv.Client(t)
	got := make(chan []string, 1)
	go func() { got <- c.BLPop(ctx, 10*time.Second, "k").Val() }()
	waitBlocked(t, tx, 1)
	var llen *redis.IntCmd
	if _, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, "k", "v")
		llen = p.LLen(ctx, "k")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if llen.Val() != 1 {
		t.Errorf("LLEN inside EXEC = %d; want 1 (the element is served after EXEC)", llen.Val())
	}
	if v := <-got; strings.Join(v, ",") != "k,v" {
		t.Errorf("BLPOP = %v", v)
	}
}

// A client that disconnects while blocked is never served: the element
// stays for the next consumer.
func TestDisconnectedWaiterIsNotServed(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	admin := srv.Client(t)
	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(conn, "BLPOP gone 0\r\n")
	waitBlocked(t, admin, 1)
	conn.Close()
	waitBlocked(t, admin, 0)
	admin.RPush(ctx, "gone", "precious")
	if v := admin.LRange(ctx, "gone", 0, -1).Val(); strings.Join(v, ",") != "precious" {
		t.Errorf("list after push = %v; want [precious]", v)
	}
}

// Requests pipelined behind a blocking command run after it returns.
func TestPipelineBehindBlockingCommand(t *testing.T) {
	srv := shardtest.Start(t)
	admin := srv.Client(t)
	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(conn, "BLPOP p 0\r\n")
	waitBlocked(t, admin, 1)
	fmt.Fprint(conn, "ECHO after\r\n")
	time.Sleep(50 * time.Millisecond)
	admin.RPush(context.Background(), "p", "x")
	want := "*2\r\n$1\r\np\r\n$1\r\nx\r\n$5\r\nafter\r\n"
	buf := make([]byte, 0, 64)
	tmp := make([]byte, 64)
	for len(buf) < len(want) {
		n, err := conn.Read(tmp)
		if err != nil {
			t.Fatalf("after %q: %v", buf, err)
		}
		buf = append(buf, tmp[:n]...)
	}
	if string(buf) != want {
		t.Errorf("got %q; want %q", buf, want)
	}
}

func TestBLMoveChainAndBLMPop(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	admin := srv.Client(t)
	var wg sync.WaitGroup
	wg.Add(2)
	var moved, mpopped string
	go func() {
		defer wg.Done()
		moved = srv.Client(t).BLMove(ctx, "a", "b", "LEFT", "RIGHT", 10*time.Second).Val()
	}()
	waitBlocked(t, admin, 1)
	go func() {
		defer wg.Done()
		_, v, _ := srv.Client(t).BLMPop(ctx, 10*time.Second, "left", 2, "x", "b").Result()
		mpopped = strings.Join(v, ",")
	}()
	waitBlocked(t, admin, 2)
	admin.RPush(ctx, "a", "item")
	wg.Wait()
	if moved != "item" || mpopped != "item" {
		t.Errorf("BLMOVE moved %q, BLMPOP got %q; want the item to pass through both", moved, mpopped)
	}
	if admin.Exists(ctx, "a", "b").Val() != 0 {
		t.Error("lists not empty after the chain")
	}
}

func TestBZPopAndBZMPop(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	admin := srv.Client(t)
	got := make(chan string, 2)
	go func() {
		v, err := srv.Client(t).BZPopMin(ctx, 10*time.Second, "z1", "z2").Result()
		if err != nil {
			got <- err.Error()
			return
		}
		got <- fmt.Sprintf("%s %v %v", v.Key, v.Member, v.Score)
	}()
	waitBlocked(t, admin, 1)
	admin.ZAdd(ctx, "z2", redis.Z{Score: 2, Member: "b"}, redis.Z{Score: 1, Member: "a"})
	if v := <-got; v != "z2 a 1" {
		t.Errorf("BZPOPMIN = %q; want z2 a 1", v)
	}
	go func() {
		k, zs, err := srv.Client(t).BZMPop(ctx, 10*time.Second, "max", 5, "z3").Result()
		if err != nil {
			got <- err.Error()
			return
		}
		got <- fmt.Sprintf("%s %v", k, zs)
	}()
	waitBlocked(t, admin, 1)
	admin.ZAdd(ctx, "z3", redis.Z{Score: 1, Member: "x"}, redis.Z{Score: 3, Member: "y"})
	if v := <-got; v != "z3 [{3 y} {1 x}]" {
		t.Errorf("BZMPOP = %q", v)
	}
	if err := admin.BZPopMax(ctx, 50*time.Millisecond, "none").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("BZPOPMAX timeout: %v", err)
	}
}
