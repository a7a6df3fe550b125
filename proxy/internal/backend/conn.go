package backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/proxy/internal/reply"
)

// Options configures connections to shards.
type Options struct {
	// Secret is the cluster secret; when set, connections run
	// AUTH shardis <Secret> first.
	Secret string
	// DialTimeout bounds connecting and the handshake (default 1s).
	DialTimeout time.Duration
	// Timeout is how long a shard may go without answering while a request
	// waits before the connection is declared broken (default 10s).
	Timeout time.Duration
	// ConnsPerShard is the number of multiplexed connections per shard and
	// protocol (default 2).
	ConnsPerShard int
	// Logger receives connection state changes; nil discards them.
	Logger *slog.Logger
	// OnError, if set, is called once per failed request (metrics).
	OnError func(shard string)
}

func (o *Options) defaults() {
	if o.DialTimeout <= 0 {
		o.DialTimeout = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.ConnsPerShard <= 0 {
		o.ConnsPerShard = 2
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// A Waiter receives the reply to one request sent with Conn.Send.
type Waiter interface {
	// Reply is called exactly once with the shard's raw reply, or with a
	// CLUSTERDOWN error reply when the request cannot be answered. raw is
	// valid only during the call. It runs on the connection's reader
	// goroutine (or on the sender's, when the connection is down), so it
	// must not block.
	//
	// It may return a Flusher; the connection calls its Flush once it has
	// no further reply at hand, so that the replies of one burst reach a
	// client in one write.
	Reply(raw []byte) Flusher
}

// A Flusher writes out what Waiter.Reply buffered.
type Flusher interface{ Flush() }

// Conn is a multiplexed, pipelined connection to one shard (see the
// package documentation).
type Conn struct {
	shard, addr string
	proto       int
	opts        *Options

	mu sync.Mutex // guards the fields below
	// state is connecting (requests wait in wbuf for the connection),
	// up, down (requests fail at once) or closed.
	state   connState
	nc      net.Conn // set while up
	wbuf    []byte   // encoded requests not written yet
	spare   []byte   // the previous write buffer, for reuse
	writing bool     // a goroutine is writing; it also writes what is added meanwhile
	q       waitQueue
	// busySince is when the oldest request in q started waiting for the
	// shard (the later of its Send and the last reply read).
	busySince int64
	lastErr   string
	down      []byte // the CLUSTERDOWN reply for lastErr
	// broken is set when a writer failed on nc (lastErr says why); the
	// reader then stops.
	broken bool

	up atomic.Bool

	// Used only by the reader (run's goroutine).
	rdl      int64 // read deadline set on nc
	progress int64 // when a read last returned data
	dirty    []Flusher
	// Used only by the goroutine that is writing (writing == true).
	wdl   int64    // write deadline set on wdlNC
	wdlNC net.Conn // the connection wdl was set on

	cancel context.CancelFunc
	done   chan struct{}
}

type connState uint8

const (
	connecting connState = iota
	up
	down
	closed
)

// yieldBeforeWrite makes a goroutine that is about to write a
// connection's buffer let the other runnable goroutines run first, so that
// the requests of every client that became readable at the same time go
// out in one write, as from an event loop. It costs nothing when no other
// goroutine is runnable. (Without it the proxy spent about a fifth more
// CPU per request with 50 clients, in smaller writes.)
const yieldBeforeWrite = true

// epoch makes now monotonic.
var epoch = time.Now()

func now() int64 { return int64(time.Since(epoch)) }

func newConn(shard, addr string, proto int, opts *Options) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Conn{shard: shard, addr: addr, proto: proto, opts: opts, cancel: cancel, done: make(chan struct{})}
	c.setErrLocked("not connected yet")
	go c.run(ctx)
	return c
}

// Shard returns the shard's ID.
func (c *Conn) Shard() string { return c.shard }

// Up reports whether the connection is established.
func (c *Conn) Up() bool { return c.up.Load() }

// Send queues the encoded command cmd (copied) with w to receive its
// reply; Flush sends it. On a down connection w gets the CLUSTERDOWN reply
// at once, before Send returns.
func (c *Conn) Send(w Waiter, cmd []byte) {
	c.mu.Lock()
	if c.state >= down {
		msg := c.down
		c.mu.Unlock()
		c.failOne(w, msg)
		return
	}
	if c.q.len() == 0 {
		c.busySince = now()
	}
	c.wbuf = append(c.wbuf, cmd...)
	c.q.push(w)
	c.mu.Unlock()
}

// Flush writes the queued requests, unless another goroutine is writing
// (it writes them as well) or the connection is not up yet (they are
// written once it is).
func (c *Conn) Flush() {
	c.mu.Lock()
	if c.writing || len(c.wbuf) == 0 || c.state != up {
		c.mu.Unlock()
		return
	}
	c.writing = true
	if yieldBeforeWrite {
		c.mu.Unlock()
		runtime.Gosched()
		c.mu.Lock()
	}
	c.writeLocked()
	c.mu.Unlock()
}

// maxWriteRounds bounds how many buffers one Flush call writes when other
// goroutines keep adding requests; then a new goroutine takes over, so no
// client's goroutine is kept writing for others for long.
const maxWriteRounds = 16

// writeLocked writes wbuf until it is empty; c.writing is set. It drops
// c.mu while writing.
func (c *Conn) writeLocked() {
	for round := 0; len(c.wbuf) > 0 && c.state == up; round++ {
		if round == maxWriteRounds {
			go func() {
				c.mu.Lock()
				c.writeLocked()
				c.mu.Unlock()
			}()
			return
		}
		nc := c.nc
		buf := c.wbuf
		c.wbuf = c.spare[:0]
		c.spare = nil
		c.mu.Unlock()
		t := now()
		if nc != c.wdlNC || t > c.wdl-int64(c.opts.Timeout)/2 {
			c.wdl, c.wdlNC = t+int64(c.opts.Timeout), nc
			nc.SetWriteDeadline(epoch.Add(time.Duration(c.wdl)))
		}
		_, err := nc.Write(buf)
		c.mu.Lock()
		if cap(buf) <= 1<<20 {
			c.spare = buf[:0]
		}
		if err != nil {
			if c.nc != nc {
				// The connection was replaced meanwhile (buf's requests
				// failed with the old one): go on with the new one.
				continue
			}
			if !c.broken {
				// The reader stops on the closed socket and fails
				// every request in flight.
				c.broken = true
				c.setErrLocked(fmt.Sprintf("write: %v", err))
				nc.Close()
			}
			break
		}
	}
	c.writing = false
}

func (c *Conn) setErrLocked(msg string) {
	c.lastErr = msg
	c.down = DownReply(c.shard, c.addr, msg)
}

// Close stops the connection; requests in flight fail.
func (c *Conn) Close() {
	c.cancel()
	c.mu.Lock()
	if c.nc != nil {
		c.nc.Close()
	}
	c.mu.Unlock()
	<-c.done
}

// DownReply is the error a client gets for a request to a shard that
// cannot be reached.
func DownReply(shard, addr, why string) []byte {
	return resp.AppendError(nil, fmt.Sprintf("CLUSTERDOWN shard %s (%s) is unavailable: %s", shard, addr, why))
}

func (c *Conn) failOne(w Waiter, msg []byte) {
	if c.opts.OnError != nil {
		c.opts.OnError(c.shard)
	}
	if f := w.Reply(msg); f != nil {
		f.Flush()
	}
}

// setState changes the state; leaving up or connecting fails every
// request queued or in flight.
func (c *Conn) setState(s connState, nc net.Conn) {
	c.mu.Lock()
	c.state = s
	c.nc = nc
	c.up.Store(s == up)
	var failed []Waiter
	if s >= down {
		failed = c.q.takeAll()
		c.wbuf = c.wbuf[:0]
	}
	msg := c.down
	c.mu.Unlock()
	if len(failed) == 0 {
		return
	}
	var fl []Flusher
	for _, w := range failed {
		if c.opts.OnError != nil {
			c.opts.OnError(c.shard)
		}
		if f := w.Reply(msg); f != nil {
			fl = addFlusher(fl, f)
		}
	}
	for _, f := range fl {
		f.Flush()
	}
}

// run connects, serves and reconnects until ctx ends.
func (c *Conn) run(ctx context.Context) {
	defer close(c.done)
	defer c.setState(closed, nil)
	attempt := 0
	for ctx.Err() == nil {
		nc, err := dial(ctx, c.addr, c.proto, c.opts)
		if err != nil {
			c.mu.Lock()
			c.setErrLocked(err.Error())
			c.mu.Unlock()
			if attempt == 0 {
				c.opts.Logger.Warn("shard unreachable", "shard", c.shard, "addr", c.addr, "err", err)
			}
			attempt++
			if !c.pause(ctx, backoff(attempt)) {
				return
			}
			continue
		}
		if attempt > 0 {
			c.opts.Logger.Info("shard reachable again", "shard", c.shard, "addr", c.addr)
		}
		attempt = 0
		err = c.serve(ctx, nc)
		if ctx.Err() != nil {
			return
		}
		c.opts.Logger.Warn("shard connection lost", "shard", c.shard, "addr", c.addr, "err", err)
		attempt = 1
		if !c.pause(ctx, backoff(attempt)) {
			return
		}
	}
}

// pause keeps the connection down for d: requests fail at once.
func (c *Conn) pause(ctx context.Context, d time.Duration) bool {
	c.setState(down, nil)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		c.setState(connecting, nil)
		return true
	case <-ctx.Done():
		return false
	}
}

func backoff(attempt int) time.Duration {
	d := min(50*time.Millisecond<<min(attempt-1, 5), time.Second)
	return d/2 + rand.N(d/2+1)
}

// serve reads replies on nc until it fails, then marks the connection
// down (which fails every request in flight).
func (c *Conn) serve(ctx context.Context, nc net.Conn) error {
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	c.rdl, c.progress = 0, now()
	rd := reply.NewReader(connReader{c, nc})
	c.mu.Lock()
	c.state, c.nc = up, nc
	c.up.Store(true)
	if !c.writing && len(c.wbuf) > 0 {
		// Requests queued while connecting; written by another goroutine
		// so that this one reads the replies meanwhile.
		c.writing = true
		go func() {
			c.mu.Lock()
			c.writeLocked()
			c.mu.Unlock()
		}()
	}
	c.mu.Unlock()
	err := c.readLoop(rd)
	c.mu.Lock()
	if c.broken { // a write failed first: that is the reason
		err = errors.New(c.lastErr)
	} else {
		c.setErrLocked(err.Error())
	}
	c.broken = false
	c.mu.Unlock()
	nc.Close()
	c.flushDirty()
	c.setState(down, nil)
	return err
}

// readLoop reads replies all the time, idle or not, so that a shard that
// goes away is noticed at once and not on the next request. A read that
// times out is an error only if a request has waited Options.Timeout
// without the shard answering anything.
func (c *Conn) readLoop(rd *reply.Reader) error {
	for {
		raw, err := rd.Next()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if c.stillWaiting() {
					continue
				}
				err = fmt.Errorf("no reply within %v", c.opts.Timeout)
			} else {
				err = fmt.Errorf("read: %w", err)
			}
			return err
		}
		c.mu.Lock()
		w, ok := c.q.pop()
		if c.q.len() > 0 {
			c.busySince = c.progress
		}
		c.mu.Unlock()
		if !ok {
			return errors.New("reply without a request")
		}
		if f := w.Reply(raw); f != nil {
			c.dirty = addFlusher(c.dirty, f)
		}
		if !rd.Ready() {
			c.flushDirty()
		}
	}
}

func (c *Conn) flushDirty() {
	for i, f := range c.dirty {
		f.Flush()
		c.dirty[i] = nil
	}
	c.dirty = c.dirty[:0]
}

// stillWaiting is called when a read timed out: it reports whether the
// connection is fine (idle, or the oldest request has waited less than
// Timeout) and moves the read deadline to when that request's time is up.
func (c *Conn) stillWaiting() bool {
	c.mu.Lock()
	busy, since := c.q.len() > 0, max(c.busySince, c.progress)
	nc := c.nc
	c.mu.Unlock()
	t := now()
	if busy && t-since >= int64(c.opts.Timeout) {
		return false
	}
	if busy {
		c.rdl = since + int64(c.opts.Timeout)
	} else {
		c.rdl = t + int64(c.opts.Timeout)
	}
	if nc != nil {
		nc.SetReadDeadline(epoch.Add(time.Duration(c.rdl)))
	}
	return true
}

// connReader refreshes the read deadline of its Conn's socket (at most
// every quarter of Timeout) and records when data arrives.
type connReader struct {
	c  *Conn
	nc net.Conn
}

func (r connReader) Read(p []byte) (int, error) {
	c := r.c
	t := now()
	if t > c.rdl-3*int64(c.opts.Timeout)/4 {
		c.rdl = t + int64(c.opts.Timeout)
		r.nc.SetReadDeadline(epoch.Add(time.Duration(c.rdl)))
	}
	n, err := r.nc.Read(p)
	if n > 0 {
		c.progress = now()
	}
	return n, err
}

// addFlusher adds f to fl unless it is among the last few (a repeated
// Flush finds nothing to do; scanning all of fl would cost quadratic time
// with many clients).
func addFlusher(fl []Flusher, f Flusher) []Flusher {
	for i := len(fl) - 1; i >= 0 && i >= len(fl)-4; i-- {
		if fl[i] == f {
			return fl
		}
	}
	return append(fl, f)
}

// waitQueue is a FIFO of Waiters (a ring buffer).
type waitQueue struct {
	buf        []Waiter
	head, size int
}

func (q *waitQueue) len() int { return q.size }

func (q *waitQueue) push(w Waiter) {
	if q.size == len(q.buf) {
		nb := make([]Waiter, max(2*len(q.buf), 64))
		n := copy(nb, q.buf[q.head:])
		copy(nb[n:], q.buf[:q.head])
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = w
	q.size++
}

func (q *waitQueue) pop() (Waiter, bool) {
	if q.size == 0 {
		return nil, false
	}
	w := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.size--
	return w, true
}

func (q *waitQueue) takeAll() []Waiter {
	out := make([]Waiter, 0, q.size)
	for {
		w, ok := q.pop()
		if !ok {
			return out
		}
		out = append(out, w)
	}
}

// Do sends cmd, flushes and waits for the reply, which it returns (a
// copy). For callers that need a reply before going on (SCAN steps).
func (c *Conn) Do(cmd []byte) []byte {
	return SendAll([]*Conn{c}, [][]byte{cmd}).Wait()[0]
}

// Group collects the replies to requests sent at once to several
// connections (SendAll).
type Group struct {
	replies [][]byte
	ws      []groupWaiter
	left    atomic.Int32
	done    chan struct{}
}

type groupWaiter struct {
	g *Group
	i int
}

func (w *groupWaiter) Reply(raw []byte) Flusher {
	w.g.replies[w.i] = append([]byte(nil), raw...)
	if w.g.left.Add(-1) == 0 {
		close(w.g.done)
	}
	return nil
}

// SendAll sends cmds[i] on conns[i] and flushes each connection once, so
// the shards work on them in parallel; Wait returns the replies. The
// requests are queued on their connections before SendAll returns, so a
// request sent afterwards on one of them is answered after.
func SendAll(conns []*Conn, cmds [][]byte) *Group {
	g := &Group{replies: make([][]byte, len(cmds)), ws: make([]groupWaiter, len(cmds)), done: make(chan struct{})}
	g.left.Store(int32(len(cmds)))
	if len(cmds) == 0 {
		close(g.done)
	}
	for i, cmd := range cmds {
		g.ws[i] = groupWaiter{g, i}
		conns[i].Send(&g.ws[i], cmd)
	}
	for i, c := range conns {
		if !slices.Contains(conns[:i], c) {
			c.Flush()
		}
	}
	return g
}

// Wait blocks until every request has its reply (or a CLUSTERDOWN error)
// and returns the replies in the order of the commands.
func (g *Group) Wait() [][]byte {
	<-g.done
	return g.replies
}

// Ignore is the Waiter of a request whose reply nobody reads
// (fire-and-forget).
var Ignore Waiter = ignore{}

type ignore struct{}

func (ignore) Reply([]byte) Flusher { return nil }
