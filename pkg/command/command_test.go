package command

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// split turns "a b c" into the argument list of a command.
func split(s string) [][]byte {
	var args [][]byte
	for _, f := range strings.Fields(s) {
		args = append(args, []byte(f))
	}
	return args
}

// ---- Comparison with a live redis-server ----

// TestAgainstRedis compares the table with COMMAND INFO, COMMAND DOCS and
// COMMAND GETKEYS of a real redis-server 7.0.
func TestAgainstRedis(t *testing.T) {
	c := startRedis(t)

	t.Run("info", func(t *testing.T) {
		for _, s := range All() {
			if s.Flags&Internal != 0 {
				continue // Shardis's own commands are unknown to Redis
			}
			reply := c.do(t, "COMMAND", "INFO", s.Name)
			arr, ok := reply.([]any)
			if !ok || len(arr) != 1 || arr[0] == nil {
				t.Errorf("COMMAND INFO %s: got %v; want one entry", s.Name, reply)
				continue
			}
			compareInfo(t, s, arr[0])
		}
	})

	t.Run("docs", func(t *testing.T) {
		for _, s := range All() {
			if s.Flags&Internal != 0 {
				continue
			}
			reply := c.do(t, "COMMAND", "DOCS", s.Name)
			docs := pairs(reply)
			compareGroup(t, s, docs[s.Name])
		}
	})

	t.Run("getkeys", func(t *testing.T) {
		for _, args := range getKeysSamples() {
			compareGetKeys(t, c, args)
		}
	})
}

// compareInfo compares one spec (and its subcommands) with one COMMAND
// INFO entry: name, arity, flags, first key, last key, step, ACL
// categories, [tips, key specs, subcommands].
func compareInfo(t *testing.T, s *Spec, reply any) {
	t.Helper()
	e, ok := reply.([]any)
	if !ok || len(e) < 7 {
		t.Errorf("%s: malformed COMMAND INFO entry %v", s.Name, reply)
		return
	}
	if got, want := s.Name, str(e[0]); got != want {
		t.Errorf("%s: name: got %q; want %q", s.Name, got, want)
	}
	ints := [4]int64{}
	for i := range ints {
		ints[i], _ = e[[...]int{1, 3, 4, 5}[i]].(int64)
	}
	if got, want := s.Arity, int(ints[0]); got != want {
		t.Errorf("%s: arity: got %d; want %d", s.Name, got, want)
	}
	if got, want := s.FlagNames(), strs(e[2]); !slices.Equal(got, want) {
		t.Errorf("%s: flags: got %q; want %q", s.Name, got, want)
	}
	if got, want := [3]int{s.FirstKey, s.LastKey, s.Step}, [3]int{int(ints[1]), int(ints[2]), int(ints[3])}; got != want {
		t.Errorf("%s: first/last/step: got %v; want %v", s.Name, got, want)
	}
	var acl []string
	for _, a := range s.ACL {
		acl = append(acl, "@"+a)
	}
	if got, want := acl, strs(e[6]); !slices.Equal(got, want) {
		t.Errorf("%s: ACL categories: got %q; want %q", s.Name, got, want)
	}
	server := map[string]any{}
	if len(e) > 9 {
		subs, _ := e[9].([]any)
		for _, sub := range subs {
			if se, ok := sub.([]any); ok && len(se) > 0 {
				server[str(se[0])] = sub
			}
		}
	}
	for _, sub := range s.Subcommands {
		r, ok := server[sub.Name]
		if !ok {
			t.Errorf("%s: Redis has no such subcommand", sub.Name)
			continue
		}
		compareInfo(t, sub, r)
	}
}

// compareGroup compares the groups of a spec and its subcommands with a
// COMMAND DOCS entry.
func compareGroup(t *testing.T, s *Spec, docs any) {
	t.Helper()
	d := pairs(docs)
	if d == nil {
		t.Errorf("%s: COMMAND DOCS has no entry", s.Name)
		return
	}
	if got, want := s.Group, str(d["group"]); got != want {
		t.Errorf("%s: group: got %q; want %q", s.Name, got, want)
	}
	subs := pairs(d["subcommands"])
	for _, sub := range s.Subcommands {
		compareGroup(t, sub, subs[sub.Name])
	}
}

// compareGetKeys compares Keys with COMMAND GETKEYS for one argument list.
// The order is not compared: Redis lists keys in key-spec order, Keys in
// argument order.
func compareGetKeys(t *testing.T, c *redisConn, args [][]byte) {
	t.Helper()
	cmd := []string{"COMMAND", "GETKEYS"}
	for _, a := range args {
		cmd = append(cmd, string(a))
	}
	var want []string
	switch r := c.do(t, cmd...).(type) {
	case []any:
		want = strs(r)
	case respError:
		// Redis refuses GETKEYS for a command without keys; any other
		// error means the sample itself is wrong.
		if !strings.Contains(string(r), "no key arguments") {
			t.Errorf("COMMAND GETKEYS %q: %v", args, r)
			return
		}
	default:
		t.Errorf("COMMAND GETKEYS %q: unexpected reply %v", args, r)
		return
	}
	spec := Lookup(args[0])
	if spec == nil {
		t.Errorf("%q: unknown command", args[0])
		return
	}
	var got []string
	for _, k := range spec.Keys(args) {
		got = append(got, string(k))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("keys of %q: got %q; want %q", args, got, want)
	}
}

// getKeysSamples returns argument lists for COMMAND GETKEYS: generated ones
// for every command with a fixed key spec (at its minimum argument count and
// a few above it), and hand-written ones for the movable-key commands,
// options, subcommands and commands without keys.
func getKeysSamples() [][][]byte {
	var out [][][]byte
	gen := func(s *Spec, prefix []string) {
		n := s.Arity
		extra := 0
		if n < 0 {
			n, extra = -n, 3
		}
		// COMMAND GETKEYS needs at least one argument after the name.
		for argc := max(n, 2); argc <= n+extra; argc++ {
			args := slices.Clone(prefix)
			for i := len(args); i < argc; i++ {
				args = append(args, "a"+strconv.Itoa(i))
			}
			out = append(out, split(strings.Join(args, " ")))
		}
	}
	for _, s := range All() {
		if s.Flags&Internal != 0 || s.KeysFunc != nil {
			continue
		}
		if len(s.Subcommands) == 0 && s.FirstKey > 0 {
			gen(s, []string{s.Name})
		}
		for _, sub := range s.Subcommands {
			if sub.FirstKey > 0 && sub.KeysFunc == nil {
				gen(sub, []string{s.Name, sub.ShortName()})
			}
		}
	}
	for _, s := range []string{
		"zunionstore dst 2 a b weights 1 2",
		"ZINTERSTORE dst 3 a b c aggregate max",
		"zdiffstore dst 1 a",
		"zunion 2 a b withscores",
		"zinter 1 a",
		"zdiff 3 a b c",
		"zintercard 2 a b limit 5",
		"sintercard 3 a b c",
		"sintercard 1 a limit 2",
		"lmpop 2 a b left count 3",
		"blmpop 0 2 a b right",
		"zmpop 1 a min",
		"bzmpop 1.5 3 a b c max count 2",
		"georadius g 0 0 10 km",
		"georadius g 0 0 10 km store dst",
		"georadius g 0 0 10 km storedist dd",
		"georadius g 0 0 10 km STORE d1 STOREDIST d2",
		"georadius g 0 0 10 km storedist d2 store d1",
		"georadius g 0 0 10 km withdist count 3 asc store d1",
		"georadius g 0 0 10 km store",
		"georadiusbymember g m 10 km store dst",
		"georadiusbymember g m 10 km storedist dst",
		"georadiusbymember g store 10 km",
		"georadiusbymember g m 10 km",
		"georadius_ro g 0 0 10 km",
		"georadiusbymember_ro g m 10 km withcoord",
		"geosearchstore dst src frommember m byradius 1 km",
		"object encoding k",
		"OBJECT FREQ k",
		"object help",
		"memory usage k samples 5",
		"memory help",
		"mset a 1 b 2 c 3",
		"msetnx a 1 b 2",
		"mset a 1 b",
		"blpop a b c 0",
		"bzpopmin a b 1",
		"bitop and dst a b c",
		"lmove a b left right",
		"copy a b db 1",
		"watch a b",
		"ssubscribe c1 c2",
		"spublish c1 msg",
		"sunsubscribe c1",
		"subscribe c1",
		"publish c1 msg",
		"pubsub numsub c1",
		"config get maxmemory",
		"client setname x",
		"command info get",
		"ping hello",
		"keys *",
		"scan 0 match a*",
		"flushall async",
	} {
		out = append(out, split(s))
	}
	return out
}

// ---- A minimal RESP client for the test (the module has no dependencies) ----

type respError string

func (e respError) Error() string { return string(e) }

type redisConn struct {
	conn net.Conn
	r    *bufio.Reader
}

// startRedis starts a redis-server on a free loopback port and connects to
// it. Without redis-server on PATH it skips the test, or fails it when CI is
// set, so that CI cannot pass without the comparison.
func startRedis(t *testing.T) *redisConn {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI is set, so the comparison with Redis 7.0 is required", msg)
		}
		t.Skip(msg)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		unavailable("redis-server is not on PATH (install Redis 7.0 to compare the table with it): %v", err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		c, err := launch(t, bin)
		if err == nil {
			version := c.version(t)
			if !strings.HasPrefix(version, "7.0.") {
				unavailable("redis-server %s at %s is not 7.0.x, whose facts the table holds", version, bin)
			}
			return c
		}
		lastErr = err // most likely another process took the port; retry
	}
	t.Fatalf("cannot start redis-server: %v", lastErr)
	return nil
}

// launch starts one redis-server and waits until it accepts a connection.
func launch(t *testing.T, bin string) (*redisConn, error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	dir := t.TempDir()
	var logs bytes.Buffer
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--daemonize", "no", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c := &redisConn{conn: conn, r: bufio.NewReader(conn)}
			t.Cleanup(func() {
				conn.Close()
				stop()
			})
			return c, nil
		}
		select {
		case werr := <-exited:
			exited <- werr // let stop() find it
			stop()
			return nil, fmt.Errorf("redis-server exited (%v): %s", werr, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("redis-server did not accept connections on %s: %v", addr, err)
		}
	}
}

func (c *redisConn) version(t *testing.T) string {
	info := str(c.do(t, "INFO", "server"))
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v
		}
	}
	return "unknown"
}

// do sends one command and returns its reply: string, int64, []any, nil or
// respError. An I/O or protocol error fails the test.
func (c *redisConn) do(t *testing.T, args ...string) any {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if err := c.conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		t.Fatalf("send %q: %v", args, err)
	}
	reply, err := readReply(c.r)
	if err != nil {
		t.Fatalf("reply to %q: %v", args, err)
	}
	return reply
}

// readReply reads one RESP2 reply.
func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty RESP line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return respError(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		arr := make([]any, n)
		for i := range arr {
			if arr[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return arr, nil
	}
	return nil, fmt.Errorf("unexpected RESP line %q", line)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// strs converts an array reply of strings; the result is never nil.
func strs(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		out = append(out, str(e))
	}
	return out
}

// pairs converts a RESP2 flattened map (key, value, key, value, ...).
func pairs(v any) map[string]any {
	arr, ok := v.([]any)
	if !ok {
		return nil
	}
	m := make(map[string]any, len(arr)/2)
	for i := 0; i+1 < len(arr); i += 2 {
		m[str(arr[i])] = arr[i+1]
	}
	return m
}

// ---- Table invariants ----

func TestTable(t *testing.T) {
	all := All()
	if !slices.IsSortedFunc(all, func(a, b *Spec) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("All is not sorted by name")
	}
	all[0] = nil // All returns a copy
	if All()[0] == nil {
		t.Errorf("All returned the shared slice")
	}

	required := strings.Fields(`
		ping echo quit auth hello select swapdb dbsize flushdb flushall info config client command
		time lastsave save bgsave bgrewriteaof shutdown memory
		del unlink exists type keys scan randomkey rename renamenx move copy touch expire pexpire
		expireat pexpireat ttl pttl expiretime pexpiretime persist object dump restore
		set get getset getdel getex setnx setex psetex mget mset msetnx append strlen incr decr
		incrby decrby incrbyfloat getrange setrange substr setbit getbit bitcount bitpos bitop
		bitfield bitfield_ro lcs
		lpush rpush lpushx rpushx lpop rpop llen lrange lindex lset linsert lrem ltrim lpos lmove
		rpoplpush lmpop blpop brpop blmove brpoplpush blmpop
		hset hsetnx hget hmget hmset hdel hlen hstrlen hexists hkeys hvals hgetall hincrby
		hincrbyfloat hrandfield hscan
		sadd srem sismember smismember smembers scard spop srandmember smove sinter sintercard
		sinterstore sunion sunionstore sdiff sdiffstore sscan
		zadd zrem zcard zscore zmscore zincrby zrank zrevrank zcount zlexcount zrange zrangebyscore
		zrevrangebyscore zrangebylex zrevrangebylex zrevrange zrangestore zremrangebyrank
		zremrangebyscore zremrangebylex zpopmin zpopmax bzpopmin bzpopmax zrandmember zunion zinter
		zdiff zunionstore zinterstore zdiffstore zintercard zmpop bzmpop zscan
		geoadd geopos geodist geohash geosearch geosearchstore georadius georadius_ro
		georadiusbymember georadiusbymember_ro
		subscribe unsubscribe psubscribe punsubscribe publish pubsub ssubscribe sunsubscribe spublish
		multi exec discard watch unwatch
		config|get config|set config|resetstat config|rewrite config|help
		client|id client|setname client|getname client|list client|info client|kill client|help
		command|count command|info command|getkeys command|list command|docs command|help
		memory|usage memory|help
		object|encoding object|freq object|idletime object|refcount object|help
		pubsub|channels pubsub|numsub pubsub|numpat pubsub|shardchannels pubsub|shardnumsub pubsub|help`)
	for _, name := range required {
		if LookupFullName([]byte(name)) == nil {
			t.Errorf("%s: missing from the table", name)
		}
	}

	movable := strings.Fields(`lmpop blmpop sintercard zunion zinter zdiff zunionstore zinterstore
		zdiffstore zintercard zmpop bzmpop georadius georadiusbymember`)
	whole := strings.Fields("keys scan dbsize flushdb flushall randomkey swapdb")
	for _, s := range All() {
		if got, want := s.KeysFunc != nil, slices.Contains(movable, s.Name); got != want {
			t.Errorf("%s: has KeysFunc: got %v; want %v", s.Name, got, want)
		}
		if got, want := s.Flags&WholeKeyspace != 0, slices.Contains(whole, s.Name); got != want {
			t.Errorf("%s: WholeKeyspace: got %v; want %v", s.Name, got, want)
		}
		checkSpec(t, s)
		for _, sub := range s.Subcommands {
			checkSpec(t, sub)
			if sub.Parent != s {
				t.Errorf("%s: Parent: got %v; want %s", sub.Name, sub.Parent, s.Name)
			}
			if got, want := sub.Name, s.Name+"|"+sub.ShortName(); got != want {
				t.Errorf("%s: ShortName: got name %q; want %q", sub.Name, got, want)
			}
		}
	}
}

func checkSpec(t *testing.T, s *Spec) {
	t.Helper()
	if s.Name != strings.ToLower(s.Name) || s.Name == "" {
		t.Errorf("%q: name is not lower case", s.Name)
	}
	if s.Group == "" || len(s.ACL) == 0 {
		t.Errorf("%s: group %q, ACL %q: both are required", s.Name, s.Group, s.ACL)
	}
	if s.Flags&Write != 0 && s.Flags&ReadOnly != 0 {
		t.Errorf("%s: both write and readonly", s.Name)
	}
	if s.Arity == 0 {
		t.Errorf("%s: arity 0", s.Name)
	}
	if len(s.Subcommands) > 0 && s.FirstKey != 0 {
		t.Errorf("%s: a container has no keys of its own", s.Name)
	}
	if s.Flags&Internal != 0 && !strings.HasPrefix(s.Name, "shardis.") {
		t.Errorf("%s: Internal commands use the shardis. prefix", s.Name)
	}
}

// ---- Key positions ----

func TestKeyPositions(t *testing.T) {
	tests := []struct {
		args string
		want []int
	}{
		{"get k", []int{1}},
		{"get", nil},
		{"get k extra", []int{1}},
		{"GET k", []int{1}},
		{"mset a 1 b 2", []int{1, 3}},
		{"mset a 1 b", []int{1, 3}},
		{"mset a", []int{1}},
		{"mset", nil},
		{"del a b c", []int{1, 2, 3}},
		{"blpop a b 0", []int{1, 2}},
		{"blpop a", nil},
		{"bitop and d a b", []int{2, 3, 4}},
		{"bitop and", nil},
		{"rename a", []int{1}},
		{"ping", nil},
		{"publish ch msg", nil},
		{"ssubscribe a b", nil},
		{"spublish a msg", nil},

		{"zunionstore d 2 a b", []int{1, 3, 4}},
		{"zunionstore d 2 a b weights 1 2", []int{1, 3, 4}},
		{"zunionstore d 5 a b", []int{1, 3, 4}},
		{"zunionstore d 0 a b", []int{1}},
		{"zunionstore d -1 a b", []int{1}},
		{"zunionstore d +1 a b", []int{1}},
		{"zunionstore d x a b", []int{1}},
		{"zunionstore d 99999999999999999999999999 a b", []int{1, 3, 4}},
		{"zunionstore d", []int{1}},
		{"zunionstore", nil},
		{"zinter 2 a b", []int{2, 3}},
		{"zinter 2", nil},
		{"zinter", nil},
		{"lmpop 1 a b left", []int{2}},
		{"blmpop 0 2 a b left", []int{3, 4}},
		{"blmpop 0", nil},
		{"bzmpop 0 3 a", []int{3}},
		{"sintercard 2 a b limit 1", []int{2, 3}},

		{"georadius g 0 0 1 km", []int{1}},
		{"georadius g 0 0 1 km store d", []int{1, 7}},
		{"georadius g 0 0 1 km storedist d store e", []int{1, 7, 9}},
		{"georadius g 0 0 1 km store", []int{1}},
		{"georadius g 0 0 store km", []int{1}},
		{"georadius g", []int{1}},
		{"georadius", nil},
		{"georadiusbymember g m 1 km STORE d", []int{1, 6}},
		{"georadiusbymember g m 1 store d", []int{1}}, // STORE before the options
		{"georadius_ro g 0 0 1 km store d", []int{1}},

		{"object encoding k", []int{2}},
		{"OBJECT Encoding k", []int{2}},
		{"object encoding", nil},
		{"object", nil},
		{"object nosuch k", nil},
		{"object help", nil},
		{"memory usage k samples 5", []int{2}},
		{"config get k", nil},
	}
	for _, tt := range tests {
		args := split(tt.args)
		spec := Lookup(args[0])
		if spec == nil {
			t.Fatalf("%q: unknown command", args[0])
		}
		got := spec.KeyPositions(args)
		if !slices.Equal(got, tt.want) {
			t.Errorf("KeyPositions(%q): got %v; want %v", tt.args, got, tt.want)
		}
		keys := spec.Keys(args)
		if len(keys) != len(got) {
			t.Errorf("Keys(%q): got %d keys; want %d", tt.args, len(keys), len(got))
		}
		for i, k := range keys {
			if !bytes.Equal(k, args[got[i]]) {
				t.Errorf("Keys(%q)[%d]: got %q; want %q", tt.args, i, k, args[got[i]])
			}
		}
	}

	var unknown *Spec
	if got := unknown.KeyPositions(split("x a b")); got != nil {
		t.Errorf("nil spec: got %v; want none", got)
	}
}

func TestChannelPositions(t *testing.T) {
	tests := []struct {
		args string
		want []int
	}{
		{"ssubscribe a b", []int{1, 2}},
		{"sunsubscribe", nil},
		{"sunsubscribe a", []int{1}},
		{"spublish a msg", []int{1}},
		{"spublish", nil},
		{"publish a msg", nil},
		{"get a", nil},
	}
	for _, tt := range tests {
		args := split(tt.args)
		if got := Lookup(args[0]).ChannelPositions(args); !slices.Equal(got, tt.want) {
			t.Errorf("ChannelPositions(%q): got %v; want %v", tt.args, got, tt.want)
		}
	}
}

// TestKeyPositionsMalformed feeds every spec random, mostly malformed
// argument lists: KeyPositions must not panic and must return ascending
// positions that exist.
func TestKeyPositionsMalformed(t *testing.T) {
	words := [][]byte{nil, {}, []byte("0"), []byte("1"), []byte("2"), []byte("-1"), []byte("-3"),
		[]byte("99999999999999999999"), []byte("store"), []byte("STOREDIST"), []byte("x"),
		[]byte("encoding"), []byte("usage"), []byte("|"), []byte("\xff")}
	rng := rand.New(rand.NewPCG(1, 2))
	var specs []*Spec
	for _, s := range All() {
		specs = append(specs, s)
		specs = append(specs, s.Subcommands...)
	}
	for _, s := range specs {
		for argc := 0; argc <= 9; argc++ {
			for range 30 {
				args := make([][]byte, argc)
				for i := range args {
					args[i] = words[rng.IntN(len(words))]
				}
				if argc > 0 {
					args[0] = []byte(s.Name)
				}
				if argc > 1 && s.Parent != nil {
					args[0], args[1] = []byte(s.Parent.Name), []byte(s.ShortName())
				}
				checkPositions(t, s, args)
			}
		}
	}
}

func checkPositions(t *testing.T, s *Spec, args [][]byte) {
	t.Helper()
	pos := s.KeyPositions(args)
	prev := 0
	for _, p := range pos {
		if p <= prev || p >= len(args) {
			t.Fatalf("%s.KeyPositions(%q): got %v; want ascending positions in [1, %d)", s.Name, args, pos, len(args))
		}
		prev = p
	}
	_ = s.Keys(args)
	_ = s.ChannelPositions(args)
}

func FuzzKeyPositions(f *testing.F) {
	for _, args := range getKeysSamples() {
		f.Add(string(bytes.Join(args, []byte(" "))))
	}
	f.Add("zunionstore d 4294967297 a")
	f.Fuzz(func(t *testing.T, line string) {
		args := split(line)
		if len(args) == 0 {
			return
		}
		if s := Lookup(args[0]); s != nil {
			checkPositions(t, s, args)
		}
	})
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		isOK bool
	}{
		{"0", 0, true},
		{"12", 12, true},
		{"007", 7, true},
		{"", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1x", 0, false},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 1<<63 - 1, true},
		{"99999999999999999999999999", 1<<63 - 1, true},
	}
	for _, tt := range tests {
		n, ok := parseCount([]byte(tt.in))
		if n != tt.n || ok != tt.isOK {
			t.Errorf("parseCount(%q): got %d, %v; want %d, %v", tt.in, n, ok, tt.n, tt.isOK)
		}
	}
}

// ---- Lookup ----

func TestLookup(t *testing.T) {
	get := Lookup([]byte("get"))
	if get == nil || get.Name != "get" {
		t.Fatalf(`Lookup("get"): got %v; want the get spec`, get)
	}
	tests := []struct {
		name string
		want string // "" for nil
	}{
		{"GET", "get"},
		{"gEt", "get"},
		{"ZRANGEBYSCORE", "zrangebyscore"},
		{"GeoRadiusByMember_RO", "georadiusbymember_ro"},
		{"config", "config"},
		{"", ""},
		{"ge", ""},
		{"gett", ""},
		{"get ", ""},
		{"config|get", ""}, // Lookup takes command names only
		{"shardis.nosuch", ""},
		{strings.Repeat("a", maxNameLen+1), ""},
		{"g\x00t", ""},
		{"\xc7et", ""},
	}
	for _, tt := range tests {
		got := Lookup([]byte(tt.name))
		if (got == nil && tt.want != "") || (got != nil && got.Name != tt.want) {
			t.Errorf("Lookup(%q): got %v; want %q", tt.name, got, tt.want)
		}
	}
	if Lookup([]byte("GET")) != get {
		t.Errorf("Lookup is not case-insensitive")
	}

	full := []struct {
		name string
		want string
	}{
		{"config|get", "config|get"},
		{"CONFIG|GET", "config|get"},
		{"object|Encoding", "object|encoding"},
		{"get", "get"},
		{"config|", ""},
		{"|get", ""},
		{"get|x", ""},
		{"config|get|x", ""},
	}
	for _, tt := range full {
		got := LookupFullName([]byte(tt.name))
		if (got == nil && tt.want != "") || (got != nil && got.Name != tt.want) {
			t.Errorf("LookupFullName(%q): got %v; want %q", tt.name, got, tt.want)
		}
	}

	config := Lookup([]byte("CONFIG"))
	for name, want := range map[string]string{"get": "config|get", "GET": "config|get", "Set": "config|set", "ge": "", "getx": "", "": ""} {
		got := config.Sub([]byte(name))
		if (got == nil && want != "") || (got != nil && got.Name != want) {
			t.Errorf("config.Sub(%q): got %v; want %q", name, got, want)
		}
	}
	if got := get.Sub([]byte("x")); got != nil {
		t.Errorf("get.Sub: got %v; want nil", got)
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	names := [][]byte{[]byte("GET"), []byte("zrangebyscore"), []byte("nosuch"), []byte("Config")}
	sub := []byte("GET")
	var s *Spec
	allocs := testing.AllocsPerRun(100, func() {
		for _, n := range names {
			s = Lookup(n)
		}
		s = s.Sub(sub)
	})
	if allocs != 0 {
		t.Errorf("Lookup and Sub: got %v allocs per run; want 0", allocs)
	}
	if s == nil || s.Name != "config|get" {
		t.Errorf("got %v; want config|get", s)
	}

	args := split("mset a 1 b 2")
	buf := make([]int, 0, 4)
	mset := Lookup(args[0])
	allocs = testing.AllocsPerRun(100, func() {
		buf = mset.AppendKeyPositions(buf[:0], args)
	})
	if allocs != 0 {
		t.Errorf("AppendKeyPositions: got %v allocs per run; want 0", allocs)
	}
}

func BenchmarkLookup(b *testing.B) {
	names := [][]byte{[]byte("GET"), []byte("set"), []byte("ZRangeByScore"), []byte("hgetall"), []byte("nosuch")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if s := Lookup(names[i%len(names)]); s == nil && i%len(names) != 4 {
			b.Fatal("lookup failed")
		}
	}
}

func BenchmarkAppendKeyPositions(b *testing.B) {
	args := split("mset a 1 b 2 c 3")
	s := Lookup(args[0])
	buf := make([]int, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendKeyPositions(buf[:0], args)
	}
}

// ---- Flags ----

func TestFlagNames(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"get", []string{"readonly", "fast"}},
		{"zunionstore", []string{"write", "denyoom", "movablekeys"}},
		{"blmpop", []string{"write", "blocking", "movablekeys"}},
		{"publish", []string{"pubsub", "loading", "stale", "fast"}}, // may_replicate is hidden
		{"save", []string{"admin", "noscript", "no_async_loading", "no_multi"}},
		{"flushall", []string{"write"}}, // WholeKeyspace is not printed
		{"config", []string{}},
	}
	for _, tt := range tests {
		if got := Lookup([]byte(tt.name)).FlagNames(); !slices.Equal(got, tt.want) || got == nil {
			t.Errorf("%s.FlagNames(): got %q; want %q", tt.name, got, tt.want)
		}
	}
	s := &Spec{Flags: NoMulti | AllowBusy, KeysFunc: func([][]byte) []int { return nil }}
	if got, want := s.FlagNames(), []string{"no_multi", "movablekeys", "allow_busy"}; !slices.Equal(got, want) {
		t.Errorf("FlagNames: got %q; want %q", got, want)
	}
	if got, want := (Write | Internal | WholeKeyspace | MayReplicate).String(), "write|may_replicate|shardis_whole_keyspace|shardis_internal"; got != want {
		t.Errorf("String: got %q; want %q", got, want)
	}
	if got := Flag(0).String(); got != "0" {
		t.Errorf("Flag(0).String(): got %q; want %q", got, "0")
	}
}

func TestIsWriteAndArity(t *testing.T) {
	var unknown *Spec
	if !unknown.IsWrite() {
		t.Errorf("an unknown command must count as a write")
	}
	for name, want := range map[string]bool{"set": true, "get": false, "getex": true, "flushall": true, "ping": false, "exec": false} {
		if got := Lookup([]byte(name)).IsWrite(); got != want {
			t.Errorf("%s.IsWrite(): got %v; want %v", name, got, want)
		}
	}
	tests := []struct {
		name string
		argc int
		want bool
	}{
		{"get", 2, true},
		{"get", 1, false},
		{"get", 3, false},
		{"set", 3, true},
		{"set", 6, true},
		{"set", 2, false},
		{"ping", 1, true},
		{"config", 1, false},
		{"config", 2, true},
	}
	for _, tt := range tests {
		if got := Lookup([]byte(tt.name)).CheckArity(tt.argc); got != tt.want {
			t.Errorf("%s.CheckArity(%d): got %v; want %v", tt.name, tt.argc, got, tt.want)
		}
	}
}
