package keyspace

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/ds"
)

// Entry is what a key holds.
type Entry struct {
	Value ds.Value
	// ExpireAt is the expiry time in Unix milliseconds; 0 means none.
	ExpireAt int64
}

// Options configure a Keyspace.
type Options struct {
	// Databases is the number of databases (Redis's "databases"); >= 1.
	Databases int
	// OnExpire, if set, is called for every key deleted because it
	// expired, with the key's slot locked for writing. It must not block.
	OnExpire func(db int, key string)
	// BeforeSlotWrite, if set, is called by ExpireCycle with slot s
	// write-locked before it deletes keys of s (the engine's snapshot
	// copies the slot first).
	BeforeSlotWrite func(s int)
}

// Keyspace is all databases of one shardd plus their slot locks.
type Keyspace struct {
	opts  Options
	locks [slot.Count]sync.RWMutex
	dbs   []*DB
	// volatileIn[s] counts keys with a TTL in slot s over all databases,
	// so that ExpireCycle skips slots without TTLs without locking them.
	volatileIn [slot.Count]atomic.Int32
	// expireCursor is where the next ExpireCycle resumes.
	expireCursor atomic.Int64
}

// DB is one numbered database.
type DB struct {
	ks    *Keyspace
	index int
	// slots[s] holds slot s's keys; its maps are nil (or, after Reserve,
	// empty) while it has none.
	// The tables are values, not pointers, to save a dependent memory
	// access (a cache miss on a large keyspace) per key access.
	slots [slot.Count]table
	keys  atomic.Int64 // total keys, expired-but-not-deleted included
	// volatile counts keys with a TTL, for INFO's keyspace section.
	volatile atomic.Int64
}

type table struct {
	keys     map[string]Entry
	volatile map[string]struct{}
}

// New returns an empty keyspace.
func New(opts Options) *Keyspace {
	if opts.Databases < 1 {
		opts.Databases = 1
	}
	ks := &Keyspace{opts: opts}
	ks.dbs = make([]*DB, opts.Databases)
	for i := range ks.dbs {
		ks.dbs[i] = &DB{ks: ks, index: i}
	}
	return ks
}

// Databases reports the number of databases.
func (ks *Keyspace) Databases() int { return len(ks.dbs) }

// DB returns database i; i must be in [0, Databases()).
func (ks *Keyspace) DB(i int) *DB { return ks.dbs[i] }

// Locker locks slots for the methods that visit many slots (Scan,
// RandomKey). *Keyspace is one; a caller that already holds every slot's
// lock passes NoLock.
type Locker interface {
	Lock(s int, write bool)
	Unlock(s int, write bool)
}

// NoLock is the Locker of a caller that holds every slot lock already.
var NoLock Locker = noLock{}

type noLock struct{}

func (noLock) Lock(int, bool)   {}
func (noLock) Unlock(int, bool) {}

// Lock locks slot s for reading or writing.
func (ks *Keyspace) Lock(s int, write bool) {
	if write {
		ks.locks[s].Lock()
	} else {
		ks.locks[s].RLock()
	}
}

// Unlock undoes Lock.
func (ks *Keyspace) Unlock(s int, write bool) {
	if write {
		ks.locks[s].Unlock()
	} else {
		ks.locks[s].RUnlock()
	}
}

// LockAll write-locks every slot, in order.
func (ks *Keyspace) LockAll() {
	for i := range ks.locks {
		ks.locks[i].Lock()
	}
}

// UnlockAll undoes LockAll.
func (ks *Keyspace) UnlockAll() {
	for i := range ks.locks {
		ks.locks[i].Unlock()
	}
}

// SwapDB exchanges the contents of databases a and b. All slots must be
// write-locked.
func (ks *Keyspace) SwapDB(a, b int) {
	da, db := ks.dbs[a], ks.dbs[b]
	da.slots, db.slots = db.slots, da.slots
	ka, kb := da.keys.Load(), db.keys.Load()
	da.keys.Store(kb)
	db.keys.Store(ka)
	va, vb := da.volatile.Load(), db.volatile.Load()
	da.volatile.Store(vb)
	db.volatile.Store(va)
}

// Index is the database's number.
func (db *DB) Index() int { return db.index }

// Size is the number of keys, counting expired keys not yet deleted (as
// Redis's DBSIZE does).
func (db *DB) Size() int64 { return db.keys.Load() }

// Volatile is the number of keys with a TTL.
func (db *DB) Volatile() int64 { return db.volatile.Load() }

func live(e Entry, now int64) bool { return e.ExpireAt == 0 || e.ExpireAt > now }

// Lookup returns the live entry of key at time now (Unix ms). Needs at
// least the read lock.
func (db *DB) Lookup(key []byte, now int64) (Entry, bool) {
	e, ok := db.slots[slot.Of(key)].keys[string(key)]
	if !ok || !live(e, now) {
		return Entry{}, false
	}
	return e, true
}

// LookupWrite is Lookup that deletes the key if it has expired. Needs the
// write lock.
func (db *DB) LookupWrite(key []byte, now int64) (Entry, bool) {
	s := slot.Of(key)
	t := &db.slots[s]
	e, ok := t.keys[string(key)]
	if !ok {
		return Entry{}, false
	}
	if !live(e, now) {
		db.remove(s, t, string(key), e)
		if db.ks.opts.OnExpire != nil {
			db.ks.opts.OnExpire(db.index, string(key))
		}
		return Entry{}, false
	}
	return e, true
}

// Set stores e under key, replacing any previous entry and its TTL. Needs
// the write lock.
func (db *DB) Set(key []byte, e Entry) {
	s := slot.Of(key)
	t := &db.slots[s]
	if t.keys == nil {
		t.keys = make(map[string]Entry, 1)
	}
	k := string(key)
	if e.ExpireAt == 0 && len(t.volatile) == 0 {
		// No TTL in the slot before or after: only the key count can
		// change, and the map's length tells, so one map operation
		// suffices (SET's common case, and all of a bulk load).
		n := len(t.keys)
		t.keys[k] = e
		if len(t.keys) > n {
			db.keys.Add(1)
		}
		return
	}
	old, existed := t.keys[k]
	if !existed {
		db.keys.Add(1)
	}
	t.keys[k] = e
	switch {
	case e.ExpireAt != 0 && (!existed || old.ExpireAt == 0):
		if t.volatile == nil {
			t.volatile = make(map[string]struct{})
		}
		t.volatile[k] = struct{}{}
		db.volatile.Add(1)
		db.ks.volatileIn[s].Add(1)
	case e.ExpireAt == 0 && existed && old.ExpireAt != 0:
		delete(t.volatile, k)
		db.volatile.Add(-1)
		db.ks.volatileIn[s].Add(-1)
	}
}

// SetExpire sets key's expiry (0 removes it); false if key is missing.
// Needs the write lock.
func (db *DB) SetExpire(key []byte, at int64) bool {
	e, ok := db.slots[slot.Of(key)].keys[string(key)]
	if !ok {
		return false
	}
	e.ExpireAt = at
	db.Set(key, e)
	return true
}

// Delete removes key, expired or not; false if it was missing. Needs the
// write lock.
func (db *DB) Delete(key []byte) bool {
	s := slot.Of(key)
	t := &db.slots[s]
	e, ok := t.keys[string(key)]
	if !ok {
		return false
	}
	db.remove(s, t, string(key), e)
	return true
}

func (db *DB) remove(s int, t *table, key string, e Entry) {
	delete(t.keys, key)
	db.keys.Add(-1)
	if e.ExpireAt != 0 {
		delete(t.volatile, key)
		db.volatile.Add(-1)
		db.ks.volatileIn[s].Add(-1)
	}
	if len(t.keys) == 0 {
		*t = table{} // let the maps go: they never shrink
	}
}

// Reserve makes room for n keys in db, as many in every slot, which is
// how keys spread over slots: a bulk load that knows roughly how many
// keys are coming then allocates every slot's table once instead of
// doubling it again and again. Tables never shrink, so n should not be
// much above what will be stored. Below a few keys per slot it does
// nothing: small tables grow cheaply. Needs every slot's write lock.
func (db *DB) Reserve(n int64) {
	per := int(n / slot.Count)
	if per <= 8 {
		return
	}
	for s := range db.slots {
		t := &db.slots[s]
		if len(t.keys) >= per {
			continue
		}
		m := make(map[string]Entry, per)
		maps.Copy(m, t.keys)
		t.keys = m
	}
}

// SlotLen is the number of keys of slot s, expired ones included. Needs
// slot s's read lock.
func (db *DB) SlotLen(s int) int {
	return len(db.slots[s].keys)
}

// EachInSlot calls fn for every live key of slot s, in no particular order,
// until fn returns false. fn must not change slot s. Needs slot s's read
// lock.
func (db *DB) EachInSlot(s int, now int64, fn func(key string, e Entry) bool) {
	for k, e := range db.slots[s].keys {
		if live(e, now) && !fn(k, e) {
			return
		}
	}
}

// FlushSlot deletes every key of slot s. Needs slot s's write lock.
func (db *DB) FlushSlot(s int) {
	t := &db.slots[s]
	db.keys.Add(-int64(len(t.keys)))
	db.volatile.Add(-int64(len(t.volatile)))
	db.ks.volatileIn[s].Add(-int32(len(t.volatile)))
	*t = table{}
}
