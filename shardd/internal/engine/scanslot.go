package engine

import (
	"strings"
	"sync"
	"time"

	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/shardd/internal/keyspace"
)

// SHARDIS.SCANSLOT serves the proxy's cluster-wide SCAN: it walks slots
// in order, each one whole or, when it holds more keys than one call
// should return, in pages of a snapshot of its keys taken at the first
// page. Keys present for the whole scan are in the snapshot, so they are
// returned; keys added later may not be, and keys deleted meanwhile are
// left out, as SCAN allows. A position whose snapshot is gone (expired,
// or taken on the shard the slot moved from) starts the slot again, which
// may return keys twice, which SCAN allows too.
//
// It is fenced: a slot this shard does not own whole (not served, or
// being migrated in or out) gets -WRONGSHARD, so a proxy with a stale map
// can never take the old owner's empty slot for the keys' absence.

// Snapshot positions: id<<posIDShift | offset. A slot's position must fit
// in a client's 64-bit cursor beside the slot number (14 bits).
const (
	posIDShift = 26
	posIDMask  = 1<<24 - 1
	// wholeSlot: a slot with at most this many keys is returned in one
	// call, whatever the COUNT (SCAN may return more than COUNT).
	wholeSlot = 512
	// Snapshots not used for snapshotIdle are dropped; at most
	// maxSnapshots are kept (the oldest go first).
	snapshotIdle = time.Minute
	maxSnapshots = 1024
)

// slotSnapshot is the key list of one slot of one database.
type slotSnapshot struct {
	slot, db int
	keys     []string
	used     time.Time
}

// slotScans holds the snapshots of slots being scanned in pages.
type slotScans struct {
	mu   sync.Mutex
	m    map[uint64]*slotSnapshot
	next uint64
}

func (sc *slotScans) get(id uint64, s, db int) *slotSnapshot {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	snap := sc.m[id]
	if snap == nil || snap.slot != s || snap.db != db {
		return nil
	}
	snap.used = time.Now()
	return snap
}

func (sc *slotScans) add(snap *slotSnapshot) uint64 {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.m == nil {
		sc.m = map[uint64]*slotSnapshot{}
	}
	if len(sc.m) >= maxSnapshots {
		var oldest uint64
		for id, s := range sc.m {
			if oldest == 0 || s.used.Before(sc.m[oldest].used) {
				oldest = id
			}
		}
		delete(sc.m, oldest)
	}
	sc.next = sc.next%posIDMask + 1 // never 0: position 0 is a slot's start
	snap.used = time.Now()
	sc.m[sc.next] = snap
	return sc.next
}

func (sc *slotScans) drop(id uint64) {
	sc.mu.Lock()
	delete(sc.m, id)
	sc.mu.Unlock()
}

// expire drops the snapshots idle since before now-snapshotIdle.
func (sc *slotScans) expire(now time.Time) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for id, s := range sc.m {
		if now.Sub(s.used) > snapshotIdle {
			delete(sc.m, id)
		}
	}
}

// cmdScanSlot: SHARDIS.SCANSLOT slot position last-slot [MATCH pattern]
// [COUNT count] [TYPE type] — keys of slots slot..last-slot, starting at
// position in the first, until about count keys. The reply is
// [next-slot, next-position, [keys]]; next-slot is last-slot+1 when the
// range is done.
func cmdScanSlot(x *Ctx) {
	s, err := parseSlot(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	pos, ok := parseCursor(x.args[2])
	if !ok {
		x.r.Err(errInvalidCursor)
		return
	}
	last, err := parseSlot(x.args[3])
	if err != nil || last < s {
		x.r.Error("ERR invalid last slot")
		return
	}
	o, ok := x.parseScanOpts(4, true)
	if !ok {
		return
	}
	var keys []string
	for s <= last && len(keys) < o.count {
		if t := x.e.slots.table.Load(); t != nil && t.Slots[s] != migrate.Owned {
			if len(keys) == 0 {
				x.r.Error(migrate.WrongShard(t.Version, s))
				return
			}
			break // the caller gets these, and the refusal next time
		}
		if pos = x.scanOneSlot(s, pos, &o, &keys); pos != 0 {
			break
		}
		s++
	}
	x.r.Array(3)
	x.r.Int(int64(s))
	var tmp [20]byte
	x.r.Bulk(appendUint(tmp[:0], pos))
	x.r.StringArray(keys)
}

// scanOneSlot appends the matching keys of slot s from position pos, up
// to o.count in all (a small slot goes whole), and returns the position
// to go on from, 0 when the slot is done.
func (x *Ctx) scanOneSlot(s int, pos uint64, o *scanOpts, keys *[]string) uint64 {
	x.lockSlot(s, false)
	defer x.unlockSlot(s, false)
	db := x.db.Index()
	var snap *slotSnapshot
	id, off := pos>>posIDShift, int(pos&(1<<posIDShift-1))
	if pos != 0 {
		snap = x.e.scans.get(id, s, db)
	}
	if snap == nil {
		off = 0
		if n := x.db.SlotLen(s); n <= max(wholeSlot, o.count-len(*keys)) {
			x.db.EachInSlot(s, x.now, func(k string, e keyspace.Entry) bool {
				x.appendScanned(k, e, o, keys)
				return true
			})
			return 0
		}
		snap = &slotSnapshot{slot: s, db: db}
		x.db.EachInSlot(s, x.now, func(k string, _ keyspace.Entry) bool {
			snap.keys = append(snap.keys, k)
			return true
		})
		id = x.e.scans.add(snap)
	}
	for ; off < len(snap.keys) && len(*keys) < o.count; off++ {
		k := snap.keys[off]
		if e, ok := x.db.Lookup([]byte(k), x.now); ok {
			x.appendScanned(k, e, o, keys)
		}
	}
	if off >= len(snap.keys) {
		x.e.scans.drop(id)
		return 0
	}
	return id<<posIDShift | uint64(off)
}

// appendScanned appends k to keys if it passes MATCH and TYPE.
func (x *Ctx) appendScanned(k string, e keyspace.Entry, o *scanOpts, keys *[]string) {
	if !o.matches(k) || o.useType && !strings.EqualFold(o.typeName, e.Value.Kind().String()) {
		return
	}
	*keys = append(*keys, k)
}
