package engine

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/slot"
)

// Transactions: MULTI queues commands, EXEC runs them with every slot they
// touch locked for the whole transaction, so no other client's command
// interleaves, and WATCH makes EXEC fail when a watched key changed. As in
// Redis, an error while queuing (unknown command, wrong arity) aborts EXEC
// with EXECABORT, while a runtime error inside EXEC does not undo the other
// commands.

func transactionCommands() map[string]handler {
	return map[string]handler{
		"multi":   cmdMulti,
		"exec":    cmdExec,
		"discard": cmdDiscard,
		"watch":   cmdWatch,
		"unwatch": cmdUnwatch,
	}
}

// txState is a session's transaction state, owned by its connection
// goroutine except dirty.
type txState struct {
	active bool
	// aborted is set when a command failed to queue.
	aborted bool
	queue   []queuedCmd
	watched []watchKey
	// dirty is set (by any goroutine) when a watched key changed.
	dirty atomic.Bool
}

type queuedCmd struct {
	spec *command.Spec
	h    handler
	args [][]byte // copies, owned by the queue
}

type watchKey struct {
	db  int
	key string
	// expireAt is the key's expiry when it was watched, so that EXEC
	// fails if it expired since, even before anything deleted it.
	expireAt int64
}

// runsInMulti reports whether spec runs at once inside MULTI instead of
// being queued.
func runsInMulti(spec *command.Spec) bool {
	switch spec.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// queue adds a command to s's transaction and replies QUEUED.
func (e *Engine) queue(s *Session, spec *command.Spec, h handler, args [][]byte) {
	if spec.Flags&command.NoMulti != 0 {
		s.tx.aborted = true
		s.reply.Error("ERR Command not allowed inside a transaction")
		return
	}
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	s.tx.queue = append(s.tx.queue, queuedCmd{spec: spec, h: h, args: cp})
	s.queued.Store(int32(len(s.tx.queue)))
	s.reply.Simple("QUEUED")
}

func cmdMulti(x *Ctx) {
	if x.s.tx.active {
		x.r.Error("ERR MULTI calls can not be nested")
		return
	}
	x.s.tx.active = true
	x.s.queued.Store(0)
	x.r.OK()
}

func cmdDiscard(x *Ctx) {
	if !x.s.tx.active {
		x.r.Error("ERR DISCARD without MULTI")
		return
	}
	x.e.endTransaction(x.s)
	x.r.OK()
}

// endTransaction forgets the queue and every watched key.
func (e *Engine) endTransaction(s *Session) {
	s.tx.active = false
	s.tx.aborted = false
	s.tx.queue = nil
	s.queued.Store(-1)
	e.unwatchAll(s)
}

func cmdExec(x *Ctx) {
	s := x.s
	if !s.tx.active {
		x.r.Error("ERR EXEC without MULTI")
		return
	}
	if s.tx.aborted {
		x.e.endTransaction(s)
		x.r.Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	queue := s.tx.queue
	allLocked, slots, write := lockPlan(queue)
	for {
		if allLocked {
			x.e.ks.LockAll()
		} else {
			for _, sl := range slots {
				x.e.ks.Lock(sl, write)
			}
		}
		// Like a single command, the transaction runs after the
		// decision of any prepared transaction on its keys.
		wait := x.e.queuedKeyPrepared(s.db, queue)
		if wait == nil {
			break
		}
		x.unlockPlan(allLocked, slots, write)
		<-wait
		x.now = time.Now().UnixMilli()
	}
	// The fence (slots.go), for every queued key: the transaction runs
	// whole here or not at all.
	if v, sl, refused := x.e.queueUnserved(queue); refused {
		x.unlockPlan(allLocked, slots, write)
		x.e.endTransaction(s)
		x.r.Error(migrate.WrongShard(v, sl))
		return
	}
	if write {
		if allLocked {
			x.e.beforeWriteAll()
		} else {
			x.e.beforeWrite(slots...)
		}
	}
	// The watch check runs under the locks, so nothing can change a
	// watched key between the check and the commands.
	if s.tx.dirty.Load() || x.e.watchedKeyExpired(s, x.now) {
		x.unlockPlan(allLocked, slots, write)
		x.e.endTransaction(s)
		x.r.NullArray()
		return
	}
	x.r.Array(len(queue))
	var log txLog
	for _, q := range queue {
		x.e.execute(s, q.spec, q.args, func(sub *Ctx) {
			sub.allLocked = allLocked
			sub.inExec = true
			// Under EXEC's locks: read-locked slots only if the
			// whole transaction is read-only.
			sub.write = write || allLocked
			sub.tx = &log
			q.h(sub)
			x.e.logCommand(sub)
		})
	}
	x.e.logTransaction(s, &log)
	x.unlockPlan(allLocked, slots, write)
	x.e.endTransaction(s)
}

func (x *Ctx) unlockPlan(all bool, slots []int, write bool) {
	if all {
		x.e.ks.UnlockAll()
		return
	}
	x.e.unlockSlots(slots, write)
}

// queuedKeyPrepared returns the done channel of a prepared transaction
// holding a key of the queued commands, if any. (SELECT inside the queue
// is not followed: cluster clients use database 0.)
func (e *Engine) queuedKeyPrepared(db int, queue []queuedCmd) <-chan struct{} {
	if e.locks.locked.Load() == 0 {
		return nil
	}
	for _, q := range queue {
		if wait := e.locks.preparedAny(db, q.args, q.spec.KeyPositions(q.args)); wait != nil {
			return wait
		}
	}
	return nil
}

// lockPlan decides what EXEC locks: every slot when a queued command works
// on the whole keyspace or on slots it chooses itself (KEYS, FLUSHALL, the
// internal slot commands), else the sorted slots of all queued keys, with
// write locks if any queued command writes.
func lockPlan(queue []queuedCmd) (all bool, slots []int, write bool) {
	for _, q := range queue {
		if q.spec.Flags&(command.WholeKeyspace|command.Internal) != 0 {
			return true, nil, true
		}
		for _, p := range q.spec.KeyPositions(q.args) {
			slots = append(slots, slot.Of(q.args[p]))
		}
		write = write || q.spec.IsWrite()
	}
	slices.Sort(slots)
	return false, slices.Compact(slots), write
}

func cmdWatch(x *Ctx) {
	if x.s.tx.active {
		x.r.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	for _, k := range x.args[1:] {
		x.e.watch(x.s, x.s.db, k, x.now)
	}
	x.r.OK()
}

func cmdUnwatch(x *Ctx) {
	x.e.unwatchAll(x.s)
	x.r.OK()
}

// watchRegistry maps watched keys to the sessions watching them.
type watchRegistry struct {
	// n is the number of watched (session, key) pairs, so that writes
	// skip the registry entirely when nobody watches anything.
	n  atomic.Int64
	mu sync.Mutex // guards by
	by map[watchID]map[*Session]struct{}
}

type watchID struct {
	db  int
	key string
}

// watch registers s as watching key in db. Called with key's slot locked
// (WATCH's key arguments), so the expiry read is consistent.
func (e *Engine) watch(s *Session, db int, key []byte, now int64) {
	id := watchID{db, string(key)}
	for _, w := range s.tx.watched {
		if w.db == db && w.key == id.key {
			return
		}
	}
	var at int64
	if ent, ok := e.ks.DB(db).Lookup(key, now); ok {
		at = ent.ExpireAt
	}
	s.tx.watched = append(s.tx.watched, watchKey{db: db, key: id.key, expireAt: at})
	r := &e.watches
	r.mu.Lock()
	if r.by == nil {
		r.by = make(map[watchID]map[*Session]struct{})
	}
	set := r.by[id]
	if set == nil {
		set = make(map[*Session]struct{})
		r.by[id] = set
	}
	set[s] = struct{}{}
	r.mu.Unlock()
	r.n.Add(1)
}

// unwatchAll forgets every key s watches and clears its dirty flag.
func (e *Engine) unwatchAll(s *Session) {
	if len(s.tx.watched) > 0 {
		r := &e.watches
		r.mu.Lock()
		for _, w := range s.tx.watched {
			id := watchID{w.db, w.key}
			if set := r.by[id]; set != nil {
				delete(set, s)
				if len(set) == 0 {
					delete(r.by, id)
				}
			}
		}
		r.mu.Unlock()
		r.n.Add(-int64(len(s.tx.watched)))
		s.tx.watched = nil
	}
	s.tx.dirty.Store(false)
}

// touch marks every session watching key in db: its EXEC will fail.
func (e *Engine) touch(db int, key []byte) {
	r := &e.watches
	if r.n.Load() == 0 {
		return
	}
	r.mu.Lock()
	for s := range r.by[watchID{db, string(key)}] {
		s.tx.dirty.Store(true)
	}
	r.mu.Unlock()
}

// touchDB marks every session watching a key of db that exists now in db
// or, for SWAPDB, in the database other that replaces it (-1 for none).
// Called before FLUSHDB/FLUSHALL/SWAPDB, with every slot locked.
func (e *Engine) touchDB(db, other int, now int64) {
	r := &e.watches
	if r.n.Load() == 0 {
		return
	}
	exists := func(d int, key string) bool {
		_, ok := e.ks.DB(d).Lookup([]byte(key), now)
		return ok
	}
	r.mu.Lock()
	for id, set := range r.by {
		if id.db != db {
			continue
		}
		if !exists(db, id.key) && (other < 0 || !exists(other, id.key)) {
			continue
		}
		for s := range set {
			s.tx.dirty.Store(true)
		}
	}
	r.mu.Unlock()
}

// watchedKeyExpired reports whether a key that was live when s watched it
// has logically expired since (Redis 7.0 fails EXEC then, even if nothing
// deleted the key yet). Called with the watched keys' slots locked.
func (e *Engine) watchedKeyExpired(s *Session, now int64) bool {
	for _, w := range s.tx.watched {
		if w.expireAt != 0 && w.expireAt <= now {
			return true
		}
	}
	return false
}
