// Command shardd is the Shardis shard daemon: a Redis-compatible server
// that runs standalone or as one shard of a cluster. It is started the way
// redis-server is:
//
//	shardd [/path/to/shardd.conf] [--directive value ...]
//
// Without a path it reads the file named by the CONFIG environment variable,
// else ./redis.conf if present, else runs on the defaults (bound to
// 127.0.0.1). SIGTERM or SIGINT stops it cleanly.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/daemon"
	"github.com/shardis/shardis/shardd/internal/engine"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 1 && (args[0] == "-v" || args[0] == "--version") {
		fmt.Printf("shardd %s (Redis %s compatible)\n", engine.Version, engine.RedisVersion)
		return 0
	}
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		usage(os.Stdout)
		return 0
	}
	path, overrides, err := config.ParseArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shardd:", err)
		usage(os.Stderr)
		return 2
	}
	if path == "" {
		path = defaultConfigPath()
	}
	cfg, err := config.Load(path, overrides)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log, closeLog, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shardd:", err)
		return 1
	}
	defer closeLog()
	if path != "" {
		log.Info("configuration loaded", "file", path)
	}

	d, err := daemon.Start(cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	select {
	case <-ctx.Done():
		log.Info("received shutdown signal, stopping")
	case err := <-d.Err():
		if err != nil {
			log.Error("server stopped", "err", err)
			d.Close()
			return 1
		}
	}
	if err := d.Close(); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

// defaultConfigPath applies Redis's fallbacks when no path was given.
func defaultConfigPath() string {
	if p := os.Getenv("CONFIG"); p != "" {
		return p
	}
	if _, err := os.Stat("redis.conf"); err == nil {
		return "redis.conf"
	}
	return ""
}

// newLogger builds the daemon's logger from logfile and loglevel.
func newLogger(cfg *config.Config) (*slog.Logger, func(), error) {
	var w io.Writer = os.Stderr
	closeFn := func() {}
	if name := cfg.String("logfile"); name != "" {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot open logfile: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	// A LevelVar, so that CONFIG SET loglevel takes effect at once.
	level := new(slog.LevelVar)
	level.Set(logLevel(cfg.String("loglevel")))
	cfg.OnChange("loglevel", func(v string) error {
		level.Set(logLevel(v))
		return nil
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closeFn, nil
}

// logLevel maps Redis's loglevel names to slog levels.
func logLevel(name string) slog.Level {
	switch strings.ToLower(name) {
	case "debug":
		return slog.LevelDebug
	case "verbose":
		return slog.LevelDebug + 2
	case "warning":
		return slog.LevelWarn
	case "nothing":
		return slog.LevelError + 4
	}
	return slog.LevelInfo
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: shardd [/path/to/shardd.conf] [--directive value ...]
       shardd --version

Every redis.conf directive works as a file line or as --directive value,
for example:
  shardd --port 7001 --bind 127.0.0.1 --dir /var/lib/shardd
Without a path, $CONFIG or ./redis.conf is read if present. port 0 picks
a free port; the log line "ready to accept connections" gives the address.
`)
}
