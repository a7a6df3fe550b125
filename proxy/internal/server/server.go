// Package server assembles a shardis-proxy: the client listener, the
// slot-map watcher with its etcd registration, the backend pools and the
// optional metrics/pprof HTTP server. main only parses flags and calls
// Start.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/shardis/shardis/pkg/topology"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/metrics"
	"github.com/shardis/shardis/proxy/internal/router"
	"github.com/shardis/shardis/proxy/internal/session"
	"github.com/shardis/shardis/proxy/internal/twophase"
)

// Options configures a proxy. Zero values mean the documented defaults.
type Options struct {
	// Listen is the client address, host:port; port 0 picks a free port
	// (default 127.0.0.1:6380).
	Listen string
	// Etcd lists the etcd endpoints (required).
	Etcd []string
	// Cluster is the cluster name (default "default").
	Cluster string
	// ID is the proxy's ID in etcd (default a random p-<hex>).
	ID string
	// Password is requirepass for clients ("" = none).
	Password string
	// Secret is the cluster secret for the shards' internal commands.
	Secret string
	// Metrics is the HTTP address for /metrics and /debug/pprof ("" = off).
	Metrics string
	// BackendTimeout is how long a shard may take to answer a request
	// before its connection is declared broken (default 10s).
	BackendTimeout time.Duration
	// DialTimeout bounds connecting to a shard (default 1s).
	DialTimeout time.Duration
	// ConnsPerShard is the number of multiplexed connections per shard
	// (default 2).
	ConnsPerShard int
	// LeaseTTL is the etcd lease of the proxy's registration (default 10s).
	LeaseTTL time.Duration
	// MaxPipeline caps the requests in flight per client (default 1024).
	MaxPipeline int
	// TxTimeout is how long a shard keeps a cross-shard transaction
	// prepared, or a cross-shard read's shared locks, before resolving
	// them by itself (default 3s).
	TxTimeout time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
	// Version is reported by INFO.
	Version string
}

// Validate checks the options and fills in defaults.
func (o *Options) Validate() error {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:6380"
	}
	if len(o.Etcd) == 0 {
		return errors.New("proxy: no etcd endpoint (--etcd)")
	}
	if o.Cluster == "" {
		o.Cluster = topology.DefaultCluster
	}
	if err := topology.ValidateCluster(o.Cluster); err != nil {
		return err
	}
	if o.BackendTimeout <= 0 {
		o.BackendTimeout = 10 * time.Second
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = time.Second
	}
	if o.ConnsPerShard <= 0 {
		o.ConnsPerShard = 2
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 10 * time.Second
	}
	if o.MaxPipeline <= 0 {
		o.MaxPipeline = 1024
	}
	if o.TxTimeout <= 0 {
		o.TxTimeout = twophase.DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	return nil
}

// Proxy is a running proxy.
type Proxy struct {
	opts    Options
	ln      net.Listener
	httpLn  net.Listener
	httpSrv *http.Server
	etcd    *clientv3.Client
	reg     *topology.Registration
	router  *router.Router
	env     *session.Env
	tx      *twophase.Coordinator
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	conns   sync.WaitGroup
}

// Start starts a proxy: it connects to etcd, listens, registers and
// begins to follow the slot map. Clients are served at once; until the
// first map is applied they get a CLUSTERDOWN error.
func Start(opts Options) (*Proxy, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{opts: opts, cancel: cancel}
	fail := func(err error) (*Proxy, error) {
		p.Close()
		return nil, err
	}
	cli, err := topology.Connect(ctx, opts.Etcd, 5*time.Second)
	if err != nil {
		return fail(err)
	}
	p.etcd = cli
	topo, err := topology.New(cli, topology.Options{Cluster: opts.Cluster, Logger: log})
	if err != nil {
		return fail(err)
	}
	p.ln, err = net.Listen("tcp", opts.Listen)
	if err != nil {
		return fail(fmt.Errorf("proxy: cannot listen on %s: %w", opts.Listen, err))
	}
	m := metrics.New()
	bopts := &backend.Options{
		Secret: opts.Secret, DialTimeout: opts.DialTimeout, Timeout: opts.BackendTimeout,
		ConnsPerShard: opts.ConnsPerShard, Logger: log, OnError: m.BackendError,
	}
	p.router = router.New(bopts, log)
	p.router.OnApply = func(t *router.Table) { m.MapVersion(t.Version) }
	p.reg, err = topo.Register(ctx, topology.Proxy{ID: opts.ID, Addr: p.ln.Addr().String()}, opts.LeaseTTL)
	if err != nil {
		return fail(fmt.Errorf("proxy: cannot register in etcd: %w", err))
	}
	p.tx = twophase.New(twophase.Options{ProxyID: p.reg.Proxy().ID, Timeout: opts.TxTimeout, Metrics: m, Logger: log})
	p.env = &session.Env{
		Router: p.router, Backend: bopts, Tx: p.tx, Password: opts.Password, Metrics: m, Log: log,
		ProxyID: p.reg.Proxy().ID, Addr: p.ln.Addr().String(), Started: time.Now(), Version: opts.Version,
		Clients: session.NewClients(), MaxPipeline: opts.MaxPipeline,
	}
	p.env.Config = p.configList()
	if opts.Metrics != "" {
		if err := p.startHTTP(m); err != nil {
			return fail(err)
		}
	}
	p.wg.Go(func() { p.router.Run(ctx, topo, p.reg) })
	p.wg.Go(func() { p.accept(ctx) })
	log.Info("ready to accept connections", "addr", p.ln.Addr().String(), "id", p.reg.Proxy().ID, "cluster", opts.Cluster)
	return p, nil
}

func (p *Proxy) configList() [][2]string {
	o := p.opts
	pass := o.Password
	return [][2]string{
		{"listen", p.ln.Addr().String()},
		{"bind", strings.Split(p.ln.Addr().String(), ":")[0]},
		{"port", strconv.Itoa(p.ln.Addr().(*net.TCPAddr).Port)},
		{"etcd", strings.Join(o.Etcd, ",")},
		{"cluster", o.Cluster},
		{"id", p.reg.Proxy().ID},
		{"requirepass", pass},
		{"metrics", o.Metrics},
		{"backend-timeout", o.BackendTimeout.String()},
		{"dial-timeout", o.DialTimeout.String()},
		{"conns-per-shard", strconv.Itoa(o.ConnsPerShard)},
		{"lease-ttl", o.LeaseTTL.String()},
		{"max-pipeline", strconv.Itoa(o.MaxPipeline)},
		{"tx-timeout", o.TxTimeout.String()},
		{"databases", "1"},
		{"cluster-enabled", "no"},
	}
}

func (p *Proxy) startHTTP(m *metrics.Metrics) error {
	ln, err := net.Listen("tcp", p.opts.Metrics)
	if err != nil {
		return fmt.Errorf("proxy: cannot listen on %s for metrics: %w", p.opts.Metrics, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	p.httpLn = ln
	p.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	p.wg.Go(func() { p.httpSrv.Serve(ln) })
	p.opts.Logger.Info("metrics and pprof", "addr", ln.Addr().String())
	return nil
}

// Addr is the client address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// MetricsAddr is the HTTP address, "" when off.
func (p *Proxy) MetricsAddr() string {
	if p.httpLn == nil {
		return ""
	}
	return p.httpLn.Addr().String()
}

// Version is the slot-map version in use, 0 before the first.
func (p *Proxy) Version() uint64 {
	if t := p.router.Current(); t != nil {
		return t.Version
	}
	return 0
}

func (p *Proxy) accept(ctx context.Context) {
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			p.opts.Logger.Warn("accept failed", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
			tc.SetKeepAlive(true)
		}
		p.conns.Go(func() { session.Serve(ctx, p.env, nc) })
	}
}

// Close stops the proxy: it stops accepting, closes client connections,
// unregisters from etcd and closes the shard connections. A cross-shard
// write in progress is carried to its decision first (a conflict backoff
// ends at once).
func (p *Proxy) Close() error {
	if p.ln != nil {
		p.ln.Close()
	}
	if p.httpSrv != nil {
		p.httpSrv.Close()
	}
	if p.env != nil {
		p.env.Clients.KillAll()
	}
	p.cancel()
	p.conns.Wait()
	if p.reg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		p.reg.Close(ctx)
		cancel()
	}
	p.wg.Wait()
	if p.router != nil {
		p.router.Close()
	}
	if p.tx != nil {
		// After the pools closed: what still waits for a shard's reply
		// fails at once.
		p.tx.Wait()
	}
	if p.etcd != nil {
		p.etcd.Close()
	}
	return nil
}
