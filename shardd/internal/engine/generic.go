package engine

import (
	"strconv"
	"strings"

	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/ds"
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

		"keys":            cmdKeys,
		"scan":            cmdScan,
		"randomkey":       cmdRandomKey,
		"rename":          cmdRename,
		"renamenx":        cmdRenameNX,
		"move":            cmdMove,
		"copy":            cmdCopy,
		"touch":           cmdExists,
		"expire":          cmdExpire,
		"pexpire":         cmdExpire,
		"expireat":        cmdExpire,
		"pexpireat":       cmdExpire,
		"ttl":             cmdTTL,
		"pttl":            cmdTTL,
		"expiretime":      cmdTTL,
		"pexpiretime":     cmdTTL,
		"persist":         cmdPersist,
		"swapdb":          cmdSwapDB,
		"object|encoding": cmdObjectEncoding,
		"object|freq":     cmdObjectFreq,
		"object|idletime": cmdObjectIdleTime,
		"object|refcount": cmdObjectRefCount,
		"object|help":     cmdObjectHelp,
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
	x.lockAll()
	x.flushDB(x.db)
	x.unlockAll()
	x.r.OK()
}

func cmdFlushAll(x *Ctx) {
	if !flushMode(x) {
		return
	}
	x.lockAll()
	for i := 0; i < x.e.ks.Databases(); i++ {
		x.flushDB(x.e.ks.DB(i))
	}
	x.unlockAll()
	x.r.OK()
}

// flushDB empties db; all slots must be write-locked.
func (x *Ctx) flushDB(db *keyspace.DB) {
	x.e.touchDB(db.Index(), -1, x.now)
	x.changes += int(db.Size())
	for s := 0; s < slot.Count; s++ {
		db.FlushSlot(s)
	}
}

var (
	errSameObject     = simpleError("ERR source and destination objects are the same")
	errFirstDBIndex   = simpleError("ERR invalid first DB index")
	errSecondDBIndex  = simpleError("ERR invalid second DB index")
	errNXAndOthers    = simpleError("ERR NX and XX, GT or LT options at the same time are not compatible")
	errGTAndLT        = simpleError("ERR GT and LT options at the same time are not compatible")
	errLFUNotSelected = simpleError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
	errLFUSelected    = simpleError("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
)

// parseInt32 parses an argument that Redis reads with getIntFromObject:
// a 64-bit integer (else ErrNotInt, or msg when given) within the C int
// range (else Redis's range error, or msg).
func parseInt32(b []byte, msg error) (int, error) {
	n, err := parseInt(b)
	if err == nil && (n < -1<<31 || n > 1<<31-1) {
		err = simpleError("ERR value is out of range, value must between -2147483648 and 2147483647")
	}
	if err != nil {
		if msg != nil {
			return 0, msg
		}
		return 0, err
	}
	return int(n), nil
}

// otherDB parses a database index argument for MOVE and COPY.
func (x *Ctx) otherDB(b []byte) (*keyspace.DB, error) {
	n, err := parseInt32(b, nil)
	if err != nil {
		return nil, err
	}
	if n < 0 || n >= x.e.ks.Databases() {
		return nil, ErrDBIndex
	}
	return x.e.ks.DB(n), nil
}

// cmdKeys: KEYS pattern. It locks one slot at a time, so it sees each
// slot at one instant but not the whole keyspace at one instant.
func cmdKeys(x *Ctx) {
	pattern := string(x.args[1])
	all := pattern == "*"
	var keys []string
	for s := 0; s < slot.Count; s++ {
		x.lockSlot(s, false)
		x.db.EachInSlot(s, x.now, func(k string, _ keyspace.Entry) bool {
			if all || config.Match(pattern, k, false) {
				keys = append(keys, k)
			}
			return true
		})
		x.unlockSlot(s, false)
	}
	x.r.StringArray(keys)
}

// cmdScan: SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The
// cursor is the next slot to visit (see keyspace.DB.Scan).
func cmdScan(x *Ctx) {
	cursor, ok := parseCursor(x.args[1])
	if !ok {
		x.r.Err(errInvalidCursor)
		return
	}
	o, ok := x.parseScanOpts(2, true)
	if !ok {
		return
	}
	var keys []string
	next := x.db.Scan(x.locker(), cursor, o.count, x.now, func(k string, e keyspace.Entry) {
		x.appendScanned(k, e, &o, &keys)
	})
	x.replyScan(next, keys)
}

func cmdRandomKey(x *Ctx) {
	k, ok := x.db.RandomKey(x.locker(), x.now)
	if !ok {
		x.r.Null()
		return
	}
	x.r.BulkString(k)
}

func cmdRename(x *Ctx)   { x.rename(false) }
func cmdRenameNX(x *Ctx) { x.rename(true) }

// rename moves the value and TTL of args[1] to args[2]; with nx only if
// args[2] does not exist.
func (x *Ctx) rename(nx bool) {
	src, dst := x.args[1], x.args[2]
	e, ok := x.lookup(src)
	if !ok {
		x.r.Err(ErrNoSuchKey)
		return
	}
	if string(src) == string(dst) {
		if nx {
			x.r.Int(0)
		} else {
			x.r.OK()
		}
		return
	}
	if _, exists := x.lookup(dst); exists && nx {
		x.r.Int(0)
		return
	}
	x.db.Delete(src)
	x.changed(src)
	x.set(dst, e.Value, e.ExpireAt)
	if nx {
		x.r.Int(1)
	} else {
		x.r.OK()
	}
}

// cmdMove: MOVE key db. The same slot lock guards the key in every
// database.
func cmdMove(x *Ctx) {
	key := x.args[1]
	dst, err := x.otherDB(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	if dst == x.db {
		x.r.Err(errSameObject)
		return
	}
	e, ok := x.lookup(key)
	if !ok {
		x.r.Int(0)
		return
	}
	if _, exists := dst.LookupWrite(key, x.now); exists {
		x.r.Int(0)
		return
	}
	dst.Set(key, e)
	x.db.Delete(key)
	x.changed(key)
	x.r.Int(1)
}

// cmdCopy: COPY source destination [DB destination-db] [REPLACE]
func cmdCopy(x *Ctx) {
	src, dstKey := x.args[1], x.args[2]
	dst := x.db
	replace := false
	for i := 3; i < len(x.args); i++ {
		switch {
		case equalFold(x.args[i], "replace"):
			replace = true
		case equalFold(x.args[i], "db") && i+1 < len(x.args):
			db, err := x.otherDB(x.args[i+1])
			if err != nil {
				x.r.Err(err)
				return
			}
			dst = db
			i++
		default:
			x.r.Err(ErrSyntax)
			return
		}
	}
	if dst == x.db && string(src) == string(dstKey) {
		x.r.Err(errSameObject)
		return
	}
	e, ok := x.lookup(src)
	if !ok {
		x.r.Int(0)
		return
	}
	if _, exists := dst.LookupWrite(dstKey, x.now); exists && !replace {
		x.r.Int(0)
		return
	}
	dst.Set(dstKey, keyspace.Entry{Value: e.Value.Clone(), ExpireAt: e.ExpireAt})
	x.changed(dstKey)
	x.r.Int(1)
}

// cmdExpire runs EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT:
// key time [NX | XX | GT | LT].
func cmdExpire(x *Ctx) {
	const (
		nx = 1 << iota
		xx
		gt
		lt
	)
	flags := 0
	for _, a := range x.args[3:] {
		switch {
		case equalFold(a, "nx"):
			flags |= nx
		case equalFold(a, "xx"):
			flags |= xx
		case equalFold(a, "gt"):
			flags |= gt
		case equalFold(a, "lt"):
			flags |= lt
		default:
			x.r.Error("ERR Unsupported option " + string(a))
			return
		}
	}
	if flags&nx != 0 && flags&(xx|gt|lt) != 0 {
		x.r.Err(errNXAndOthers)
		return
	}
	if flags&gt != 0 && flags&lt != 0 {
		x.r.Err(errGTAndLT)
		return
	}
	when, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	name := x.spec.Name
	invalid := simpleError("ERR invalid expire time in '" + name + "' command")
	if name == "expire" || name == "expireat" {
		const maxInt64 = 1<<63 - 1
		if when > maxInt64/1000 || when < -maxInt64/1000 {
			x.r.Err(invalid)
			return
		}
		when *= 1000
	}
	if name == "expire" || name == "pexpire" {
		if when > 1<<63-1-x.now {
			x.r.Err(invalid)
			return
		}
		when += x.now
	}
	key := x.args[1]
	e, ok := x.lookup(key)
	if !ok {
		x.r.Int(0)
		return
	}
	cur := e.ExpireAt // 0: no TTL, "infinite" for GT and LT
	switch {
	case flags&nx != 0 && cur != 0,
		flags&xx != 0 && cur == 0,
		flags&gt != 0 && (cur == 0 || when <= cur),
		flags&lt != 0 && cur != 0 && when >= cur:
		x.r.Int(0)
		return
	}
	// Logged with the absolute time (or as the deletion it caused), so
	// that replaying the AOF later gives the same expiry.
	if when <= x.now {
		x.del(key)
		x.logAs([]byte("DEL"), key)
	} else {
		x.setExpire(key, when)
		x.logAs([]byte("PEXPIREAT"), key, []byte(strconv.FormatInt(when, 10)))
	}
	x.r.Int(1)
}

// cmdTTL runs TTL, PTTL, EXPIRETIME and PEXPIRETIME.
func cmdTTL(x *Ctx) {
	e, ok := x.lookup(x.args[1])
	switch {
	case !ok:
		x.r.Int(-2)
		return
	case e.ExpireAt == 0:
		x.r.Int(-1)
		return
	}
	switch x.spec.Name {
	case "ttl":
		x.r.Int((e.ExpireAt - x.now + 500) / 1000)
	case "pttl":
		x.r.Int(e.ExpireAt - x.now)
	case "expiretime":
		// Unsigned, as Redis's result shows for times near the int64
		// limit (where the signed sum would overflow).
		x.r.Int(int64((uint64(e.ExpireAt) + 500) / 1000))
	default:
		x.r.Int(e.ExpireAt)
	}
}

func cmdPersist(x *Ctx) {
	key := x.args[1]
	e, ok := x.lookup(key)
	if !ok || e.ExpireAt == 0 {
		x.r.Int(0)
		return
	}
	x.setExpire(key, 0)
	x.r.Int(1)
}

// cmdSwapDB: SWAPDB index1 index2, under every slot's write lock.
func cmdSwapDB(x *Ctx) {
	a, err := parseInt32(x.args[1], errFirstDBIndex)
	if err != nil {
		x.r.Err(err)
		return
	}
	b, err := parseInt32(x.args[2], errSecondDBIndex)
	if err != nil {
		x.r.Err(err)
		return
	}
	n := x.e.ks.Databases()
	if a < 0 || a >= n || b < 0 || b >= n {
		x.r.Err(ErrDBIndex)
		return
	}
	if a != b {
		x.lockAll()
		// Clients watching a key of either database see it change.
		x.e.touchDB(int(a), int(b), x.now)
		x.e.touchDB(int(b), int(a), x.now)
		x.e.ks.SwapDB(a, b)
		x.unlockAll()
	}
	x.changes++
	x.r.OK()
}

// lookupObject is OBJECT's key lookup: nil (after replying null) when the
// key is missing.
func (x *Ctx) lookupObject() ds.Value {
	e, ok := x.lookup(x.args[2])
	if !ok {
		x.r.Null()
		return nil
	}
	return e.Value
}

func (x *Ctx) lfuPolicy() bool {
	return strings.Contains(x.e.cfg.String("maxmemory-policy"), "lfu")
}

func cmdObjectEncoding(x *Ctx) {
	if v := x.lookupObject(); v != nil {
		x.r.BulkString(v.Encoding())
	}
}

// cmdObjectFreq reports 0: shardd does not track access frequency.
func cmdObjectFreq(x *Ctx) {
	if v := x.lookupObject(); v != nil {
		if !x.lfuPolicy() {
			x.r.Err(errLFUNotSelected)
			return
		}
		x.r.Int(0)
	}
}

// cmdObjectIdleTime reports 0: shardd does not track access times.
func cmdObjectIdleTime(x *Ctx) {
	if v := x.lookupObject(); v != nil {
		if x.lfuPolicy() {
			x.r.Err(errLFUSelected)
			return
		}
		x.r.Int(0)
	}
}

// cmdObjectRefCount emulates Redis: small non-negative integers stored
// as strings are shared objects (refcount INT_MAX) unless maxmemory with
// an LRU or LFU policy disables sharing; everything else has one
// reference.
func cmdObjectRefCount(x *Ctx) {
	v := x.lookupObject()
	if v == nil {
		return
	}
	if s, ok := v.(*ds.String); ok && s.Encoding() == "int" {
		n, _ := s.Int()
		policy := x.e.cfg.String("maxmemory-policy")
		noShare := x.e.cfg.Int("maxmemory") != 0 && (strings.Contains(policy, "lru") || strings.Contains(policy, "lfu"))
		if n >= 0 && n < 10000 && !noShare {
			x.r.Int(1<<31 - 1)
			return
		}
	}
	x.r.Int(1)
}

var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

func cmdObjectHelp(x *Ctx) {
	x.r.Array(len(objectHelp))
	for _, l := range objectHelp {
		x.r.Simple(l)
	}
}

// cardinality is LLEN, HLEN, SCARD and ZCARD: the number of elements of
// the collection of kind k at the key, 0 for a missing key.
func cardinality(k ds.Kind) handler {
	return func(x *Ctx) {
		v, err := x.lookupKind(x.args[1], k)
		switch {
		case err != nil:
			x.r.Err(err)
		case v == nil:
			x.r.Int(0)
		default:
			x.r.Int(int64(v.(interface{ Len() int }).Len()))
		}
	}
}
