package engine

import (
	"bytes"
	"hash/fnv"
	"os"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// INFO's sections, in the order Redis 7.0 prints them.
const (
	secServer = 1 << iota
	secClients
	secMemory
	secPersistence
	secStats
	secReplication
	secCPU
	secModules
	secCommandStats
	secErrorStats
	secLatencyStats
	secCluster
	secKeyspace

	secDefault = secServer | secClients | secMemory | secPersistence | secStats |
		secReplication | secCPU | secModules | secErrorStats | secCluster | secKeyspace
	secAll = secDefault | secCommandStats | secLatencyStats
)

var sectionNames = map[string]int{
	"server":       secServer,
	"clients":      secClients,
	"memory":       secMemory,
	"persistence":  secPersistence,
	"stats":        secStats,
	"replication":  secReplication,
	"cpu":          secCPU,
	"modules":      secModules,
	"commandstats": secCommandStats,
	"errorstats":   secErrorStats,
	"latencystats": secLatencyStats,
	"cluster":      secCluster,
	"keyspace":     secKeyspace,
	"default":      secDefault,
	"all":          secAll,
	"everything":   secAll,
}

// cmdInfo is INFO [section ...]. Unknown section names are ignored, so
// INFO of nothing known is an empty string, as in Redis.
func cmdInfo(x *Ctx) {
	sections := secDefault
	if len(x.args) > 1 {
		sections = 0
		for _, a := range x.args[1:] {
			sections |= sectionNames[strings.ToLower(string(a))]
		}
	}
	x.r.Verbatim(x.e.info(x, sections))
}

// infoWriter builds INFO's text: "# Section" headers, "name:value"
// lines, a blank line between sections.
type infoWriter struct {
	b []byte
}

func (w *infoWriter) section(title string) {
	if len(w.b) > 0 {
		w.b = append(w.b, "\r\n"...)
	}
	w.b = append(w.b, "# "...)
	w.b = append(w.b, title...)
	w.b = append(w.b, "\r\n"...)
}

func (w *infoWriter) str(name, value string) {
	w.b = append(w.b, name...)
	w.b = append(w.b, ':')
	w.b = append(w.b, value...)
	w.b = append(w.b, "\r\n"...)
}

func (w *infoWriter) int(name string, n int64) {
	w.b = append(w.b, name...)
	w.b = append(w.b, ':')
	w.b = strconv.AppendInt(w.b, n, 10)
	w.b = append(w.b, "\r\n"...)
}

// float writes f with the given number of decimals, like C's %.Nf.
func (w *infoWriter) float(name string, f float64, decimals int) {
	w.b = append(w.b, name...)
	w.b = append(w.b, ':')
	w.b = strconv.AppendFloat(w.b, f, 'f', decimals, 64)
	w.b = append(w.b, "\r\n"...)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// info renders the selected sections for the client of x.
func (e *Engine) info(x *Ctx, sections int) string {
	w := &infoWriter{b: make([]byte, 0, 4096)}
	if sections&secServer != 0 {
		e.infoServer(w, x)
	}
	if sections&secClients != 0 {
		e.infoClients(w)
	}
	if sections&secMemory != 0 {
		e.infoMemory(w)
	}
	if sections&secPersistence != 0 {
		e.infoPersistence(w)
	}
	if sections&secStats != 0 {
		e.infoStats(w)
	}
	if sections&secReplication != 0 {
		e.infoReplication(w)
	}
	if sections&secCPU != 0 {
		infoCPU(w)
	}
	if sections&secModules != 0 {
		w.section("Modules")
	}
	if sections&secCommandStats != 0 {
		e.infoCommandStats(w)
	}
	if sections&secErrorStats != 0 {
		w.section("Errorstats")
		codes, counts := e.errors.snapshot()
		for _, c := range codes {
			w.str("errorstat_"+c, "count="+strconv.FormatInt(counts[c], 10))
		}
	}
	if sections&secLatencyStats != 0 {
		// No latency histograms are kept: the section is empty.
		w.section("Latencystats")
	}
	if sections&secCluster != 0 {
		w.section("Cluster")
		w.int("cluster_enabled", 0)
	}
	if sections&secKeyspace != 0 {
		w.section("Keyspace")
		for i := 0; i < e.ks.Databases(); i++ {
			db := e.ks.DB(i)
			if n := db.Size(); n > 0 {
				// avg_ttl is an estimate in Redis, sampled by its
				// expiry cycle; shardd does not estimate it.
				w.str("db"+strconv.Itoa(i), "keys="+strconv.FormatInt(n, 10)+
					",expires="+strconv.FormatInt(db.Volatile(), 10)+",avg_ttl=0")
			}
		}
	}
	return string(w.b)
}

func (e *Engine) infoServer(w *infoWriter, x *Ctx) {
	now := time.Now()
	uptime := int64(now.Sub(e.started) / time.Second)
	hz := e.cfg.Int("hz")
	w.section("Server")
	w.str("redis_version", RedisVersion)
	w.str("redis_git_sha1", "00000000")
	w.str("redis_git_dirty", "0")
	w.str("redis_build_id", buildID)
	w.str("shardd_version", Version)
	w.str("redis_mode", "standalone")
	w.str("os", osName)
	w.int("arch_bits", strconv.IntSize)
	w.str("monotonic_clock", "POSIX clock_gettime")
	w.str("multiplexing_api", multiplexingAPI())
	w.str("atomicvar_api", "c11-builtin")
	w.str("gcc_version", "0.0.0")
	w.int("process_id", int64(os.Getpid()))
	w.str("process_supervised", "no")
	w.str("run_id", e.runID)
	w.int("tcp_port", e.tcpPort(x))
	w.int("server_time_usec", now.UnixMicro())
	w.int("uptime_in_seconds", uptime)
	w.int("uptime_in_days", uptime/86400)
	w.int("hz", hz)
	w.int("configured_hz", hz)
	w.int("lru_clock", now.Unix()&(1<<24-1))
	w.str("executable", executable)
	w.str("config_file", e.cfg.File())
	w.int("io_threads_active", 0)
}

// tcpPort is the port directive, or for "port 0" (a port picked by the
// system, in tests) the port the client connected to.
func (e *Engine) tcpPort(x *Ctx) int64 {
	if p := e.cfg.Int("port"); p != 0 || x == nil {
		return p
	}
	if i := strings.LastIndexByte(x.s.LocalAddr, ':'); i >= 0 {
		p, _ := strconv.ParseInt(x.s.LocalAddr[i+1:], 10, 64)
		return p
	}
	return 0
}

func (e *Engine) infoClients(w *infoWriter) {
	connected, blocked := e.clients.tally()
	w.section("Clients")
	w.int("connected_clients", connected)
	w.int("cluster_connections", 0)
	w.int("maxclients", e.cfg.Int("maxclients"))
	w.int("client_recent_max_input_buffer", 0)
	w.int("client_recent_max_output_buffer", 0)
	w.int("blocked_clients", blocked)
	w.int("tracking_clients", 0)
	w.int("clients_in_timeout_table", 0)
}

// tally counts the open sessions and the blocked ones.
func (c *clients) tally() (connected, blocked int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.byID {
		if s.closed.Load() {
			continue
		}
		connected++
		if s.blocked.Load() {
			blocked++
		}
	}
	return connected, blocked
}

func (e *Engine) infoMemory(w *infoWriter) {
	m := e.mem.get()
	maxmem := e.cfg.Bytes("maxmemory")
	overhead := m.startup + int64(e.clients.count())*clientOverhead
	overhead = min(overhead, m.used)
	dataset := m.used - overhead
	w.section("Memory")
	w.int("used_memory", m.used)
	w.str("used_memory_human", bytesToHuman(m.used))
	w.int("used_memory_rss", m.rss)
	w.str("used_memory_rss_human", bytesToHuman(m.rss))
	w.int("used_memory_peak", m.peak)
	w.str("used_memory_peak_human", bytesToHuman(m.peak))
	w.str("used_memory_peak_perc", percent(m.used, m.peak))
	w.int("used_memory_overhead", overhead)
	w.int("used_memory_startup", m.startup)
	w.int("used_memory_dataset", dataset)
	w.str("used_memory_dataset_perc", percent(dataset, m.used-m.startup))
	w.int("allocator_allocated", m.allocated)
	w.int("allocator_active", m.active)
	w.int("allocator_resident", m.resident)
	w.int("total_system_memory", totalSystemMemory)
	w.str("total_system_memory_human", bytesToHuman(totalSystemMemory))
	// No scripting engine: the Lua and function figures are zero.
	w.int("used_memory_lua", 0)
	w.int("used_memory_vm_eval", 0)
	w.str("used_memory_lua_human", "0B")
	w.int("used_memory_scripts_eval", 0)
	w.int("number_of_cached_scripts", 0)
	w.int("number_of_functions", 0)
	w.int("number_of_libraries", 0)
	w.int("used_memory_vm_functions", 0)
	w.int("used_memory_vm_total", 0)
	w.str("used_memory_vm_total_human", "0B")
	w.int("used_memory_functions", 0)
	w.int("used_memory_scripts", 0)
	w.str("used_memory_scripts_human", "0B")
	w.int("maxmemory", maxmem)
	w.str("maxmemory_human", bytesToHuman(maxmem))
	w.str("maxmemory_policy", e.cfg.String("maxmemory-policy"))
	w.float("allocator_frag_ratio", ratio(m.active, m.allocated), 2)
	w.int("allocator_frag_bytes", m.active-m.allocated)
	w.float("allocator_rss_ratio", ratio(m.resident, m.active), 2)
	w.int("allocator_rss_bytes", m.resident-m.active)
	w.float("rss_overhead_ratio", ratio(m.rss, m.resident), 2)
	w.int("rss_overhead_bytes", m.rss-m.resident)
	w.float("mem_fragmentation_ratio", ratio(m.rss, m.used), 2)
	w.int("mem_fragmentation_bytes", m.rss-m.used)
	w.int("mem_not_counted_for_evict", 0)
	w.int("mem_replication_backlog", 0)
	w.int("mem_total_replication_buffers", 0)
	w.int("mem_clients_slaves", 0)
	w.int("mem_clients_normal", int64(e.clients.count())*clientOverhead)
	w.int("mem_cluster_links", 0)
	w.int("mem_aof_buffer", 0)
	w.str("mem_allocator", "go")
	w.int("active_defrag_running", 0)
	w.int("lazyfree_pending_objects", 0)
	w.int("lazyfreed_objects", 0)
}

// clientOverhead is what a connection costs, roughly: its goroutine's
// stack and its read and write buffers.
const clientOverhead = 20 << 10

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// percent formats a/b as Redis's "%.2f%%".
func percent(a, b int64) string {
	if b <= 0 {
		return "0.00%"
	}
	return strconv.FormatFloat(100*float64(a)/float64(b), 'f', 2, 64) + "%"
}

// bytesToHuman formats n the way Redis's INFO does: 512B, 1.50K, 2.00M...
func bytesToHuman(n int64) string {
	const k = 1024
	units := []struct {
		limit float64
		div   float64
		unit  string
	}{
		{k * k, k, "K"},
		{k * k * k, k * k, "M"},
		{k * k * k * k, k * k * k, "G"},
		{k * k * k * k * k, k * k * k * k, "T"},
		{k * k * k * k * k * k, k * k * k * k * k, "P"},
	}
	if n < k {
		return strconv.FormatInt(n, 10) + "B"
	}
	for _, u := range units {
		if float64(n) < u.limit {
			return strconv.FormatFloat(float64(n)/u.div, 'f', 2, 64) + u.unit
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

func (e *Engine) infoPersistence(w *infoWriter) {
	w.section("Persistence")
	w.int("loading", 0)
	w.int("async_loading", 0)
	w.int("current_cow_peak", 0)
	w.int("current_cow_size", 0)
	w.int("current_cow_size_age", 0)
	w.str("current_fork_perc", "0.00")
	w.int("current_save_keys_processed", 0)
	w.int("current_save_keys_total", 0)
	w.int("rdb_changes_since_last_save", e.dirty.Load())
	sv := &e.save
	w.int("rdb_bgsave_in_progress", boolInt(sv.running.Load()))
	w.int("rdb_last_save_time", e.lastSave.Load())
	bgStatus := "ok"
	if sv.failed.Load() {
		bgStatus = "err"
	}
	w.str("rdb_last_bgsave_status", bgStatus)
	lastSave := int64(-1)
	if sv.count.Load() > 0 || sv.failed.Load() {
		lastSave = sv.lastSecs.Load()
	}
	w.int("rdb_last_bgsave_time_sec", lastSave)
	curSave := int64(-1)
	if sv.running.Load() {
		curSave = time.Now().Unix() - sv.startedAt.Load()
	}
	w.int("rdb_current_bgsave_time_sec", curSave)
	w.int("rdb_saves", sv.count.Load())
	w.int("rdb_last_cow_size", 0)
	w.int("rdb_last_load_keys_expired", 0)
	w.int("rdb_last_load_keys_loaded", 0)
	w.int("aof_enabled", boolInt(e.aof != nil))
	rw := &e.rewrite
	w.int("aof_rewrite_in_progress", boolInt(rw.running.Load()))
	w.int("aof_rewrite_scheduled", 0)
	lastSecs := int64(-1)
	if rw.count.Load() > 0 {
		lastSecs = rw.lastSecs.Load()
	}
	w.int("aof_last_rewrite_time_sec", lastSecs)
	cur := int64(-1)
	if rw.running.Load() {
		cur = time.Now().Unix() - rw.startedAt.Load()
	}
	w.int("aof_current_rewrite_time_sec", cur)
	status := "ok"
	if rw.count.Load() > 0 && !rw.lastOK.Load() {
		status = "err"
	}
	w.str("aof_last_bgrewrite_status", status)
	w.int("aof_rewrites", rw.count.Load())
	w.int("aof_rewrites_consecutive_failures", 0)
	writeStatus := "ok"
	if e.aof != nil && e.aof.Err() != nil {
		writeStatus = "err"
	}
	w.str("aof_last_write_status", writeStatus)
	w.int("aof_last_cow_size", 0)
	w.int("module_fork_in_progress", 0)
	w.int("module_fork_last_cow_size", 0)
}

func (e *Engine) infoStats(w *infoWriter) {
	cmds := e.totalCmds.Load()
	var errs int64
	for _, st := range e.stats {
		errs += st.failed.Load() + st.rejected.Load()
	}
	w.section("Stats")
	w.int("total_connections_received", e.totalConns.Load())
	w.int("total_commands_processed", cmds)
	w.int("instantaneous_ops_per_sec", int64(e.ops.perSec()))
	w.int("total_net_input_bytes", e.netIn.Load())
	w.int("total_net_output_bytes", e.netOut.Load())
	w.int("total_net_repl_input_bytes", 0)
	w.int("total_net_repl_output_bytes", 0)
	w.float("instantaneous_input_kbps", e.in.perSec()/1024, 2)
	w.float("instantaneous_output_kbps", e.out.perSec()/1024, 2)
	w.str("instantaneous_input_repl_kbps", "0.00")
	w.str("instantaneous_output_repl_kbps", "0.00")
	w.int("rejected_connections", e.rejectedConns.Load())
	w.int("sync_full", 0)
	w.int("sync_partial_ok", 0)
	w.int("sync_partial_err", 0)
	w.int("expired_keys", e.expiredKeys.Load())
	w.str("expired_stale_perc", "0.00")
	w.int("expired_time_cap_reached_count", 0)
	w.int("expire_cycle_cpu_milliseconds", 0)
	w.int("evicted_keys", 0)
	w.int("evicted_clients", 0)
	w.int("total_eviction_exceeded_time", 0)
	w.int("current_eviction_exceeded_time", 0)
	w.int("keyspace_hits", e.keyspaceHits.Load())
	w.int("keyspace_misses", e.keyspaceMisses.Load())
	w.int("pubsub_channels", 0)
	w.int("pubsub_patterns", 0)
	w.int("pubsubshard_channels", 0)
	w.int("latest_fork_usec", 0)
	w.int("total_forks", 0)
	w.int("migrate_cached_sockets", 0)
	w.int("slave_expires_tracked_keys", 0)
	w.int("active_defrag_hits", 0)
	w.int("active_defrag_misses", 0)
	w.int("active_defrag_key_hits", 0)
	w.int("active_defrag_key_misses", 0)
	w.int("total_active_defrag_time", 0)
	w.int("current_active_defrag_time", 0)
	w.int("tracking_total_keys", 0)
	w.int("tracking_total_items", 0)
	w.int("tracking_total_prefixes", 0)
	w.int("unexpected_error_replies", 0)
	w.int("total_error_replies", errs)
	w.int("dump_payload_sanitizations", 0)
	w.int("total_reads_processed", cmds)
	w.int("total_writes_processed", cmds)
	w.int("io_threaded_reads_processed", 0)
	w.int("io_threaded_writes_processed", 0)
	w.int("reply_buffer_shrinks", 0)
	w.int("reply_buffer_expands", 0)
}

func (e *Engine) infoReplication(w *infoWriter) {
	w.section("Replication")
	w.str("role", "master")
	w.int("connected_slaves", 0)
	w.str("master_failover_state", "no-failover")
	w.str("master_replid", e.replID)
	w.str("master_replid2", "0000000000000000000000000000000000000000")
	w.int("master_repl_offset", 0)
	w.int("second_repl_offset", -1)
	w.int("repl_backlog_active", 0)
	w.int("repl_backlog_size", e.cfg.Bytes("repl-backlog-size"))
	w.int("repl_backlog_first_byte_offset", 0)
	w.int("repl_backlog_histlen", 0)
}

func infoCPU(w *infoWriter) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	sys := float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
	user := float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6
	w.section("CPU")
	w.float("used_cpu_sys", sys, 6)
	w.float("used_cpu_user", user, 6)
	w.float("used_cpu_sys_children", 0, 6)
	w.float("used_cpu_user_children", 0, 6)
	// Go has no main thread to speak of: report the process's figures.
	w.float("used_cpu_sys_main_thread", sys, 6)
	w.float("used_cpu_user_main_thread", user, 6)
}

func (e *Engine) infoCommandStats(w *infoWriter) {
	w.section("Commandstats")
	specs := make([]string, 0, len(e.stats))
	byName := make(map[string]*cmdStats, len(e.stats))
	for spec, st := range e.stats {
		if st.calls.Load() == 0 && st.rejected.Load() == 0 && st.failed.Load() == 0 {
			continue
		}
		specs = append(specs, spec.Name)
		byName[spec.Name] = st
	}
	sort.Strings(specs)
	for _, name := range specs {
		st := byName[name]
		calls, usec := st.calls.Load(), st.usec.Load()
		var per float64
		if calls > 0 {
			per = float64(usec) / float64(calls)
		}
		w.str("cmdstat_"+name, "calls="+strconv.FormatInt(calls, 10)+
			",usec="+strconv.FormatInt(usec, 10)+
			",usec_per_call="+strconv.FormatFloat(per, 'f', 2, 64)+
			",rejected_calls="+strconv.FormatInt(st.rejected.Load(), 10)+
			",failed_calls="+strconv.FormatInt(st.failed.Load(), 10))
	}
}

// Facts about the process and host, computed once.
var (
	buildID           = makeBuildID()
	osName            = makeOSName()
	executable        = makeExecutable()
	totalSystemMemory = readMemTotal()
)

func makeBuildID() string {
	h := fnv.New64a()
	h.Write([]byte("shardd-" + Version + "-" + runtime.Version()))
	return strconv.FormatUint(h.Sum64(), 16)
}

// makeOSName formats like Redis's uname-based "os" field: "Linux
// 6.1.0-18-amd64 x86_64".
func makeOSName() string {
	name := runtime.GOOS
	if name != "" {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	machine := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]
	if machine == "" {
		machine = runtime.GOARCH
	}
	release := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		release = strings.TrimSpace(string(b))
	}
	if release == "" {
		return name + " " + machine
	}
	return name + " " + release + " " + machine
}

func multiplexingAPI() string {
	switch runtime.GOOS {
	case "linux":
		return "epoll"
	case "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return "kqueue"
	}
	return "select"
}

func makeExecutable() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	return p
}

// readMemTotal returns the machine's memory from /proc/meminfo, 0 if
// unknown.
func readMemTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("MemTotal:")); ok {
			f := bytes.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// memRefresh is how stale the memory figures may be: reading them costs
// a few microseconds, so INFO in a tight loop must not read them each
// time.
const memRefresh = 100 * time.Millisecond

// memFigures are the memory numbers INFO memory reports, in bytes.
type memFigures struct {
	used      int64 // live heap objects (Redis's used_memory)
	rss       int64 // resident set size
	peak      int64 // highest used seen
	startup   int64 // used when the engine started
	allocated int64 // heap objects
	active    int64 // heap spans in use
	resident  int64 // memory mapped from the OS and not returned
}

// memCache keeps memFigures, refreshed at most every memRefresh.
type memCache struct {
	mu      sync.Mutex // guards the fields below
	at      time.Time
	figs    memFigures
	samples []metrics.Sample
}

var memMetrics = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/total:bytes",
}

func (m *memCache) init() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples = make([]metrics.Sample, len(memMetrics))
	for i, name := range memMetrics {
		m.samples[i].Name = name
	}
	m.refresh(time.Now())
	m.figs.startup = m.figs.used
}

// get returns the figures, refreshing them if they are stale.
func (m *memCache) get() memFigures {
	m.mu.Lock()
	defer m.mu.Unlock()
	if now := time.Now(); now.Sub(m.at) >= memRefresh {
		m.refresh(now)
	}
	return m.figs
}

func (m *memCache) resetPeak() {
	m.mu.Lock()
	m.figs.peak = m.figs.used
	m.mu.Unlock()
}

// refresh reads the runtime's metrics; m.mu must be held.
func (m *memCache) refresh(now time.Time) {
	metrics.Read(m.samples)
	val := func(i int) int64 {
		if m.samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(m.samples[i].Value.Uint64())
	}
	objects, unused, released, total := val(0), val(1), val(2), val(3)
	f := &m.figs
	f.used = objects
	f.allocated = objects
	f.active = objects + unused
	f.resident = total - released
	f.rss = readRSS()
	if f.rss == 0 {
		f.rss = f.resident
	}
	f.peak = max(f.peak, f.used)
	m.at = now
}

var pageSize = int64(os.Getpagesize())

// readRSS returns the resident set size from /proc/self/statm (Linux),
// 0 where that is not available.
func readRSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return pages * pageSize
}
