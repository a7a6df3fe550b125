package difftest

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shardis/shardis/shardd/internal/redisproc"
	"github.com/shardis/shardis/shardd/internal/shardtest"
	"pgregory.net/rapid"
)

// TestZSets is the differential property of the sorted set commands:
// random sequences over a few keys and members (sets too, which ZUNION
// and friends accept, and a string for wrong types) with edge values
// everywhere (infinities, exclusive ends, bad floats, negative ranks,
// LIMIT offsets, weights, aggregates) must get the replies redis-server
// gives. ZRANDMEMBER and ZSCAN are compared by zsetDiff as described
// there; lexicographic ranges over a skiplist-encoded set of mixed
// scores are skipped, since Redis's answer then depends on its random
// skiplist levels.
func TestZSets(t *testing.T) {
	redisAddr := redisproc.Start(t)
	srv := shardtest.Start(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx := context.Background()
			p := NewPair(redisAddr, srv.Addr, proto)
			defer p.Close()
			rapid.Check(t, func(rt *rapid.T) {
				if d := p.Diff(ctx, C("FLUSHALL")); d != "" {
					rt.Fatal(d)
				}
				n := rapid.IntRange(1, 300).Draw(rt, "n")
				for i := 0; i < n; i++ {
					if d := zsetDiff(ctx, p, zsetCmd().Draw(rt, "cmd")); d != "" {
						rt.Fatal(d)
					}
				}
				for _, k := range zKeys {
					for _, c := range []Cmd{C("ZRANGE", k, "0", "-1", "WITHSCORES"), C("OBJECT", "ENCODING", k)} {
						if d := p.Diff(ctx, c); d != "" {
							rt.Fatal(d)
						}
					}
				}
			})
		})
	}
}

var (
	// zKeys: three sorted set keys, a set and a string.
	zKeys = []string{"z1", "z2", "{z1}x", "s", "str"}
	// zKeyPool draws the sorted set keys more often.
	zKeyPool = []string{"z1", "z1", "z1", "z2", "z2", "{z1}x", "{z1}x", "s", "str"}
	// zMembers include binary data, the empty string, integers (the
	// listpack stores them as such) and one member longer than
	// zset-max-listpack-value.
	zMembers = []string{
		"a", "b", "c", "d", "e", "aa", "ab", "", "\x00\xff", "1", "10", "-1", "01",
		strings.Repeat("m", 64), strings.Repeat("m", 65),
	}
	zScores = []string{
		"0", "0", "0", "1", "1", "2", "-1", "1.5", "-2.5", "0.1", "3.0000000000000001", "1e3", "-0",
		"inf", "-inf", "+inf", "1e308", "-1e308", "0x10", "1e-310", "4.9e-324", "123456789012345678",
		"+5", ".5", "5.", "1E2", "Infinity", "-INF", "0x1p-3", "0X1.8P1", "4611686018427387904",
	}
	zBadScores = []string{
		"nan", "-nan", "abc", "", " 1", "1 ", "1e400", "-1e400", "1e-400", "(1", "infinityx", "1_0",
		"0x", "0b1", "1e", "--1", "\x00", "1\x00",
	}
	// Score range ends: strtod's view, so " 1", "" and "(" are fine.
	zScoreEnds = []string{
		"-inf", "+inf", "inf", "0", "1", "2", "3", "-1", "1.5", "(1", "(2", "(3", "(-inf", "(+inf",
		"(1.5", "(0", "-0", "1e1", "0x2", " 1", "", "(", "1e400", "(1e-400", "1\x00x", "(-1",
	}
	zBadScoreEnds = []string{"abc", "nan", "(nan", "1 ", "[1", "((1"}
	zLexEnds      = []string{
		"-", "+", "[a", "(a", "[b", "(b", "[c", "(c", "(d", "[e", "[", "(", "[aa", "(ab", "[1", "[10",
		"(\x00", "-\x00", "[" + strings.Repeat("m", 64),
	}
	zBadLexEnds = []string{"a", "", "+x", "-a", "1"}
	zRanks      = []string{
		"0", "0", "1", "2", "3", "-1", "-1", "-2", "-3", "5", "-10", "100", "-100",
		"9223372036854775807", "-9223372036854775808",
	}
	zBadInts = []string{"abc", "", "1.0", " 1", "9223372036854775808"}
	// zCounts are counts and LIMIT arguments.
	zCounts = []string{
		"0", "1", "1", "2", "3", "10", "200", "-1", "-2", "-5",
		"9223372036854775807", "-9223372036854775808", "-9223372036854775807", "4611686018427387904",
	}
	zWeights  = []string{"1", "2", "0", "-1", "0.5", "inf", "-inf", "-0", "1e308"}
	zPatterns = []string{"*", "a*", "?", "[ab]", "*1*", "", "\\*", "m*"}
)

// zRare is true about once in n draws. (rapid favours the ends of a
// range, so "IntRange(0, n-1) == 0" would be far likelier than 1/n.)
func zRare(t *rapid.T, n int, label string) bool {
	return rapid.IntRange(0, n-1).Draw(t, label) == n/2
}

// zPick draws from ok, or now and then from bad.
func zPick(t *rapid.T, ok, bad []string, label string) string {
	if len(bad) > 0 && zRare(t, 15, label+"bad") {
		return rapid.SampledFrom(bad).Draw(t, label)
	}
	return rapid.SampledFrom(ok).Draw(t, label)
}

func zKey(t *rapid.T) string { return rapid.SampledFrom(zKeyPool).Draw(t, "key") }

func zMember(t *rapid.T) string {
	if zRare(t, 4, "nummember") {
		return strconv.Itoa(rapid.IntRange(-20, 20).Draw(t, "n"))
	}
	return rapid.SampledFrom(zMembers).Draw(t, "member")
}

func zScore(t *rapid.T) string {
	if zRare(t, 3, "intscore") {
		return strconv.Itoa(rapid.IntRange(-5, 5).Draw(t, "n"))
	}
	return zPick(t, zScores, zBadScores, "score")
}

func zCount(t *rapid.T) string { return zPick(t, zCounts, zBadInts, "count") }

func zWord(t *rapid.T, s string) string {
	switch rapid.IntRange(0, 3).Draw(t, "case") {
	case 0:
		return strings.ToLower(s)
	case 1:
		return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
	}
	return strings.ToUpper(s)
}

func zKeysN(t *rapid.T, lo, hi int) []string {
	n := rapid.IntRange(lo, hi).Draw(t, "nkeys")
	out := make([]string, n)
	for i := range out {
		out[i] = zKey(t)
	}
	return out
}

// zNumKeys returns a numkeys argument for keys: mostly right.
func zNumKeys(t *rapid.T, keys []string) string {
	if !zRare(t, 10, "badnumkeys") {
		return strconv.Itoa(len(keys))
	}
	return rapid.SampledFrom([]string{
		strconv.Itoa(len(keys) + 1), strconv.Itoa(len(keys) - 1), "-1", "abc", "9223372036854775807",
	}).Draw(t, "numkeys")
}

// zRangeArgs returns a range's two ends for type kind ("rank", "score"
// or "lex"), now and then of another kind.
func zRangeArgs(t *rapid.T, kind string) (string, string) {
	if zRare(t, 20, "wrongkind") {
		kind = rapid.SampledFrom([]string{"rank", "score", "lex"}).Draw(t, "kind")
	}
	var ok, bad []string
	switch kind {
	case "rank":
		ok, bad = zRanks, zBadInts
	case "score":
		ok, bad = zScoreEnds, zBadScoreEnds
	default:
		ok, bad = zLexEnds, zBadLexEnds
	}
	return zPick(t, ok, bad, "min"), zPick(t, ok, bad, "max")
}

func zLimit(t *rapid.T) []string {
	switch {
	case zRare(t, 15, "shortlimit"):
		return []string{"LIMIT", zCount(t)}
	case zRare(t, 8, "limitall"):
		return []string{"LIMIT", "0", "-1"}
	}
	return []string{zWord(t, "limit"), zCount(t), zCount(t)}
}

// zBig adds 120 to 140 members, so that the set may cross
// zset-max-listpack-entries; their scores are all equal or distinct.
func zBig(t *rapid.T) []string {
	n := rapid.IntRange(120, 140).Draw(t, "bign")
	same := rapid.Bool().Draw(t, "samescore")
	args := []string{"ZADD", zKey(t)}
	for i := 0; i < n; i++ {
		score := "0"
		if !same {
			score = strconv.Itoa(i % 37)
		}
		args = append(args, score, fmt.Sprintf("m%03d", i))
	}
	return args
}

func zsetCmd() *rapid.Generator[Cmd] {
	return rapid.Custom(func(t *rapid.T) Cmd {
		key := zKey(t)
		switch rapid.IntRange(0, 33).Draw(t, "kind") {
		case 0, 1, 2, 3:
			args := []string{zWord(t, "zadd"), key}
			incr := false
			if rapid.Bool().Draw(t, "zaddopts") {
				for i := rapid.IntRange(1, 2).Draw(t, "nopts"); i > 0; i-- {
					o := rapid.SampledFrom([]string{"nx", "xx", "gt", "lt", "ch", "ch", "incr"}).Draw(t, "opt")
					incr = incr || o == "incr"
					args = append(args, zWord(t, o))
				}
			}
			npairs := rapid.IntRange(1, 4).Draw(t, "npairs")
			if incr && !zRare(t, 6, "incrpairs") {
				npairs = 1
			}
			zero := zRare(t, 3, "zeroscores")
			for i := 0; i < npairs; i++ {
				score := zScore(t)
				if zero {
					score = "0"
				}
				if !zRare(t, 3, "keepbad") && slices.Contains(zBadScores, score) {
					score = "1"
				}
				args = append(args, score, zMember(t))
			}
			if zRare(t, 21, "odd") {
				args = append(args, zScore(t))
			}
			return C(args...)
		case 4:
			return C(zBig(t)...)
		case 5:
			return C("ZINCRBY", key, zScore(t), zMember(t))
		case 6:
			args := []string{"ZREM", key}
			for i := rapid.IntRange(1, 4).Draw(t, "nrem"); i > 0; i-- {
				args = append(args, zMember(t))
			}
			return C(args...)
		case 7:
			switch rapid.IntRange(0, 2).Draw(t, "readform") {
			case 0:
				return C("ZCARD", key)
			case 1:
				return C("ZSCORE", key, zMember(t))
			}
			return C("ZMSCORE", key, zMember(t), zMember(t), zMember(t))
		case 8:
			name := rapid.SampledFrom([]string{"ZRANK", "ZREVRANK"}).Draw(t, "rankcmd")
			if zRare(t, 11, "withscore") {
				return C(name, key, zMember(t), "WITHSCORE")
			}
			return C(name, key, zMember(t))
		case 9:
			lo, hi := zRangeArgs(t, "score")
			return C("ZCOUNT", key, lo, hi)
		case 10:
			lo, hi := zRangeArgs(t, "lex")
			return C("ZLEXCOUNT", key, lo, hi)
		case 11, 12, 13, 14:
			store := zRare(t, 4, "store")
			args := []string{"ZRANGE", key}
			if store {
				args = []string{"ZRANGESTORE", zKey(t), key}
			}
			kind := rapid.SampledFrom([]string{"rank", "rank", "score", "lex"}).Draw(t, "by")
			lo, hi := zRangeArgs(t, kind)
			args = append(args, lo, hi)
			var opts [][]string
			switch kind {
			case "score":
				opts = append(opts, []string{zWord(t, "byscore")})
			case "lex":
				opts = append(opts, []string{zWord(t, "bylex")})
			}
			if rapid.Bool().Draw(t, "rev") {
				opts = append(opts, []string{zWord(t, "rev")})
			}
			if kind != "rank" && zRare(t, 3, "limit") || zRare(t, 21, "ranklimit") {
				opts = append(opts, zLimit(t))
			}
			if kind != "lex" && zRare(t, 3, "withscores") || zRare(t, 21, "lexscores") {
				opts = append(opts, []string{zWord(t, "withscores")})
			}
			if zRare(t, 16, "extra") {
				opts = append(opts, []string{rapid.SampledFrom([]string{"BYSCORE", "BYLEX", "REV", "x"}).Draw(t, "extraopt")})
			}
			perm := rapid.Permutation(opts).Draw(t, "order")
			for _, o := range perm {
				args = append(args, o...)
			}
			return C(args...)
		case 15, 16:
			rev := rapid.Bool().Draw(t, "rev")
			lex := rapid.Bool().Draw(t, "lex")
			name := map[[2]bool]string{
				{false, false}: "ZRANGEBYSCORE", {true, false}: "ZREVRANGEBYSCORE",
				{false, true}: "ZRANGEBYLEX", {true, true}: "ZREVRANGEBYLEX",
			}[[2]bool{rev, lex}]
			kind := "score"
			if lex {
				kind = "lex"
			}
			lo, hi := zRangeArgs(t, kind)
			args := []string{name, key, lo, hi}
			if !lex && zRare(t, 3, "withscores") || zRare(t, 21, "lexscores") {
				args = append(args, "WITHSCORES")
			}
			if rapid.Bool().Draw(t, "limit") {
				args = append(args, zLimit(t)...)
			}
			if zRare(t, 16, "extra") {
				args = append(args, rapid.SampledFrom([]string{"BYSCORE", "REV", "LIMIT"}).Draw(t, "extraopt"))
			}
			return C(args...)
		case 17:
			lo, hi := zRangeArgs(t, "rank")
			args := []string{"ZREVRANGE", key, lo, hi}
			if rapid.Bool().Draw(t, "withscores") {
				args = append(args, "WITHSCORES")
			}
			if zRare(t, 11, "extra") {
				args = append(args, zLimit(t)...)
			}
			return C(args...)
		case 18, 19:
			switch rapid.IntRange(0, 2).Draw(t, "remform") {
			case 0:
				lo, hi := zRangeArgs(t, "rank")
				return C("ZREMRANGEBYRANK", key, lo, hi)
			case 1:
				lo, hi := zRangeArgs(t, "score")
				return C("ZREMRANGEBYSCORE", key, lo, hi)
			}
			lo, hi := zRangeArgs(t, "lex")
			return C("ZREMRANGEBYLEX", key, lo, hi)
		case 20, 21:
			name := rapid.SampledFrom([]string{"ZPOPMIN", "ZPOPMAX"}).Draw(t, "pop")
			switch rapid.IntRange(0, 3).Draw(t, "popform") {
			case 0:
				return C(name, key)
			case 3:
				return C(name, key, "1", "2")
			}
			return C(name, key, zCount(t))
		case 22:
			switch rapid.IntRange(0, 3).Draw(t, "randform") {
			case 0:
				return C("ZRANDMEMBER", key)
			case 1:
				return C("ZRANDMEMBER", key, zCount(t))
			case 2:
				return C("ZRANDMEMBER", key, zCount(t), zWord(t, "withscores"))
			}
			return C("ZRANDMEMBER", key, "1", "x")
		case 23, 24, 25:
			op := rapid.SampledFrom([]string{"ZUNION", "ZINTER", "ZDIFF"}).Draw(t, "op")
			store := rapid.Bool().Draw(t, "store")
			keys := zKeysN(t, 1, 3)
			numkeys := zNumKeys(t, keys)
			args := []string{op, numkeys}
			if store {
				args = []string{op + "STORE", zKey(t), numkeys}
			}
			args = append(args, keys...)
			if op != "ZDIFF" && zRare(t, 3, "weights") {
				args = append(args, zWord(t, "weights"))
				n := len(keys)
				if zRare(t, 10, "badnweights") {
					n--
				}
				for i := 0; i < n; i++ {
					args = append(args, zPick(t, zWeights, []string{"nan", "abc", "1e400"}, "weight"))
				}
			}
			if op != "ZDIFF" && zRare(t, 3, "aggregate") || zRare(t, 21, "badagg") {
				args = append(args, "AGGREGATE", zWord(t, zPick(t, []string{"sum", "min", "max"}, []string{"avg"}, "agg")))
			}
			if rapid.Bool().Draw(t, "withscores") {
				args = append(args, "WITHSCORES")
			}
			return C(args...)
		case 26:
			keys := zKeysN(t, 1, 3)
			args := append([]string{"ZINTERCARD", zNumKeys(t, keys)}, keys...)
			switch rapid.IntRange(0, 5).Draw(t, "limitform") {
			case 0, 2, 3:
				args = append(args, zWord(t, "limit"), zCount(t))
			case 1:
				args = append(args, "WITHSCORES")
			}
			return C(args...)
		case 27, 28:
			keys := zKeysN(t, 1, 3)
			args := append([]string{"ZMPOP", zNumKeys(t, keys)}, keys...)
			args = append(args, zWord(t, zPick(t, []string{"min", "max"}, []string{"mid"}, "where")))
			switch rapid.IntRange(0, 5).Draw(t, "countform") {
			case 0, 1, 2:
				args = append(args, zWord(t, "count"), zCount(t))
			case 3:
				args = append(args, "COUNT", "1", "COUNT", "2")
			}
			return C(args...)
		case 29:
			args := []string{"ZSCAN", key, rapid.SampledFrom([]string{"0", "0", "0", "x", "+0", ""}).Draw(t, "cursor")}
			for i := rapid.IntRange(0, 2).Draw(t, "nscanopts"); i > 0; i-- {
				switch rapid.IntRange(0, 2).Draw(t, "scanopt") {
				case 0:
					args = append(args, zWord(t, "match"), rapid.SampledFrom(zPatterns).Draw(t, "pattern"))
				case 1:
					args = append(args, "COUNT", rapid.SampledFrom([]string{"1", "10", "1000", "0", "x"}).Draw(t, "scancount"))
				default:
					args = append(args, "MATCH")
				}
			}
			return C(args...)
		case 30:
			switch rapid.IntRange(0, 4).Draw(t, "genericform") {
			case 0:
				return C("SADD", "s", zMember(t), zMember(t))
			case 1:
				return C("SET", "str", "v")
			case 2:
				return C("DEL", key)
			case 3:
				return C("TYPE", key)
			}
			return C("OBJECT", "ENCODING", key)
		case 31:
			// Arity errors.
			return C(rapid.SampledFrom([]string{
				"ZADD", "ZINCRBY", "ZREM", "ZCARD", "ZSCORE", "ZMSCORE", "ZRANK", "ZCOUNT", "ZLEXCOUNT",
				"ZRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYLEX", "ZRANGESTORE", "ZREMRANGEBYRANK", "ZPOPMIN",
				"ZRANDMEMBER", "ZUNION", "ZINTERSTORE", "ZINTERCARD", "ZMPOP", "ZSCAN",
			}).Draw(t, "cmdname"), key)
		}
		return C("ZSCORE", key, zMember(t))
	})
}

// zsetDiff is Pair.Diff with ZRANDMEMBER and ZSCAN handled by zrandDiff
// and zscanDiff, and lexicographic ranges skipped where Redis's result
// depends on its skiplist's random shape.
func zsetDiff(ctx context.Context, p *Pair, c Cmd) string {
	name := strings.ToUpper(c.Args[0])
	switch name {
	case "ZRANDMEMBER":
		return zrandDiff(ctx, p, c)
	case "ZSCAN":
		return zscanDiff(ctx, p, c)
	}
	if lexKey, ok := zLexSource(c); ok && zMixedSkiplist(ctx, p, lexKey) {
		return ""
	}
	return p.Diff(ctx, c)
}

// zLexSource returns the source key of a lexicographic range command.
func zLexSource(c Cmd) (string, bool) {
	if len(c.Args) < 3 {
		return "", false
	}
	switch strings.ToUpper(c.Args[0]) {
	case "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZLEXCOUNT", "ZREMRANGEBYLEX":
		return c.Args[1], true
	case "ZRANGE", "ZRANGESTORE":
		for _, a := range c.Args {
			if strings.EqualFold(a, "bylex") {
				if strings.EqualFold(c.Args[0], "zrangestore") {
					return c.Args[2], true
				}
				return c.Args[1], true
			}
		}
	}
	return "", false
}

// zMixedSkiplist reports whether key holds a skiplist-encoded sorted set
// whose members do not all have one score (on the reference server).
func zMixedSkiplist(ctx context.Context, p *Pair, key string) bool {
	enc, err := p.Redis.ObjectEncoding(ctx, key).Result()
	if err != nil || enc != "skiplist" {
		return false
	}
	first, err1 := p.Redis.ZRangeWithScores(ctx, key, 0, 0).Result()
	last, err2 := p.Redis.ZRangeWithScores(ctx, key, -1, -1).Result()
	return err1 != nil || err2 != nil || len(first) != 1 || len(last) != 1 || first[0].Score != last[0].Score
}

// zCard returns the size of the sorted set at key on the reference
// server; -1 for another type.
func zCard(ctx context.Context, p *Pair, key string) int64 {
	n, err := p.Redis.ZCard(ctx, key).Result()
	if err != nil {
		return -1
	}
	return n
}

// zrandDiff compares ZRANDMEMBER's determined forms exactly (errors, a
// missing key, count 0, a positive count at least the set's size, a set
// of one member without count) and checks the random ones: the reply's
// shape and size, members (with their scores) of the set, no repeats
// for a positive count.
func zrandDiff(ctx context.Context, p *Pair, c Cmd) string {
	key := c.Args[1]
	card := zCard(ctx, p, key)
	withScores := len(c.Args) == 4 && strings.EqualFold(c.Args[3], "withscores")
	random := false
	var count int64 = 1
	switch {
	case len(c.Args) == 2:
		random = card > 1
	case len(c.Args) == 3 || withScores:
		n, err := strconv.ParseInt(c.Args[2], 10, 64)
		if err != nil || card <= 0 {
			break
		}
		if !withScores && n < -1000 {
			return "" // Redis would try to build a reply of -n members
		}
		if n != 0 && n != math.MinInt64 && (n < 0 || n < card) &&
			(!withScores || n >= -math.MaxInt64/2 && n <= math.MaxInt64/2) {
			random, count = true, n
		}
	}
	if !random {
		return p.Diff(ctx, c)
	}
	want, got := p.Do(ctx, c)
	fail := func(why string) string {
		return fmt.Sprintf("%s: %s\n  redis-server: %s\n  shardd:       %s", c, why, want, got)
	}
	members, err := p.Redis.ZRangeWithScores(ctx, key, 0, -1).Result()
	if err != nil {
		return fail(err.Error())
	}
	scores := map[string]float64{}
	for _, m := range members {
		scores[m.Member.(string)] = m.Score
	}
	if len(c.Args) == 2 {
		s, ok := got.Val.(string)
		if _, in := scores[s]; !ok || !in {
			return fail("not a member")
		}
		return ""
	}
	elems, ok := got.Val.([]any)
	if !ok {
		return fail("not an array")
	}
	n := count
	if n < 0 {
		n = -n
	}
	var pairs [][2]any
	switch {
	case !withScores:
		for _, e := range elems {
			pairs = append(pairs, [2]any{e, nil})
		}
	case p.Redis.Options().Protocol == 2:
		if len(elems)%2 != 0 {
			return fail("odd length")
		}
		for i := 0; i < len(elems); i += 2 {
			pairs = append(pairs, [2]any{elems[i], elems[i+1]})
		}
	default:
		for _, e := range elems {
			pair, ok := e.([]any)
			if !ok || len(pair) != 2 {
				return fail("not a pair")
			}
			pairs = append(pairs, [2]any{pair[0], pair[1]})
		}
	}
	if int64(len(pairs)) != n {
		return fail("wrong length")
	}
	seen := map[string]bool{}
	for _, pr := range pairs {
		m, _ := pr[0].(string)
		score, in := scores[m]
		if !in {
			return fail("not a member: " + strconv.Quote(m))
		}
		if withScores {
			var s float64
			switch v := pr[1].(type) {
			case string:
				s, err = strconv.ParseFloat(v, 64)
			case float64:
				s = v
			}
			if err != nil || s != score {
				return fail("wrong score for " + strconv.Quote(m))
			}
		}
		if count > 0 && seen[m] {
			return fail("repeated member: " + strconv.Quote(m))
		}
		seen[m] = true
	}
	return ""
}

// zscanDiff compares ZSCAN: an error must be the same; otherwise each
// server's scan is run to its end and the member-score pairs returned are
// compared.
func zscanDiff(ctx context.Context, p *Pair, c Cmd) string {
	collect := func(cl func(Cmd) Result) (Result, map[string]any) {
		r := cl(c)
		pairs := map[string]any{}
		for i := 0; i < 10000; i++ {
			arr, ok := r.Val.([]any)
			if r.Err != "" || !ok || len(arr) != 2 {
				return r, nil
			}
			elems, _ := arr[1].([]any)
			for j := 0; j+1 < len(elems); j += 2 {
				pairs[fmt.Sprint(elems[j])] = elems[j+1]
			}
			cursor, _ := arr[0].(string)
			if cursor == "0" {
				break
			}
			next := Cmd{Args: slices.Clone(c.Args)}
			next.Args[2] = cursor
			r = cl(next)
		}
		return Result{}, pairs
	}
	wantR, want := collect(func(c Cmd) Result { return run(ctx, p.Redis, c) })
	gotR, got := collect(func(c Cmd) Result { return run(ctx, p.Shardd, c) })
	if reflect.DeepEqual(wantR, gotR) && reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("%s (whole scan)\n  redis-server: %s %v\n  shardd:       %s %v", c, wantR, want, gotR, got)
}
