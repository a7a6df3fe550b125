package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/shardd/aof"
	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/keyspace"
)

// Options configure an Engine.
type Options struct {
	// Config is the live configuration (redis.conf plus CONFIG SET). The
	// engine reads databases at start and registers change hooks for
	// the directives it applies at run time. Required.
	Config *config.Config
	// Logger receives the engine's logs. Nil means slog.Default().
	Logger *slog.Logger
	// Shutdown is called, on a goroutine of its own, when a client runs
	// SHUTDOWN; it should stop the daemon cleanly. Nil makes SHUTDOWN
	// fail with Redis's "Errors trying to SHUTDOWN" error.
	Shutdown func()
}

// Engine executes commands against the keyspace. It is safe for
// concurrent use by many sessions.
type Engine struct {
	cfg      *config.Config
	log      *slog.Logger
	ks       *keyspace.Keyspace
	clients  clients
	started  time.Time
	shutdown func()
	// runID and replID are random per process, as Redis's run_id and
	// master_replid.
	runID, replID string
	// handlers maps every implemented command (and subcommand) spec to
	// its handler; it is built once in New and read-only afterwards.
	handlers map[*command.Spec]handler
	stats    map[*command.Spec]*cmdStats

	requirepass atomic.Pointer[string]
	// clusterSecret guards the internal commands ("" = unguarded); it is
	// immutable at run time.
	clusterSecret string
	totalConns    atomic.Int64
	totalCmds     atomic.Int64
	expiredKeys   atomic.Int64
	rejectedConns atomic.Int64
	// keyspaceHits and keyspaceMisses count read lookups that found or
	// missed their key (INFO keyspace_hits/misses).
	keyspaceHits   atomic.Int64
	keyspaceMisses atomic.Int64
	// dirty counts changes since the last save, as Redis's
	// rdb_changes_since_last_save.
	dirty atomic.Int64
	// lastSave is the Unix time of the last successful save (the start
	// time until persistence exists).
	lastSave atomic.Int64

	// netIn and netOut count the bytes read from and written to clients,
	// as the server reports them with CountNet.
	netIn, netOut atomic.Int64

	errors errorStats
	// watches are the keys clients WATCH.
	watches watchRegistry
	pubsub  pubsubRegistry
	blocked blockRegistry
	// locks and txs are the two-phase commit's key locks and
	// transactions (twopc.go).
	locks txLocks
	txs   txTable
	// scans are the snapshots of big slots a SHARDIS.SCANSLOT pages
	// through.
	scans slotScans
	// slots is the slot table of online resharding (slots.go), and
	// peers the connections to the targets of key moves (migrate.go).
	slots slotTable
	peers peerPool

	// aof is the append-only file, nil when appendonly is off; set by
	// AttachAOF before serving.
	aof *aof.AOF
	// snap is the point-in-time snapshot being written, if any.
	snap atomic.Pointer[snapshot]
	// snapshotting is held by the one snapshot (rewrite or BGSAVE)
	// allowed at a time.
	snapshotting atomic.Bool
	rewrite      rewriteState
	save         saveState
	shutdownSave atomic.Int32 // shutdownDefault, shutdownSave or shutdownNoSave
	notifyFlags  atomic.Int32 // notify-keyspace-events as config.Notify* bits
	// bg tracks background jobs (a rewrite) for Close.
	bg sync.WaitGroup
	// ops, in and out sample total commands and network bytes for
	// INFO's instantaneous rates.
	ops, in, out rateSampler
	mem          memCache
}

// LatencyBounds are the upper bounds, in microseconds, of the per-command
// latency histogram buckets (Prometheus "le" buckets; +Inf is implied).
var LatencyBounds = [...]int64{10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000, 250000, 1000000}

// cmdStats are INFO commandstats' counters for one command, and its
// latency histogram (buckets[i] counts calls of at most LatencyBounds[i]
// microseconds and more than the bound before; the last counts the rest).
type cmdStats struct {
	buckets  [len(LatencyBounds) + 1]atomic.Int64
	calls    atomic.Int64
	usec     atomic.Int64
	rejected atomic.Int64
	failed   atomic.Int64
}

// New builds an engine with an empty keyspace.
func New(opts Options) (*Engine, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	e := &Engine{
		cfg:      opts.Config,
		log:      log,
		started:  time.Now(),
		shutdown: opts.Shutdown,
		runID:    randomHex(40),
		replID:   randomHex(40),
	}
	e.lastSave.Store(e.started.Unix())
	e.locks.init()
	e.txs.init()
	e.ks = keyspace.New(keyspace.Options{
		Databases: int(opts.Config.Int("databases")),
		OnExpire: func(db int, key string) {
			e.expiredKeys.Add(1)
			e.noteExpired(db, key)
			e.touch(db, []byte(key))
			e.logExpired(db, key)
		},
		BeforeSlotWrite: func(s int) { e.beforeWrite(s) },
	})
	e.handlers = make(map[*command.Spec]handler)
	e.stats = make(map[*command.Spec]*cmdStats)
	for _, family := range []map[string]handler{
		connectionCommands(),
		serverCommands(),
		genericCommands(),
		stringCommands(),
		listCommands(),
		hashCommands(),
		setCommands(),
		zsetCommands(),
		zsetBlockingCommands(),
		geoCommands(),
		internalCommands(),
		twoPhaseCommands(),
		slotCommands(),
		migrateCommands(),
		transactionCommands(),
		dumpCommands(),
		pubsubCommands(),
		persistenceCommands(),
		saveCommands(),
	} {
		for name, h := range family {
			spec := command.LookupFullName([]byte(name))
			if spec == nil {
				return nil, &unknownSpecError{name}
			}
			e.handlers[spec] = h
		}
	}
	for spec := range e.handlers {
		e.stats[spec] = &cmdStats{}
	}
	e.clusterSecret = opts.Config.String("cluster-secret")
	if err := e.setNotifyFlags(opts.Config.String("notify-keyspace-events")); err != nil {
		return nil, err
	}
	opts.Config.OnChange("notify-keyspace-events", e.setNotifyFlags)
	pass := opts.Config.String("requirepass")
	e.requirepass.Store(&pass)
	opts.Config.OnChange("requirepass", func(v string) error {
		e.requirepass.Store(&v)
		return nil
	})
	e.mem.init()
	return e, nil
}

type unknownSpecError struct{ name string }

func (e *unknownSpecError) Error() string {
	return "engine: handler for " + e.name + " has no spec in the command table"
}

// Keyspace exposes the store, for persistence and tests.
func (e *Engine) Keyspace() *keyspace.Keyspace { return e.ks }

// Run does the engine's background work (active expiry, the ops/sec
// samples of INFO) until ctx ends.
func (e *Engine) Run(ctx context.Context) {
	// The daemon stops Run before closing the engine: the connections
	// kept for key moves go with it.
	defer e.peers.close()
	period := e.cronPeriod()
	tick := time.NewTimer(period)
	defer tick.Stop()
	sample := time.NewTicker(opsSamplePeriod)
	defer sample.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			// Like Redis, spend at most a quarter of each tick on
			// active expiry.
			e.ks.ExpireCycle(time.Now().UnixMilli(), period/4)
			e.maybeAutoRewrite()
			e.txCron(time.Now())
			e.scans.expire(time.Now())
			e.maybeSave()
			// hz may have changed (CONFIG SET hz).
			period = e.cronPeriod()
			tick.Reset(period)
		case now := <-sample.C:
			e.ops.sample(now, e.totalCmds.Load())
			e.in.sample(now, e.netIn.Load())
			e.out.sample(now, e.netOut.Load())
		}
	}
}

// cronPeriod is the period of the background work: 1/hz seconds.
func (e *Engine) cronPeriod() time.Duration {
	hz := e.cfg.Int("hz")
	if hz < 1 {
		hz = 10
	}
	return time.Second / time.Duration(hz)
}

// NewSession registers a new client connection. conn is where replies
// that are not the answer to the session's own request (pub/sub messages)
// are written, and what CLIENT KILL closes.
func (e *Engine) NewSession(addr, localAddr string, conn io.WriteCloser) *Session {
	s := &Session{
		ID:        e.clients.nextID.Add(1),
		Addr:      addr,
		LocalAddr: localAddr,
		Created:   time.Now(),
		conn:      conn,
	}
	s.setProto(2)
	s.queued.Store(-1)
	// As in Redis, a client that connects while the default user needs
	// no password is authenticated, and stays so if a password is set
	// later.
	s.authed = *e.requirepass.Load() == ""
	s.lastActivity.Store(s.Created.UnixMilli())
	e.totalConns.Add(1)
	e.clients.add(s)
	return s
}

// CloseSession forgets a connection that has closed.
func (e *Engine) CloseSession(s *Session) {
	s.closed.Store(true)
	e.unwatchAll(s)
	e.unsubscribeAll(s)
	e.locks.dropSession(s)
	if s.out != nil {
		s.out.drain()
	}
	e.clients.remove(s)
}

// Clients reports how many sessions are open.
func (e *Engine) Clients() int { return e.clients.count() }

// CountNet adds to the network byte counters of INFO stats: in bytes read
// from a client, out bytes written to it.
func (e *Engine) CountNet(in, out int) {
	if in > 0 {
		e.netIn.Add(int64(in))
	}
	if out > 0 {
		e.netOut.Add(int64(out))
	}
}

// RejectConnection counts a connection refused at maxclients.
func (e *Engine) RejectConnection() { e.rejectedConns.Add(1) }

// Stats are the engine's counters, for metrics.
type Stats struct {
	Connections         int64 // open client connections
	ConnectionsReceived int64 // accepted since start (or CONFIG RESETSTAT)
	ConnectionsRejected int64 // refused at maxclients
	Commands            int64 // commands executed
	ExpiredKeys         int64 // keys deleted because their TTL passed
	KeyspaceHits        int64
	KeyspaceMisses      int64
	Dirty               int64 // changes since the last save
	// Two-phase commit: transactions prepared now, decisions the
	// primary keeps, and transactions the shard settled by itself after
	// their coordinator did not come back.
	PreparedTx, KeptDecisions, SettledTx int64
}

// CommandStats is one command's counters, for metrics.
type CommandStats struct {
	Name                          string
	Calls, Usec, Rejected, Failed int64
	// Buckets are the latency histogram counts, per LatencyBounds plus
	// one bucket above the last bound (not cumulative).
	Buckets [len(LatencyBounds) + 1]int64
}

// CommandStats returns the counters of every command called at least once.
func (e *Engine) CommandStats() []CommandStats {
	var out []CommandStats
	for spec, st := range e.stats {
		c := CommandStats{Name: spec.Name, Calls: st.calls.Load(), Usec: st.usec.Load(),
			Rejected: st.rejected.Load(), Failed: st.failed.Load()}
		if c.Calls == 0 && c.Rejected == 0 {
			continue
		}
		for i := range st.buckets {
			c.Buckets[i] = st.buckets[i].Load()
		}
		out = append(out, c)
	}
	return out
}

// KeyCounts returns the number of keys and of keys with a TTL per
// database.
func (e *Engine) KeyCounts() (keys, volatile []int64) {
	for i := 0; i < e.ks.Databases(); i++ {
		db := e.ks.DB(i)
		keys = append(keys, db.Size())
		volatile = append(volatile, db.Volatile())
	}
	return keys, volatile
}

// Stats returns a snapshot of the counters.
func (e *Engine) Stats() Stats {
	prepared, decided, settled := e.txInfo()
	return Stats{
		Connections:         int64(e.clients.count()),
		ConnectionsReceived: e.totalConns.Load(),
		ConnectionsRejected: e.rejectedConns.Load(),
		Commands:            e.totalCmds.Load(),
		ExpiredKeys:         e.expiredKeys.Load(),
		KeyspaceHits:        e.keyspaceHits.Load(),
		KeyspaceMisses:      e.keyspaceMisses.Load(),
		Dirty:               e.dirty.Load(),
		PreparedTx:          int64(prepared),
		KeptDecisions:       int64(decided),
		SettledTx:           settled,
	}
}

// resetStats is CONFIG RESETSTAT: it zeroes the counters INFO stats,
// commandstats and errorstats report.
func (e *Engine) resetStats() {
	e.totalConns.Store(0)
	e.totalCmds.Store(0)
	e.expiredKeys.Store(0)
	e.rejectedConns.Store(0)
	e.keyspaceHits.Store(0)
	e.keyspaceMisses.Store(0)
	for _, st := range e.stats {
		st.calls.Store(0)
		for i := range st.buckets {
			st.buckets[i].Store(0)
		}
		st.usec.Store(0)
		st.rejected.Store(0)
		st.failed.Store(0)
	}
	e.netIn.Store(0)
	e.netOut.Store(0)
	e.errors.reset()
	e.ops.reset()
	e.in.reset()
	e.out.reset()
	e.mem.resetPeak()
}

// errorStats counts error replies by their first word (ERR, WRONGTYPE,
// ...), for INFO errorstats.
type errorStats struct {
	mu     sync.Mutex // guards counts
	counts map[string]int64
}

// maxErrorCodes caps the distinct error codes tracked, as Redis does
// (128), so that odd error texts cannot grow the map without bound.
const maxErrorCodes = 128

// note counts the error whose text (after '-') starts msg.
func (es *errorStats) note(msg []byte) {
	end := 0
	for end < len(msg) && msg[end] != ' ' && msg[end] != '\r' {
		end++
	}
	code := msg[:end]
	es.mu.Lock()
	if es.counts == nil {
		es.counts = make(map[string]int64)
	}
	if _, ok := es.counts[string(code)]; ok || len(es.counts) < maxErrorCodes {
		es.counts[string(code)]++
	}
	es.mu.Unlock()
}

func (es *errorStats) reset() {
	es.mu.Lock()
	es.counts = nil
	es.mu.Unlock()
}

// snapshot returns the codes, sorted, and their counts.
func (es *errorStats) snapshot() ([]string, map[string]int64) {
	es.mu.Lock()
	defer es.mu.Unlock()
	codes := make([]string, 0, len(es.counts))
	counts := make(map[string]int64, len(es.counts))
	for c, n := range es.counts {
		codes = append(codes, c)
		counts[c] = n
	}
	sort.Strings(codes)
	return codes, counts
}

// opsSamplePeriod and opsSamples are Redis's: an instantaneous rate of
// INFO (ops/sec, kbps) is the mean of the last 16 rates sampled every
// 100 ms.
const (
	opsSamplePeriod = 100 * time.Millisecond
	opsSamples      = 16
)

// rateSampler computes an instantaneous rate of a growing counter.
type rateSampler struct {
	mu       sync.Mutex // guards the fields below
	lastTime time.Time
	lastOps  int64
	rates    [opsSamples]float64
	next     int
}

func (o *rateSampler) sample(now time.Time, ops int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.lastTime.IsZero() {
		dt := now.Sub(o.lastTime)
		if dt > 0 && ops >= o.lastOps {
			o.rates[o.next] = float64(ops-o.lastOps) / dt.Seconds()
			o.next = (o.next + 1) % opsSamples
		}
	}
	o.lastTime, o.lastOps = now, ops
}

// perSec returns the mean of the samples.
func (o *rateSampler) perSec() float64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	var sum float64
	for _, r := range o.rates {
		sum += r
	}
	return sum / opsSamples
}

func (o *rateSampler) reset() {
	o.mu.Lock()
	o.rates = [opsSamples]float64{}
	o.lastTime = time.Time{}
	o.mu.Unlock()
}

// randomHex returns n random hex digits.
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func sortSessions(s []*Session) {
	sort.Slice(s, func(i, j int) bool { return s[i].ID < s[j].ID })
}
