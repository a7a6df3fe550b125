// Package etcdserver runs a single-member etcd inside shardis-meta, so that
// Shardis can be tried on one machine without installing etcd.
//
// The member keeps its data in Options.DataDir; starting it again on the
// same directory continues where it stopped. Its log goes to the
// *slog.Logger in Options: etcd's own info lines at debug level, its
// warnings and errors as such.
package etcdserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Options configures the member.
type Options struct {
	// DataDir holds the member's data; created if missing. Required.
	DataDir string
	// Listen is the client address, host:port. Port 0 picks a free port
	// (Server.URL tells which). Default 127.0.0.1:2379.
	Listen string
	// PeerListen is the peer address, host:port. A single member talks to
	// no peer, but etcd always listens. Default: the Listen host and its
	// port plus one (2380 for 2379), or a free port when Listen's port is 0.
	PeerListen string
	// StartTimeout bounds the wait for the member to be ready. Default 60s.
	StartTimeout time.Duration
	// Logger receives the member's log. nil discards it.
	Logger *slog.Logger
}

// DefaultListen is the default client address, etcd's usual one.
const DefaultListen = "127.0.0.1:2379"

// ErrInvalid is returned for invalid Options.
var ErrInvalid = errors.New("etcd: invalid options")

// Validate fills in defaults and checks the options.
func (o *Options) Validate() error {
	if o.DataDir == "" {
		return fmt.Errorf("%w: a data directory is required (--data-dir)", ErrInvalid)
	}
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	host, port, err := splitAddr(o.Listen)
	if err != nil {
		return fmt.Errorf("%w: listen address %q: %v", ErrInvalid, o.Listen, err)
	}
	if o.PeerListen == "" {
		peer := 0
		if port != 0 {
			peer = port + 1
		}
		o.PeerListen = net.JoinHostPort(host, strconv.Itoa(peer))
	}
	if _, _, err := splitAddr(o.PeerListen); err != nil {
		return fmt.Errorf("%w: peer listen address %q: %v", ErrInvalid, o.PeerListen, err)
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

func splitAddr(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65534 {
		return "", 0, fmt.Errorf("bad port %q", port)
	}
	if host == "" {
		return "", 0, errors.New("host missing (use 0.0.0.0 for every interface)")
	}
	return host, n, nil
}

// Server is a running member.
type Server struct {
	// URL is the address clients use, http://host:port (with the real
	// port when Options.Listen asked for port 0).
	URL string

	e    *embed.Etcd
	log  *slog.Logger
	core *slogCore
}

// Start starts the member and waits until it serves clients.
func Start(opts Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cu := url.URL{Scheme: "http", Host: opts.Listen}
	pu := url.URL{Scheme: "http", Host: opts.PeerListen}
	cfg := embed.NewConfig()
	cfg.Name = "shardis-meta"
	cfg.Dir = opts.DataDir
	cfg.ListenClientUrls = []url.URL{cu}
	cfg.AdvertiseClientUrls = []url.URL{cu}
	cfg.ListenPeerUrls = []url.URL{pu}
	cfg.AdvertisePeerUrls = []url.URL{pu}
	cfg.InitialCluster = cfg.Name + "=" + pu.String()
	// Each slot-map change and proxy acknowledgement is a revision; keep
	// an hour of history so watchers can catch up, not all of it.
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "1h"
	core := newSlogCore(opts.Logger.Handler())
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.New(core))

	opts.Logger.Info("starting etcd", "data_dir", opts.DataDir, "listen", opts.Listen, "peer_listen", opts.PeerListen)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot start etcd in %s: %w", opts.DataDir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcd failed while starting: %w", err)
	case <-time.After(opts.StartTimeout):
		e.Close()
		return nil, fmt.Errorf("etcd not ready after %v", opts.StartTimeout)
	}
	s := &Server{e: e, log: opts.Logger, core: core}
	if len(e.Clients) > 0 {
		s.URL = "http://" + e.Clients[0].Addr().String()
	} else {
		s.URL = cu.String()
	}
	s.log.Info("etcd ready", "url", s.URL)
	return s, nil
}

// Wait blocks until ctx ends (a clean stop) or the member fails, then
// stops the member.
func (s *Server) Wait(ctx context.Context) error {
	defer s.Close()
	select {
	case <-ctx.Done():
		s.log.Info("stopping etcd")
		return nil
	case err := <-s.e.Err():
		return fmt.Errorf("etcd failed: %w", err)
	case <-s.e.Server.StopNotify():
		return errors.New("etcd stopped by itself")
	}
}

// Close stops the member and waits until it has stopped. It may be called
// more than once, but not concurrently with Wait.
func (s *Server) Close() {
	if s.e != nil {
		s.core.stopping.Store(true)
		s.e.Close()
		s.e = nil
		s.log.Info("etcd stopped")
	}
}
