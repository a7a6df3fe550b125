package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

func TestDefaults(t *testing.T) {
	c := Default()
	cwd, _ := os.Getwd()
	want := map[string]string{
		"port": "6379", "bind": "127.0.0.1 -::1", "save": "3600 1 300 100 60 10000", "databases": "16",
		"maxmemory": "0", "proto-max-bulk-len": "536870912", "client-query-buffer-limit": "1073741824",
		"appendonly": "no", "appendfsync": "everysec", "appendfilename": "appendonly.aof",
		"appenddirname": "appendonlydir", "dbfilename": "dump.rdb", "hz": "10", "loglevel": "notice",
		"client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
		"notify-keyspace-events":     "", "oom-score-adj-values": "0 200 800", "slaveof": "", "lua-time-limit": "5000",
		"dir": cwd, "cluster-secret": "", "metrics-addr": "", "unixsocketperm": "0", "maxmemory-clients": "0",
		"latency-tracking-info-percentiles": "50 99 99.9", "shutdown-on-sigint": "default",
	}
	for name, w := range want {
		if got := c.String(name); got != w {
			t.Errorf("default %s = %q; want %q", name, got, w)
		}
	}
	for _, d := range Directives() {
		if d.Name == "dir" {
			continue
		}
		if got := c.String(d.Name); got != d.Default {
			t.Errorf("%s: value %q, Directive.Default %q", d.Name, got, d.Default)
		}
	}
	if c.Int("maxclients") != 10000 || c.Bytes("proto-max-bulk-len") != 512<<20 || !c.Bool("appendonly") == false ||
		c.Int("hz") != 10 || c.Int("timeout") != 0 {
		t.Error("typed accessors disagree with the defaults")
	}
	if got := c.SaveParams(); !slices.Equal(got, []SaveParam{{3600, 1}, {300, 100}, {60, 10000}}) {
		t.Errorf("SaveParams() = %v", got)
	}
	if got := c.BindAddrs(); !slices.Equal(got, []string{"127.0.0.1", "-::1"}) {
		t.Errorf("BindAddrs() = %q", got)
	}
	if l, ok := c.OutputBufferLimit("replica"); !ok || l != (BufferLimit{256 << 20, 64 << 20, 60}) {
		t.Errorf("OutputBufferLimit(replica) = %v, %v", l, ok)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() on defaults: %v", err)
	}
}

func TestDirectiveTable(t *testing.T) {
	var effective []string
	names := 0
	for _, d := range Directives() {
		names += 1 + len(d.Aliases)
		if d.Effective {
			effective = append(effective, d.Name)
		}
		if d.Name != strings.ToLower(d.Name) {
			t.Errorf("%s: name not lower case", d.Name)
		}
	}
	want := strings.Fields(`aof-load-truncated aof-use-rdb-preamble appenddirname appendfilename appendfsync
		appendonly auto-aof-rewrite-min-size auto-aof-rewrite-percentage bind client-output-buffer-limit
		client-query-buffer-limit cluster-secret databases dbfilename dir hz logfile loglevel maxclients
		metrics-addr notify-keyspace-events pidfile port proto-max-bulk-len requirepass save timeout`)
	if !slices.Equal(effective, want) {
		t.Errorf("effective directives = %q\nwant %q (update doc.go too)", effective, want)
	}
	// 192 names in CONFIG GET * of Redis 7.0.15, 5 hidden, 2 of Shardis.
	if names != 192+5+2 {
		t.Errorf("%d names and aliases; want %d", names, 192+5+2)
	}
	if d, ok := Lookup("SLAVEOF"); !ok || d.Name != "replicaof" || !d.Immutable || d.Kind != KindSpecial {
		t.Errorf("Lookup(SLAVEOF) = %+v, %v", d, ok)
	}
	if d, _ := Lookup("maxmemory"); d.Kind != KindMemory || d.Max != math.MaxUint64 || d.Effective {
		t.Errorf("maxmemory = %+v", d)
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) found something")
	}
}

func names(ps []Pair) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	sort.Strings(out)
	return out
}

func TestGet(t *testing.T) {
	c := Default()
	tests := []struct {
		patterns []string
		want     []string
	}{
		{[]string{"port"}, []string{"port"}},
		{[]string{"PORT"}, []string{"PORT"}}, // exact names are echoed as given
		{[]string{"nope"}, nil},
		{[]string{"maxmemory*"}, []string{"maxmemory", "maxmemory-clients", "maxmemory-eviction-tenacity",
			"maxmemory-policy", "maxmemory-samples"}},
		{[]string{"MAXMEM*"}, []string{"maxmemory", "maxmemory-clients", "maxmemory-eviction-tenacity",
			"maxmemory-policy", "maxmemory-samples"}},
		{[]string{"maxmemory", "MAXMEMORY", "maxmem*"}, []string{"maxmemory", "maxmemory-clients",
			"maxmemory-eviction-tenacity", "maxmemory-policy", "maxmemory-samples"}},
		{[]string{"slave*"}, []string{"slave-announce-ip", "slave-announce-port", "slave-ignore-maxmemory",
			"slave-lazy-flush", "slave-priority", "slave-read-only", "slave-serve-stale-data", "slaveof"}},
		{[]string{"?ort"}, []string{"port"}},
		{[]string{"[bd]*"}, []string{"bgsave_cpulist", "bind", "bind-source-addr", "bio_cpulist",
			"busy-reply-threshold", "daemonize", "databases", "dbfilename", "dir", "disable-thp", "dynamic-hz"}},
		{[]string{"*-delay"}, []string{"repl-diskless-sync-delay"}}, // hidden ones need their exact name
		{[]string{"key-load-delay"}, []string{"key-load-delay"}},    // ...like this
		{[]string{"*secret*", "metrics*"}, []string{"cluster-secret", "metrics-addr"}},
	}
	for _, tt := range tests {
		got := names(c.Get(tt.patterns...))
		if !slices.Equal(got, tt.want) {
			t.Errorf("Get(%q) = %q; want %q", tt.patterns, got, tt.want)
		}
	}
	all := c.Get("*")
	if len(all) != 192+2 {
		t.Errorf("Get(*) gave %d pairs; want %d", len(all), 192+2)
	}
	if got := c.Get("slaveof", "port"); len(got) != 2 || got[0] != (Pair{"slaveof", ""}) || got[1] != (Pair{"port", "6379"}) {
		t.Errorf("Get(slaveof, port) = %v", got)
	}
}

func TestSetValues(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"maxmemory", "1gb", "1073741824"},
		{"maxmemory", "1GB", "1073741824"},
		{"maxmemory", "1g", "1000000000"},
		{"maxmemory", "100k", "100000"},
		{"maxmemory", "100kb", "102400"},
		{"maxmemory", "512mb", "536870912"},
		{"maxmemory", "1m", "1000000"},
		{"maxmemory", "1b", "1"},
		{"maxmemory", "01k", "1000"},
		{"maxmemory", "", "0"},
		{"maxmemory", "kb", "0"},
		{"maxmemory", "99999999999999999999", "18446744073709551615"}, // saturates
		{"maxmemory", "17179869184gb", "0"},                           // wraps, as in Redis
		{"maxmemory-clients", "10%", "10%"},
		{"maxmemory-clients", "0%", "0"},
		{"maxmemory-clients", "1kb", "1024"},
		{"maxmemory-clients", "18446744073709551615", "1%"}, // Redis reads it as -1
		{"proto-max-bulk-len", "1mb", "1048576"},
		{"appendonly", "YES", "yes"},
		{"appendfsync", "Always", "always"},
		{"oom-score-adj", "relative", "yes"},
		{"shutdown-on-sigint", "now nosave", "nosave now"},
		{"shutdown-on-sigint", "force default", "force"},
		{"shutdown-on-sigint", "now force nosave", "nosave now force"},
		{"notify-keyspace-events", "KEA", "AKE"},
		{"notify-keyspace-events", "gx$", "g$x"},
		{"notify-keyspace-events", "An", "A"},
		{"notify-keyspace-events", "gdtn", "gtdn"},
		{"save", "3600 1", "3600 1"},
		{"save", "", ""},
		{"save", "1 +1", "1 1"},
		{"save", "10 1 5 2", "10 1 5 2"},
		{"client-output-buffer-limit", "replica 1mb 2mb 10", "normal 0 0 0 slave 1048576 2097152 10 pubsub 33554432 8388608 60"},
		{"client-output-buffer-limit", "pubsub 1 1 +3", "normal 0 0 0 slave 1048576 2097152 10 pubsub 1 1 3"},
		{"client-output-buffer-limit", "", "normal 0 0 0 slave 1048576 2097152 10 pubsub 1 1 3"},
		{"oom-score-adj-values", "+1 02 -3", "1 2 -3"},
		{"latency-tracking-info-percentiles", "50.0000 1e1 99.99999999 0.1234567 .5", "50 10 100 0.123457 0.5"},
		{"latency-tracking-info-percentiles", "", ""},
		{"bind", "127.0.0.1  ::1", "127.0.0.1  ::1"},
		{"bind", "", ""},
		{"hz", "0", "1"},
		{"hz", "100000", "500"},
		{"lua-time-limit", "100", "100"},
		{"busy-reply-threshold", "200", "200"},
		{"list-max-ziplist-size", "-3", "-3"},
		{"cluster-announce-hostname", "a.b-c", "a.b-c"},
		{"proc-title-template", "plain", "plain"},
		{"requirepass", "", ""},
		{"requirepass", "hunter2", "hunter2"},
	}
	c := Default()
	for _, tt := range tests {
		if err := c.Set(Pair{tt.name, tt.value}); err != nil {
			t.Errorf("Set(%s %q): %v", tt.name, tt.value, err)
			continue
		}
		if got := c.String(tt.name); got != tt.want {
			t.Errorf("after Set(%s %q): %q; want %q", tt.name, tt.value, got, tt.want)
		}
	}
	if c.Int("maxmemory-clients") != -1 {
		t.Errorf("Int(maxmemory-clients) = %d; want -1 (1%%)", c.Int("maxmemory-clients"))
	}
	if err := c.Set(Pair{"maxmemory", "18446744073709551615"}); err != nil || c.Bytes("maxmemory") != math.MaxInt64 {
		t.Errorf("Bytes(maxmemory) = %d, %v; want MaxInt64", c.Bytes("maxmemory"), err)
	}
	if c.Bool("slave-read-only") != true || c.Int("oom-score-adj") != 1 {
		t.Error("Bool/Int on aliases and enums")
	}
}

func TestSetErrors(t *testing.T) {
	prefix := func(arg string) string {
		return "ERR CONFIG SET failed (possibly related to argument '" + arg + "') - "
	}
	tests := []struct {
		pairs []Pair
		want  string
		kind  error
	}{
		{[]Pair{{"foo", "1"}}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'", ErrUnknownOption},
		{[]Pair{{"maxclients", "x"}}, prefix("maxclients") + "argument couldn't be parsed into an integer", ErrInvalidValue},
		{[]Pair{{"maxclients", "0"}}, prefix("maxclients") + "argument must be between 1 and 4294967295 inclusive", ErrInvalidValue},
		{[]Pair{{"maxclients", "-1"}}, prefix("maxclients") + "argument must be between 1 and 4294967295 inclusive", ErrInvalidValue},
		{[]Pair{{"SLAVE-PRIORITY", "x"}}, prefix("slave-priority") + "argument couldn't be parsed into an integer", ErrInvalidValue},
		{[]Pair{{"hz", "+1"}}, prefix("hz") + "argument couldn't be parsed into an integer", ErrInvalidValue},
		{[]Pair{{"hz", "01"}}, prefix("hz") + "argument couldn't be parsed into an integer", ErrInvalidValue},
		{[]Pair{{"hz", "-0"}}, prefix("hz") + "argument couldn't be parsed into an integer", ErrInvalidValue},
		{[]Pair{{"hz", " 1"}}, prefix("hz") + "argument couldn't be parsed into an integer", ErrInvalidValue},
		{[]Pair{{"hz", "2147483648"}}, prefix("hz") + "argument must be between 0 and 2147483647 inclusive", ErrInvalidValue},
		{[]Pair{{"maxmemory", "1 kb"}}, prefix("maxmemory") + "argument must be a memory value", ErrInvalidValue},
		{[]Pair{{"maxmemory", "+1"}}, prefix("maxmemory") + "argument must be a memory value", ErrInvalidValue},
		{[]Pair{{"maxmemory", "1kib"}}, prefix("maxmemory") + "argument must be a memory value", ErrInvalidValue},
		{[]Pair{{"maxmemory", "0x10"}}, prefix("maxmemory") + "argument must be a memory value", ErrInvalidValue},
		{[]Pair{{"maxmemory-clients", "-10%"}}, prefix("maxmemory-clients") + "argument must be a memory or percent value", ErrInvalidValue},
		{[]Pair{{"maxmemory-clients", "101%"}}, prefix("maxmemory-clients") + "percentage argument must be less or equal to 100", ErrInvalidValue},
		{[]Pair{{"proto-max-bulk-len", "18446744073709551615"}}, prefix("proto-max-bulk-len") + "argument must be between 1048576 and 9223372036854775807 inclusive", ErrInvalidValue},
		{[]Pair{{"client-query-buffer-limit", "1k"}}, prefix("client-query-buffer-limit") + "argument must be between 1048576 and 9223372036854775807 inclusive", ErrInvalidValue},
		{[]Pair{{"appendonly", "maybe"}}, prefix("appendonly") + "argument must be 'yes' or 'no'", ErrInvalidValue},
		{[]Pair{{"maxmemory-policy", "lru"}}, prefix("maxmemory-policy") + "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction", ErrInvalidValue},
		{[]Pair{{"shutdown-on-sigint", ""}}, prefix("shutdown-on-sigint") + "argument(s) must be one of the following: default, save, nosave, now, force", ErrInvalidValue},
		{[]Pair{{"shutdown-on-sigint", "nosave  now"}}, prefix("shutdown-on-sigint") + "argument(s) must be one of the following: default, save, nosave, now, force", ErrInvalidValue},
		{[]Pair{{"save", "1  1"}}, prefix("save") + "Invalid save parameters", ErrInvalidValue},
		{[]Pair{{"save", " "}}, prefix("save") + "Invalid save parameters", ErrInvalidValue},
		{[]Pair{{"latency-tracking-info-percentiles", "nan"}}, prefix("latency-tracking-info-percentiles") + "Invalid latency-tracking-info-percentiles parameters", ErrInvalidValue},
		{[]Pair{{"latency-tracking-info-percentiles", "inf"}}, prefix("latency-tracking-info-percentiles") + "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]", ErrInvalidValue},
		{[]Pair{{"cluster-announce-hostname", "a_b"}}, prefix("cluster-announce-hostname") + "Hostnames may only contain alphanumeric characters, hyphens or dots", ErrInvalidValue},
		{[]Pair{{"proc-title-template", "{title}"}}, prefix("proc-title-template") + "template format is invalid or contains unknown variables", ErrInvalidValue},
		{[]Pair{{"daemonize", "no"}}, prefix("daemonize") + "can't set immutable config", ErrImmutable},
		{[]Pair{{"SLAVEOF", "no one"}}, prefix("SLAVEOF") + "can't set immutable config", ErrImmutable},
		{[]Pair{{"cluster-secret", "x"}}, prefix("cluster-secret") + "can't set immutable config", ErrImmutable},
		{[]Pair{{"dir", "/"}}, prefix("dir") + "can't set protected config", ErrProtected},
		{[]Pair{{"dbfilename", "x.rdb"}}, prefix("dbfilename") + "can't set protected config", ErrProtected},
		{[]Pair{{"maxmemory", "1"}, {"maxmemory", "2"}}, prefix("maxmemory") + "duplicate parameter", ErrDuplicate},
		{[]Pair{{"maxmemory", "1"}, {"MAXmemory", "2"}}, prefix("MAXmemory") + "duplicate parameter", ErrDuplicate},
		// The first problem wins; names are all checked before values.
		{[]Pair{{"maxmemory", "1"}, {"foo", "2"}, {"bar", "3"}}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'", ErrUnknownOption},
		{[]Pair{{"maxmemory", "x"}, {"daemonize", "no"}}, prefix("daemonize") + "can't set immutable config", ErrImmutable},
		{[]Pair{{"daemonize", "no"}, {"foo", "2"}}, prefix("daemonize") + "can't set immutable config", ErrImmutable},
		{[]Pair{{"hz", "x"}, {"maxclients", "x"}}, prefix("hz") + "argument couldn't be parsed into an integer", ErrInvalidValue},
	}
	for _, tt := range tests {
		c := Default()
		before := c.Get("*")
		err := c.Set(tt.pairs...)
		var se *SetError
		if !errors.As(err, &se) || err.Error() != tt.want || !errors.Is(err, tt.kind) {
			t.Errorf("Set(%v) = %v; want %q (%v)", tt.pairs, err, tt.want, tt.kind)
		}
		if after := c.Get("*"); !slices.Equal(before, after) {
			t.Errorf("Set(%v) failed but changed the configuration", tt.pairs)
		}
	}
}

func TestSetAtomic(t *testing.T) {
	c := Default()
	if err := c.Set(Pair{"hz", "7"}, Pair{"maxclients", "x"}); err == nil {
		t.Fatal("Set with a bad pair succeeded")
	}
	if c.String("hz") != "10" {
		t.Errorf("hz = %s after a failed Set; want 10", c.String("hz"))
	}
	if err := c.Set(Pair{"hz", "7"}, Pair{"maxclients", "5"}, Pair{"maxmemory", "1mb"}); err != nil {
		t.Fatal(err)
	}
	if c.Int("hz") != 7 || c.Int("maxclients") != 5 || c.Bytes("maxmemory") != 1<<20 {
		t.Errorf("after Set: hz %d maxclients %d maxmemory %d", c.Int("hz"), c.Int("maxclients"), c.Bytes("maxmemory"))
	}
	// An alias and its directive are not duplicates; the last one wins.
	if err := c.Set(Pair{"slave-read-only", "yes"}, Pair{"replica-read-only", "no"}); err != nil || c.Bool("replica-read-only") {
		t.Errorf("alias pair: %v, replica-read-only %v", err, c.Bool("replica-read-only"))
	}
}

func TestProtected(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		mode        string
		remote, loc bool
	}{{"no", false, false}, {"local", false, true}, {"yes", true, true}} {
		c := loadString(t, "enable-protected-configs "+tt.mode)
		if err := c.Set(Pair{"dir", dir}); (err == nil) != tt.remote {
			t.Errorf("%s: Set(dir) = %v", tt.mode, err)
		}
		if err := c.SetLocal(Pair{"dbfilename", "x.rdb"}); (err == nil) != tt.loc {
			t.Errorf("%s: SetLocal(dbfilename) = %v", tt.mode, err)
		}
	}
	c := loadString(t, "enable-protected-configs yes\ndir "+dir)
	if err := c.Set(Pair{"dir", "/nonexistent"}); err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory" {
		t.Errorf("Set(dir /nonexistent) = %v", err)
	}
	if err := c.Set(Pair{"dbfilename", "a/b"}); err == nil || !strings.HasSuffix(err.Error(), "dbfilename can't be a path, just a filename") {
		t.Errorf("Set(dbfilename a/b) = %v", err)
	}
	os.Mkdir(dir+"/sub", 0o755)
	if err := c.Set(Pair{"dir", "sub"}); err != nil || c.String("dir") != dir+"/sub" {
		t.Errorf("relative dir: %v, %s", err, c.String("dir"))
	}
}

func TestOnChange(t *testing.T) {
	c := Default()
	var got []string
	c.OnChange("maxclients", func(v string) error {
		got = append(got, "maxclients="+v)
		if v == "13" {
			return errors.New("The operating system is not able to handle the specified number of clients, try with 12")
		}
		return nil
	})
	c.OnChange("lua-time-limit", func(v string) error { // registered through an alias
		got = append(got, "busy="+v)
		return nil
	})
	c.OnChange("timeout", func(v string) error {
		got = append(got, fmt.Sprintf("timeout=%s hz=%d", v, c.Int("hz"))) // hooks may read the config
		return nil
	})

	if err := c.Set(Pair{"busy-reply-threshold", "100"}, Pair{"maxclients", "20"}, Pair{"hz", "5"}, Pair{"timeout", "3"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"busy=100", "maxclients=20", "timeout=3 hz=5"}; !slices.Equal(got, want) {
		t.Errorf("hooks ran %q; want %q", got, want)
	}

	got = nil
	if err := c.Set(Pair{"maxclients", "20"}); err != nil || len(got) != 0 {
		t.Errorf("unchanged value: %v, hooks %q", err, got)
	}

	got = nil
	err := c.Set(Pair{"timeout", "9"}, Pair{"maxclients", "13"}, Pair{"lua-time-limit", "7"})
	want := "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with 12"
	if err == nil || err.Error() != want || !errors.Is(err, ErrApply) {
		t.Fatalf("Set with failing hook = %v; want %q", err, want)
	}
	// New values applied in order, the failure, then the rollback of the
	// applied ones (timeout and maxclients) with their old values.
	if wantHooks := []string{"timeout=9 hz=5", "maxclients=13", "timeout=3 hz=5", "maxclients=20"}; !slices.Equal(got, wantHooks) {
		t.Errorf("hooks ran %q; want %q", got, wantHooks)
	}
	if c.Int("timeout") != 3 || c.Int("maxclients") != 20 || c.Int("lua-time-limit") != 100 {
		t.Error("values not restored after a failing hook")
	}

	defer func() {
		if recover() == nil {
			t.Error("OnChange on an unknown directive did not panic")
		}
	}()
	c.OnChange("nope", func(string) error { return nil })
}

func TestAccessorPanics(t *testing.T) {
	c := Default()
	for _, f := range []func(){
		func() { c.Int("nope") },
		func() { c.Int("save") },
		func() { c.Bool("port") },
		func() { c.String("nope") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}

func TestValidate(t *testing.T) {
	c := loadString(t, "cluster-enabled yes\nreplicaof 127.0.0.1 6380")
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "replicaof directive not allowed in cluster mode") {
		t.Errorf("Validate() = %v", err)
	}
	if err := loadString(t, "port 0\ndatabases 1\nmetrics-addr :9121").Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
}

func TestConcurrent(t *testing.T) {
	c := Default()
	c.OnChange("hz", func(string) error { _ = c.Int("maxclients"); return nil })
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 200 {
				_ = c.Set(Pair{"hz", fmt.Sprint(1 + (i+j)%100)}, Pair{"maxclients", fmt.Sprint(1 + j)})
			}
		}()
		go func() {
			defer wg.Done()
			for range 200 {
				_ = c.Get("*")
				_ = c.Int("hz")
			}
		}()
	}
	wg.Wait()
}
