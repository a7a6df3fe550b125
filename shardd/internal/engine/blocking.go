package engine

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/slot"
)

// Blocking commands (BLPOP, BLMOVE, BZPOPMIN, ...). A blocking handler
// first tries to serve itself like its non-blocking twin. When it cannot,
// it calls x.block, which registers the client as a waiter on its keys
// while the dispatcher still holds the keys' locks (so no push can slip
// between the failed attempt and the registration), and the connection's
// goroutine then waits, without locks, for a reply, its timeout or its
// client's disconnection.
//
// A write that changes a key somebody waits on marks the key ready. After
// the command that did it (after EXEC, for a push inside a transaction),
// the writer's goroutine serves the ready keys: for each key, the waiters
// in the order they blocked, each running its own command on the waiter's
// behalf under the usual locks, until one would block again. A waiter is
// claimed with a compare-and-swap before its command runs, so a client
// that times out or disconnects at that moment is either served (and gets
// the reply) or not served at all: no element is popped for nobody.

type waiterState int32

const (
	waiting waiterState = iota
	serving
	served
	cancelled
)

// waiter is a client blocked in a command.
type waiter struct {
	s     *Session
	spec  *command.Spec
	h     handler
	args  [][]byte // copies
	db    int
	proto int
	ids   []watchID
	// nullArray selects the timeout reply: a null array (BLPOP) or a null
	// bulk string (BLMOVE).
	nullArray bool
	state     atomic.Int32
	reply     []byte        // set before done is closed when served
	done      chan struct{} // closed once served
}

// blockRegistry holds the waiters per key and the keys made ready.
type blockRegistry struct {
	n     atomic.Int64 // registered waiters, so writes skip this when none
	ready atomic.Bool  // some key is ready
	// serving is held by the goroutine serving ready keys, one at a time,
	// so that waiters are served strictly in the order they blocked.
	serving sync.Mutex
	mu      sync.Mutex // guards by and readyKeys
	by      map[watchID][]*waiter
	// readyKeys are keys with waiters that changed, in change order.
	readyKeys []watchID
}

// blockReq is what a blocking handler asks for when it must wait.
type blockReq struct {
	keys      [][]byte
	timeout   time.Duration // 0 = forever
	nullArray bool
}

// parseTimeout parses a blocking command's timeout in seconds (fractions
// allowed; 0 means forever) as Redis 7.0 does.
func parseTimeout(b []byte) (time.Duration, error) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || len(b) == 0 || b[0] == ' ' {
		return 0, simpleError("ERR timeout is not a float or out of range")
	}
	if f < 0 {
		return 0, simpleError("ERR timeout is negative")
	}
	if f*1000 > float64(math.MaxInt64/int64(time.Millisecond)) {
		return 0, simpleError("ERR timeout is out of range")
	}
	return time.Duration(f * float64(time.Second)), nil
}

// block makes the command wait for keys: inside EXEC, or while being
// served on behalf of a waiter, it answers the timeout reply at once or
// reports that the waiter must keep waiting; otherwise it registers the
// client as a waiter and the dispatcher waits once the locks are released.
func (x *Ctx) block(keys [][]byte, timeout time.Duration, nullArray bool) {
	switch {
	case x.serving:
		x.wouldBlock = true
	case x.inExec:
		if nullArray {
			x.r.NullArray()
		} else {
			x.r.Null()
		}
	default:
		x.blocked = &blockReq{keys: keys, timeout: timeout, nullArray: nullArray}
		x.e.register(x)
	}
}

// register adds x's client as a waiter on its keys. Called with the keys'
// slots locked.
func (e *Engine) register(x *Ctx) {
	w := &waiter{
		s: x.s, spec: x.spec, db: x.s.db, proto: x.s.proto,
		nullArray: x.blocked.nullArray, done: make(chan struct{}),
	}
	w.args = make([][]byte, len(x.args))
	for i, a := range x.args {
		w.args[i] = append([]byte(nil), a...)
	}
	w.h = e.handlers[x.spec]
	r := &e.blocked
	r.mu.Lock()
	if r.by == nil {
		r.by = make(map[watchID][]*waiter)
	}
	for _, k := range x.blocked.keys {
		id := watchID{w.db, string(k)}
		if !containsID(w.ids, id) {
			w.ids = append(w.ids, id)
			r.by[id] = append(r.by[id], w)
		}
	}
	r.mu.Unlock()
	r.n.Add(1)
	x.waiter = w
}

func containsID(ids []watchID, id watchID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// unregister removes w from every key it waits on.
func (e *Engine) unregister(w *waiter) {
	r := &e.blocked
	r.mu.Lock()
	for _, id := range w.ids {
		q := r.by[id]
		for i, o := range q {
			if o == w {
				q = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(r.by, id)
		} else {
			r.by[id] = q
		}
	}
	r.mu.Unlock()
	r.n.Add(-1)
}

// signalReady marks key ready if somebody waits on it. Called by writers
// with the key's slot locked.
func (e *Engine) signalReady(db int, key []byte) {
	r := &e.blocked
	if r.n.Load() == 0 {
		return
	}
	id := watchID{db, string(key)}
	r.mu.Lock()
	if len(r.by[id]) > 0 && !containsID(r.readyKeys, id) {
		r.readyKeys = append(r.readyKeys, id)
		r.ready.Store(true)
	}
	r.mu.Unlock()
}

// wait blocks the connection's goroutine until x's waiter is served, times
// out or its client disconnects, and writes the outcome to x's reply.
func (e *Engine) wait(x *Ctx) {
	w := x.waiter
	s := x.s
	s.blocked.Store(true)
	defer s.blocked.Store(false)
	// A key may have become ready between registration and now (another
	// client pushed as soon as the locks were released); serving ready
	// keys here covers the case where that client's goroutine is still
	// busy.
	e.serveReady()
	var timeout <-chan time.Time
	if d := x.blocked.timeout; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	var gone <-chan struct{}
	if s.probe != nil {
		g, stop := s.probe()
		defer stop()
		gone = g
	}
	select {
	case <-w.done:
	case <-timeout:
	case <-gone:
	}
	if w.state.CompareAndSwap(int32(waiting), int32(cancelled)) {
		e.unregister(w)
		if w.nullArray {
			x.r.NullArray()
		} else {
			x.r.Null()
		}
		return
	}
	<-w.done // being served right now: the reply is on its way
	x.r.Raw(w.reply)
}

// serveReady serves the waiters of every ready key, in blocking order,
// until none is ready. It must be called without slot locks.
func (e *Engine) serveReady() {
	r := &e.blocked
	if !r.ready.Load() {
		return
	}
	r.serving.Lock()
	defer r.serving.Unlock()
	for r.ready.Load() {
		r.mu.Lock()
		if len(r.readyKeys) == 0 {
			r.ready.Store(false)
			r.mu.Unlock()
			return
		}
		id := r.readyKeys[0]
		r.readyKeys = r.readyKeys[1:]
		r.mu.Unlock()
		e.serveKey(id)
	}
}

// serveKey serves the waiters of one key until one would block again.
func (e *Engine) serveKey(id watchID) {
	r := &e.blocked
	for {
		r.mu.Lock()
		var w *waiter
		for _, o := range r.by[id] {
			if waiterState(o.state.Load()) == waiting {
				w = o
				break
			}
		}
		r.mu.Unlock()
		if w == nil || !w.state.CompareAndSwap(int32(waiting), int32(serving)) {
			if w == nil {
				return
			}
			continue // cancelled just now; look again
		}
		reply := Reply{proto: w.proto}
		sx := Ctx{
			e: e, s: w.s, r: &reply, args: w.args, spec: w.spec,
			db: e.ks.DB(w.db), now: time.Now().UnixMilli(), write: w.spec.IsWrite(), serving: true,
		}
		e.run(&sx, w.h)
		if sx.wouldBlock || (len(reply.b) > 0 && reply.b[0] == '-' && !migrate.IsWrongShardReply(reply.b)) {
			// Nothing for it after all (another waiter took it, or the
			// key changed type): it keeps waiting. A refusal (its slot
			// was just taken away; see wakeUnserved) is its answer.
			w.state.Store(int32(waiting))
			return
		}
		e.afterChanges(&sx)
		e.unregister(w)
		w.reply = reply.b
		w.state.Store(int32(served))
		close(w.done)
	}
}

// wakeUnserved answers the clients blocked on a key of a slot t does not
// serve (SETSLOTS just took it away) with the refusal, so that the proxy
// re-runs their command where the key lives now. A waiter being served at
// this moment is left to serveKey, whose run of its command meets the
// fence and delivers the same refusal.
func (e *Engine) wakeUnserved(t *migrate.Table) {
	r := &e.blocked
	if r.n.Load() == 0 {
		return
	}
	type hit struct {
		w    *waiter
		slot int
	}
	var hits []hit
	r.mu.Lock()
	for id, ws := range r.by {
		if s := slot.OfString(id.key); !t.Slots[s].Serves() {
			for _, w := range ws {
				hits = append(hits, hit{w, s})
			}
		}
	}
	r.mu.Unlock()
	for _, h := range hits {
		// A waiter on several keys is listed once per key: the first
		// claim wins.
		w := h.w
		if !w.state.CompareAndSwap(int32(waiting), int32(serving)) {
			continue
		}
		e.unregister(w)
		reply := Reply{proto: w.proto}
		reply.Error(migrate.WrongShard(t.Version, h.slot))
		w.reply = reply.b
		w.state.Store(int32(served))
		close(w.done)
	}
}
