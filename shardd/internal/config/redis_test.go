package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRedisCompat starts the redis-server on PATH with a config file and
// checks that this package, loading the same file, reports the same names
// and values for CONFIG GET *, and that CONFIG SET accepts, normalizes and
// refuses values with the same replies.
func TestRedisCompat(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not on PATH but CI is set: install Redis 7.0 (redis-server) in CI")
		}
		t.Skip("redis-server not on PATH")
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("redis-server --version: %v", err)
	}
	if m := regexp.MustCompile(`v=(\d+\.\d+)\.`).FindSubmatch(out); m == nil || string(m[1]) != "7.0" {
		t.Skipf("redis-server is not 7.0 (%s); the directive table is Redis 7.0's", bytes.TrimSpace(out))
	}

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sub", "extra.conf"), "hz 20\nmaxmemory 100mb\n")
	conf := writeFile(t, filepath.Join(dir, "redis.conf"), strings.Join([]string{
		"# a config exercising the parser",
		"dir " + dir,
		"include sub/extra.conf",
		"  SAVE 900 1",
		"save 300 10",
		`requirepass "pa ss\x21"`,
		"slave-serve-stale-data no",
		"client-output-buffer-limit replica 512mb 128mb 30",
		"notify-keyspace-events KEg$",
		"maxmemory-clients 5%",
		"unixsocketperm 700",
		"list-max-ziplist-entries 128",
		"latency-tracking-info-percentiles 50.5 99",
		"shutdown-on-sigterm nosave now",
		"appendfsync always",
		"tcp-keepalive 0",
	}, "\n"))

	var r *redisConn
	var port int
	for attempt := 0; r == nil; attempt++ {
		port = freePort(t)
		r, err = startRedis(t, bin, conf, port)
		if err != nil && attempt == 2 {
			t.Fatal(err)
		}
	}
	if _, err := r.do("AUTH", "pa ss!"); err != nil {
		t.Fatal(err)
	}

	ours, err := Load(conf, []Override{{"port", []string{strconv.Itoa(port)}}, {"bind", []string{"127.0.0.1"}}})
	if err != nil {
		t.Fatal(err)
	}

	theirs := r.configGet(t, "*")
	mine := map[string]string{}
	for _, p := range ours.Get("*") {
		if d, _ := Lookup(p.Name); !d.Shardis {
			mine[p.Name] = p.Value
		}
	}
	if missing, extra := diffKeys(theirs, mine); len(missing)+len(extra) > 0 {
		t.Errorf("CONFIG GET * names differ from redis-server:\nmissing here: %q\nnot in Redis: %q", missing, extra)
	}
	for name, want := range theirs {
		if got, ok := mine[name]; ok && got != want {
			t.Errorf("%s = %q; redis-server says %q", name, got, want)
		}
	}
	for _, d := range Directives() {
		if !d.Hidden {
			continue
		}
		if got := r.configGet(t, d.Name); got[d.Name] != ours.String(d.Name) {
			t.Errorf("hidden %s = %q; redis-server says %q", d.Name, ours.String(d.Name), got[d.Name])
		}
	}

	for _, pattern := range []string{"*max*", "slave-*", "[a-c]*", "?ort", "MAXMEMORY", "*-delay", "*[^a-z-]*"} {
		var got []string
		for _, p := range ours.Get(pattern) {
			if d, _ := Lookup(p.Name); !d.Shardis {
				got = append(got, p.Name)
			}
		}
		want := slices.Sorted(mapKeys(r.configGet(t, pattern)))
		if sort.Strings(got); !slices.Equal(got, want) {
			t.Errorf("CONFIG GET %s = %q; redis-server says %q", pattern, got, want)
		}
	}

	// Setting every directive to its current value tells which ones are
	// immutable or protected (port is left alone: Redis would rebind it).
	var sets [][]string
	for _, name := range slices.Sorted(mapKeys(theirs)) {
		if name != "port" {
			sets = append(sets, []string{name, theirs[name]})
		}
	}
	// Then the same CONFIG SET sequence on both; replies and values must agree.
	sets = append(sets, [][]string{
		{"maxmemory", "1gb"}, {"maxmemory", "100k"}, {"maxmemory", "-1"}, {"maxmemory", "1kib"}, {"maxmemory", "17179869184gb"},
		{"maxmemory-clients", "10%"}, {"maxmemory-clients", "101%"}, {"maxmemory-clients", "-1"},
		{"hz", "0"}, {"hz", "1000"}, {"hz", "x"}, {"hz", "+5"},
		{"maxclients", "0"}, {"maxclients", "x"}, {"maxclients", "4294967296"},
		{"SLAVE-PRIORITY", "x"}, {"slave-priority", "7"},
		{"save", "3600 1 300 100"}, {"save", ""}, {"save", "1  1"}, {"save", "0 1"}, {"save", "+5 01 1 2147483648"},
		{"client-output-buffer-limit", "replica 1mb 2mb 10"}, {"client-output-buffer-limit", "master 0 0 0"},
		{"client-output-buffer-limit", "normal 1 1"}, {"client-output-buffer-limit", "pubsub 1k 1kb 01"},
		{"notify-keyspace-events", "KEA"}, {"notify-keyspace-events", "gx$"}, {"notify-keyspace-events", "An"},
		{"notify-keyspace-events", "Q"}, {"notify-keyspace-events", ""},
		{"appendfsync", "EVERYSEC"}, {"appendfsync", "sometimes"}, {"maxmemory-policy", "lru"},
		{"shutdown-on-sigint", "now nosave"}, {"shutdown-on-sigint", "save nosave"}, {"shutdown-on-sigint", ""},
		{"oom-score-adj-values", "0 200"}, {"oom-score-adj-values", "-2001 0 0"}, {"oom-score-adj-values", "0 200 800"},
		{"latency-tracking-info-percentiles", "50.0000 99.99999999 0.1234567"}, {"latency-tracking-info-percentiles", "abc"},
		{"latency-tracking-info-percentiles", "inf"}, {"latency-tracking-info-percentiles", ""},
		{"daemonize", "no"}, {"foo", "bar"}, {"unixsocketperm", "1"}, {"replicaof", "no one"}, {"slaveof", "no one"},
		{"dir", "/tmp"}, {"dbfilename", "x.rdb"}, {"databases", "4"},
		{"maxmemory", "1", "maxmemory", "2"}, {"maxmemory", "1", "MAXmemory", "2"},
		{"maxmemory", "1", "foo", "2", "bar", "3"}, {"maxmemory", "x", "daemonize", "no"}, {"daemonize", "no", "foo", "2"},
		{"hz", "7", "maxclients", "x"}, {"slave-read-only", "yes", "replica-read-only", "no"},
		{"proc-title-template", "{bogus}"}, {"proc-title-template", "{title}"}, {"proc-title-template", "x {port}"},
		{"cluster-announce-hostname", "a_b"}, {"cluster-announce-hostname", "a.b-c"},
		{"list-max-ziplist-size", "-3"}, {"lua-time-limit", "100"}, {"busy-reply-threshold", "x"},
		{"active-defrag-ignore-bytes", "18446744073709551615"}, {"repl-backlog-size", "2mb"},
		{"proto-max-bulk-len", "1k"}, {"client-query-buffer-limit", "2gb"},
		{"slowlog-log-slower-than", "-2"}, {"list-max-listpack-size", "-2147483649"},
		{"appendonly", "maybe"}, {"protected-mode", "NO"}, {"tls-port", "70000"},
		{"requirepass", "pa ss!"},
	}...)
	for _, args := range sets {
		reply, err := r.do(append([]string{"CONFIG", "SET"}, args...)...)
		want := "OK"
		if err != nil {
			var re respError
			if !errors.As(err, &re) {
				t.Fatalf("CONFIG SET %q: %v", args, err)
			}
			want = string(re)
		} else if reply != "OK" {
			t.Fatalf("CONFIG SET %q: reply %v", args, reply)
		}
		var pairs []Pair
		for i := 0; i+1 < len(args); i += 2 {
			pairs = append(pairs, Pair{args[i], args[i+1]})
		}
		got := "OK"
		if err := ours.Set(pairs...); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("CONFIG SET %q: %q; redis-server says %q", args, got, want)
		}
		for _, p := range pairs {
			if _, ok := Lookup(p.Name); !ok {
				continue
			}
			theirs := r.configGet(t, p.Name)[p.Name]
			if mine := ours.String(p.Name); mine != theirs {
				t.Errorf("after CONFIG SET %q: %s = %q; redis-server says %q", args, p.Name, mine, theirs)
			}
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRedis runs redis-server with conf on 127.0.0.1:port, connects and
// stops it when the test ends. An error means it did not come up (the
// port may have been taken in the meantime).
func startRedis(t *testing.T, bin, conf string, port int) (*redisConn, error) {
	t.Helper()
	var logs bytes.Buffer
	cmd := exec.Command(bin, conf, "--port", strconv.Itoa(port), "--bind", "127.0.0.1")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			t.Cleanup(func() { c.Close(); stop() })
			c.SetDeadline(time.Now().Add(30 * time.Second))
			return &redisConn{c: c, r: bufio.NewReader(c)}, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("redis-server exited: %s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("redis-server did not accept connections on %s: %s", addr, logs.String())
		}
	}
}

// redisConn is a minimal RESP2 client.
type redisConn struct {
	c net.Conn
	r *bufio.Reader
}

type respError string

func (e respError) Error() string { return string(e) }

func (rc *redisConn) do(args ...string) (any, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := rc.c.Write(b.Bytes()); err != nil {
		return nil, err
	}
	return rc.read()
}

func (rc *redisConn) read() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, respError(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rc.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = rc.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

func (rc *redisConn) configGet(t *testing.T, pattern string) map[string]string {
	t.Helper()
	reply, err := rc.do("CONFIG", "GET", pattern)
	if err != nil {
		t.Fatalf("CONFIG GET %s: %v", pattern, err)
	}
	arr, _ := reply.([]any)
	out := map[string]string{}
	for i := 0; i+1 < len(arr); i += 2 {
		out[arr[i].(string)] = arr[i+1].(string)
	}
	return out
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// diffKeys returns the keys only in want and the keys only in got.
func diffKeys(want, got map[string]string) (missing, extra []string) {
	for k := range want {
		if _, ok := got[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}
