package engine

import (
	"sync"
	"sync/atomic"
	"time"
)

// The lock table of the two-phase commit protocol (docs/twopc.md). It
// sits beside the keyspace: a key may be held exclusively by one prepared
// transaction, or shared by any number of cross-shard reads
// (SHARDIS.LOCKREAD). Every command waits, before it runs, for the
// transactions prepared on its keys; a PREPARE never waits: it fails at
// once on a key locked either way, so no lock is ever waited for while
// another is held, and there is no deadlock.
//
// Entries change with the slot locks of their keys held (or, for shared
// locks being released, under mu alone), and are read under mu.
//
// Writers get their turn. A PREPARE refused because of shared locks
// leaves a write intent on those keys for intentWindow, and new shared
// locks wait for it to pass (or for the writer to prepare). Without it a
// steady stream of cross-shard reads can keep a key shared-locked most of
// the time, and a writer, who needs all its keys free at once on every
// shard, would never get through. An intent is not renewed until
// intentWindow after it passed: a reader waiting for it may hold shared
// locks on another shard that the writer needs, so the wait must end even
// while the writer keeps failing.

type lockKey struct {
	db  int
	key string
}

type keyLock struct {
	tx      *txn // the prepared transaction holding the key, if any
	readers int  // shared locks
}

// readLock is the shared locks of one cross-shard read. They last until
// the reader's UNLOCK, the close of the connection that took them (the
// proxy died) or the deadline, a safety net.
type readLock struct {
	db       int
	keys     []string
	deadline time.Time
	owner    *Session
}

// intentWindow spans several of the coordinator's first retries (1, 2, 4,
// 8, 16 ms apart).
const intentWindow = 30 * time.Millisecond

type txLocks struct {
	// locked counts the keys in keys; zero lets every command skip the
	// table (one atomic load on the hot path).
	locked atomic.Int64

	mu    sync.Mutex
	keys  map[lockKey]*keyLock
	reads map[string]*readLock
	// intents are the write intents, until when they last.
	intents map[lockKey]time.Time
}

func (l *txLocks) init() {
	l.keys = map[lockKey]*keyLock{}
	l.reads = map[string]*readLock{}
	l.intents = map[lockKey]time.Time{}
}

// prepared returns the channel closed when the transaction holding
// key exclusively is decided, or nil when no transaction holds it.
func (l *txLocks) prepared(db int, key []byte) <-chan struct{} {
	if l.locked.Load() == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if k := l.keys[lockKey{db, string(key)}]; k != nil && k.tx != nil {
		return k.tx.done
	}
	return nil
}

// preparedAny is prepared for several keys: the first one held.
func (l *txLocks) preparedAny(db int, args [][]byte, pos []int) <-chan struct{} {
	if l.locked.Load() == 0 {
		return nil
	}
	for _, p := range pos {
		if ch := l.prepared(db, args[p]); ch != nil {
			return ch
		}
	}
	return nil
}

// tryLock locks keys exclusively for t; false (and nothing locked) when
// any of them is locked already, either way.
func (l *txLocks) tryLock(t *txn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	free := true
	for _, k := range t.keys {
		if e := l.keys[lockKey{t.db, k}]; e != nil {
			free = false
			lk := lockKey{t.db, k}
			if until, ok := l.intents[lk]; e.tx == nil && (!ok || time.Since(until) > intentWindow) {
				l.intents[lk] = time.Now().Add(intentWindow)
			}
		}
	}
	if !free {
		return false
	}
	for _, k := range t.keys {
		l.keys[lockKey{t.db, k}] = &keyLock{tx: t}
		delete(l.intents, lockKey{t.db, k})
	}
	l.locked.Add(int64(len(t.keys)))
	return true
}

// unlock releases t's keys and wakes the commands waiting for them.
func (l *txLocks) unlock(t *txn) {
	l.mu.Lock()
	for _, k := range t.keys {
		lk := lockKey{t.db, k}
		if e := l.keys[lk]; e != nil && e.tx == t {
			delete(l.keys, lk)
			l.locked.Add(-1)
		}
	}
	l.mu.Unlock()
	close(t.done)
}

// share adds shared locks on keys for the read id; it returns instead,
// locking nothing, a channel closed when a transaction holding one of them
// is decided or when a write intent on one of them passes.
func (l *txLocks) share(s *Session, id string, db int, keys [][]byte, deadline time.Time) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	for _, k := range keys {
		lk := lockKey{db, string(k)}
		if e := l.keys[lk]; e != nil && e.tx != nil {
			return e.tx.done
		}
		if until, ok := l.intents[lk]; ok && now.Before(until) {
			wait := make(chan struct{})
			time.AfterFunc(until.Sub(now), func() { close(wait) })
			return wait
		}
	}
	r := l.reads[id]
	if r == nil {
		r = &readLock{db: db, owner: s}
		l.reads[id] = r
		if s.readIDs == nil {
			s.readIDs = map[string]struct{}{}
		}
		s.readIDs[id] = struct{}{}
	}
	r.deadline = deadline
	for _, k := range keys {
		lk := lockKey{db, string(k)}
		e := l.keys[lk]
		if e == nil {
			e = &keyLock{}
			l.keys[lk] = e
			l.locked.Add(1)
		}
		e.readers++
		r.keys = append(r.keys, lk.key)
	}
	return nil
}

// unshare releases the shared locks of the read id.
func (l *txLocks) unshare(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unshareLocked(id)
}

func (l *txLocks) unshareLocked(id string) {
	r := l.reads[id]
	if r == nil {
		return
	}
	delete(l.reads, id)
	delete(r.owner.readIDs, id)
	for _, k := range r.keys {
		lk := lockKey{r.db, k}
		e := l.keys[lk]
		if e == nil {
			continue
		}
		if e.readers--; e.readers <= 0 && e.tx == nil {
			delete(l.keys, lk)
			l.locked.Add(-1)
		}
	}
}

// dropSession releases the shared locks that session s took.
func (l *txLocks) dropSession(s *Session) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range s.readIDs {
		l.unshareLocked(id)
	}
}

// expireReads drops the shared locks of reads whose reader did not
// release them in time, and the write intents that may be renewed.
func (l *txLocks) expireReads(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, r := range l.reads {
		if now.After(r.deadline) {
			l.unshareLocked(id)
		}
	}
	for lk, until := range l.intents {
		if now.Sub(until) > intentWindow {
			delete(l.intents, lk)
		}
	}
}
