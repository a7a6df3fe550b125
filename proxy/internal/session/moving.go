package session

import (
	"context"
	"strings"
	"time"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/reply"
	"github.com/shardis/shardis/proxy/internal/router"
)

// Online resharding (docs/resharding.md) as the session sees it.
//
// Migrating slots. A command with a key in a slot being moved runs after
// every earlier request of the client is answered (drain), synchronously:
// the session asks the slot's source to move the command's keys of
// migrating slots to the target (SHARDIS.MOVEKEYS, on the session's
// shared connection), then sends the command where its keys are served,
// the target (runKeyed). Migrating slots are few and temporary, so losing
// the pipeline for them costs little.
//
// Fencing. A shard refuses a key of a slot it does not serve with
// -WRONGSHARD <version> ...: the proxy's map is stale. The call keeps its
// place in the reply order; the session waits until the router applied a
// map of at least that version (up to fenceWait) and runs the command
// again by that map, moving keys first if needed; only a map that does
// not catch up in time gives the client the refusal. Refusals that come
// back on shard connections (plain and fan-out calls) are re-run by one
// goroutine per session (retryLoop), in the order they arrived, so that
// two refused commands on one key run again in the order the client sent
// them. A re-run command may run after later pipelined commands of the
// client on other slots. None runs after a later command on the same key:
// those went to the same shard on the same connection and were refused
// too, or they were routed by a newer map, and the session drains before
// it routes by a newer map than the previous request (table).

// fenceWait is how long a refused command waits for the router to apply
// the map version the shard named.
const fenceWait = 5 * time.Second

// wrongShard returns the map version a WRONGSHARD refusal names; ok is
// false for any other reply.
func wrongShard(raw []byte) (version uint64, ok bool) {
	if !migrate.IsWrongShardReply(raw) {
		return 0, false
	}
	return migrate.ParseWrongShard(strings.TrimSpace(string(raw[1:])))
}

// decodeArgs returns the arguments of an encoded command (copies).
func decodeArgs(cmd []byte) [][]byte {
	el, err := reply.Elems(cmd)
	if err != nil {
		return nil
	}
	args := make([][]byte, len(el))
	for i, e := range el {
		a, _ := reply.Str(e)
		args[i] = append([]byte(nil), a...)
	}
	return args
}

// args returns the client's command of a call refused by a shard: a plain
// call's, or a fan-out's (fanKeys) rebuilt from its sub-commands.
func (c *call) args() [][]byte {
	if len(c.pools) == 0 {
		return decodeArgs(c.subs[0].cmd)
	}
	per := make([][][]byte, len(c.subs))
	var name []byte
	for i := range c.subs {
		a := decodeArgs(c.subs[i].cmd)
		skip := 1 // TOUCH k...
		if c.readID != "" {
			skip = 4 // SHARDIS.LOCKREAD id ttl MGET|EXISTS k...
		}
		if len(a) < skip {
			return nil
		}
		name, per[i] = a[skip-1], a[skip:]
	}
	args := [][]byte{name}
	if len(c.mget) == 0 { // summed: the order does not matter
		for _, keys := range per {
			args = append(args, keys...)
		}
		return args
	}
	next := make([]int, len(per))
	for _, g := range c.mget {
		if next[g] >= len(per[g]) {
			return nil
		}
		args = append(args, per[g][next[g]])
		next[g]++
	}
	return args
}

// fenced runs run with the table in use (version 0) or, given a refusal,
// with a table of at least version, and again as long as run answers
// WRONGSHARD, each time with a map of at least the version the shard
// named and newer than the one refused. It returns run's reply, or the
// last refusal if the map does not get there within fenceWait (or before
// ctx ends).
func (s *Session) fenced(ctx context.Context, version uint64, refusal []byte, run func(t *router.Table) []byte) []byte {
	for {
		wctx, cancel := context.WithTimeout(ctx, fenceWait)
		t, ok := s.env.Router.Wait(wctx, version)
		cancel()
		if !ok {
			if refusal == nil {
				return resp.AppendError(nil, errNoMap)
			}
			return refusal
		}
		r := run(t)
		v, refused := wrongShard(r)
		if !refused {
			return r
		}
		refusal, version = r, max(v, t.Version+1)
	}
}

// moveKeys asks the source of each migrating slot among the keys at pos
// to move them to the slot's target (SHARDIS.MOVEKEYS), the sources in
// parallel, and returns the first error reply, nil when every move
// succeeded (or no key is in a migrating slot).
func (s *Session) moveKeys(t *router.Table, args [][]byte, pos []int) []byte {
	type move struct {
		from *backend.Pool
		cmd  [][]byte
	}
	var moves []move
	for _, i := range pos {
		sl := slot.Of(args[i])
		to, migrating := t.Serving(sl)
		if !migrating {
			continue
		}
		from := t.OwnerOf(sl)
		j := 0
		for j < len(moves) && (moves[j].from != from || string(moves[j].cmd[1]) != to.Addr) {
			j++
		}
		if j == len(moves) {
			moves = append(moves, move{from, [][]byte{[]byte(migrate.MoveKeys), []byte(to.Addr)}})
		}
		moves[j].cmd = append(moves[j].cmd, args[i])
	}
	if len(moves) == 0 {
		return nil
	}
	conns := make([]*backend.Conn, len(moves))
	cmds := make([][]byte, len(moves))
	for i, m := range moves {
		conns[i] = m.from.Conn(s.id, s.proto)
		cmds[i] = backend.EncodeArgs(nil, m.cmd)
	}
	for _, r := range backend.SendAll(conns, cmds).Wait() {
		if reply.IsError(r) {
			return r
		}
	}
	return nil
}

// runKeyed runs a keyed command by t and returns its reply: it moves the
// keys of migrating slots to their targets, then sends the command where
// its keys are served and waits for the reply. Safe on any goroutine: it
// uses no state of the session's reader.
func (s *Session) runKeyed(t *router.Table, args [][]byte) []byte {
	spec := command.Lookup(args[0])
	if spec == nil {
		return resp.AppendError(nil, "ERR unknown command")
	}
	pos := spec.AppendKeyPositions(nil, args)
	if len(pos) == 0 {
		return resp.AppendError(nil, "ERR the command names no key")
	}
	if e := s.moveKeys(t, args, pos); e != nil {
		return e
	}
	p, _ := t.Serving(slot.Of(args[pos[0]]))
	for _, i := range pos[1:] {
		if q, _ := t.Serving(slot.Of(args[i])); q != p {
			switch spec.Name {
			case "mget", "exists", "touch":
				var kb [][]byte
				return s.await(s.fanKeys(spec, t, args, pos, &kb))
			case "mset", "msetnx", "del", "unlink":
				return s.crossWrite(spec, t, args, pos)
			}
			return resp.AppendError(nil, errCrossSlot)
		}
	}
	return p.Conn(s.id, s.proto).Do(backend.EncodeArgs(nil, args))
}

// await sends the requests of c, a fan-out (fanKeys) not in the reply
// order, waits for their replies and returns its merged reply (a refusal
// if a shard refused); c goes back to the pool.
func (s *Session) await(c *call) []byte {
	conns := make([]*backend.Conn, len(c.subs))
	cmds := make([][]byte, len(c.subs))
	for i := range c.subs {
		conns[i], cmds[i] = c.subs[i].conn, c.subs[i].cmd
	}
	for i, r := range backend.SendAll(conns, cmds).Wait() {
		c.subs[i].reply = r
	}
	if c.readID != "" {
		s.lastCross.Store(s.env.Tx.Unlock(c.readID, c.pools))
	}
	out := refusalOf(c)
	if out == nil {
		out = append([]byte(nil), c.merge(c)...) // c.reply goes back to the pool
	}
	c.release()
	return out
}

// refusalOf returns the first WRONGSHARD refusal among c's replies.
func refusalOf(c *call) []byte {
	for i := range c.subs {
		if _, ok := wrongShard(c.subs[i].reply); ok {
			return append([]byte(nil), c.subs[i].reply...)
		}
	}
	return nil
}

// retry is a call a shard refused, to run again.
type retry struct {
	c       *call
	refusal []byte
	version uint64
}

// refused takes a call whose shard answered raw; it reports false when raw
// is not a refusal. Otherwise the call is queued for retryLoop. It runs on
// a shard connection's reader, so it must not block.
func (s *Session) refused(c *call, raw []byte) bool {
	v, ok := wrongShard(raw)
	if !ok {
		return false
	}
	s.omu.Lock()
	s.retries = append(s.retries, retry{c, append([]byte(nil), raw...), v})
	start := !s.retrying
	s.retrying = true
	s.omu.Unlock()
	if start {
		// Waited for by Serve: the call stays in the queue until
		// retryLoop answers it, and Serve waits for the queue first.
		s.bg.Add(1)
		go s.retryLoop()
	}
	return true
}

// retryLoop runs the refused calls again, one at a time in the order they
// were refused, and puts each reply in its call's place.
func (s *Session) retryLoop() {
	defer s.bg.Done()
	for {
		s.omu.Lock()
		if len(s.retries) == 0 {
			s.retrying = false
			s.omu.Unlock()
			return
		}
		r := s.retries[0]
		s.retries[0] = retry{}
		s.retries = s.retries[1:]
		s.omu.Unlock()
		out := r.refusal
		if args := r.c.args(); args != nil {
			out = s.fenced(s.ctx, r.version, r.refusal, func(t *router.Table) []byte { return s.runKeyed(t, args) })
		}
		s.finish(r.c, out)
	}
}

// finish gives c, a queued call, its final reply and writes what can be
// written.
func (s *Session) finish(c *call, out []byte) {
	s.omu.Lock()
	if len(c.subs) == 1 && c.merge == nil {
		c.subs[0].reply = append(c.subs[0].reply[:0], out...)
	} else {
		c.reply = append(c.reply[:0], out...)
	}
	c.ready = true
	s.collectLocked()
	s.omu.Unlock()
	s.Flush()
}
