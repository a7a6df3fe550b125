package engine

import (
	"strconv"
	"time"

	"github.com/shardis/shardis/shardd/internal/ds"
)

// serverCommands are the server and introspection commands.
func serverCommands() map[string]handler {
	return map[string]handler{
		"info":             cmdInfo,
		"config|get":       cmdConfigGet,
		"config|set":       cmdConfigSet,
		"config|resetstat": cmdConfigResetStat,
		"config|rewrite":   cmdConfigRewrite,
		"config|help":      cmdConfigHelp,
		"client|id":        cmdClientID,
		"client|setname":   cmdClientSetName,
		"client|getname":   cmdClientGetName,
		"client|list":      cmdClientList,
		"client|info":      cmdClientInfo,
		"client|kill":      cmdClientKill,
		"client|help":      cmdClientHelp,
		"command":          cmdCommand,
		"command|count":    cmdCommandCount,
		"command|info":     cmdCommandInfo,
		"command|getkeys":  cmdCommandGetKeys,
		"command|list":     cmdCommandList,
		"command|docs":     cmdCommandDocs,
		"command|help":     cmdCommandHelp,
		"time":             cmdTime,
		"memory|usage":     cmdMemoryUsage,
		"memory|help":      cmdMemoryHelp,
		"shutdown":         cmdShutdown,
	}
}

// cmdTime replies the server's clock: Unix seconds and microseconds, as
// two bulk strings.
func cmdTime(x *Ctx) {
	now := time.Now()
	x.r.Array(2)
	x.r.BulkInt(now.Unix())
	x.r.BulkInt(int64(now.Nanosecond() / 1000))
}

// memorySizer is implemented by values that can estimate their memory
// use the way Redis's MEMORY USAGE does: the bytes of the value's data
// structure (not of the key), looking at no more than samples elements
// of a collection and extrapolating (samples <= 0 means all).
type memorySizer interface {
	MemoryUsage(samples int) int64
}

// cmdMemoryUsage is MEMORY USAGE key [SAMPLES count]: an estimate, in
// bytes, of what the key and its value would take in redis-server.
func cmdMemoryUsage(x *Ctx) {
	samples := int64(5)
	for i := 3; i < len(x.args); i++ {
		if !equalFold(x.args[i], "samples") || i+1 == len(x.args) {
			x.r.Err(ErrSyntax)
			return
		}
		n, err := parseInt(x.args[i+1])
		if err != nil {
			x.r.Err(ErrNotInt)
			return
		}
		if n < 0 {
			x.r.Err(ErrSyntax)
			return
		}
		samples = n
		i++
	}
	key := x.args[2]
	e, ok := x.lookup(key)
	if !ok {
		x.r.Null()
		return
	}
	// A dict entry, the key's sds and the value's object header.
	const dictEntry, robj = 24, 16
	size := int64(dictEntry) + mallocSize(sdsAlloc(len(key)))
	switch v := e.Value.(type) {
	case *ds.String:
		switch v.Encoding() {
		case "int":
			size += robj
		case "embstr":
			size += mallocSize(robj + 3 + len(v.B) + 1)
		default:
			size += robj + mallocSize(sdsAlloc(len(v.B)))
		}
	case memorySizer:
		n := int(samples)
		if samples > int64(^uint(0)>>1) {
			n = 0
		}
		size += robj + v.MemoryUsage(n)
	default:
		size += robj + 32
	}
	x.r.Int(size)
}

// sdsAlloc is the size of an sds string of n bytes: header, data and the
// terminating zero.
func sdsAlloc(n int) int {
	switch {
	case n < 1<<5:
		return 1 + n + 1
	case n < 1<<8:
		return 3 + n + 1
	case n < 1<<16:
		return 5 + n + 1
	case n < 1<<32:
		return 9 + n + 1
	}
	return 17 + n + 1
}

// mallocSize rounds an allocation up to jemalloc's size class: 8, then
// multiples of 16 up to 128, then four classes per power of two.
func mallocSize(n int) int64 {
	switch {
	case n <= 8:
		return 8
	case n <= 128:
		return int64((n + 15) &^ 15)
	}
	// The spacing in (2^k, 2^(k+1)] is 2^(k-2).
	k := 0
	for 1<<(k+1) < n {
		k++
	}
	spacing := 1 << (k - 2)
	return int64((n + spacing - 1) / spacing * spacing)
}

func cmdMemoryHelp(x *Ctx) {
	x.help("MEMORY",
		"USAGE <key> [SAMPLES <count>]",
		"    Estimate the bytes <key> and its value take. Collections are estimated",
		"    from <count> of their elements (default 5; 0 means all of them).",
	)
}

// cmdShutdown is SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. The daemon
// stops cleanly; the client gets no reply, only the closed connection.
func cmdShutdown(x *Ctx) {
	var save, nosave, abort, other bool
	for _, a := range x.args[1:] {
		switch {
		case equalFold(a, "nosave"):
			nosave = true
		case equalFold(a, "save"):
			save = true
		case equalFold(a, "now"), equalFold(a, "force"):
			other = true
		case equalFold(a, "abort"):
			abort = true
		default:
			x.r.Err(ErrSyntax)
			return
		}
	}
	if (abort && (save || nosave || other)) || (save && nosave) {
		x.r.Err(ErrSyntax)
		return
	}
	if abort {
		// Shutting down is immediate: there is never one to abort.
		x.r.Error("ERR No shutdown in progress.")
		return
	}
	if x.e.shutdown == nil {
		x.e.log.Warn("SHUTDOWN refused: the engine has no shutdown function")
		x.r.Error("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	x.e.log.Warn("user requested shutdown", "client", x.s.Addr, "id", strconv.FormatInt(x.s.ID, 10))
	// SAVE saves even without save points; NOSAVE skips the save that
	// save points would make (see Engine.Close).
	switch {
	case nosave:
		x.e.shutdownSave.Store(int32(shutdownNoSave))
	case save:
		x.e.shutdownSave.Store(int32(shutdownSave))
	}
	x.s.quit = true
	go x.e.shutdown()
}
