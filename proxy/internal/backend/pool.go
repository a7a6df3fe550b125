package backend

import "sync"

// Pool holds the multiplexed connections to one shard.
type Pool struct {
	ID, Addr string
	opts     *Options

	mu     sync.Mutex // guards conns[1] (RESP3, made on first use) and closed
	conns  [2][]*Conn // by protocol: [0] RESP2, [1] RESP3
	closed bool
}

// NewPool returns a pool for shard id at addr and connects its RESP2
// connections.
func NewPool(id, addr string, opts *Options) *Pool {
	opts.defaults()
	p := &Pool{ID: id, Addr: addr, opts: opts}
	p.conns[0] = p.dialAll(2)
	return p
}

func (p *Pool) dialAll(proto int) []*Conn {
	cs := make([]*Conn, p.opts.ConnsPerShard)
	for i := range cs {
		cs[i] = newConn(p.ID, p.Addr, proto, p.opts)
	}
	return cs
}

// Options returns the options the pool's connections use.
func (p *Pool) Options() *Options { return p.opts }

// Conn returns the connection a session with the given seed uses for
// protocol proto (2 or 3).
func (p *Pool) Conn(seed uint64, proto int) *Conn {
	if proto == 3 {
		p.mu.Lock()
		if p.conns[1] == nil && !p.closed {
			p.conns[1] = p.dialAll(3)
		}
		cs := p.conns[1]
		p.mu.Unlock()
		if cs != nil {
			return cs[seed%uint64(len(cs))]
		}
	}
	cs := p.conns[0]
	return cs[seed%uint64(len(cs))]
}

// Up reports whether at least one connection is established.
func (p *Pool) Up() bool {
	for _, c := range p.conns[0] {
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
	all := append(append([]*Conn(nil), p.conns[0]...), p.conns[1]...)
	p.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
}
