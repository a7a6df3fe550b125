package session

import (
	"context"
	"sync"
	"time"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/reply"
	"github.com/shardis/shardis/proxy/internal/router"
)

// Pub/sub: a channel lives on its slot's owner, so SUBSCRIBE and
// SSUBSCRIBE subscribe on that shard, PSUBSCRIBE on every shard, and
// PUBLISH goes to the channel's owner. Each subscribed client has its own
// connection to each shard it listens on; the shards' messages are
// relayed to the client as they come, in the client's protocol. A
// message published through any proxy reaches the shard, hence every
// subscriber on every proxy. Subscription counts are the client's own.
//
// A channel stays with its slot's owner while the slot migrates (shards
// do not fence channels). When a map gives the slot another owner, a
// goroutine of the session's (follow) subscribes the client there, and
// unsubscribes it at the old owner moveGrace later, so that messages
// published through proxies that have not applied the map yet still
// arrive. A PUBLISH reaches one shard, so no message arrives twice; but
// during the switch messages published through proxies with different
// maps may arrive out of order. Patterns are subscribed on shards that
// join the map as well.

// moveGrace is how long a moved channel stays subscribed at its old owner.
const moveGrace = 2 * time.Second

type pubsub struct {
	s *Session
	// proto is the client's protocol, fixed: HELLO closes the
	// subscriptions when it changes the protocol.
	proto int
	// ctx ends, by stop, when the subscriptions are closed; follow
	// returns then and closes done.
	ctx  context.Context
	stop context.CancelFunc
	done chan struct{}

	// mu guards the fields below: the reader goroutine (subscribe) and
	// follow change them.
	mu     sync.Mutex
	conns  map[*backend.Pool]*psConn
	chans  map[string]*backend.Pool
	pats   map[string]bool
	schans map[string]*backend.Pool
	// patOn lists the shards every pattern is subscribed on.
	patOn map[*backend.Pool]bool
}

type psConn struct {
	d    *backend.Dedicated
	acks chan []byte
}

func (s *Session) newPubsub(t *router.Table) *pubsub {
	ctx, stop := context.WithCancel(s.ctx)
	ps := &pubsub{s: s, proto: s.proto, ctx: ctx, stop: stop, done: make(chan struct{}), conns: map[*backend.Pool]*psConn{},
		chans: map[string]*backend.Pool{}, pats: map[string]bool{}, schans: map[string]*backend.Pool{},
		patOn: map[*backend.Pool]bool{}}
	go ps.follow(t)
	return ps
}

func (ps *pubsub) count() int {
	if ps == nil {
		return 0
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.countLocked()
}

func (ps *pubsub) countLocked() int { return len(ps.chans) + len(ps.pats) + len(ps.schans) }

func (ps *pubsub) channels() int {
	if ps == nil {
		return 0
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.chans)
}

func (ps *pubsub) patterns() int {
	if ps == nil {
		return 0
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.pats)
}

func (ps *pubsub) close() {
	ps.stop()
	<-ps.done
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for p, c := range ps.conns {
		c.d.Close()
		delete(ps.conns, p)
	}
}

// follow moves the subscriptions to the shards each new map names, from
// the map t on, until ps.ctx ends.
func (ps *pubsub) follow(t *router.Table) {
	defer close(ps.done)
	ctx := ps.ctx
	for {
		select {
		case <-t.Replaced():
		case <-ctx.Done():
			return
		}
		t = ps.s.env.Router.Current()
		old := ps.rehome(t)
		if len(old) == 0 {
			continue
		}
		select {
		case <-time.After(moveGrace):
		case <-ctx.Done():
			return
		}
		ps.unsubscribeOld(old)
	}
}

// moved is a channel subscribed at a new owner, still to unsubscribe at
// the old one.
type moved struct {
	from  *backend.Pool
	ch    string
	shard bool // SSUBSCRIBE
}

// rehome subscribes the channels whose owner t changed at the new owner,
// and the patterns on shards that lack them; it returns the subscriptions
// to drop at the old owners.
func (ps *pubsub) rehome(t *router.Table) []moved {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var old []moved
	for _, kind := range []struct {
		set   map[string]*backend.Pool
		cmd   string
		shard bool
	}{{ps.chans, "SUBSCRIBE", false}, {ps.schans, "SSUBSCRIBE", true}} {
		groups := map[*backend.Pool][]string{}
		for ch, p := range kind.set {
			if q := t.OwnerOf(slot.OfString(ch)); q != p {
				groups[q] = append(groups[q], ch)
			}
		}
		for q, chs := range groups {
			if e := ps.send(q, kind.cmd, chs, len(chs)); e != nil {
				// Left where they are: the next map tries again.
				ps.s.env.Log.Warn("cannot move subscriptions to a slot's new owner", "shard", q.ID, "err", string(e))
				continue
			}
			for _, ch := range chs {
				old = append(old, moved{from: kind.set[ch], ch: ch, shard: kind.shard})
				kind.set[ch] = q
			}
		}
	}
	if len(ps.pats) > 0 {
		pats := make([]string, 0, len(ps.pats))
		for pat := range ps.pats {
			pats = append(pats, pat)
		}
		for _, p := range t.Shards {
			if ps.patOn[p] {
				continue
			}
			if e := ps.send(p, "PSUBSCRIBE", pats, len(pats)); e != nil {
				ps.s.env.Log.Warn("cannot subscribe patterns on a shard", "shard", p.ID, "err", string(e))
				continue
			}
			ps.patOn[p] = true
		}
	}
	return old
}

// unsubscribeOld drops the subscriptions rehome moved away, unless the
// channel lives at the old owner again.
func (ps *pubsub) unsubscribeOld(old []moved) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, m := range old {
		set, cmd := ps.chans, "UNSUBSCRIBE"
		if m.shard {
			set, cmd = ps.schans, "SUNSUBSCRIBE"
		}
		if set[m.ch] == m.from || ps.conns[m.from] == nil {
			continue
		}
		ps.send(m.from, cmd, []string{m.ch}, 1)
	}
}

// conn returns the subscriber connection to p, dialing it if needed.
func (ps *pubsub) conn(p *backend.Pool) (*psConn, []byte) {
	if c := ps.conns[p]; c != nil {
		return c, nil
	}
	s := ps.s
	// Not through s.dedicated: follow runs this too, and the session's
	// dedicated connections belong to its reader.
	ctx, cancel := context.WithTimeout(ps.ctx, s.env.Backend.DialTimeout)
	defer cancel()
	d, err := backend.DialDedicated(ctx, p.ID, p.Addr, ps.proto, s.env.Backend)
	if err != nil {
		s.env.Metrics.BackendError(p.ID)
		return nil, backend.DownReply(p.ID, p.Addr, err.Error())
	}
	c := &psConn{d: d, acks: make(chan []byte, 64)}
	ps.conns[p] = c
	go func() {
		defer close(c.acks)
		for {
			raw, err := d.ReadReply()
			if err != nil {
				return
			}
			raw = append([]byte(nil), raw...)
			el, err := reply.Elems(raw)
			if err == nil && len(el) > 0 {
				if k, ok := reply.Str(el[0]); ok {
					switch string(k) {
					case "message", "pmessage", "smessage":
						s.push(raw)
						continue
					}
				}
			}
			select {
			case c.acks <- raw:
			default: // nobody waits for it
			}
		}
	}()
	return c, nil
}

// await waits for n acknowledgements on c.
func (ps *pubsub) await(p *backend.Pool, c *psConn, n int) []byte {
	t := time.NewTimer(ps.s.env.Backend.Timeout)
	defer t.Stop()
	for range n {
		select {
		case <-ps.ctx.Done():
			return backend.DownReply(p.ID, p.Addr, "the subscriptions are closing")
		case raw, ok := <-c.acks:
			if !ok {
				delete(ps.conns, p)
				return backend.DownReply(p.ID, p.Addr, "subscriber connection lost")
			}
			if reply.IsError(raw) {
				return raw
			}
		case <-t.C:
			c.d.Close()
			delete(ps.conns, p)
			return backend.DownReply(p.ID, p.Addr, "no answer to SUBSCRIBE")
		}
	}
	return nil
}

// send writes cmd args to p's subscriber connection and waits for one
// acknowledgement per argument.
func (ps *pubsub) send(p *backend.Pool, cmd string, args []string, acks int) []byte {
	c, e := ps.conn(p)
	if c == nil {
		return e
	}
	if err := c.d.Write(backend.Encode(nil, append([]string{cmd}, args...)...)); err != nil {
		c.d.Close()
		delete(ps.conns, p)
		return backend.DownReply(p.ID, p.Addr, err.Error())
	}
	return ps.await(p, c, acks)
}

func (s *Session) subscribe(name string, args [][]byte) *call {
	t, ec := s.table()
	if t == nil {
		return ec
	}
	if s.ps == nil {
		s.ps = s.newPubsub(t)
	}
	ps := s.ps
	s.drain()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	names := make([]string, len(args)-1)
	for i, a := range args[1:] {
		names[i] = string(a)
	}
	var b []byte
	ack := func(kind string, ch *string, n int) {
		b = s.appendPush(b, 3)
		b = resp.AppendBulkString(b, kind)
		if ch == nil {
			b = s.appendNull(b)
		} else {
			b = resp.AppendBulkString(b, *ch)
		}
		b = resp.AppendInt(b, int64(n))
	}
	switch name {
	case "subscribe", "ssubscribe":
		set, cmd := ps.chans, "SUBSCRIBE"
		if name == "ssubscribe" {
			set, cmd = ps.schans, "SSUBSCRIBE"
			if e := sameSlot(names); e != nil {
				return &call{reply: e}
			}
		}
		groups := map[*backend.Pool][]string{}
		for _, ch := range names {
			if set[ch] == nil {
				p := t.OwnerOf(slot.OfString(ch))
				if !contains(groups[p], ch) {
					groups[p] = append(groups[p], ch)
				}
			}
		}
		for p, chs := range groups {
			if e := ps.send(p, cmd, chs, len(chs)); e != nil {
				return &call{reply: e}
			}
			for _, ch := range chs {
				set[ch] = p
			}
		}
		for _, ch := range names {
			n := ps.countLocked() - len(ps.schans)
			if name == "ssubscribe" {
				n = len(ps.schans)
			}
			ack(name, &ch, n)
		}
	case "psubscribe":
		var fresh []string
		for _, pat := range names {
			if !ps.pats[pat] && !contains(fresh, pat) {
				fresh = append(fresh, pat)
			}
		}
		if len(fresh) > 0 {
			for _, p := range t.Shards {
				if e := ps.send(p, "PSUBSCRIBE", fresh, len(fresh)); e != nil {
					return &call{reply: e}
				}
				if len(ps.pats) == 0 {
					ps.patOn[p] = true
				}
			}
		}
		for _, pat := range fresh {
			ps.pats[pat] = true
		}
		for _, pat := range names {
			ack(name, &pat, ps.countLocked()-len(ps.schans))
		}
	case "unsubscribe", "sunsubscribe":
		set, cmd := ps.chans, "UNSUBSCRIBE"
		if name == "sunsubscribe" {
			set, cmd = ps.schans, "SUNSUBSCRIBE"
		}
		if len(names) == 0 {
			for ch := range set {
				names = append(names, ch)
			}
			if len(names) == 0 {
				ack(name, nil, ps.countLocked()-len(ps.schans))
				if name == "sunsubscribe" {
					b = nil
					ack(name, nil, len(ps.schans))
				}
			}
		}
		for _, ch := range names {
			if p := set[ch]; p != nil {
				if c := ps.conns[p]; c != nil {
					if e := ps.send(p, cmd, []string{ch}, 1); e != nil {
						return &call{reply: e}
					}
				}
				delete(set, ch)
			}
			n := ps.countLocked() - len(ps.schans)
			if name == "sunsubscribe" {
				n = len(ps.schans)
			}
			ack(name, &ch, n)
		}
	case "punsubscribe":
		if len(names) == 0 {
			for pat := range ps.pats {
				names = append(names, pat)
			}
			if len(names) == 0 {
				ack(name, nil, ps.countLocked()-len(ps.schans))
			}
		}
		for _, pat := range names {
			if ps.pats[pat] {
				for p := range ps.conns {
					if e := ps.send(p, "PUNSUBSCRIBE", []string{pat}, 1); e != nil {
						return &call{reply: e}
					}
				}
				delete(ps.pats, pat)
			}
			ack(name, &pat, ps.countLocked()-len(ps.schans))
		}
	}
	return &call{reply: b}
}

func sameSlot(names []string) []byte {
	for _, n := range names[1:] {
		if slot.OfString(n) != slot.OfString(names[0]) {
			return resp.AppendError(nil, "CROSSSLOT Keys in request don't hash to the same slot")
		}
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// pubsubInfo aggregates PUBSUB introspection over every shard.
func (s *Session) pubsubInfo(sub *command.Spec, args [][]byte) *call {
	switch sub.Name {
	case "pubsub|channels", "pubsub|shardchannels":
		return s.fanAll(args, func(c *call) []byte {
			if e := firstError(c); e != nil {
				return e
			}
			seen := map[string]bool{}
			var out [][]byte
			for _, u := range c.subs {
				el, _ := reply.Elems(u.reply)
				for _, e := range el {
					if !seen[string(e)] {
						seen[string(e)] = true
						out = append(out, e)
					}
				}
			}
			b := resp.AppendArray(nil, len(out))
			for _, e := range out {
				b = append(b, e...)
			}
			return b
		})
	case "pubsub|numsub", "pubsub|shardnumsub":
		names := make([][]byte, len(args)-2)
		for i, a := range args[2:] {
			names[i] = append([]byte(nil), a...)
		}
		return s.fanAll(args, func(c *call) []byte {
			if e := firstError(c); e != nil {
				return e
			}
			sums := make([]int64, len(names))
			for _, u := range c.subs {
				el, _ := reply.Elems(u.reply)
				for i := 0; i+1 < len(el) && i/2 < len(sums); i += 2 {
					n, _ := reply.Int(el[i+1])
					sums[i/2] += n
				}
			}
			b := s.appendMap(nil, len(names))
			for i, n := range names {
				b = resp.AppendBulk(b, n)
				b = resp.AppendInt(b, sums[i])
			}
			return b
		})
	case "pubsub|numpat":
		// Every pattern subscription is made on every shard: each shard
		// knows all of them.
		return s.fanAll(args, func(c *call) []byte {
			if e := firstError(c); e != nil {
				return e
			}
			var most int64
			for _, u := range c.subs {
				n, _ := reply.Int(u.reply)
				most = max(most, n)
			}
			return resp.AppendInt(nil, most)
		})
	}
	return s.anyShard(args)
}
