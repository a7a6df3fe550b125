package backend

import (
	"sync"
	"sync/atomic"
)

// Pool holds the multiplexed connections to one shard.
type Pool struct {
	ID, Addr string
	opts     *Options

	resp2 []*Conn
	resp3 atomic.Pointer[[]*Conn] // made on first use
	// control carries only the two-phase commit's messages (see Control);
	// made on first use.
	control atomic.Pointer[[]*Conn]

	mu     sync.Mutex // guards making resp3 and control, and closed
	closed bool
}

// NewPool returns a pool for shard id at addr and connects its RESP2
// connections.
func NewPool(id, addr string, opts *Options) *Pool {
	opts.defaults()
	p := &Pool{ID: id, Addr: addr, opts: opts}
	p.resp2 = p.dialAll(2)
	return p
}

func (p *Pool) dialAll(proto int) []*Conn {
	cs := make([]*Conn, p.opts.ConnsPerShard)
	for i := range cs {
		cs[i] = newConn(p.ID, p.Addr, proto, p.opts)
	}
	return cs
}

// lazy returns the connections in set, making them on first use.
func (p *Pool) lazy(set *atomic.Pointer[[]*Conn], proto int) []*Conn {
	if cs := set.Load(); cs != nil {
		return *cs
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if set.Load() == nil && !p.closed {
		cs := p.dialAll(proto)
		set.Store(&cs)
	}
	if cs := set.Load(); cs != nil {
		return *cs
	}
	// Closed before first use: these are closed too and fail every
	// request at once.
	return p.resp2
}

// Options returns the options the pool's connections use.
func (p *Pool) Options() *Options { return p.opts }

// Conn returns the connection a session with the given seed uses for
// protocol proto (2 or 3).
func (p *Pool) Conn(seed uint64, proto int) *Conn {
	cs := p.resp2
	if proto == 3 {
		cs = p.lazy(&p.resp3, 3)
	}
	return cs[seed%uint64(len(cs))]
}

// Control returns the RESP2 connection a session with the given seed uses
// for the messages of cross-shard transactions and reads (prepare,
// decisions, status, unlock). No client command ever travels on it: a
// shard may hold a client command until a transaction is decided, and a
// decision queued behind that command on the same connection would never
// arrive. A session always gets the same one, so its messages to one
// shard (an UNLOCK, then the next PREPARE) arrive in the order sent.
func (p *Pool) Control(seed uint64) *Conn {
	cs := p.lazy(&p.control, 2)
	return cs[seed%uint64(len(cs))]
}

// Up reports whether at least one connection is established.
func (p *Pool) Up() bool {
	for _, c := range p.resp2 {
		if c.Up() {
			return true
		}
	}
	return false
}

// Close closes every connection; requests in flight fail.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	all := append([]*Conn(nil), p.resp2...)
	for _, set := range []*atomic.Pointer[[]*Conn]{&p.resp3, &p.control} {
		if cs := set.Load(); cs != nil {
			all = append(all, *cs...)
		}
	}
	p.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
}
