// Package session serves one client connection of the proxy: it reads
// requests with pkg/resp's Reader (Redis's limits and protocol errors),
// routes each by the shared command table, and writes the replies in
// request order.
//
// Two goroutines per client: the reader parses and dispatches requests
// without waiting for their replies (so a client pipeline becomes a
// backend pipeline), and appends each request's call to a bounded queue;
// the writer takes calls in order, waits for each one's completion
// signal and writes the replies, one write per burst. The queue's capacity
// caps the pipeline depth. Commands that need a connection of their own
// (blocking commands, WATCH/MULTI/EXEC, pub/sub) first drain the queue, so
// they run after everything the client sent before them.
package session

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/metrics"
	"github.com/shardis/shardis/proxy/internal/router"
)

// Env is what every session of a proxy shares. It is read-only after the
// proxy starts.
type Env struct {
	Router  *router.Router
	Backend *backend.Options
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
	env *Env
	nc  net.Conn
	rd  *resp.Reader
	id  uint64

	queue chan *call

	// Connection state, used by the reader goroutine only except where
	// noted.
	proto   int
	authed  bool
	name    atomic.Pointer[string]
	lastCmd atomic.Pointer[string]
	created time.Time
	posBuf  []int

	tx  txState
	ded map[*backend.Pool]*backend.Dedicated // blocking and tx connections
	// blocked is a blocking command in progress on a dedicated connection.
	blocked *call
	ps      *pubsub

	closing atomic.Bool
}

// call is one request's place in the reply order.
type call struct {
	reply []byte
	subs  []*backend.Request
	merge func(c *call) []byte
	// done, if set, is closed when reply is ready (work done elsewhere).
	done chan struct{}
	// barrier, if set, is closed by the writer when it reaches this call.
	barrier chan struct{}
	quit    bool
	end     bool
	// drop names a pool whose dedicated connection broke.
	drop  *backend.Pool
	start time.Time
	cmd   *metrics.Cmd
}

var endCall = &call{end: true}

// Serve runs a session on nc until the client leaves or ctx ends.
func Serve(ctx context.Context, env *Env, nc net.Conn) {
	s := &Session{
		env: env, nc: nc, proto: 2, created: time.Now(),
		authed: env.Password == "",
		ded:    map[*backend.Pool]*backend.Dedicated{},
	}
	depth := env.MaxPipeline
	if depth <= 0 {
		depth = 1024
	}
	s.queue = make(chan *call, depth)
	s.rd = resp.NewReader(nc)
	if env.MaxBulk > 0 {
		s.rd.MaxBulk = env.MaxBulk
	}
	s.rd.MaxQueryBuffer = env.MaxQueryBuffer
	if s.rd.MaxQueryBuffer <= 0 {
		s.rd.MaxQueryBuffer = 1 << 30
	}
	empty := ""
	s.name.Store(&empty)
	s.lastCmd.Store(&empty)
	s.id = env.Clients.add(s)
	defer env.Clients.remove(s.id)
	env.Metrics.ConnOpened()
	defer env.Metrics.ConnClosed()

	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	var wg sync.WaitGroup
	wg.Go(s.writeLoop)
	s.readLoop()
	s.closeConns()
	s.queue <- endCall
	wg.Wait()
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
				s.closeConns()
			}
			<-s.blocked.done
			if p := s.blocked.drop; p != nil {
				s.dropDedicated(p)
			}
			s.blocked = nil
		}
		if err != nil {
			var pe *resp.ProtocolError
			switch {
			case errors.As(err, &pe):
				s.queue <- &call{reply: resp.AppendError(nil, pe.Error()), quit: true}
			case errors.Is(err, resp.ErrQueryBufferLimit):
				s.env.Log.Warn("closing client: query buffer limit reached", "client", s.nc.RemoteAddr().String())
			case err == io.EOF || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF):
			default:
				s.env.Log.Debug("client read failed", "err", err)
			}
			return
		}
		c := s.dispatch(args)
		if c == nil {
			continue
		}
		s.queue <- c
		if c.quit {
			return
		}
	}
}

func (s *Session) writeLoop() {
	var buf []byte
	failed := false
	for {
		c := <-s.queue
		if c.end {
			if !failed && len(buf) > 0 {
				s.nc.Write(buf)
			}
			return
		}
		if c.barrier != nil {
			close(c.barrier)
			continue
		}
		if c.done != nil {
			<-c.done
		}
		for _, r := range c.subs {
			r.Wait()
		}
		out := c.reply
		switch {
		case c.merge != nil:
			out = c.merge(c)
		case len(c.subs) == 1:
			out = c.subs[0].Reply
		}
		if !c.start.IsZero() {
			c.cmd.Observe(time.Since(c.start))
		}
		if failed {
			continue
		}
		buf = append(buf, out...)
		if c.quit || len(s.queue) == 0 || len(buf) > 64*1024 {
			if _, err := s.nc.Write(buf); err != nil {
				failed = true
				s.nc.Close()
			}
			buf = buf[:0]
			if cap(buf) > 1<<20 {
				buf = nil
			}
			if c.quit {
				failed = true
				s.nc.Close()
			}
		}
	}
}

// drain waits until every call queued before now has been written.
func (s *Session) drain() {
	b := &call{barrier: make(chan struct{})}
	s.queue <- b
	<-b.barrier
}

// push queues a pub/sub message for the client without blocking; a client
// that does not read its messages is disconnected, as Redis does when the
// pubsub output buffer limit is hit.
func (s *Session) push(raw []byte) {
	select {
	case s.queue <- &call{reply: raw}:
	default:
		if !s.closing.Swap(true) {
			s.env.Log.Warn("closing client: pub/sub messages not read fast enough", "client", s.nc.RemoteAddr().String())
			s.nc.Close()
		}
	}
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

func lower(b []byte) string { return string(bytes.ToLower(b)) }
