package twophase

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/pkg/twopc"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/metrics"
	"github.com/shardis/shardis/proxy/internal/reply"
)

// Options configures a Coordinator.
type Options struct {
	// ProxyID prefixes transaction ids; it must be unique among the
	// cluster's live proxies.
	ProxyID string
	// Timeout is how long a participant stays prepared (and a cross-shard
	// read holds its shared locks) before resolving by itself
	// (default 3s).
	Timeout time.Duration
	// Metrics may be nil.
	Metrics *metrics.Metrics
	// Logger; nil discards.
	Logger *slog.Logger
}

// DefaultTimeout is the default transaction timeout.
const DefaultTimeout = 3 * time.Second

// Retry policy for conflicts: up to maxAttempts attempts with a jittered
// backoff doubling from 1ms up to 100ms (about two seconds in all).
const (
	maxAttempts = 30
	minBackoff  = time.Millisecond
	maxBackoff  = 100 * time.Millisecond
)

// Coordinator runs cross-shard transactions.
type Coordinator struct {
	opts      Options
	timeoutMs int64
	// seq numbers transactions and reads. It starts at the start time in
	// microseconds, so ids stay unique across restarts of a proxy with a
	// fixed ID while a primary may still remember an old decision.
	seq      atomic.Uint64
	bg       sync.WaitGroup
	couriers sync.Map // *backend.Pool -> *courier
	// stopping is set by Wait: deliveries that fail are not retried.
	stopping atomic.Bool
}

// New returns a Coordinator.
func New(o Options) *Coordinator {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	co := &Coordinator{opts: o, timeoutMs: max(o.Timeout.Milliseconds(), 1)}
	co.seq.Store(uint64(time.Now().UnixMicro()))
	return co
}

// Part is what one participant shard writes.
type Part struct {
	Pool *backend.Pool
	// Args are the shard's keys (DEL, UNLINK) or key-value pairs (MSET,
	// MSETNX), in the command's order; they may alias the client's
	// request, which Run does not keep.
	Args [][]byte
}

// outcome is how one attempt ended.
type outcome int

const (
	committed outcome = iota
	// refused: nothing was written and the reply is final (MSETNX found
	// a key, a shard answered an error or was unreachable).
	refused
	// conflict: nothing was written; try again with a new id.
	conflict
	// unknown: a participant's answer was lost and so was every abort.
	unknown
)

// A Pending is a committed transaction whose COMMIT messages (or a read
// whose UNLOCKs) are still on their way to the shards: done is closed
// once every participant applied them (or the coordinator left the rest
// to the shards).
type Pending struct{ done chan struct{} }

// Run runs op (twopc.OpMSET, OpMSETNX, OpDEL or OpUNLINK) across parts,
// whose first is the primary (the shard of the command's first key), and
// returns the client's reply: what one Redis would answer, or an error
// that says that nothing was written (conflicts persisted, a shard
// refused or was unreachable) or that the outcome is unknown. seed picks
// the control connections, so one session's messages to a shard keep
// their order.
//
// A committed transaction also returns its Pending. The session passes
// its last one as prev: a conflict then waits for prev's commits before
// trying again, since a client that writes the same keys twice in a row
// would otherwise find them still locked by its own first write.
func (co *Coordinator) Run(ctx context.Context, op string, parts []Part, seed uint64, prev *Pending) ([]byte, *Pending) {
	start := time.Now()
	m := co.opts.Metrics
	m.TxStarted()
	conns := make([]*backend.Conn, len(parts))
	for i, p := range parts {
		conns[i] = p.Pool.Control(seed)
	}
	for attempt := 1; ; attempt++ {
		o, out, pending := co.attempt(op, parts, conns)
		switch o {
		case committed:
			m.TxDone(metrics.TxCommitted, time.Since(start))
			return out, pending
		case refused:
			m.TxDone(metrics.TxAborted, time.Since(start))
			return out, nil
		case unknown:
			m.TxDone(metrics.TxUnknown, time.Since(start))
			return out, nil
		}
		if prev != nil {
			select {
			case <-prev.done:
				prev = nil
				attempt-- // the session's own write was in the way
				m.TxRetry()
				continue
			case <-ctx.Done():
			}
		}
		if attempt == maxAttempts || !sleep(ctx, jitter(min(minBackoff<<(attempt-1), maxBackoff))) {
			m.TxDone(metrics.TxAborted, time.Since(start))
			return resp.AppendError(nil, fmt.Sprintf("%s the keys stayed locked by other cross-shard transactions; gave up after %d attempts, nothing was written", twopc.ErrConflict, attempt)), nil
		}
		m.TxRetry()
	}
}

// attempt runs one transaction with a new id. The transaction commits
// once every participant prepared it: the reply goes to the client then,
// and couriers carry the COMMITs (docs/twopc.md).
func (co *Coordinator) attempt(op string, parts []Part, conns []*backend.Conn) (outcome, []byte, *Pending) {
	id := co.newID("")
	secondaries := make([]string, len(parts)-1)
	for i, p := range parts[1:] {
		secondaries[i] = p.Pool.Addr
	}
	// One buffer for all the PREPAREs, reused: Send copies them.
	cmds := make([][]byte, len(parts))
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := (*bp)[:0]
	for i, p := range parts {
		pa := twopc.PrepareArgs{TxID: id, TimeoutMs: co.timeoutMs, Op: op, Args: p.Args}
		if i > 0 {
			pa.Primary = parts[0].Pool.Addr
		} else {
			pa.Secondaries = secondaries
		}
		start := len(buf)
		buf = twopc.AppendPrepare(buf, &pa)
		cmds[i] = buf[start:len(buf):len(buf)]
	}
	*bp = buf
	var (
		sum      int64
		fail     []byte
		exists   bool // MSETNX: a key exists on some shard
		busy     bool // a key is locked by another transaction
		refusal  bool // some participant surely did not prepare
		prepared = make([]bool, len(parts))
	)
	for i, r := range backend.SendAll(conns, cmds).Wait() {
		n, ok := reply.Int(r)
		switch code := reply.ErrCode(r); {
		case ok && op == twopc.OpMSETNX && n > 0:
			exists, refusal = true, true
		case ok:
			sum += n
			prepared[i] = true
		case code == twopc.ErrConflict || code == twopc.ErrAborted:
			// TXABORTED: the primary already settled this id, having
			// asked this shard while the PREPARE was late.
			busy, refusal = true, true
		case code == "CLUSTERDOWN":
			// Lost on the way or unsent: it may have prepared.
			prepared[i] = true
			if fail == nil {
				fail = r
			}
		default:
			refusal = true
			if fail == nil {
				fail = r
				if !reply.IsError(r) {
					fail = unexpected(parts[i].Pool, twopc.Prepare, r)
				}
			}
		}
	}
	if fail == nil && !exists && !busy {
		pending := co.deliver(id, parts)
		switch op {
		case twopc.OpMSET:
			return committed, []byte("+OK\r\n"), pending
		case twopc.OpMSETNX:
			return committed, resp.AppendInt(nil, 1), pending
		}
		return committed, resp.AppendInt(nil, sum), pending
	}
	if !co.abort(id, conns, prepared, refusal) {
		co.opts.Logger.Warn("transaction outcome unknown: shards unreachable at prepare and at abort", "txid", id)
		why, _ := reply.Str(fail)
		return unknown, resp.AppendError(nil, fmt.Sprintf(
			"TRYAGAIN the outcome of the transaction is unknown (%s); the shards will settle it, all or nothing", why)), nil
	}
	switch {
	case fail != nil:
		return refused, fail, nil
	case exists:
		return refused, resp.AppendInt(nil, 0), nil
	}
	return conflict, nil, nil
}

// bufPool holds buffers for encoding messages that Send copies.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// abort sends ABORT to the participants that prepared or may have (their
// answer was lost): it frees their locks and makes a shard that never
// saw the PREPARE refuse it if it arrives late. A transaction that some
// participant surely did not prepare can never commit, so then the
// ABORTs need no answer; otherwise abort waits for them and reports
// whether one was applied, which is what settles the outcome. The ABORTs
// go on the session's control connections, ahead of its next PREPARE.
func (co *Coordinator) abort(id string, conns []*backend.Conn, prepared []bool, refusal bool) bool {
	cmd := twopc.AppendTxCommand(nil, twopc.Abort, id)
	var to []*backend.Conn
	for i, c := range conns {
		if prepared[i] {
			to = append(to, c)
		}
	}
	if refusal {
		for _, c := range to {
			c.Send(backend.Ignore, cmd)
		}
		for i, c := range to {
			if !slices.Contains(to[:i], c) {
				c.Flush()
			}
		}
		return true
	}
	cmds := make([][]byte, len(to))
	for i := range cmds {
		cmds[i] = cmd
	}
	for _, r := range backend.SendAll(to, cmds).Wait() {
		if string(r) == "+OK\r\n" {
			return true
		}
	}
	return false
}

// ReadID returns a new id for a cross-shard read's shared locks.
func (co *Coordinator) ReadID() string { return co.newID("r") }

// TimeoutMs is the transaction timeout in milliseconds.
func (co *Coordinator) TimeoutMs() int64 { return co.timeoutMs }

// ReadLockTTLMs is how long, in milliseconds, a shard keeps a cross-shard
// read's shared locks if neither its UNLOCK nor the close of the
// connection that took them comes: a safety net only. It must be longer
// than any read can take, since a lock that expired under a read still
// waiting on another shard would let a transaction in between.
const ReadLockTTLMs = 60_000

// Wait waits for the background work: the couriers' deliveries, which
// from now on are not retried when they fail (the shards settle what is
// left by themselves).
func (co *Coordinator) Wait() {
	co.stopping.Store(true)
	co.bg.Wait()
}

func (co *Coordinator) newID(kind string) string {
	return co.opts.ProxyID + "-" + kind + strconv.FormatUint(co.seq.Add(1), 10)
}

func unexpected(p *backend.Pool, cmd string, r []byte) []byte {
	return resp.AppendError(nil, fmt.Sprintf("ERR unexpected reply to %s from shard %s (%s): %.64q", cmd, p.ID, p.Addr, r))
}

// jitter returns a duration in [d/2, d].
func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }

// sleep waits for d; it reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
