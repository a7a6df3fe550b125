package keyspace

import (
	"math/rand/v2"

	"github.com/shardis/shardis/pkg/slot"
)

// Scan is one step of a SCAN over db. The cursor is the next slot to visit
// (0 starts a scan). Scan visits whole slots from cursor on, each under its
// read lock, calling fn for every live key of the slot, until it has
// passed at least count keys or visited the last slot. It returns the
// cursor of the next step, 0 once every slot was visited (or cursor was
// beyond the last slot).
//
// Because every slot is visited exactly once per full scan and a slot's
// keys are all passed at that visit, a key that exists for the whole scan
// is passed exactly once, and a key is never passed twice: SCAN's
// guarantees, without Redis's reverse-binary cursor. Keys added or removed
// during the scan may or may not be passed. fn must not change the
// keyspace. Scan takes each slot's read lock through lk, so it must be
// called without any slot lock held, or with all of them and NoLock.
func (db *DB) Scan(lk Locker, cursor uint64, count int, now int64, fn func(key string, e Entry)) (next uint64) {
	seen := 0
	for s := cursor; s < slot.Count; s++ {
		lk.Lock(int(s), false)
		for k, e := range db.slots[s].keys {
			if live(e, now) {
				fn(k, e)
				seen++
			}
		}
		lk.Unlock(int(s), false)
		if seen >= count && s+1 < slot.Count {
			return s + 1
		}
	}
	return 0
}

// RandomKey returns a random live key of db, or false if db has none. It
// starts at a random slot and takes the first slot with a live key,
// locking one slot at a time, then picks a random live key of that slot.
// The choice is not uniform over keys (keys of sparse slots are favoured),
// like Redis's RANDOMKEY, which is not uniform either. It locks like Scan.
func (db *DB) RandomKey(lk Locker, now int64) (string, bool) {
	if db.keys.Load() == 0 {
		return "", false
	}
	start := rand.IntN(slot.Count)
	for i := 0; i < slot.Count; i++ {
		s := (start + i) % slot.Count
		lk.Lock(s, false)
		k, ok := db.randomInSlot(s, now)
		lk.Unlock(s, false)
		if ok {
			return k, true
		}
	}
	return "", false
}

// randomInSlot picks a random live key of slot s. Needs s's read lock.
func (db *DB) randomInSlot(s int, now int64) (string, bool) {
	t := &db.slots[s]
	if len(t.keys) == 0 {
		return "", false
	}
	// Skip a random number of keys, then take the first live one,
	// wrapping around once so that expired keys at the end do not hide
	// live ones at the start.
	skip := rand.IntN(len(t.keys))
	var first string
	haveFirst := false
	i := 0
	for k, e := range t.keys {
		if !live(e, now) {
			i++
			continue
		}
		if i >= skip {
			return k, true
		}
		if !haveFirst {
			first, haveFirst = k, true
		}
		i++
	}
	return first, haveFirst
}
