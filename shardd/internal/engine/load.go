package engine

import (
	"runtime/debug"
	"time"
)

// Loading. LoadAOF replays the log through replay, not Exec: loading runs
// before the server accepts a connection and before Run starts, so the
// loading session is the only one touching the keyspace and replay skips
// what only a live client needs. It runs the same handler as Exec with a
// Ctx set up the same way, but takes no slot locks, records no command
// statistics or latencies (Redis does not count commands it loads either)
// and serves no blocked clients (there are none). Commands inside
// MULTI ... EXEC still go through Exec, which queues them and runs EXEC.
//
// Two more things make a large load cheaper. The garbage collector runs
// less often (loadGCPercent): nearly everything a load allocates stays
// live, so collecting at the default GOGC would mark the growing dataset
// again and again for little garbage. And once an eighth of the AOF's
// bytes are replayed (reserveAt), every database's slot tables are sized
// for the number of keys projected for the end (keyspace.DB.Reserve), so
// that they are allocated once instead of doubling their way there, which
// took a third of the time of loading a million keys.

// loadGCPercent is the GOGC used while loading, unless it is set higher
// or off.
const loadGCPercent = 400

// reserveAt is the fraction (1/reserveAt) of the AOF's bytes after which
// the load projects its final key counts and reserves room for them.
// Early enough that little is loaded the slow way, late enough for the
// keys so far to be representative. Since the projection is at most
// reserveAt times the keys so far, an AOF whose later part adds no keys
// (counters incremented over and over) can reserve at most that much too
// much; one that was rewritten, as auto-aof-rewrite does, starts with one
// command per key.
const reserveAt = 8

// reserveMinBytes is the AOF size below which sizing the tables is not
// worth it.
const reserveMinBytes = 16 << 20

// replay applies one command of the AOF for the loading session s, like
// Exec but without locks and statistics (see above).
func (e *Engine) replay(s *Session, args [][]byte) {
	if s.tx.active {
		e.Exec(s, args)
		return
	}
	spec, h := e.lookup(s, args)
	if h == nil {
		return
	}
	x := e.newCtx(s, spec, args, time.Now())
	s.depth++
	h(x)
	s.depth--
	e.logCommand(x)
	e.afterChanges(x)
}

// loadingGC lowers the garbage collector's frequency for a load and
// returns the function that restores it.
func loadingGC() (restore func()) {
	prev := debug.SetGCPercent(loadGCPercent)
	if prev < 0 || prev > loadGCPercent {
		debug.SetGCPercent(prev)
	}
	return func() { debug.SetGCPercent(prev) }
}

// reserveForLoad sizes every database's tables for the keys it will have
// at the end of a load, projected from those it has after done of total
// bytes.
func (e *Engine) reserveForLoad(done, total int64) {
	for i := 0; i < e.ks.Databases(); i++ {
		db := e.ks.DB(i)
		db.Reserve(int64(float64(db.Size()) * float64(total) / float64(done)))
	}
}
