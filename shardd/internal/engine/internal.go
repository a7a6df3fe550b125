package engine

import (
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/keyspace"
)

// internalCommands are the SHARDIS.* commands that proxies and
// shardis-meta use; the dispatcher refuses them to connections that did
// not authenticate with the cluster secret.
func internalCommands() map[string]handler {
	return map[string]handler{
		"shardis.countkeysinslot": cmdCountKeysInSlot,
		"shardis.getkeysinslot":   cmdGetKeysInSlot,
		"shardis.scanslot":        cmdScanSlot,
	}
}

// parseSlot parses a slot number argument.
func parseSlot(b []byte) (int, error) {
	n, err := parseInt(b)
	if err != nil || n < 0 || n >= slot.Count {
		return 0, simpleError("ERR Invalid or out of range slot")
	}
	return int(n), nil
}

// cmdCountKeysInSlot: SHARDIS.COUNTKEYSINSLOT slot — the number of keys of
// the slot in the selected database, from the per-slot index.
func cmdCountKeysInSlot(x *Ctx) {
	s, err := parseSlot(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	x.lockSlot(s, false)
	n := x.db.SlotLen(s)
	x.unlockSlot(s, false)
	x.r.Int(int64(n))
}

// cmdGetKeysInSlot: SHARDIS.GETKEYSINSLOT slot count — up to count live
// keys of the slot in the selected database.
func cmdGetKeysInSlot(x *Ctx) {
	s, err := parseSlot(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	n, err := parseInt(x.args[2])
	if err != nil || n < 0 {
		x.r.Error("ERR Invalid number of keys")
		return
	}
	keys := make([]string, 0, min(n, 1024))
	x.lockSlot(s, false)
	x.db.EachInSlot(s, x.now, func(k string, _ keyspace.Entry) bool {
		if int64(len(keys)) >= n {
			return false
		}
		keys = append(keys, k)
		return true
	})
	x.unlockSlot(s, false)
	x.r.StringArray(keys)
}
