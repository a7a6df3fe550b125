package difftest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestSets is the differential property of the set commands: random
// sequences over a few keys and members (so that commands collide on keys,
// types and encodings) must get the replies redis-server gives. SPOP and
// SRANDMEMBER run in every form: setDiff compares their determined forms
// exactly and checks the random ones for size and membership, skipping
// an SPOP whose result would be random (it would make the servers'
// contents diverge).
func TestSets(t *testing.T) {
	ForEachProtocol(t, nil, func(t *testing.T, _ context.Context, p *Pair) {
		Property{Max: 150, Next: func(rt *rapid.T) Cmd { return setCmd().Draw(rt, "cmd") }, Diff: setDiff}.Check(t, p)
	})
}

var (
	setKeys = []string{"s1", "s2", "s3", "{s1}x", "str"}
	// setMembers mix canonical integers (intset), integer-looking
	// strings that are not canonical, binary data and the empty string.
	setMembers = []string{
		"1", "2", "3", "10", "-1", "0", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "01", "-0", "+1", " 1", "a", "b", "c", "", "\x00\xff", "hello world",
	}
	setCounts = []string{
		"0", "1", "2", "3", "5", "-1", "-2", "-5", "-20", "100", "100000", "abc", "", "1.5",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808",
	}
	setPatterns = []string{"*", "1*", "?", "[ab]", "*1*", "", "\\*", "h*d", "[^0-9]*"}
)

func setWord(t *rapid.T, s string) string {
	if rapid.Bool().Draw(t, "upper") {
		return strings.ToUpper(s)
	}
	return s
}

func setKey(t *rapid.T) string { return rapid.SampledFrom(setKeys).Draw(t, "key") }

func setMember(t *rapid.T) string {
	if rapid.IntRange(0, 9).Draw(t, "intmember") == 0 {
		return strconv.Itoa(rapid.IntRange(-600, 600).Draw(t, "n"))
	}
	return rapid.SampledFrom(setMembers).Draw(t, "member")
}

func setMembersN(t *rapid.T, lo, hi int) []string {
	n := rapid.IntRange(lo, hi).Draw(t, "nmembers")
	out := make([]string, n)
	for i := range out {
		out[i] = setMember(t)
	}
	return out
}

func setKeysN(t *rapid.T, lo, hi int) []string {
	n := rapid.IntRange(lo, hi).Draw(t, "nkeys")
	out := make([]string, n)
	for i := range out {
		out[i] = setKey(t)
	}
	return out
}

// setBig builds an SADD of many integers, sometimes beyond
// set-max-intset-entries, sometimes with one string that forces the
// hashtable encoding.
func setBig(t *rapid.T) []string {
	n := rapid.SampledFrom([]int{100, 511, 512, 513, 600}).Draw(t, "bign")
	args := []string{"SADD", setKey(t)}
	for i := 0; i < n; i++ {
		args = append(args, strconv.Itoa(i))
	}
	if rapid.IntRange(0, 3).Draw(t, "bigstr") == 0 {
		args = append(args, "x")
	}
	return args
}

func setCmd() *rapid.Generator[Cmd] {
	return rapid.Custom(func(t *rapid.T) Cmd {
		key := setKey(t)
		count := func() string { return rapid.SampledFrom(setCounts).Draw(t, "count") }
		switch rapid.IntRange(0, 27).Draw(t, "kind") {
		case 0, 1, 2:
			return C(append([]string{setWord(t, "sadd"), key}, setMembersN(t, 0, 5)...)...)
		case 3:
			return C(setBig(t)...)
		case 4, 5:
			return C(append([]string{setWord(t, "srem"), key}, setMembersN(t, 0, 4)...)...)
		case 6:
			return C(setWord(t, "sismember"), key, setMember(t))
		case 7:
			return C(append([]string{"SMISMEMBER", key}, setMembersN(t, 0, 4)...)...)
		case 8:
			return U("SMEMBERS", key)
		case 9:
			return C("SCARD", key)
		case 10:
			switch rapid.IntRange(0, 2).Draw(t, "spopform") {
			case 0:
				return U("SPOP", key)
			case 1:
				return U("SPOP", key, count())
			}
			return U("SPOP", key, count(), count())
		case 11:
			switch rapid.IntRange(0, 2).Draw(t, "srandform") {
			case 0:
				return U("SRANDMEMBER", key)
			case 1:
				return U("SRANDMEMBER", key, count())
			}
			return U("SRANDMEMBER", key, count(), "1")
		case 12:
			return C("SMOVE", key, setKey(t), setMember(t))
		case 13:
			return U(append([]string{"SINTER"}, setKeysN(t, 0, 3)...)...)
		case 14:
			return U(append([]string{"SUNION"}, setKeysN(t, 0, 3)...)...)
		case 15:
			return U(append([]string{"SDIFF"}, setKeysN(t, 0, 3)...)...)
		case 16:
			return C(append([]string{"SINTERSTORE", key}, setKeysN(t, 0, 3)...)...)
		case 17:
			return C(append([]string{"SUNIONSTORE", key}, setKeysN(t, 0, 3)...)...)
		case 18:
			return C(append([]string{"SDIFFSTORE", key}, setKeysN(t, 0, 3)...)...)
		case 19:
			keys := setKeysN(t, 0, 3)
			numkeys := rapid.SampledFrom([]string{
				strconv.Itoa(len(keys)), strconv.Itoa(len(keys)), strconv.Itoa(len(keys) + 1),
				strconv.Itoa(max(len(keys)-1, 0)), "0", "-1", "abc",
			}).Draw(t, "numkeys")
			args := append([]string{"SINTERCARD", numkeys}, keys...)
			switch rapid.IntRange(0, 3).Draw(t, "limitform") {
			case 0:
				args = append(args, setWord(t, "limit"), count())
			case 1:
				args = append(args, "LIMIT")
			case 2:
				args = append(args, "LIMIT", "1", "LIMIT", count())
			}
			return C(args...)
		case 20, 21:
			args := []string{"SSCAN", key, rapid.SampledFrom([]string{"0", "0", "0", "x", "", " 0", "+0", "-0"}).Draw(t, "cursor")}
			for i := rapid.IntRange(0, 3).Draw(t, "nopts"); i > 0; i-- {
				switch rapid.IntRange(0, 3).Draw(t, "opt") {
				case 0:
					args = append(args, setWord(t, "match"), rapid.SampledFrom(setPatterns).Draw(t, "pattern"))
				case 1:
					args = append(args, setWord(t, "count"), count())
				case 2:
					args = append(args, "TYPE", "set")
				default:
					args = append(args, "MATCH")
				}
			}
			return C(args...)
		case 22:
			return C("OBJECT", "ENCODING", key)
		case 23:
			return C(setWord(t, "set"), key, "v")
		case 24:
			return C("DEL", key)
		case 25:
			return C("TYPE", key)
		case 26:
			// Arity errors: without arguments, or with just a key.
			if rapid.Bool().Draw(t, "noargs") {
				return C(rapid.SampledFrom([]string{
					"SMEMBERS", "SCARD", "SPOP", "SRANDMEMBER", "SINTER", "SUNION", "SDIFF", "SADD",
				}).Draw(t, "cmdname"))
			}
			return C(rapid.SampledFrom([]string{
				"SADD", "SREM", "SISMEMBER", "SMISMEMBER", "SMOVE", "SINTERCARD", "SINTERSTORE",
				"SUNIONSTORE", "SDIFFSTORE", "SSCAN",
			}).Draw(t, "cmdname"), key)
		}
		return C("EXISTS", key)
	})
}

// setDiff is Pair.Diff with the random commands and the scans handled
// as described at TestSets and scanDiff.
func setDiff(ctx context.Context, p *Pair, c Cmd) string {
	if len(c.Args) < 2 {
		return p.Diff(ctx, c)
	}
	switch strings.ToUpper(c.Args[0]) {
	case "SPOP":
		return spopDiff(ctx, p, c)
	case "SRANDMEMBER":
		return srandDiff(ctx, p, c)
	case "SSCAN", "SCAN":
		return scanDiff(ctx, p, c)
	}
	return p.Diff(ctx, c)
}

// setCard returns the size of the set at key on the reference server,
// -1 if the key holds another type.
func setCard(ctx context.Context, p *Pair, key string) int64 {
	n, err := p.Redis.SCard(ctx, key).Result()
	if err != nil {
		return -1
	}
	return n
}

// spopDiff runs SPOP only when its result is determined: no count and at
// most one member, or a count that is no integer, negative, zero, or at
// least the set's size.
func spopDiff(ctx context.Context, p *Pair, c Cmd) string {
	card := setCard(ctx, p, c.Args[1])
	if card > 1 {
		if len(c.Args) == 2 {
			return ""
		}
		if n, err := strconv.ParseInt(c.Args[2], 10, 64); err == nil && len(c.Args) == 3 && n > 0 && n < card {
			return ""
		}
	}
	return p.Diff(ctx, c)
}

// srandDiff compares SRANDMEMBER's determined forms exactly and checks
// the random ones: the same reply size, only members, no repeats for a
// positive count.
func srandDiff(ctx context.Context, p *Pair, c Cmd) string {
	card := setCard(ctx, p, c.Args[1])
	random := card > 1 && len(c.Args) == 2
	var count int64
	if len(c.Args) == 3 {
		n, err := strconv.ParseInt(c.Args[2], 10, 64)
		if err == nil && card > 0 && (n < 0 && n != -1<<63 || n > 0 && n < card) {
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
	members, err := p.Redis.SMembers(ctx, c.Args[1]).Result()
	if err != nil {
		return fail(err.Error())
	}
	var elems []any
	if count == 0 {
		s, ok := got.Val.(string)
		if !ok || !slices.Contains(members, s) {
			return fail("not a member")
		}
		return ""
	}
	elems, ok := got.Val.([]any)
	if !ok {
		return fail("not an array")
	}
	wantLen := count
	if count < 0 {
		wantLen = -count
	}
	if int64(len(elems)) != wantLen {
		return fail("wrong length")
	}
	seen := map[string]bool{}
	for _, e := range elems {
		s, _ := e.(string)
		if !slices.Contains(members, s) {
			return fail("not a member: " + strconv.Quote(s))
		}
		if count > 0 && seen[s] {
			return fail("repeated member: " + strconv.Quote(s))
		}
		seen[s] = true
	}
	return ""
}

// scanDiff compares SCAN and SSCAN. An error must be the same. Otherwise
// the two servers' cursors need not agree, so each server's scan is run
// to its end (cursor 0) and the sets of returned elements are compared.
func scanDiff(ctx context.Context, p *Pair, c Cmd) string {
	collect := func(do func(Cmd) Result) (Result, []string) {
		first := do(c)
		if first.Err != "" {
			return first, nil
		}
		seen := map[string]bool{}
		r := first
		for i := 0; i < 10000; i++ {
			arr, ok := r.Val.([]any)
			if r.Err != "" || !ok || len(arr) != 2 {
				return r, nil
			}
			elems, _ := arr[1].([]any)
			for _, e := range elems {
				seen[fmt.Sprint(e)] = true
			}
			cursor, _ := arr[0].(string)
			if cursor == "0" {
				break
			}
			next := Cmd{Args: slices.Clone(c.Args)}
			next.Args[scanCursorPos(c)] = cursor
			r = do(next)
		}
		out := make([]string, 0, len(seen))
		for e := range seen {
			out = append(out, e)
		}
		slices.Sort(out)
		return Result{}, out
	}
	wantR, want := collect(func(c Cmd) Result { return run(ctx, p.Redis, c) })
	gotR, got := collect(func(c Cmd) Result { return run(ctx, p.Shardd, c) })
	if reflect.DeepEqual(wantR, gotR) && slices.Equal(want, got) {
		return ""
	}
	return fmt.Sprintf("%s (whole scan)\n  redis-server: %s %q\n  shardd:       %s %q", c, wantR, want, gotR, got)
}

func scanCursorPos(c Cmd) int {
	if strings.EqualFold(c.Args[0], "scan") {
		return 1
	}
	return 2
}
