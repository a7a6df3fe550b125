// Package shardtest gives the proxy's unit tests real shard servers on
// loopback: shardd built from this workspace, or redis-server when shardd
// cannot be built (SHARDIS_TEST_SHARD=shardd or =redis forces one), and a
// scriptable fake shard for failures a real server does not make on
// demand. When no real server is available the test is skipped, or fails
// if the environment variable CI is set.
//
// A package that uses Start must run its tests through Main, which removes
// the shardd binary at the end.
package shardtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shardis/shardis/pkg/resp"
)

var (
	buildOnce sync.Once
	binDir    string
	sharddBin string // "" when it cannot be built
	buildErr  error
)

// Main runs the tests and removes what Start built.
func Main(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func build() {
	if k := os.Getenv("SHARDIS_TEST_SHARD"); k == "redis" {
		buildErr = errors.New("SHARDIS_TEST_SHARD=redis")
		return
	}
	dir, err := os.MkdirTemp("", "shardtest-bin")
	if err != nil {
		buildErr = err
		return
	}
	binDir = dir
	bin := filepath.Join(dir, "shardd")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/shardis/shardis/shardd/cmd/shardd").CombinedOutput()
	if err != nil {
		buildErr = fmt.Errorf("go build shardd: %v: %s", err, out)
		return
	}
	sharddBin = bin
}

// Server is a shard server process.
type Server struct {
	// Addr is host:port; Kind is "shardd" or "redis".
	Addr, Kind string

	t    testing.TB
	dir  string
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
	log  *tail
}

// Start starts a shard server on a free port; it is stopped when the test
// ends.
func Start(t testing.TB) *Server {
	t.Helper()
	buildOnce.Do(build)
	s := &Server{t: t, dir: t.TempDir()}
	switch {
	case sharddBin != "":
		s.Kind = "shardd"
	case os.Getenv("SHARDIS_TEST_SHARD") != "shardd" && haveRedis():
		s.Kind = "redis"
	default:
		msg := fmt.Sprintf("shardtest: no shard server (shardd: %v; redis-server: not found)", buildErr)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s.launch(0)
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("%s %s, last log lines:\n%s", s.Kind, s.Addr, s.log.String())
		}
	})
	return s
}

func haveRedis() bool {
	_, err := exec.LookPath("redis-server")
	return err == nil
}

// launch starts the process on port (0: a free one) and waits until it
// serves.
func (s *Server) launch(port int) {
	t := s.t
	t.Helper()
	var cmd *exec.Cmd
	s.log = &tail{}
	ready := make(chan string, 1)
	switch s.Kind {
	case "shardd":
		cmd = exec.Command(sharddBin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--dir", s.dir, "--appendonly", "no", "--save", "")
		s.log.ready = regexp.MustCompile(`ready to accept connections"? addr=(\S+)`)
		s.log.addr = ready
	case "redis":
		if port == 0 {
			port = freePort(t)
		}
		cmd = exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--dir", s.dir, "--appendonly", "no", "--save", "")
	}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("shardtest: start %s: %v", s.Kind, err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.After(30 * time.Second)
	if s.Kind == "shardd" {
		select {
		case addr = <-ready:
		case <-deadline:
			t.Fatalf("shardtest: shardd did not start:\n%s", s.log.String())
		}
	}
	for !ping(addr) {
		select {
		case <-deadline:
			t.Fatalf("shardtest: %s on %s does not answer:\n%s", s.Kind, addr, s.log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.Addr = addr
	_, p, _ := net.SplitHostPort(addr)
	s.port, _ = strconv.Atoi(p)
}

// Kill kills the server with SIGKILL and waits for it to exit.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd != nil {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
}

// Restart starts the server again on its port (after Kill); its data is
// gone.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.launch(s.port)
}

func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// tail keeps the last lines a process logged and reports its address.
type tail struct {
	mu    sync.Mutex
	lines []string
	part  string
	ready *regexp.Regexp
	addr  chan string
}

func (l *tail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part += string(p)
	for {
		i := strings.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		line := l.part[:i]
		l.part = l.part[i+1:]
		if l.lines = append(l.lines, line); len(l.lines) > 30 {
			l.lines = l.lines[1:]
		}
		if l.ready != nil {
			if m := l.ready.FindStringSubmatch(line); m != nil {
				select {
				case l.addr <- m[1]:
				default:
				}
			}
		}
	}
	return len(p), nil
}

func (l *tail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// Fake is a scripted shard: every connection it accepts is handed to the
// handler, which reads commands and writes whatever replies it likes.
type Fake struct {
	Addr string
	ln   net.Listener

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

// FakeConn is one connection to a Fake.
type FakeConn struct {
	net.Conn
	rd *resp.Reader
	// N is the connection's number, from 0, in accept order.
	N int
}

// ReadCommand returns the next command's arguments (copied).
func (c *FakeConn) ReadCommand() ([]string, error) {
	args, err := c.rd.ReadCommand()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out, nil
}

// NewFake starts a fake shard; it is closed when the test ends.
func NewFake(t testing.TB, handle func(c *FakeConn)) *Fake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &Fake{Addr: ln.Addr().String(), ln: ln}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for n := 0; ; n++ {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, nc)
			f.mu.Unlock()
			c := &FakeConn{Conn: nc, rd: resp.NewReader(nc), N: n}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer nc.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(f.Close)
	return f
}

// Close stops accepting and closes every connection.
func (f *Fake) Close() {
	f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// Serve answers n commands (n < 0: all, until the connection ends) like a
// tiny Redis: PING, ECHO, GET and SET on a map shared by every fake shard,
// anything else +OK. It is a building block for handlers.
func Serve(c *FakeConn, n int) error {
	for i := 0; n < 0 || i < n; i++ {
		args, err := c.ReadCommand()
		if err != nil {
			return err
		}
		if _, err := c.Write(Answer(args)); err != nil {
			return err
		}
	}
	return nil
}

var (
	fakeMu   sync.Mutex
	fakeData = map[string]string{}
)

// Answer is the reply of Serve to args.
func Answer(args []string) []byte {
	switch strings.ToUpper(args[0]) {
	case "PING":
		return []byte("+PONG\r\n")
	case "ECHO":
		return resp.AppendBulkString(nil, args[1])
	case "SET":
		fakeMu.Lock()
		fakeData[args[1]] = args[2]
		fakeMu.Unlock()
		return []byte("+OK\r\n")
	case "GET":
		fakeMu.Lock()
		v, ok := fakeData[args[1]]
		fakeMu.Unlock()
		if !ok {
			return []byte("$-1\r\n")
		}
		return resp.AppendBulkString(nil, v)
	}
	return []byte("+OK\r\n")
}

// Discard reads commands until the connection ends, answering none.
func Discard(c *FakeConn) { io.Copy(io.Discard, c) }
