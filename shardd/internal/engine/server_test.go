package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/engine"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// svClient is a go-redis client on one connection of srv.
func svClient(t *testing.T, srv *shardtest.Server, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, Protocol: proto, PoolSize: 1, MaxRetries: -1, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// infoFields parses INFO text into its sections' fields.
func infoFields(t *testing.T, text string) (sections []string, fields map[string]string) {
	t.Helper()
	fields = map[string]string{}
	for _, line := range strings.Split(text, "\r\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, "# "):
			sections = append(sections, line[2:])
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				t.Fatalf("INFO line without colon: %q", line)
			}
			fields[k] = v
		}
	}
	return sections, fields
}

func TestInfoSections(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	c := svClient(t, srv, 2)
	def := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Errorstats", "Cluster", "Keyspace"}
	all := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"}
	tests := []struct {
		args []any
		want []string
	}{
		{[]any{"INFO"}, def},
		{[]any{"INFO", "default"}, def},
		{[]any{"INFO", "all"}, all},
		{[]any{"INFO", "everything"}, all},
		{[]any{"INFO", "keyspace", "SERVER"}, []string{"Server", "Keyspace"}},
		{[]any{"INFO", "commandstats"}, []string{"Commandstats"}},
		{[]any{"INFO", "default", "commandstats"}, all[:len(all)]},
		{[]any{"INFO", "nosuch"}, nil},
		{[]any{"INFO", "a", "b", "c"}, nil},
	}
	tests[6].want = slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == "Latencystats" })
	for _, tt := range tests {
		text, err := c.Do(ctx, tt.args...).Text()
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		sections, _ := infoFields(t, text)
		if !slices.Equal(sections, tt.want) {
			t.Errorf("%v: sections %q; want %q", tt.args, sections, tt.want)
		}
		if text != "" && (!strings.HasSuffix(text, "\r\n") || strings.HasSuffix(text, "\r\n\r\n")) {
			t.Errorf("%v: text must end with exactly one CRLF: %q", tt.args, text[max(0, len(text)-20):])
		}
	}
}

func TestInfoFields(t *testing.T) {
	srv := shardtest.Start(t, "maxclients 77", "hz 20")
	ctx := context.Background()
	c := svClient(t, srv, 2)
	c.Set(ctx, "a", "1", 0)
	c.Set(ctx, "b", "2", time.Hour)
	c.Do(ctx, "SELECT", "3")
	c.Set(ctx, "c", "3", 0)
	c.Get(ctx, "nosuch")
	c.Do(ctx, "INCR", "c", "extra") // rejected: arity
	c.Do(ctx, "CONFIG", "GET")      // rejected: arity
	c.Do(ctx, "SELECT", "99")       // failed
	text := c.Info(ctx, "everything").Val()
	_, f := infoFields(t, text)
	port := srv.Addr[strings.LastIndexByte(srv.Addr, ':')+1:]
	want := map[string]string{
		"redis_version":        "7.0.15",
		"redis_mode":           "standalone",
		"shardd_version":       engine.Version,
		"arch_bits":            "64",
		"process_id":           strconv.Itoa(os.Getpid()),
		"tcp_port":             port,
		"hz":                   "20",
		"configured_hz":        "20",
		"connected_clients":    "1",
		"blocked_clients":      "0",
		"maxclients":           "77",
		"maxmemory":            "0",
		"maxmemory_human":      "0B",
		"maxmemory_policy":     "noeviction",
		"mem_allocator":        "go",
		"loading":              "0",
		"aof_enabled":          "0",
		"role":                 "master",
		"cluster_enabled":      "0",
		"rejected_connections": "0",
		"db0":                  "keys=2,expires=1,avg_ttl=0",
		"db3":                  "keys=1,expires=0,avg_ttl=0",
		"cmdstat_set":          "",
		"errorstat_ERR":        "",
	}
	for k, v := range want {
		got, ok := f[k]
		if !ok {
			t.Errorf("INFO has no %s", k)
			continue
		}
		if v != "" && got != v {
			t.Errorf("INFO %s = %q; want %q", k, got, v)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(f["run_id"]) {
		t.Errorf("run_id = %q; want 40 hex digits", f["run_id"])
	}
	for _, k := range []string{"used_memory", "used_memory_rss", "used_memory_peak", "total_commands_processed",
		"total_connections_received", "rdb_changes_since_last_save", "uptime_in_seconds", "server_time_usec"} {
		if n, err := strconv.ParseInt(f[k], 10, 64); err != nil || n < 0 {
			t.Errorf("INFO %s = %q; want a number", k, f[k])
		}
	}
	if n, _ := strconv.Atoi(f["used_memory"]); n <= 0 {
		t.Errorf("used_memory = %d", n)
	}
	if n, _ := strconv.Atoi(f["rdb_changes_since_last_save"]); n < 3 {
		t.Errorf("rdb_changes_since_last_save = %d; want >= 3", n)
	}
	if !regexp.MustCompile(`^calls=3,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$`).MatchString(f["cmdstat_set"]) {
		t.Errorf("cmdstat_set = %q", f["cmdstat_set"])
	}
	if !strings.Contains(f["cmdstat_incr"], "calls=0,") || !strings.HasSuffix(f["cmdstat_incr"], "rejected_calls=1,failed_calls=0") {
		t.Errorf("cmdstat_incr = %q; want one rejected call", f["cmdstat_incr"])
	}
	if !strings.HasSuffix(f["cmdstat_config|get"], "rejected_calls=1,failed_calls=0") {
		t.Errorf("cmdstat_config|get = %q", f["cmdstat_config|get"])
	}
	if !strings.HasSuffix(f["cmdstat_select"], "rejected_calls=0,failed_calls=1") {
		t.Errorf("cmdstat_select = %q", f["cmdstat_select"])
	}
	if !regexp.MustCompile(`^count=[1-3]$`).MatchString(f["errorstat_ERR"]) {
		t.Errorf("errorstat_ERR = %q", f["errorstat_ERR"])
	}
	if !regexp.MustCompile(`^\d+(\.\d\d[KMGTP])?B?$`).MatchString(f["used_memory_human"]) {
		t.Errorf("used_memory_human = %q", f["used_memory_human"])
	}

	// CONFIG RESETSTAT zeroes the counters, not the data.
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	_, f = infoFields(t, c.Info(ctx, "everything").Val())
	for _, k := range []string{"cmdstat_set", "cmdstat_incr", "errorstat_ERR"} {
		if v, ok := f[k]; ok {
			t.Errorf("after RESETSTAT: %s = %q", k, v)
		}
	}
	if f["total_commands_processed"] != "1" { // CONFIG RESETSTAT itself
		t.Errorf("after RESETSTAT: total_commands_processed = %q; want 1", f["total_commands_processed"])
	}
	if f["db3"] != "keys=1,expires=0,avg_ttl=0" {
		t.Errorf("after RESETSTAT: db3 = %q", f["db3"])
	}
}

func TestInfoRESP3IsVerbatim(t *testing.T) {
	e := svEngine(t, engine.Options{})
	c := svSession(t, e, "127.0.0.1:5000")
	c.expect("$0\r\n\r\n", "INFO", "nosuch")
	c.expect("$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n", "INFO", "cluster")
	c.do("HELLO", "3")
	c.expect("=4\r\ntxt:\r\n", "INFO", "nosuch")
	c.expect("=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n", "INFO", "cluster")
	c.expect("=16\r\ntxt:# Keyspace\r\n\r\n", "INFO", "keyspace")
	c.expect("=15\r\ntxt:# Modules\r\n\r\n", "INFO", "MODULES")
}

func TestInfoOpsPerSec(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	c := svClient(t, srv, 3)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for i := 0; i < 50; i++ {
			c.Ping(ctx)
		}
		_, f := infoFields(t, c.Info(ctx, "stats").Val())
		if n, _ := strconv.Atoi(f["instantaneous_ops_per_sec"]); n > 0 {
			return
		}
	}
	t.Error("instantaneous_ops_per_sec stayed 0 under load")
}

func TestConfigGetSet(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := svClient(t, srv, proto)
		got, err := c.ConfigGet(ctx, "maxclients").Result()
		if err != nil || len(got) != 1 || got["maxclients"] != "10000" {
			t.Errorf("RESP%d: CONFIG GET maxclients = %v, %v", proto, got, err)
		}
		m, err := c.Do(ctx, "CONFIG", "GET", "maxmemory", "hz", "nosuch", "HZ").Result()
		if err != nil {
			t.Fatal(err)
		}
		pairs := map[string]string{}
		switch v := m.(type) {
		case map[any]any:
			for k, val := range v {
				pairs[k.(string)] = val.(string)
			}
		case []any:
			for i := 0; i+1 < len(v); i += 2 {
				pairs[v[i].(string)] = v[i+1].(string)
			}
		}
		if len(pairs) != 2 || pairs["maxmemory"] != "0" || pairs["hz"] != "10" {
			t.Errorf("RESP%d: CONFIG GET maxmemory hz nosuch HZ = %v", proto, m)
		}
		glob := c.ConfigGet(ctx, "maxmemory*").Val()
		for _, k := range []string{"maxmemory", "maxmemory-policy", "maxmemory-samples", "maxmemory-clients", "maxmemory-eviction-tenacity"} {
			if _, ok := glob[k]; !ok {
				t.Errorf("RESP%d: CONFIG GET maxmemory* lacks %s: %v", proto, k, glob)
			}
		}
		if n := len(c.ConfigGet(ctx, "nosuch").Val()); n != 0 {
			t.Errorf("RESP%d: CONFIG GET nosuch has %d entries", proto, n)
		}
	}

	c := svClient(t, srv, 3)
	if err := c.Do(ctx, "CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	got := c.ConfigGet(ctx, "maxmemory*").Val()
	if got["maxmemory"] != "10485760" || got["maxmemory-policy"] != "allkeys-lru" {
		t.Errorf("after CONFIG SET: %v", got)
	}
	_, f := infoFields(t, c.Info(ctx, "memory").Val())
	if f["maxmemory"] != "10485760" || f["maxmemory_human"] != "10.00M" || f["maxmemory_policy"] != "allkeys-lru" {
		t.Errorf("INFO memory after CONFIG SET: maxmemory %q %q policy %q", f["maxmemory"], f["maxmemory_human"], f["maxmemory_policy"])
	}
	errs := []struct {
		args []any
		want string
	}{
		{[]any{"CONFIG", "SET", "maxclients", "100", "timeout"}, "ERR syntax error"},
		{[]any{"CONFIG", "SET", "nosuch", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		{[]any{"CONFIG", "SET", "maxclients", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"},
		{[]any{"CONFIG", "SET", "maxclients", "100", "maxclients", "200"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - duplicate parameter"},
		{[]any{"CONFIG", "SET", "daemonize", "yes"}, "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
		{[]any{"CONFIG", "SET", "hz", "20", "maxclients", "x"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"},
		{[]any{"CONFIG", "SET", "maxclients"}, "ERR wrong number of arguments for 'config|set' command"},
		{[]any{"CONFIG", "GET"}, "ERR wrong number of arguments for 'config|get' command"},
		{[]any{"CONFIG", "RESETSTAT", "x"}, "ERR wrong number of arguments for 'config|resetstat' command"},
		{[]any{"CONFIG", "REWRITE"}, "ERR The server is running without a config file"},
		{[]any{"CONFIG", "NOSUCH"}, "ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP."},
		{[]any{"CONFIG"}, "ERR wrong number of arguments for 'config' command"},
	}
	for _, tt := range errs {
		err := c.Do(ctx, tt.args...).Err()
		if err == nil || err.Error() != tt.want {
			t.Errorf("%v: err = %v; want %q", tt.args, err, tt.want)
		}
	}
	// A failed CONFIG SET changes nothing.
	if v := c.ConfigGet(ctx, "hz").Val()["hz"]; v != "10" {
		t.Errorf("hz after a failed multi-pair CONFIG SET = %q; want 10", v)
	}
	help, err := c.Do(ctx, "CONFIG", "HELP").StringSlice()
	if err != nil || len(help) < 4 || !strings.HasPrefix(help[0], "CONFIG <subcommand>") || help[len(help)-2] != "HELP" {
		t.Errorf("CONFIG HELP = %q, %v", help, err)
	}
}

// maxclients applies to new connections as soon as it is set.
func TestConfigSetMaxclients(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	c := svClient(t, srv, 3)
	if err := c.ConfigSet(ctx, "maxclients", "1").Err(); err != nil {
		t.Fatal(err)
	}
	// The server replies with the error and closes; the client sees
	// the error or, if the close wins, a reset connection.
	other := svClient(t, srv, 2)
	if err := other.Ping(ctx).Err(); err == nil {
		t.Error("a second client got in at maxclients 1")
	}
	_, f := infoFields(t, c.Info(ctx, "stats").Val())
	if f["rejected_connections"] == "0" {
		t.Error("rejected_connections = 0 after a refused connection")
	}
}

func TestConfigRewrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shardd.conf")
	if err := os.WriteFile(path, []byte("# my settings\nmaxclients 100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	if err := cfg.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	e := svEngine(t, engine.Options{Config: cfg})
	c := svSession(t, e, "127.0.0.1:5000")
	c.expect("+OK\r\n", "CONFIG", "SET", "maxclients", "200", "hz", "15")
	c.expect("+OK\r\n", "CONFIG", "REWRITE")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{"# my settings", "maxclients 200", "hz 15"} {
		if !strings.Contains(text, want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(c.do("INFO", "server"), "config_file:"+path+"\r\n") {
		t.Errorf("INFO server does not name the config file %s", path)
	}
}

func TestClientIDNames(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	a, b := svClient(t, srv, 3), svClient(t, srv, 2)
	ida, idb := a.ClientID(ctx).Val(), b.ClientID(ctx).Val()
	if ida <= 0 || idb <= 0 || ida == idb {
		t.Errorf("CLIENT ID = %d and %d", ida, idb)
	}
	if err := a.ClientGetName(ctx).Err(); err != redis.Nil {
		t.Errorf("CLIENT GETNAME without a name: err = %v; want nil reply", err)
	}
	if err := a.Do(ctx, "CLIENT", "SETNAME", "alpha").Err(); err != nil {
		t.Fatal(err)
	}
	if n := a.ClientGetName(ctx).Val(); n != "alpha" {
		t.Errorf("CLIENT GETNAME = %q", n)
	}
	for _, bad := range []string{"a b", "a\nb", "caf\xc3\xa9"} {
		err := a.Do(ctx, "CLIENT", "SETNAME", bad).Err()
		if err == nil || err.Error() != "ERR Client names cannot contain spaces, newlines or special characters." {
			t.Errorf("CLIENT SETNAME %q: err = %v", bad, err)
		}
	}
	if err := a.Do(ctx, "CLIENT", "SETNAME", "").Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.ClientGetName(ctx).Err(); err != redis.Nil {
		t.Errorf("CLIENT GETNAME after SETNAME \"\": err = %v", err)
	}
	for _, tt := range []struct {
		args []any
		want string
	}{
		{[]any{"CLIENT", "SETNAME"}, "ERR wrong number of arguments for 'client|setname' command"},
		{[]any{"CLIENT", "ID", "x"}, "ERR wrong number of arguments for 'client|id' command"},
		{[]any{"CLIENT", "FOO"}, "ERR unknown subcommand 'FOO'. Try CLIENT HELP."},
		{[]any{"CLIENT"}, "ERR wrong number of arguments for 'client' command"},
	} {
		if err := a.Do(ctx, tt.args...).Err(); err == nil || err.Error() != tt.want {
			t.Errorf("%v: err = %v; want %q", tt.args, err, tt.want)
		}
	}
	help, err := a.Do(ctx, "CLIENT", "HELP").StringSlice()
	if err != nil || !strings.HasPrefix(help[0], "CLIENT <subcommand>") || help[len(help)-1] != "    Prints this help." {
		t.Errorf("CLIENT HELP = %q, %v", help, err)
	}
}

// clientLine matches one CLIENT LIST line of Redis 7.0.15, field by field.
var clientLine = regexp.MustCompile(`^id=(\d+) addr=(\S+) laddr=(\S+) fd=(\d+) name=(\S*) age=(\d+) idle=(\d+) flags=(\w+) db=(\d+) sub=0 psub=0 ssub=0 multi=-1 qbuf=(\d+) qbuf-free=(\d+) argv-mem=(\d+) multi-mem=0 rbs=(\d+) rbp=(\d+) obl=0 oll=0 omem=0 tot-mem=(\d+) events=r cmd=(\S+) user=default redir=-1 resp=([23])$`)

func TestClientList(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	a, b := svClient(t, srv, 3), svClient(t, srv, 2)
	a.Do(ctx, "CLIENT", "SETNAME", "alpha")
	b.Do(ctx, "SELECT", "5")
	b.Get(ctx, "k")
	ida, idb := a.ClientID(ctx).Val(), b.ClientID(ctx).Val()

	list, err := a.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(list, "\n") {
		t.Errorf("CLIENT LIST must end with a newline: %q", list)
	}
	lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("CLIENT LIST has %d lines:\n%s", len(lines), list)
	}
	m := clientLine.FindStringSubmatch(lines[0])
	if m == nil {
		t.Fatalf("line does not match Redis's format:\n%s", lines[0])
	}
	if m[1] != strconv.FormatInt(ida, 10) || m[5] != "alpha" || m[8] != "N" || m[9] != "0" || m[16] != "client|list" || m[17] != "3" {
		t.Errorf("caller's line: %s", lines[0])
	}
	if m[3] != srv.Addr || m[10] != "26" || m[11] != "20448" || m[12] != "10" {
		t.Errorf("caller's line: laddr/qbuf/qbuf-free/argv-mem: %s", lines[0])
	}
	m = clientLine.FindStringSubmatch(lines[1])
	if m == nil {
		t.Fatalf("line does not match Redis's format:\n%s", lines[1])
	}
	if m[1] != strconv.FormatInt(idb, 10) || m[5] != "" || m[9] != "5" || m[16] != "client|id" || m[17] != "2" || m[10] != "0" {
		t.Errorf("other client's line: %s", lines[1])
	}
	fda, _ := strconv.Atoi(clientLine.FindStringSubmatch(lines[0])[4])
	fdb, _ := strconv.Atoi(m[4])
	if fda < 8 || fdb < 8 || fda == fdb {
		t.Errorf("fds %d and %d", fda, fdb)
	}

	info, err := b.Do(ctx, "CLIENT", "INFO").Text()
	if err != nil || !clientLine.MatchString(strings.TrimSuffix(info, "\n")) || !strings.HasSuffix(info, "\n") ||
		!strings.Contains(info, "cmd=client|info ") {
		t.Errorf("CLIENT INFO = %q, %v", info, err)
	}

	filters := []struct {
		args  []any
		lines int
		err   string
	}{
		{[]any{"CLIENT", "LIST", "TYPE", "normal"}, 2, ""},
		{[]any{"CLIENT", "LIST", "type", "NORMAL"}, 2, ""},
		{[]any{"CLIENT", "LIST", "TYPE", "pubsub"}, 0, ""},
		{[]any{"CLIENT", "LIST", "TYPE", "master"}, 0, ""},
		{[]any{"CLIENT", "LIST", "TYPE", "replica"}, 0, ""},
		{[]any{"CLIENT", "LIST", "TYPE", "slave"}, 0, ""},
		{[]any{"CLIENT", "LIST", "ID", strconv.FormatInt(idb, 10)}, 1, ""},
		{[]any{"CLIENT", "LIST", "ID", strconv.FormatInt(idb, 10), "999999", strconv.FormatInt(idb, 10)}, 2, ""},
		{[]any{"CLIENT", "LIST", "ID", "0"}, 0, ""},
		{[]any{"CLIENT", "LIST", "TYPE", "foo"}, 0, "ERR Unknown client type 'foo'"},
		{[]any{"CLIENT", "LIST", "ID"}, 0, "ERR syntax error"},
		{[]any{"CLIENT", "LIST", "ID", "1", "x"}, 0, "ERR Invalid client ID"},
		{[]any{"CLIENT", "LIST", "foo"}, 0, "ERR syntax error"},
		{[]any{"CLIENT", "LIST", "TYPE", "normal", "ID", "1"}, 0, "ERR syntax error"},
	}
	for _, f := range filters {
		text, err := a.Do(ctx, f.args...).Text()
		if f.err != "" {
			if err == nil || err.Error() != f.err {
				t.Errorf("%v: err = %v; want %q", f.args, err, f.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", f.args, err)
			continue
		}
		if n := strings.Count(text, "\n"); n != f.lines {
			t.Errorf("%v: %d lines; want %d:\n%s", f.args, n, f.lines, text)
		}
	}
}

func TestClientListRESP3Verbatim(t *testing.T) {
	e := svEngine(t, engine.Options{})
	c := svSession(t, e, "127.0.0.1:5000")
	c.expect("$0\r\n\r\n", "CLIENT", "LIST", "ID", "12345")
	c.do("HELLO", "3")
	c.expect("=4\r\ntxt:\r\n", "CLIENT", "LIST", "ID", "12345")
	if got := c.do("CLIENT", "INFO"); !strings.HasPrefix(got, "=") || !strings.Contains(got, "\r\ntxt:id=") {
		t.Errorf("CLIENT INFO in RESP3 = %q; want a verbatim string", got)
	}
}

// rawClient is a bare connection, so that a killed one stays dead (a
// go-redis client would quietly reconnect).
type rawClient struct {
	c    net.Conn
	r    *bufio.Reader
	id   int64
	addr string
}

func newRawClient(t *testing.T, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	rc := &rawClient{c: c, r: bufio.NewReader(c)}
	fmt.Fprint(c, "CLIENT ID\r\n")
	line, _ := rc.r.ReadString('\n')
	rc.id, _ = strconv.ParseInt(strings.TrimSpace(line[1:]), 10, 64)
	rc.addr = c.LocalAddr().String()
	return rc
}

// dead reports whether the server closed the connection.
func (rc *rawClient) dead() bool {
	fmt.Fprint(rc.c, "PING\r\n")
	_, err := rc.r.ReadString('\n')
	return err != nil
}

func TestClientKill(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	a := svClient(t, srv, 3)
	a.Ping(ctx)

	// Old form.
	v := newRawClient(t, srv.Addr)
	if err := a.Do(ctx, "CLIENT", "KILL", v.addr).Err(); err != nil {
		t.Fatalf("CLIENT KILL addr: %v", err)
	}
	if !v.dead() {
		t.Error("CLIENT KILL addr: the client still works")
	}
	if err := a.Do(ctx, "CLIENT", "KILL", v.addr).Err(); err == nil || err.Error() != "ERR No such client" {
		t.Errorf("CLIENT KILL of a gone address: err = %v", err)
	}

	// New form, by ID.
	v = newRawClient(t, srv.Addr)
	if n, err := a.Do(ctx, "CLIENT", "KILL", "ID", v.id).Int(); err != nil || n != 1 {
		t.Errorf("CLIENT KILL ID = %d, %v", n, err)
	}
	if !v.dead() {
		t.Error("CLIENT KILL ID: the client still works")
	}
	if n := a.Do(ctx, "CLIENT", "KILL", "ID", v.id).Val(); n != int64(0) {
		t.Errorf("CLIENT KILL ID of a gone client = %v", n)
	}

	// ADDR and LADDR, USER, SKIPME, TYPE.
	v = newRawClient(t, srv.Addr)
	if n := a.Do(ctx, "CLIENT", "KILL", "ADDR", v.addr, "LADDR", "1.2.3.4:5").Val(); n != int64(0) {
		t.Errorf("CLIENT KILL ADDR with a wrong LADDR = %v", n)
	}
	if n := a.Do(ctx, "CLIENT", "KILL", "ADDR", v.addr, "LADDR", srv.Addr).Val(); n != int64(1) || !v.dead() {
		t.Errorf("CLIENT KILL ADDR LADDR = %v", n)
	}
	v = newRawClient(t, srv.Addr)
	if n := a.Do(ctx, "CLIENT", "KILL", "USER", "default").Val(); n != int64(1) || !v.dead() {
		t.Errorf("CLIENT KILL USER default (skipping me) = %v", n)
	}
	if err := a.Ping(ctx).Err(); err != nil {
		t.Errorf("the caller was killed despite SKIPME yes: %v", err)
	}
	v = newRawClient(t, srv.Addr)
	if n := a.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "no").Val(); n != int64(0) || v.dead() {
		t.Errorf("CLIENT KILL TYPE pubsub = %v", n)
	}
	if n := a.Do(ctx, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no").Val(); n != int64(2) {
		t.Errorf("CLIENT KILL TYPE normal SKIPME no = %v; want 2", n)
	}
	if !v.dead() {
		t.Error("CLIENT KILL TYPE normal: the other client still works")
	}

	b := svClient(t, srv, 2)
	for _, tt := range []struct {
		args []any
		want string
	}{
		{[]any{"CLIENT", "KILL", "1.2.3.4:5"}, "ERR No such client"},
		{[]any{"CLIENT", "KILL", "ID"}, "ERR No such client"},
		{[]any{"CLIENT", "KILL", "ID", "x"}, "ERR client-id should be greater than 0"},
		{[]any{"CLIENT", "KILL", "ID", "0"}, "ERR client-id should be greater than 0"},
		{[]any{"CLIENT", "KILL", "ID", "x", "TYPE"}, "ERR client-id should be greater than 0"},
		{[]any{"CLIENT", "KILL", "ID", "1", "ID"}, "ERR syntax error"},
		{[]any{"CLIENT", "KILL", "USER", "nobody"}, "ERR No such user 'nobody'"},
		{[]any{"CLIENT", "KILL", "SKIPME", "maybe"}, "ERR syntax error"},
		{[]any{"CLIENT", "KILL", "TYPE", "foo"}, "ERR Unknown client type 'foo'"},
		{[]any{"CLIENT", "KILL", "MAXAGE", "10"}, "ERR syntax error"},
		{[]any{"CLIENT", "KILL"}, "ERR wrong number of arguments for 'client|kill' command"},
	} {
		if err := b.Do(ctx, tt.args...).Err(); err == nil || err.Error() != tt.want {
			t.Errorf("%v: err = %v; want %q", tt.args, err, tt.want)
		}
	}
}

// The old form may kill the caller, which gets its OK first.
func TestClientKillSelf(t *testing.T) {
	e := svEngine(t, engine.Options{})
	c := svSession(t, e, "127.0.0.1:5000")
	c.expect("+OK\r\n", "CLIENT", "KILL", "127.0.0.1:5000")
	if !c.s.Quit() {
		t.Error("the session is not closed after killing itself")
	}
}

func TestCommandInfo(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := svClient(t, srv, proto)
		infos, err := c.Command(ctx).Result()
		if err != nil {
			if strings.Contains(err.Error(), "wrong number of arguments") {
				t.Skip("the dispatcher does not run a container command without a subcommand yet")
			}
			t.Fatalf("RESP%d: COMMAND: %v", proto, err)
		}
		get := infos["get"]
		if get == nil || get.Arity != 2 || !get.ReadOnly || get.FirstKeyPos != 1 || get.LastKeyPos != 1 ||
			get.StepCount != 1 || !slices.Equal(get.ACLFlags, []string{"@read", "@string", "@fast"}) {
			t.Errorf("RESP%d: COMMAND get = %+v", proto, get)
		}
		if n := c.Do(ctx, "COMMAND", "COUNT").Val(); n != int64(len(infos)) {
			t.Errorf("RESP%d: COMMAND COUNT = %v; COMMAND lists %d", proto, n, len(infos))
		}
	}
}

func TestCommandInfoReply(t *testing.T) {
	e := svEngine(t, engine.Options{})
	c := svSession(t, e, "127.0.0.1:5000")
	// Byte for byte what redis-server 7.0.15 sends.
	get := "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n" +
		"*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n" +
		"$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"
	c.expect("*3\r\n"+get+"$-1\r\n$-1\r\n", "COMMAND", "INFO", "GET", "nosuch", "config|nosuch")
	c.do("HELLO", "3")
	get3 := "*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n" +
		"~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n" +
		"$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n"
	c.expect("*2\r\n"+get3+"_\r\n", "COMMAND", "INFO", "get", "nosuch")
	configSet := "*10\r\n$10\r\nconfig|set\r\n:-4\r\n~4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n~3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n" +
		"~2\r\n$24\r\nrequest_policy:all_nodes\r\n$29\r\nresponse_policy:all_succeeded\r\n~0\r\n~0\r\n"
	c.expect("*1\r\n"+configSet, "COMMAND", "INFO", "CONFIG|SET")
	// A container lists its implemented subcommands.
	got := c.do("COMMAND", "INFO", "config")
	for _, sub := range []string{"config|get", "config|set", "config|resetstat", "config|rewrite", "config|help"} {
		if !strings.Contains(got, "$"+strconv.Itoa(len(sub))+"\r\n"+sub+"\r\n") {
			t.Errorf("COMMAND INFO config lacks %s", sub)
		}
	}
	if !strings.HasPrefix(got, "*1\r\n*10\r\n$6\r\nconfig\r\n:-2\r\n~0\r\n:0\r\n:0\r\n:0\r\n~1\r\n+@slow\r\n~0\r\n~0\r\n*5\r\n") {
		t.Errorf("COMMAND INFO config = %q", got[:min(len(got), 200)])
	}
}

func TestCommandGetKeys(t *testing.T) {
	e := svEngine(t, engine.Options{})
	c := svSession(t, e, "127.0.0.1:5000")
	keys := func(ks ...string) string {
		out := "*" + strconv.Itoa(len(ks)) + "\r\n"
		for _, k := range ks {
			out += "$" + strconv.Itoa(len(k)) + "\r\n" + k + "\r\n"
		}
		return out
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"get", "a"}, keys("a")},
		{[]string{"GET", "a"}, keys("a")},
		{[]string{"set", "a", "b", "EX", "10"}, keys("a")},
		{[]string{"mset", "a", "1", "b", "2"}, keys("a", "b")},
		{[]string{"mset", "a", "b", "c"}, keys("a", "c")},
		{[]string{"del", "a", "b", "c"}, keys("a", "b", "c")},
		{[]string{"memory", "usage", "k"}, keys("k")},
		{[]string{"memory", "usage", "k", "samples", "5"}, keys("k")},
		{[]string{"get", "a", "b"}, "-ERR Invalid number of arguments specified for command\r\n"},
		{[]string{"nosuch", "a"}, "-ERR Invalid command specified\r\n"},
		{[]string{"config", "nosuch", "x"}, "-ERR Invalid command specified\r\n"},
		{[]string{"ping", "x"}, "-ERR The command has no key arguments\r\n"},
		{[]string{"config", "get", "x"}, "-ERR The command has no key arguments\r\n"},
		{[]string{"memory", "usage"}, "-ERR Invalid number of arguments specified for command\r\n"},
	}
	for _, tt := range tests {
		c.expect(tt.want, append([]string{"COMMAND", "GETKEYS"}, tt.args...)...)
	}
	c.expect("-ERR wrong number of arguments for 'command|getkeys' command\r\n", "COMMAND", "GETKEYS", "get")
}

func TestCommandListDocs(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := svClient(t, srv, proto)
		all, err := c.Do(ctx, "COMMAND", "LIST").StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"get", "config", "config|get", "client|kill", "command|docs", "info", "ping"} {
			if !slices.Contains(all, want) {
				t.Errorf("RESP%d: COMMAND LIST lacks %s", proto, want)
			}
		}
		conf, _ := c.Do(ctx, "COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*").StringSlice()
		slices.Sort(conf)
		if want := []string{"config", "config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"}; !slices.Equal(conf, want) {
			t.Errorf("RESP%d: COMMAND LIST FILTERBY PATTERN conf* = %q", proto, conf)
		}
		conn, _ := c.Do(ctx, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection").StringSlice()
		if !slices.Contains(conn, "ping") || !slices.Contains(conn, "client|id") || slices.Contains(conn, "get") {
			t.Errorf("RESP%d: COMMAND LIST FILTERBY ACLCAT connection = %q", proto, conn)
		}
		for _, empty := range [][]any{{"MODULE", "x"}, {"ACLCAT", "nosuch"}, {"PATTERN", "zzz*"}} {
			got, err := c.Do(ctx, append([]any{"COMMAND", "LIST", "FILTERBY"}, empty...)...).StringSlice()
			if err != nil || len(got) != 0 {
				t.Errorf("RESP%d: COMMAND LIST FILTERBY %v = %q, %v", proto, empty, got, err)
			}
		}
		for _, bad := range [][]any{{"x"}, {"FILTERBY"}, {"FILTERBY", "foo", "x"}, {"FILTERBY", "pattern"}} {
			err := c.Do(ctx, append([]any{"COMMAND", "LIST"}, bad...)...).Err()
			if err == nil || err.Error() != "ERR syntax error" {
				t.Errorf("RESP%d: COMMAND LIST %v: err = %v", proto, bad, err)
			}
		}

		docs, err := c.Do(ctx, "COMMAND", "DOCS", "get", "nosuch", "config").Result()
		if err != nil {
			t.Fatal(err)
		}
		flat := toStringMap(docs)
		if len(flat) != 2 {
			t.Fatalf("RESP%d: COMMAND DOCS get nosuch config = %v", proto, docs)
		}
		get := toStringMap(flat["get"])
		if get["since"] != "1.0.0" || get["group"] != "string" || get["summary"] == "" {
			t.Errorf("RESP%d: COMMAND DOCS get = %v", proto, get)
		}
		subs := toStringMap(toStringMap(flat["config"])["subcommands"])
		if toStringMap(subs["config|get"])["since"] != "2.0.0" {
			t.Errorf("RESP%d: COMMAND DOCS config subcommands = %v", proto, subs)
		}
		help, err := c.Do(ctx, "COMMAND", "HELP").StringSlice()
		if err != nil || !strings.HasPrefix(help[0], "COMMAND <subcommand>") {
			t.Errorf("COMMAND HELP = %q, %v", help, err)
		}
	}
}

// toStringMap turns a RESP2 flat array or a RESP3 map into a map.
func toStringMap(v any) map[string]any {
	out := map[string]any{}
	switch m := v.(type) {
	case map[any]any:
		for k, val := range m {
			out[k.(string)] = val
		}
	case []any:
		for i := 0; i+1 < len(m); i += 2 {
			out[m[i].(string)] = m[i+1]
		}
	}
	return out
}

func TestTime(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := svClient(t, srv, proto)
		before := time.Now()
		got, err := c.Time(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if d := got.Sub(before); d < -time.Second || d > time.Second {
			t.Errorf("RESP%d: TIME = %v; local clock %v", proto, got, before)
		}
		if err := c.Do(ctx, "TIME", "x").Err(); err == nil || err.Error() != "ERR wrong number of arguments for 'time' command" {
			t.Errorf("TIME x: %v", err)
		}
	}
	e := svEngine(t, engine.Options{})
	c := svSession(t, e, "127.0.0.1:5000")
	if !regexp.MustCompile(`^\*2\r\n\$10\r\n\d{10}\r\n\$\d\r\n\d{1,6}\r\n$`).MatchString(c.do("TIME")) {
		t.Errorf("TIME reply is not two bulk strings")
	}
}

func TestMemoryUsage(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	c := svClient(t, srv, 3)
	c.Set(ctx, "s1", "1", 0)
	c.Set(ctx, "s2", "hello", 0)
	c.Set(ctx, "s3", strings.Repeat("x", 100), 0)
	c.Set(ctx, "s4", strings.Repeat("x", 1000), 0)
	// What redis-server 7.0.15 (jemalloc) reports for these.
	for key, want := range map[string]int64{"s1": 48, "s2": 64, "s3": 160, "s4": 1072} {
		if got := c.MemoryUsage(ctx, key).Val(); got != want {
			t.Errorf("MEMORY USAGE %s = %d; want %d", key, got, want)
		}
	}
	if n := c.Do(ctx, "MEMORY", "USAGE", "s1", "SAMPLES", "0").Val(); n != int64(48) {
		t.Errorf("MEMORY USAGE s1 SAMPLES 0 = %v", n)
	}
	if err := c.Do(ctx, "MEMORY", "USAGE", "nosuch").Err(); err != redis.Nil {
		t.Errorf("MEMORY USAGE of a missing key: err = %v; want nil", err)
	}
	for _, tt := range []struct {
		args []any
		want string
	}{
		{[]any{"MEMORY", "USAGE", "s1", "SAMPLES", "-1"}, "ERR syntax error"},
		{[]any{"MEMORY", "USAGE", "s1", "SAMPLES", "x"}, "ERR value is not an integer or out of range"},
		{[]any{"MEMORY", "USAGE", "s1", "SAMPLES"}, "ERR syntax error"},
		{[]any{"MEMORY", "USAGE", "s1", "foo"}, "ERR syntax error"},
		{[]any{"MEMORY", "USAGE", "nosuch", "foo"}, "ERR syntax error"},
		{[]any{"MEMORY", "USAGE"}, "ERR wrong number of arguments for 'memory|usage' command"},
		{[]any{"MEMORY", "FOO"}, "ERR unknown subcommand 'FOO'. Try MEMORY HELP."},
	} {
		if err := c.Do(ctx, tt.args...).Err(); err == nil || err.Error() != tt.want {
			t.Errorf("%v: err = %v; want %q", tt.args, err, tt.want)
		}
	}
	help, err := c.Do(ctx, "MEMORY", "HELP").StringSlice()
	if err != nil || !strings.HasPrefix(help[0], "MEMORY <subcommand>") {
		t.Errorf("MEMORY HELP = %q, %v", help, err)
	}
}

func TestShutdown(t *testing.T) {
	var called atomic.Int32
	done := make(chan struct{})
	e := svEngine(t, engine.Options{Shutdown: func() {
		called.Add(1)
		close(done)
	}})
	c := svSession(t, e, "127.0.0.1:5000")
	c.expect("-ERR syntax error\r\n", "SHUTDOWN", "foo")
	c.expect("-ERR syntax error\r\n", "SHUTDOWN", "SAVE", "NOSAVE")
	c.expect("-ERR syntax error\r\n", "SHUTDOWN", "ABORT", "NOW")
	c.expect("-ERR No shutdown in progress.\r\n", "SHUTDOWN", "ABORT")
	c.expect("", "SHUTDOWN", "NOSAVE")
	if !c.s.Quit() {
		t.Error("SHUTDOWN did not close the connection")
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN did not call Options.Shutdown")
	}

	e = svEngine(t, engine.Options{})
	c = svSession(t, e, "127.0.0.1:5000")
	c.expect("-ERR Errors trying to SHUTDOWN. Check logs.\r\n", "SHUTDOWN")
}

// redis-cli must work against shardd, in every output mode.
func TestRedisCLI(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed")
	}
	srv := shardtest.Start(t)
	port := srv.Addr[strings.LastIndexByte(srv.Addr, ':')+1:]
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"-p", port}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG\n"},
		{[]string{"SET", "k", "v"}, "OK\n"},
		{[]string{"GET", "k"}, "v\n"},
		{[]string{"--no-raw", "GET", "k"}, "\"v\"\n"},
		{[]string{"--no-raw", "GET", "nosuch"}, "(nil)\n"},
		{[]string{"--no-raw", "CLIENT", "SETNAME", "a b"}, "(error) ERR Client names cannot contain spaces, newlines or special characters.\n"},
		{[]string{"--no-raw", "CONFIG", "GET", "maxclients"}, "1) \"maxclients\"\n2) \"10000\"\n"},
		{[]string{"-3", "--no-raw", "CONFIG", "GET", "maxclients"}, "1# \"maxclients\" => \"10000\"\n"},
		{[]string{"-3", "--no-raw", "HELLO", "3"}, ""},
		{[]string{"-3", "GET", "k"}, "v\n"},
		{[]string{"--no-raw", "COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"}, "1) \"a\"\n2) \"b\"\n"},
	}
	for _, tt := range tests {
		got := run(tt.args...)
		if tt.want != "" && got != tt.want {
			t.Errorf("redis-cli %q = %q; want %q", tt.args, got, tt.want)
		}
	}
	if out := run("INFO", "server"); !strings.Contains(out, "redis_version:7.0.15") {
		t.Errorf("redis-cli INFO server:\n%s", out)
	}
	if out := run("-3", "INFO", "server"); !strings.Contains(out, "redis_version:7.0.15") {
		t.Errorf("redis-cli -3 INFO server:\n%s", out)
	}
	if out := run("--no-raw", "CLIENT", "LIST"); !strings.Contains(out, "cmd=client|list") {
		t.Errorf("redis-cli CLIENT LIST:\n%s", out)
	}
	// Commands from stdin, as in a script.
	cmd := exec.Command(cli, "-p", port)
	cmd.Stdin = strings.NewReader("SET a 1\nINCR a\nGET a\n")
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "OK\n2\n2\n" {
		t.Errorf("redis-cli with commands on stdin = %q, %v", out, err)
	}
}

func TestRedisBenchmark(t *testing.T) {
	bench, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Skip("redis-benchmark is not installed")
	}
	srv := shardtest.Start(t)
	port := srv.Addr[strings.LastIndexByte(srv.Addr, ':')+1:]
	cmd := exec.Command(bench, "-p", port, "-n", "1000", "-q", "-t", "ping,set,get")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	for _, want := range []string{"PING_INLINE", "PING_MBULK", "SET", "GET"} {
		if !strings.Contains(string(out), want+": ") {
			t.Errorf("redis-benchmark output lacks %s:\n%s", want, out)
		}
	}
}

// CLIENT LIST, CLIENT KILL, INFO and CONFIG RESETSTAT run while other
// clients work, connect and disconnect (run with -race).
func TestIntrospectionUnderLoad(t *testing.T) {
	srv := shardtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	done := make(chan struct{})
	var workers atomic.Int32
	for i := 0; i < 4; i++ {
		workers.Add(1)
		go func(i int) {
			defer workers.Add(-1)
			for ctx.Err() == nil {
				c := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 1, MaxRetries: -1, DisableIdentity: true, Protocol: 2 + i%2})
				c.Do(ctx, "CLIENT", "SETNAME", "w"+strconv.Itoa(i))
				for j := 0; j < 20 && ctx.Err() == nil; j++ {
					c.Set(ctx, "k"+strconv.Itoa(j), j, 0)
					c.Do(ctx, "SELECT", strconv.Itoa(j%3))
				}
				c.Close()
			}
		}(i)
	}
	go func() {
		defer close(done)
		c := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 1, MaxRetries: -1, DisableIdentity: true, Protocol: 3})
		defer c.Close()
		for ctx.Err() == nil {
			if err := c.Do(ctx, "CLIENT", "LIST").Err(); err != nil && ctx.Err() == nil {
				t.Errorf("CLIENT LIST: %v", err)
			}
			c.Do(ctx, "CLIENT", "KILL", "TYPE", "normal")
			c.Info(ctx, "everything")
			c.ConfigResetStat(ctx)
		}
	}()
	<-done
	for workers.Load() > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	// Every connection is eventually forgotten.
	c := svClient(t, srv, 3)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, f := infoFields(t, c.Info(context.Background(), "clients").Val())
		if f["connected_clients"] == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connected_clients = %s after every other client left", f["connected_clients"])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
