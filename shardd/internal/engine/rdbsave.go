package engine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/atomicfile"
	"github.com/shardis/shardis/shardd/internal/ds"
	"github.com/shardis/shardis/shardd/internal/keyspace"
	"github.com/shardis/shardis/shardd/internal/rdb"
)

// RDB snapshots: SAVE, BGSAVE, LASTSAVE, the save points, loading
// dump.rdb at start-up. A save is the same per-slot copy-before-write
// snapshot as an AOF rewrite (persist.go), written to a temporary file in
// dir and renamed over dbfilename, with the directory fsynced.

// saveState is the bookkeeping of RDB saves for INFO and the cron.
type saveState struct {
	running   atomic.Bool
	count     atomic.Int64
	lastOK    atomic.Bool
	lastSecs  atomic.Int64
	startedAt atomic.Int64 // Unix s of the running one
	// lastTry is when the last save started (Unix s); a failed save is
	// retried by the save points only after a pause, as in Redis.
	lastTry atomic.Int64
	failed  atomic.Bool
}

// What Close does about saving, as SHUTDOWN chose it.
const (
	shutdownDefault = iota // save if save points are configured
	shutdownSave           // SHUTDOWN SAVE: always save
	shutdownNoSave         // SHUTDOWN NOSAVE: never save
)

func saveCommands() map[string]handler {
	return map[string]handler{
		"save":     cmdSave,
		"bgsave":   cmdBgSave,
		"lastsave": cmdLastSave,
	}
}

// rdbPath is where dump.rdb lives.
func (e *Engine) rdbPath() string {
	return filepath.Join(e.cfg.String("dir"), e.cfg.String("dbfilename"))
}

var errSaveRunning = simpleError("ERR Background save already in progress")

// StartSave begins a background RDB save. done, if not nil, gets its
// outcome.
func (e *Engine) StartSave(done func(error)) error {
	if !e.snapshotting.CompareAndSwap(false, true) {
		if e.save.running.Load() {
			return errSaveRunning
		}
		return simpleError("ERR An AOF log rewriting in progress: can't BGSAVE right now. Try again when it is done.")
	}
	e.save.running.Store(true)
	e.save.lastTry.Store(time.Now().Unix())
	path := e.rdbPath()
	var f *os.File
	dirtyAtStart := e.dirty.Load()
	sn, err := e.startSnapshot(func() (snapshotSink, error) {
		var err error
		f, err = os.CreateTemp(filepath.Dir(path), "temp-"+strconv.Itoa(os.Getpid())+"-*.rdb")
		if err != nil {
			return nil, fmt.Errorf("cannot create the RDB file: %w", err)
		}
		return &rdbSink{w: rdb.NewWriter(f, rdb.WriterOptions{}), db: -1}, nil
	})
	if err != nil {
		e.save.running.Store(false)
		e.snapshotting.Store(false)
		return err
	}
	e.save.startedAt.Store(time.Now().Unix())
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		err := e.finishSave(sn, f, path, dirtyAtStart)
		if done != nil {
			done(err)
		}
	}()
	return nil
}

func (e *Engine) finishSave(sn *snapshot, f *os.File, path string, dirtyAtStart int64) error {
	start := time.Now()
	keys, err := e.completeSnapshot(sn)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err == nil {
		err = atomicfile.SyncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	e.save.lastSecs.Store(int64(time.Since(start).Seconds()))
	e.save.lastOK.Store(err == nil)
	e.save.failed.Store(err != nil)
	e.save.running.Store(false)
	e.snapshotting.Store(false)
	if err != nil {
		e.log.Error("background RDB save failed", "err", err)
		return err
	}
	e.save.count.Add(1)
	e.dirty.Add(-dirtyAtStart)
	e.lastSave.Store(time.Now().Unix())
	e.log.Info("RDB saved", "file", path, "keys", keys, "seconds", time.Since(start).Seconds())
	return nil
}

// Save saves synchronously (SAVE, and shutdown with save points).
func (e *Engine) Save() error {
	done := make(chan error, 1)
	if err := e.StartSave(func(err error) { done <- err }); err != nil {
		return err
	}
	return <-done
}

func cmdSave(x *Ctx) {
	if err := x.e.Save(); err != nil {
		x.r.Err(err)
		return
	}
	x.r.OK()
}

// cmdBgSave: BGSAVE [SCHEDULE]
func cmdBgSave(x *Ctx) {
	if len(x.args) > 2 || (len(x.args) == 2 && !equalFold(x.args[1], "schedule")) {
		x.r.Err(ErrSyntax)
		return
	}
	if err := x.e.StartSave(nil); err != nil {
		x.r.Err(err)
		return
	}
	x.r.Simple("Background saving started")
}

func cmdLastSave(x *Ctx) { x.r.Int(x.e.lastSave.Load()) }

// maybeSave starts a background save when a save point is reached: at
// least its number of changes, and at least its seconds since the last
// save. A failed save is retried after 5 seconds, as in Redis.
func (e *Engine) maybeSave() {
	if e.snapshotting.Load() {
		return
	}
	now := time.Now().Unix()
	if e.save.failed.Load() && now-e.save.lastTry.Load() < 5 {
		return
	}
	dirty := e.dirty.Load()
	for _, p := range e.cfg.SaveParams() {
		if dirty >= int64(p.Changes) && now-e.lastSave.Load() >= int64(p.Seconds) {
			e.log.Info("save point reached, saving", "changes", dirty, "seconds", p.Seconds)
			e.StartSave(nil)
			return
		}
	}
}

// LoadRDB loads dump.rdb, when it exists, into the empty keyspace. Keys
// that have expired are skipped, as Redis does when it loads as a master.
func (e *Engine) LoadRDB() error {
	path := e.rdbPath()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", path, err)
	}
	defer f.Close()
	n, err := e.loadRDBStream(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fmt.Errorf("cannot load %s: %w", path, err)
	}
	e.log.Info("RDB loaded", "file", path, "keys", n)
	return nil
}

// loadRDBStream loads an RDB stream (a dump.rdb or an AOF's RDB base).
func (e *Engine) loadRDBStream(r io.Reader) (int64, error) {
	now := time.Now().UnixMilli()
	var n int64
	lim := &rdb.Limits{
		HashMaxListpackEntries: int(e.cfg.Int("hash-max-listpack-entries")),
		HashMaxListpackValue:   int(e.cfg.Int("hash-max-listpack-value")),
		SetMaxIntsetEntries:    int(e.cfg.Int("set-max-intset-entries")),
	}
	err := rdb.Load(r, rdb.LoadOptions{Limits: lim}, func(db int, key []byte, v ds.Value, at int64) error {
		if db >= e.ks.Databases() {
			return fmt.Errorf("the file uses database %d but databases is %d", db, e.ks.Databases())
		}
		if at != 0 && at <= now {
			return nil
		}
		s := slot.Of(key)
		e.ks.Lock(s, true)
		e.ks.DB(db).Set(key, keyspace.Entry{Value: v, ExpireAt: at})
		e.ks.Unlock(s, true)
		n++
		return nil
	})
	return n, err
}
