package session

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/reply"
	"github.com/shardis/shardis/proxy/internal/router"
)

// Transactions run on one shard: WATCH pins a dedicated connection to the
// watched keys' shard, MULTI queues commands in the proxy, and EXEC sends
// MULTI, the commands and EXEC in one write on that connection when every
// key lives on one shard. Across shards EXEC answers EXECABORT.

type txState struct {
	active bool
	dirty  bool
	cmds   [][]byte // encoded commands
	// keys are the keys of cmds (copies), routed at EXEC: a slot may
	// start or finish moving in between.
	keys [][]byte
	// watched is the shard of the WATCHed keys, whose dedicated
	// connection holds the watch; watchKeys are those keys (copies).
	watched   *backend.Pool
	watchKeys [][]byte
}

func (t *txState) len() int {
	if !t.active {
		return -1
	}
	return len(t.cmds)
}

func (s *Session) queueTx(spec, sub *command.Spec, args [][]byte) *call {
	refuse := func(why string) *call {
		s.tx.dirty = true
		return errCall(why)
	}
	if spec.Flags&(command.WholeKeyspace|command.PubSub) != 0 || spec.Flags&command.NoMulti != 0 {
		return refuse(fmt.Sprintf("ERR '%s' is not supported inside MULTI by shardis-proxy", sub.Name))
	}
	switch spec.Name {
	case "client", "config", "info", "hello", "auth", "select", "time", "command", "swapdb", "move":
		return refuse(fmt.Sprintf("ERR '%s' is not supported inside MULTI by shardis-proxy", sub.Name))
	}
	if s.env.Router.Current() == nil {
		return refuse(errNoMap)
	}
	for _, p := range spec.KeyPositions(args) {
		s.tx.keys = append(s.tx.keys, append([]byte(nil), args[p]...))
	}
	s.tx.cmds = append(s.tx.cmds, backend.EncodeArgs(nil, args))
	return &call{reply: []byte("+QUEUED\r\n")}
}

func (s *Session) multi() *call {
	if s.tx.active {
		return errCall("ERR MULTI calls can not be nested")
	}
	s.tx.active = true
	s.tx.dirty = false
	s.tx.cmds = nil
	s.tx.keys = nil
	return okCall()
}

func (s *Session) discard() *call {
	if !s.tx.active {
		return errCall("ERR DISCARD without MULTI")
	}
	s.unwatch()
	s.tx = txState{}
	return okCall()
}

func (s *Session) exec() *call {
	if !s.tx.active {
		return errCall("ERR EXEC without MULTI")
	}
	tx := s.tx
	s.tx = txState{watched: tx.watched, watchKeys: tx.watchKeys}
	defer s.unwatchQuiet()
	if tx.dirty {
		return errCall("EXECABORT Transaction discarded because of previous errors.")
	}
	if _, ec := s.table(); ec != nil {
		return ec
	}
	s.drain()
	return s.localCall(s.fenced(s.ctx, 0, nil, func(t *router.Table) []byte { return s.execBy(t, &tx) }))
}

// execBy runs the queued transaction tx on the shard that serves its keys
// by t, after moving those of migrating slots there, and returns EXEC's
// reply.
func (s *Session) execBy(t *router.Table, tx *txState) []byte {
	p := tx.watched
	for _, k := range tx.watchKeys {
		if q, _ := t.Serving(slot.Of(k)); q != p {
			// The watched keys are served by another shard now (their
			// slot is moving): the watch cannot tell whether they
			// changed, so the transaction fails as if they had.
			return s.appendNullArray(nil)
		}
	}
	pos := make([]int, len(tx.keys))
	for i, k := range tx.keys {
		q, _ := t.Serving(slot.Of(k))
		if p != nil && q != p {
			return resp.AppendError(nil, "EXECABORT Transaction discarded because its keys live on different shards; give them a common hash tag, e.g. {user1}:a and {user1}:b, to keep them on one shard")
		}
		p, pos[i] = q, i
	}
	if p == nil {
		p = t.Shards[0]
	}
	if e := s.moveKeys(t, tx.keys, pos); e != nil {
		return e
	}
	d, e := s.dedicated(p)
	if d == nil {
		return e
	}
	var buf []byte
	buf = backend.Encode(buf, "MULTI")
	for _, c := range tx.cmds {
		buf = append(buf, c...)
	}
	buf = backend.Encode(buf, "EXEC")
	if err := d.Write(buf); err != nil {
		return s.dedicatedFailed(p, err)
	}
	var last []byte
	for range len(tx.cmds) + 2 {
		raw, err := d.ReadReply()
		if err != nil {
			return s.dedicatedFailed(p, err)
		}
		last = raw
	}
	s.tx.watched, s.tx.watchKeys = nil, nil // EXEC unwatches
	if _, refused := wrongShard(last); refused && tx.watched != nil {
		// Refused, EXEC dropped the watch, which a run elsewhere
		// cannot have: the transaction fails as if the keys changed.
		return s.appendNullArray(nil)
	}
	return append([]byte(nil), last...)
}

func (s *Session) appendNullArray(b []byte) []byte {
	if s.proto == 3 {
		return resp.AppendNull(b)
	}
	return resp.AppendNullArray(b)
}

func (s *Session) dedicatedFailed(p *backend.Pool, err error) []byte {
	s.dropDedicated(p)
	s.tx.watched, s.tx.watchKeys = nil, nil
	s.env.Metrics.BackendError(p.ID)
	return backend.DownReply(p.ID, p.Addr, err.Error())
}

func (s *Session) watch(spec *command.Spec, args [][]byte) *call {
	if s.tx.active {
		return errCall("ERR WATCH inside MULTI is not allowed")
	}
	if _, ec := s.table(); ec != nil {
		return ec
	}
	pos := spec.KeyPositions(args)
	s.drain()
	return s.localCall(s.fenced(s.ctx, 0, nil, func(t *router.Table) []byte {
		var p *backend.Pool
		for _, i := range pos {
			q, _ := t.Serving(slot.Of(args[i]))
			if p != nil && q != p {
				return resp.AppendError(nil, errCrossSlot)
			}
			p = q
		}
		if s.tx.watched != nil && s.tx.watched != p {
			return resp.AppendError(nil, "CROSSSLOT WATCH keys must live on the shard of the keys already watched; give them a common hash tag, e.g. {user1}:a and {user1}:b")
		}
		if e := s.moveKeys(t, args, pos); e != nil {
			return e
		}
		d, e := s.dedicated(p)
		if d == nil {
			return e
		}
		raw, err := d.Do(backend.EncodeArgs(nil, args))
		if err != nil {
			return s.dedicatedFailed(p, err)
		}
		if !reply.IsError(raw) {
			s.tx.watched = p
			for _, i := range pos {
				s.tx.watchKeys = append(s.tx.watchKeys, append([]byte(nil), args[i]...))
			}
		}
		return raw
	}))
}

func (s *Session) unwatch() *call {
	s.unwatchQuiet()
	return okCall()
}

func (s *Session) unwatchQuiet() {
	p := s.tx.watched
	if p == nil {
		return
	}
	s.tx.watched, s.tx.watchKeys = nil, nil
	if d := s.ded[p]; d != nil {
		if _, err := d.Do(backend.Encode(nil, "UNWATCH")); err != nil {
			s.dropDedicated(p)
		}
	}
}

// blocking runs a blocking command on the session's dedicated connection
// to the shard serving its keys, after moving those of migrating slots
// there. The reader goes on reading the client's next request but
// dispatches it only when the blocking command has answered; if the
// client leaves meanwhile, the dedicated connection is closed. A refusal
// (the slot moved away while the client waited: the shard wakes its
// blocked clients with WRONGSHARD) runs the command again where the keys
// are served now, with what is left of its timeout.
func (s *Session) blocking(args [][]byte, pos []int) *call {
	t, ec := s.table()
	if t == nil {
		return ec
	}
	p, migrating := t.Serving(slot.Of(args[pos[0]]))
	for _, i := range pos[1:] {
		q, m := t.Serving(slot.Of(args[i]))
		if q != p {
			return errCall(errCrossSlot)
		}
		migrating = migrating || m
	}
	s.drain()
	start := time.Now()
	var refusal []byte // the key move's, run again below
	if migrating {
		if e := s.moveKeys(t, args, pos); e != nil {
			if _, ok := wrongShard(e); !ok {
				return &call{reply: e}
			}
			refusal = e
		}
	}
	var d *backend.Dedicated
	if refusal == nil {
		var e []byte
		if d, e = s.dedicated(p); d == nil {
			return &call{reply: e}
		}
	}
	cmd := backend.EncodeArgs(nil, args)
	// The call is answered by a goroutine of its own; the reader waits for
	// done (closed when the reply is in the output buffer) before the
	// next request.
	c := &call{done: make(chan struct{}), keep: true}
	ctx, cancel := context.WithCancel(s.ctx)
	s.blocked, s.unblock = c, cancel
	go func() {
		raw := refusal
		if d != nil {
			r, err := d.Do(cmd)
			if err != nil {
				c.reply = backend.DownReply(p.ID, p.Addr, err.Error())
				c.drop = p
				s.complete(c)
				return
			}
			raw = r
		}
		if v, ok := wrongShard(raw); ok {
			raw = s.rerunBlocking(ctx, cmd, start, v, raw)
		}
		c.reply = raw
		s.complete(c)
	}()
	return c
}

// rerunBlocking runs the blocking command cmd, refused by a shard, again
// by a map of at least version v where its keys are served, with what is
// left of the timeout it had at start. It uses a connection of its own:
// the session's dedicated connections belong to the reader goroutine.
// ctx ends when the client leaves.
func (s *Session) rerunBlocking(ctx context.Context, cmd []byte, start time.Time, v uint64, refusal []byte) []byte {
	args := decodeArgs(cmd)
	spec := command.Lookup(args[0])
	pos := spec.AppendKeyPositions(nil, args)
	at := len(args) - 1 // BLPOP k... timeout, BLMOVE s d from to timeout, ...
	if spec.Name == "blmpop" || spec.Name == "bzmpop" {
		at = 1 // BLMPOP timeout numkeys k...
	}
	timeout, terr := strconv.ParseFloat(string(args[at]), 64)
	return s.fenced(ctx, v, refusal, func(t *router.Table) []byte {
		p, _ := t.Serving(slot.Of(args[pos[0]]))
		for _, i := range pos[1:] {
			if q, _ := t.Serving(slot.Of(args[i])); q != p {
				return resp.AppendError(nil, errCrossSlot)
			}
		}
		if e := s.moveKeys(t, args, pos); e != nil {
			return e
		}
		if terr == nil && timeout > 0 {
			// At least a millisecond: the shard then answers a timeout
			// in the command's own way.
			left := max(timeout-time.Since(start).Seconds(), 0.001)
			args[at] = strconv.AppendFloat(args[at][:0], left, 'f', 3, 64)
		}
		d, err := backend.DialDedicated(ctx, p.ID, p.Addr, s.proto, s.env.Backend)
		if err != nil {
			s.env.Metrics.BackendError(p.ID)
			return backend.DownReply(p.ID, p.Addr, err.Error())
		}
		defer d.Close()
		stop := context.AfterFunc(ctx, func() { d.Close() })
		defer stop()
		raw, err := d.Do(backend.EncodeArgs(nil, args))
		if err != nil {
			return backend.DownReply(p.ID, p.Addr, err.Error())
		}
		return raw
	})
}
