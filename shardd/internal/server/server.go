package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/shardd/internal/engine"
)

// Options configure a Server.
type Options struct {
	// Addrs are the listen addresses. At least one is required.
	Addrs  []Addr
	Engine *engine.Engine
	Logger *slog.Logger // nil means slog.Default()
	// Limits returns the current connection limits; it is called for
	// every new connection, so CONFIG SET takes effect for new clients.
	Limits func() Limits
}

// Addr is one listen address.
type Addr struct {
	Network string // "tcp", "tcp4" or "tcp6"
	Addr    string // "host:port"; port 0 picks a free port
	// Optional addresses are skipped when they cannot be bound (an IPv6
	// address on a host without IPv6), like Redis's "-" bind prefix.
	Optional bool
}

// Limits are the per-connection limits from the configuration.
type Limits struct {
	MaxClients  int           // maxclients; 0 means no limit
	IdleTimeout time.Duration // timeout; 0 means never
	MaxBulk     int64         // proto-max-bulk-len
	MaxQuery    int           // client-query-buffer-limit; 0 means none
}

// flushThreshold is the reply size at which replies are written even
// though more pipelined requests are waiting.
const flushThreshold = 64 * 1024

// Server serves RESP connections for an engine.
type Server struct {
	opts Options
	log  *slog.Logger
	lns  []net.Listener

	mu     sync.Mutex // guards conns and closed
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// New returns a server; call Listen then Serve.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Server{opts: opts, log: log, conns: make(map[net.Conn]struct{})}
}

// Listen binds every address.
func (s *Server) Listen() error {
	if len(s.opts.Addrs) == 0 {
		return errors.New("server: no listen address")
	}
	for _, a := range s.opts.Addrs {
		ln, err := net.Listen(a.Network, a.Addr)
		if err != nil && a.Optional {
			s.log.Warn("skipping optional listen address", "addr", a.Addr, "err", err)
			continue
		}
		if err != nil {
			for _, l := range s.lns {
				l.Close()
			}
			s.lns = nil
			return err
		}
		s.lns = append(s.lns, ln)
	}
	if len(s.lns) == 0 {
		return errors.New("server: no listen address could be bound")
	}
	return nil
}

// Addr is the first listener's address.
func (s *Server) Addr() net.Addr { return s.lns[0].Addr() }

// Serve accepts connections until Close or ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	var wg sync.WaitGroup
	errc := make(chan error, len(s.lns))
	for _, ln := range s.lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- s.accept(ln)
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) accept(ln net.Listener) error {
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// EMFILE and friends: wait and retry rather than spin.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if !s.track(c) {
			c.Close()
			return nil
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.serveConn(c)
		}()
	}
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Close stops accepting, closes every connection and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	for _, ln := range s.lns {
		ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Server) serveConn(c net.Conn) {
	defer c.Close()
	eng := s.opts.Engine
	lim := s.opts.Limits()
	if lim.MaxClients > 0 && eng.Clients() >= lim.MaxClients {
		eng.RejectConnection()
		c.Write([]byte("-ERR max number of clients reached\r\n"))
		return
	}
	sess := eng.NewSession(c.RemoteAddr().String(), c.LocalAddr().String(), c)
	defer eng.CloseSession(sess)

	out := sess.Reply()
	rd := resp.NewReader(c)
	var counted int64 // request bytes already reported to the engine
	flush := func() error {
		if off := rd.Offset(); off > counted {
			eng.CountNet(int(off-counted), 0)
			counted = off
		}
		if out.Len() == 0 {
			return nil
		}
		// Replies acknowledge writes only once the AOF has them.
		if err := eng.BeforeReply(sess); err != nil {
			s.log.Error("AOF write failed before replying", "err", err)
		}
		n, err := c.Write(out.Bytes())
		eng.CountNet(0, n)
		out.Reset(4 * flushThreshold)
		return err
	}
	rd.MaxBulk = lim.MaxBulk
	rd.MaxQueryBuffer = lim.MaxQuery
	sess.SetProbe(func() (<-chan struct{}, func()) { return probe(c, rd) })
	rd.BeforeWait = func() error {
		if lim.IdleTimeout > 0 {
			c.SetReadDeadline(time.Now().Add(lim.IdleTimeout))
		}
		return flush()
	}
	for {
		args, err := rd.ReadCommand()
		if err != nil {
			s.connError(c, out, err)
			flush()
			return
		}
		eng.Exec(sess, args)
		if sess.Quit() {
			flush()
			return
		}
		if out.Len() >= flushThreshold {
			if err := flush(); err != nil {
				return
			}
		}
	}
}

// connError reports why a connection ends: protocol errors get a reply,
// like in Redis; ordinary disconnects are not logged.
func (s *Server) connError(c net.Conn, out *engine.Reply, err error) {
	var perr *resp.ProtocolError
	switch {
	case errors.As(err, &perr):
		out.Error(perr.Error())
		s.log.Debug("protocol error", "client", c.RemoteAddr().String(), "err", err)
	case errors.Is(err, resp.ErrQueryBufferLimit):
		s.log.Warn("client closed for reaching the query buffer limit", "client", c.RemoteAddr().String())
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET), errors.Is(err, os.ErrDeadlineExceeded):
	default:
		s.log.Debug("connection error", "client", c.RemoteAddr().String(), "err", err)
	}
}

// probe watches a blocked client's connection: gone closes when the client
// disconnects. stop ends the watch and hands whatever the client sent in
// the meantime to the request reader, so it runs after the blocking
// command, as in Redis.
func probe(c net.Conn, rd *resp.Reader) (gone <-chan struct{}, stop func()) {
	g := make(chan struct{})
	done := make(chan struct{})
	var got []byte
	c.SetReadDeadline(time.Time{}) // blocked clients are exempt from timeout
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					close(g)
				}
				return
			}
		}
	}()
	return g, func() {
		c.SetReadDeadline(time.Now()) // wakes the Read above
		<-done
		c.SetReadDeadline(time.Time{})
		rd.Feed(got)
	}
}
