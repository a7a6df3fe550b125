// Package etcdtest starts a real single-member etcd inside a test process,
// on free loopback ports and in a temporary directory, for tests of code
// that keeps state in etcd.
//
// The member ticks fast (10ms heartbeat, 100ms election), so the shortest
// lease TTL, one second, really expires in about one second.
package etcdtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Server is a running embedded etcd.
type Server struct {
	// URL is the client URL, http://127.0.0.1:<port>.
	URL string

	cfg *embed.Config
	e   *embed.Etcd
}

// Start starts an etcd member and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	var lastErr error
	for range 5 { // a free port can be taken between probe and bind
		cfg := embed.NewConfig()
		cfg.Name = "etcdtest"
		cfg.Dir = dir + "/data"
		cfg.TickMs = 10
		cfg.ElectionMs = 100
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		cfg.LogLevel = "error"
		client, peer := freeURL(t), freeURL(t)
		cfg.ListenClientUrls = []url.URL{client}
		cfg.AdvertiseClientUrls = []url.URL{client}
		cfg.ListenPeerUrls = []url.URL{peer}
		cfg.AdvertisePeerUrls = []url.URL{peer}
		cfg.InitialCluster = cfg.Name + "=" + peer.String()
		s := &Server{URL: client.String(), cfg: cfg}
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("etcdtest: cannot start etcd: %v", lastErr)
	return nil
}

func (s *Server) start() error {
	e, err := embed.StartEtcd(s.cfg)
	if err != nil {
		return err
	}
	select {
	case <-e.Server.ReadyNotify():
		s.e = e
		return nil
	case err := <-e.Err():
		e.Close()
		return err
	case <-time.After(30 * time.Second):
		e.Close()
		return fmt.Errorf("not ready after 30s")
	}
}

// Stop stops the member; its data stays for Restart. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	if s.e != nil {
		s.e.Close()
		s.e = nil
	}
}

// Restart starts a stopped member again on the same ports and data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	var err error
	for range 50 { // the old listeners may take a moment to release the ports
		if err = s.start(); err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("etcdtest: cannot restart etcd: %v", err)
	}
}

// Client returns a new client of the member, closed when the test ends.
func (s *Server) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{s.URL},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("etcdtest: client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// Compact compacts the member's history up to its current revision.
func (s *Server) Compact(t testing.TB, cli *clientv3.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, "compact-probe")
	if err != nil {
		t.Fatalf("etcdtest: compact: %v", err)
	}
	if _, err := cli.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatalf("etcdtest: compact: %v", err)
	}
}

// freeURL returns http://127.0.0.1:<port> for a port that was free a moment
// ago.
func freeURL(t testing.TB) url.URL {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}
}
