package twophase

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
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

// Retry policy. Conflicts: up to maxAttempts attempts with a jittered
// backoff doubling from 1ms up to 100ms (about two seconds in all). Lost
// commit replies: up to statusTries TXSTATUS questions, 10ms doubling
// (about 600ms, long enough for a connection to come back).
const (
	maxAttempts    = 30
	minBackoff     = time.Millisecond
	maxBackoff     = 100 * time.Millisecond
	statusTries    = 6
	statusInterval = 10 * time.Millisecond
)

// Coordinator runs cross-shard transactions.
type Coordinator struct {
	opts      Options
	timeoutMs int64
	// seq numbers transactions and reads. It starts at the start time in
	// microseconds, so ids stay unique across restarts of a proxy with a
	// fixed ID while a primary may still remember an old decision.
	seq atomic.Uint64
	bg  sync.WaitGroup
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
	// unknown: the primary could not be reached at the commit step.
	unknown
)

// Run runs op (twopc.OpMSET, OpMSETNX, OpDEL or OpUNLINK) across parts,
// whose first is the primary (the shard of the command's first key), and
// returns the client's reply: what one Redis would answer, or an error
// that says that nothing was written (conflicts persisted, a shard
// refused or was unreachable) or that the outcome is unknown. seed picks
// the control connections, so one session's messages to a shard keep
// their order.
func (co *Coordinator) Run(ctx context.Context, op string, parts []Part, seed uint64) []byte {
	start := time.Now()
	m := co.opts.Metrics
	m.TxStarted()
	conns := make([]*backend.Conn, len(parts))
	for i, p := range parts {
		conns[i] = p.Pool.Control(seed)
	}
	for attempt := 1; ; attempt++ {
		o, out := co.attempt(ctx, op, parts, conns)
		switch o {
		case committed:
			m.TxDone(metrics.TxCommitted, time.Since(start))
			return out
		case refused:
			m.TxDone(metrics.TxAborted, time.Since(start))
			return out
		case unknown:
			m.TxDone(metrics.TxUnknown, time.Since(start))
			return out
		}
		if attempt == maxAttempts || !sleep(ctx, jitter(min(minBackoff<<(attempt-1), maxBackoff))) {
			m.TxDone(metrics.TxAborted, time.Since(start))
			return resp.AppendError(nil, fmt.Sprintf("%s the keys stayed locked by other cross-shard transactions; gave up after %d attempts, nothing was written", twopc.ErrConflict, attempt))
		}
		m.TxRetry()
	}
}

// attempt runs one transaction with a new id.
func (co *Coordinator) attempt(ctx context.Context, op string, parts []Part, conns []*backend.Conn) (outcome, []byte) {
	id := co.newID("")
	cmds := make([][]byte, len(parts))
	for i, p := range parts {
		pa := twopc.PrepareArgs{TxID: id, TimeoutMs: co.timeoutMs, Op: op, Args: p.Args}
		if i > 0 {
			pa.Primary = parts[0].Pool.Addr
		}
		cmds[i] = twopc.AppendPrepare(nil, &pa)
	}
	var (
		sum    int64
		fail   []byte
		exists bool // MSETNX: a key exists on some shard
		busy   bool // a key is locked by another transaction
	)
	for i, r := range backend.SendAll(conns, cmds).Wait() {
		n, ok := reply.Int(r)
		switch {
		case ok:
			sum += n
			exists = exists || op == twopc.OpMSETNX && n > 0
		case reply.ErrCode(r) == twopc.ErrConflict:
			busy = true
		case fail == nil && reply.IsError(r):
			fail = r
		case fail == nil:
			fail = unexpected(parts[i].Pool, twopc.Prepare, r)
		}
	}
	if fail != nil || exists || busy {
		// Every participant, also those that refused or did not answer:
		// the ABORT frees locks of a PREPARE whose reply was lost, and
		// makes a primary refuse such a PREPARE if it arrives late.
		co.decide(id, twopc.Abort, conns, conns[0])
		switch {
		case fail != nil:
			return refused, fail
		case exists:
			return refused, resp.AppendInt(nil, 0)
		}
		return conflict, nil
	}
	switch co.commit(ctx, id, conns[0]) {
	case conflict: // the primary aborted it (its timeout passed)
		co.decide(id, twopc.Abort, conns[1:], conns[0])
		return conflict, nil
	case unknown:
		// The secondaries keep their locks and ask the primary once
		// their timeout passes: aborting them could break atomicity.
		co.opts.Logger.Warn("transaction outcome unknown: primary shard unreachable at commit",
			"txid", id, "primary", parts[0].Pool.ID, "addr", parts[0].Pool.Addr)
		return unknown, resp.AppendError(nil, fmt.Sprintf(
			"TRYAGAIN the outcome of the transaction is unknown (primary shard %s unreachable at commit); the shards will settle it, all or nothing",
			parts[0].Pool.ID))
	}
	co.decide(id, twopc.Commit, conns[1:], conns[0])
	switch op {
	case twopc.OpMSET:
		return committed, []byte("+OK\r\n")
	case twopc.OpMSETNX:
		return committed, resp.AppendInt(nil, 1)
	}
	return committed, resp.AppendInt(nil, sum)
}

// commit sends COMMIT to the primary and returns committed, conflict
// (the primary aborted the transaction) or unknown. When the reply is
// lost it asks the primary for its decision a few times, and sends the
// COMMIT again while the primary reports the transaction still prepared.
func (co *Coordinator) commit(ctx context.Context, id string, primary *backend.Conn) outcome {
	commitCmd := twopc.AppendTxCommand(nil, twopc.Commit, id)
	r := primary.Do(commitCmd)
	for try := 0; ; try++ {
		if string(r) == "+OK\r\n" {
			return committed
		}
		switch reply.ErrCode(r) {
		case twopc.ErrAborted, twopc.ErrUnknown:
			return conflict
		}
		if try == statusTries || !sleep(ctx, statusInterval<<try) {
			return unknown
		}
		st := primary.Do(twopc.AppendTxCommand(nil, twopc.Status, id))
		if reply.IsError(st) {
			r = st
			continue
		}
		s, _ := reply.Str(st)
		switch string(s) {
		case twopc.StatusCommitted:
			return committed
		case twopc.StatusAborted:
			return conflict
		case twopc.StatusPrepared:
			r = primary.Do(commitCmd)
		default:
			r = st
		}
	}
}

// decide sends the decision cmd (COMMIT or ABORT) for id to conns at
// once, and once every one of them has applied it, FORGET to the primary
// so that it drops the decision it keeps for participants that might ask.
// If some did not answer, the primary keeps it: they will ask.
func (co *Coordinator) decide(id, cmd string, conns []*backend.Conn, primary *backend.Conn) {
	c := twopc.AppendTxCommand(nil, cmd, id)
	cmds := make([][]byte, len(conns))
	for i := range cmds {
		cmds[i] = c
	}
	g := backend.SendAll(conns, cmds)
	co.bg.Go(func() {
		for _, r := range g.Wait() {
			// TXUNKNOWN: the participant holds nothing for id any more;
			// it settled the transaction by itself (asking the primary).
			if string(r) != "+OK\r\n" && reply.ErrCode(r) != twopc.ErrUnknown {
				co.opts.Logger.Debug("transaction decision not applied by a participant", "txid", id, "decision", cmd, "reply", string(r))
				return
			}
		}
		primary.Send(backend.Ignore, twopc.AppendTxCommand(nil, twopc.Forget, id))
		primary.Flush()
	})
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

// Unlock releases the shared locks of read id on pools. The UNLOCKs are
// queued on the control connections at once (so a transaction the same
// session starts next finds the locks gone) and written by a goroutine,
// so a shard connection's reader, which completes the read, never blocks
// on a write.
func (co *Coordinator) Unlock(id string, pools []*backend.Pool, seed uint64) {
	cmd := twopc.AppendTxCommand(nil, twopc.Unlock, id)
	conns := make([]*backend.Conn, len(pools))
	for i, p := range pools {
		conns[i] = p.Control(seed)
		conns[i].Send(backend.Ignore, cmd)
	}
	co.bg.Go(func() {
		for _, c := range conns {
			c.Flush()
		}
	})
}

// Wait waits for the background work: the replies to decisions (each
// ends by the shard's answer or when its connection fails or is closed).
func (co *Coordinator) Wait() { co.bg.Wait() }

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
