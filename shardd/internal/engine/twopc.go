package engine

import (
	"bufio"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/pkg/twopc"
	"github.com/shardis/shardis/shardd/internal/ds"
)

// The participant side of cross-shard atomic writes (docs/twopc.md, wire
// formats in pkg/twopc). Prepared transactions and the primary's
// decisions live in memory; every change to them is logged to the AOF as
// the command that made it, so replaying the AOF rebuilds them.

// txn is a transaction prepared on this shard.
type txn struct {
	id      string
	primary string // the primary's address; "" when this shard is it
	// secondaries are the other participants' addresses (on the primary)
	secondaries []string
	op          string
	db          int
	record      [][]byte // the PREPARE command (a copy), for AOF rewrite
	args        [][]byte // the op's arguments, in record
	keys        []string // deduplicated
	slots       []int    // the keys' slots, sorted, for locking them
	exist       int64    // the prepare reply: how many keys existed (0 for MSET)
	at          time.Time
	timeout     time.Duration
	// deadline is when the shard settles the transaction by itself;
	// resolving is set while a goroutine asks the primary (both guarded
	// by txTable.mu).
	deadline  time.Time
	resolving bool
	done      chan struct{} // closed once decided
}

// decision is a transaction outcome a primary keeps.
type decision struct {
	committed bool
	at        time.Time
}

// Retention of decisions: a committed one until FORGET (or this long),
// an abort long enough for any delayed PREPARE or COMMIT to find it.
const (
	commitRetention = 24 * time.Hour
	abortRetention  = 10 * time.Minute
	// askRetry is how long a participant waits before asking an
	// unreachable or undecided peer again.
	askRetry = time.Second
)

type txTable struct {
	mu       sync.Mutex
	prepared map[string]*txn
	decided  map[string]decision
	// settled counts transactions this shard settled by itself.
	settled atomic.Int64
}

func (t *txTable) init() {
	t.prepared = map[string]*txn{}
	t.decided = map[string]decision{}
}

func (t *txTable) get(id string) *txn {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.prepared[id]
}

func twoPhaseCommands() map[string]handler {
	return map[string]handler{
		"shardis.prepare":  cmdPrepare,
		"shardis.commit":   cmdCommit,
		"shardis.abort":    cmdAbort,
		"shardis.txstatus": cmdTxStatus,
		"shardis.forget":   cmdForget,
		"shardis.decided":  cmdDecided,
		"shardis.lockread": cmdLockRead,
		"shardis.unlock":   cmdUnlock,
		"shardis.txlist":   cmdTxList,
	}
}

func txError(code, msg string) string { return code + " " + msg }

// lockTxSlots write-locks the slots of t's keys, sorted, and prepares the
// snapshot in progress for their change; it returns them for
// logAndUnlock.
func (x *Ctx) lockTxSlots(keys []string) []int {
	slots := make([]int, 0, len(keys))
	for _, k := range keys {
		slots = append(slots, slot.OfString(k))
	}
	slices.Sort(slots)
	slots = slices.Compact(slots)
	x.lockForWrite(slots)
	return slots
}

// lockForWrite write-locks sorted slots and prepares the snapshot in
// progress for their change.
func (x *Ctx) lockForWrite(slots []int) {
	for _, s := range slots {
		x.e.ks.Lock(s, true)
	}
	x.e.beforeWrite(slots...)
}

// logAndUnlock logs the command's changes (so the AOF orders them before
// any later command on these keys) and unlocks write-locked slots.
func (x *Ctx) logAndUnlock(slots []int) {
	x.e.logCommand(x)
	x.e.unlockSlots(slots, true)
}

// cmdPrepare: SHARDIS.PREPARE txid timeout-ms primary op args...
func cmdPrepare(x *Ctx) {
	p, err := twopc.ParsePrepare(x.args)
	if err != nil {
		x.r.Error(err.Error())
		return
	}
	e := x.e
	e.txs.mu.Lock()
	if t := e.txs.prepared[p.TxID]; t != nil {
		// A repeated PREPARE (the coordinator retried): same answer.
		e.txs.mu.Unlock()
		x.r.Int(t.exist)
		return
	}
	_, decided := e.txs.decided[p.TxID]
	e.txs.mu.Unlock()
	if decided {
		x.r.Error(txError(twopc.ErrAborted, "transaction "+p.TxID+" was already decided"))
		return
	}
	t := &txn{
		id: p.TxID, primary: p.Primary, secondaries: p.Secondaries, op: p.Op, db: x.db.Index(),
		at: time.Now(), timeout: time.Duration(p.TimeoutMs) * time.Millisecond,
		done: make(chan struct{}),
	}
	t.deadline = t.at.Add(t.timeout)
	t.record = copyArgs(x.args)
	t.args = t.record[len(x.args)-len(p.Args):]
	for _, k := range p.Keys() {
		if !slices.Contains(t.keys, string(k)) {
			t.keys = append(t.keys, string(k))
		}
	}
	slots := x.lockTxSlots(t.keys)
	t.slots = slots
	defer x.logAndUnlock(slots)
	if v, s, refused := e.unservedAny(slots); refused {
		x.r.Error(migrate.WrongShard(v, s))
		return
	}
	if p.Op != twopc.OpMSET { // MSET's reply does not depend on them
		for _, k := range t.keys {
			if _, ok := x.lookup([]byte(k)); ok {
				t.exist++
			}
		}
	}
	if p.Op == twopc.OpMSETNX && t.exist > 0 {
		x.r.Int(t.exist) // a "no" vote: nothing prepared
		return
	}
	if !e.locks.tryLock(t) {
		x.r.Error(txError(twopc.ErrConflict, "a key of the transaction is locked by another transaction"))
		return
	}
	e.txs.mu.Lock()
	e.txs.prepared[t.id] = t
	e.txs.mu.Unlock()
	x.changes++ // logged as received: replaying it prepares again
	x.r.Int(t.exist)
}

// eachID runs one, a handler for a single id, for every id of a COMMIT,
// ABORT, FORGET or UNLOCK: with one id its reply is the command's; with
// several, the array of their replies. Each id runs as a command of its
// own, so the AOF records one per id, as if they had come one by one.
func (x *Ctx) eachID(one func(x *Ctx)) {
	if len(x.args) == 2 {
		one(x)
		return
	}
	x.r.Array(len(x.args) - 1)
	sub := new(Ctx)
	args := [][]byte{x.args[0], nil}
	for _, id := range x.args[1:] {
		*sub = Ctx{e: x.e, s: x.s, r: x.r, spec: x.spec, db: x.db, now: x.now, write: x.write, tx: x.tx}
		args[1] = id
		sub.args = args
		one(sub)
		x.e.logCommand(sub)
		x.changes += sub.changes
	}
	x.logDone = true // each id logged itself
}

// copyArgs returns a deep copy of args in one allocation.
func copyArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return out
}

// cmdCommit: SHARDIS.COMMIT txid... — apply the prepared writes.
func cmdCommit(x *Ctx) { x.eachID(commitOne) }

func commitOne(x *Ctx) {
	id := string(x.args[1])
	if t := x.e.txs.get(id); t != nil && x.finishTx(t, true) {
		x.r.OK()
		return
	}
	x.e.txs.mu.Lock()
	d, ok := x.e.txs.decided[id]
	x.e.txs.mu.Unlock()
	switch {
	case ok && d.committed:
		x.r.OK()
	case ok:
		x.r.Error(txError(twopc.ErrAborted, "transaction "+id+" was aborted"))
	default:
		// A secondary keeps no decisions: the coordinator takes this
		// from one as "already applied".
		x.r.Error(txError(twopc.ErrUnknown, "transaction "+id+" is not prepared here"))
	}
}

// cmdAbort: SHARDIS.ABORT txid... — drop a prepared transaction. An
// unknown id is recorded as aborted: the coordinator aborts where a
// PREPARE's reply was lost, and that PREPARE may still arrive.
func cmdAbort(x *Ctx) { x.eachID(abortOne) }

func abortOne(x *Ctx) {
	e, id := x.e, string(x.args[1])
	if t := e.txs.get(id); t != nil && x.finishTx(t, false) {
		x.r.OK()
		return
	}
	e.txs.mu.Lock()
	d, ok := e.txs.decided[id]
	if !ok && e.txs.prepared[id] == nil {
		e.txs.decided[id] = decision{at: time.Now()}
		x.changes++ // replayed, the ABORT records the same
	}
	e.txs.mu.Unlock()
	if ok && d.committed {
		x.r.Error(txError(twopc.ErrCommitted, "transaction "+id+" was committed"))
		return
	}
	x.r.OK()
}

// finishTx commits or aborts t with its keys' slots locked: it applies
// the writes (commit), records the primary's commit, logs and unlocks.
// False if another client decided t first. A primary keeps no aborts: a
// participant asking about a transaction the primary does not know is
// told it aborted.
func (x *Ctx) finishTx(t *txn, commit bool) bool {
	e := x.e
	x.db = e.ks.DB(t.db)
	x.lockForWrite(t.slots)
	defer x.logAndUnlock(t.slots)
	e.txs.mu.Lock()
	if e.txs.prepared[t.id] != t {
		e.txs.mu.Unlock()
		return false
	}
	delete(e.txs.prepared, t.id)
	if t.primary == "" && commit {
		e.txs.decided[t.id] = decision{committed: true, at: time.Now()}
	}
	e.txs.mu.Unlock()
	if commit {
		if t.op == twopc.OpMSET || t.op == twopc.OpMSETNX {
			for i := 0; i < len(t.args); i += 2 {
				x.set(t.args[i], ds.NewString(t.args[i+1]), 0)
			}
		} else {
			for _, k := range t.args {
				x.del(k)
			}
		}
	}
	x.changes++ // logged even when the writes changed nothing
	e.locks.unlock(t)
	return true
}

// cmdTxStatus: SHARDIS.TXSTATUS txid — what this shard knows of the
// transaction. An unknown one is recorded as aborted, so that it can no
// longer commit. A secondary asks its primary; a primary whose
// coordinator did not come back asks its secondaries.
func cmdTxStatus(x *Ctx) {
	e, id := x.e, string(x.args[1])
	e.txs.mu.Lock()
	t := e.txs.prepared[id]
	d, decided := e.txs.decided[id]
	if t == nil && !decided {
		e.txs.decided[id] = decision{at: time.Now()}
	}
	e.txs.mu.Unlock()
	switch {
	case t != nil:
		x.r.Simple(twopc.StatusPrepared)
	case decided && d.committed:
		x.r.Simple(twopc.StatusCommitted)
	case decided:
		x.r.Simple(twopc.StatusAborted)
	default:
		x.logAs([]byte(twopc.Decided), x.args[1], []byte(twopc.StatusAborted))
		x.changes++
		x.r.Simple(twopc.StatusAborted)
	}
}

// cmdForget: SHARDIS.FORGET txid... — every participant applied the
// decision, so the primary need not keep it.
func cmdForget(x *Ctx) { x.eachID(forgetOne) }

func forgetOne(x *Ctx) {
	e, id := x.e, string(x.args[1])
	e.txs.mu.Lock()
	_, ok := e.txs.decided[id]
	delete(e.txs.decided, id)
	e.txs.mu.Unlock()
	if ok {
		x.changes++
	}
	x.r.OK()
}

// cmdDecided: SHARDIS.DECIDED txid committed|aborted — restores a kept
// decision (the AOF records it so; clients have no use for it).
func cmdDecided(x *Ctx) {
	var d decision
	switch strings.ToLower(string(x.args[2])) {
	case twopc.StatusCommitted:
		d.committed = true
	case twopc.StatusAborted:
	default:
		x.r.Err(ErrSyntax)
		return
	}
	d.at = time.Now()
	x.e.txs.mu.Lock()
	x.e.txs.decided[string(x.args[1])] = d
	x.e.txs.mu.Unlock()
	x.changes++
	x.r.OK()
}

// cmdLockRead: SHARDIS.LOCKREAD id ttl-ms MGET|EXISTS key... — the read,
// once no prepared transaction holds its keys, with shared locks on them
// until SHARDIS.UNLOCK id or the ttl.
func cmdLockRead(x *Ctx) {
	id := string(x.args[1])
	ttl, err := parseInt(x.args[2])
	if err != nil || ttl <= 0 {
		x.r.Error("ERR invalid lock ttl")
		return
	}
	spec := command.Lookup(x.args[3])
	if spec == nil || (spec.Name != "mget" && spec.Name != "exists") {
		x.r.Error("ERR LOCKREAD runs MGET or EXISTS only")
		return
	}
	keys := x.args[4:]
	slots := slotsOf(keys)
	for {
		for _, s := range slots {
			x.e.ks.Lock(s, false)
		}
		if v, s, refused := x.e.unservedAny(slots); refused {
			x.e.unlockSlots(slots, false)
			x.r.Error(migrate.WrongShard(v, s))
			return
		}
		wait := x.e.locks.share(x.s, id, x.db.Index(), keys, time.Now().Add(time.Duration(ttl)*time.Millisecond))
		if wait == nil {
			break
		}
		x.e.unlockSlots(slots, false)
		<-wait
		x.now = time.Now().UnixMilli()
	}
	read := *x
	read.args = x.args[3:]
	read.spec = spec
	x.e.handlers[spec](&read)
	x.e.unlockSlots(slots, false)
}

// cmdUnlock: SHARDIS.UNLOCK id... — release LOCKREADs' shared locks.
func cmdUnlock(x *Ctx) { x.eachID(unlockOne) }

func unlockOne(x *Ctx) {
	x.e.locks.unshare(string(x.args[1]))
	x.r.OK()
}

// cmdTxList: SHARDIS.TXLIST — the prepared transactions, oldest first:
// id, role, age in ms, op, number of keys.
func cmdTxList(x *Ctx) {
	x.e.txs.mu.Lock()
	ts := make([]*txn, 0, len(x.e.txs.prepared))
	for _, t := range x.e.txs.prepared {
		ts = append(ts, t)
	}
	x.e.txs.mu.Unlock()
	slices.SortFunc(ts, func(a, b *txn) int { return a.at.Compare(b.at) })
	x.r.Array(len(ts))
	for _, t := range ts {
		role := "primary"
		if t.primary != "" {
			role = "secondary"
		}
		x.r.Array(5)
		x.r.BulkString(t.id)
		x.r.BulkString(role)
		x.r.Int(time.Since(t.at).Milliseconds())
		x.r.BulkString(t.op)
		x.r.Int(int64(len(t.keys)))
	}
}

// txCron settles transactions whose coordinator did not come back in
// time, forgets old decisions and releases expired shared locks.
func (e *Engine) txCron(now time.Time) {
	e.locks.expireReads(now)
	var due []*txn
	e.txs.mu.Lock()
	for _, t := range e.txs.prepared {
		if !t.resolving && now.After(t.deadline) {
			t.resolving = true
			due = append(due, t)
		}
	}
	for id, d := range e.txs.decided {
		keep := abortRetention
		if d.committed {
			keep = commitRetention
		}
		if now.Sub(d.at) > keep {
			delete(e.txs.decided, id)
		}
	}
	e.txs.mu.Unlock()
	for _, t := range due {
		e.bg.Add(1)
		go func() {
			defer e.bg.Done()
			if t.primary == "" {
				e.recoverAsPrimary(t)
			} else {
				e.resolve(t)
			}
		}()
	}
}

// resolve asks t's primary for the decision and applies it; while the
// primary cannot tell, t stays prepared and is asked about again later.
func (e *Engine) resolve(t *txn) {
	status, err := e.askStatus(t.primary, t.id)
	switch {
	case err == nil && status == twopc.StatusCommitted:
		e.log.Info("committing an in-doubt transaction as its primary decided", "tx", t.id)
		e.settle(t, twopc.Commit)
	case err == nil && status == twopc.StatusAborted:
		e.log.Info("aborting an in-doubt transaction as its primary decided", "tx", t.id)
		e.settle(t, twopc.Abort)
	default:
		if err != nil {
			e.log.Warn("cannot reach the primary of an in-doubt transaction; keeping its locks", "tx", t.id, "primary", t.primary, "err", err)
		}
		e.askLater(t)
	}
}

// recoverAsPrimary decides t, prepared on this primary, whose coordinator
// did not come back: the transaction committed if and only if every
// participant prepared it, so it asks the secondaries. Asking makes one
// that does not know t record it as aborted, so no late PREPARE can
// change the answer. While a secondary cannot be reached, t stays
// prepared and they are asked again later.
func (e *Engine) recoverAsPrimary(t *txn) {
	for _, addr := range t.secondaries {
		status, err := e.askStatus(addr, t.id)
		if err != nil {
			e.log.Warn("cannot reach a participant of an in-doubt transaction; keeping its locks", "tx", t.id, "participant", addr, "err", err)
			e.askLater(t)
			return
		}
		if status == twopc.StatusAborted {
			e.log.Info("aborting an in-doubt transaction a participant did not prepare", "tx", t.id, "participant", addr)
			e.settle(t, twopc.Abort)
			return
		}
	}
	e.log.Info("committing an in-doubt transaction every participant prepared", "tx", t.id, "age", time.Since(t.at))
	e.settle(t, twopc.Commit)
}

// askLater makes txCron take t up again after askRetry.
func (e *Engine) askLater(t *txn) {
	e.txs.mu.Lock()
	t.resolving = false
	t.deadline = time.Now().Add(askRetry)
	e.txs.mu.Unlock()
}

// settle runs COMMIT or ABORT for t as an internal client, so the change
// is logged like any other.
func (e *Engine) settle(t *txn, cmd string) {
	s := e.NewSession("internal", "internal", discardConn{})
	s.authed, s.internal, s.db = true, true, t.db
	e.Exec(s, [][]byte{[]byte(cmd), []byte(t.id)})
	e.BeforeReply(s)
	e.CloseSession(s)
	e.txs.settled.Add(1)
}

// askStatus sends SHARDIS.TXSTATUS id to the shard at addr.
func (e *Engine) askStatus(addr, id string) (string, error) {
	nc, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(2 * time.Second))
	var req []byte
	if e.clusterSecret != "" {
		req = encodeCommand(req, [][]byte{[]byte("AUTH"), []byte("shardis"), []byte(e.clusterSecret)})
	}
	req = twopc.AppendTxCommand(req, twopc.Status, id)
	if _, err := nc.Write(req); err != nil {
		return "", err
	}
	rd := bufio.NewReader(nc)
	if e.clusterSecret != "" {
		if line, err := readLine(rd); err != nil {
			return "", err
		} else if line != "+OK" {
			return "", simpleError("AUTH at " + addr + ": " + line)
		}
	}
	line, err := readLine(rd)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(line, "+") {
		return "", simpleError("TXSTATUS at " + addr + ": " + line)
	}
	return line[1:], nil
}

// readLine reads a one-line reply (simple string or error).
func readLine(rd *bufio.Reader) (string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// txRecords returns the AOF records that recreate the prepared
// transactions and kept decisions, for the start of a rewritten AOF.
// Called with every slot locked.
func (e *Engine) txRecords(appendRecord func(db int, rec []byte)) {
	e.txs.mu.Lock()
	defer e.txs.mu.Unlock()
	for _, t := range e.txs.prepared {
		appendRecord(t.db, encodeCommand(nil, t.record))
	}
	for id, d := range e.txs.decided {
		status := twopc.StatusAborted
		if d.committed {
			status = twopc.StatusCommitted
		}
		appendRecord(0, encodeCommand(nil, [][]byte{[]byte(twopc.Decided), []byte(id), []byte(status)}))
	}
}

// txInfo counts the transactions for metrics.
func (e *Engine) txInfo() (prepared, decided int, settled int64) {
	e.txs.mu.Lock()
	defer e.txs.mu.Unlock()
	return len(e.txs.prepared), len(e.txs.decided), e.txs.settled.Load()
}
