package config

import (
	"math"
	"slices"
	"strings"
)

// RedisVersion is the Redis release whose directives, defaults and error
// texts this package reproduces.
const RedisVersion = "7.0.15"

// Kind says how a directive's value is parsed and printed.
type Kind int

const (
	// KindBool is yes or no (any case on input, lower case on output).
	KindBool Kind = iota
	// KindInt is a decimal integer between Min and Max.
	KindInt
	// KindMemory is a byte count written with an optional unit: b, k
	// (1000), kb (1024), m, mb, g, gb, in any case. CONFIG GET prints plain
	// bytes. With Percent, "N%" is accepted too and kept as -N.
	KindMemory
	// KindOctal is an octal integer between Min and Max (unixsocketperm).
	KindOctal
	// KindEnum is one of Enum (case-insensitive). A MultiArg enum takes
	// several of them at once (shutdown-on-sigint nosave now).
	KindEnum
	// KindString is free text, sometimes checked (dbfilename is a base
	// name, proc-title-template must expand).
	KindString
	// KindSpecial has its own syntax: save, bind, dir, replicaof,
	// client-output-buffer-limit, oom-score-adj-values,
	// notify-keyspace-events, latency-tracking-info-percentiles.
	KindSpecial
)

var kindNames = [...]string{"bool", "int", "memory", "octal", "enum", "string", "special"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Directive describes one configuration directive.
type Directive struct {
	// Name is the canonical, lower-case name.
	Name string
	// Aliases are other names for the same value, e.g. slaveof for
	// replicaof. CONFIG GET lists them as separate entries.
	Aliases []string
	// Default is the value as CONFIG GET prints it before any change. For
	// dir it is empty: the default is the process's working directory.
	Default string
	Kind    Kind
	// Min and Max bound KindInt, KindMemory and KindOctal values. Max is
	// unsigned because some Redis limits (maxmemory) reach 2^64-1.
	Min int64
	Max uint64
	// Percent marks a KindMemory value that also takes "N%" (maxmemory-clients).
	Percent bool
	// Enum lists the accepted KindEnum values in Redis's order.
	Enum []string
	// MultiArg directives take several arguments on one line (save 60 1
	// 300 10). In CONFIG SET they are one string split at single spaces.
	MultiArg bool
	// Immutable directives are set only at startup; CONFIG SET refuses them.
	Immutable bool
	// Protected directives (dir, dbfilename) are refused by CONFIG SET
	// unless enable-protected-configs allows it.
	Protected bool
	// Hidden directives match only by exact name, never by a CONFIG GET
	// pattern.
	Hidden bool
	// Sensitive values (passwords, secrets) must be redacted from logs,
	// SLOWLOG and MONITOR.
	Sensitive bool
	// Effective is true when shardd acts on the value. The others are
	// accepted, validated, stored and reported, with no effect.
	Effective bool
	// Shardis marks directives that Redis does not have.
	Shardis bool

	unsigned  bool  // Redis compares the bounds as unsigned numbers
	emptyNull bool  // an empty string means "unset" (rewrite drops the line)
	enumVals  []int // the numeric value of each Enum entry
	check     func(st *setState, v string) error
	parse     func(st *setState, d *Directive, cur value, args []string) (value, error)
	post      func(v value) value // normalization after parsing (hz clamp)
}

// flag bits used only to build the table.
const (
	fImm = 1 << iota
	fProt
	fHidden
	fSens
	fEff
	fShardis
	fMulti
	fNull
	fUnsigned
	fPercent
)

const (
	intMin   = math.MinInt32
	intMax   = math.MaxInt32
	uintMax  = math.MaxUint32
	longMax  = math.MaxInt64
	llongMax = math.MaxInt64
	ullMax   = math.MaxUint64
)

func newDirective(name, def string, kind Kind, fl int, aliases []string) *Directive {
	return &Directive{
		Name:      name,
		Aliases:   aliases,
		Default:   def,
		Kind:      kind,
		MultiArg:  fl&fMulti != 0,
		Immutable: fl&fImm != 0,
		Protected: fl&fProt != 0,
		Hidden:    fl&fHidden != 0,
		Sensitive: fl&fSens != 0,
		Effective: fl&fEff != 0,
		Shardis:   fl&fShardis != 0,
		Percent:   fl&fPercent != 0,
		unsigned:  fl&fUnsigned != 0,
		emptyNull: fl&fNull != 0,
	}
}

func boolDir(name, def string, fl int, aliases ...string) *Directive {
	return newDirective(name, def, KindBool, fl, aliases)
}

func numDir(kind Kind, name string, lo int64, hi uint64, def string, fl int, aliases ...string) *Directive {
	d := newDirective(name, def, kind, fl, aliases)
	d.Min, d.Max = lo, hi
	return d
}

func intDir(name string, lo int64, hi uint64, def string, fl int, aliases ...string) *Directive {
	return numDir(KindInt, name, lo, hi, def, fl, aliases...)
}

func memDir(name string, lo int64, hi uint64, def string, fl int, aliases ...string) *Directive {
	return numDir(KindMemory, name, lo, hi, def, fl, aliases...)
}

func enumDir(name, def string, names []string, vals []int, fl int) *Directive {
	d := newDirective(name, def, KindEnum, fl, nil)
	d.Enum = names
	if vals == nil {
		vals = make([]int, len(names))
		for i := range vals {
			vals[i] = i
		}
	}
	d.enumVals = vals
	return d
}

func strDir(name, def string, fl int, aliases ...string) *Directive {
	return newDirective(name, def, KindString, fl, aliases)
}

func checkedStrDir(name, def string, fl int, check func(*setState, string) error) *Directive {
	d := newDirective(name, def, KindString, fl, nil)
	d.check = check
	return d
}

func specialDir(name, def string, fl int, parse func(*setState, *Directive, value, []string) (value, error), aliases ...string) *Directive {
	d := newDirective(name, def, KindSpecial, fl, aliases)
	d.parse = parse
	return d
}

var (
	protectedEnum  = []string{"no", "yes", "local"}
	shutdownEnum   = []string{"default", "save", "nosave", "now", "force"}
	shutdownValues = []int{0, 1, 2, 4, 8}
)

// directiveTable returns every directive of Redis 7.0 plus Shardis's own,
// unsorted. The facts (names, defaults, bounds, flags) are those of
// redis-server 7.0.15.
func directiveTable() []*Directive {
	hz := intDir("hz", 0, intMax, "10", fEff)
	hz.post = clampHz
	return []*Directive{
		// yes/no
		boolDir("activedefrag", "no", 0),
		boolDir("activerehashing", "yes", 0),
		boolDir("always-show-logo", "no", fImm),
		boolDir("aof-disable-auto-gc", "no", 0),
		boolDir("aof-load-truncated", "yes", fEff),
		boolDir("aof-rewrite-incremental-fsync", "yes", 0),
		boolDir("aof-timestamp-enabled", "no", 0),
		boolDir("aof-use-rdb-preamble", "yes", fEff),
		boolDir("appendonly", "no", fEff),
		boolDir("cluster-allow-pubsubshard-when-down", "yes", 0),
		boolDir("cluster-allow-reads-when-down", "no", 0),
		boolDir("cluster-allow-replica-migration", "yes", 0),
		boolDir("cluster-enabled", "no", fImm),
		boolDir("cluster-replica-no-failover", "no", 0, "cluster-slave-no-failover"),
		boolDir("cluster-require-full-coverage", "yes", 0),
		boolDir("crash-log-enabled", "yes", 0),
		boolDir("crash-memcheck-enabled", "yes", 0),
		boolDir("daemonize", "no", fImm),
		boolDir("disable-thp", "yes", fImm),
		boolDir("dynamic-hz", "yes", 0),
		boolDir("io-threads-do-reads", "no", fImm),
		boolDir("jemalloc-bg-thread", "yes", 0),
		boolDir("latency-tracking", "yes", 0),
		boolDir("lazyfree-lazy-eviction", "no", 0),
		boolDir("lazyfree-lazy-expire", "no", 0),
		boolDir("lazyfree-lazy-server-del", "no", 0),
		boolDir("lazyfree-lazy-user-del", "no", 0),
		boolDir("lazyfree-lazy-user-flush", "no", 0),
		boolDir("no-appendfsync-on-rewrite", "no", 0),
		boolDir("protected-mode", "yes", 0),
		boolDir("rdb-del-sync-files", "no", 0),
		boolDir("rdb-save-incremental-fsync", "yes", 0),
		boolDir("rdbchecksum", "yes", fImm),
		boolDir("rdbcompression", "yes", 0),
		boolDir("repl-disable-tcp-nodelay", "no", 0),
		boolDir("repl-diskless-sync", "yes", 0),
		boolDir("replica-announced", "yes", 0),
		boolDir("replica-ignore-disk-write-errors", "no", 0),
		boolDir("replica-ignore-maxmemory", "yes", 0, "slave-ignore-maxmemory"),
		boolDir("replica-lazy-flush", "no", 0, "slave-lazy-flush"),
		boolDir("replica-read-only", "yes", 0, "slave-read-only"),
		boolDir("replica-serve-stale-data", "yes", 0, "slave-serve-stale-data"),
		boolDir("set-proc-title", "yes", fImm),
		boolDir("stop-writes-on-bgsave-error", "yes", 0),
		boolDir("syslog-enabled", "no", fImm),
		boolDir("tls-cluster", "no", 0),
		boolDir("tls-prefer-server-ciphers", "no", 0),
		boolDir("tls-replication", "no", 0),
		boolDir("tls-session-caching", "yes", 0),
		boolDir("use-exit-on-panic", "no", fHidden),

		// strings
		strDir("aclfile", "", fImm),
		strDir("aof_rewrite_cpulist", "", fImm|fNull),
		checkedStrDir("appenddirname", "appendonlydir", fImm|fEff, checkAOFDirname),
		checkedStrDir("appendfilename", "appendonly.aof", fImm|fEff, checkAOFFilename),
		strDir("bgsave_cpulist", "", fImm|fNull),
		strDir("bind-source-addr", "", fNull),
		strDir("bio_cpulist", "", fImm|fNull),
		checkedStrDir("cluster-announce-hostname", "", fNull, checkHostname),
		strDir("cluster-announce-ip", "", fNull),
		strDir("cluster-config-file", "nodes.conf", fImm),
		checkedStrDir("dbfilename", "dump.rdb", fProt|fEff, checkDBFilename),
		strDir("ignore-warnings", "", 0),
		strDir("logfile", "", fImm|fEff),
		strDir("masterauth", "", fNull|fSens),
		strDir("masteruser", "", fNull|fSens),
		strDir("pidfile", "", fImm|fNull|fEff),
		checkedStrDir("proc-title-template", "{title} {listen-addr} {server-mode}", 0, checkProcTitle),
		strDir("replica-announce-ip", "", fNull, "slave-announce-ip"),
		strDir("requirepass", "", fNull|fSens|fEff),
		strDir("server_cpulist", "", fImm|fNull),
		strDir("syslog-ident", "redis", fImm),
		strDir("tls-ca-cert-dir", "", fNull),
		strDir("tls-ca-cert-file", "", fNull),
		strDir("tls-cert-file", "", fNull),
		strDir("tls-ciphers", "", fNull),
		strDir("tls-ciphersuites", "", fNull),
		strDir("tls-client-cert-file", "", fNull),
		strDir("tls-client-key-file", "", fNull),
		strDir("tls-client-key-file-pass", "", fNull),
		strDir("tls-dh-params-file", "", fNull),
		strDir("tls-key-file", "", fNull),
		strDir("tls-key-file-pass", "", fNull),
		strDir("tls-protocols", "", fNull),
		strDir("unixsocket", "", fImm|fNull),

		// enums
		enumDir("acl-pubsub-default", "resetchannels", []string{"allchannels", "resetchannels"}, nil, 0),
		enumDir("appendfsync", "everysec", []string{"everysec", "always", "no"}, nil, fEff),
		enumDir("cluster-preferred-endpoint-type", "ip", []string{"ip", "hostname", "unknown-endpoint"}, nil, 0),
		enumDir("enable-debug-command", "no", protectedEnum, nil, fImm),
		enumDir("enable-module-command", "no", protectedEnum, nil, fImm),
		enumDir("enable-protected-configs", "no", protectedEnum, nil, fImm),
		enumDir("loglevel", "notice", []string{"debug", "verbose", "notice", "warning"}, nil, fEff),
		enumDir("maxmemory-policy", "noeviction", []string{"volatile-lru", "volatile-lfu", "volatile-random",
			"volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}, nil, 0),
		// "relative" is a synonym of "yes": CONFIG GET prints "yes".
		enumDir("oom-score-adj", "no", []string{"no", "yes", "relative", "absolute"}, []int{0, 1, 1, 2}, 0),
		enumDir("propagation-error-behavior", "ignore", []string{"ignore", "panic", "panic-on-replicas"}, nil, 0),
		enumDir("repl-diskless-load", "disabled", []string{"disabled", "on-empty-db", "swapdb"}, nil, 0),
		enumDir("sanitize-dump-payload", "no", []string{"no", "yes", "clients"}, nil, 0),
		enumDir("shutdown-on-sigint", "default", shutdownEnum, shutdownValues, fMulti),
		enumDir("shutdown-on-sigterm", "default", shutdownEnum, shutdownValues, fMulti),
		enumDir("supervised", "no", []string{"upstart", "systemd", "auto", "no"}, nil, fImm),
		enumDir("syslog-facility", "local0", []string{"user", "local0", "local1", "local2", "local3",
			"local4", "local5", "local6", "local7"}, nil, fImm),
		enumDir("tls-auth-clients", "yes", []string{"no", "yes", "optional"}, nil, 0),

		// integers
		intDir("acllog-max-len", 0, longMax, "128", 0),
		intDir("active-defrag-cycle-max", 1, 99, "25", 0),
		intDir("active-defrag-cycle-min", 1, 99, "1", 0),
		intDir("active-defrag-max-scan-fields", 1, longMax, "1000", 0),
		intDir("active-defrag-threshold-lower", 0, 1000, "10", 0),
		intDir("active-defrag-threshold-upper", 0, 1000, "100", 0),
		intDir("active-expire-effort", 1, 10, "1", 0),
		intDir("auto-aof-rewrite-percentage", 0, intMax, "100", fEff),
		intDir("busy-reply-threshold", 0, longMax, "5000", 0, "lua-time-limit"),
		intDir("cluster-announce-bus-port", 0, 65535, "0", 0),
		intDir("cluster-announce-port", 0, 65535, "0", 0),
		intDir("cluster-announce-tls-port", 0, 65535, "0", 0),
		intDir("cluster-migration-barrier", 0, intMax, "1", 0),
		intDir("cluster-node-timeout", 0, llongMax, "15000", 0),
		intDir("cluster-port", 0, 65535, "0", fImm),
		intDir("cluster-replica-validity-factor", 0, intMax, "10", 0, "cluster-slave-validity-factor"),
		intDir("databases", 1, intMax, "16", fImm|fEff),
		hz,
		intDir("io-threads", 1, 128, "1", fImm),
		intDir("key-load-delay", intMin, intMax, "0", fHidden),
		intDir("latency-monitor-threshold", 0, llongMax, "0", 0),
		intDir("lfu-decay-time", 0, intMax, "1", 0),
		intDir("lfu-log-factor", 0, intMax, "10", 0),
		intDir("list-compress-depth", 0, intMax, "0", 0),
		intDir("list-max-listpack-size", intMin, intMax, "-2", 0, "list-max-ziplist-size"),
		intDir("loading-process-events-interval-bytes", 1024, intMax, "2097152", fHidden),
		intDir("maxclients", 1, uintMax, "10000", fEff|fUnsigned),
		intDir("maxmemory-eviction-tenacity", 0, 100, "10", 0),
		intDir("maxmemory-samples", 1, intMax, "5", 0),
		intDir("min-replicas-max-lag", 0, intMax, "10", 0, "min-slaves-max-lag"),
		intDir("min-replicas-to-write", 0, intMax, "0", 0, "min-slaves-to-write"),
		intDir("port", 0, 65535, "6379", fEff),
		intDir("rdb-key-save-delay", intMin, intMax, "0", fHidden),
		intDir("repl-backlog-ttl", 0, longMax, "3600", 0),
		intDir("repl-diskless-sync-delay", 0, intMax, "5", 0),
		intDir("repl-diskless-sync-max-replicas", 0, intMax, "0", 0),
		intDir("repl-ping-replica-period", 1, intMax, "10", 0, "repl-ping-slave-period"),
		intDir("repl-timeout", 1, intMax, "60", 0),
		intDir("replica-announce-port", 0, 65535, "0", 0, "slave-announce-port"),
		intDir("replica-priority", 0, intMax, "100", 0, "slave-priority"),
		intDir("set-max-intset-entries", 0, longMax, "512", fUnsigned),
		intDir("hash-max-listpack-entries", 0, longMax, "512", fUnsigned, "hash-max-ziplist-entries"),
		intDir("shutdown-timeout", 0, intMax, "10", 0),
		intDir("slowlog-log-slower-than", -1, llongMax, "10000", 0),
		intDir("slowlog-max-len", 0, longMax, "128", 0),
		intDir("socket-mark-id", 0, uintMax, "0", fImm|fUnsigned),
		intDir("stream-node-max-entries", 0, llongMax, "100", 0),
		intDir("tcp-backlog", 0, intMax, "511", fImm),
		intDir("tcp-keepalive", 0, intMax, "300", 0),
		intDir("timeout", 0, intMax, "0", fEff),
		intDir("tls-port", 0, 65535, "0", 0),
		intDir("tls-session-cache-size", 0, intMax, "20480", 0),
		intDir("tls-session-cache-timeout", 0, intMax, "300", 0),
		intDir("tracking-table-max-keys", 0, longMax, "1000000", fUnsigned),
		intDir("watchdog-period", 0, intMax, "0", fHidden),
		intDir("zset-max-listpack-entries", 0, longMax, "128", fUnsigned, "zset-max-ziplist-entries"),
		numDir(KindOctal, "unixsocketperm", 0, 0o777, "0", fImm|fUnsigned),

		// memory
		memDir("active-defrag-ignore-bytes", 1, llongMax, "104857600", fUnsigned),
		memDir("auto-aof-rewrite-min-size", 0, llongMax, "67108864", fEff),
		memDir("client-query-buffer-limit", 1<<20, longMax, "1073741824", fEff|fUnsigned),
		memDir("cluster-link-sendbuf-limit", 0, ullMax, "0", fUnsigned),
		memDir("hash-max-listpack-value", 0, longMax, "64", fUnsigned, "hash-max-ziplist-value"),
		memDir("hll-sparse-max-bytes", 0, longMax, "3000", fUnsigned),
		memDir("maxmemory", 0, ullMax, "0", fUnsigned),
		memDir("maxmemory-clients", -100, longMax, "0", fPercent),
		memDir("proto-max-bulk-len", 1<<20, longMax, "536870912", fEff),
		memDir("repl-backlog-size", 1, llongMax, "1048576", 0),
		memDir("stream-node-max-bytes", 0, longMax, "4096", fUnsigned),
		memDir("zset-max-listpack-value", 0, longMax, "64", fUnsigned, "zset-max-ziplist-value"),

		// special syntax
		specialDir("bind", "127.0.0.1 -::1", fMulti|fEff, parseBind),
		specialDir("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
			fMulti|fEff, parseClientOutputBufferLimit),
		specialDir("dir", "", fProt|fEff, parseDir),
		specialDir("latency-tracking-info-percentiles", "50 99 99.9", fMulti, parsePercentiles),
		specialDir("notify-keyspace-events", "", fEff, parseNotify),
		specialDir("oom-score-adj-values", "0 200 800", fMulti, parseOOMScoreAdjValues),
		specialDir("replicaof", "", fImm|fMulti, parseReplicaof, "slaveof"),
		specialDir("save", "3600 1 300 100 60 10000", fMulti|fEff, parseSave),

		// Shardis's own
		strDir("cluster-secret", "", fImm|fNull|fSens|fEff|fShardis),
		checkedStrDir("metrics-addr", "", fImm|fNull|fEff|fShardis, checkMetricsAddr),
	}
}

// deprecatedDirectives are accepted in a config file with exactly one
// argument and ignored, as Redis 7.0 does.
var deprecatedDirectives = []string{"list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"}

// entry is one name (canonical or alias) in lookup order.
type entry struct {
	name  string
	index int // into table
}

var (
	// table holds the directives sorted by name; index positions are
	// stable and used for the value slice of Config.
	table []*Directive
	// byName maps every lower-case name and alias to its table index.
	byName map[string]int
	// entries lists every name and alias, sorted, for CONFIG GET patterns.
	entries []entry
)

func init() {
	table = directiveTable()
	slices.SortFunc(table, func(a, b *Directive) int { return strings.Compare(a.Name, b.Name) })
	byName = make(map[string]int, len(table)*2)
	for i, d := range table {
		for _, n := range append([]string{d.Name}, d.Aliases...) {
			if _, dup := byName[n]; dup {
				panic("config: duplicate directive " + n)
			}
			byName[n] = i
			entries = append(entries, entry{n, i})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
}

// lookup finds a directive by name or alias, ignoring case.
func lookup(name string) (int, bool) {
	i, ok := byName[asciiLower(name)]
	return i, ok
}

// Lookup returns the directive called name (or one of its aliases),
// ignoring case.
func Lookup(name string) (Directive, bool) {
	i, ok := lookup(name)
	if !ok {
		return Directive{}, false
	}
	return table[i].export(), true
}

// Directives returns every directive, sorted by name, hidden ones included.
func Directives() []Directive {
	out := make([]Directive, len(table))
	for i, d := range table {
		out[i] = d.export()
	}
	return out
}

// export returns a copy that callers cannot use to change the table.
func (d *Directive) export() Directive {
	c := *d
	c.Aliases = slices.Clone(d.Aliases)
	c.Enum = slices.Clone(d.Enum)
	c.enumVals = slices.Clone(d.enumVals)
	return c
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerByte(b[j])
			}
			return string(b)
		}
	}
	return s
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
