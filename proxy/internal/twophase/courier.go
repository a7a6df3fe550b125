package twophase

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/twopc"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/reply"
)

// Delivery of commits. A transaction every participant prepared has
// committed; what is left is telling the shards, in an order that keeps
// recovery sound: the primary first (from then on it keeps the decision
// for whoever asks), then the secondaries, then FORGET to the primary. A
// secondary must never apply a commit the primary has not recorded: a
// primary that recovers by asking its secondaries would take one that
// committed and forgot for one that never prepared.
//
// Each shard has a courier that sends the messages queued for it as one
// multi-id COMMIT, FORGET and UNLOCK per round trip, so under load a
// message carries those of many transactions and reads, and at rest each
// goes out at once.

// Delivery retries: a round that fails (the shard unreachable) is sent
// again after deliveryBackoff, doubling, up to deliveryTries times (about
// 1.3s in all); then the shards settle the transaction by themselves.
const (
	deliveryTries   = 8
	deliveryBackoff = 10 * time.Millisecond
	// maxBatch bounds the ids of one message.
	maxBatch = 512
)

// delivery is one committed transaction on its way to the shards.
type delivery struct {
	id          string
	primary     *courier
	secondaries []*courier
	// left counts the secondaries yet to answer their COMMIT; lost is
	// set when one did not apply it (the primary must then keep the
	// decision for it to ask).
	left    atomic.Int32
	lost    atomic.Bool
	pending *Pending
}

// item is one message for one transaction or read, queued on a courier.
type item struct {
	cmd string // twopc.Commit, Forget or Unlock
	id  string
	// then takes the shard's answer (nil: none came); it runs on the
	// courier's goroutine.
	then  func(r []byte)
	tries int
}

// courier carries decisions to one shard.
type courier struct {
	co   *Coordinator
	conn *backend.Conn

	mu      sync.Mutex
	queue   []item
	running bool // a goroutine is sending; it also sends what is queued meanwhile
}

// deliver starts the delivery of committed transaction id to parts.
func (co *Coordinator) deliver(id string, parts []Part) *Pending {
	d := &delivery{id: id, pending: &Pending{done: make(chan struct{})}}
	d.primary = co.courier(parts[0].Pool)
	for _, p := range parts[1:] {
		d.secondaries = append(d.secondaries, co.courier(p.Pool))
	}
	d.primary.add(item{cmd: twopc.Commit, id: id, then: d.primaryAnswered})
	return d.pending
}

// primaryAnswered takes the primary's answer to COMMIT.
func (d *delivery) primaryAnswered(r []byte) {
	if string(r) != "+OK\r\n" {
		if r != nil {
			d.primary.co.opts.Logger.Error("primary shard refused to commit a transaction every participant prepared",
				"txid", d.id, "reply", string(r))
		}
		close(d.pending.done) // the secondaries will ask the primary
		return
	}
	d.left.Store(int32(len(d.secondaries)))
	if len(d.secondaries) == 0 {
		close(d.pending.done)
		d.primary.add(item{cmd: twopc.Forget, id: d.id, then: func([]byte) {}})
		return
	}
	for _, s := range d.secondaries {
		s.add(item{cmd: twopc.Commit, id: d.id, then: d.secondaryAnswered})
	}
}

// secondaryAnswered takes a secondary's answer to COMMIT; after the last
// one, FORGET goes to the primary.
func (d *delivery) secondaryAnswered(r []byte) {
	// TXUNKNOWN: the secondary settled the transaction by itself, having
	// asked the primary.
	if string(r) != "+OK\r\n" && reply.ErrCode(r) != twopc.ErrUnknown {
		d.lost.Store(true)
	}
	if d.left.Add(-1) == 0 {
		close(d.pending.done)
		if !d.lost.Load() {
			d.primary.add(item{cmd: twopc.Forget, id: d.id, then: func([]byte) {}})
		}
	}
}

// Unlock releases the shared locks of read id on pools, through the
// couriers. The returned Pending is done once every shard answered.
func (co *Coordinator) Unlock(id string, pools []*backend.Pool) *Pending {
	p := &Pending{done: make(chan struct{})}
	var left atomic.Int32
	left.Store(int32(len(pools)))
	for _, pool := range pools {
		co.courier(pool).add(item{cmd: twopc.Unlock, id: id, then: func([]byte) {
			if left.Add(-1) == 0 {
				close(p.done)
			}
		}})
	}
	return p
}

// courier returns the courier of pool p.
func (co *Coordinator) courier(p *backend.Pool) *courier {
	if c, ok := co.couriers.Load(p); ok {
		return c.(*courier)
	}
	c, _ := co.couriers.LoadOrStore(p, &courier{co: co, conn: p.Control(0)})
	return c.(*courier)
}

func (c *courier) add(it item) {
	c.mu.Lock()
	c.queue = append(c.queue, it)
	start := !c.running
	c.running = true
	c.mu.Unlock()
	if start {
		c.co.bg.Go(c.run)
	}
}

// run sends rounds until nothing is queued.
func (c *courier) run() {
	var retry []item
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxBatch-len(retry))
		if n == 0 && len(retry) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		batch := append(retry, c.queue[:n]...)
		c.queue = append(c.queue[:0], c.queue[n:]...)
		c.mu.Unlock()
		retry = c.send(batch)
		if len(retry) > 0 {
			time.Sleep(deliveryBackoff << (retry[0].tries - 1))
		}
	}
}

// send sends one round: one message per command for the batch's items.
// It returns the items to send again.
func (c *courier) send(batch []item) (retry []item) {
	var groups [][]item
	for _, it := range batch {
		g := slices.IndexFunc(groups, func(g []item) bool { return g[0].cmd == it.cmd })
		if g < 0 {
			groups = append(groups, nil)
			g = len(groups) - 1
		}
		groups[g] = append(groups[g], it)
	}
	conns := make([]*backend.Conn, len(groups))
	cmds := make([][]byte, len(groups))
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := (*bp)[:0]
	var ids []string
	for gi, g := range groups {
		ids = ids[:0]
		for _, it := range g {
			ids = append(ids, it.id)
		}
		conns[gi] = c.conn
		start := len(buf)
		buf = twopc.AppendTxBatch(buf, g[0].cmd, ids)
		cmds[gi] = buf[start:len(buf):len(buf)]
	}
	*bp = buf
	for gi, r := range backend.SendAll(conns, cmds).Wait() {
		for i, ir := range splitReplies(r, len(groups[gi])) {
			it := groups[gi][i]
			if reply.ErrCode(ir) != "CLUSTERDOWN" {
				it.then(ir)
				continue
			}
			it.tries++
			if it.tries < deliveryTries && !c.co.stopping.Load() {
				retry = append(retry, it)
				continue
			}
			c.co.opts.Logger.Warn("giving up delivering a message; the shards will settle what it was for",
				"id", it.id, "message", it.cmd, "reply", string(ir))
			c.co.opts.Metrics.TxGivenUp()
			it.then(nil)
		}
	}
	return retry
}

// splitReplies returns the answer for each of n ids of one message: the
// elements of its array reply, or the reply itself for every id when it
// is not one (a single id, or an error about the whole message).
func splitReplies(r []byte, n int) [][]byte {
	out := make([][]byte, n)
	cnt, off, isArray := reply.ArrayHeader(r)
	if n == 1 || !isArray || cnt != n {
		for i := range out {
			out[i] = r
		}
		return out
	}
	for i := range out {
		end, err := reply.Skip(r, off)
		if err != nil {
			out[i] = r
			continue
		}
		out[i] = r[off:end]
		off = end
	}
	return out
}
