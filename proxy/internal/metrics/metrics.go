// Package metrics defines the proxy's Prometheus metrics. A nil *Metrics
// is valid and records nothing, so tests and embedders need not set one up.
package metrics

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shardis/shardis/pkg/command"
)

// Metrics is the proxy's set of metrics.
type Metrics struct {
	Registry *prometheus.Registry

	cmds          map[string]*Cmd
	bySpec        map[*command.Spec]*Cmd
	other         *Cmd
	backendErrors *prometheus.CounterVec
	conns         prometheus.Gauge
	connsTotal    prometheus.Counter
	mapVersion    prometheus.Gauge

	// Cross-shard transactions: counted here (INFO reads them) and
	// exported through CounterFuncs.
	tx struct {
		started, committed, aborted, retries, unknown, givenUp atomic.Uint64
	}
	txLat prometheus.Observer
}

// TxOutcome is how a cross-shard transaction ended.
type TxOutcome int

// Outcomes of a transaction.
const (
	// TxCommitted: the writes happened.
	TxCommitted TxOutcome = iota
	// TxAborted: nothing was written (MSETNX found a key, a shard
	// refused or was unreachable at prepare, conflicts persisted).
	TxAborted
	// TxUnknown: a participant's answer to PREPARE was lost and so were
	// the ABORTs; the shards settle the transaction by themselves.
	TxUnknown
)

// TxCounts are the transaction counters since the proxy started.
type TxCounts struct {
	Started, Committed, Aborted, Retries, Unknown uint64
	// GivenUp counts COMMIT, FORGET and UNLOCK messages no longer retried.
	GivenUp uint64
}

// Cmd holds one command's series, looked up once per request without
// allocating.
type Cmd struct {
	ops prometheus.Counter
	lat prometheus.Observer
}

// New registers the metrics in a new registry (plus Go and process
// collectors).
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	ops := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shardis_proxy_commands_total", Help: "Commands served, by command.",
	}, []string{"command"})
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "shardis_proxy_command_duration_seconds",
		Help:    "Time from reading a command to queueing its reply, by command.",
		Buckets: []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 100e-3, 1},
	}, []string{"command"})
	m := &Metrics{
		Registry: reg,
		cmds:     map[string]*Cmd{},
		bySpec:   map[*command.Spec]*Cmd{},
		backendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shardis_proxy_backend_errors_total", Help: "Requests failed because a shard was unreachable, by shard.",
		}, []string{"shard"}),
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shardis_proxy_client_connections", Help: "Client connections open now.",
		}),
		connsTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shardis_proxy_client_connections_total", Help: "Client connections accepted.",
		}),
		mapVersion: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shardis_proxy_slot_map_version", Help: "Version of the slot map in use.",
		}),
	}
	txLat := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "shardis_proxy_transaction_duration_seconds",
		Help:    "Time a cross-shard write (two-phase commit) took, retries included, whatever its outcome.",
		Buckets: []float64{100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 1, 5},
	})
	m.txLat = txLat
	counter := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	reg.MustRegister(ops, lat, m.backendErrors, m.conns, m.connsTotal, m.mapVersion, txLat,
		counter("shardis_proxy_transactions_started_total", "Cross-shard writes coordinated with two-phase commit.", &m.tx.started),
		counter("shardis_proxy_transactions_committed_total", "Cross-shard writes committed.", &m.tx.committed),
		counter("shardis_proxy_transactions_aborted_total", "Cross-shard writes that ended without writing anything.", &m.tx.aborted),
		counter("shardis_proxy_transaction_retries_total", "Attempts of cross-shard writes aborted by a lock conflict and retried.", &m.tx.retries),
		counter("shardis_proxy_transactions_outcome_unknown_total", "Cross-shard writes whose outcome the proxy could not learn (answers and aborts lost); the shards settle them.", &m.tx.unknown),
		counter("shardis_proxy_transaction_messages_given_up_total", "COMMIT, FORGET and UNLOCK messages to unreachable shards no longer retried; the shards settle what they were for.", &m.tx.givenUp),
	)
	for _, s := range command.All() {
		c := &Cmd{ops: ops.WithLabelValues(s.Name), lat: lat.WithLabelValues(s.Name)}
		m.cmds[s.Name] = c
		m.bySpec[s] = c
	}
	m.other = &Cmd{ops: ops.WithLabelValues("other"), lat: lat.WithLabelValues("other")}
	return m
}

// Cmd returns the series of a command by its lower-case table name.
func (m *Metrics) Cmd(name string) *Cmd {
	if m == nil {
		return nil
	}
	if c, ok := m.cmds[name]; ok {
		return c
	}
	return m.other
}

// CmdOf is Cmd for a command's spec (cheaper: no string hashing).
func (m *Metrics) CmdOf(s *command.Spec) *Cmd {
	if m == nil {
		return nil
	}
	if c, ok := m.bySpec[s]; ok {
		return c
	}
	return m.other
}

// Observe records one command that took d.
func (c *Cmd) Observe(d time.Duration) {
	if c == nil {
		return
	}
	c.ops.Inc()
	c.lat.Observe(d.Seconds())
}

// BackendError counts a request failed because shard was unavailable.
func (m *Metrics) BackendError(shard string) {
	if m != nil {
		m.backendErrors.WithLabelValues(shard).Inc()
	}
}

// ConnOpened and ConnClosed track client connections.
func (m *Metrics) ConnOpened() {
	if m != nil {
		m.conns.Inc()
		m.connsTotal.Inc()
	}
}

// ConnClosed tracks a closed client connection.
func (m *Metrics) ConnClosed() {
	if m != nil {
		m.conns.Dec()
	}
}

// MapVersion records the slot-map version in use.
func (m *Metrics) MapVersion(v uint64) {
	if m != nil {
		m.mapVersion.Set(float64(v))
	}
}

// TxStarted counts a cross-shard transaction that starts.
func (m *Metrics) TxStarted() {
	if m != nil {
		m.tx.started.Add(1)
	}
}

// TxRetry counts an attempt aborted by a conflict and retried.
func (m *Metrics) TxRetry() {
	if m != nil {
		m.tx.retries.Add(1)
	}
}

// TxDone records how a transaction ended and how long it took.
func (m *Metrics) TxDone(o TxOutcome, d time.Duration) {
	if m == nil {
		return
	}
	switch o {
	case TxCommitted:
		m.tx.committed.Add(1)
	case TxAborted:
		m.tx.aborted.Add(1)
	case TxUnknown:
		m.tx.unknown.Add(1)
	}
	m.txLat.Observe(d.Seconds())
}

// TxGivenUp counts a message of a decided transaction (or of a read's
// release) that the proxy stopped retrying.
func (m *Metrics) TxGivenUp() {
	if m != nil {
		m.tx.givenUp.Add(1)
	}
}

// Tx returns the transaction counters (zero for a nil Metrics).
func (m *Metrics) Tx() TxCounts {
	if m == nil {
		return TxCounts{}
	}
	return TxCounts{
		Started: m.tx.started.Load(), Committed: m.tx.committed.Load(), Aborted: m.tx.aborted.Load(),
		Retries: m.tx.retries.Load(), Unknown: m.tx.unknown.Load(), GivenUp: m.tx.givenUp.Load(),
	}
}
