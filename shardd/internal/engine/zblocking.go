package engine

import "strconv"

// The blocking sorted-set pops (see blocking.go). Each logs the
// non-blocking pop it performed, so AOF replay never blocks.

func zsetBlockingCommands() map[string]handler {
	return map[string]handler{
		"bzpopmin": cmdBZPopMin,
		"bzpopmax": cmdBZPopMax,
		"bzmpop":   cmdBZMPop,
	}
}

func cmdBZPopMin(x *Ctx) { bzpopGeneric(x, false) }
func cmdBZPopMax(x *Ctx) { bzpopGeneric(x, true) }

// firstZSet returns the first of keys holding a sorted set; on a key of
// another type it replies WRONGTYPE and ok is false.
func (x *Ctx) firstZSet(keys [][]byte) (key []byte, ok bool) {
	for _, k := range keys {
		z, err := x.lookupZSet(k)
		if err != nil {
			x.r.Err(err)
			return nil, false
		}
		if z != nil {
			return k, true
		}
	}
	return nil, true
}

func zpopName(max bool) []byte {
	if max {
		return []byte("ZPOPMAX")
	}
	return []byte("ZPOPMIN")
}

// bzpopGeneric is BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member,
// score] from the first non-empty sorted set, else block.
func bzpopGeneric(x *Ctx, max bool) {
	timeout, err := parseTimeout(x.args[len(x.args)-1])
	if err != nil {
		x.r.Err(err)
		return
	}
	keys := x.args[1 : len(x.args)-1]
	key, ok := x.firstZSet(keys)
	if !ok {
		return
	}
	if key == nil {
		x.block(keys, timeout, true)
		return
	}
	x.zpop([][]byte{key}, max, true, -1, false)
	x.logAs(zpopName(max), key)
}

// cmdBZMPop: BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
func cmdBZMPop(x *Ctx) {
	// Redis checks the other arguments before the timeout.
	keys, max, count, ok := x.parseZMPop(2)
	if !ok {
		return
	}
	timeout, err := parseTimeout(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	key, ok := x.firstZSet(keys)
	if !ok {
		return
	}
	if key == nil {
		x.block(keys, timeout, true)
		return
	}
	x.zpop([][]byte{key}, max, true, count, true)
	x.logAs(zpopName(max), key, []byte(strconv.FormatInt(count, 10)))
}
