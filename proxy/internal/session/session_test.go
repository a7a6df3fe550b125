package session

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/pkg/topology"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/metrics"
	"github.com/shardis/shardis/proxy/internal/reply"
	"github.com/shardis/shardis/proxy/internal/router"
	"github.com/shardis/shardis/proxy/internal/shardtest"
	"github.com/shardis/shardis/proxy/internal/twophase"
)

func TestMain(m *testing.M) { shardtest.Main(m) }

// proxy is a session server on loopback in front of shards s1, s2, ...;
// s1 owns slots 0-8191 and s2 8192-16383 when there are two.
type proxy struct {
	Addr string
	env  *Env
}

type setup struct {
	maxPipeline   int
	connsPerShard int
	timeout       time.Duration
	txTimeout     time.Duration
}

func startProxy(t testing.TB, shardAddrs []string, o setup) *proxy {
	t.Helper()
	bopts := &backend.Options{ConnsPerShard: o.connsPerShard, Timeout: o.timeout, DialTimeout: time.Second}
	r := router.New(bopts, nil)
	reg := &topology.Registry{}
	var ids []string
	for i, a := range shardAddrs {
		id := "s" + strconv.Itoa(i+1)
		ids = append(ids, id)
		reg.Shards = append(reg.Shards, topology.Shard{ID: id, Addr: a})
	}
	m := topology.Spread(ids)
	m.Version = 1
	r.Apply(m, reg)
	met := metrics.New()
	tx := twophase.New(twophase.Options{ProxyID: "p-test", Timeout: o.txTimeout, Metrics: met})
	env := &Env{
		Router: r, Backend: bopts, Tx: tx, Metrics: met, Log: slog.New(slog.DiscardHandler),
		Clients: NewClients(), MaxPipeline: o.maxPipeline, Started: time.Now(), ProxyID: "p-test",
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { Serve(ctx, env, nc) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		cancel()
		env.Clients.KillAll()
		wg.Wait()
		r.Close()
		tx.Wait()
	})
	return &proxy{Addr: ln.Addr().String(), env: env}
}

// startShards starts n real shard servers.
func startShards(t *testing.T, n int) ([]*shardtest.Server, []string) {
	var srvs []*shardtest.Server
	var addrs []string
	for range n {
		s := shardtest.Start(t)
		srvs = append(srvs, s)
		addrs = append(addrs, s.Addr)
	}
	return srvs, addrs
}

// keyOn returns a key, made from prefix, whose slot is in [lo, hi).
func keyOn(prefix string, lo, hi int) string {
	for i := 0; ; i++ {
		k := prefix + ":" + strconv.Itoa(i)
		if s := slot.OfString(k); s >= lo && s < hi {
			return k
		}
	}
}

func onS1(prefix string) string { return keyOn(prefix, 0, slot.Count/2) }
func onS2(prefix string) string { return keyOn(prefix, slot.Count/2, slot.Count) }

// client is a raw RESP client.
type client struct {
	t  testing.TB
	nc net.Conn
	rd *reply.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, rd: reply.NewReader(nc)}
}

func enc(args ...string) []byte { return backend.Encode(nil, args...) }

func (c *client) write(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) send(cmds ...[]string) {
	c.t.Helper()
	var b []byte
	for _, cmd := range cmds {
		b = backend.Encode(b, cmd...)
	}
	c.write(b)
}

func (c *client) read() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	raw, err := c.rd.Next()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return string(raw)
}

func (c *client) do(args ...string) string {
	c.t.Helper()
	c.send(args)
	return c.read()
}

// closed reports whether the proxy closed the connection (nothing more
// to read).
func (c *client) closed() bool {
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw, err := c.rd.Next()
	if err == nil {
		c.t.Errorf("unexpected reply %q", raw)
		return false
	}
	return err == io.EOF || strings.Contains(err.Error(), "reset")
}

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func intr(n int) string { return ":" + strconv.Itoa(n) + "\r\n" }

const nullBulk = "$-1\r\n"

// Pipelines from many clients at once, mixing both shards, fan-outs and
// commands the proxy answers itself, get their replies in order.
func TestPipelinesKeepOrderUnderConcurrentClients(t *testing.T) {
	_, addrs := startShards(t, 2)
	for _, o := range []setup{{}, {maxPipeline: 8, connsPerShard: 1}} {
		t.Run(fmt.Sprintf("max-pipeline=%d", o.maxPipeline), func(t *testing.T) {
			p := startProxy(t, addrs, o)
			var wg sync.WaitGroup
			for ci := range 12 {
				wg.Go(func() {
					c := dial(t, p.Addr)
					pre := fmt.Sprintf("%s:c%d", t.Name(), ci)
					keys := []string{onS1(pre + "a"), onS2(pre + "b"), onS1(pre + "c"), onS2(pre + "d")}
					counts := make([]int, len(keys))
					val := func(i int) string {
						if counts[i] == 0 {
							return nullBulk
						}
						return bulk(strconv.Itoa(counts[i]))
					}
					for round := range 3 {
						var cmds [][]string
						var want []string
						for i := range 150 {
							k := (i / 5) % len(keys)
							switch i % 5 {
							case 0:
								cmds = append(cmds, []string{"INCR", keys[k]})
								counts[k]++
								want = append(want, intr(counts[k]))
							case 1:
								cmds = append(cmds, []string{"PING"})
								want = append(want, "+PONG\r\n")
							case 2:
								cmds = append(cmds, []string{"ECHO", strconv.Itoa(round*1000 + i)})
								want = append(want, bulk(strconv.Itoa(round*1000+i)))
							case 3:
								cmds = append(cmds, append([]string{"MGET"}, keys...))
								w := "*4\r\n"
								for j := range keys {
									w += val(j)
								}
								want = append(want, w)
							case 4:
								cmds = append(cmds, []string{"GET", keys[(k+1)%len(keys)]})
								want = append(want, val((k+1)%len(keys)))
							}
						}
						c.send(cmds...)
						for i, w := range want {
							if got := c.read(); got != w {
								t.Errorf("client %d round %d reply %d (%v): got %q; want %q", ci, round, i, cmds[i], got, w)
								return
							}
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// A shard connection that breaks mid-pipeline fails exactly the client's
// requests still waiting on it, with a CLUSTERDOWN error, in order with
// everything else; the client stays connected and the shard serves again
// once reconnected.
func TestShardBreaksMidPipeline(t *testing.T) {
	var (
		mu      sync.Mutex
		release = make(chan struct{})
	)
	f := shardtest.NewFake(t, func(c *shardtest.FakeConn) {
		if c.N > 0 {
			shardtest.Serve(c, -1)
			return
		}
		// First connection: read six commands, answer three, hang up.
		var cmds [][]string
		for len(cmds) < 6 {
			args, err := c.ReadCommand()
			if err != nil {
				return
			}
			cmds = append(cmds, args)
		}
		<-release
		mu.Lock()
		defer mu.Unlock()
		for _, args := range cmds[:3] {
			c.Write(shardtest.Answer(args))
		}
	})
	_, addrs := startShards(t, 1)
	p := startProxy(t, []string{f.Addr, addrs[0]}, setup{connsPerShard: 1})
	c := dial(t, p.Addr)
	k1, k2 := onS1("broken"), onS2("fine")
	var cmds [][]string
	var want []string
	for i := range 6 {
		cmds = append(cmds, []string{"ECHO", "e" + strconv.Itoa(i)}, []string{"SET", k1, strconv.Itoa(i)},
			[]string{"INCR", k2})
		want = append(want, bulk("e"+strconv.Itoa(i)))
		if i < 3 {
			want = append(want, "+OK\r\n")
		} else {
			want = append(want, "-CLUSTERDOWN shard s1 ("+f.Addr+") is unavailable: read: EOF\r\n")
		}
		want = append(want, intr(i+1))
	}
	c.send(cmds...)
	time.Sleep(50 * time.Millisecond)
	close(release)
	for i, w := range want {
		if got := c.read(); got != w {
			t.Errorf("reply %d (%v): got %q; want %q", i, cmds[i], got, w)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		got := c.do("SET", k1, "again")
		if got == "+OK\r\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the shard does not serve again: %q", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A real shard killed under a client's load: its keys fail fast with
// CLUSTERDOWN, the other shard's keep working on the same client
// connection, and after a restart everything works without reconnecting.
func TestShardKilledAndRestarted(t *testing.T) {
	srvs, addrs := startShards(t, 2)
	p := startProxy(t, addrs, setup{})
	c := dial(t, p.Addr)
	k1, k2 := onS1("kill"), onS2("kill")
	if got := c.do("SET", k1, "v"); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	srvs[0].Kill()
	start := time.Now()
	for i := range 50 {
		c.send([]string{"GET", k1}, []string{"INCR", k2})
		if got := c.read(); !strings.HasPrefix(got, "-CLUSTERDOWN shard s1 ("+srvs[0].Addr+") is unavailable: ") {
			t.Fatalf("GET on the killed shard: %q", got)
		}
		if got := c.read(); got != intr(i+1) {
			t.Fatalf("INCR on the live shard: %q; want %q", got, intr(i+1))
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("50 requests to a dead shard took %v", d)
	}
	srvs[0].Restart()
	deadline := time.Now().Add(5 * time.Second)
	for c.do("SET", k1, "back") != "+OK\r\n" {
		if time.Now().After(deadline) {
			t.Fatal("no service after the shard restarted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := c.do("GET", k1); got != bulk("back") {
		t.Errorf("GET after restart: %q", got)
	}
}

// A shard nobody can reach fails its keys at once; the other serves.
func TestDownShardFailsFast(t *testing.T) {
	dead := shardtest.NewFake(t, func(*shardtest.FakeConn) {})
	dead.Close()
	_, addrs := startShards(t, 1)
	p := startProxy(t, []string{dead.Addr, addrs[0]}, setup{})
	c := dial(t, p.Addr)
	start := time.Now()
	for range 20 {
		if got := c.do("GET", onS1("x")); !strings.HasPrefix(got, "-CLUSTERDOWN shard s1 ("+dead.Addr+") is unavailable: dial tcp") {
			t.Fatalf("GET on the dead shard: %q", got)
		}
		if got := c.do("SET", onS2("x"), "1"); got != "+OK\r\n" {
			t.Fatalf("SET on the live shard: %q", got)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	// A fan-out touching the dead shard fails as a whole.
	if got := c.do("MGET", onS1("x"), onS2("x")); !strings.HasPrefix(got, "-CLUSTERDOWN shard s1") {
		t.Errorf("MGET across a dead shard: %q", got)
	}
}

// Request and reply bodies up to tens of megabytes pass through, also
// pipelined and in fan-outs.
func TestLargeBodies(t *testing.T) {
	_, addrs := startShards(t, 2)
	p := startProxy(t, addrs, setup{})
	c := dial(t, p.Addr)
	value := func(size int) string {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte('a' + i%26)
		}
		return string(b)
	}
	for _, size := range []int{0, 1, 64 << 10, 1 << 20, 16 << 20, 48 << 20} {
		k := onS1(fmt.Sprintf("big%d", size))
		v := value(size)
		if got := c.do("SET", k, v); got != "+OK\r\n" {
			t.Fatalf("SET %d bytes: %q", size, got)
		}
		if got := c.do("GET", k); got != bulk(v) {
			t.Fatalf("GET %d bytes: got %d bytes back", size, len(got))
		}
	}
	// Pipelined big writes to both shards, then a fan-out MGET.
	ka, kb := onS1("pipe-a"), onS2("pipe-b")
	va, vb := value(3<<20), value(5<<20)
	c.send([]string{"SET", ka, va}, []string{"SET", kb, vb}, []string{"MGET", kb, ka, "nosuch"})
	for i, w := range []string{"+OK\r\n", "+OK\r\n", "*3\r\n" + bulk(vb) + bulk(va) + nullBulk} {
		if got := c.read(); got != w {
			t.Fatalf("reply %d: got %d bytes; want %d", i, len(got), len(w))
		}
	}
}

// Malformed input gets Redis's protocol error, after the replies to what
// came before it, and closes that client only.
func TestMalformedInput(t *testing.T) {
	_, addrs := startShards(t, 2)
	p := startProxy(t, addrs, setup{})
	other := dial(t, p.Addr)
	k, fresh := onS2("other"), onS2("fresh")
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"bad multibulk count", "*1\r\n$4\r\nPING\r\n*x\r\n", []string{"+PONG\r\n", "-ERR Protocol error: invalid multibulk length\r\n"}},
		{"huge multibulk count", "*3000000000\r\n", []string{"-ERR Protocol error: invalid multibulk length\r\n"}},
		{"not a bulk", "*1\r\n!4\r\nPING\r\n", []string{"-ERR Protocol error: expected '$', got '!'\r\n"}},
		{"negative bulk", "*1\r\n$-5\r\n", []string{"-ERR Protocol error: invalid bulk length\r\n"}},
		{"bulk over proto-max-bulk-len", "*2\r\n$3\r\nSET\r\n$600000000\r\n", []string{"-ERR Protocol error: invalid bulk length\r\n"}},
		{"unbalanced quotes", "PING\r\nGET \"abc\r\n", []string{"+PONG\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"}},
		{"big inline", strings.Repeat("a", 70<<10), []string{"-ERR Protocol error: too big inline request\r\n"}},
		{"big multibulk header", "*" + strings.Repeat("1", 70<<10), []string{"-ERR Protocol error: too big mbulk count string\r\n"}},
		{"after a routed command", "*2\r\n$3\r\nGET\r\n$" + strconv.Itoa(len(fresh)) + "\r\n" + fresh + "\r\n*1\r\n$x\r\n",
			[]string{nullBulk, "-ERR Protocol error: invalid bulk length\r\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, p.Addr)
			c.write([]byte(tc.in))
			for i, w := range tc.want {
				if got := c.read(); got != w {
					t.Errorf("reply %d: got %q; want %q", i, got, w)
				}
			}
			if !c.closed() {
				t.Error("the connection stays open after a protocol error")
			}
			// Other clients are not affected.
			if got := other.do("INCR", k); !strings.HasPrefix(got, ":") {
				t.Errorf("another client: %q", got)
			}
		})
	}
	other.do("DEL", k)
}

// QUIT answers +OK after the replies to what came before and closes the
// connection; nothing after it is run.
func TestQuit(t *testing.T) {
	_, addrs := startShards(t, 2)
	p := startProxy(t, addrs, setup{})
	c := dial(t, p.Addr)
	k := onS1("quit")
	c.send([]string{"SET", k, "1"}, []string{"GET", k}, []string{"QUIT"}, []string{"SET", k, "2"})
	for i, w := range []string{"+OK\r\n", bulk("1"), "+OK\r\n"} {
		if got := c.read(); got != w {
			t.Errorf("reply %d: got %q; want %q", i, got, w)
		}
	}
	if !c.closed() {
		t.Error("open after QUIT")
	}
	if got := dial(t, p.Addr).do("GET", k); got != bulk("1") {
		t.Errorf("the command after QUIT ran: GET %q", got)
	}
}

// A client that sends its requests and closes its side at once still
// gets every reply.
func TestRepliesAfterClientHalfClose(t *testing.T) {
	_, addrs := startShards(t, 2)
	p := startProxy(t, addrs, setup{})
	c := dial(t, p.Addr)
	var cmds [][]string
	var want []string
	for i := range 100 {
		k := onS1("half") + strconv.Itoa(i%3)
		if i%2 == 1 {
			k = onS2("half") + strconv.Itoa(i%3)
		}
		cmds = append(cmds, []string{"SET", k, strconv.Itoa(i)}, []string{"GET", k})
		want = append(want, "+OK\r\n", bulk(strconv.Itoa(i)))
	}
	c.send(cmds...)
	c.nc.(*net.TCPConn).CloseWrite()
	for i, w := range want {
		if got := c.read(); got != w {
			t.Fatalf("reply %d: got %q; want %q", i, got, w)
		}
	}
	if !c.closed() {
		t.Error("not closed after the last reply")
	}
}

// A client that does not read its replies holds up neither the shard
// connection it shares with others nor those others; its replies are
// all there, in order, when it reads them.
func TestSlowReaderDoesNotStallOthers(t *testing.T) {
	_, addrs := startShards(t, 2)
	p := startProxy(t, addrs, setup{connsPerShard: 1})
	slow := dial(t, p.Addr)
	big := onS1("big")
	v := strings.Repeat("x", 1<<20)
	if got := slow.do("SET", big, v); got != "+OK\r\n" {
		t.Fatal(got)
	}
	const n = 64 // 64 MB of replies: far more than the socket buffers
	var cmds [][]string
	for range n {
		cmds = append(cmds, []string{"GET", big})
	}
	slow.send(cmds...)
	time.Sleep(200 * time.Millisecond)

	fast := dial(t, p.Addr)
	k := onS1("fast")
	start := time.Now()
	for i := range 200 {
		if got := fast.do("INCR", k); got != intr(i+1) {
			t.Fatalf("INCR: %q", got)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("another client's 200 requests took %v while one client did not read", d)
	}
	for i := range n {
		if got := slow.read(); got != bulk(v) {
			t.Fatalf("slow reply %d: %d bytes", i, len(got))
		}
	}
}

// A blocking command runs on a connection of its own: other clients go
// on, and the blocked client's next requests wait for its reply.
func TestBlockingCommand(t *testing.T) {
	_, addrs := startShards(t, 2)
	p := startProxy(t, addrs, setup{connsPerShard: 1})
	a, b := dial(t, p.Addr), dial(t, p.Addr)
	q := onS2("queue")
	a.send([]string{"BLPOP", q, "0"}, []string{"PING"})
	time.Sleep(100 * time.Millisecond)
	for range 10 {
		if got := b.do("GET", q+"x"); got != nullBulk {
			t.Fatalf("another client: %q", got)
		}
	}
	if got := b.do("RPUSH", q, "job"); got != intr(1) {
		t.Fatalf("RPUSH: %q", got)
	}
	for i, w := range []string{"*2\r\n" + bulk(q) + bulk("job"), "+PONG\r\n"} {
		if got := a.read(); got != w {
			t.Errorf("blocked client reply %d: %q; want %q", i, got, w)
		}
	}
	// A client that leaves while blocked does not keep the shard busy.
	a.send([]string{"BLPOP", q, "0"})
	time.Sleep(50 * time.Millisecond)
	a.nc.Close()
	time.Sleep(50 * time.Millisecond)
	b.do("RPUSH", q, "next")
	if got := b.do("LPOP", q); got != bulk("next") {
		t.Errorf("the element went to a client that had left: LPOP %q", got)
	}
}

// CLIENT LIST reads the state of every session while they change it.
func TestClientListWhileOthersChangeState(t *testing.T) {
	_, addrs := startShards(t, 2)
	p := startProxy(t, addrs, setup{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range 4 {
		wg.Go(func() {
			c := dial(t, p.Addr)
			for {
				select {
				case <-stop:
					return
				default:
				}
				c.send([]string{"MULTI"}, []string{"SET", onS1("tx") + strconv.Itoa(i), "1"}, []string{"EXEC"},
					[]string{"HELLO", "3"}, []string{"HELLO", "2"}, []string{"CLIENT", "SETNAME", "n" + strconv.Itoa(i)})
				for range 6 {
					c.read()
				}
			}
		})
	}
	c := dial(t, p.Addr)
	for p.env.Clients.Len() < 5 {
		time.Sleep(time.Millisecond)
	}
	for range 50 {
		got := c.do("CLIENT", "LIST")
		if n := strings.Count(got, "id="); n != 5 {
			t.Errorf("CLIENT LIST shows %d clients: %q", n, got)
		}
	}
	close(stop)
	wg.Wait()
}

// A subscriber that does not read its messages is disconnected (Redis's
// pubsub output buffer limit); the publisher is not slowed down.
func TestSlowSubscriberIsDisconnected(t *testing.T) {
	_, addrs := startShards(t, 2)
	p := startProxy(t, addrs, setup{maxPipeline: 16})
	sub := dial(t, p.Addr)
	if got := sub.do("SUBSCRIBE", "news"); got != "*3\r\n"+bulk("subscribe")+bulk("news")+intr(1) {
		t.Fatalf("SUBSCRIBE: %q", got)
	}
	pub := dial(t, p.Addr)
	msg := strings.Repeat("m", 256<<10)
	start := time.Now()
	for range 200 { // 50 MB for a client that reads nothing
		if got := pub.do("PUBLISH", "news", msg); got != intr(1) && got != intr(0) {
			t.Fatalf("PUBLISH: %q", got)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("publishing took %v", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.env.Clients.Len() > 1 {
		if time.Now().After(deadline) {
			t.Fatal("the subscriber that does not read is still connected")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkRoundTrip measures requests through a session to real shards,
// one at a time per client (as redis-benchmark without -P), with 50
// clients: go test -bench RoundTrip -benchtime 200000x -cpuprofile ...
// allocs/op counts the proxy's allocations (the clients allocate nothing).
func BenchmarkRoundTrip(b *testing.B) {
	for _, tc := range []struct {
		name string
		cmd  func(i int) []string
	}{
		{"GET", func(i int) []string { return []string{"GET", "key:" + strconv.Itoa(i%1000)} }},
		{"SET", func(i int) []string { return []string{"SET", "key:" + strconv.Itoa(i%1000), "xxx"} }},
		{"MGET", func(i int) []string {
			return []string{"MGET", "key:" + strconv.Itoa(i%1000), "key:" + strconv.Itoa(i%997), "key:" + strconv.Itoa(i%991)}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var addrs []string
			for range 2 {
				addrs = append(addrs, shardtest.Start(b).Addr)
			}
			p := startProxy(b, addrs, setup{})
			// Pre-encoded commands, so that the clients allocate nothing.
			var cmds [][]byte
			for i := range 1000 {
				cmds = append(cmds, enc(tc.cmd(i)...))
			}
			const clients = 50
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			for range clients {
				c := dial(b, p.Addr)
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if _, err := c.nc.Write(cmds[i%1000]); err != nil {
							b.Error(err)
							return
						}
						if raw, err := c.rd.Next(); err != nil || raw[0] == '-' {
							b.Errorf("reply %q, %v", raw, err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}
