package engine

import (
	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/shardd/internal/ds"
	"github.com/shardis/shardis/shardd/internal/keyspace"
)

// Ctx is one command's execution context: its arguments, its session, the
// database it runs in, the time it runs at and where its reply goes. The
// dispatcher holds the locks of the command's key slots for the whole call
// (write locks when the command is flagged write).
//
// Handlers change data only through Ctx's mutators (set, del, setExpire) or
// by changing a value in place and then calling changed(key); that is what
// counts changes for persistence and, later, wakes WATCH and blocked
// clients.
type Ctx struct {
	e    *Engine
	s    *Session
	r    *Reply
	args [][]byte
	spec *command.Spec
	db   *keyspace.DB
	// now is the command's time in Unix ms; every expiry decision of
	// the command uses it, so one command sees one consistent instant.
	now   int64
	write bool
	// allLocked is set when the caller already holds every slot's write
	// lock (EXEC of a transaction with a whole-keyspace command), so the
	// lock helpers below must not lock again.
	allLocked bool
	// inExec is set for commands run by EXEC: blocking commands must not
	// block there.
	inExec bool
	// serving is set when the command runs on behalf of a blocked client;
	// wouldBlock reports that it found nothing for it after all.
	serving, wouldBlock bool
	// blocked is the wait a blocking command asked for, and waiter its
	// registration; the dispatcher waits after releasing the locks.
	blocked *blockReq
	waiter  *waiter
	// logDone is set once the command's changes are in the AOF; tx, inside
	// EXEC, collects them into the transaction's block instead.
	logDone bool
	tx      *txLog
	// notes are the keys changed, for keyspace notifications (recorded
	// only while notifications are on).
	notes []changedKey
	// changes counts the keys the command changed.
	changes int
	// logged, when set by logAs, replaces the command's own arguments in
	// the AOF: commands whose replay would not reproduce their effect
	// (relative expiries, random pops) log their effect instead.
	logged [][][]byte
}

// lookup returns key's live entry; under a write lock it also deletes the
// key if it has expired.
func (x *Ctx) lookup(key []byte) (keyspace.Entry, bool) {
	if x.write {
		return x.db.LookupWrite(key, x.now)
	}
	return x.db.Lookup(key, x.now)
}

// lookupKind returns key's value if it has kind k. A missing key gives
// (nil, nil); another kind gives ErrWrongType.
func (x *Ctx) lookupKind(key []byte, k ds.Kind) (ds.Value, error) {
	e, ok := x.lookup(key)
	if !ok {
		return nil, nil
	}
	if e.Value.Kind() != k {
		return nil, ErrWrongType
	}
	return e.Value, nil
}

// set stores v under key with expiry at (Unix ms, 0 for none), replacing
// whatever was there.
func (x *Ctx) set(key []byte, v ds.Value, at int64) {
	x.db.Set(key, keyspace.Entry{Value: v, ExpireAt: at})
	x.changed(key)
}

// setKeepTTL stores v under key keeping the key's current TTL, if any.
func (x *Ctx) setKeepTTL(key []byte, v ds.Value) {
	var at int64
	if e, ok := x.lookup(key); ok {
		at = e.ExpireAt
	}
	x.set(key, v, at)
}

// del deletes key; false if it did not exist (or had expired).
func (x *Ctx) del(key []byte) bool {
	if _, ok := x.lookup(key); !ok {
		return false
	}
	x.db.Delete(key)
	x.changed(key)
	return true
}

// setExpire sets key's expiry time; false if the key is missing.
func (x *Ctx) setExpire(key []byte, at int64) bool {
	if _, ok := x.lookup(key); !ok {
		return false
	}
	x.db.SetExpire(key, at)
	x.changed(key)
	return true
}

// changed records that key's value in the command's database was changed
// (in place or by a mutator). Handlers that modify a value in place must
// call it.
func (x *Ctx) changed(key []byte) {
	x.changedIn(x.db, key)
}

// changedIn is changed for a key of another database (MOVE, COPY ... DB).
func (x *Ctx) changedIn(db *keyspace.DB, key []byte) {
	x.changes++
	x.e.touch(db.Index(), key)
	x.e.signalReady(db.Index(), key)
	if x.e.notifyOn() {
		x.notes = append(x.notes, changedKey{db.Index(), string(key)})
	}
}

// logAs makes the AOF record args instead of the command as received; it
// may be called several times to log several commands. It copies args.
// Handlers use it when replaying their own arguments would not reproduce
// their effect: EXPIRE logs PEXPIREAT with the absolute time, SPOP logs the
// SREM of what it popped, SET EX logs SET PXAT.
func (x *Ctx) logAs(args ...[]byte) {
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	x.logged = append(x.logged, cp)
}

// arg returns argument i as a string (allocates).
func (x *Ctx) arg(i int) string { return string(x.args[i]) }

// locker is what keyspace methods that visit many slots lock through.
func (x *Ctx) locker() keyspace.Locker {
	if x.allLocked {
		return keyspace.NoLock
	}
	return x.e.ks
}

// lockSlot locks slot s for a command without key arguments that visits
// slots itself (KEYS, SCAN, the internal slot commands).
func (x *Ctx) lockSlot(s int, write bool) {
	if !x.allLocked {
		x.e.ks.Lock(s, write)
	}
}

// unlockSlot undoes lockSlot.
func (x *Ctx) unlockSlot(s int, write bool) {
	if !x.allLocked {
		x.e.ks.Unlock(s, write)
	}
}

// lockAll write-locks every slot, for FLUSHDB, FLUSHALL and SWAPDB.
func (x *Ctx) lockAll() {
	if !x.allLocked {
		x.e.ks.LockAll()
		x.e.beforeWriteAll()
	}
}

// unlockAll undoes lockAll, logging the command's changes first so that
// the AOF orders them before any later command.
func (x *Ctx) unlockAll() {
	x.e.logCommand(x)
	if !x.allLocked {
		x.e.ks.UnlockAll()
	}
}
