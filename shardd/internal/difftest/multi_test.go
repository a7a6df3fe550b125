package difftest

import (
	"context"
	"testing"

	"pgregory.net/rapid"
)

// TestTransactions is the differential property of MULTI, EXEC, DISCARD,
// WATCH and UNWATCH: random sequences on one connection mixing them with
// commands that succeed, fail at run time, fail to queue, and modify
// watched keys, must get redis-server's replies (QUEUED, EXECABORT, the
// EXEC arrays, the null EXEC of a failed WATCH).
func TestTransactions(t *testing.T) {
	ForEachProtocol(t, nil, func(t *testing.T, _ context.Context, p *Pair) {
		Property{
			// End any transaction left by the previous case, then start
			// from empty databases.
			Reset: []Cmd{C("DISCARD"), C("UNWATCH"), C("SELECT", "0"), C("FLUSHALL")},
			Max:   60,
			Next:  txCmd,
		}.Check(t, p)
	})
}

func txCmd(t *rapid.T) Cmd {
	key := rapid.SampledFrom([]string{"a", "b", "{a}c", "list"}).Draw(t, "key")
	val := rapid.SampledFrom([]string{"1", "2", "x", ""}).Draw(t, "val")
	switch rapid.IntRange(0, 17).Draw(t, "kind") {
	case 0, 1:
		return C("MULTI")
	case 2, 3:
		return C("EXEC")
	case 4:
		return C("DISCARD")
	case 5:
		return C("WATCH", key)
	case 6:
		return C("WATCH", key, rapid.SampledFrom([]string{"a", "b"}).Draw(t, "key2"))
	case 7:
		return C("UNWATCH")
	case 8:
		return C("SET", key, val)
	case 9:
		return C("INCR", key)
	case 10:
		return C("GET", key)
	case 11:
		return C("DEL", key)
	case 12:
		return C("LPUSH", key, val)
	case 13:
		return C("GET") // wrong arity: aborts a transaction
	case 14:
		return C("NOSUCHCOMMAND", key) // unknown: aborts a transaction
	case 15:
		return C("SELECT", rapid.SampledFrom([]string{"0", "1", "99"}).Draw(t, "db"))
	case 16:
		return C("EXPIRE", key, "100")
	default:
		return C("MGET", key, "b")
	}
}
