package backend

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardis/shardis/proxy/internal/shardtest"
)

func TestMain(m *testing.M) { shardtest.Main(m) }

// replies collects the replies of requests, in the order they arrive.
type replies struct {
	mu   sync.Mutex
	got  []string
	want int
	done chan struct{}
	// flushes counts Flush calls; flushedAt is len(got) at each.
	flushes   atomic.Int32
	flushedAt []int
}

func newReplies(want int) *replies {
	return &replies{want: want, done: make(chan struct{})}
}

// waiter returns a Waiter that records its reply in r.
func (r *replies) waiter() Waiter { return (*replyWaiter)(r) }

type replyWaiter replies

func (w *replyWaiter) Reply(raw []byte) Flusher {
	r := (*replies)(w)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, string(raw))
	if len(r.got) == r.want {
		close(r.done)
	}
	return (*replyFlusher)(r)
}

type replyFlusher replies

func (f *replyFlusher) Flush() {
	r := (*replies)(f)
	r.mu.Lock()
	r.flushedAt = append(r.flushedAt, len(r.got))
	r.mu.Unlock()
	r.flushes.Add(1)
}

func (r *replies) wait(t *testing.T, d time.Duration) []string {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(d):
		r.mu.Lock()
		defer r.mu.Unlock()
		t.Fatalf("got %d replies of %d within %v", len(r.got), r.want, d)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func cmd(args ...string) []byte { return Encode(nil, args...) }

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func testOptions() *Options {
	o := &Options{ConnsPerShard: 1, Timeout: 5 * time.Second, DialTimeout: time.Second}
	o.defaults()
	return o
}

// Concurrent senders on one connection each get their replies in the
// order they sent, however their requests are interleaved in writes.
func TestConnKeepsOrderUnderConcurrentSenders(t *testing.T) {
	srv := shardtest.Start(t)
	p := NewPool("s1", srv.Addr, testOptions())
	defer p.Close()
	c := p.Conn(0, 2)
	const senders, perSender = 16, 300
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			r := newReplies(perSender)
			key := fmt.Sprintf("order:%d", g)
			for i := 0; i < perSender; {
				// Bursts of 1 to 7 requests per flush.
				for n := 0; n <= i%7 && i < perSender; n++ {
					c.Send(r.waiter(), cmd("INCR", key))
					i++
				}
				c.Flush()
			}
			got := r.wait(t, 20*time.Second)
			for i, raw := range got {
				if want := ":" + strconv.Itoa(i+1) + "\r\n"; raw != want {
					t.Errorf("sender %d reply %d: got %q; want %q", g, i, raw, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// The replies of one burst reach the Flusher once, after the last of
// them: a client gets them in one write.
func TestConnFlushesOncePerBurst(t *testing.T) {
	release := make(chan struct{})
	f := shardtest.NewFake(t, func(c *shardtest.FakeConn) {
		var out []byte
		for range 10 {
			args, err := c.ReadCommand()
			if err != nil {
				return
			}
			out = append(out, shardtest.Answer(args)...)
		}
		<-release
		c.Write(out) // ten replies in one write
		shardtest.Discard(c)
	})
	p := NewPool("s1", f.Addr, testOptions())
	defer p.Close()
	c := p.Conn(0, 2)
	r := newReplies(10)
	for i := range 10 {
		c.Send(r.waiter(), cmd("ECHO", strconv.Itoa(i)))
	}
	c.Flush()
	close(release)
	got := r.wait(t, 5*time.Second)
	for i, raw := range got {
		if want := bulk(strconv.Itoa(i)); raw != want {
			t.Errorf("reply %d: got %q; want %q", i, raw, want)
		}
	}
	time.Sleep(50 * time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.flushedAt) == 0 || r.flushedAt[len(r.flushedAt)-1] != 10 {
		t.Errorf("flushes after replies %v; want the last after all 10", r.flushedAt)
	}
	if len(r.flushedAt) > 2 {
		t.Errorf("%d flushes for one burst of 10 replies (at %v); want 1 (2 if split by TCP)", len(r.flushedAt), r.flushedAt)
	}
}

// A request to a shard that cannot be reached fails at once with a
// CLUSTERDOWN error naming the shard and the reason.
func TestConnDownFailsFast(t *testing.T) {
	addr := closedAddr(t)
	p := NewPool("s9", addr, testOptions())
	defer p.Close()
	c := p.Conn(0, 2)
	for i := range 3 {
		r := newReplies(1)
		start := time.Now()
		c.Send(r.waiter(), cmd("GET", "k"))
		c.Flush()
		got := r.wait(t, 2*time.Second)
		want := "-CLUSTERDOWN shard s9 (" + addr + ") is unavailable: "
		if !strings.HasPrefix(got[0], want) || !strings.Contains(got[0], "refused") {
			t.Errorf("attempt %d: got %q; want %q... connection refused", i, got[0], want)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("attempt %d: failing took %v", i, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if p.Up() {
		t.Error("Up() = true for an unreachable shard")
	}
}

func closedAddr(t *testing.T) string {
	f := shardtest.NewFake(t, func(*shardtest.FakeConn) {})
	f.Close()
	return f.Addr
}

// A shard connection that breaks mid-pipeline fails exactly the requests
// still waiting for a reply, with a clear error; the connection then
// comes back by itself.
func TestConnBreakFailsOutstandingAndReconnects(t *testing.T) {
	f := shardtest.NewFake(t, func(c *shardtest.FakeConn) {
		if c.N == 0 {
			// Read all ten requests, answer three, drop the connection.
			var args [][]string
			for range 10 {
				a, err := c.ReadCommand()
				if err != nil {
					return
				}
				args = append(args, a)
			}
			for _, a := range args[:3] {
				c.Write(shardtest.Answer(a))
			}
			return
		}
		shardtest.Serve(c, -1)
	})
	opts := testOptions()
	var failed atomic.Int32
	opts.OnError = func(string) { failed.Add(1) }
	p := NewPool("s1", f.Addr, opts)
	defer p.Close()
	c := p.Conn(0, 2)
	r := newReplies(10)
	for i := range 10 {
		c.Send(r.waiter(), cmd("ECHO", strconv.Itoa(i)))
	}
	c.Flush()
	got := r.wait(t, 5*time.Second)
	for i, raw := range got {
		if i < 3 {
			if want := bulk(strconv.Itoa(i)); raw != want {
				t.Errorf("reply %d: got %q; want %q", i, raw, want)
			}
			continue
		}
		want := "-CLUSTERDOWN shard s1 (" + f.Addr + ") is unavailable: read: EOF\r\n"
		if raw != want {
			t.Errorf("reply %d: got %q; want %q", i, raw, want)
		}
	}
	if n := failed.Load(); n != 7 {
		t.Errorf("OnError called %d times; want 7", n)
	}
	// Back within the backoff (at most 50ms for the first retry).
	deadline := time.Now().Add(3 * time.Second)
	for {
		r := newReplies(1)
		c.Send(r.waiter(), cmd("ECHO", "again"))
		c.Flush()
		if got := r.wait(t, 2*time.Second); got[0] == bulk("again") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the connection did not come back")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A real shard killed while requests wait (a BLPOP holds the connection)
// fails exactly the waiting ones; once the shard is back on its port the
// connection serves again.
func TestConnShardKilledMidPipeline(t *testing.T) {
	srv := shardtest.Start(t)
	p := NewPool("s1", srv.Addr, testOptions())
	defer p.Close()
	c := p.Conn(0, 2)
	done := newReplies(5)
	for i := range 5 {
		c.Send(done.waiter(), cmd("SET", "k"+strconv.Itoa(i), "v"))
	}
	c.Flush()
	done.wait(t, 5*time.Second)

	r := newReplies(21)
	c.Send(r.waiter(), cmd("BLPOP", "nothing", "0"))
	for i := range 20 {
		c.Send(r.waiter(), cmd("GET", "k"+strconv.Itoa(i%5)))
	}
	c.Flush()
	time.Sleep(100 * time.Millisecond)
	r.mu.Lock()
	if len(r.got) != 0 {
		t.Fatalf("replies before the kill: %q", r.got)
	}
	r.mu.Unlock()
	srv.Kill()
	for i, raw := range r.wait(t, 5*time.Second) {
		if !strings.HasPrefix(raw, "-CLUSTERDOWN shard s1 ("+srv.Addr+") is unavailable: read: ") {
			t.Errorf("reply %d: got %q; want a CLUSTERDOWN error", i, raw)
		}
	}
	// While the shard is down requests fail at once.
	r = newReplies(1)
	c.Send(r.waiter(), cmd("PING"))
	c.Flush()
	if got := r.wait(t, 2*time.Second); !strings.HasPrefix(got[0], "-CLUSTERDOWN") {
		t.Errorf("while down: got %q", got[0])
	}
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := newReplies(1)
		c.Send(r.waiter(), cmd("PING"))
		c.Flush()
		if got := r.wait(t, 2*time.Second); got[0] == "+PONG\r\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no reconnect after the shard restarted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !c.Up() {
		t.Error("Up() = false after reconnecting")
	}
}

// A shard that keeps the connection but stops answering breaks it after
// Timeout; an idle connection is never broken by the timeout.
func TestConnTimeout(t *testing.T) {
	var conns atomic.Int32
	f := shardtest.NewFake(t, func(c *shardtest.FakeConn) {
		conns.Add(1)
		shardtest.Discard(c)
	})
	opts := testOptions()
	opts.Timeout = 200 * time.Millisecond
	p := NewPool("s1", f.Addr, opts)
	defer p.Close()
	c := p.Conn(0, 2)
	time.Sleep(700 * time.Millisecond) // idle for several timeouts
	if !c.Up() || conns.Load() != 1 {
		t.Fatalf("idle connection: up %v, %d connections; want up, 1", c.Up(), conns.Load())
	}
	r := newReplies(2)
	start := time.Now()
	c.Send(r.waiter(), cmd("GET", "a"))
	c.Send(r.waiter(), cmd("GET", "b"))
	c.Flush()
	got := r.wait(t, 3*time.Second)
	d := time.Since(start)
	for i, raw := range got {
		if want := "-CLUSTERDOWN shard s1 (" + f.Addr + ") is unavailable: no reply within 200ms\r\n"; raw != want {
			t.Errorf("reply %d: got %q; want %q", i, raw, want)
		}
	}
	if d < 200*time.Millisecond || d > 1500*time.Millisecond {
		t.Errorf("timed out after %v; want about 200ms", d)
	}
}

// Bodies up to tens of megabytes go through in both directions.
func TestConnLargeBodies(t *testing.T) {
	srv := shardtest.Start(t)
	p := NewPool("s1", srv.Addr, testOptions())
	defer p.Close()
	c := p.Conn(0, 2)
	for _, size := range []int{0, 1, 16 << 10, 1 << 20, 8 << 20, 48 << 20} {
		val := bytes.Repeat([]byte{'x'}, size)
		for i := range val {
			val[i] = byte('a' + i%26)
		}
		key := "big:" + strconv.Itoa(size)
		r := newReplies(3)
		c.Send(r.waiter(), EncodeArgs(nil, [][]byte{[]byte("SET"), []byte(key), val}))
		c.Send(r.waiter(), cmd("STRLEN", key))
		c.Send(r.waiter(), cmd("GET", key))
		c.Flush()
		got := r.wait(t, 30*time.Second)
		if got[0] != "+OK\r\n" || got[1] != ":"+strconv.Itoa(size)+"\r\n" {
			t.Fatalf("size %d: SET, STRLEN: %q %q", size, got[0], got[1])
		}
		if got[2] != bulk(string(val)) {
			t.Fatalf("size %d: GET returned %d bytes, not the value", size, len(got[2]))
		}
	}
}

// With the cluster secret set every connection authenticates first; a
// refused handshake makes requests fail with the shard's answer.
func TestConnHandshake(t *testing.T) {
	f := shardtest.NewFake(t, func(c *shardtest.FakeConn) {
		args, err := c.ReadCommand()
		if err != nil {
			return
		}
		if strings.Join(args, " ") != "AUTH shardis right" {
			c.Write([]byte("-WRONGPASS invalid username-password pair or user is disabled.\r\n"))
			shardtest.Discard(c)
			return
		}
		c.Write([]byte("+OK\r\n"))
		shardtest.Serve(c, -1)
	})
	for _, tc := range []struct{ secret, want string }{
		{"right", "+PONG\r\n"},
		{"wrong", "-CLUSTERDOWN shard s1 (" + f.Addr + ") is unavailable: handshake AUTH: WRONGPASS invalid username-password pair or user is disabled.\r\n"},
	} {
		opts := testOptions()
		opts.Secret = tc.secret
		p := NewPool("s1", f.Addr, opts)
		c := p.Conn(0, 2)
		deadline := time.Now().Add(3 * time.Second)
		for {
			r := newReplies(1)
			c.Send(r.waiter(), cmd("PING"))
			c.Flush()
			got := r.wait(t, 2*time.Second)[0]
			if got == tc.want {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("secret %q: got %q; want %q", tc.secret, got, tc.want)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		p.Close()
	}
}

// A session always gets the same connection of a pool; RESP3 connections
// are made on first use and speak RESP3.
func TestPoolAffinityAndProtocols(t *testing.T) {
	srv := shardtest.Start(t)
	opts := testOptions()
	opts.ConnsPerShard = 3
	p := NewPool("s1", srv.Addr, opts)
	defer p.Close()
	for seed := range uint64(10) {
		if p.Conn(seed, 2) != p.Conn(seed, 2) || p.Conn(seed, 3) != p.Conn(seed, 3) {
			t.Fatalf("seed %d: different connections on two calls", seed)
		}
		if p.Conn(seed, 2) == p.Conn(seed, 3) {
			t.Fatalf("seed %d: one connection for both protocols", seed)
		}
	}
	if p.Conn(0, 2) == p.Conn(1, 2) {
		t.Error("seeds 0 and 1 share a connection of 3")
	}
	r := newReplies(1)
	p.Conn(0, 2).Send(r.waiter(), cmd("HSET", "h", "f", "v"))
	p.Conn(0, 2).Flush()
	r.wait(t, 5*time.Second)
	for _, tc := range []struct {
		proto int
		want  string
	}{{2, "*2\r\n$1\r\nf\r\n$1\r\nv\r\n"}, {3, "%1\r\n$1\r\nf\r\n$1\r\nv\r\n"}} {
		deadline := time.Now().Add(3 * time.Second)
		for {
			r := newReplies(1)
			c := p.Conn(0, tc.proto)
			c.Send(r.waiter(), cmd("HGETALL", "h"))
			c.Flush()
			got := r.wait(t, 2*time.Second)[0]
			if got == tc.want {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("RESP%d HGETALL: got %q; want %q", tc.proto, got, tc.want)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Close fails the requests in flight and everything sent afterwards.
func TestConnCloseFailsInflight(t *testing.T) {
	f := shardtest.NewFake(t, shardtest.Discard)
	p := NewPool("s1", f.Addr, testOptions())
	c := p.Conn(0, 2)
	for !c.Up() {
		time.Sleep(5 * time.Millisecond)
	}
	r := newReplies(4)
	for range 3 {
		c.Send(r.waiter(), cmd("GET", "x"))
	}
	c.Flush()
	p.Close()
	c.Send(r.waiter(), cmd("GET", "x"))
	for i, raw := range r.wait(t, 2*time.Second) {
		if !strings.HasPrefix(raw, "-CLUSTERDOWN shard s1") {
			t.Errorf("reply %d: got %q", i, raw)
		}
	}
}

// Requests sent before the connection is up wait for it and are written
// once it is.
func TestConnQueuesWhileConnecting(t *testing.T) {
	accept := make(chan struct{})
	f := shardtest.NewFake(t, func(c *shardtest.FakeConn) {
		<-accept // the handshake-free connection is up, but slow to serve
		shardtest.Serve(c, -1)
	})
	p := NewPool("s1", f.Addr, testOptions())
	defer p.Close()
	c := p.Conn(0, 2)
	r := newReplies(100)
	for i := range 100 {
		c.Send(r.waiter(), cmd("ECHO", strconv.Itoa(i)))
		c.Flush()
	}
	close(accept)
	for i, raw := range r.wait(t, 5*time.Second) {
		if want := bulk(strconv.Itoa(i)); raw != want {
			t.Fatalf("reply %d: got %q; want %q", i, raw, want)
		}
	}
}
