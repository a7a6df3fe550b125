package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/engine"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// svConn is a session on an engine driven directly, without a network,
// for checking replies byte for byte.
type svConn struct {
	t *testing.T
	e *engine.Engine
	s *engine.Session
}

// svEngine builds an engine on the defaults plus directives.
func svEngine(t *testing.T, opts engine.Options, directives ...string) *engine.Engine {
	t.Helper()
	if opts.Config == nil {
		opts.Config = config.Default()
	}
	if err := opts.Config.LoadString(strings.Join(directives, "\n")); err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func svSession(t *testing.T, e *engine.Engine, addr string) *svConn {
	t.Helper()
	s := e.NewSession(addr, "127.0.0.1:6379", nopConn{})
	t.Cleanup(func() { e.CloseSession(s) })
	return &svConn{t: t, e: e, s: s}
}

// nopConn stands in for a connection in tests that drive the engine
// directly.
type nopConn struct{}

func (nopConn) Write(b []byte) (int, error) { return len(b), nil }
func (nopConn) Close() error                { return nil }

// do runs one command and returns its raw reply.
func (c *svConn) do(args ...string) string {
	c.t.Helper()
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	c.e.Exec(c.s, b)
	out := string(c.s.Reply().Bytes())
	c.s.Reply().Reset(1 << 20)
	return out
}

func (c *svConn) expect(want string, args ...string) {
	c.t.Helper()
	if got := c.do(args...); got != want {
		c.t.Errorf("%q: got %q; want %q", args, got, want)
	}
}

func TestPingEchoQuit(t *testing.T) {
	e := svEngine(t, engine.Options{})
	c := svSession(t, e, "127.0.0.1:5000")
	c.expect("+PONG\r\n", "PING")
	c.expect("$5\r\nhello\r\n", "PING", "hello")
	c.expect("-ERR wrong number of arguments for 'ping' command\r\n", "PING", "a", "b")
	c.expect("$0\r\n\r\n", "ECHO", "")
	c.expect("-ERR wrong number of arguments for 'echo' command\r\n", "ECHO")
	c.do("HELLO", "3")
	c.expect("+PONG\r\n", "PING")
	c.expect("$2\r\nhi\r\n", "ECHO", "hi")
	c.expect("+OK\r\n", "QUIT", "extra")
	if !c.s.Quit() {
		t.Error("QUIT did not mark the session for closing")
	}
}

func TestSelect(t *testing.T) {
	e := svEngine(t, engine.Options{}, "databases 4")
	c := svSession(t, e, "127.0.0.1:5000")
	tests := []struct {
		arg, want string
	}{
		{"3", "+OK\r\n"},
		{"0", "+OK\r\n"},
		{"4", "-ERR DB index is out of range\r\n"},
		{"-1", "-ERR DB index is out of range\r\n"},
		{"x", "-ERR value is not an integer or out of range\r\n"},
		{"1.5", "-ERR value is not an integer or out of range\r\n"},
		{"99999999999999999999", "-ERR value is not an integer or out of range\r\n"},
	}
	for _, tt := range tests {
		c.expect(tt.want, "SELECT", tt.arg)
	}
	c.expect("-ERR wrong number of arguments for 'select' command\r\n", "SELECT", "0", "1")
}

func TestSelectIsPerConnection(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	a := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 2, PoolSize: 1})
	defer a.Close()
	b := srv.Client(t)
	if err := a.Set(ctx, "k", "in2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n := b.Exists(ctx, "k").Val(); n != 0 {
		t.Errorf("db0 sees db2's key: EXISTS = %d", n)
	}
	info := b.Info(ctx, "keyspace").Val()
	if !strings.Contains(info, "db2:keys=1,expires=0,avg_ttl=0") {
		t.Errorf("INFO keyspace = %q; want a db2 line", info)
	}
}

func TestAuth(t *testing.T) {
	e := svEngine(t, engine.Options{})
	c := svSession(t, e, "127.0.0.1:5000")
	c.expect("-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n", "AUTH", "x")
	c.expect("+OK\r\n", "AUTH", "default", "anything")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "bob", "x")
	c.expect("-ERR syntax error\r\n", "AUTH", "a", "b", "c")
	c.expect("-ERR wrong number of arguments for 'auth' command\r\n", "AUTH")

	e = svEngine(t, engine.Options{}, "requirepass s3cret")
	c = svSession(t, e, "127.0.0.1:5000")
	c.expect("-NOAUTH Authentication required.\r\n", "GET", "k")
	c.expect("-NOAUTH Authentication required.\r\n", "CLIENT", "ID")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "bad")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "other", "s3cret")
	c.expect("+OK\r\n", "AUTH", "s3cret")
	c.expect("$-1\r\n", "GET", "k")
	c2 := svSession(t, e, "127.0.0.1:5001")
	c2.expect("+OK\r\n", "AUTH", "default", "s3cret")
	c2.expect("+PONG\r\n", "PING")
}

// A client connected while no password is needed stays authenticated
// when one is set, as in Redis; a new client must authenticate.
func TestRequirepassAtRunTime(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	old := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 1, MaxRetries: -1})
	defer old.Close()
	if err := old.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := old.ConfigSet(ctx, "requirepass", "pw").Err(); err != nil {
		t.Fatal(err)
	}
	if err := old.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Errorf("existing client after CONFIG SET requirepass: %v", err)
	}
	fresh := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 1, MaxRetries: -1, Protocol: 2})
	defer fresh.Close()
	if err := fresh.Get(ctx, "k").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Errorf("new client without password: err = %v; want NOAUTH", err)
	}
	authed := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 1, MaxRetries: -1, Password: "pw"})
	defer authed.Close()
	if v := authed.Get(ctx, "k").Val(); v != "v" {
		t.Errorf("GET with password = %q; want v", v)
	}
	if err := old.ConfigSet(ctx, "requirepass", "").Err(); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Get(ctx, "k").Err(); err != nil {
		t.Errorf("after clearing requirepass: %v", err)
	}
}

// helloReply is redis-server 7.0's HELLO reply for client id, in RESP2
// or RESP3.
func helloReply(proto int, id string) string {
	pairs := []string{"$6\r\nserver\r\n$5\r\nredis\r\n", "$7\r\nversion\r\n$6\r\n7.0.15\r\n",
		"$5\r\nproto\r\n:" + string(rune('0'+proto)) + "\r\n", "$2\r\nid\r\n:" + id + "\r\n",
		"$4\r\nmode\r\n$10\r\nstandalone\r\n", "$4\r\nrole\r\n$6\r\nmaster\r\n", "$7\r\nmodules\r\n*0\r\n"}
	head := "*14\r\n"
	if proto == 3 {
		head = "%7\r\n"
	}
	return head + strings.Join(pairs, "")
}

func TestHello(t *testing.T) {
	e := svEngine(t, engine.Options{})
	c := svSession(t, e, "127.0.0.1:5000")
	id := c.do("CLIENT", "ID")
	id = strings.TrimSuffix(strings.TrimPrefix(id, ":"), "\r\n")
	c.expect(helloReply(2, id), "HELLO")
	c.expect(helloReply(3, id), "HELLO", "3")
	c.expect(helloReply(3, id), "HELLO")
	c.expect(helloReply(2, id), "HELLO", "2")
	for _, v := range []string{"1", "4", "0", "-1"} {
		c.expect("-NOPROTO unsupported protocol version\r\n", "HELLO", v)
	}
	for _, v := range []string{"abc", "2.0", ""} {
		c.expect("-ERR Protocol version is not an integer or out of range\r\n", "HELLO", v)
	}
	c.expect("-ERR Syntax error in HELLO option 'foo'\r\n", "HELLO", "2", "foo")
	c.expect("-ERR Syntax error in HELLO option 'auth'\r\n", "HELLO", "2", "auth", "default")
	c.expect("-ERR Syntax error in HELLO option 'setname'\r\n", "HELLO", "2", "setname")
	c.expect("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "HELLO", "2", "setname", "a b")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "HELLO", "3", "auth", "bob", "x")
	// The last SETNAME wins.
	c.expect(helloReply(2, id), "HELLO", "2", "SETNAME", "first", "setname", "second", "AUTH", "default", "x")
	c.expect("$6\r\nsecond\r\n", "CLIENT", "GETNAME")
	// A failed HELLO changes nothing.
	c.expect("-NOPROTO unsupported protocol version\r\n", "HELLO", "9", "setname", "third")
	c.expect("$6\r\nsecond\r\n", "CLIENT", "GETNAME")
}

func TestHelloAuth(t *testing.T) {
	e := svEngine(t, engine.Options{}, "requirepass pw")
	c := svSession(t, e, "127.0.0.1:5000")
	c.expect("-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n", "HELLO", "3")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "HELLO", "3", "AUTH", "default", "nope")
	// AUTH is checked before SETNAME; a good AUTH sticks even when the
	// name is then refused.
	c.expect("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "HELLO", "3", "AUTH", "default", "pw", "SETNAME", "bad name")
	c.expect("+PONG\r\n", "PING")
	c.expect("$-1\r\n", "CLIENT", "GETNAME")
}

// go-redis negotiates RESP3 with HELLO 3 and falls back to nothing: the
// reply must decode as redis-server's does.
func TestHelloGoRedis(t *testing.T) {
	srv := shardtest.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr, Protocol: proto, PoolSize: 1, ClientName: "gr"})
		m, err := c.Do(ctx, "HELLO", proto).Result()
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		switch v := m.(type) {
		case map[any]any:
			got = map[string]any{}
			for k, val := range v {
				got[k.(string)] = val
			}
		case []any:
			got = map[string]any{}
			for i := 0; i+1 < len(v); i += 2 {
				got[v[i].(string)] = v[i+1]
			}
		default:
			t.Fatalf("RESP%d: HELLO reply %T", proto, m)
		}
		if got["server"] != "redis" || got["version"] != "7.0.15" || got["proto"] != int64(proto) ||
			got["mode"] != "standalone" || got["role"] != "master" {
			t.Errorf("RESP%d: HELLO = %v", proto, got)
		}
		if name := c.ClientGetName(ctx).Val(); name != "gr" {
			t.Errorf("RESP%d: client name = %q; want gr (set at connect)", proto, name)
		}
		c.Close()
	}
}
