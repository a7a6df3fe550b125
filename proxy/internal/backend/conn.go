package backend

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
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
	// Timeout is how long a request may wait for its reply before the
	// connection is declared broken (default 10s).
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

// Request is one command sent to a shard. Reply is set before Wait
// returns: the shard's raw reply, or a CLUSTERDOWN error reply.
type Request struct {
	Cmd   []byte // encoded RESP command
	Reply []byte
	wg    sync.WaitGroup
}

// NewRequest returns a request for the encoded command cmd.
func NewRequest(cmd []byte) *Request {
	r := &Request{Cmd: cmd}
	r.wg.Add(1)
	return r
}

// Wait blocks until the reply is set.
func (r *Request) Wait() { r.wg.Wait() }

func (r *Request) finish(reply []byte) {
	r.Reply = reply
	r.wg.Done()
}

// Conn is a multiplexed, pipelined connection to one shard.
type Conn struct {
	shard, addr string
	proto       int
	opts        *Options

	in chan *Request

	up      atomic.Bool
	lastErr atomic.Pointer[string]

	cancel context.CancelFunc
	done   chan struct{}
}

func newConn(shard, addr string, proto int, opts *Options) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Conn{shard: shard, addr: addr, proto: proto, opts: opts,
		in: make(chan *Request, 1024), cancel: cancel, done: make(chan struct{})}
	msg := "not connected yet"
	c.lastErr.Store(&msg)
	go c.run(ctx)
	return c
}

// Up reports whether the connection is established.
func (c *Conn) Up() bool { return c.up.Load() }

// Send queues r. It never blocks for long: a down connection fails r at
// once (see run).
func (c *Conn) Send(r *Request) {
	select {
	case <-c.done:
		r.finish(c.downReply())
		return
	default:
	}
	select {
	case c.in <- r:
	case <-c.done:
		r.finish(c.downReply())
	}
}

// Close stops the connection; queued requests fail.
func (c *Conn) Close() {
	c.cancel()
	<-c.done
}

func (c *Conn) downReply() []byte {
	return DownReply(c.shard, c.addr, *c.lastErr.Load())
}

// DownReply is the error a client gets for a request to a shard that
// cannot be reached.
func DownReply(shard, addr, why string) []byte {
	return resp.AppendError(nil, fmt.Sprintf("CLUSTERDOWN shard %s (%s) is unavailable: %s", shard, addr, why))
}

func (c *Conn) fail(r *Request) {
	if c.opts.OnError != nil {
		c.opts.OnError(c.shard)
	}
	r.finish(c.downReply())
}

// run connects, serves and reconnects until ctx ends.
func (c *Conn) run(ctx context.Context) {
	defer close(c.done)
	defer func() { // fail whatever is still queued
		for {
			select {
			case r := <-c.in:
				c.fail(r)
			default:
				return
			}
		}
	}()
	attempt := 0
	for ctx.Err() == nil {
		nc, rd, err := dial(ctx, c.addr, c.proto, c.opts)
		if err != nil {
			msg := err.Error()
			c.lastErr.Store(&msg)
			if attempt == 0 {
				c.opts.Logger.Warn("shard unreachable", "shard", c.shard, "addr", c.addr, "err", err)
			}
			attempt++
			if !c.waitFailing(ctx, backoff(attempt)) {
				return
			}
			continue
		}
		if attempt > 0 {
			c.opts.Logger.Info("shard reachable again", "shard", c.shard, "addr", c.addr)
		}
		attempt = 0
		c.up.Store(true)
		err = c.serve(ctx, nc, rd)
		c.up.Store(false)
		if ctx.Err() != nil {
			return
		}
		msg := err.Error()
		c.lastErr.Store(&msg)
		c.opts.Logger.Warn("shard connection lost", "shard", c.shard, "addr", c.addr, "err", err)
		attempt = 1
		if !c.waitFailing(ctx, backoff(attempt)) {
			return
		}
	}
}

// waitFailing waits d while failing every queued request at once.
func (c *Conn) waitFailing(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case r := <-c.in:
			c.fail(r)
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

func backoff(attempt int) time.Duration {
	d := min(50*time.Millisecond<<min(attempt-1, 5), time.Second)
	return d/2 + rand.N(d/2+1)
}

// serve runs the writer in this goroutine and the reader in another until
// either fails; then it fails every request in flight.
func (c *Conn) serve(ctx context.Context, nc net.Conn, rd *reply.Reader) error {
	inflight := make(chan *Request, 4096)
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		readErr <- c.readLoop(nc, rd, inflight, stop)
	}()
	_ = stop
	err := c.writeLoop(ctx, nc, inflight, readErr)
	nc.Close()
	close(stop)
	if rerr := <-readErr; err == nil {
		err = rerr
	}
	for {
		select {
		case r := <-inflight:
			c.fail(r)
		default:
			return err
		}
	}
}

func (c *Conn) writeLoop(ctx context.Context, nc net.Conn, inflight chan<- *Request, readErr chan error) error {
	var buf []byte
	for {
		var r *Request
		select {
		case r = <-c.in:
		case err := <-readErr:
			readErr <- err // serve reads it again
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
		buf = append(buf[:0], r.Cmd...)
		inflight <- r
	batch:
		for len(buf) < 256*1024 {
			select {
			case r = <-c.in:
				buf = append(buf, r.Cmd...)
				inflight <- r
			default:
				break batch
			}
		}
		now := time.Now()
		nc.SetWriteDeadline(now.Add(c.opts.Timeout))
		if _, err := nc.Write(buf); err != nil {
			err = fmt.Errorf("write: %w", err)
			c.setErr(err)
			return err
		}
		// The replies are due within Timeout of the write.
		nc.SetReadDeadline(now.Add(c.opts.Timeout))
		if cap(buf) > 1<<20 {
			buf = nil
		}
	}
}

// readLoop reads replies all the time, idle or not, so that a shard that
// goes away is noticed at once and not on the next request. A read times
// out after Options.Timeout; that is an error only while a request waits.
func (c *Conn) readLoop(nc net.Conn, rd *reply.Reader, inflight chan *Request, stop <-chan struct{}) error {
	for {
		raw, err := rd.Next()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if len(inflight) == 0 && rd.Buffered() == 0 {
					continue
				}
				err = fmt.Errorf("no reply within %v", c.opts.Timeout)
			} else {
				err = fmt.Errorf("read: %w", err)
			}
			c.setErr(err)
			return err
		}
		select {
		case r := <-inflight:
			r.finish(append([]byte(nil), raw...))
		default:
			err := errors.New("reply without a request")
			c.setErr(err)
			return err
		}
	}
}

func (c *Conn) setErr(err error) {
	msg := err.Error()
	c.lastErr.Store(&msg)
}

// deadlineReader sets a read deadline before every read, so a shard that
// stops answering (but keeps the TCP connection) breaks the connection.
type deadlineReader struct {
	c net.Conn
	t time.Duration
}

func (d deadlineReader) Read(p []byte) (int, error) {
	d.c.SetReadDeadline(time.Now().Add(d.t))
	return d.c.Read(p)
}

// dial connects and runs the handshake: AUTH with the cluster secret and
// HELLO 3 for a RESP3 connection.
func dial(ctx context.Context, addr string, proto int, opts *Options) (net.Conn, *reply.Reader, error) {
	d := net.Dialer{Timeout: opts.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	rd := reply.NewReader(deadlineReader{nc, opts.Timeout})
	var hs [][]string
	if opts.Secret != "" {
		hs = append(hs, []string{"AUTH", "shardis", opts.Secret})
	}
	if proto == 3 {
		hs = append(hs, []string{"HELLO", "3"})
	}
	if len(hs) == 0 {
		return nc, rd, nil
	}
	var buf []byte
	for _, cmd := range hs {
		buf = Encode(buf, cmd...)
	}
	nc.SetDeadline(time.Now().Add(opts.DialTimeout))
	if _, err := nc.Write(buf); err != nil {
		nc.Close()
		return nil, nil, err
	}
	for _, cmd := range hs {
		raw, err := rd.Next()
		if err != nil {
			nc.Close()
			return nil, nil, fmt.Errorf("handshake: %w", err)
		}
		if reply.IsError(raw) {
			nc.Close()
			return nil, nil, fmt.Errorf("handshake %s: %s", cmd[0], bytesTrim(raw))
		}
	}
	nc.SetDeadline(time.Time{})
	return nc, rd, nil
}

func bytesTrim(raw []byte) string {
	if s, ok := reply.Str(raw); ok {
		return string(s)
	}
	return string(raw)
}

// Encode appends args as a RESP multibulk command.
func Encode(dst []byte, args ...string) []byte {
	dst = resp.AppendArray(dst, len(args))
	for _, a := range args {
		dst = resp.AppendBulkString(dst, a)
	}
	return dst
}

// EncodeArgs appends args as a RESP multibulk command.
func EncodeArgs(dst []byte, args [][]byte) []byte {
	dst = resp.AppendArray(dst, len(args))
	for _, a := range args {
		dst = resp.AppendBulk(dst, a)
	}
	return dst
}

// Dedicated is a connection owned by one session: one request at a time
// (Do), or a stream of pushes (pub/sub, ReadReply). Not safe for
// concurrent use, except Close.
type Dedicated struct {
	Shard, Addr string
	nc          net.Conn
	rd          *reply.Reader
	w           *bufio.Writer
	opts        *Options
}

// DialDedicated opens a dedicated connection to a shard.
func DialDedicated(ctx context.Context, shard, addr string, proto int, opts *Options) (*Dedicated, error) {
	opts.defaults()
	nc, _, err := dial(ctx, addr, proto, opts)
	if err != nil {
		return nil, err
	}
	// No read deadline: blocking commands and subscriptions wait as long
	// as the client wants.
	return &Dedicated{Shard: shard, Addr: addr, nc: nc, rd: reply.NewReader(nc), w: bufio.NewWriter(nc), opts: opts}, nil
}

// Write sends encoded commands without waiting.
func (d *Dedicated) Write(cmd []byte) error {
	d.nc.SetWriteDeadline(time.Now().Add(d.opts.Timeout))
	_, err := d.nc.Write(cmd)
	return err
}

// ReadReply returns the next reply (valid until the next call).
func (d *Dedicated) ReadReply() ([]byte, error) { return d.rd.Next() }

// SetReadTimeout bounds the following reads; 0 removes the bound.
func (d *Dedicated) SetReadTimeout(t time.Duration) {
	if t == 0 {
		d.nc.SetReadDeadline(time.Time{})
		return
	}
	d.nc.SetReadDeadline(time.Now().Add(t))
}

// Do sends one command and returns a copy of its reply.
func (d *Dedicated) Do(cmd []byte) ([]byte, error) {
	if err := d.Write(cmd); err != nil {
		return nil, err
	}
	raw, err := d.rd.Next()
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), raw...), nil
}

// Close closes the connection; a blocked read returns.
func (d *Dedicated) Close() error { return d.nc.Close() }
