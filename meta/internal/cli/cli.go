// Package cli is shardis-meta's command line: it parses the arguments,
// runs the command through package admin (or etcdserver) and prints the
// result as a table or as JSON. Errors are one line on stderr, never a
// stack trace. main only wires it to the process.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/shardis/shardis/meta/internal/admin"
	"github.com/shardis/shardis/meta/internal/etcdserver"
	"github.com/shardis/shardis/meta/internal/probe"
	"github.com/shardis/shardis/pkg/topology"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed
	ExitUsage = 2 // bad arguments
)

// EnvEtcd names the environment variable with the etcd endpoints; --etcd
// wins over it.
const EnvEtcd = "SHARDIS_ETCD"

// EnvSecret names the environment variable with the cluster secret;
// --cluster-secret wins over it.
const EnvSecret = "SHARDIS_CLUSTER_SECRET"

// DefaultEtcd is used when neither --etcd nor SHARDIS_ETCD is set: the
// address 'shardis-meta etcd' listens on by default.
const DefaultEtcd = "127.0.0.1:2379"

const usage = `Usage: shardis-meta [flags] COMMAND [ARGS] [flags]

Administers a Shardis cluster, whose topology lives in etcd.

Commands:
  etcd --data-dir DIR [--listen HOST:PORT]
        run a single-node etcd until SIGINT/SIGTERM (prints its URL)
  init --shards HOST:PORT,...
        create the cluster and spread the 16384 slots over the shards
  shard add HOST:PORT [--id ID] [--rebalance [JOB FLAGS]]
        register a shard; with --rebalance, then move slots to it until
        every shard has an even share (else it gets no slots)
  shard list [--json]
        list the registered shards
  shard remove ID [--drain [JOB FLAGS]]
        unregister a shard that owns no slots; with --drain, first move
        all its slots to the other shards, evenly
  slots [--json]
        the slot map as ranges per shard
  slots move FIRST-LAST[,...] --to ID [--dry-run] [JOB FLAGS]
        move slots, with their keys, to a shard
  rebalance [--dry-run] [JOB FLAGS]
        move as few slots as possible so that every shard has 16384/n
  rebalance --resume | --abort [--max-keys-per-sec N]
        continue the resharding job in progress (after Ctrl-C or a
        crash), or end it with its current batch moved back
  status [--json]
        shards (reachability, keys, memory, slots), proxies, migrations,
        the resharding job in progress, and cross-shard transactions
        prepared for more than 2 seconds

Job flags (slots move, rebalance, shard add --rebalance, shard remove
--drain). One job runs at a time; Ctrl-C stops it after its current step:
  --batch-slots N        slots marked, copied and finished together
                         (default 256)
  --max-keys-per-sec N   copy throttle (default 0: none)
  --barrier-timeout D    limit of each wait for the proxies to apply a
                         map version; keep it above their lease TTL
                         (default 30s)

Flags, accepted before or after the command:
  --etcd ENDPOINTS    comma-separated etcd endpoints
                      (default: $SHARDIS_ETCD, else 127.0.0.1:2379)
  --cluster NAME      cluster name (default "default")
  --timeout DURATION  limit for reaching etcd and for each shard probe,
                      e.g. 500ms, 3s (default 3s)
  --cluster-secret S  the shards' cluster-secret, for their internal
                      commands (default: $SHARDIS_CLUSTER_SECRET)
`

// global holds the flags every command accepts.
type global struct {
	etcd    string
	cluster string
	timeout time.Duration
	secret  string
}

func (g *global) register(fs *flag.FlagSet) {
	fs.StringVar(&g.etcd, "etcd", g.etcd, "comma-separated etcd endpoints (default $"+EnvEtcd+", else "+DefaultEtcd+")")
	fs.StringVar(&g.cluster, "cluster", g.cluster, "cluster name")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "limit for reaching etcd and each shard probe")
	fs.StringVar(&g.secret, "cluster-secret", g.secret, "the shards' cluster-secret (default $"+EnvSecret+")")
}

// usageError is a mistake in the arguments (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// errHelp means help was asked for and printed.
var errHelp = errors.New("help")

// Run runs shardis-meta with args (without the program name), reading
// environment variables through getenv. It returns the exit code. ctx ends
// the etcd command, and interrupts the others.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	r := &runner{
		g:      global{cluster: topology.DefaultCluster, timeout: 3 * time.Second},
		getenv: getenv,
		stdout: stdout,
		stderr: stderr,
	}
	err := r.run(ctx, args)
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "shardis-meta: %v\nRun 'shardis-meta help' for usage.\n", err)
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "shardis-meta: %v\n", err)
		return ExitError
	}
}

type runner struct {
	g      global
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// newFlagSet returns a flag set for a command that also takes the global
// flags.
func (r *runner) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by Run, help by printHelp
	r.g.register(fs)
	return fs
}

// parse parses flags anywhere among args (the flag package stops at the
// first non-flag argument) and returns the other arguments in order.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (r *runner) run(ctx context.Context, args []string) error {
	fs := r.newFlagSet("shardis-meta")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(r.stdout, usage)
			return errHelp
		}
		return usagef("%v", err)
	}
	args = fs.Args()
	if len(args) == 0 {
		fmt.Fprint(r.stderr, usage)
		return usagef("no command given")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(r.stdout, usage)
		return nil
	case "etcd":
		return r.etcd(ctx, args)
	case "init":
		return r.init(ctx, args)
	case "shard", "shards":
		if len(args) == 0 {
			return usagef("shard: want a subcommand: add, list or remove")
		}
		switch sub, rest := args[0], args[1:]; sub {
		case "add":
			return r.shardAdd(ctx, rest)
		case "list", "ls":
			return r.shardList(ctx, rest)
		case "remove", "rm":
			return r.shardRemove(ctx, rest)
		default:
			return usagef("shard: unknown subcommand %q (want add, list or remove)", sub)
		}
	case "slots":
		if len(args) > 0 && args[0] == "move" {
			return r.slotsMove(ctx, args[1:])
		}
		return r.slots(ctx, args)
	case "rebalance":
		return r.rebalance(ctx, args)
	case "status":
		return r.status(ctx, args)
	default:
		return usagef("unknown command %q", cmd)
	}
}

// endpoints returns the etcd endpoints: --etcd, else SHARDIS_ETCD, else
// the default.
func (r *runner) endpoints() []string {
	v := r.g.etcd
	if v == "" {
		v = r.getenv(EnvEtcd)
	}
	if v == "" {
		v = DefaultEtcd
	}
	var eps []string
	for e := range strings.SplitSeq(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			eps = append(eps, e)
		}
	}
	return eps
}

// connect validates the global flags, reaches etcd and returns an Admin,
// and a function that releases the connection.
func (r *runner) connect(ctx context.Context) (*admin.Admin, func(), error) {
	if err := topology.ValidateCluster(r.g.cluster); err != nil {
		return nil, nil, usagef("--cluster: %v", err)
	}
	if r.g.timeout <= 0 {
		return nil, nil, usagef("--timeout must be positive")
	}
	eps := r.endpoints()
	if len(eps) == 0 {
		return nil, nil, usagef("--etcd: no endpoint")
	}
	cli, err := topology.Connect(ctx, eps, r.g.timeout)
	if err != nil {
		return nil, nil, err
	}
	topo, err := topology.New(cli, topology.Options{Cluster: r.g.cluster})
	if err != nil {
		cli.Close()
		return nil, nil, err
	}
	secret := r.g.secret
	if secret == "" {
		secret = r.getenv(EnvSecret)
	}
	a := &admin.Admin{Topo: topo, Probe: probe.Options{Timeout: r.g.timeout, Secret: secret}}
	return a, func() { closeQuietly(cli) }, nil
}

func closeQuietly(cli *clientv3.Client) { _ = cli.Close() }

// noArgs rejects positional arguments.
func noArgs(cmd string, pos []string) error {
	if len(pos) > 0 {
		return usagef("%s: unexpected argument %q", cmd, pos[0])
	}
	return nil
}

func (r *runner) printJSON(v any) error {
	enc := json.NewEncoder(r.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (r *runner) etcd(ctx context.Context, args []string) error {
	fs := r.newFlagSet("etcd")
	var opts etcdserver.Options
	var level, format string
	fs.StringVar(&opts.DataDir, "data-dir", "", "directory for etcd's data (required)")
	fs.StringVar(&opts.Listen, "listen", etcdserver.DefaultListen, "client address host:port (port 0: a free port)")
	fs.StringVar(&opts.PeerListen, "peer-listen", "", "peer address host:port (default: the client port plus one)")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error (debug includes etcd's own info lines)")
	fs.StringVar(&format, "log-format", "text", "text or json")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("etcd", pos); err != nil {
		return err
	}
	if opts.DataDir == "" {
		return usagef("etcd: --data-dir is required")
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return usagef("etcd: --log-level %q: want debug, info, warn or error", level)
	}
	hopts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		opts.Logger = slog.New(slog.NewTextHandler(r.stderr, hopts))
	case "json":
		opts.Logger = slog.New(slog.NewJSONHandler(r.stderr, hopts))
	default:
		return usagef("etcd: --log-format %q: want text or json", format)
	}
	srv, err := etcdserver.Start(opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(r.stdout, srv.URL)
	return srv.Wait(ctx)
}

func (r *runner) init(ctx context.Context, args []string) error {
	fs := r.newFlagSet("init")
	shards := fs.String("shards", "", "comma-separated shard addresses host:port")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("init", pos); err != nil {
		return err
	}
	var addrs []string
	for a := range strings.SplitSeq(*shards, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return usagef("init: --shards host:port,... is required")
	}
	a, done, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	snap, err := a.Init(ctx, addrs)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.stdout, "initialized cluster %q with %d shards (slot map version %d)\n",
		snap.Cluster.Name, len(snap.Registry.Shards), snap.SlotMap.Version)
	r.printShards(slotsOf(snap))
	return nil
}

func slotsOf(snap *topology.Snapshot) []admin.ShardEntry {
	counts := snap.SlotMap.Counts()
	var es []admin.ShardEntry
	for _, s := range snap.Registry.Shards {
		e := admin.ShardEntry{ID: s.ID, Addr: s.Addr, Added: s.Added, Slots: counts[s.ID]}
		for _, or := range snap.SlotMap.RangesOf(s.ID) {
			e.Ranges = append(e.Ranges, [2]int{or.First, or.Last})
		}
		es = append(es, e)
	}
	return es
}

func (r *runner) shardAdd(ctx context.Context, args []string) error {
	fs := r.newFlagSet("shard add")
	id := fs.String("id", "", "shard ID (default: the next free s<N>)")
	rebalance := fs.Bool("rebalance", false, "then move slots to it until the slots are spread evenly")
	var jf jobFlags
	jf.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("shard add: want one address host:port")
	}
	if !*rebalance {
		a, done, err := r.connect(ctx)
		if err != nil {
			return err
		}
		defer done()
		s, err := a.AddShard(ctx, pos[0], *id)
		if err != nil {
			return err
		}
		fmt.Fprintf(r.stdout, "added shard %s at %s (it owns no slots yet)\n", s.ID, s.Addr)
		return nil
	}
	return r.job(ctx, fs, &jf, false, func(a *admin.Admin) ([]topology.Move, error) {
		// Refused before registering, not after: a shard added without
		// its slots would need a second command.
		if err := a.NoJob(ctx); err != nil {
			return nil, err
		}
		s, err := a.AddShard(ctx, pos[0], *id)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(r.stdout, "added shard %s at %s\n", s.ID, s.Addr)
		return a.PlanRebalance(ctx, "", jf.batch)
	}, nil)
}

func (r *runner) shardList(ctx context.Context, args []string) error {
	fs := r.newFlagSet("shard list")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("shard list", pos); err != nil {
		return err
	}
	a, done, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	shards, err := a.Shards(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return r.printJSON(shards)
	}
	r.printShards(shards)
	return nil
}

func (r *runner) shardRemove(ctx context.Context, args []string) error {
	fs := r.newFlagSet("shard remove")
	drain := fs.Bool("drain", false, "first move all its slots to the other shards, evenly")
	var jf jobFlags
	jf.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("shard remove: want one shard ID")
	}
	id := pos[0]
	remove := func(a *admin.Admin) error {
		s, err := a.RemoveShard(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(r.stdout, "removed shard %s (%s)\n", s.ID, s.Addr)
		return nil
	}
	if !*drain {
		a, done, err := r.connect(ctx)
		if err != nil {
			return err
		}
		defer done()
		return remove(a)
	}
	err = r.job(ctx, fs, &jf, false, func(a *admin.Admin) ([]topology.Move, error) {
		return a.PlanRebalance(ctx, id, jf.batch)
	}, remove)
	return errDrainInterrupted(err, id)
}

func (r *runner) slots(ctx context.Context, args []string) error {
	fs := r.newFlagSet("slots")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("slots", pos); err != nil {
		return err
	}
	a, done, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	rep, err := a.Slots(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return r.printJSON(rep)
	}
	fmt.Fprintf(r.stdout, "cluster %q, slot map version %d\n", rep.Cluster, rep.Version)
	r.printShards(rep.Shards)
	r.printMigrations(rep.Migrations)
	return nil
}

func (r *runner) status(ctx context.Context, args []string) error {
	fs := r.newFlagSet("status")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("status", pos); err != nil {
		return err
	}
	a, done, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	rep, err := a.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return r.printJSON(rep)
	}
	r.printStatus(rep)
	return nil
}
