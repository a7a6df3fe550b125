package server_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// rawConn speaks raw RESP to a server, to send what no client library
// would.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

func (rc *rawConn) send(s string) {
	rc.t.Helper()
	if _, err := rc.c.Write([]byte(s)); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawConn) line() string {
	rc.t.Helper()
	l, err := rc.r.ReadString('\n')
	if err != nil {
		rc.t.Fatalf("read reply: %v", err)
	}
	return strings.TrimRight(l, "\r\n")
}

// closed reports whether the server closed the connection.
func (rc *rawConn) closed() bool {
	_, err := rc.r.ReadByte()
	return err != nil
}

func TestProtocolErrorsCloseTheConnection(t *testing.T) {
	srv := shardtest.Start(t)
	tests := []struct{ in, want string }{
		{"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length"},
		{"*1\r\n$536870913\r\n", "-ERR Protocol error: invalid bulk length"},
		{"*abc\r\n", "-ERR Protocol error: invalid multibulk length"},
		{"*1\r\n:5\r\n", "-ERR Protocol error: expected '$', got ':'"},
		{"SET \"a b\r\n", "-ERR Protocol error: unbalanced quotes in request"},
	}
	for _, tt := range tests {
		rc := dial(t, srv.Addr)
		rc.send(tt.in)
		if got := rc.line(); got != tt.want {
			t.Errorf("%q: got %q; want %q", tt.in, got, tt.want)
		}
		if !rc.closed() {
			t.Errorf("%q: connection left open after a protocol error", tt.in)
		}
	}
	// The server still serves others.
	rc := dial(t, srv.Addr)
	rc.send("PING\r\n")
	if got := rc.line(); got != "+PONG" {
		t.Errorf("after errors: got %q; want +PONG", got)
	}
}

func TestHugeInlineAndHeader(t *testing.T) {
	srv := shardtest.Start(t)
	rc := dial(t, srv.Addr)
	rc.send(strings.Repeat("a", 70*1024))
	if got := rc.line(); got != "-ERR Protocol error: too big inline request" {
		t.Errorf("got %q", got)
	}
}

func TestProtoMaxBulkLen(t *testing.T) {
	srv := shardtest.Start(t, "proto-max-bulk-len 1mb")
	rc := dial(t, srv.Addr)
	rc.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n")
	if got := rc.line(); got != "-ERR Protocol error: invalid bulk length" {
		t.Errorf("got %q", got)
	}
}

func TestPipelineAndInline(t *testing.T) {
	srv := shardtest.Start(t)
	rc := dial(t, srv.Addr)
	var b strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$1\r\nv\r\n", len(fmt.Sprint(i))+1, i)
	}
	b.WriteString("ECHO \"x y\"\r\n\r\nPING\r\n")
	rc.send(b.String())
	for i := 0; i < 1000; i++ {
		if got := rc.line(); got != "+OK" {
			t.Fatalf("reply %d: got %q", i, got)
		}
	}
	if got := rc.line() + rc.line(); got != "$3x y" {
		t.Errorf("inline ECHO: got %q", got)
	}
	if got := rc.line(); got != "+PONG" {
		t.Errorf("got %q", got)
	}
}

func TestMaxClients(t *testing.T) {
	srv := shardtest.Start(t, "maxclients 2")
	a, b := dial(t, srv.Addr), dial(t, srv.Addr)
	for _, rc := range []*rawConn{a, b} {
		rc.send("PING\r\n")
		if got := rc.line(); got != "+PONG" {
			t.Fatalf("got %q", got)
		}
	}
	c := dial(t, srv.Addr)
	if got := c.line(); got != "-ERR max number of clients reached" {
		t.Errorf("third client: got %q", got)
	}
	if !c.closed() {
		t.Error("refused client left open")
	}
}

func TestIdleTimeout(t *testing.T) {
	srv := shardtest.Start(t, "timeout 1")
	rc := dial(t, srv.Addr)
	rc.send("PING\r\n")
	rc.line()
	if !rc.closed() { // blocks until the server closes it (deadline 10s)
		t.Error("idle client not closed")
	}
}

func TestQuit(t *testing.T) {
	srv := shardtest.Start(t)
	rc := dial(t, srv.Addr)
	rc.send("QUIT\r\nPING\r\n")
	if got := rc.line(); got != "+OK" {
		t.Errorf("got %q", got)
	}
	if !rc.closed() {
		t.Error("connection open after QUIT")
	}
}

func TestUnknownAndArity(t *testing.T) {
	srv := shardtest.Start(t)
	rc := dial(t, srv.Addr)
	rc.send("FOO a b\r\nGET\r\nCONFIG\r\nCONFIG NOPE\r\n")
	for _, want := range []string{
		"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' ",
		"-ERR wrong number of arguments for 'get' command",
		"-ERR wrong number of arguments for 'config' command",
		"-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.",
	} {
		if got := rc.line(); got != want {
			t.Errorf("got %q; want %q", got, want)
		}
	}
}

func TestRequirePass(t *testing.T) {
	srv := shardtest.Start(t, "requirepass secret")
	rc := dial(t, srv.Addr)
	rc.send("GET a\r\nAUTH wrong\r\nAUTH default secret\r\nGET a\r\n")
	for _, want := range []string{
		"-NOAUTH Authentication required.",
		"-WRONGPASS invalid username-password pair or user is disabled.",
		"+OK",
		"$-1",
	} {
		if got := rc.line(); got != want {
			t.Errorf("got %q; want %q", got, want)
		}
	}
}
