// Package shardtest starts shardd in-process for tests: a real daemon on a
// free loopback port with its data in the test's temporary directory, and
// real go-redis clients connected to it.
package shardtest

import (
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/daemon"
)

// Server is a running in-process shardd.
type Server struct {
	*daemon.Daemon
	Addr string
}

// Start runs a shardd with the defaults plus directives ("name value",
// as in redis.conf) and stops it when the test ends.
func Start(t testing.TB, directives ...string) *Server {
	t.Helper()
	cfg := config.Default()
	lines := append([]string{"port 0", "bind 127.0.0.1", "dir " + t.TempDir()}, directives...)
	if err := cfg.LoadString(strings.Join(lines, "\n")); err != nil {
		t.Fatalf("shardtest config: %v", err)
	}
	level := slog.LevelWarn
	if os.Getenv("SHARDTEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	d, err := daemon.Start(cfg, log)
	if err != nil {
		t.Fatalf("start shardd: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return &Server{Daemon: d, Addr: d.Addr().String()}
}

// Client returns a go-redis client (RESP3, like go-redis's default) that
// is closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}
