package keyspace

import (
	"time"

	"github.com/shardis/shardis/pkg/slot"
)

// expireSample is how many volatile keys of a slot one visit checks.
const expireSample = 20

// ExpireCycle deletes expired keys until budget is spent or every slot was
// visited once, resuming where the last cycle stopped. Like Redis's active
// expiry it samples volatile keys; a slot where more than a quarter of the
// sample had expired is visited again at once. It takes each slot's write
// lock only while it works on that slot. It returns how many keys it
// deleted.
func (ks *Keyspace) ExpireCycle(now int64, budget time.Duration) int {
	deadline := time.Now().Add(budget)
	start := int(ks.expireCursor.Load())
	deleted := 0
	for i := 0; i < slot.Count; i++ {
		s := (start + i) % slot.Count
		if i%64 == 0 && time.Now().After(deadline) {
			ks.expireCursor.Store(int64(s))
			return deleted
		}
		if ks.volatileIn[s].Load() == 0 {
			continue // most slots have no TTLs: skip them without locking
		}
		ks.locks[s].Lock()
		if ks.opts.BeforeSlotWrite != nil {
			ks.opts.BeforeSlotWrite(s)
		}
		for _, db := range ks.dbs {
			for {
				n, sampled := ks.expireSlot(db, s, now)
				deleted += n
				if sampled == 0 || n*4 <= sampled {
					break
				}
			}
		}
		ks.locks[s].Unlock()
	}
	ks.expireCursor.Store(int64(start))
	return deleted
}

// expireSlot checks up to expireSample volatile keys of slot s in db. Needs
// slot s's write lock.
func (ks *Keyspace) expireSlot(db *DB, s int, now int64) (deleted, sampled int) {
	t := &db.slots[s]
	if len(t.volatile) == 0 {
		return 0, 0
	}
	var expired [expireSample]string
	n := 0
	for k := range t.volatile {
		if sampled == expireSample {
			break
		}
		sampled++
		if e := t.keys[k]; !live(e, now) {
			expired[n] = k
			n++
		}
	}
	for _, k := range expired[:n] {
		db.remove(s, t, k, t.keys[k])
		if ks.opts.OnExpire != nil {
			ks.opts.OnExpire(db.index, k)
		}
	}
	return n, sampled
}
