package session

import (
	"fmt"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/reply"
)

// Transactions run on one shard: WATCH pins a dedicated connection to the
// watched keys' shard, MULTI queues commands in the proxy, and EXEC sends
// MULTI, the commands and EXEC in one write on that connection when every
// key lives on one shard. Across shards EXEC answers EXECABORT.

type txState struct {
	active bool
	dirty  bool
	cmds   [][]byte // encoded commands
	pools  []*backend.Pool
	// watched is the shard of the WATCHed keys, whose dedicated
	// connection holds the watch.
	watched *backend.Pool
}

func (t *txState) len() int {
	if !t.active {
		return -1
	}
	return len(t.cmds)
}

func (t *txState) addPool(p *backend.Pool) {
	for _, q := range t.pools {
		if q == p {
			return
		}
	}
	t.pools = append(t.pools, p)
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
	t := s.env.Router.Current()
	if t == nil {
		return refuse(errNoMap)
	}
	for _, p := range spec.KeyPositions(args) {
		s.tx.addPool(owner(t, args[p]))
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
	s.tx.pools = nil
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
	s.tx = txState{watched: tx.watched}
	defer s.unwatchQuiet()
	if tx.dirty {
		return errCall("EXECABORT Transaction discarded because of previous errors.")
	}
	pools := tx.pools
	if tx.watched != nil {
		pools = append([]*backend.Pool{tx.watched}, pools...)
	}
	var p *backend.Pool
	for _, q := range pools {
		if p != nil && q != p {
			return errCall("EXECABORT Transaction discarded because its keys live on different shards; give them a common hash tag, e.g. {user1}:a and {user1}:b, to keep them on one shard")
		}
		p = q
	}
	if p == nil {
		t, ec := s.table()
		if t == nil {
			return ec
		}
		p = t.Shards[0]
	}
	s.drain()
	d, e := s.dedicated(p)
	if d == nil {
		return &call{reply: e}
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
	s.tx.watched = nil // EXEC unwatches
	return &call{reply: append([]byte(nil), last...)}
}

func (s *Session) dedicatedFailed(p *backend.Pool, err error) *call {
	s.dropDedicated(p)
	s.tx.watched = nil
	s.env.Metrics.BackendError(p.ID)
	return &call{reply: backend.DownReply(p.ID, p.Addr, err.Error())}
}

func (s *Session) watch(spec *command.Spec, args [][]byte) *call {
	if s.tx.active {
		return errCall("ERR WATCH inside MULTI is not allowed")
	}
	t, ec := s.table()
	if t == nil {
		return ec
	}
	var p *backend.Pool
	for _, i := range spec.KeyPositions(args) {
		q := owner(t, args[i])
		if p != nil && q != p {
			return errCall(errCrossSlot)
		}
		p = q
	}
	if s.tx.watched != nil && s.tx.watched != p {
		return errCall("CROSSSLOT WATCH keys must live on the shard of the keys already watched; give them a common hash tag, e.g. {user1}:a and {user1}:b")
	}
	s.drain()
	d, e := s.dedicated(p)
	if d == nil {
		return &call{reply: e}
	}
	raw, err := d.Do(backend.EncodeArgs(nil, args))
	if err != nil {
		return s.dedicatedFailed(p, err)
	}
	if !reply.IsError(raw) {
		s.tx.watched = p
	}
	return &call{reply: raw}
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
	s.tx.watched = nil
	if d := s.ded[p]; d != nil {
		if _, err := d.Do(backend.Encode(nil, "UNWATCH")); err != nil {
			s.dropDedicated(p)
		}
	}
}

// blocking runs a blocking command on the session's dedicated connection
// to the keys' shard. The reader goes on reading the client's next
// request but dispatches it only when the blocking command has answered;
// if the client leaves meanwhile, the dedicated connection is closed.
func (s *Session) blocking(args [][]byte, pos []int) *call {
	t, ec := s.table()
	if t == nil {
		return ec
	}
	p := owner(t, args[pos[0]])
	for _, i := range pos[1:] {
		if owner(t, args[i]) != p {
			return errCall(errCrossSlot)
		}
	}
	s.drain()
	d, e := s.dedicated(p)
	if d == nil {
		return &call{reply: e}
	}
	cmd := backend.EncodeArgs(nil, args)
	// The call is answered by a goroutine of its own; the reader waits for
	// done (closed when the reply is in the output buffer) before the
	// next request.
	c := &call{done: make(chan struct{}), keep: true}
	s.blocked = c
	go func() {
		raw, err := d.Do(cmd)
		if err != nil {
			c.reply = backend.DownReply(p.ID, p.Addr, err.Error())
			c.drop = p
		} else {
			c.reply = raw
		}
		s.complete(c)
	}()
	return c
}
