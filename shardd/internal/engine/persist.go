package engine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/aof"
	"github.com/shardis/shardis/shardd/internal/ds"
	"github.com/shardis/shardis/shardd/internal/keyspace"
	"github.com/shardis/shardis/shardd/internal/rdb"
)

// Persistence: logging changes to the AOF, loading it, and the background
// rewrite.
//
// Logging. A command that changed data is appended to the AOF while it
// still holds its keys' locks (run, unlockAll), as its own arguments or as
// what it chose with logAs; commands inside EXEC collect into one
// MULTI ... EXEC block appended before EXEC releases its locks. So for any
// key the log has the changes in the order they were applied. A session
// remembers the AOF position of its last change, and the server waits for
// that position (BeforeReply) before writing replies.
//
// Rewrite without fork. BGREWRITEAOF takes every slot lock for an
// instant, switches the AOF to a new incremental file (aof.StartRewrite)
// and installs a snapshot. From then on the snapshot holds the keyspace as
// of that instant, slot by slot, copy-before-write: a background goroutine
// writes slot after slot into the new base file, and any writer that is
// about to change a slot the snapshot has not written yet writes it first,
// under the write lock it holds anyway. Each slot is written exactly once
// (a flag per slot), no lock is held across the dataset, memory does not
// double (values are serialized straight to the file), and nothing a
// writer waits for ever waits for a writer, so it cannot deadlock.

// AttachAOF makes the engine log changes to a (after it was loaded).
func (e *Engine) AttachAOF(a *aof.AOF) { e.aof = a }

// BeforeReply waits until the AOF has what s's replies acknowledge.
func (e *Engine) BeforeReply(s *Session) error {
	if e.aof == nil || s.aofPos == 0 {
		return nil
	}
	return e.aof.WaitWritten(s.aofPos)
}

// encodeCommand appends args as a RESP array.
func encodeCommand(dst []byte, args [][]byte) []byte {
	dst = resp.AppendArray(dst, len(args))
	for _, a := range args {
		dst = resp.AppendBulk(dst, a)
	}
	return dst
}

// txLog collects the log entries of the commands of one EXEC.
type txLog struct {
	buf     []byte
	startDB int // the database of the block's first entry
	db      int // the database of its last entry
}

// logCommand appends what x changed to the AOF (once per command).
func (e *Engine) logCommand(x *Ctx) {
	if x.notes != nil {
		e.notifyChanges(x)
	}
	if x.logDone || x.changes == 0 || e.aof == nil {
		return
	}
	x.logDone = true
	db := x.db.Index()
	if t := x.tx; t != nil {
		if len(t.buf) == 0 {
			t.startDB, t.db = db, db
		} else if db != t.db {
			t.buf = encodeCommand(t.buf, [][]byte{[]byte("SELECT"), []byte(strconv.Itoa(db))})
			t.db = db
		}
		t.buf = x.encodeLog(t.buf)
		return
	}
	x.s.aofPos = max(x.s.aofPos, e.aof.AppendFunc(db, x.encodeLog))
}

// encodeLog appends what the AOF records for x: what it chose with logAs,
// or else its arguments.
func (x *Ctx) encodeLog(dst []byte) []byte {
	if x.logged == nil {
		return encodeCommand(dst, x.args)
	}
	for _, c := range x.logged {
		dst = encodeCommand(dst, c)
	}
	return dst
}

// logTransaction appends an EXEC's block, if it changed anything.
func (e *Engine) logTransaction(s *Session, t *txLog) {
	if e.aof == nil || len(t.buf) == 0 {
		return
	}
	block := encodeCommand(nil, [][]byte{[]byte("MULTI")})
	block = append(block, t.buf...)
	block = encodeCommand(block, [][]byte{[]byte("EXEC")})
	s.aofPos = max(s.aofPos, e.aof.AppendBlock(t.startDB, block, t.db))
}

// logExpired logs the deletion of an expired key (with its slot locked).
func (e *Engine) logExpired(db int, key string) {
	if e.aof == nil {
		return
	}
	e.aof.AppendFunc(db, func(dst []byte) []byte {
		return encodeCommand(dst, [][]byte{[]byte("DEL"), []byte(key)})
	})
}

// errMisconf refuses writes after the AOF failed, as Redis does.
func errMisconf(err error) error {
	return simpleError("MISCONF Errors writing to the AOF file: " + err.Error())
}

// LoadAOF replays a into the keyspace. Call it before serving, before Run
// and before AttachAOF: it takes no slot locks (see load.go).
func (e *Engine) LoadAOF(a *aof.AOF) error {
	s := e.loadingSession()
	defer e.CloseSession(s)
	defer loadingGC()()
	n := 0
	reserved := false
	_, err := a.Load(aof.Loader{
		RDB: func(r io.Reader) error {
			_, err := e.loadRDBStream(r)
			return err
		},
		Progress: func(done, total int64) {
			if !reserved && total >= reserveMinBytes && done >= total/reserveAt {
				reserved = true
				e.reserveForLoad(done, total)
			}
		},
		Command: func(args [][]byte) error {
			mark := s.reply.Len()
			e.replay(s, args)
			b := s.reply.b
			if len(b) > mark && b[mark] == '-' {
				return errors.New(string(b[mark+1 : len(b)-2]))
			}
			s.reply.Reset(64 * 1024)
			n++
			return nil
		},
	})
	if err != nil {
		return err
	}
	if s.tx.active {
		// aof.Load hands over whole transactions only; this cannot
		// happen unless the file was edited by hand.
		return fmt.Errorf("%w: the AOF ends inside MULTI", aof.ErrCorrupt)
	}
	e.log.Info("AOF loaded", "commands", n, "keys", e.totalKeys())
	return nil
}

// loadingSession is the pseudo-client that replays the AOF: authenticated,
// allowed the internal commands, writing its replies nowhere.
func (e *Engine) loadingSession() *Session {
	s := e.NewSession("aof", "aof", discardConn{})
	s.authed, s.internal = true, true
	return s
}

type discardConn struct{}

func (discardConn) Write(b []byte) (int, error) { return len(b), nil }
func (discardConn) Close() error                { return nil }

func (e *Engine) totalKeys() int64 {
	var n int64
	for i := 0; i < e.ks.Databases(); i++ {
		n += e.ks.DB(i).Size()
	}
	return n
}

// snapshot is a point-in-time copy of the keyspace being written, slot by
// slot (see the top of this file), into a sink: RESP commands for an AOF
// base, or an RDB file.
type snapshot struct {
	dumped [slot.Count]atomic.Bool
	at     int64 // the snapshot's instant, Unix ms

	mu   sync.Mutex // guards sink, keys, err
	sink snapshotSink
	keys int64
	err  error
}

// snapshotSink receives a snapshot's keys, database by database in any
// interleaving.
type snapshotSink interface {
	key(db int, key string, ent keyspace.Entry) error
	finish() error // flushes; the caller closes the file
}

// dumpSlot writes slot s of every database unless it was written already.
// Needs slot s's lock (a read lock suffices: writers hold the write lock).
func (e *Engine) dumpSlot(sn *snapshot, s int) {
	if !sn.dumped[s].CompareAndSwap(false, true) {
		return
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	for i := 0; i < e.ks.Databases(); i++ {
		e.ks.DB(i).EachInSlot(s, sn.at, func(k string, ent keyspace.Entry) bool {
			if sn.err == nil {
				sn.err = sn.sink.key(i, k, ent)
				sn.keys++
			}
			return true
		})
	}
}

// respSink writes an AOF base in RESP form.
type respSink struct {
	w  *bufio.Writer
	db int
}

func (r *respSink) key(db int, key string, ent keyspace.Entry) error {
	if db != r.db {
		if _, err := r.w.Write(encodeCommand(nil, [][]byte{[]byte("SELECT"), []byte(strconv.Itoa(db))})); err != nil {
			return err
		}
		r.db = db
	}
	_, err := r.w.Write(rewriteCommands(nil, key, ent))
	return err
}

func (r *respSink) finish() error { return r.w.Flush() }

// rdbSink writes an RDB file (a dump.rdb, or an AOF base with
// aof-use-rdb-preamble).
type rdbSink struct {
	w  *rdb.Writer
	db int
}

func (r *rdbSink) key(db int, key string, ent keyspace.Entry) error {
	if db != r.db {
		// RDB allows a database to be selected again; the counts are
		// only sizing hints.
		if err := r.w.WriteDB(db, 0, 0); err != nil {
			return err
		}
		r.db = db
	}
	return r.w.WriteKey([]byte(key), ent.Value, ent.ExpireAt)
}

func (r *rdbSink) finish() error { return r.w.Close() }

// startSnapshot installs a snapshot of the current instant into sink.
// prepare, if not nil, runs at that instant with every slot locked (the
// AOF switches files there).
func (e *Engine) startSnapshot(prepare func() (snapshotSink, error)) (*snapshot, error) {
	e.ks.LockAll()
	defer e.ks.UnlockAll()
	sink, err := prepare()
	if err != nil {
		return nil, err
	}
	sn := &snapshot{at: time.Now().UnixMilli(), sink: sink}
	e.snap.Store(sn)
	return sn, nil
}

// completeSnapshot writes every slot the writers have not written yet,
// then uninstalls the snapshot and flushes its sink.
func (e *Engine) completeSnapshot(sn *snapshot) (keys int64, err error) {
	for s := 0; s < slot.Count; s++ {
		e.ks.Lock(s, false)
		e.dumpSlot(sn, s)
		e.ks.Unlock(s, false)
	}
	e.snap.Store(nil)
	sn.mu.Lock()
	defer sn.mu.Unlock()
	err = sn.err
	if err == nil {
		err = sn.sink.finish()
	}
	return sn.keys, err
}

// beforeWrite writes the slots a writer is about to change into the
// snapshot in progress, if any. Needs those slots' write locks.
func (e *Engine) beforeWrite(slots ...int) {
	sn := e.snap.Load()
	if sn == nil {
		return
	}
	for _, s := range slots {
		e.dumpSlot(sn, s)
	}
}

// beforeWriteAll is beforeWrite for a writer holding every slot lock.
func (e *Engine) beforeWriteAll() {
	sn := e.snap.Load()
	if sn == nil {
		return
	}
	for s := 0; s < slot.Count; s++ {
		e.dumpSlot(sn, s)
	}
}

// rewriteCommands appends the commands that recreate key's entry.
func rewriteCommands(dst []byte, key string, ent keyspace.Entry) []byte {
	k := []byte(key)
	const batch = 64 // elements per command, to keep commands small
	switch v := ent.Value.(type) {
	case *ds.String:
		dst = encodeCommand(dst, [][]byte{[]byte("SET"), k, v.B})
	case *ds.List:
		for i := 0; i < v.Len(); i += batch {
			args := [][]byte{[]byte("RPUSH"), k}
			for j := i; j < min(i+batch, v.Len()); j++ {
				args = append(args, []byte(v.At(j)))
			}
			dst = encodeCommand(dst, args)
		}
	case *ds.Hash:
		for i := 0; i < v.Len(); i += batch {
			args := [][]byte{[]byte("HSET"), k}
			for j := i; j < min(i+batch, v.Len()); j++ {
				f, val := v.At(j)
				args = append(args, []byte(f), []byte(val))
			}
			dst = encodeCommand(dst, args)
		}
	case *ds.Set:
		for i := 0; i < v.Len(); i += batch {
			args := [][]byte{[]byte("SADD"), k}
			for j := i; j < min(i+batch, v.Len()); j++ {
				args = append(args, []byte(v.Member(j)))
			}
			dst = encodeCommand(dst, args)
		}
	case *ds.ZSet:
		args := [][]byte{[]byte("ZADD"), k}
		flush := func() {
			if len(args) > 2 {
				dst = encodeCommand(dst, args)
				args = [][]byte{[]byte("ZADD"), k}
			}
		}
		v.Each(func(m ds.Member) bool {
			args = append(args, resp.AppendFloat(nil, m.Score), []byte(m.Member))
			if len(args) >= 2+2*batch {
				flush()
			}
			return true
		})
		flush()
	}
	if ent.ExpireAt != 0 {
		dst = encodeCommand(dst, [][]byte{[]byte("PEXPIREAT"), k, []byte(strconv.FormatInt(ent.ExpireAt, 10))})
	}
	return dst
}

// rewriteState is the AOF rewrite's bookkeeping for INFO and the cron.
type rewriteState struct {
	running   atomic.Bool
	count     atomic.Int64
	lastOK    atomic.Bool
	lastSecs  atomic.Int64
	startedAt atomic.Int64 // Unix s of the running one
	baseSize  atomic.Int64 // AOF size after the last rewrite
}

var errRewriteRunning = simpleError("ERR Background append only file rewriting already in progress")

// StartRewrite begins a background AOF rewrite. done, if not nil, gets
// its outcome.
func (e *Engine) StartRewrite(done func(error)) error {
	if e.aof == nil {
		return simpleError("ERR Background AOF rewrite needs appendonly yes")
	}
	if !e.snapshotting.CompareAndSwap(false, true) {
		if e.rewrite.running.Load() {
			return errRewriteRunning
		}
		return simpleError("ERR Background save in progress: try BGREWRITEAOF again when it is done")
	}
	e.rewrite.running.Store(true)
	preamble := e.cfg.Bool("aof-use-rdb-preamble")
	var rw *aof.Rewrite
	sn, err := e.startSnapshot(func() (snapshotSink, error) {
		var err error
		rw, err = e.aof.StartRewrite(preamble)
		if err != nil {
			return nil, err
		}
		// The new log starts with what recreates the two-phase
		// commit's state at this instant (the snapshot has only data).
		e.txRecords(func(db int, rec []byte) { e.aof.Append(db, rec) })
		if preamble {
			return &rdbSink{w: rdb.NewWriter(rw.Writer(), rdb.WriterOptions{AOFBase: true}), db: -1}, nil
		}
		return &respSink{w: bufio.NewWriterSize(rw.Writer(), 1<<20), db: -1}, nil
	})
	if err != nil {
		e.rewrite.running.Store(false)
		e.snapshotting.Store(false)
		return err
	}
	e.rewrite.startedAt.Store(time.Now().Unix())
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		err := e.finishRewrite(sn, rw)
		if done != nil {
			done(err)
		}
	}()
	return nil
}

func (e *Engine) finishRewrite(sn *snapshot, rw *aof.Rewrite) error {
	start := time.Now()
	keys, err := e.completeSnapshot(sn)
	if err == nil {
		err = rw.Finish()
	} else {
		rw.Abort()
	}
	e.rewrite.lastSecs.Store(int64(time.Since(start).Seconds()))
	e.rewrite.lastOK.Store(err == nil)
	e.rewrite.count.Add(1)
	e.rewrite.baseSize.Store(e.aof.Size())
	e.rewrite.running.Store(false)
	e.snapshotting.Store(false)
	if err != nil {
		e.log.Error("background AOF rewrite failed", "err", err)
		return err
	}
	e.log.Info("background AOF rewrite finished", "keys", keys, "seconds", time.Since(start).Seconds())
	return nil
}

// maybeAutoRewrite starts a rewrite when the AOF grew past
// auto-aof-rewrite-percentage of its size after the last rewrite (and is
// at least auto-aof-rewrite-min-size).
func (e *Engine) maybeAutoRewrite() {
	if e.aof == nil || e.rewrite.running.Load() {
		return
	}
	pct := e.cfg.Int("auto-aof-rewrite-percentage")
	if pct <= 0 {
		return
	}
	size := e.aof.Size()
	if size < e.cfg.Bytes("auto-aof-rewrite-min-size") {
		return
	}
	base := max(e.rewrite.baseSize.Load(), 1)
	if (size-base)*100/base >= pct {
		if err := e.StartRewrite(nil); err == nil {
			e.log.Info("starting automatic AOF rewrite", "size", size, "base_size", base)
		}
	}
}

func persistenceCommands() map[string]handler {
	return map[string]handler{
		"bgrewriteaof": cmdBgRewriteAOF,
	}
}

func cmdBgRewriteAOF(x *Ctx) {
	if err := x.e.StartRewrite(nil); err != nil {
		x.r.Err(err)
		return
	}
	x.r.Simple("Background append only file rewriting started")
}

// Close waits for background work (a rewrite or save in progress), saves
// dump.rdb when save points are configured (or SHUTDOWN SAVE asked for it,
// and not if SHUTDOWN NOSAVE did), and flushes the AOF.
func (e *Engine) Close() error {
	e.bg.Wait()
	var err error
	mode := e.shutdownSave.Load()
	if mode == shutdownSave || (mode == shutdownDefault && len(e.cfg.SaveParams()) > 0) {
		e.log.Info("saving the dataset before exiting")
		err = e.Save()
	}
	if e.aof != nil {
		if aerr := e.aof.Close(); err == nil {
			err = aerr
		}
	}
	return err
}
