package difftest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestGeneric is the differential property of the commands on keys of
// any type (DEL, EXISTS, KEYS, SCAN, RENAME, MOVE, COPY, the EXPIRE and
// TTL families, OBJECT, SWAPDB, ...), over a few keys of several types
// in databases 0 and 1.
//
// Timing: the two servers run each command a few milliseconds apart, so
// TTLs are never short (a key either expires at once or lives for at
// least 100 s during the run), TTL-like replies are compared with a
// tolerance (genTTLDiff), and an EXPIRE GT/LT whose new time is within a
// few seconds of the current one is skipped (its outcome depends on the
// millisecond the server runs it at).
func TestGeneric(t *testing.T) {
	ForEachProtocol(t, nil, func(t *testing.T, ctx context.Context, p *Pair) {
		has := genProbe(ctx, p)
		Property{Max: 150, Next: func(rt *rapid.T) Cmd { return genCmd(has).Draw(rt, "cmd") }, Diff: genDiff}.Check(t, p)
	})
}

var (
	genKeys     = []string{"k1", "k2", "k3", "{k1}a", ""}
	genPatterns = []string{"*", "k*", "?", "k[12]", "*a", "[^k]*", "\\*", "", "k?", "{*", "K*"}
	genDBs      = []string{"0", "1", "2", "15", "16", "-1", "abc", "4294967296", "2147483648"}
	genTypes    = []string{"string", "set", "SET", "list", "hash", "zset", "stream", "foo"}
)

func genKey(t *rapid.T) string { return rapid.SampledFrom(genKeys).Draw(t, "key") }

func genKeysN(t *rapid.T, lo, hi int) []string {
	n := rapid.IntRange(lo, hi).Draw(t, "nkeys")
	out := make([]string, n)
	for i := range out {
		out[i] = genKey(t)
	}
	return out
}

// genTime returns the time argument of an EXPIRE-family command: past or
// zero (the key is deleted at once), far enough in the future that it
// does not expire during the run, or invalid.
func genTime(t *rapid.T, cmd string) string {
	now := time.Now().Unix()
	var secs []int64
	switch cmd {
	case "EXPIRE", "PEXPIRE":
		secs = []int64{-100, -1, 0, 100, 1000, 5000, 100000}
	default:
		secs = []int64{1, now - 100, 0, -5, now + 300, now + 3000, now + 30000, 1 << 40}
	}
	var vals []string
	for _, s := range secs {
		if strings.HasPrefix(cmd, "P") {
			vals = append(vals, strconv.FormatInt(s*1000, 10))
		} else {
			vals = append(vals, strconv.FormatInt(s, 10))
		}
	}
	vals = append(vals, "abc", "", "1.5", "9223372036854775807", "-9223372036854775808",
		"9223372036854775", "-9223372036854775", "9223372036854776", "-9223372036854776")
	return rapid.SampledFrom(vals).Draw(t, "time")
}

// genProbe reports which commands of other families that make keys of
// more types (LPUSH, HSET, ZADD) shardd implements yet.
func genProbe(ctx context.Context, p *Pair) map[string]bool {
	has := map[string]bool{}
	for _, c := range [][]any{{"LPUSH", "probe", "a"}, {"HSET", "probe", "f", "v"}, {"ZADD", "probe", "1", "a"}} {
		p.Shardd.Del(ctx, "probe")
		err := p.Shardd.Do(ctx, c...).Err()
		has[c[0].(string)] = err == nil
	}
	p.Shardd.Del(ctx, "probe")
	return has
}

func genCmd(has map[string]bool) *rapid.Generator[Cmd] {
	return rapid.Custom(func(t *rapid.T) Cmd {
		key := genKey(t)
		switch rapid.IntRange(0, 30).Draw(t, "kind") {
		case 0, 1:
			args := []string{"SET", key, rapid.SampledFrom([]string{"v", "1", "12345", "", "9999", "10000"}).Draw(t, "val")}
			if rapid.Bool().Draw(t, "ex") {
				args = append(args, "EX", rapid.SampledFrom([]string{"1000", "5000"}).Draw(t, "ex"))
			}
			return C(args...)
		case 2:
			return C("SADD", key, "1", rapid.SampledFrom([]string{"2", "a"}).Draw(t, "m"))
		case 3:
			return C(append([]string{rapid.SampledFrom([]string{"DEL", "UNLINK"}).Draw(t, "del")}, genKeysN(t, 0, 3)...)...)
		case 4:
			return C(append([]string{rapid.SampledFrom([]string{"EXISTS", "TOUCH"}).Draw(t, "exists")}, genKeysN(t, 0, 4)...)...)
		case 5:
			return C("TYPE", key)
		case 6:
			return U("KEYS", rapid.SampledFrom(genPatterns).Draw(t, "pattern"))
		case 7, 8:
			args := []string{"SCAN", rapid.SampledFrom([]string{"0", "0", "0", "x", "", " 0", "1 ", "18446744073709551616"}).Draw(t, "cursor")}
			for i := rapid.IntRange(0, 3).Draw(t, "nopts"); i > 0; i-- {
				switch rapid.IntRange(0, 4).Draw(t, "opt") {
				case 0:
					args = append(args, "MATCH", rapid.SampledFrom(genPatterns).Draw(t, "pattern"))
				case 1:
					args = append(args, "COUNT", rapid.SampledFrom([]string{"1", "2", "10", "1000", "0", "-1", "abc"}).Draw(t, "count"))
				case 2:
					args = append(args, "type", rapid.SampledFrom(genTypes).Draw(t, "type"))
				case 3:
					args = append(args, rapid.SampledFrom([]string{"COUNT", "MATCH", "TYPE", "foo"}).Draw(t, "bad"))
				}
			}
			return C(args...)
		case 9:
			return C("RANDOMKEY")
		case 10:
			return C(rapid.SampledFrom([]string{"RENAME", "RENAMENX"}).Draw(t, "rename"), key, genKey(t))
		case 11:
			return C("MOVE", key, rapid.SampledFrom(genDBs).Draw(t, "db"))
		case 12, 13:
			args := []string{"COPY", key, genKey(t)}
			for i := rapid.IntRange(0, 2).Draw(t, "nopts"); i > 0; i-- {
				switch rapid.IntRange(0, 3).Draw(t, "opt") {
				case 0:
					args = append(args, "REPLACE")
				case 1:
					args = append(args, "DB", rapid.SampledFrom(genDBs).Draw(t, "db"))
				case 2:
					args = append(args, "DB")
				default:
					args = append(args, "foo")
				}
			}
			return C(args...)
		case 14, 15, 16:
			cmd := rapid.SampledFrom([]string{"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"}).Draw(t, "expire")
			args := []string{cmd, key, genTime(t, cmd)}
			for i := rapid.IntRange(0, 2).Draw(t, "nflags"); i > 0; i-- {
				args = append(args, rapid.SampledFrom([]string{"NX", "XX", "GT", "LT", "nx", "gt", "foo"}).Draw(t, "flag"))
			}
			return C(args...)
		case 17, 18:
			return C(rapid.SampledFrom([]string{"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}).Draw(t, "ttl"), key)
		case 19:
			return C("PERSIST", key)
		case 20:
			return C("OBJECT", rapid.SampledFrom([]string{"ENCODING", "REFCOUNT", "FREQ", "IDLETIME", "encoding"}).Draw(t, "sub"), key)
		case 21:
			return C("OBJECT", rapid.SampledFrom([]string{"HELP", "help", "foo", "ENCODING"}).Draw(t, "sub"))
		case 22:
			return C("SWAPDB", rapid.SampledFrom(genDBs).Draw(t, "db1"), rapid.SampledFrom(genDBs).Draw(t, "db2"))
		case 23:
			return C("DBSIZE")
		case 24:
			if rapid.IntRange(0, 3).Draw(t, "flush") == 0 {
				return C(rapid.SampledFrom([]string{"FLUSHDB", "FLUSHALL"}).Draw(t, "cmd"),
					rapid.SampledFrom([]string{"ASYNC", "sync", "foo"}).Draw(t, "mode"))
			}
			return C("GET", key)
		case 25:
			// Arity errors.
			return C(rapid.SampledFrom([]string{
				"DEL", "EXISTS", "TYPE", "KEYS", "SCAN", "RENAME", "RENAMENX", "MOVE", "COPY", "TOUCH",
				"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME",
				"PERSIST", "SWAPDB", "OBJECT", "UNLINK",
			}).Draw(t, "cmdname"))
		case 26:
			return C(rapid.SampledFrom([]string{"RANDOMKEY", "DBSIZE", "TTL", "RENAME", "SWAPDB", "KEYS"}).Draw(t, "cmdname"), key, key, key)
		case 27, 28, 29:
			switch other := []string{"LPUSH", "HSET", "ZADD"}[rapid.IntRange(0, 2).Draw(t, "other")]; {
			case !has[other]:
			case other == "LPUSH":
				return C("LPUSH", key, "a", "b")
			case other == "HSET":
				return C("HSET", key, "f", "v")
			default:
				return C("ZADD", key, "1", "a")
			}
		}
		return U("SMEMBERS", key)
	})
}

// genDiff is Pair.Diff with the timing- and randomness-dependent
// commands handled as described at TestGeneric.
func genDiff(ctx context.Context, p *Pair, c Cmd) string {
	if len(c.Args) < 2 {
		if c.Args[0] == "RANDOMKEY" {
			return randomKeyDiff(ctx, p, c)
		}
		return p.Diff(ctx, c)
	}
	switch c.Args[0] {
	case "SCAN":
		return scanDiff(ctx, p, c)
	case "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME":
		return genTTLDiff(ctx, p, c)
	case "EXPIRE", "PEXPIRE":
		if genRacyExpire(ctx, p, c) {
			return ""
		}
	case "OBJECT":
		if strings.EqualFold(c.Args[1], "idletime") || strings.EqualFold(c.Args[1], "refcount") {
			return idleDiff(ctx, p, c)
		}
	}
	return p.Diff(ctx, c)
}

// genRacyExpire reports whether a relative EXPIRE/PEXPIRE with GT or LT
// would set a time within 5 s of the key's current expiry: whether the
// new time is greater then depends on the millisecond the command runs.
func genRacyExpire(ctx context.Context, p *Pair, c Cmd) bool {
	racy := false
	for _, a := range c.Args[3:] {
		if strings.EqualFold(a, "gt") || strings.EqualFold(a, "lt") {
			racy = true
		}
	}
	n, err := strconv.ParseInt(c.Args[2], 10, 64)
	if !racy || err != nil || n <= 0 {
		return false
	}
	if c.Args[0] == "EXPIRE" {
		n *= 1000
	}
	cur, err := p.Redis.PTTL(ctx, c.Args[1]).Result()
	if err != nil || cur < 0 {
		return false
	}
	d := n - cur.Milliseconds()
	return d > -5000 && d < 5000
}

// genTTLDiff compares TTL-like replies: errors and negative replies
// exactly, positive ones within a tolerance of 2 s.
func genTTLDiff(ctx context.Context, p *Pair, c Cmd) string {
	want, got := p.Do(ctx, c)
	wn, wok := want.Val.(int64)
	gn, gok := got.Val.(int64)
	if wok && gok && wn > 0 && gn > 0 {
		tol := int64(2)
		if strings.HasPrefix(c.Args[0], "P") {
			tol = 2000
		}
		if d := wn - gn; d >= -tol && d <= tol {
			return ""
		}
	} else if fmt.Sprint(want) == fmt.Sprint(got) {
		return ""
	}
	return fmt.Sprintf("%s\n  redis-server: %s\n  shardd:       %s", c, want, got)
}

// idleDiff compares OBJECT IDLETIME and REFCOUNT by shape: shardd does
// not track access times, nor whether a small integer string is Redis's
// shared object (a COPY of one is not), so only null versus integer (or
// the error) must agree.
func idleDiff(ctx context.Context, p *Pair, c Cmd) string {
	want, got := p.Do(ctx, c)
	shape := func(r Result) string {
		if _, ok := r.Val.(int64); ok {
			return "integer"
		}
		return r.String()
	}
	if shape(want) == shape(got) {
		return ""
	}
	return fmt.Sprintf("%s\n  redis-server: %s\n  shardd:       %s", c, want, got)
}

// randomKeyDiff compares RANDOMKEY exactly when the database holds at
// most one key, and otherwise checks that shardd's reply is a key.
func randomKeyDiff(ctx context.Context, p *Pair, c Cmd) string {
	n, err := p.Redis.DBSize(ctx).Result()
	if err != nil || n <= 1 {
		return p.Diff(ctx, c)
	}
	got := run(ctx, p.Shardd, c)
	k, ok := got.Val.(string)
	if ok {
		if e, _ := p.Redis.Exists(ctx, k).Result(); e == 1 {
			return ""
		}
	}
	return fmt.Sprintf("%s: not a key of the database: %s", c, got)
}
