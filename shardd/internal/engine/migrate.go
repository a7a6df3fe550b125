package engine

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/ds"
	"github.com/shardis/shardis/shardd/internal/keyspace"
	"github.com/shardis/shardis/shardd/internal/rdb"
)

// Key moves of online resharding (docs/resharding.md; formats in
// pkg/migrate). The source of a migrating slot moves keys to the target
// with SHARDIS.MOVEKEYS (the keys a proxy is about to use) and
// SHARDIS.MIGRATESLOT (the rest, for shardis-meta); both send them with
// SHARDIS.IMPORT over a cached connection to the target.
//
// One batch: write-lock its slots (sorted), after waiting, unlocked, for
// the prepared transactions on its keys; serialize each key (DUMP's
// payload) with its absolute expiry; send one IMPORT and wait for +OK,
// which the target sends once its AOF has the keys (its reply waits for
// the AOF like any other); delete the keys here, log that as DEL, unlock.
// So a command on these keys runs here before the batch or at the target
// after it, never on a copy in between. If the exchange fails the keys
// stay here and a retry is harmless: IMPORT skips keys the target has.
//
// Keys move only out of a migrating slot (or from a shard without a slot
// table, standalone): a move requested by a proxy whose map is older than
// the shard's table (the move was aborted, the slot is owned here again)
// gets WRONGSHARD, and IMPORT refuses keys of slots the target does not
// serve, so a key never leaves the shard that serves it. Moves work on
// the connection's selected database (0 for the proxies and
// shardis-meta); the target connection selects the same one.

const (
	// moveBatchKeys and moveBatchBytes bound one IMPORT: big enough to
	// amortize the round trip, small enough not to keep a slot locked
	// long.
	moveBatchKeys  = 512
	moveBatchBytes = 4 << 20
	// dialTimeout bounds connecting to a target, and peerTimeout one
	// exchange with it (a big batch may take the target a while); the
	// slots of the batch stay locked meanwhile.
	dialTimeout = 5 * time.Second
	peerTimeout = 30 * time.Second
	// peerIdle is the number of idle connections kept per target.
	peerIdle = 4
)

func migrateCommands() map[string]handler {
	return map[string]handler{
		"shardis.movekeys":    cmdMoveKeys,
		"shardis.migrateslot": cmdMigrateSlot,
		"shardis.import":      cmdImport,
	}
}

// slotsOf returns the sorted, deduplicated slots of keys.
func slotsOf(keys [][]byte) []int {
	slots := make([]int, 0, len(keys))
	for _, k := range keys {
		slots = append(slots, slot.Of(k))
	}
	slices.Sort(slots)
	return slices.Compact(slots)
}

// unmovable reports the first of slots whose keys may not move away (see
// above), with the table's version for the refusal.
func (e *Engine) unmovable(slots []int) (version uint64, s int, refused bool) {
	t := e.slots.table.Load()
	if t == nil {
		return 0, 0, false
	}
	for _, s := range slots {
		if t.Slots[s] != migrate.Migrating {
			return t.Version, s, true
		}
	}
	return 0, 0, false
}

// preparedInSlot returns the done channel of a prepared transaction
// holding a key of slot s in db, existing or not (an MSET may create
// one), or nil.
func (l *txLocks) preparedInSlot(db, s int) <-chan struct{} {
	if l.locked.Load() == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, e := range l.keys {
		if e.tx != nil && k.db == db && slot.OfString(k.key) == s {
			return e.tx.done
		}
	}
	return nil
}

// batch is one IMPORT being built.
type batch struct {
	keys    [][]byte // the keys, for the delete here
	body    []byte   // IMPORT's arguments after the name, RESP-encoded
	payload []byte   // scratch for one key's payload
}

func (b *batch) add(key []byte, ent keyspace.Entry) {
	// Uncompressed: shards are close, and LZF would cost more CPU than
	// the bytes it saves on the wire.
	b.payload = rdb.AppendPayload(b.payload[:0], ent.Value, false)
	b.body = resp.AppendBulk(b.body, key)
	b.body = resp.AppendBulkInt(b.body, ent.ExpireAt)
	b.body = resp.AppendBulk(b.body, b.payload)
	b.keys = append(b.keys, key)
}

func (b *batch) full() bool { return len(b.keys) >= moveBatchKeys || len(b.body) >= moveBatchBytes }

func (b *batch) reset() {
	b.keys = b.keys[:0]
	b.body = b.body[:0]
}

// moveLocked sends b to target and deletes its keys here. The caller holds
// the write locks of the keys' slots; sub is the batch's own context, so
// that its deletions are logged before the caller unlocks.
func (x *Ctx) moveLocked(sub *Ctx, target string, b *batch) error {
	if len(b.keys) == 0 {
		return nil
	}
	if err := x.e.importAt(target, x.db.Index(), len(b.keys), b.body); err != nil {
		return err
	}
	del := make([][]byte, 0, 1+len(b.keys))
	del = append(del, []byte("DEL"))
	for _, k := range b.keys {
		sub.db.Delete(k)
		sub.changed(k)
		del = append(del, k)
	}
	sub.logAs(del...)
	return nil
}

// batchCtx returns a context for one batch of x, holding its changes so
// that they are logged per batch, under the batch's locks.
func (x *Ctx) batchCtx() *Ctx {
	return &Ctx{e: x.e, s: x.s, r: x.r, args: x.args, spec: x.spec, db: x.db, now: time.Now().UnixMilli(), write: true}
}

// finishBatch logs sub's deletions, unlocks and accounts for them.
func (x *Ctx) finishBatch(sub *Ctx, slots []int) {
	sub.logAndUnlock(slots)
	x.e.afterChanges(sub)
}

// lockForMove write-locks slots for a move once no prepared transaction
// holds one of the keys wait reports, waiting for decisions unlocked. It
// checks under the locks that the slots may move (SETSLOTS changes a slot
// with its lock held) and otherwise returns the refusal, unlocked.
func (x *Ctx) lockForMove(slots []int, wait func() <-chan struct{}) (refusal string) {
	for {
		for _, s := range slots {
			x.e.ks.Lock(s, true)
		}
		if v, s, refused := x.e.unmovable(slots); refused {
			x.e.unlockSlots(slots, true)
			return migrate.WrongShard(v, s)
		}
		ch := wait()
		if ch == nil {
			break
		}
		x.e.unlockSlots(slots, true)
		<-ch
	}
	x.e.beforeWrite(slots...)
	return ""
}

// cmdMoveKeys: SHARDIS.MOVEKEYS target-addr key... — the number of keys
// moved.
func cmdMoveKeys(x *Ctx) {
	target := string(x.args[1])
	keys := x.args[2:]
	var b batch
	moved := 0
	for len(keys) > 0 {
		n := min(len(keys), moveBatchKeys)
		chunk := keys[:n]
		keys = keys[n:]
		slots := slotsOf(chunk)
		db := x.db.Index()
		refusal := x.lockForMove(slots, func() <-chan struct{} {
			for _, k := range chunk {
				if ch := x.e.locks.prepared(db, k); ch != nil {
					return ch
				}
			}
			return nil
		})
		if refusal != "" {
			x.r.Error(refusal)
			return
		}
		sub := x.batchCtx()
		b.reset()
		for _, k := range chunk {
			if ent, ok := sub.lookup(k); ok && !slices.ContainsFunc(b.keys, func(o []byte) bool { return string(o) == string(k) }) {
				b.add(k, ent)
			}
		}
		err := x.moveLocked(sub, target, &b)
		x.finishBatch(sub, slots)
		if err != nil {
			x.r.Error(moveError(target, err))
			return
		}
		moved += len(b.keys)
	}
	x.r.Int(int64(moved))
}

// cmdMigrateSlot: SHARDIS.MIGRATESLOT slot target-addr count — moves up to
// count live keys of the slot in batches, each under the slot's lock, and
// replies [moved, left]. left counts the keys still here; once no live
// key is left it is 0 even if expired keys remain (active expiry deletes
// them, and they are not worth moving).
func cmdMigrateSlot(x *Ctx) {
	s, err := parseSlot(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	target := string(x.args[2])
	count, err := parseInt(x.args[3])
	if err != nil || count < 0 {
		x.r.Error("ERR invalid count")
		return
	}
	slots := []int{s}
	db := x.db.Index()
	var b batch
	var moved int64
	for {
		// A prepared transaction may hold a key of the slot that does
		// not exist yet: after its commit the key must move too.
		refusal := x.lockForMove(slots, func() <-chan struct{} { return x.e.locks.preparedInSlot(db, s) })
		if refusal != "" {
			x.r.Error(refusal)
			return
		}
		sub := x.batchCtx()
		b.reset()
		more := false
		want := int(min(count-moved, moveBatchKeys))
		if want > 0 {
			x.db.EachInSlot(s, sub.now, func(k string, ent keyspace.Entry) bool {
				if len(b.keys) >= want || b.full() {
					more = true
					return false
				}
				b.add([]byte(k), ent)
				return true
			})
		}
		err := x.moveLocked(sub, target, &b)
		left := 0
		if more || want == 0 {
			left = x.db.SlotLen(s)
		}
		x.finishBatch(sub, slots)
		if err != nil {
			x.r.Error(moveError(target, err))
			return
		}
		moved += int64(len(b.keys))
		if !more || moved >= count {
			x.r.Array(2)
			x.r.Int(moved)
			x.r.Int(int64(left))
			return
		}
	}
}

func moveError(target string, err error) string {
	return "ERR cannot move keys to " + target + ": " + err.Error()
}

// cmdImport: SHARDIS.IMPORT key expire-at-ms payload [...] — stores each
// key unless it exists here (the target's copy is newer: a client wrote it
// here after the move) or its expiry has passed. It is logged as received:
// replayed in the same state it skips the same keys.
//
// It does not wait for prepared transactions on its keys: the source holds
// its slot locks until IMPORT answers, and a transaction prepared here
// whose decision needs those locks would deadlock with it. None can hold
// a key being imported anyway: a proxy moves a key before it prepares a
// transaction on it at the target.
func cmdImport(x *Ctx) {
	args := x.args[1:]
	if len(args)%3 != 0 {
		x.r.Err(errArity(x.spec.Name))
		return
	}
	n := len(args) / 3
	keys := make([][]byte, n)
	ats := make([]int64, n)
	vals := make([]ds.Value, n)
	lim := x.restoreLimits()
	// Decoded before locking: it is the expensive part.
	for i := range n {
		keys[i] = args[3*i]
		at, err := parseInt(args[3*i+1])
		if err != nil || at < 0 {
			x.r.Error("ERR invalid expire time in " + x.spec.Name)
			return
		}
		ats[i] = at
		v, err := decodePayload(args[3*i+2], lim)
		if err != nil {
			x.r.Err(err)
			return
		}
		vals[i] = v
	}
	slots := slotsOf(keys)
	x.lockForWrite(slots)
	defer x.logAndUnlock(slots)
	if v, s, refused := x.e.unservedAny(slots); refused {
		x.r.Error(migrate.WrongShard(v, s))
		return
	}
	for i, k := range keys {
		if _, exists := x.lookup(k); exists || (ats[i] != 0 && ats[i] <= x.now) {
			continue
		}
		x.set(k, vals[i], ats[i])
	}
	x.r.OK()
}

// importAt sends one IMPORT of n keys (body: their arguments) to the
// target at addr, in database db, and waits for its answer.
func (e *Engine) importAt(addr string, db, n int, body []byte) error {
	for {
		c, reused, err := e.peers.get(addr, e.clusterSecret)
		if err != nil {
			return err
		}
		err = c.importKeys(db, n, body)
		e.peers.put(addr, c, err)
		var refused importRefused
		if err == nil || !reused || errors.As(err, &refused) {
			return err
		}
		// A cached connection the target closed meanwhile (it
		// restarted): again on another one. IMPORT is idempotent, so
		// a request that did arrive does no harm.
	}
}

// importRefused is an error reply of the target.
type importRefused string

func (e importRefused) Error() string { return string(e) }

// peerPool caches connections to the targets of key moves: a few idle
// ones per address, so concurrent moves to one target run in parallel.
type peerPool struct {
	mu     sync.Mutex // guards idle and closed
	idle   map[string][]*peerConn
	closed bool
}

// peerConn is a connection to a target shard, used by one move at a time.
type peerConn struct {
	addr string
	nc   net.Conn
	rd   *bufio.Reader
	db   int    // the selected database
	hdr  []byte // the request's header, reused
}

// get returns an idle connection to addr (reused) or a new one.
func (p *peerPool) get(addr, secret string) (c *peerConn, reused bool, err error) {
	p.mu.Lock()
	if l := p.idle[addr]; len(l) > 0 {
		c = l[len(l)-1]
		p.idle[addr] = l[:len(l)-1]
		p.mu.Unlock()
		return c, true, nil
	}
	p.mu.Unlock()
	c, err = dialPeer(addr, secret)
	return c, false, err
}

// put returns c after a use that ended with err; a connection that failed
// is closed, as its stream may be out of step.
func (p *peerPool) put(addr string, c *peerConn, err error) {
	p.mu.Lock()
	if err == nil && !p.closed && len(p.idle[addr]) < peerIdle {
		if p.idle == nil {
			p.idle = make(map[string][]*peerConn)
		}
		p.idle[addr] = append(p.idle[addr], c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	c.nc.Close()
}

// close closes the idle connections, and the others as they come back.
func (p *peerPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, l := range p.idle {
		for _, c := range l {
			c.nc.Close()
		}
	}
	p.idle = nil
}

// dialPeer connects to a target, authenticating with the cluster secret
// when there is one.
func dialPeer(addr, secret string) (*peerConn, error) {
	nc, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		return nil, err
	}
	c := &peerConn{addr: addr, nc: nc, rd: bufio.NewReader(nc)}
	if secret != "" {
		nc.SetDeadline(time.Now().Add(peerTimeout))
		req := encodeCommand(nil, [][]byte{[]byte("AUTH"), []byte(internalUser), []byte(secret)})
		if _, err = nc.Write(req); err == nil {
			err = c.expectOK("AUTH")
		}
		if err != nil {
			nc.Close()
			return nil, err
		}
	}
	return c, nil
}

// importKeys sends IMPORT (after SELECT when the connection is in another
// database) and reads the answer.
func (c *peerConn) importKeys(db, n int, body []byte) error {
	c.nc.SetDeadline(time.Now().Add(peerTimeout))
	hdr := c.hdr[:0]
	selecting := db != c.db
	if selecting {
		hdr = encodeCommand(hdr, [][]byte{[]byte("SELECT"), strconv.AppendInt(nil, int64(db), 10)})
	}
	hdr = resp.AppendArray(hdr, 1+3*n)
	hdr = resp.AppendBulkString(hdr, migrate.Import)
	c.hdr = hdr
	// Two buffers, one writev: the body is not copied.
	bufs := net.Buffers{hdr, body}
	if _, err := bufs.WriteTo(c.nc); err != nil {
		return err
	}
	if selecting {
		if err := c.expectOK("SELECT"); err != nil {
			return err
		}
		c.db = db
	}
	return c.expectOK(migrate.Import)
}

// expectOK reads one reply and wants +OK.
func (c *peerConn) expectOK(what string) error {
	line, err := readLine(c.rd)
	if err != nil {
		return err
	}
	if line != "+OK" {
		return importRefused(fmt.Sprintf("%s at %s: %s", what, c.addr, line))
	}
	return nil
}
