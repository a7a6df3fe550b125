package engine

import (
	"strconv"

	"github.com/shardis/shardis/shardd/internal/config"
)

// Keyspace notifications (notify-keyspace-events). Handlers report every
// key they change (Ctx.changed); when notifications are on, the dispatcher
// turns each change into Redis's event for the command, published on
// __keyspace@<db>__:<key> (K) and __keyevent@<db>__:<event> (E) while the
// command still holds its locks, so events come in the order of the
// changes. A collection the command emptied also gets "del", as in Redis.

// notifyOn reports whether any notification is enabled.
func (e *Engine) notifyOn() bool { return e.notifyFlags.Load() != 0 }

// changedKey is one change recorded for notifications.
type changedKey struct {
	db  int
	key string
}

// setNotifyFlags applies a notify-keyspace-events value.
func (e *Engine) setNotifyFlags(v string) error {
	f, err := config.NotifyFlags(v)
	if err != nil {
		return err
	}
	e.notifyFlags.Store(int32(f))
	return nil
}

// notify publishes one event if its class is enabled.
func (e *Engine) notify(class int, event string, db int, key string) {
	flags := int(e.notifyFlags.Load())
	if flags&class == 0 {
		return
	}
	d := strconv.Itoa(db)
	if flags&config.NotifyKeyspace != 0 {
		e.publish(subChannel, []byte("__keyspace@"+d+"__:"+key), []byte(event))
	}
	if flags&config.NotifyKeyevent != 0 {
		e.publish(subChannel, []byte("__keyevent@"+d+"__:"+event), []byte(key))
	}
}

// notifyChanges publishes the events of what x changed (once).
func (e *Engine) notifyChanges(x *Ctx) {
	changes := x.notes
	x.notes = nil
	for i, c := range changes {
		class, event := eventOf(x, i, c.key)
		if event == "" {
			continue
		}
		e.notify(class, event, c.db, c.key)
		if class != config.NotifyGeneric && event != "del" {
			if _, ok := e.ks.DB(c.db).Lookup([]byte(c.key), x.now); !ok {
				e.notify(config.NotifyGeneric, "del", c.db, c.key)
			}
		}
		if i == len(changes)-1 && setsExpiry(x) {
			e.notify(config.NotifyGeneric, "expire", c.db, c.key)
		}
	}
}

// setsExpiry reports whether a SET-family command also set a TTL.
func setsExpiry(x *Ctx) bool {
	switch x.spec.Name {
	case "setex", "psetex":
		return true
	case "set":
		for _, a := range x.args[3:] {
			if equalFold(a, "ex") || equalFold(a, "px") || equalFold(a, "exat") || equalFold(a, "pxat") {
				return true
			}
		}
	}
	return false
}

// sameEvent maps commands to their event name and class.
var sameEvent = map[string]struct {
	class int
	event string
}{
	"set": {config.NotifyString, "set"}, "setnx": {config.NotifyString, "set"}, "setex": {config.NotifyString, "set"},
	"psetex": {config.NotifyString, "set"}, "getset": {config.NotifyString, "set"}, "mset": {config.NotifyString, "set"},
	"msetnx": {config.NotifyString, "set"}, "append": {config.NotifyString, "append"}, "setrange": {config.NotifyString, "setrange"},
	"incr": {config.NotifyString, "incrby"}, "decr": {config.NotifyString, "incrby"}, "incrby": {config.NotifyString, "incrby"},
	"decrby": {config.NotifyString, "incrby"}, "incrbyfloat": {config.NotifyString, "incrbyfloat"},
	"setbit": {config.NotifyString, "setbit"}, "bitfield": {config.NotifyString, "setbit"}, "bitop": {config.NotifyString, "set"},
	"getdel": {config.NotifyGeneric, "del"}, "del": {config.NotifyGeneric, "del"}, "unlink": {config.NotifyGeneric, "del"},
	"persist": {config.NotifyGeneric, "persist"}, "restore": {config.NotifyGeneric, "restore"}, "copy": {config.NotifyGeneric, "copy_to"},
	"lpush": {config.NotifyList, "lpush"}, "lpushx": {config.NotifyList, "lpush"}, "rpush": {config.NotifyList, "rpush"},
	"rpushx": {config.NotifyList, "rpush"}, "lpop": {config.NotifyList, "lpop"}, "rpop": {config.NotifyList, "rpop"},
	"blpop": {config.NotifyList, "lpop"}, "brpop": {config.NotifyList, "rpop"}, "linsert": {config.NotifyList, "linsert"},
	"lset": {config.NotifyList, "lset"}, "lrem": {config.NotifyList, "lrem"}, "ltrim": {config.NotifyList, "ltrim"},
	"hset": {config.NotifyHash, "hset"}, "hmset": {config.NotifyHash, "hset"}, "hsetnx": {config.NotifyHash, "hset"},
	"hdel": {config.NotifyHash, "hdel"}, "hincrby": {config.NotifyHash, "hincrby"}, "hincrbyfloat": {config.NotifyHash, "hincrbyfloat"},
	"sadd": {config.NotifySet, "sadd"}, "srem": {config.NotifySet, "srem"}, "spop": {config.NotifySet, "spop"},
	"sinterstore": {config.NotifySet, "sinterstore"}, "sunionstore": {config.NotifySet, "sunionstore"}, "sdiffstore": {config.NotifySet, "sdiffstore"},
	"zadd": {config.NotifyZset, "zadd"}, "zincrby": {config.NotifyZset, "zincr"}, "zrem": {config.NotifyZset, "zrem"},
	"zremrangebyrank": {config.NotifyZset, "zremrangebyrank"}, "zremrangebyscore": {config.NotifyZset, "zremrangebyscore"},
	"zremrangebylex": {config.NotifyZset, "zremrangebylex"}, "zpopmin": {config.NotifyZset, "zpopmin"}, "zpopmax": {config.NotifyZset, "zpopmax"},
	"bzpopmin": {config.NotifyZset, "zpopmin"}, "bzpopmax": {config.NotifyZset, "zpopmax"},
	"zunionstore": {config.NotifyZset, "zunionstore"}, "zinterstore": {config.NotifyZset, "zinterstore"}, "zdiffstore": {config.NotifyZset, "zdiffstore"},
	"zrangestore": {config.NotifyZset, "zrangestore"}, "geoadd": {config.NotifyZset, "zadd"},
	"georadius": {config.NotifyZset, "georadiusstore"}, "georadiusbymember": {config.NotifyZset, "georadiusstore"},
	"geosearchstore": {config.NotifyZset, "geosearchstore"},
}

// eventOf is the event of the i-th change of command x, on key.
func eventOf(x *Ctx, i int, key string) (int, string) {
	switch x.spec.Name {
	case "rename", "renamenx":
		if i == 0 {
			return config.NotifyGeneric, "rename_from"
		}
		return config.NotifyGeneric, "rename_to"
	case "move":
		if i == 0 {
			return config.NotifyGeneric, "move_from"
		}
		return config.NotifyGeneric, "move_to"
	case "expire", "pexpire", "expireat", "pexpireat", "getex":
		if _, ok := x.db.Lookup([]byte(key), x.now); !ok {
			return config.NotifyGeneric, "del"
		}
		if x.spec.Name == "getex" && len(x.args) > 2 && equalFold(x.args[2], "persist") {
			return config.NotifyGeneric, "persist"
		}
		return config.NotifyGeneric, "expire"
	case "smove":
		if key == string(x.args[1]) && i == 0 {
			return config.NotifySet, "srem"
		}
		return config.NotifySet, "sadd"
	case "lmove", "blmove", "rpoplpush", "brpoplpush":
		from, to := listRight, listLeft
		if len(x.args) >= 5 {
			from, _ = parseListEnd(x.args[3])
			to, _ = parseListEnd(x.args[4])
		}
		// The push to the destination comes first, as in Redis.
		src, dst := string(x.args[1]), string(x.args[2])
		if key == dst && (src != dst || i == 0) {
			return config.NotifyList, map[listEnd]string{listLeft: "lpush", listRight: "rpush"}[to]
		}
		return config.NotifyList, map[listEnd]string{listLeft: "lpop", listRight: "rpop"}[from]
	case "lmpop", "blmpop":
		for _, a := range x.args {
			if equalFold(a, "right") {
				return config.NotifyList, "rpop"
			}
		}
		return config.NotifyList, "lpop"
	case "zmpop", "bzmpop":
		for _, a := range x.args {
			if equalFold(a, "max") {
				return config.NotifyZset, "zpopmax"
			}
		}
		return config.NotifyZset, "zpopmin"
	case "zadd":
		for _, a := range x.args {
			if equalFold(a, "incr") {
				return config.NotifyZset, "zincr"
			}
		}
	}
	if ev, ok := sameEvent[x.spec.Name]; ok {
		return ev.class, ev.event
	}
	return 0, ""
}

// noteExpired publishes the "expired" event of a key deleted by expiry.
func (e *Engine) noteExpired(db int, key string) {
	if e.notifyOn() {
		e.notify(config.NotifyExpired, "expired", db, key)
	}
}
