package session

import (
	"sync"
	"time"

	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/metrics"
)

// call is one request's place in the reply order. Calls are pooled: one
// is taken per request and given back once its reply is in the output
// buffer, so the common request allocates nothing.
type call struct {
	s *Session
	// reply is the reply when the proxy makes it (local commands, merged
	// fan-outs, errors).
	reply []byte
	// subs are the requests to shards; the reply is subs[0]'s when there is
	// one and no merge.
	subs []sub
	// left counts the subs still without a reply (guarded by s.omu).
	left int
	// merge, if set, builds the reply from the subs' replies.
	merge func(c *call) []byte
	// mget, for an MGET across shards, is each key's group (sub index).
	mget []uint16
	// pools are the shards of a fan-out over keys, one per sub.
	pools []*backend.Pool
	// readID, if set, names the shared locks that the subs (SHARDIS.LOCKREAD)
	// take on the shards in pools; released once every sub is answered.
	readID string
	// ready: the reply is final (guarded by s.omu).
	ready bool
	// quit closes the connection after the reply.
	quit bool
	// keep: the call is referenced after it is written (a blocking call),
	// so it is not pooled.
	keep bool
	// done, if set, is closed when the reply is ready (blocking calls).
	done chan struct{}
	// drop names a pool whose dedicated connection broke.
	drop  *backend.Pool
	start time.Time
	cmd   *metrics.Cmd
}

// sub is one request of a call to a shard. It is the backend.Waiter of
// that request.
type sub struct {
	c     *call
	conn  *backend.Conn
	cmd   []byte // the encoded command
	reply []byte // a copy of the shard's reply, unless it went straight out
}

var callPool = sync.Pool{New: func() any { return new(call) }}

// maxPooledBuf bounds the buffers a pooled call keeps.
const maxPooledBuf = 16 * 1024

func (s *Session) newCall() *call {
	c := callPool.Get().(*call)
	c.s = s
	return c
}

// release gives c back to the pool.
func (c *call) release() {
	if c.keep {
		return
	}
	c.s = nil
	c.reply = trimBuf(c.reply)
	for i := range c.subs {
		u := &c.subs[i]
		u.c, u.conn = nil, nil
		u.cmd = trimBuf(u.cmd)
		u.reply = trimBuf(u.reply)
	}
	c.subs = c.subs[:0]
	c.left = 0
	c.merge = nil
	c.mget = c.mget[:0]
	clear(c.pools)
	c.pools = c.pools[:0]
	c.readID = ""
	c.ready, c.quit = false, false
	c.done, c.drop = nil, nil
	c.start, c.cmd = time.Time{}, nil
	callPool.Put(c)
}

func trimBuf(b []byte) []byte {
	if cap(b) > maxPooledBuf {
		return nil
	}
	return b[:0]
}

// addSub adds a request to conn and returns its index; the caller fills
// in subs[i].cmd. Pointers into subs are valid once every sub is added.
func (c *call) addSub(conn *backend.Conn) int {
	if len(c.subs) < cap(c.subs) {
		c.subs = c.subs[:len(c.subs)+1]
	} else {
		c.subs = append(c.subs, sub{})
	}
	i := len(c.subs) - 1
	c.subs[i].c, c.subs[i].conn = c, conn
	return i
}

// output returns the reply to write.
func (c *call) output() []byte {
	if len(c.subs) == 1 && c.merge == nil {
		return c.subs[0].reply
	}
	return c.reply
}

// Reply receives the shard's reply (backend.Waiter).
func (u *sub) Reply(raw []byte) backend.Flusher {
	return u.c.s.subReply(u, raw)
}

// callQueue is the FIFO of calls not written yet.
type callQueue struct {
	buf        []*call
	head, size int
}

func (q *callQueue) len() int { return q.size }

func (q *callQueue) front() *call {
	if q.size == 0 {
		return nil
	}
	return q.buf[q.head]
}

func (q *callQueue) push(c *call) {
	if q.size == len(q.buf) {
		nb := make([]*call, max(2*len(q.buf), 16))
		n := copy(nb, q.buf[q.head:])
		copy(nb[n:], q.buf[:q.head])
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = c
	q.size++
}

func (q *callQueue) pop() {
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.size--
}
