package difftest

import (
	"context"
	"testing"

	"pgregory.net/rapid"
)

// TestBlockingCommands is the differential property of the blocking pops
// on one connection: when data is there they answer like their
// non-blocking twins, with a short timeout on empty keys they answer the
// null of their shape, and bad timeouts, wrong types and bad arguments
// get Redis's errors.
func TestBlockingCommands(t *testing.T) {
	// Redis times blocked clients out on its cron: at hz 500 a short
	// timeout costs 2 ms instead of 100.
	ForEachProtocol(t, []string{"hz 500"}, func(t *testing.T, _ context.Context, p *Pair) {
		Property{Max: 30, Next: blockingCmd}.Check(t, p)
	})
}

func blockingCmd(t *rapid.T) Cmd {
	key := rapid.SampledFrom([]string{"l1", "l2", "z1", "z2", "str"}).Draw(t, "key")
	key2 := rapid.SampledFrom([]string{"l1", "l2", "z1", "z2"}).Draw(t, "key2")
	timeout := rapid.SampledFrom([]string{"0.001", "0.002", "-1", "abc", "1e-3"}).Draw(t, "timeout")
	end := rapid.SampledFrom([]string{"LEFT", "RIGHT", "left", "up"}).Draw(t, "end")
	minmax := rapid.SampledFrom([]string{"MIN", "MAX", "max", "mid"}).Draw(t, "minmax")
	val := rapid.SampledFrom([]string{"a", "b", "1", ""}).Draw(t, "val")
	switch rapid.IntRange(0, 13).Draw(t, "kind") {
	case 0:
		return C("RPUSH", key, val, "x")
	case 1:
		return C("ZADD", key, rapid.SampledFrom([]string{"1", "2", "-1.5"}).Draw(t, "score"), val)
	case 2:
		return C("SET", "str", "v")
	case 3:
		return C("BLPOP", key, key2, timeout)
	case 4:
		return C("BRPOP", key, timeout)
	case 5:
		return C("BLMOVE", key, key2, end, "RIGHT", timeout)
	case 6:
		return C("BRPOPLPUSH", key, key2, timeout)
	case 7:
		return C("BLMPOP", timeout, "2", key, key2, end, "COUNT", rapid.SampledFrom([]string{"1", "3", "0"}).Draw(t, "count"))
	case 8:
		return C("BZPOPMIN", key, key2, timeout)
	case 9:
		return C("BZPOPMAX", key, timeout)
	case 10:
		return C("BZMPOP", timeout, "1", key, minmax, "COUNT", rapid.SampledFrom([]string{"1", "2", "-1"}).Draw(t, "count"))
	case 11:
		return U("LRANGE", key, "0", "-1")
	case 12:
		return C("ZRANGE", key, "0", "-1", "WITHSCORES")
	default:
		return C("BLMPOP", timeout, rapid.SampledFrom([]string{"0", "1", "x"}).Draw(t, "numkeys"), key, end)
	}
}
