package difftest

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/shardis/shardis/shardd/internal/redisproc"
	"github.com/shardis/shardis/shardd/internal/shardtest"
	"pgregory.net/rapid"
)

// The server and connection commands: CONFIG GET and SET, COMMAND INFO
// and GETKEYS, and the error replies of CLIENT, SELECT and HELLO. Replies
// that depend on the process (INFO, CLIENT LIST, CLIENT ID, COMMAND
// COUNT: shardd implements fewer commands) are tested in package engine.

// srvConfigNames are directives whose values must agree; port, bind, dir,
// logfile, pidfile, save and appendonly differ by how the test servers
// are started.
var srvConfigNames = []string{
	"maxclients", "timeout", "databases", "hz", "maxmemory", "maxmemory-policy",
	"maxmemory-samples", "appendfsync", "appendfilename", "dbfilename", "requirepass",
	"tcp-keepalive", "tcp-backlog", "proto-max-bulk-len", "client-query-buffer-limit",
	"notify-keyspace-events", "list-max-listpack-size", "list-max-ziplist-size",
	"hash-max-listpack-entries", "hash-max-ziplist-value", "set-max-intset-entries",
	"zset-max-listpack-entries", "zset-max-listpack-value", "slowlog-log-slower-than",
	"slowlog-max-len", "lua-time-limit", "busy-reply-threshold", "client-output-buffer-limit",
	"replica-read-only", "slave-read-only", "repl-backlog-size", "activerehashing",
	"lazyfree-lazy-eviction", "latency-tracking-info-percentiles", "unixsocketperm",
	"protected-mode", "loglevel", "enable-protected-configs", "io-threads", "cluster-enabled",
	"MAXCLIENTS", "Hz", "nosuch",
}

// srvConfigGlobs are patterns whose matches must agree. (cluster-* and *
// also match shardd's own cluster-secret and metrics-addr.)
var srvConfigGlobs = []string{
	"hash-max-*", "zset-*", "maxmemory*", "list-*", "lazyfree-*", "active-defrag-*",
	"*-max-*-entries", "repl-ping-*", "slowlog-*", "cluster-n*", "tls-*", "client-*",
	"latency-*", "HZ", "h?", "[mh]axclients", "nosuch*",
}

func TestServerConfigGet(t *testing.T) {
	redisAddr := redisproc.Start(t)
	srv := shardtest.Start(t, "save \"\"", "appendonly no")
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		p := NewPair(redisAddr, srv.Addr, proto)
		for _, name := range srvConfigNames {
			if d := srvMapDiff(ctx, p, C("CONFIG", "GET", name)); d != "" {
				t.Errorf("RESP%d: %s", proto, d)
			}
		}
		for _, glob := range srvConfigGlobs {
			if d := srvMapDiff(ctx, p, C("CONFIG", "GET", glob)); d != "" {
				t.Errorf("RESP%d: %s", proto, d)
			}
		}
		if d := srvMapDiff(ctx, p, C("CONFIG", "GET", "hz", "maxclients", "zset-*", "hz", "nosuch")); d != "" {
			t.Errorf("RESP%d: %s", proto, d)
		}
		p.Close()
	}
}

// srvMapDiff is Pair.Diff for replies that are maps in RESP3 and flat
// arrays of pairs in RESP2, whose order Redis leaves unspecified.
func srvMapDiff(ctx context.Context, p *Pair, c Cmd) string {
	want, got := p.Do(ctx, c)
	if reflect.DeepEqual(srvPairs(want), srvPairs(got)) {
		return ""
	}
	return fmt.Sprintf("%s\n  redis-server: %s\n  shardd:       %s", c, want, got)
}

func srvPairs(r Result) any {
	arr, ok := r.Val.([]any)
	if !ok || r.Err != "" {
		return r
	}
	m := map[any]any{}
	for i := 0; i+1 < len(arr); i += 2 {
		m[arr[i]] = arr[i+1]
	}
	return Result{Val: m}
}

// srvSettable are directives CONFIG SET may change during the test
// without disturbing the test servers, and srvValues the values tried.
var (
	// (Not maxclients: redis-server resizes its event loop to match,
	// which takes seconds for large values.)
	srvSettable = []string{
		"hz", "maxmemory", "maxmemory-policy", "maxmemory-samples", "hash-max-listpack-entries",
		"hash-max-ziplist-entries", "zset-max-listpack-value", "list-max-listpack-size",
		"slowlog-log-slower-than", "slowlog-max-len", "notify-keyspace-events", "activerehashing",
		"lazyfree-lazy-eviction", "tcp-keepalive", "latency-tracking-info-percentiles",
		"client-output-buffer-limit", "set-max-intset-entries", "appendfsync",
		"busy-reply-threshold", "lua-time-limit", "proto-max-bulk-len",
		// Refused: immutable, protected, unknown.
		"daemonize", "databases", "dbfilename", "unixsocket", "nosuch", "MAXMEMORY", "Hz",
	}
	srvValues = []string{
		"0", "1", "10", "100", "-1", "-5", "abc", "", "1mb", "2gb", "1k", "10%", "yes", "no", "YES",
		"allkeys-lru", "noeviction", "volatile-ttl", "always", "everysec", "KEA", "Ex", "x",
		"50 99", "99.9", "101", "normal 0 0 0", "pubsub 1mb 2mb 60", "normal 1 2", "2147483648",
		"9223372036854775807", "18446744073709551616", "1.5", " 1", "600", "1000",
	}
	srvDefaults = []string{
		"hz", "10", "maxmemory", "0", "maxmemory-policy", "noeviction", "maxmemory-samples", "5",
		"hash-max-listpack-entries", "128", "zset-max-listpack-value", "64",
		"list-max-listpack-size", "-2", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128",
		"notify-keyspace-events", "", "activerehashing", "yes", "lazyfree-lazy-eviction", "no",
		"tcp-keepalive", "300", "latency-tracking-info-percentiles", "50 99 99.9",
		"client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
		"set-max-intset-entries", "512", "appendfsync", "everysec",
		"busy-reply-threshold", "5000", "proto-max-bulk-len", "536870912",
	}
)

// TestServerConfigSet runs random CONFIG SETs, valid and invalid, and
// CONFIG GETs of what they touched: errors and values must agree.
func TestServerConfigSet(t *testing.T) {
	redisAddr := redisproc.Start(t)
	srv := shardtest.Start(t, "save \"\"", "appendonly no")
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx := context.Background()
			p := NewPair(redisAddr, srv.Addr, proto)
			defer p.Close()
			reset := C(append([]string{"CONFIG", "SET"}, srvDefaults...)...)
			rapid.Check(t, func(rt *rapid.T) {
				if d := p.Diff(ctx, reset); d != "" {
					rt.Fatal(d)
				}
				n := rapid.IntRange(1, 20).Draw(rt, "n")
				for i := 0; i < n; i++ {
					args := []string{"CONFIG", "SET"}
					var names []string
					for j := rapid.IntRange(1, 3).Draw(rt, "pairs"); j > 0; j-- {
						name := rapid.SampledFrom(srvSettable).Draw(rt, "name")
						args = append(args, name, rapid.SampledFrom(srvValues).Draw(rt, "value"))
						names = append(names, name)
					}
					if rapid.IntRange(0, 9).Draw(rt, "odd") == 0 {
						args = args[:len(args)-1]
					}
					if d := p.Diff(ctx, C(args...)); d != "" {
						rt.Fatal(d)
					}
					if d := srvMapDiff(ctx, p, C(append([]string{"CONFIG", "GET"}, names...)...)); d != "" {
						rt.Fatal(d)
					}
				}
			})
			p.Diff(ctx, reset)
		})
	}
}

// TestServerCommandInfo compares COMMAND INFO of every command shardd
// implements (flags, key positions, ACL categories, tips, key specs,
// subcommands) with redis-server's.
func TestServerCommandInfo(t *testing.T) {
	redisAddr := redisproc.Start(t)
	srv := shardtest.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		p := NewPair(redisAddr, srv.Addr, proto)
		names, err := p.Shardd.Do(ctx, "COMMAND", "LIST").StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		if len(names) < 20 {
			t.Fatalf("RESP%d: shardd lists only %d commands", proto, len(names))
		}
		for _, name := range names {
			c := C("COMMAND", "INFO", name)
			want, got := p.Do(ctx, c)
			// Redis lists a container's subcommands in hash order, and
			// all of them: keep those shardd implements, sorted.
			have := srvSubNames(got)
			want.Val = srvNormalizeInfo(want.Val, have)
			got.Val = srvNormalizeInfo(got.Val, have)
			if !reflect.DeepEqual(want, got) {
				t.Errorf("RESP%d: %s\n  redis-server: %s\n  shardd:       %s", proto, c, want, got)
			}
		}
		c := C("COMMAND", "INFO", "get", "nosuch", "set", "config|get", "config|nosuch", "GET")
		if d := p.Diff(ctx, c); d != "" {
			t.Errorf("RESP%d: %s", proto, d)
		}
		p.Close()
	}
}

// TestServerCommandDocs compares COMMAND DOCS of every command shardd
// implements with redis-server's, except for the prose shardd does not
// copy (summary, complexity, history, replacement advice).
func TestServerCommandDocs(t *testing.T) {
	redisAddr := redisproc.Start(t)
	srv := shardtest.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		p := NewPair(redisAddr, srv.Addr, proto)
		names, err := p.Shardd.Do(ctx, "COMMAND", "LIST").StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			c := C("COMMAND", "DOCS", name)
			want, got := p.Do(ctx, c)
			if want.Err != "" || got.Err != "" {
				t.Errorf("RESP%d: %s: errors %q and %q", proto, c, want.Err, got.Err)
				continue
			}
			w, g := srvNormalizeDocs(want.Val, nil), srvNormalizeDocs(got.Val, nil)
			// Keep redis-server's subcommands that shardd has.
			w = srvNormalizeDocs(want.Val, srvDocSubs(g))
			if !reflect.DeepEqual(w, g) {
				t.Errorf("RESP%d: %s\n  redis-server: %v\n  shardd:       %v", proto, c, w, g)
			}
		}
		p.Close()
	}
}

// srvNormalizeDocs turns a COMMAND DOCS reply into nested maps without
// the prose fields; with keep, only the subcommands in keep remain.
func srvNormalizeDocs(v any, keep map[string]bool) map[string]any {
	out := map[string]any{}
	for name, doc := range srvAnyMap(v) {
		fields := srvAnyMap(doc)
		for _, prose := range []string{"summary", "complexity", "history", "doc_flags", "deprecated_since", "replaced_by"} {
			delete(fields, prose)
		}
		if subs, ok := fields["subcommands"]; ok {
			norm := srvNormalizeDocs(subs, nil)
			if keep != nil {
				for sub := range norm {
					if !keep[sub] {
						delete(norm, sub)
					}
				}
			}
			fields["subcommands"] = norm
		}
		if args, ok := fields["arguments"]; ok {
			fields["arguments"] = srvNormalizeArgs(args)
		}
		out[name] = fields
	}
	return out
}

func srvNormalizeArgs(v any) any {
	arr, _ := v.([]any)
	out := make([]any, len(arr))
	for i, a := range arr {
		m := srvAnyMap(a)
		if sub, ok := m["arguments"]; ok {
			m["arguments"] = srvNormalizeArgs(sub)
		}
		out[i] = m
	}
	return out
}

// srvAnyMap turns a RESP3 map or a RESP2 flat array into a map.
func srvAnyMap(v any) map[string]any {
	out := map[string]any{}
	switch m := v.(type) {
	case map[any]any:
		for k, val := range m {
			out[fmt.Sprint(k)] = val
		}
	case []any:
		for i := 0; i+1 < len(m); i += 2 {
			out[fmt.Sprint(m[i])] = m[i+1]
		}
	}
	return out
}

// srvDocSubs returns the subcommand names in normalized docs.
func srvDocSubs(docs map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, doc := range docs {
		if subs, ok := doc.(map[string]any)["subcommands"].(map[string]any); ok {
			for name := range subs {
				out[name] = true
			}
		}
	}
	return out
}

// srvSubNames returns the subcommand names in a COMMAND INFO reply.
func srvSubNames(r Result) map[string]bool {
	out := map[string]bool{}
	arr, _ := r.Val.([]any)
	for _, e := range arr {
		entry, _ := e.([]any)
		if len(entry) != 10 {
			continue
		}
		subs, _ := entry[9].([]any)
		for _, s := range subs {
			if se, ok := s.([]any); ok && len(se) > 0 {
				out[fmt.Sprint(se[0])] = true
			}
		}
	}
	return out
}

// srvNormalizeInfo sorts the subcommands of COMMAND INFO entries and
// keeps only those in keep.
func srvNormalizeInfo(v any, keep map[string]bool) any {
	arr, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, len(arr))
	for i, e := range arr {
		entry, ok := e.([]any)
		if !ok || len(entry) != 10 {
			out[i] = e
			continue
		}
		entry = append([]any(nil), entry...)
		if subs, ok := entry[9].([]any); ok {
			var kept []any
			for _, s := range subs {
				if se, ok := s.([]any); ok && len(se) > 0 && keep[fmt.Sprint(se[0])] {
					kept = append(kept, s)
				}
			}
			sort.Slice(kept, func(a, b int) bool {
				return fmt.Sprint(kept[a].([]any)[0]) < fmt.Sprint(kept[b].([]any)[0])
			})
			if kept == nil {
				kept = []any{}
			}
			entry[9] = kept
		}
		out[i] = entry
	}
	return out
}

// srvTokens are the arguments COMMAND GETKEYS is tried with: keys,
// numbers that may be numkeys, and the keywords of key specs.
var srvTokens = []string{
	"k1", "k2", "k3", "0", "1", "2", "3", "-1", "x", "STORE", "storedist", "STOREDIST",
	"LEFT", "BY", "WEIGHTS", "10", "m", "WITHSCORES", "", "GET", "LIMIT",
}

// TestServerCommandGetKeys runs COMMAND GETKEYS on random argument lists
// of every command shardd implements.
func TestServerCommandGetKeys(t *testing.T) {
	redisAddr := redisproc.Start(t)
	srv := shardtest.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			p := NewPair(redisAddr, srv.Addr, proto)
			defer p.Close()
			names, err := p.Shardd.Do(ctx, "COMMAND", "LIST").StringSlice()
			if err != nil {
				t.Fatal(err)
			}
			var cmds [][]string
			for _, n := range names {
				// "config|get" is GETKEYS config get ...
				cmds = append(cmds, strings.Split(n, "|"))
			}
			cmds = append(cmds, []string{"nosuch"}, []string{"config", "nosuch"}, []string{"GET"}, []string{"Memory", "USAGE"})
			rapid.Check(t, func(rt *rapid.T) {
				for i := rapid.IntRange(1, 20).Draw(rt, "n"); i > 0; i-- {
					args := append([]string{"COMMAND", "GETKEYS"}, rapid.SampledFrom(cmds).Draw(rt, "cmd")...)
					for j := rapid.IntRange(0, 7).Draw(rt, "argc"); j > 0; j-- {
						args = append(args, rapid.SampledFrom(srvTokens).Draw(rt, "arg"))
					}
					if d := p.Diff(ctx, C(args...)); d != "" {
						rt.Fatal(d)
					}
				}
			})
		})
	}
}

// TestServerErrors compares the replies (mostly errors) of CLIENT,
// SELECT, HELLO, AUTH, ECHO, PING, TIME, MEMORY and SHUTDOWN with bad
// arguments, and of their forms whose reply is deterministic.
func TestServerErrors(t *testing.T) {
	redisAddr := redisproc.Start(t)
	srv := shardtest.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		p := NewPair(redisAddr, srv.Addr, proto)
		pv := strconv.Itoa(proto)
		cmds := []Cmd{
			C("SET", "s", "hello"),
			C("CLIENT"), C("CLIENT", "FOO"), C("client", "foo", "bar"),
			C("CLIENT", "SETNAME"), C("CLIENT", "SETNAME", "a b"), C("CLIENT", "SETNAME", "a\nb"),
			C("CLIENT", "SETNAME", "ok"), C("CLIENT", "GETNAME"), C("CLIENT", "SETNAME", ""),
			C("CLIENT", "GETNAME"), C("CLIENT", "GETNAME", "x"), C("CLIENT", "ID", "x"),
			C("CLIENT", "INFO", "x"), C("CLIENT", "HELP", "x"),
			C("CLIENT", "LIST", "TYPE", "foo"), C("CLIENT", "LIST", "TYPE", "pubsub"),
			C("CLIENT", "LIST", "TYPE", "master"), C("CLIENT", "LIST", "TYPE", "Replica"),
			C("CLIENT", "LIST", "TYPE", "slave"), C("CLIENT", "LIST", "ID"),
			C("CLIENT", "LIST", "ID", "1", "x"), C("CLIENT", "LIST", "ID", "99999"),
			C("CLIENT", "LIST", "ID", "-5", "0"), C("CLIENT", "LIST", "foo"),
			C("CLIENT", "LIST", "TYPE"), C("CLIENT", "LIST", "TYPE", "normal", "ID", "1"),
			C("CLIENT", "KILL"), C("CLIENT", "KILL", "1.2.3.4:5"), C("CLIENT", "KILL", "ID"),
			C("CLIENT", "KILL", "ID", "x"), C("CLIENT", "KILL", "ID", "0"), C("CLIENT", "KILL", "ID", "-3"),
			C("CLIENT", "KILL", "ID", "999999"), C("CLIENT", "KILL", "ADDR", "1.2.3.4:5"),
			C("CLIENT", "KILL", "LADDR", "1.2.3.4:5"), C("CLIENT", "KILL", "USER", "nobody"),
			C("CLIENT", "KILL", "SKIPME", "maybe"), C("CLIENT", "KILL", "TYPE", "foo"),
			C("CLIENT", "KILL", "TYPE", "pubsub"), C("CLIENT", "KILL", "TYPE", "master", "SKIPME", "no"),
			C("CLIENT", "KILL", "MAXAGE", "10"), C("CLIENT", "KILL", "foo", "bar"),
			C("CLIENT", "KILL", "ID", "1", "ID"), C("CLIENT", "KILL", "ID", "x", "TYPE"),
			C("CLIENT", "KILL", "ADDR", "1.2.3.4:5", "USER", "default", "SKIPME", "yes"),
			C("SELECT"), C("SELECT", "-1"), C("SELECT", "16"), C("SELECT", "x"), C("SELECT", "1.5"),
			C("SELECT", "0", "1"), C("SELECT", "99999999999999999999"), C("SELECT", "1"), C("SELECT", "0"),
			C("HELLO", "4"), C("HELLO", "abc"), C("HELLO", "1"), C("HELLO", "-1"), C("HELLO", ""),
			C("HELLO", pv, "foo"), C("HELLO", pv, "auth"), C("HELLO", pv, "auth", "default"),
			C("HELLO", pv, "setname"), C("HELLO", pv, "setname", "a b"), C("HELLO", pv, "AUTH", "bob", "x"),
			C("HELLO", "auth", "default", "x"), C("HELLO", pv, "SETNAME", "x", "bogus"),
			C("AUTH"), C("AUTH", "a", "b", "c"), C("AUTH", "x"), C("AUTH", "default", "x"), C("AUTH", "bob", "x"),
			C("PING", "a", "b"), C("PING", "hi"), C("ECHO"), C("ECHO", ""), C("ECHO", "a", "b"),
			C("TIME", "x"), C("MEMORY"), C("MEMORY", "FOO"), C("MEMORY", "USAGE"),
			C("MEMORY", "USAGE", "nosuch"), C("MEMORY", "USAGE", "s", "SAMPLES", "-1"),
			C("MEMORY", "USAGE", "s", "SAMPLES", "x"), C("MEMORY", "USAGE", "s", "SAMPLES"),
			C("MEMORY", "USAGE", "s", "foo"), C("MEMORY", "USAGE", "nosuch", "SAMPLES", "0"),
			C("SHUTDOWN", "foo"), C("SHUTDOWN", "SAVE", "NOSAVE"), C("SHUTDOWN", "ABORT", "NOW"),
			C("SHUTDOWN", "ABORT"),
			C("INFO", "nosuch"), C("INFO", "a", "b"),
			C("CONFIG"), C("CONFIG", "GET"), C("CONFIG", "SET", "hz"), C("CONFIG", "RESETSTAT", "x"),
			C("CONFIG", "REWRITE", "x"), C("CONFIG", "FOO"),
			C("COMMAND", "FOO"), C("COMMAND", "COUNT", "x"), C("COMMAND", "GETKEYS"),
			C("COMMAND", "GETKEYS", "get"), C("COMMAND", "LIST", "x"), C("COMMAND", "LIST", "FILTERBY"),
			C("COMMAND", "LIST", "FILTERBY", "foo", "x"), C("COMMAND", "LIST", "FILTERBY", "MODULE", "x"),
			C("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"), C("COMMAND", "LIST", "FILTERBY", "pattern"),
			C("COMMAND", "DOCS", "nosuch"), C("COMMAND", "INFO", "nosuch", "config|nosuch", "|", "config|"),
		}
		for _, c := range cmds {
			if d := p.Diff(ctx, c); d != "" {
				t.Errorf("RESP%d: %s", proto, d)
			}
		}
		// HELLO's reply differs only by the client ID.
		for _, c := range []Cmd{C("HELLO"), C("HELLO", pv), C("HELLO", pv, "SETNAME", "n", "AUTH", "default", "pw")} {
			want, got := p.Do(ctx, c)
			if !reflect.DeepEqual(srvNoID(want), srvNoID(got)) {
				t.Errorf("RESP%d: %s\n  redis-server: %s\n  shardd:       %s", proto, c, want, got)
			}
		}
		p.Close()
	}
}

// srvNoID drops the id field from a HELLO reply.
func srvNoID(r Result) any {
	switch v := r.Val.(type) {
	case map[any]any:
		m := map[any]any{}
		for k, val := range v {
			if k != "id" {
				m[k] = val
			}
		}
		return m
	case []any:
		var out []any
		for i := 0; i+1 < len(v); i += 2 {
			if v[i] != "id" {
				out = append(out, v[i], v[i+1])
			}
		}
		return out
	}
	return r
}
