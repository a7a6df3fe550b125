package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/slot"
)

// handler runs one command. It writes exactly one reply to x.r (unless it
// is a subscription-style command that writes several) and reports data
// changes through x's mutators.
type handler func(x *Ctx)

// Exec runs one request of session s and appends its reply to s.Reply().
// args[0] is the command name. The args are valid only during the call.
func (e *Engine) Exec(s *Session, args [][]byte) {
	r := &s.reply
	mark := r.Len()
	spec, h := e.lookup(s, args)
	switch {
	case h == nil:
		// Any refusal inside MULTI makes EXEC abort, as in Redis.
		s.tx.aborted = s.tx.aborted || s.tx.active
	case s.tx.active && !runsInMulti(spec):
		e.queue(s, spec, h, args)
	default:
		e.execute(s, spec, args, func(x *Ctx) { e.run(x, h) })
		// Serve clients blocked on keys this command (or transaction)
		// changed, now that its locks are released.
		e.serveReady()
	}
	if b := r.b; len(b) > mark && b[mark] == '-' {
		e.errors.note(b[mark+1:])
	}
	if s.out != nil && r.Len() > 0 {
		// A subscriber's replies queue behind the messages already
		// pushed to it, in one order.
		s.out.append(r.b)
		r.Reset(0)
	}
}

// lookup resolves args to a command and checks that s may run it; on a
// refusal it writes the error and returns a nil handler.
func (e *Engine) lookup(s *Session, args [][]byte) (*command.Spec, handler) {
	r := &s.reply
	spec := command.Lookup(args[0])
	if spec == nil {
		r.Err(errUnknownCommand(args))
		return nil, nil
	}
	if spec.Subcommands != nil && (len(args) >= 2 || e.handlers[spec] == nil) {
		// A container runs a subcommand; only a container with a
		// handler of its own (COMMAND) may run without one.
		if len(args) < 2 {
			r.Err(errArity(spec.Name))
			return nil, nil
		}
		sub := spec.Sub(args[1])
		if sub == nil {
			r.Error("ERR unknown subcommand '" + abbrev(args[1]) + "'. Try " + strings.ToUpper(spec.Name) + " HELP.")
			return nil, nil
		}
		spec = sub
	}
	h := e.handlers[spec]
	if h == nil {
		r.Err(errUnknownCommand(args))
		return nil, nil
	}
	s.lastCmd.Store(spec)
	st := e.stats[spec]
	if !spec.CheckArity(len(args)) {
		st.rejected.Add(1)
		r.Err(errArity(spec.Name))
		return nil, nil
	}
	if !s.authed && spec.Flags&command.NoAuth == 0 && *e.requirepass.Load() != "" {
		st.rejected.Add(1)
		r.Err(ErrNoAuth)
		return nil, nil
	}
	if spec.IsWrite() && e.aof != nil {
		if err := e.aof.Err(); err != nil {
			st.rejected.Add(1)
			r.Err(errMisconf(err))
			return nil, nil
		}
	}
	if s.proto == 2 && s.subscribed() && !subscribedAllowed(spec.Name) {
		st.rejected.Add(1)
		r.Error("ERR Can't execute '" + spec.Name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
		return nil, nil
	}
	if spec.Flags&command.Internal != 0 && !s.internal && e.clusterSecret != "" {
		st.rejected.Add(1)
		r.Err(ErrInternalOnly)
		return nil, nil
	}
	return spec, h
}

// execute runs an admitted command through body (which locks and calls
// the handler) and accounts for it.
func (e *Engine) execute(s *Session, spec *command.Spec, args [][]byte, body func(x *Ctx)) {
	r := &s.reply
	start := time.Now()
	x := e.newCtx(s, spec, args, start)
	mark := r.Len()
	s.depth++
	body(x)
	s.depth--
	st := e.stats[spec]
	st.calls.Add(1)
	us := time.Since(start).Microseconds()
	st.usec.Add(us)
	b := 0
	for b < len(LatencyBounds) && us > LatencyBounds[b] {
		b++
	}
	st.buckets[b].Add(1)
	if r.Len() > mark && r.b[mark] == '-' {
		st.failed.Add(1)
	}
	e.totalCmds.Add(1)
	s.lastActivity.Store(x.now)
	e.afterChanges(x)
}

// newCtx sets up the session's next command context (the contexts live
// in the session, so that the hot path does not allocate one per
// command; EXEC's commands use the next one).
func (e *Engine) newCtx(s *Session, spec *command.Spec, args [][]byte, now time.Time) *Ctx {
	x := &s.ctxs[s.depth]
	*x = Ctx{e: e, s: s, r: &s.reply, args: args, spec: spec, db: e.ks.DB(s.db), now: now.UnixMilli()}
	x.write = spec.IsWrite()
	return x
}

// afterChanges accounts for what a command changed.
func (e *Engine) afterChanges(x *Ctx) {
	if x.changes > 0 {
		e.dirty.Add(int64(x.changes))
	}
}

// run locks the slots of the command's keys, runs h and unlocks. Commands
// without keys lock what they need themselves.
func (e *Engine) run(x *Ctx, h handler) {
	spec := x.spec
	if spec.KeysFunc == nil && spec.FirstKey > 0 && spec.FirstKey == spec.LastKey {
		// The common case, one key: no allocation.
		key := x.args[spec.FirstKey]
		s := slot.Of(key)
		e.ks.Lock(s, x.write)
		for wait := e.locks.prepared(x.db.Index(), key); wait != nil; wait = e.locks.prepared(x.db.Index(), key) {
			// A prepared transaction holds the key: run after its
			// decision, so as to see all of its writes or none.
			e.ks.Unlock(s, x.write)
			<-wait
			x.now = time.Now().UnixMilli()
			e.ks.Lock(s, x.write)
		}
		// The fence (slots.go). The sharded pub/sub commands name a
		// channel, not a key: a channel stays with its slot's owner
		// while the slot migrates.
		if v, refused := e.unserved(s); refused && spec.Flags&command.ShardChannel == 0 {
			e.ks.Unlock(s, x.write)
			x.r.Error(migrate.WrongShard(v, s))
			return
		}
		if x.write {
			e.beforeWrite(s)
		}
		h(x)
		e.logCommand(x)
		e.ks.Unlock(s, x.write)
		if x.blocked != nil {
			e.wait(x)
		}
		return
	}
	var posBuf [16]int
	pos := spec.AppendKeyPositions(posBuf[:0], x.args)
	if len(pos) == 0 {
		h(x)
		e.logCommand(x)
		return
	}
	var slotBuf [16]int
	slots := slotBuf[:0]
	for _, p := range pos {
		slots = append(slots, slot.Of(x.args[p]))
	}
	slices.Sort(slots)
	slots = slices.Compact(slots)
	for {
		for _, s := range slots {
			e.ks.Lock(s, x.write)
		}
		wait := e.locks.preparedAny(x.db.Index(), x.args, pos)
		if wait == nil {
			break
		}
		e.unlockSlots(slots, x.write)
		<-wait
		x.now = time.Now().UnixMilli()
	}
	if v, s, refused := e.unservedAny(slots); refused {
		e.unlockSlots(slots, x.write)
		x.r.Error(migrate.WrongShard(v, s))
		return
	}
	if x.write {
		e.beforeWrite(slots...)
	}
	h(x)
	e.logCommand(x)
	e.unlockSlots(slots, x.write)
	if x.blocked != nil {
		e.wait(x)
	}
}

// unlockSlots unlocks sorted slots, in reverse order.
func (e *Engine) unlockSlots(slots []int, write bool) {
	for i := len(slots) - 1; i >= 0; i-- {
		e.ks.Unlock(slots[i], write)
	}
}

// errUnknownCommand is Redis's reply to an unknown command, quoting the
// first arguments.
func errUnknownCommand(args [][]byte) error {
	var quoted []byte
	for _, a := range args[1:] {
		if len(quoted) >= 128 {
			break
		}
		a = a[:min(len(a), 128-len(quoted))]
		quoted = append(quoted, '\'')
		quoted = append(quoted, a...)
		quoted = append(quoted, '\'', ' ')
	}
	return simpleError("ERR unknown command '" + abbrev(args[0]) + "', with args beginning with: " + string(quoted))
}

// abbrev shortens an argument quoted in an error, as Redis does (128 bytes).
func abbrev(b []byte) string {
	if len(b) > 128 {
		b = b[:128]
	}
	return string(b)
}

type simpleError string

func (e simpleError) Error() string { return string(e) }
