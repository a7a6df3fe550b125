package engine

import (
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/keyspace"
)

// genericCommands are the commands on keys of any type.
func genericCommands() map[string]handler {
	return map[string]handler{
		"del":      cmdDel,
		"unlink":   cmdDel,
		"exists":   cmdExists,
		"type":     cmdType,
		"dbsize":   cmdDBSize,
		"flushdb":  cmdFlushDB,
		"flushall": cmdFlushAll,
	}
}

func cmdDel(x *Ctx) {
	var n int64
	for _, k := range x.args[1:] {
		if x.del(k) {
			n++
		}
	}
	x.r.Int(n)
}

func cmdExists(x *Ctx) {
	var n int64
	for _, k := range x.args[1:] {
		if _, ok := x.lookup(k); ok {
			n++
		}
	}
	x.r.Int(n)
}

func cmdType(x *Ctx) {
	e, ok := x.lookup(x.args[1])
	if !ok {
		x.r.Simple("none")
		return
	}
	x.r.Simple(e.Value.Kind().String())
}

func cmdDBSize(x *Ctx) { x.r.Int(x.db.Size()) }

// flushMode parses FLUSHDB/FLUSHALL's optional ASYNC|SYNC. Both flush
// synchronously: freeing is the garbage collector's job in Go anyway.
func flushMode(x *Ctx) bool {
	if len(x.args) == 1 {
		return true
	}
	if len(x.args) == 2 && (equalFold(x.args[1], "async") || equalFold(x.args[1], "sync")) {
		return true
	}
	x.r.Err(ErrSyntax)
	return false
}

func cmdFlushDB(x *Ctx) {
	if !flushMode(x) {
		return
	}
	x.e.ks.LockAll()
	x.flushDB(x.db)
	x.e.ks.UnlockAll()
	x.r.OK()
}

func cmdFlushAll(x *Ctx) {
	if !flushMode(x) {
		return
	}
	x.e.ks.LockAll()
	for i := 0; i < x.e.ks.Databases(); i++ {
		x.flushDB(x.e.ks.DB(i))
	}
	x.e.ks.UnlockAll()
	x.r.OK()
}

// flushDB empties db; all slots must be write-locked.
func (x *Ctx) flushDB(db *keyspace.DB) {
	x.changes += int(db.Size())
	for s := 0; s < slot.Count; s++ {
		db.FlushSlot(s)
	}
}
