// Package session serves one client connection of the proxy: it reads
// requests with pkg/resp's Reader (Redis's limits and protocol errors),
// routes each by the shared command table, and writes the replies in
// request order.
//
// One goroutine per client reads and dispatches requests without waiting
// for their replies (so a client pipeline becomes a backend pipeline): it
// appends each request's call to the session's queue and its command to
// the shard connection's write buffer, and flushes those buffers when no
// further request is buffered. Replies are completed where they arrive:
// the shard connection's reader copies a reply into its call (or, when
// the call is first in line, straight into the output buffer), moves
// every finished call at the head of the queue to the output buffer and,
// once it has no further reply at hand, writes that buffer to the client
// with a non-blocking write. A client that does not read its replies
// never stalls a shard connection: what cannot be written at once is
// written by a goroutine of the session's own. So a request costs no
// goroutine handoff besides the network's, and one write per burst.
//
// The queue's length caps the pipeline depth. Commands that need a
// connection of their own (blocking commands, WATCH/MULTI/EXEC, pub/sub)
// and cross-shard writes (a two-phase commit, package twophase, run by
// the reader goroutine) first drain the queue, so they run after
// everything the client sent before them.
//
// During online resharding (moving.go) commands on migrating slots also
// drain the queue and run synchronously, after moving their keys; a call
// a shard refuses with WRONGSHARD (the map is stale) keeps its place in
// the queue and is run again, by a goroutine of the session's, once the
// router has a new enough map.
package session

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/metrics"
	"github.com/shardis/shardis/proxy/internal/router"
	"github.com/shardis/shardis/proxy/internal/twophase"
)

// Env is what every session of a proxy shares. It is read-only after the
// proxy starts.
type Env struct {
	Router  *router.Router
	Backend *backend.Options
	// Tx coordinates cross-shard writes and names cross-shard reads
	// (required).
	Tx *twophase.Coordinator
	// Password is requirepass: "" lets every client in.
	Password string
	Metrics  *metrics.Metrics
	Log      *slog.Logger
	// Config lists the proxy's settings for CONFIG GET.
	Config [][2]string
	// ProxyID and Addr describe this proxy in INFO.
	ProxyID, Addr string
	Started       time.Time
	Version       string
	Clients       *Clients
	// MaxPipeline caps the requests queued per client (default 1024).
	MaxPipeline int
	// MaxQueryBuffer bounds one request (client-query-buffer-limit,
	// default 1 GB); MaxBulk bounds one argument (default 512 MB).
	MaxQueryBuffer int
	MaxBulk        int64
}

// Session is one client connection.
type Session struct {
	ctx   context.Context // ends when the proxy stops
	env   *Env
	nc    net.Conn
	raw   syscall.RawConn // nc's, for non-blocking writes; nil if it has none
	rw    rawWrite        // used by the goroutine writing (writing set)
	rd    *resp.Reader
	id    uint64
	depth int // MaxPipeline

	// Connection state, used by the reader goroutine only except where
	// noted.
	proto   int
	authed  bool
	name    atomic.Pointer[string]
	lastCmd atomic.Pointer[command.Spec]
	created time.Time
	posBuf  []int
	// touched lists the shard connections written to since the last
	// flush.
	touched []*backend.Conn
	// keyBuf is scratch space for the arguments of a fan-out's
	// sub-command.
	keyBuf [][]byte
	// routed is the table the previous request was routed by (table).
	routed *router.Table

	tx txState
	// lastCross is the client's last cross-shard write or read, whose
	// COMMITs or UNLOCKs may still be on their way: its next transaction
	// waits for them if it finds its keys locked (twophase.Coordinator.Run).
	lastCross atomic.Pointer[twophase.Pending]
	ded       map[*backend.Pool]*backend.Dedicated // blocking and tx connections
	// blocked is a blocking command in progress on a dedicated connection;
	// unblock stops it (the client left).
	blocked *call
	unblock context.CancelFunc
	ps      *pubsub

	closing atomic.Bool
	// shown is the state CLIENT LIST shows, published by the reader for
	// other sessions.
	shown struct{ sub, psub, multi, proto atomic.Int32 }

	// The reply side, shared by the reader goroutine, the shard
	// connections' readers and the session's writers. omu is never held
	// while a backend.Conn method runs (Conn.Send may answer at once).
	omu   sync.Mutex // guards the fields below
	queue callQueue  // calls whose reply is not in out yet, in order
	out   []byte     // replies ready to write
	spare []byte     // the previous output buffer, for reuse
	// outCalls counts the replies in out and wCalls those being written,
	// for the pipeline cap.
	outCalls, wCalls int
	writing          bool // a goroutine is writing to nc
	wfailed          bool // writing failed or the connection is to close: drop replies
	quitting         bool // a QUIT (or protocol error) reply is in out: close once written
	closed           bool // the session ended: pushes are dropped
	sleeping         bool // the reader waits on wake
	wake             chan struct{}
	// retries are the calls that shards refused (WRONGSHARD), in the order
	// refused; retrying is set while retryLoop runs them (moving.go).
	retries  []retry
	retrying bool
	// bg counts the goroutines writing what a non-blocking write left and
	// retryLoop.
	bg sync.WaitGroup
}

// Serve runs a session on nc until the client leaves or ctx ends.
func Serve(ctx context.Context, env *Env, nc net.Conn) {
	s := &Session{
		ctx: ctx, env: env, nc: nc, proto: 2, created: time.Now(),
		authed: env.Password == "",
		ded:    map[*backend.Pool]*backend.Dedicated{},
		wake:   make(chan struct{}, 1),
		depth:  env.MaxPipeline,
	}
	if s.depth <= 0 {
		s.depth = 1024
	}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			s.raw = raw
			s.rw.write = s.rw.do
		}
	}
	s.rd = resp.NewReader(nc)
	if env.MaxBulk > 0 {
		s.rd.MaxBulk = env.MaxBulk
	}
	s.rd.MaxQueryBuffer = env.MaxQueryBuffer
	if s.rd.MaxQueryBuffer <= 0 {
		s.rd.MaxQueryBuffer = 1 << 30
	}
	s.rd.BeforeWait = s.beforeWait
	empty := ""
	s.name.Store(&empty)
	s.published(nil)
	s.id = env.Clients.add(s)
	defer env.Clients.remove(s.id)
	env.Metrics.ConnOpened()
	defer env.Metrics.ConnClosed()

	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	s.readLoop()
	s.closeConns()
	// Replies to what the client sent are still written (a client may
	// send requests and close its side at once).
	s.flushBackends()
	s.waitFor(func() bool { return s.queue.len() == 0 })
	s.omu.Lock()
	s.closed = true // no pushes from here on
	s.omu.Unlock()
	s.flushOut(true)
	// Another goroutine may still be writing the last replies.
	s.waitFor(func() bool { return !s.writing })
	s.bg.Wait()
	nc.Close()
}

// Kill closes the client's connection (CLIENT KILL, shutdown).
func (s *Session) Kill() {
	s.closing.Store(true)
	s.nc.Close()
}

func (s *Session) readLoop() {
	for {
		args, err := s.rd.ReadCommand()
		if s.blocked != nil {
			if err != nil { // the client left while blocked
				s.unblock()
				s.closeConns()
			}
			<-s.blocked.done
			if p := s.blocked.drop; p != nil {
				s.dropDedicated(p)
			}
			s.blocked = nil
			s.unblock()
		}
		if err != nil {
			var pe *resp.ProtocolError
			switch {
			case errors.As(err, &pe):
				c := s.localCall(resp.AppendError(nil, pe.Error()))
				c.quit = true
				s.enqueue(c)
			case errors.Is(err, resp.ErrQueryBufferLimit):
				s.env.Log.Warn("closing client: query buffer limit reached", "client", s.nc.RemoteAddr().String())
			case err == io.EOF || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF):
			default:
				s.env.Log.Debug("client read failed", "err", err)
			}
			return
		}
		if s.unanswered() >= s.depth {
			s.flushBackends()
			s.waitFor(func() bool { return s.unansweredLocked() < s.depth || s.wfailed })
		}
		c := s.dispatch(args)
		if c == nil {
			continue
		}
		quit := c.quit
		s.enqueue(c)
		if quit {
			return
		}
	}
}

// beforeWait runs before the reader blocks for more input: it sends the
// requests dispatched so far and writes the replies that are ready.
func (s *Session) beforeWait() error {
	s.flushBackends()
	s.flushOut(true)
	return nil
}

// touch notes that conn has requests of this session to flush.
func (s *Session) touch(conn *backend.Conn) {
	for _, c := range s.touched {
		if c == conn {
			return
		}
	}
	s.touched = append(s.touched, conn)
}

func (s *Session) flushBackends() {
	for i, c := range s.touched {
		c.Flush()
		s.touched[i] = nil
	}
	s.touched = s.touched[:0]
}

// enqueue puts c in the reply order and sends its requests (written at the
// next flush). c must not be used afterwards: once answered it goes back
// to the pool.
func (s *Session) enqueue(c *call) {
	n := len(c.subs)
	s.omu.Lock()
	if n == 0 && c.done == nil { // else answered by complete
		c.ready = true
	}
	c.left = n
	s.queue.push(c)
	if c.ready {
		s.collectLocked()
	}
	s.omu.Unlock()
	for i := range n {
		u := &c.subs[i]
		conn := u.conn
		s.touch(conn)
		conn.Send(u, u.cmd) // c may be answered and reused from here on
	}
}

// subReply takes a shard's reply to u (backend.Waiter). It runs on the
// shard connection's reader goroutine.
func (s *Session) subReply(u *sub, raw []byte) backend.Flusher {
	c := u.c
	if len(c.subs) == 1 && c.merge == nil {
		if raw[0] == '-' && s.refused(c, raw) {
			return nil
		}
		s.omu.Lock()
		if s.queue.front() == c && !s.wfailed {
			// First in line: straight into the output buffer.
			s.queue.pop()
			s.out = append(s.out, raw...)
			s.outCalls++
			s.answered(c)
			s.collectLocked()
			s.omu.Unlock()
			return s
		}
		s.omu.Unlock()
		u.reply = append(u.reply[:0], raw...)
		s.omu.Lock()
		c.ready = true
		s.collectLocked()
		s.omu.Unlock()
		return s
	}
	u.reply = append(u.reply[:0], raw...)
	s.omu.Lock()
	c.left--
	last := c.left == 0
	s.omu.Unlock()
	if !last {
		return nil
	}
	if c.readID != "" {
		// Every shard answered: the read is complete, its shared locks
		// can go.
		s.lastCross.Store(s.env.Tx.Unlock(c.readID, c.pools))
	}
	if len(c.pools) > 0 { // a fan-out over keys: a shard may refuse them
		if r := refusalOf(c); r != nil && s.refused(c, r) {
			return nil
		}
	}
	if c.merge != nil {
		c.reply = c.merge(c)
	}
	s.omu.Lock()
	c.ready = true
	s.collectLocked()
	s.omu.Unlock()
	return s
}

// complete marks c, whose reply was made elsewhere (a blocking command),
// ready and writes what can be written.
func (s *Session) complete(c *call) {
	s.omu.Lock()
	c.ready = true
	s.collectLocked()
	s.omu.Unlock()
	s.flushOut(true)
}

// collectLocked moves the ready calls at the head of the queue to the
// output buffer.
func (s *Session) collectLocked() {
	for {
		c := s.queue.front()
		if c == nil || !c.ready {
			break
		}
		s.queue.pop()
		if !s.wfailed {
			s.out = append(s.out, c.output()...)
			s.outCalls++
		}
		s.answered(c)
	}
	s.signalLocked()
}

// answered finishes a call whose reply is in the output buffer.
func (s *Session) answered(c *call) {
	if c.quit {
		s.quitting = true
	}
	if !c.start.IsZero() {
		c.cmd.Observe(time.Since(c.start))
	}
	if c.done != nil {
		close(c.done)
	}
	c.release()
}

// Flush writes the replies that are ready without blocking
// (backend.Flusher); what the client cannot take now is written by a
// goroutine of its own.
func (s *Session) Flush() { s.flushOut(false) }

// flushOut writes the output buffer unless another goroutine is writing
// (which then writes it too). Only the reader goroutine may block.
func (s *Session) flushOut(block bool) {
	s.omu.Lock()
	s.writeLocked(block)
	s.omu.Unlock()
}

func (s *Session) writeLocked(block bool) {
	for !s.writing && (len(s.out) > 0 || s.quitting) {
		if s.wfailed {
			s.out = s.out[:0]
			s.outCalls = 0
			s.signalLocked()
			return
		}
		s.writing = true
		buf := s.out
		s.out = s.spare[:0]
		s.spare = nil
		s.wCalls, s.outCalls = s.outCalls, 0
		s.omu.Unlock()
		n, err := s.write(buf, block)
		s.omu.Lock()
		if err == nil && n < len(buf) {
			// The client does not take more now: a goroutine waits
			// until it does; writing stays set meanwhile.
			s.bg.Add(1)
			go s.writeRest(buf, n)
			return
		}
		s.wrote(buf, err)
	}
}

// wrote finishes a write of buf.
func (s *Session) wrote(buf []byte, err error) {
	s.writing = false
	s.wCalls = 0
	if cap(buf) <= 1<<20 {
		s.spare = buf[:0]
	}
	if !s.wfailed && (err != nil || s.quitting && len(s.out) == 0) {
		s.wfailed = true
		s.nc.Close()
	}
	s.signalLocked()
}

func (s *Session) writeRest(buf []byte, n int) {
	defer s.bg.Done()
	_, err := s.nc.Write(buf[n:])
	s.omu.Lock()
	s.wrote(buf, err)
	s.writeLocked(true)
	s.omu.Unlock()
}

// write writes buf to the client; unless block, it writes what the socket
// takes without waiting and returns how much that was.
func (s *Session) write(buf []byte, block bool) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	if block {
		return s.nc.Write(buf)
	}
	if s.raw == nil {
		return 0, nil
	}
	s.rw.buf = buf
	err := s.raw.Write(s.rw.write)
	n, werr := s.rw.n, s.rw.err
	s.rw.buf, s.rw.err = nil, nil
	switch {
	case err != nil:
		return 0, err
	case werr == syscall.EAGAIN:
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	return max(n, 0), nil
}

// rawWrite is one non-blocking write; write is its RawConn callback,
// made once per session so that a write does not allocate.
type rawWrite struct {
	buf   []byte
	n     int
	err   error
	write func(fd uintptr) bool
}

func (w *rawWrite) do(fd uintptr) bool {
	for {
		w.n, w.err = syscall.Write(int(fd), w.buf)
		if w.err != syscall.EINTR {
			return true
		}
	}
}

// signalLocked wakes the reader if it waits for the queue to shrink.
func (s *Session) signalLocked() {
	if s.sleeping {
		s.sleeping = false
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// waitFor blocks the reader goroutine until cond, evaluated with s.omu
// held, is true.
func (s *Session) waitFor(cond func() bool) {
	s.omu.Lock()
	for !cond() {
		s.sleeping = true
		s.omu.Unlock()
		<-s.wake
		s.omu.Lock()
	}
	s.omu.Unlock()
}

func (s *Session) unanswered() int {
	s.omu.Lock()
	defer s.omu.Unlock()
	return s.unansweredLocked()
}

// unansweredLocked counts the requests whose replies are not written yet.
func (s *Session) unansweredLocked() int { return s.queue.len() + s.outCalls + s.wCalls }

// drain waits until every call queued before now has been answered and
// writes the replies.
func (s *Session) drain() {
	s.flushBackends()
	s.waitFor(func() bool { return s.queue.len() == 0 })
	s.flushOut(true)
}

// push queues a pub/sub message for the client without blocking; a client
// that does not read its messages is disconnected, as Redis does when the
// pubsub output buffer limit is hit.
func (s *Session) push(raw []byte) {
	s.omu.Lock()
	if s.closed || s.wfailed {
		s.omu.Unlock()
		return
	}
	if s.unansweredLocked() >= s.depth {
		s.omu.Unlock()
		if !s.closing.Swap(true) {
			s.env.Log.Warn("closing client: pub/sub messages not read fast enough", "client", s.nc.RemoteAddr().String())
			s.nc.Close()
		}
		return
	}
	if s.queue.len() == 0 {
		s.out = append(s.out, raw...)
		s.outCalls++
	} else {
		c := s.newCall()
		c.reply = append(c.reply, raw...)
		c.ready = true
		s.queue.push(c)
	}
	s.writeLocked(false)
	s.omu.Unlock()
}

// localCall returns a call answered by the proxy with reply (copied).
func (s *Session) localCall(reply []byte) *call {
	c := s.newCall()
	c.reply = append(c.reply, reply...)
	return c
}

// forwardCall returns a call sending args to conn.
func (s *Session) forwardCall(conn *backend.Conn, args [][]byte) *call {
	c := s.newCall()
	i := c.addSub(conn)
	c.subs[i].cmd = backend.EncodeArgs(c.subs[i].cmd, args)
	return c
}

func (s *Session) closeConns() {
	for p, d := range s.ded {
		d.Close()
		delete(s.ded, p)
	}
	if s.ps != nil {
		s.ps.close()
	}
}

// dedicated returns the session's own connection to p's shard.
func (s *Session) dedicated(p *backend.Pool) (*backend.Dedicated, []byte) {
	if d := s.ded[p]; d != nil {
		return d, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.env.Backend.DialTimeout)
	defer cancel()
	d, err := backend.DialDedicated(ctx, p.ID, p.Addr, s.proto, s.env.Backend)
	if err != nil {
		s.env.Metrics.BackendError(p.ID)
		return nil, backend.DownReply(p.ID, p.Addr, err.Error())
	}
	s.ded[p] = d
	return d, nil
}

// dropDedicated forgets a broken dedicated connection.
func (s *Session) dropDedicated(p *backend.Pool) {
	if d := s.ded[p]; d != nil {
		d.Close()
		delete(s.ded, p)
	}
}

// Clients is the registry of a proxy's sessions (CLIENT LIST, KILL, INFO).
type Clients struct {
	mu     sync.Mutex // guards m and nextID
	m      map[uint64]*Session
	nextID uint64
	total  atomic.Uint64
}

// NewClients returns an empty registry.
func NewClients() *Clients { return &Clients{m: map[uint64]*Session{}} }

func (cs *Clients) add(s *Session) uint64 {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.nextID++
	cs.m[cs.nextID] = s
	cs.total.Add(1)
	return cs.nextID
}

func (cs *Clients) remove(id uint64) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.m, id)
}

// Len returns the number of connected clients.
func (cs *Clients) Len() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.m)
}

// KillAll closes every client connection.
func (cs *Clients) KillAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, s := range cs.m {
		s.Kill()
	}
}

func (cs *Clients) snapshot() []*Session {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]*Session, 0, len(cs.m))
	for _, s := range cs.m {
		out = append(out, s)
	}
	return out
}
