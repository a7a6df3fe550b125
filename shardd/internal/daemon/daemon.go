package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shardis/shardis/shardd/aof"
	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/engine"
	"github.com/shardis/shardis/shardd/internal/server"
)

// Daemon is a running shardd.
type Daemon struct {
	cfg    *config.Config
	log    *slog.Logger
	eng    *engine.Engine
	srv    *server.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errc   chan error
	// metrics serves /metrics and pprof when metrics-addr is set.
	metrics *metricsServer
}

// Start builds the engine from cfg, binds the listeners and starts serving.
// It returns once the daemon accepts connections.
func Start(cfg *config.Config, log *slog.Logger) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var srv *server.Server
	eng, err := engine.New(engine.Options{
		Config: cfg,
		Logger: log,
		// SHUTDOWN stops serving; Err then reports the end to main,
		// which closes the daemon like on SIGTERM.
		Shutdown: func() {
			log.Info("shutdown requested by a client")
			srv.Close()
		},
	})
	if err != nil {
		return nil, err
	}
	// Redis's precedence: the AOF when appendonly is yes, else dump.rdb.
	if cfg.Bool("appendonly") {
		if err := openAOF(cfg, log, eng); err != nil {
			return nil, err
		}
	} else if err := eng.LoadRDB(); err != nil {
		return nil, err
	}
	// After the data: replaying the AOF is not fenced (see LoadSlots).
	if err := eng.LoadSlots(); err != nil {
		return nil, err
	}
	srv = server.New(server.Options{
		Addrs:  listenAddrs(cfg),
		Engine: eng,
		Logger: log,
		Limits: func() server.Limits {
			return server.Limits{
				MaxClients:  int(cfg.Int("maxclients")),
				IdleTimeout: time.Duration(cfg.Int("timeout")) * time.Second,
				MaxBulk:     cfg.Bytes("proto-max-bulk-len"),
				MaxQuery:    int(cfg.Bytes("client-query-buffer-limit")),
			}
		},
	})
	if err := srv.Listen(); err != nil {
		return nil, fmt.Errorf("cannot listen: %w", err)
	}
	var metrics *metricsServer
	if addr := cfg.String("metrics-addr"); addr != "" {
		if metrics, err = startMetrics(addr, eng, log); err != nil {
			srv.Close()
			return nil, fmt.Errorf("cannot serve metrics: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Daemon{cfg: cfg, log: log, eng: eng, srv: srv, cancel: cancel, errc: make(chan error, 1), metrics: metrics}
	d.wg.Add(2)
	go func() {
		defer d.wg.Done()
		eng.Run(ctx)
	}()
	go func() {
		defer d.wg.Done()
		d.errc <- srv.Serve(ctx)
	}()
	log.Info("ready to accept connections", "addr", srv.Addr().String(), "version", engine.Version)
	return d, nil
}

// Addr is the address of the first listener.
func (d *Daemon) Addr() net.Addr { return d.srv.Addr() }

// Engine is the daemon's engine.
func (d *Daemon) Engine() *engine.Engine { return d.eng }

// Err delivers the server's exit error once it stops serving.
func (d *Daemon) Err() <-chan error { return d.errc }

// Close stops serving, closes every connection and waits for the
// background jobs.
func (d *Daemon) Close() error {
	d.cancel()
	if d.metrics != nil {
		d.metrics.close()
	}
	err := d.srv.Close()
	d.wg.Wait()
	if cerr := d.eng.Close(); err == nil {
		err = cerr
	}
	d.log.Info("shardd stopped")
	return err
}

// openAOF loads the append-only file when appendonly is yes and makes the
// engine log to it.
func openAOF(cfg *config.Config, log *slog.Logger, eng *engine.Engine) error {
	fsync, err := aof.ParseFsync(cfg.String("appendfsync"))
	if err != nil {
		return err
	}
	a, err := aof.Open(aof.Options{
		Dir:           filepath.Join(cfg.String("dir"), cfg.String("appenddirname")),
		Name:          cfg.String("appendfilename"),
		Fsync:         fsync,
		LoadTruncated: cfg.Bool("aof-load-truncated"),
		Logger:        log,
	})
	if err != nil {
		return err
	}
	if err := eng.LoadAOF(a); err != nil {
		return fmt.Errorf("cannot load the AOF: %w", err)
	}
	if err := a.Start(); err != nil {
		return err
	}
	cfg.OnChange("appendfsync", func(v string) error {
		p, err := aof.ParseFsync(v)
		if err == nil {
			a.SetFsync(p)
		}
		return err
	})
	eng.AttachAOF(a)
	return nil
}

// listenAddrs turns bind and port into listen addresses. "*" is every
// IPv4 address and "::*" every IPv6 one; a leading '-' marks an address
// that may be unavailable (server.Listen skips it when it cannot bind).
func listenAddrs(cfg *config.Config) []server.Addr {
	port := strconv.FormatInt(cfg.Int("port"), 10)
	var addrs []server.Addr
	for _, h := range cfg.BindAddrs() {
		optional := strings.HasPrefix(h, "-")
		h = strings.TrimPrefix(h, "-")
		network := "tcp"
		switch h {
		case "*":
			h, network = "0.0.0.0", "tcp4"
		case "::*":
			h, network = "::", "tcp6"
		}
		addrs = append(addrs, server.Addr{Network: network, Addr: net.JoinHostPort(h, port), Optional: optional})
	}
	return addrs
}
