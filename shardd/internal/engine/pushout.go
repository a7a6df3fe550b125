package engine

import (
	"io"
	"sync"
	"time"
)

// pushOut is the output path of a session that has subscribed at least
// once: publishers on other goroutines append messages, the session's own
// replies are moved in after each command (so replies and messages keep
// one order), and a writer goroutine sends everything to the connection.
// Over the pubsub output buffer limits the client is disconnected instead
// of letting memory grow (client-output-buffer-limit pubsub).
type pushOut struct {
	conn io.WriteCloser
	mu   sync.Mutex // guards buf, closed, softSince
	buf  []byte
	// softSince is when buf first exceeded the soft limit, zero while
	// under it.
	softSince time.Time
	closed    bool
	wake      chan struct{} // capacity 1
	done      chan struct{} // closed when the writer exits
	limits    func() (hard, soft int64, softFor time.Duration)
	onKill    func()
}

func newPushOut(conn io.WriteCloser, limits func() (int64, int64, time.Duration), onKill func()) *pushOut {
	p := &pushOut{conn: conn, wake: make(chan struct{}, 1), done: make(chan struct{}), limits: limits, onKill: onKill}
	go p.writer()
	return p
}

// append queues b; false if the client was disconnected for its backlog.
func (p *pushOut) append(b []byte) bool {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return false
	}
	p.buf = append(p.buf, b...)
	if !p.withinLimits() {
		p.closed = true
		p.buf = nil
		p.mu.Unlock()
		p.onKill()
		p.conn.Close()
		return false
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return true
}

// withinLimits applies the hard and soft limits to the backlog. Needs mu.
func (p *pushOut) withinLimits() bool {
	hard, soft, softFor := p.limits()
	n := int64(len(p.buf))
	if hard > 0 && n > hard {
		return false
	}
	if soft > 0 && n > soft {
		if p.softSince.IsZero() {
			p.softSince = time.Now()
		} else if time.Since(p.softSince) > softFor {
			return false
		}
	} else {
		p.softSince = time.Time{}
	}
	return true
}

// drainTimeout bounds how long closing a session waits for its backlog to
// reach a client that does not read.
const drainTimeout = 5 * time.Second

// drain stops accepting messages and returns once the backlog is written,
// or after drainTimeout, when it closes the connection.
func (p *pushOut) drain() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	select {
	case <-p.done:
	case <-time.After(drainTimeout):
		p.conn.Close()
		<-p.done
	}
}

func (p *pushOut) writer() {
	defer close(p.done)
	for range p.wake {
		p.mu.Lock()
		buf, closed := p.buf, p.closed
		p.buf = nil
		p.mu.Unlock()
		if len(buf) > 0 {
			if _, err := p.conn.Write(buf); err != nil {
				p.conn.Close()
				return
			}
		}
		if closed {
			return
		}
	}
}
