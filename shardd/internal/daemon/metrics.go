package daemon

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/shardis/shardis/shardd/internal/engine"
)

// metricsServer serves Prometheus metrics on /metrics and pprof on
// /debug/pprof/ at metrics-addr.
type metricsServer struct {
	srv *http.Server
	ln  net.Listener
}

func startMetrics(addr string, eng *engine.Engine, log *slog.Logger) (*metricsServer, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newCollector(eng))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	m := &metricsServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	go func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	log.Info("serving metrics and pprof", "addr", ln.Addr().String())
	return m, nil
}

func (m *metricsServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	m.srv.Shutdown(ctx)
}

// collector reads the engine's counters when Prometheus scrapes; nothing
// is recorded twice on the request path.
type collector struct {
	eng                                        *engine.Engine
	conns, connsTotal, rejected, cmds, expired *prometheus.Desc
	keys, volatile, dirty                      *prometheus.Desc
	calls, failed, cmdRejected, latency        *prometheus.Desc
	txPrepared, txDecisions, txSettled         *prometheus.Desc
}

func newCollector(eng *engine.Engine) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("shardd_"+name, help, labels, nil)
	}
	return &collector{
		eng:         eng,
		conns:       d("connected_clients", "Open client connections."),
		connsTotal:  d("connections_received_total", "Client connections accepted."),
		rejected:    d("connections_rejected_total", "Client connections refused at maxclients."),
		cmds:        d("commands_processed_total", "Commands executed."),
		expired:     d("expired_keys_total", "Keys deleted because their TTL passed."),
		keys:        d("keys", "Keys per database.", "db"),
		volatile:    d("keys_with_ttl", "Keys with a TTL per database.", "db"),
		dirty:       d("changes_since_last_save", "Changes since the last RDB save."),
		calls:       d("command_calls_total", "Calls per command.", "command"),
		failed:      d("command_failed_calls_total", "Calls per command that replied with an error.", "command"),
		cmdRejected: d("command_rejected_calls_total", "Calls per command refused before running (arity, auth).", "command"),
		latency:     d("command_duration_seconds", "Command execution time.", "command"),
		txPrepared:  d("tx_prepared", "Cross-shard transactions prepared and not decided yet."),
		txDecisions: d("tx_decisions_kept", "Decisions of cross-shard transactions kept as their primary."),
		txSettled:   d("tx_settled_total", "Cross-shard transactions settled by this shard after their coordinator did not come back."),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.connsTotal, c.rejected, c.cmds, c.expired, c.keys, c.volatile,
		c.dirty, c.calls, c.failed, c.cmdRejected, c.latency, c.txPrepared, c.txDecisions, c.txSettled} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.eng.Stats()
	gauge := func(d *prometheus.Desc, v int64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), l...)
	}
	counter := func(d *prometheus.Desc, v int64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge(c.conns, st.Connections)
	counter(c.connsTotal, st.ConnectionsReceived)
	counter(c.rejected, st.ConnectionsRejected)
	counter(c.cmds, st.Commands)
	counter(c.expired, st.ExpiredKeys)
	gauge(c.dirty, st.Dirty)
	gauge(c.txPrepared, st.PreparedTx)
	gauge(c.txDecisions, st.KeptDecisions)
	counter(c.txSettled, st.SettledTx)
	keys, volatile := c.eng.KeyCounts()
	for i := range keys {
		if keys[i] == 0 {
			continue
		}
		db := strconv.Itoa(i)
		gauge(c.keys, keys[i], db)
		gauge(c.volatile, volatile[i], db)
	}
	for _, cs := range c.eng.CommandStats() {
		counter(c.calls, cs.Calls, cs.Name)
		counter(c.failed, cs.Failed, cs.Name)
		counter(c.cmdRejected, cs.Rejected, cs.Name)
		buckets := make(map[float64]uint64, len(engine.LatencyBounds))
		var cum uint64
		for i, bound := range engine.LatencyBounds {
			cum += uint64(cs.Buckets[i])
			buckets[float64(bound)/1e6] = cum
		}
		ch <- prometheus.MustNewConstHistogram(c.latency, uint64(cs.Calls), float64(cs.Usec)/1e6, buckets, cs.Name)
	}
}
