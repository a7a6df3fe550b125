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

	mu     sync.Mutex // guards making resp3 and closed
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

// Options returns the options the pool's connections use.
func (p *Pool) Options() *Options { return p.opts }

// Conn returns the connection a session with the given seed uses for
// protocol proto (2 or 3).
func (p *Pool) Conn(seed uint64, proto int) *Conn {
	cs := p.resp2
	if proto == 3 {
		if c3 := p.resp3.Load(); c3 != nil {
			cs = *c3
		} else {
			p.mu.Lock()
			if p.resp3.Load() == nil && !p.closed {
				c3 := p.dialAll(3)
				p.resp3.Store(&c3)
			}
			if c3 := p.resp3.Load(); c3 != nil {
				cs = *c3
			}
			p.mu.Unlock()
		}
	}
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
	if c3 := p.resp3.Load(); c3 != nil {
		all = append(all, *c3...)
	}
	p.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
}
