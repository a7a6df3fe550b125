package difftest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/redisproc"
	"github.com/shardis/shardis/shardd/internal/shardtest"
	"pgregory.net/rapid"
)

// Cmd is one command of a sequence.
type Cmd struct {
	Args []string
	// Unordered compares the reply (an array) as a multiset.
	Unordered bool
}

// C builds an ordered Cmd.
func C(args ...string) Cmd { return Cmd{Args: args} }

// U builds a Cmd whose array reply is compared as a multiset.
func U(args ...string) Cmd { return Cmd{Args: args, Unordered: true} }

func (c Cmd) String() string { return strings.Join(quoteAll(c.Args), " ") }

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = fmt.Sprintf("%q", a)
	}
	return out
}

// Pair is a connection to the reference server and one to shardd.
type Pair struct {
	Redis, Shardd *redis.Client
}

// NewPair connects to both servers with the given RESP version.
func NewPair(redisAddr, sharddAddr string, proto int) *Pair {
	opt := func(addr string) *redis.Options {
		return &redis.Options{Addr: addr, Protocol: proto, PoolSize: 1, MaxRetries: -1, DisableIdentity: true}
	}
	return &Pair{Redis: redis.NewClient(opt(redisAddr)), Shardd: redis.NewClient(opt(sharddAddr))}
}

// Close closes both connections.
func (p *Pair) Close() {
	p.Redis.Close()
	p.Shardd.Close()
}

// Result is one server's decoded reply.
type Result struct {
	Val any
	Err string
}

func (r Result) String() string {
	if r.Err != "" {
		return "error: " + r.Err
	}
	return fmt.Sprintf("%#v", r.Val)
}

// Do runs c on both servers and returns both results.
func (p *Pair) Do(ctx context.Context, c Cmd) (want, got Result) {
	return run(ctx, p.Redis, c), run(ctx, p.Shardd, c)
}

func run(ctx context.Context, cl *redis.Client, c Cmd) Result {
	args := make([]any, len(c.Args))
	for i, a := range c.Args {
		args[i] = a
	}
	v, err := cl.Do(ctx, args...).Result()
	var r Result
	switch {
	case errors.Is(err, redis.Nil):
		r.Val = nil
	case err != nil:
		r.Err = err.Error()
	default:
		r.Val = v
	}
	if c.Unordered {
		r.Val = sortedCopy(r.Val)
	}
	return r
}

// Diff runs c on both servers and describes the difference, or "".
func (p *Pair) Diff(ctx context.Context, c Cmd) string {
	want, got := p.Do(ctx, c)
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("%s\n  redis-server: %s\n  shardd:       %s", c, want, got)
}

// sortedCopy sorts an array reply (top level only) by its printed form.
func sortedCopy(v any) any {
	arr, ok := v.([]any)
	if !ok {
		return v
	}
	out := append([]any(nil), arr...)
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

// ForEachProtocol starts a reference redis-server (with extra directives)
// and an in-process shardd, and runs body in one subtest per RESP version
// with a Pair connected to both.
func ForEachProtocol(t *testing.T, redisDirectives []string, body func(t *testing.T, ctx context.Context, p *Pair)) {
	t.Helper()
	redisAddr := redisproc.Start(t, redisDirectives...)
	srv := shardtest.Start(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			p := NewPair(redisAddr, srv.Addr, proto)
			defer p.Close()
			body(t, context.Background(), p)
		})
	}
}

// Property is the usual differential property: every rapid case resets
// both servers, runs between Min and Max commands drawn from Next, each
// compared with Diff, then compares the Final commands.
type Property struct {
	// Reset runs on both servers before each case; nil means FLUSHALL.
	Reset    []Cmd
	Min, Max int
	Next     func(*rapid.T) Cmd
	// Diff compares one command; nil means (*Pair).Diff.
	Diff  func(context.Context, *Pair, Cmd) string
	Final []Cmd
}

// Check runs the property against p.
func (pr Property) Check(t *testing.T, p *Pair) {
	t.Helper()
	ctx := context.Background()
	diff := pr.Diff
	if diff == nil {
		diff = func(ctx context.Context, p *Pair, c Cmd) string { return p.Diff(ctx, c) }
	}
	reset := pr.Reset
	if reset == nil {
		reset = []Cmd{C("FLUSHALL")}
	}
	rapid.Check(t, func(rt *rapid.T) {
		for _, c := range reset {
			p.Do(ctx, c)
		}
		n := rapid.IntRange(max(pr.Min, 1), pr.Max).Draw(rt, "n")
		for i := 0; i < n; i++ {
			if d := diff(ctx, p, pr.Next(rt)); d != "" {
				rt.Fatal(d)
			}
		}
		for _, c := range pr.Final {
			if d := diff(ctx, p, c); d != "" {
				rt.Fatal(d)
			}
		}
	})
}
