// Package metrics defines the proxy's Prometheus metrics. A nil *Metrics
// is valid and records nothing, so tests and embedders need not set one up.
package metrics

import (
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
	reg.MustRegister(ops, lat, m.backendErrors, m.conns, m.connsTotal, m.mapVersion)
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
