// Command shardis-proxy is the Shardis proxy: clients speak RESP to it as
// to one Redis server, and it routes every command to the shard that owns
// its keys, following the slot map in etcd.
//
//	shardis-proxy --listen 127.0.0.1:6380 --etcd 127.0.0.1:2379 [--cluster NAME]
//	              [--requirepass PASS] [--metrics 127.0.0.1:9121] [--config FILE]
//
// A config file holds the same settings, one "name value" per line (as in
// redis.conf); flags given on the command line win over the file. SIGINT
// or SIGTERM stops it cleanly.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/proxy/internal/server"
)

// Version is set with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("shardis-proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		config    = fs.String("config", "", "config file: one 'name value' per line, same names as the flags")
		listen    = fs.String("listen", "127.0.0.1:6380", "client address host:port (port 0 picks a free port)")
		etcd      = fs.String("etcd", "", "comma-separated etcd endpoints (default $SHARDIS_ETCD, else 127.0.0.1:2379)")
		cluster   = fs.String("cluster", "default", "cluster name")
		id        = fs.String("id", "", "proxy ID in etcd (default random p-<hex>)")
		pass      = fs.String("requirepass", "", "password clients must AUTH with (default none)")
		secret    = fs.String("cluster-secret", "", "the shards' cluster-secret, for internal commands (default $SHARDIS_CLUSTER_SECRET)")
		metrics   = fs.String("metrics", "", "HTTP address for /metrics and /debug/pprof (default off)")
		btimeout  = fs.Duration("backend-timeout", 0, "time a shard may take to answer before its connection is reset (default 10s)")
		dtimeout  = fs.Duration("dial-timeout", 0, "time limit to connect to a shard (default 1s)")
		conns     = fs.Int("conns-per-shard", 0, "multiplexed connections per shard (default 2)")
		lease     = fs.Duration("lease-ttl", 0, "etcd lease TTL of the proxy's registration (default 10s)")
		pipeline  = fs.Int("max-pipeline", 0, "requests in flight per client (default 1024)")
		txTimeout = fs.Duration("tx-timeout", 0, "time a shard keeps a cross-shard write prepared (or a cross-shard read's locks) before resolving it by itself (default 3s)")
		logLevel  = fs.String("log-level", "info", "debug, info, warn or error")
		logFormat = fs.String("log-format", "text", "text or json")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: shardis-proxy [--config FILE] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shardis-proxy: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *config != "" {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if err := loadConfig(fs, *config, set); err != nil {
			fmt.Fprintln(stderr, "shardis-proxy:", err)
			return 2
		}
	}
	if *etcd == "" {
		*etcd = os.Getenv("SHARDIS_ETCD")
	}
	if *etcd == "" {
		*etcd = "127.0.0.1:2379"
	}
	if *secret == "" {
		// From the environment, so that it need not show in ps.
		*secret = os.Getenv("SHARDIS_CLUSTER_SECRET")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "shardis-proxy: bad --log-level:", *logLevel)
		return 2
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(stderr, hopts)
	if *logFormat == "json" {
		h = slog.NewJSONHandler(stderr, hopts)
	}
	log := slog.New(h)

	p, err := server.Start(server.Options{
		Listen: *listen, Etcd: strings.Split(*etcd, ","), Cluster: *cluster, ID: *id,
		Password: *pass, Secret: *secret, Metrics: *metrics,
		BackendTimeout: *btimeout, DialTimeout: *dtimeout, ConnsPerShard: *conns,
		LeaseTTL: *lease, MaxPipeline: *pipeline, TxTimeout: *txTimeout, Logger: log, Version: Version,
	})
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	log.Info("received shutdown signal, stopping")
	p.Close()
	log.Info("stopped")
	return 0
}

// loadConfig applies a config file's settings to the flags not given on
// the command line.
func loadConfig(fs *flag.FlagSet, path string, set map[string]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot open config: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		words, ok := resp.SplitArgs([]byte(line), nil)
		if !ok || len(words) != 2 {
			return fmt.Errorf("%s:%d: want `name value`", path, n)
		}
		name := strings.ToLower(string(words[0]))
		if name == "config" || fs.Lookup(name) == nil {
			return fmt.Errorf("%s:%d: unknown setting %q", path, n, name)
		}
		if set[name] {
			continue
		}
		if err := fs.Set(name, string(words[1])); err != nil {
			return fmt.Errorf("%s:%d: %s: %v", path, n, name, err)
		}
	}
	return sc.Err()
}
