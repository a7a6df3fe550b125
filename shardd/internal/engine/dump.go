package engine

import (
	"errors"
	"strconv"

	"github.com/shardis/shardis/shardd/internal/ds"
	"github.com/shardis/shardis/shardd/internal/rdb"
)

// dumpCommands are DUMP and RESTORE: a value in Redis's RDB serialization
// (package rdb), which redis-server and shardd exchange both ways.
func dumpCommands() map[string]handler {
	return map[string]handler{
		"dump":    cmdDump,
		"restore": cmdRestore,
	}
}

var (
	errBusyKey     = errors.New("BUSYKEY Target key name already exists.")
	errDumpPayload = errors.New("ERR DUMP payload version or checksum are wrong")
	errBadData     = errors.New("ERR Bad data format")
	errRestoreTTL  = errors.New("ERR Invalid TTL value, must be >= 0")
	errRestoreIdle = errors.New("ERR Invalid IDLETIME value, must be >= 0")
	errRestoreFreq = errors.New("ERR Invalid FREQ value, must be >= 0 and <= 255")
)

// limitClamp bounds the encoding thresholds read from the configuration
// (which accepts any 64-bit value) to what fits an int everywhere.
const limitClamp = 1 << 40

// cmdDump: DUMP key
func cmdDump(x *Ctx) {
	e, ok := x.lookup(x.args[1])
	if !ok {
		x.r.Null()
		return
	}
	x.r.Bulk(rdb.AppendPayload(nil, e.Value, x.e.cfg.Bool("rdbcompression")))
}

// restoreLimits are the encoding thresholds a restored value is loaded
// with.
func (x *Ctx) restoreLimits() *rdb.Limits {
	return &rdb.Limits{
		HashMaxListpackEntries: int(min(x.e.cfg.Int("hash-max-listpack-entries"), limitClamp)),
		HashMaxListpackValue:   int(min(x.e.cfg.Int("hash-max-listpack-value"), limitClamp)),
		SetMaxIntsetEntries:    int(min(x.e.cfg.Int("set-max-intset-entries"), limitClamp)),
	}
}

// cmdRestore: RESTORE key ttl serialized-value [REPLACE] [ABSTTL]
// [IDLETIME seconds] [FREQ frequency]. Checks run in Redis's order:
// options, an existing key, the TTL, the payload's footer, its data.
// IDLETIME and FREQ are validated and ignored (shardd keeps no LRU/LFU
// data).
func cmdRestore(x *Ctx) {
	key := x.args[1]
	replace, absTTL := false, false
	idle, freq := int64(-1), int64(-1)
	for i := 4; i < len(x.args); i++ {
		a := x.args[i]
		more := i+1 < len(x.args)
		switch {
		case equalFold(a, "replace"):
			replace = true
		case equalFold(a, "absttl"):
			absTTL = true
		case equalFold(a, "idletime") && more && freq == -1:
			n, err := parseInt(x.args[i+1])
			if err != nil {
				x.r.Err(err)
				return
			}
			if n < 0 {
				x.r.Err(errRestoreIdle)
				return
			}
			idle = n
			i++
		case equalFold(a, "freq") && more && idle == -1:
			n, err := parseInt(x.args[i+1])
			if err != nil {
				x.r.Err(err)
				return
			}
			if n < 0 || n > 255 {
				x.r.Err(errRestoreFreq)
				return
			}
			freq = n
			i++
		default:
			x.r.Err(ErrSyntax)
			return
		}
	}
	if _, exists := x.lookup(key); exists && !replace {
		x.r.Err(errBusyKey)
		return
	}
	ttl, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	if ttl < 0 {
		x.r.Err(errRestoreTTL)
		return
	}
	v, err := decodePayload(x.args[3], x.restoreLimits())
	if err != nil {
		x.r.Err(err)
		return
	}
	at := ttl
	if ttl != 0 && !absTTL {
		// Redis adds the time without an overflow check; a wrapped
		// sum is in the past.
		at = ttl + x.now
	}
	if ttl != 0 && at <= x.now {
		// Already expired: the key ends up deleted (REPLACE) or
		// untouched, and the reply is still OK.
		if replace && x.del(key) {
			x.logAs([]byte("DEL"), key)
		}
		x.r.OK()
		return
	}
	x.set(key, v, at)
	if ttl != 0 && !absTTL {
		// Log the absolute time so that replaying the AOF restores
		// the same expiry.
		logged := make([][]byte, 0, len(x.args)+1)
		logged = append(logged, x.args[0], key, strconv.AppendInt(nil, at, 10))
		logged = append(logged, x.args[3:]...)
		x.logAs(append(logged, []byte("ABSTTL"))...)
	}
	x.r.OK()
}

// decodePayload decodes a DUMP payload, with RESTORE's errors: a payload
// whose footer (version, checksum) is wrong, or whose value is malformed.
func decodePayload(payload []byte, lim *rdb.Limits) (ds.Value, error) {
	v, err := rdb.DecodeValue(payload, lim)
	switch {
	case errors.Is(err, rdb.ErrPayload):
		return nil, errDumpPayload
	case err != nil:
		return nil, errBadData
	}
	return v, nil
}
