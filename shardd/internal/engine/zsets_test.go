package engine_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/shardis/shardis/shardd/internal/config"
	"github.com/shardis/shardis/shardd/internal/engine"
)

// The sorted set tests run scripted steps (see generic_test.go); with
// SHARDD_TEST_REDIS_ADDR they check the expectations against
// redis-server itself.

func TestZAdd(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(3), "ZADD", "z", "1", "a", "2", "b", "3", "c"),
		ks(int64(0), "ZADD", "z", "10", "a"),
		ks("10", "ZSCORE", "z", "a"),
		ks(int64(1), "ZADD", "z", "CH", "1", "a"),
		ks(int64(0), "ZADD", "z", "NX", "5", "a"),
		ks("1", "ZSCORE", "z", "a"),
		ks(int64(1), "ZADD", "z", "nx", "5", "new"),
		ks(int64(0), "ZADD", "z", "XX", "5", "nope"),
		ks(ksNil, "ZSCORE", "z", "nope"),
		ks(int64(1), "ZADD", "z", "XX", "CH", "7", "a"),
		ks(int64(0), "ZADD", "z", "GT", "CH", "6", "a"),
		ks(int64(1), "ZADD", "z", "GT", "CH", "8", "a"),
		ks(int64(0), "ZADD", "z", "LT", "CH", "9", "a"),
		ks(int64(1), "ZADD", "z", "LT", "CH", "0.5", "a"),
		ks(int64(1), "ZADD", "z", "GT", "1", "fresh"), // GT/LT do not stop additions
		ks("3.5", "ZADD", "z", "INCR", "3", "a"),
		ks(ksNil, "ZADD", "z", "NX", "INCR", "1", "a"),
		ks(ksNil, "ZADD", "z", "XX", "INCR", "1", "nope"),
		ks(ksNil, "ZADD", "z", "GT", "INCR", "-1", "a"),
		ks("1.5", "ZADD", "z", "incr", "1.5", "inc"),
		ks(int64(0), "ZADD", "nokey", "XX", "1", "a"),
		ks(int64(0), "EXISTS", "nokey"),
		ks(ksNil, "ZADD", "nokey", "XX", "INCR", "1", "a"),
		ks(ksErr("ERR XX and NX options at the same time are not compatible"), "ZADD", "z", "NX", "XX", "1", "a"),
		ks(ksErr("ERR GT, LT, and/or NX options at the same time are not compatible"), "ZADD", "z", "GT", "LT", "1", "a"),
		ks(ksErr("ERR GT, LT, and/or NX options at the same time are not compatible"), "ZADD", "z", "NX", "GT", "1", "a"),
		ks(ksErr("ERR INCR option supports a single increment-element pair"), "ZADD", "z", "INCR", "1", "a", "2", "b"),
		ks(ksSyntax, "ZADD", "z", "1", "a", "2"),
		ks(ksSyntax, "ZADD", "z", "NX", "CH"),
		ks(ksNotFloat, "ZADD", "z", "x", "a"),
		ks(ksNotFloat, "ZADD", "z", "nan", "a"),
		ks(ksNotFloat, "ZADD", "z", "1e400", "a"),  // overflow is refused
		ks(ksNotFloat, "ZADD", "z", "1e-400", "a"), // so is underflow to zero
		ks(ksNotFloat, "ZADD", "z", " 1", "a"),
		ks(ksNotFloat, "ZADD", "z", "1 ", "a"),
		ks(ksNotFloat, "ZADD", "z", "", "a"),
		ks(int64(6), "ZADD", "z", "inf", "i1", "-inf", "i2", "+inf", "i3", "0x10", "hex", "1e3", "e", "-0", "negzero"),
		ks("inf", "ZSCORE", "z", "i1"),
		ks("-inf", "ZSCORE", "z", "i2"),
		ks("16", "ZSCORE", "z", "hex"),
		ks("1000", "ZSCORE", "z", "e"),
		ks("0", "ZSCORE", "z", "negzero"), // a listpack reads -0 back as 0
		ks(ksErr("ERR resulting score is not a number (NaN)"), "ZADD", "z", "INCR", "-inf", "i1"),
		ks(ksErr("ERR resulting score is not a number (NaN)"), "ZINCRBY", "z", "-inf", "i1"),
		ks("1.1000000000000001", "ZINCRBY", "z", "1.1", "brand"),
		ks("2.2000000000000002", "ZINCRBY", "z", "1.1", "brand"),
		ks(ksNotFloat, "ZINCRBY", "z", "abc", "a"),
		ks(ksSyntax, "ZINCRBY", "z", "nx", "a"), // the increment is parsed like ZADD's options
		ks(ksArity("zadd"), "ZADD", "z", "1"),
		ks(ksArity("zincrby"), "ZINCRBY", "z", "1"),
		ks("OK", "SET", "str", "v"),
		ks(ksWrongType, "ZADD", "str", "1", "a"),
		ks(ksNotFloat, "ZADD", "str", "x", "a"), // scores are checked first
		ks(ksWrongType, "ZINCRBY", "str", "1", "a"),
	})
}

const ksNotFloat = ksErr("ERR value is not a valid float")

func TestZRemCardScoreRank(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(4), "ZADD", "z", "1", "a", "2", "b", "3", "c", "3", "d"),
		ks(int64(4), "ZCARD", "z"),
		ks(int64(0), "ZCARD", "nokey"),
		ks([]any{"1", nil, "3"}, "ZMSCORE", "z", "a", "x", "c"),
		ks([]any{nil}, "ZMSCORE", "nokey", "a"),
		ks(int64(0), "ZRANK", "z", "a"),
		ks(int64(3), "ZRANK", "z", "d"),
		ks(int64(0), "ZREVRANK", "z", "d"),
		ks(int64(3), "ZREVRANK", "z", "a"),
		ks(ksNil, "ZRANK", "z", "x"),
		ks(ksNil, "ZRANK", "nokey", "x"),
		ks(ksArity("zrank"), "ZRANK", "z", "a", "WITHSCORE"), // WITHSCORE is Redis 7.2
		ks(int64(2), "ZREM", "z", "a", "x", "b", "a"),
		ks(int64(0), "ZREM", "nokey", "a"),
		ks(int64(2), "ZREM", "z", "c", "d"),
		ks(int64(0), "EXISTS", "z"), // an emptied sorted set is deleted
		ks("OK", "SET", "str", "v"),
		ks(ksWrongType, "ZCARD", "str"),
		ks(ksWrongType, "ZSCORE", "str", "a"),
		ks(ksWrongType, "ZMSCORE", "str", "a"),
		ks(ksWrongType, "ZRANK", "str", "a"),
		ks(ksWrongType, "ZREM", "str", "a"),
		ks(ksArity("zmscore"), "ZMSCORE", "z"),
		ks(ksArity("zscore"), "ZSCORE", "z"),
	})
}

func TestZCountLexCount(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(5), "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
		ks(int64(5), "ZCOUNT", "z", "-inf", "+inf"),
		ks(int64(3), "ZCOUNT", "z", "2", "4"),
		ks(int64(1), "ZCOUNT", "z", "(2", "(4"),
		ks(int64(0), "ZCOUNT", "z", "(2", "2"),
		ks(int64(0), "ZCOUNT", "z", "4", "2"),
		ks(int64(2), "ZCOUNT", "z", "4", "inf"),
		ks(int64(1), "ZCOUNT", "z", " 1", "1"), // strtod skips leading space
		ks(int64(0), "ZCOUNT", "z", "", "("),   // and reads "" as 0
		ks(int64(2), "ZCOUNT", "z", "0x1", "2e0"),
		ks(ksErr("ERR min or max is not a float"), "ZCOUNT", "z", "nan", "1"),
		ks(ksErr("ERR min or max is not a float"), "ZCOUNT", "z", "1 ", "2"),
		ks(ksErr("ERR min or max is not a float"), "ZCOUNT", "z", "a", "2"),
		ks(int64(0), "ZCOUNT", "nokey", "0", "1"),
		ks(int64(5), "ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"),
		ks(int64(5), "ZLEXCOUNT", "l", "-", "+"),
		ks(int64(3), "ZLEXCOUNT", "l", "[b", "[d"),
		ks(int64(1), "ZLEXCOUNT", "l", "(b", "(d"),
		ks(int64(0), "ZLEXCOUNT", "l", "+", "-"),
		ks(int64(0), "ZLEXCOUNT", "l", "[c", "(c"),
		ks(ksErr("ERR min or max not valid string range item"), "ZLEXCOUNT", "l", "a", "+"),
		ks(ksErr("ERR min or max not valid string range item"), "ZLEXCOUNT", "l", "-", "+x"),
		ks(ksErr("ERR min or max not valid string range item"), "ZLEXCOUNT", "l", "", "+"),
		ks(int64(0), "ZLEXCOUNT", "nokey", "-", "+"),
		ks("OK", "SET", "str", "v"),
		ks(ksErr("ERR min or max is not a float"), "ZCOUNT", "str", "x", "1"), // the range first
		ks(ksWrongType, "ZCOUNT", "str", "0", "1"),
		ks(ksWrongType, "ZLEXCOUNT", "str", "-", "+"),
	})
}

func TestZRange(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(5), "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
		ks([]any{"a", "b", "c", "d", "e"}, "ZRANGE", "z", "0", "-1"),
		ks([]any{"d", "e"}, "ZRANGE", "z", "-2", "100"),
		ks([]any{"a", "1", "b", "2"}, "ZRANGE", "z", "0", "1", "WITHSCORES"),
		ks([]any{"e", "d"}, "ZRANGE", "z", "0", "1", "REV"),
		ks([]any{}, "ZRANGE", "z", "3", "1"),
		ks([]any{}, "ZRANGE", "z", "5", "10"),
		ks([]any{"a"}, "ZRANGE", "z", "-100", "0"),
		ks([]any{"b", "c", "d"}, "ZRANGE", "z", "(1", "4", "BYSCORE"),
		ks([]any{"d", "c", "b"}, "ZRANGE", "z", "4", "(1", "BYSCORE", "REV"),
		ks([]any{"c", "3", "d", "4"}, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "2", "WITHSCORES"),
		ks([]any{"c", "d", "e"}, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "-1"),
		ks([]any{}, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"), // a negative offset skips everything
		ks([]any{}, "ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0"),
		ks([]any{"a", "b", "c", "d", "e"}, "ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"), // LIMIT 0 -1 is no limit at all
		ks(ksErr("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"), "ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"),
		ks(ksErr("ERR syntax error, WITHSCORES not supported in combination with BYLEX"), "ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"),
		ks(ksSyntax, "ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"),
		ks(ksSyntax, "ZRANGE", "z", "0", "-1", "REV", "REV"),
		ks(ksSyntax, "ZRANGE", "z", "0", "-1", "LIMIT", "1"),
		ks(ksNotInt, "ZRANGE", "z", "0", "x"),
		ks(ksNotInt, "ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", "x", "1"),
		ks(ksErr("ERR min or max is not a float"), "ZRANGE", "z", "x", "1", "BYSCORE"),
		ks(ksErr("ERR min or max not valid string range item"), "ZRANGE", "z", "0", "1", "BYLEX"),
		ks([]any{}, "ZRANGE", "nokey", "0", "-1"),
		ks([]any{"a", "1", "b", "2"}, "ZRANGEBYSCORE", "z", "-inf", "2", "WITHSCORES"),
		ks([]any{"b", "c"}, "ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2"),
		ks([]any{"e", "5", "d", "4"}, "ZREVRANGEBYSCORE", "z", "+inf", "(3", "WITHSCORES"),
		ks([]any{"d"}, "ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "1"),
		ks(ksSyntax, "ZRANGEBYSCORE", "z", "0", "1", "REV"),
		ks(ksSyntax, "ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"),
		ks([]any{"e", "5", "d", "4"}, "ZREVRANGE", "z", "0", "1", "WITHSCORES"),
		ks(ksErr("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"), "ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"),
		ks(int64(5), "ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"),
		ks([]any{"b", "c"}, "ZRANGEBYLEX", "l", "[b", "(d"),
		ks([]any{"c", "d"}, "ZRANGEBYLEX", "l", "-", "+", "LIMIT", "2", "2"),
		ks([]any{"d", "c", "b"}, "ZREVRANGEBYLEX", "l", "[d", "[b"),
		ks([]any{"e", "d"}, "ZRANGE", "l", "+", "-", "BYLEX", "REV", "LIMIT", "0", "2"),
		ks(ksErr("ERR syntax error, WITHSCORES not supported in combination with BYLEX"), "ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"),
		ks("OK", "SET", "str", "v"),
		ks(ksWrongType, "ZRANGE", "str", "0", "-1"),
		ks(ksWrongType, "ZRANGEBYSCORE", "str", "0", "1"),
		ks(ksArity("zrange"), "ZRANGE", "z", "0"),
		ks(ksArity("zrangebylex"), "ZRANGEBYLEX", "z", "-"),
	})
}

// TestZRangeLexMixedScores checks the answers Redis gives for lex ranges
// over a small (listpack) set whose members have different scores: a
// linear walk that stops at the first member beyond the range.
func TestZRangeLexMixedScores(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(4), "ZADD", "m", "1", "c", "2", "a", "3", "d", "4", "b"),
		ks([]any{"c", "a"}, "ZRANGEBYLEX", "m", "-", "[c"),
		ks([]any{"c", "a"}, "ZRANGEBYLEX", "m", "[b", "[c"), // a follows c, and is below [c
		ks([]any{}, "ZRANGEBYLEX", "m", "[a", "[b"),
		ks(int64(2), "ZLEXCOUNT", "m", "-", "[c"),
		ks([]any{}, "ZREVRANGEBYLEX", "m", "+", "[c"), // the last member, b, is below [c
		ks([]any{"b", "d"}, "ZREVRANGEBYLEX", "m", "+", "[b"),
		ks(int64(2), "ZREMRANGEBYLEX", "m", "-", "[c"),
		ks([]any{"d", "b"}, "ZRANGE", "m", "0", "-1"),
	})
}

func TestZRangeStore(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(4), "ZADD", "{z}src", "1", "a", "2", "b", "3", "c", "4", "d"),
		ks(int64(2), "ZRANGESTORE", "{z}dst", "{z}src", "1", "2"),
		ks([]any{"b", "2", "c", "3"}, "ZRANGE", "{z}dst", "0", "-1", "WITHSCORES"),
		ks(int64(2), "ZRANGESTORE", "{z}dst", "{z}src", "3", "(1", "BYSCORE", "REV", "LIMIT", "0", "2"),
		ks([]any{"b", "c"}, "ZRANGE", "{z}dst", "0", "-1"),
		ks(int64(0), "ZRANGESTORE", "{z}dst", "{z}src", "5", "10"),
		ks(int64(0), "EXISTS", "{z}dst"), // an empty result deletes the destination
		ks(int64(1), "ZADD", "{z}dst", "1", "x"),
		ks(int64(0), "ZRANGESTORE", "{z}dst", "{z}nokey", "0", "-1"),
		ks(int64(0), "EXISTS", "{z}dst"),
		ks(ksSyntax, "ZRANGESTORE", "{z}dst", "{z}src", "0", "-1", "WITHSCORES"),
		ks("OK", "SET", "{z}str", "v"),
		ks(int64(4), "ZRANGESTORE", "{z}str", "{z}src", "0", "-1"), // overwrites any type
		ks("zset", "TYPE", "{z}str"),
		ks(ksArity("zrangestore"), "ZRANGESTORE", "{z}dst", "{z}src", "0"),
	})
}

func TestZRemRange(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(5), "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
		ks(int64(2), "ZREMRANGEBYRANK", "z", "-2", "-1"),
		ks(int64(0), "ZREMRANGEBYRANK", "z", "5", "10"),
		ks(int64(1), "ZREMRANGEBYSCORE", "z", "(1", "2"),
		ks(int64(0), "ZREMRANGEBYSCORE", "z", "5", "1"),
		ks([]any{"a", "c"}, "ZRANGE", "z", "0", "-1"),
		ks(int64(2), "ZREMRANGEBYRANK", "z", "0", "-1"),
		ks(int64(0), "EXISTS", "z"),
		ks(int64(3), "ZADD", "l", "0", "a", "0", "b", "0", "c"),
		ks(int64(2), "ZREMRANGEBYLEX", "l", "(a", "+"),
		ks([]any{"a"}, "ZRANGE", "l", "0", "-1"),
		ks(ksNotInt, "ZREMRANGEBYRANK", "l", "x", "1"),
		ks(ksErr("ERR min or max is not a float"), "ZREMRANGEBYSCORE", "l", "x", "1"),
		ks(ksErr("ERR min or max not valid string range item"), "ZREMRANGEBYLEX", "l", "a", "+"),
		ks(int64(0), "ZREMRANGEBYRANK", "nokey", "0", "-1"),
		ks("OK", "SET", "str", "v"),
		ks(ksWrongType, "ZREMRANGEBYRANK", "str", "0", "-1"),
		ks(ksWrongType, "ZREMRANGEBYSCORE", "str", "0", "1"),
		ks(ksWrongType, "ZREMRANGEBYLEX", "str", "-", "+"),
	})
}

func TestZPop(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(4), "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"),
		ks([]any{"a", "1"}, "ZPOPMIN", "z"),
		ks([]any{"d", "4", "c", "3"}, "ZPOPMAX", "z", "2"),
		ks([]any{}, "ZPOPMIN", "z", "0"),
		ks([]any{"b", "2"}, "ZPOPMIN", "z", "10"),
		ks(int64(0), "EXISTS", "z"),
		ks([]any{}, "ZPOPMIN", "nokey"),
		ks(ksErrPositive, "ZPOPMIN", "z", "-1"),
		ks(ksErrPositive, "ZPOPMIN", "z", "x"),
		ks(ksSyntax, "ZPOPMIN", "z", "1", "2"),
		ks(int64(3), "ZADD", "{m}1", "1", "a", "2", "b", "3", "c"),
		ks([]any{"{m}1", []any{[]any{"c", "3"}, []any{"b", "2"}}}, "ZMPOP", "2", "{m}none", "{m}1", "MAX", "COUNT", "2"),
		ks([]any{"{m}1", []any{[]any{"a", "1"}}}, "ZMPOP", "1", "{m}1", "min"),
		ks(ksNil, "ZMPOP", "1", "{m}1", "MIN"),
		ks(ksErr("ERR numkeys should be greater than 0"), "ZMPOP", "0", "{m}1", "MIN"),
		ks(ksErr("ERR numkeys should be greater than 0"), "ZMPOP", "x", "{m}1", "MIN"),
		ks(ksSyntax, "ZMPOP", "2", "{m}1", "MIN"),
		ks(ksSyntax, "ZMPOP", "1", "{m}1", "MIDDLE"),
		ks(ksErr("ERR count should be greater than 0"), "ZMPOP", "1", "{m}1", "MIN", "COUNT", "0"),
		ks(ksSyntax, "ZMPOP", "1", "{m}1", "MIN", "COUNT", "1", "COUNT", "1"),
		ks("OK", "SET", "{m}str", "v"),
		ks(ksWrongType, "ZMPOP", "2", "{m}none", "{m}str", "MIN"),
		ks(ksWrongType, "ZPOPMIN", "{m}str"),
		ks(ksArity("zmpop"), "ZMPOP", "1", "{m}1"),
	})
}

func TestZRandMember(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(3), "ZADD", "z", "1", "a", "2", "b", "3", "c"),
		ks([]any{"c", "b", "a"}, "ZRANDMEMBER", "z", "3"), // the whole set, from the top
		ks([]any{"c", "3", "b", "2", "a", "1"}, "ZRANDMEMBER", "z", "10", "WITHSCORES"),
		ks([]any{}, "ZRANDMEMBER", "z", "0"),
		ks([]any{}, "ZRANDMEMBER", "nokey", "5"),
		ks(ksNil, "ZRANDMEMBER", "nokey"),
		ks(ksSyntax, "ZRANDMEMBER", "z", "1", "x"),
		ks(ksNotInt, "ZRANDMEMBER", "z", "x"),
		ks(ksErr("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"), "ZRANDMEMBER", "z", "-9223372036854775808"),
		ks(ksErr("ERR value is out of range"), "ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"),
		ks("OK", "SET", "str", "v"),
		ks(ksWrongType, "ZRANDMEMBER", "str"),
		ks(ksWrongType, "ZRANDMEMBER", "str", "1"),
	})
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		got, err := c.Do(ctx, "ZRANDMEMBER", "z", "-5").StringSlice()
		if err != nil || len(got) != 5 {
			t.Fatalf("ZRANDMEMBER z -5: %q %v", got, err)
		}
		two, err := c.Do(ctx, "ZRANDMEMBER", "z", "2").StringSlice()
		if err != nil || len(two) != 2 || two[0] == two[1] {
			t.Fatalf("ZRANDMEMBER z 2: %q %v", two, err)
		}
		one, err := c.Do(ctx, "ZRANDMEMBER", "z").Text()
		if err != nil || !strings.Contains("abc", one) || one == "" {
			t.Fatalf("ZRANDMEMBER z: %q %v", one, err)
		}
	}
}

func TestZSetOps(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(3), "ZADD", "{o}a", "1", "x", "2", "y", "3", "z"),
		ks(int64(2), "ZADD", "{o}b", "10", "y", "20", "w"),
		ks(int64(2), "SADD", "{o}s", "y", "z"),
		ks([]any{"x", "1", "z", "3", "y", "12", "w", "20"}, "ZUNION", "2", "{o}a", "{o}b", "WITHSCORES"),
		ks([]any{"x", "2", "z", "6", "y", "14", "w", "20"}, "ZUNION", "2", "{o}a", "{o}b", "WEIGHTS", "2", "1", "WITHSCORES"),
		ks([]any{"x", "1", "z", "3", "y", "10", "w", "20"}, "ZUNION", "2", "{o}a", "{o}b", "AGGREGATE", "MAX", "WITHSCORES"),
		ks([]any{"y", "2"}, "ZINTER", "2", "{o}a", "{o}b", "AGGREGATE", "min", "WITHSCORES"),
		ks([]any{"y", "3", "z", "4"}, "ZINTER", "2", "{o}a", "{o}s", "WITHSCORES"), // set members score 1
		ks([]any{"x", "1"}, "ZDIFF", "3", "{o}a", "{o}b", "{o}s", "WITHSCORES"),
		ks([]any{"x", "z"}, "ZDIFF", "2", "{o}a", "{o}b"),
		ks([]any{}, "ZDIFF", "2", "{o}a", "{o}a"),
		ks([]any{"x", "0", "y", "0", "z", "0"}, "ZUNION", "1", "{o}a", "WEIGHTS", "0", "WITHSCORES"),
		ks(int64(4), "ZUNIONSTORE", "{o}d", "2", "{o}a", "{o}b"),
		ks([]any{"x", "z", "y", "w"}, "ZRANGE", "{o}d", "0", "-1"),
		ks(int64(1), "ZINTERSTORE", "{o}d", "2", "{o}a", "{o}b", "WEIGHTS", "1", "0.5"),
		ks([]any{"y", "7"}, "ZRANGE", "{o}d", "0", "-1", "WITHSCORES"),
		ks(int64(0), "ZINTERSTORE", "{o}d", "2", "{o}a", "{o}none"),
		ks(int64(0), "EXISTS", "{o}d"),
		ks(int64(2), "ZDIFFSTORE", "{o}d", "2", "{o}a", "{o}b"),
		ks(int64(1), "ZINTERCARD", "2", "{o}a", "{o}b"),
		ks(int64(2), "ZINTERCARD", "2", "{o}a", "{o}s", "LIMIT", "0"),
		ks(int64(1), "ZINTERCARD", "2", "{o}a", "{o}s", "LIMIT", "1"),
		ks(ksErr("ERR LIMIT can't be negative"), "ZINTERCARD", "1", "{o}a", "LIMIT", "-1"),
		ks(ksErr("ERR at least 1 input key is needed for 'zunion' command"), "ZUNION", "0", "{o}a"),
		ks(ksErr("ERR at least 1 input key is needed for 'zinterstore' command"), "ZINTERSTORE", "{o}d", "0", "{o}a"),
		ks(ksErr("ERR at least 1 input key is needed for 'zintercard' command"), "ZINTERCARD", "0", "{o}a"),
		ks(ksNotInt, "ZUNION", "x", "{o}a"),
		ks(ksSyntax, "ZUNION", "3", "{o}a", "{o}b"),
		ks(ksSyntax, "ZUNION", "1", "{o}a", "WEIGHTS"),
		ks(ksSyntax, "ZUNION", "1", "{o}a", "AGGREGATE", "AVG"),
		ks(ksSyntax, "ZDIFF", "1", "{o}a", "WEIGHTS", "1"),
		ks(ksSyntax, "ZUNIONSTORE", "{o}d", "1", "{o}a", "WITHSCORES"),
		ks(ksSyntax, "ZINTERCARD", "1", "{o}a", "WITHSCORES"),
		ks(ksErr("ERR weight value is not a float"), "ZUNION", "1", "{o}a", "WEIGHTS", "x"),
		ks("OK", "SET", "{o}str", "v"),
		ks(ksWrongType, "ZUNION", "2", "{o}a", "{o}str"),
		ks(ksWrongType, "ZUNION", "1", "{o}str", "BADOPTION"), // types before options
		ks(ksArity("zunion"), "ZUNION", "1"),
	})
}

func TestZScan(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(3), "ZADD", "z", "1", "a", "2.5", "b", "123456789012345678", "c"),
		ks([]any{"0", []any{"a", "1", "b", "2.5", "c", "123456789012345680"}}, "ZSCAN", "z", "0"),
		ks([]any{"0", []any{"b", "2.5"}}, "ZSCAN", "z", "0", "MATCH", "b*"),
		ks([]any{"0", []any{}}, "ZSCAN", "nokey", "0"),
		ks(ksErr("ERR invalid cursor"), "ZSCAN", "z", "x"),
		ks(ksSyntax, "ZSCAN", "z", "0", "MATCH"),
		ks(ksSyntax, "ZSCAN", "z", "0", "COUNT", "0"),
		ks("OK", "SET", "str", "v"),
		ks(ksWrongType, "ZSCAN", "str", "0"),
	})
}

// TestZSetEncoding checks OBJECT ENCODING's listpack/skiplist and the
// conversions Redis makes.
func TestZSetEncoding(t *testing.T) {
	c := ksClient(t, 2)
	ctx := context.Background()
	ksRun(t, c, []ksStep{
		ks(int64(1), "ZADD", "small", "1", "a"),
		ks("listpack", "OBJECT", "ENCODING", "small"),
		ks(int64(1), "ZADD", "long", "1", strings.Repeat("x", 65)),
		ks("skiplist", "OBJECT", "ENCODING", "long"),
	})
	args := []any{"ZADD", "big"}
	for i := 0; i < 129; i++ {
		args = append(args, i, fmt.Sprint("m", i))
	}
	if err := c.Do(ctx, args...).Err(); err != nil {
		t.Fatal(err)
	}
	ksRun(t, c, []ksStep{
		ks("skiplist", "OBJECT", "ENCODING", "big"),
		ks(int64(128), "ZREMRANGEBYRANK", "big", "1", "-1"),
		ks("skiplist", "OBJECT", "ENCODING", "big"), // one-way
		ks(int64(1), "ZUNIONSTORE", "u", "1", "big"),
		ks("listpack", "OBJECT", "ENCODING", "u"), // a fresh result is converted back
		ks(int64(1), "ZADD", "big", "-0", "neg"),
		ks("-0", "ZSCORE", "big", "neg"), // a skiplist keeps -0
		ks(int64(2), "ZUNIONSTORE", "u", "1", "big"),
		ks("0", "ZSCORE", "u", "neg"),
	})
}

// TestZSetRESP3 checks the RESP3 shapes: doubles, [member, score] pairs.
func TestZSetRESP3(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks(int64(2), "ZADD", "z", "1.5", "a", "2", "b"),
		ks(1.5, "ZSCORE", "z", "a"),
		ks([]any{1.5, nil}, "ZMSCORE", "z", "a", "x"),
		ks(3.5, "ZINCRBY", "z", "2", "a"),
		ks([]any{[]any{"b", 2.0}, []any{"a", 3.5}}, "ZRANGE", "z", "0", "-1", "WITHSCORES"),
		ks([]any{[]any{"a", 3.5}}, "ZRANGEBYSCORE", "z", "3", "4", "WITHSCORES"),
		ks([]any{"b", 2.0}, "ZPOPMIN", "z"),
		ks([]any{[]any{"a", 3.5}}, "ZPOPMAX", "z", "1"),
		ks(int64(2), "ZADD", "{o}a", "1", "x", "2", "y"),
		ks([]any{[]any{"x", 1.0}, []any{"y", 2.0}}, "ZUNION", "1", "{o}a", "WITHSCORES"),
		ks([]any{[]any{"y", 2.0}, []any{"x", 1.0}}, "ZRANDMEMBER", "{o}a", "5", "WITHSCORES"),
		ks([]any{"{o}a", []any{[]any{"x", 1.0}}}, "ZMPOP", "1", "{o}a", "MIN"),
		ks([]any{"0", []any{"y", "2"}}, "ZSCAN", "{o}a", "0"), // scan scores stay strings
		ks(ksNil, "ZSCORE", "z", "x"),
	})
}

func BenchmarkZSets(b *testing.B) {
	e, err := engine.New(engine.Options{Config: config.Default()})
	if err != nil {
		b.Fatal(err)
	}
	sess := e.NewSession("127.0.0.1:1", "127.0.0.1:2", nopConn{})
	exec := func(args ...string) {
		cmd := make([][]byte, len(args))
		for i, a := range args {
			cmd[i] = []byte(a)
		}
		e.Exec(sess, cmd)
		sess.Reply().Reset(1 << 16)
	}
	for i := 0; i < 100; i++ {
		exec("ZADD", "z100", strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	for _, bc := range []struct {
		name string
		args []string
		vary int // the argument that gets a counter
	}{
		{"ZADD-new", []string{"ZADD", "big", "%d", "member:%d"}, 3},
		{"ZADD-update", []string{"ZADD", "z100", "%d", "m5"}, 2},
		{"ZSCORE", []string{"ZSCORE", "z100", "m50"}, -1},
		{"ZRANGE-100", []string{"ZRANGE", "z100", "0", "99", "WITHSCORES"}, -1},
		{"ZRANGEBYSCORE", []string{"ZRANGEBYSCORE", "z100", "10", "60"}, -1},
		{"ZRANK", []string{"ZRANK", "z100", "m50"}, -1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cmd := make([][]byte, len(bc.args))
			for i, a := range bc.args {
				cmd[i] = []byte(a)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if bc.vary >= 0 {
					n := strconv.Itoa(i)
					cmd[bc.vary] = []byte(strings.Replace(bc.args[bc.vary], "%d", n, 1))
					if bc.vary == 3 {
						cmd[2] = []byte(n)
					}
				}
				e.Exec(sess, cmd)
				sess.Reply().Reset(1 << 16)
			}
		})
	}
}
