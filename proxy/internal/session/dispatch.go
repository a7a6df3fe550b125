package session

import (
	"fmt"
	"strings"
	"time"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/proxy/internal/router"
)

// Error replies the proxy makes itself.
const (
	errNoMap     = "CLUSTERDOWN the proxy has no slot map yet (is the cluster initialized?)"
	errCrossSlot = "CROSSSLOT Keys in request don't live on the same shard; to use several keys in one command, give them a common hash tag, e.g. {user1}:name and {user1}:age"
	errNoAuth    = "NOAUTH Authentication required."
)

func errCall(msg string) *call { return &call{reply: resp.AppendError(nil, msg)} }

func okCall() *call { return &call{reply: []byte("+OK\r\n")} }

// dispatch handles one request. args alias the reader's buffer: anything
// kept must be copied (encoding a backend command copies).
func (s *Session) dispatch(args [][]byte) *call {
	spec := command.Lookup(args[0])
	if spec == nil || spec.Flags&command.Internal != 0 {
		if s.tx.active {
			s.tx.dirty = true
		}
		return errCall(unknownCommand(args))
	}
	name := spec.Name
	if !spec.CheckArity(len(args)) {
		if s.tx.active {
			s.tx.dirty = true
		}
		return errCall(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name))
	}
	sub := spec
	if len(spec.Subcommands) > 0 && name != "client" {
		sub = spec.Sub(args[1])
		if sub == nil {
			if s.tx.active {
				s.tx.dirty = true
			}
			return errCall(fmt.Sprintf("ERR unknown subcommand '%.128s'. Try %s HELP.", args[1], strings.ToUpper(name)))
		}
		if !sub.CheckArity(len(args)) {
			if s.tx.active {
				s.tx.dirty = true
			}
			return errCall(fmt.Sprintf("ERR wrong number of arguments for '%s' command", sub.Name))
		}
	}
	s.lastCmd.Store(sub)
	if !s.authed && spec.Flags&command.NoAuth == 0 {
		return errCall(errNoAuth)
	}
	start := time.Now()
	c := s.dispatchSpec(spec, sub, args)
	if c != nil && c.start.IsZero() {
		c.start = start
		c.cmd = s.env.Metrics.CmdOf(sub)
	}
	return c
}

func (s *Session) dispatchSpec(spec, sub *command.Spec, args [][]byte) *call {
	name := spec.Name
	if s.tx.active {
		switch name {
		case "exec", "discard", "multi", "watch", "quit", "reset":
		default:
			return s.published(s.queueTx(spec, sub, args))
		}
	}
	if s.ps != nil && s.ps.count() > 0 && s.proto == 2 {
		switch name {
		case "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "quit", "reset":
		default:
			return errCall(fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", sub.Name))
		}
	}
	switch name {
	case "ping":
		return s.ping(args)
	case "echo":
		c := s.newCall()
		c.reply = resp.AppendBulk(c.reply, args[1])
		return c
	case "quit":
		c := okCall()
		c.quit = true
		return c
	case "auth":
		return s.auth(args)
	case "hello":
		return s.published(s.hello(args))
	case "select":
		if string(args[1]) == "0" {
			return okCall()
		}
		return errCall("ERR SELECT is not allowed in cluster mode")
	case "swapdb", "move":
		return errCall(fmt.Sprintf("ERR %s is not allowed in cluster mode", strings.ToUpper(name)))
	case "time":
		now := time.Now()
		b := resp.AppendArray(nil, 2)
		b = resp.AppendBulkInt(b, now.Unix())
		b = resp.AppendBulkInt(b, int64(now.Nanosecond()/1000))
		return &call{reply: b}
	case "client":
		return s.client(args)
	case "config":
		return s.config(sub, args)
	case "info":
		return s.info(args)
	case "dbsize":
		return s.fanAll(args, mergeSum)
	case "flushall", "flushdb":
		return s.fanAll(args, mergeOK)
	case "keys":
		return s.keys(args)
	case "randomkey":
		return s.fanAll(args, s.mergeRandom)
	case "scan":
		return s.scan(args)
	case "command":
		return s.anyShard(args)
	case "multi":
		return s.published(s.multi())
	case "exec":
		return s.published(s.exec())
	case "discard":
		return s.published(s.discard())
	case "watch":
		return s.watch(spec, args)
	case "unwatch":
		return s.unwatch()
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe":
		return s.published(s.subscribe(name, args))
	case "publish":
		return s.publish(args, 1)
	case "pubsub":
		return s.pubsubInfo(sub, args)
	case "reset":
		return s.published(s.reset())
	}
	if sub.Flags&command.ShardChannel != 0 { // SPUBLISH
		return s.publish(args, sub.ChannelPositions(args)[0])
	}
	s.posBuf = spec.AppendKeyPositions(s.posBuf[:0], args)
	if len(s.posBuf) == 0 {
		switch sub.Name {
		case "memory|help", "object|help":
			return s.anyShard(args)
		}
		return errCall(fmt.Sprintf("ERR '%s' is not supported by shardis-proxy; run it on each shard", sub.Name))
	}
	if spec.Flags&command.Blocking != 0 {
		return s.blocking(args, s.posBuf)
	}
	return s.route(spec, args, s.posBuf)
}

// table returns the routing table, nil (with an error call) before the
// first slot map. When the map changed since the previous request, it
// first waits until every request routed by the older map is answered
// (retried, if a shard refused it): so a request routed by the new map
// never overtakes an earlier one on the same key that a shard refused
// because the older map was stale (moving.go).
func (s *Session) table() (*router.Table, *call) {
	t := s.env.Router.Current()
	if t != s.routed {
		if t == nil {
			return nil, errCall(errNoMap)
		}
		if s.routed != nil {
			s.drain()
		}
		s.routed = t
	}
	if t == nil {
		return nil, errCall(errNoMap)
	}
	return t, nil
}

// route sends a keyed command to the shard that serves its keys; multi-key
// reads fan out, multi-key writes run as cross-shard transactions, other
// multi-shard commands fail with CROSSSLOT. A command with a key in a
// migrating slot runs synchronously after the client's earlier requests
// (moving.go).
func (s *Session) route(spec *command.Spec, args [][]byte, pos []int) *call {
	t, ec := s.table()
	if t == nil {
		return ec
	}
	p, migrating := t.Serving(slot.Of(args[pos[0]]))
	cross := false
	for _, i := range pos[1:] {
		q, m := t.Serving(slot.Of(args[i]))
		migrating = migrating || m
		cross = cross || q != p
	}
	switch {
	case migrating || cross && isCrossWrite(spec):
		s.drain()
		return s.localCall(s.fenced(s.ctx, 0, nil, func(t *router.Table) []byte { return s.runKeyed(t, args) }))
	case cross:
		return s.multiShard(spec, t, args, pos)
	}
	return s.forwardCall(p.Conn(s.id, s.proto), args)
}

// publish sends PUBLISH or SPUBLISH to the owner of the channel at ch: a
// channel stays with its slot's owner while the slot migrates (shards do
// not fence channels), and its subscribers follow the owner (pubsub.go).
func (s *Session) publish(args [][]byte, ch int) *call {
	t, ec := s.table()
	if t == nil {
		return ec
	}
	return s.forwardCall(t.OwnerOf(slot.Of(args[ch])).Conn(s.id, s.proto), args)
}

// anyShard sends a command that any shard answers alike (COMMAND) to an
// available shard.
func (s *Session) anyShard(args [][]byte) *call {
	t, ec := s.table()
	if t == nil {
		return ec
	}
	p := t.Shards[0]
	for _, q := range t.Shards {
		if q.Up() {
			p = q
			break
		}
	}
	return s.forwardCall(p.Conn(s.id, s.proto), args)
}

func unknownCommand(args [][]byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ERR unknown command '%.128s', with args beginning with: ", args[0])
	for _, a := range args[1:] {
		if b.Len() > 128+64 {
			break
		}
		fmt.Fprintf(&b, "'%.128s' ", a)
	}
	return b.String()
}

// Reply helpers that depend on the protocol.

func (s *Session) appendNull(b []byte) []byte {
	if s.proto == 3 {
		return resp.AppendNull(b)
	}
	return resp.AppendNullBulk(b)
}

func (s *Session) appendMap(b []byte, n int) []byte {
	if s.proto == 3 {
		return resp.AppendHeader(b, '%', n)
	}
	return resp.AppendArray(b, 2*n)
}

func (s *Session) appendPush(b []byte, n int) []byte {
	if s.proto == 3 {
		return resp.AppendHeader(b, '>', n)
	}
	return resp.AppendArray(b, n)
}

// published publishes the connection state that CLIENT LIST shows to
// other sessions, after a command that may change it, and returns c.
func (s *Session) published(c *call) *call {
	s.shown.sub.Store(int32(s.ps.channels()))
	s.shown.psub.Store(int32(s.ps.patterns()))
	s.shown.multi.Store(int32(s.tx.len()))
	s.shown.proto.Store(int32(s.proto))
	return c
}
