package difftest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestHashes is the differential property of the hash commands: random
// sequences over a few keys and fields must get the replies redis-server
// gives. Replies whose order Redis leaves unspecified (HKEYS, HVALS,
// HGETALL) are compared as multisets of fields, values or pairs. HSCAN is
// compared by running each server's scan to its end. HRANDFIELD runs in
// every form: its determined forms (a missing key, count 0, a positive
// count at least the hash's size) are compared exactly, the random ones
// for shape, size, membership and (positive counts) distinctness.
func TestHashes(t *testing.T) {
	var final []Cmd
	for _, k := range hashKeys {
		final = append(final, C("HGETALL", k))
	}
	ForEachProtocol(t, nil, func(t *testing.T, _ context.Context, p *Pair) {
		Property{Max: 150, Next: func(rt *rapid.T) Cmd { return hashCmd().Draw(rt, "cmd") }, Diff: hashDiff, Final: final}.Check(t, p)
	})
}

var (
	// hashKeys: three hash keys and one that usually holds a string.
	hashKeys = []string{"h1", "h2", "{h1}x", "str"}
	// hashFields are few (fewer than HSCAN's default COUNT, so that a
	// small hashtable-encoded hash is scanned in one call by Redis too);
	// one of them is longer than hash-max-listpack-value.
	hashFields = []string{"a", "b", "c", "", "\x00\xff", "1", strings.Repeat("f", 65)}
	// hashValues include integers (canonical and not), floats in
	// several syntaxes, strings that are neither, and a long value.
	hashValues = []string{
		"v", "", "0", "1", "-1", "10", "9223372036854775807", "-9223372036854775808", "01", "-0", " 1",
		"1.5", "-2.25", "1e3", "0x10", "inf", "-inf", "nan", "1e400", "1e5000", "hello world",
		strings.Repeat("v", 64), strings.Repeat("v", 65),
	}
	hashIncrs = []string{
		"0", "1", "-1", "5", "100", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"x", "", "1.5", " 1", "01",
	}
	hashFloatIncrs = []string{
		"0", "1", "-1", "0.1", "0.2", "-0.3", "1.5", "3.0000000000000000001", "1e20", "-1e20", "1e-20",
		"1e4900", "-1e4900", "1e5000", "1e-5000", "inf", "-inf", "nan", "0x1p-2", "+.5", "5.", ".",
		"x", "", " 1", "1 ", "1_0", "0b11", "-0",
	}
	// hashCounts are HRANDFIELD counts. Huge negative counts that Redis
	// accepts are left out: it would try to build the reply and run out
	// of memory.
	hashCounts = []string{
		"0", "1", "2", "3", "5", "-1", "-2", "-5", "-20", "100", "x", "", "1.5",
		"9223372036854775807", "-9223372036854775808", "4611686018427387903", "4611686018427387904",
	}
	// hashCountsWithValues add the counts refused with WITHVALUES only.
	hashCountsWithValues = append([]string{"-4611686018427387904", "-9223372036854775807"}, hashCounts...)
	hashPatterns         = []string{"*", "a*", "?", "[ab]", "*1*", "", "\\*", "f*", "[^a]*"}
)

func hashWord(t *rapid.T, s string) string {
	if rapid.Bool().Draw(t, "upper") {
		return strings.ToUpper(s)
	}
	return s
}

func hashKey(t *rapid.T) string   { return rapid.SampledFrom(hashKeys).Draw(t, "key") }
func hashField(t *rapid.T) string { return rapid.SampledFrom(hashFields).Draw(t, "field") }
func hashValue(t *rapid.T) string { return rapid.SampledFrom(hashValues).Draw(t, "value") }

func hashFieldsN(t *rapid.T, lo, hi int) []string {
	n := rapid.IntRange(lo, hi).Draw(t, "nfields")
	out := make([]string, n)
	for i := range out {
		out[i] = hashField(t)
	}
	return out
}

func hashPairsN(t *rapid.T, lo, hi int) []string {
	n := rapid.IntRange(lo, hi).Draw(t, "npairs")
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, hashField(t), hashValue(t))
	}
	return out
}

func hashCmd() *rapid.Generator[Cmd] {
	return rapid.Custom(func(t *rapid.T) Cmd {
		key := hashKey(t)
		switch rapid.IntRange(0, 29).Draw(t, "kind") {
		case 0, 1, 2:
			args := append([]string{hashWord(t, "hset"), key}, hashPairsN(t, 1, 4)...)
			if rapid.IntRange(0, 9).Draw(t, "odd") == 0 {
				args = args[:len(args)-1]
			}
			return C(args...)
		case 3:
			args := append([]string{"HMSET", key}, hashPairsN(t, 1, 3)...)
			if rapid.IntRange(0, 5).Draw(t, "odd") == 0 {
				args = append(args, hashField(t))
			}
			return C(args...)
		case 4:
			return C("HSETNX", key, hashField(t), hashValue(t))
		case 5:
			return C("HGET", key, hashField(t))
		case 6:
			return C(append([]string{"HMGET", key}, hashFieldsN(t, 1, 4)...)...)
		case 7:
			return C(append([]string{"HDEL", key}, hashFieldsN(t, 1, 4)...)...)
		case 8:
			return C("HLEN", key)
		case 9:
			return C("HSTRLEN", key, hashField(t))
		case 10:
			return C("HEXISTS", key, hashField(t))
		case 11:
			return U("HKEYS", key)
		case 12:
			return U("HVALS", key)
		case 13:
			return C("HGETALL", key)
		case 14, 15:
			return C(hashWord(t, "hincrby"), key, hashField(t), rapid.SampledFrom(hashIncrs).Draw(t, "incr"))
		case 16, 17:
			incr := rapid.SampledFrom(hashFloatIncrs).Draw(t, "fincr")
			switch rapid.IntRange(0, 3).Draw(t, "fform") {
			case 0:
				// A random decimal, to exercise long double rounding.
				incr = strconv.Itoa(rapid.IntRange(-100000, 100000).Draw(t, "mant")) + "e" +
					strconv.Itoa(rapid.IntRange(-25, 25).Draw(t, "exp"))
			case 1:
				incr = strconv.FormatFloat(rapid.Float64().Draw(t, "f"), 'g', -1, 64)
			}
			return C(hashWord(t, "hincrbyfloat"), key, hashField(t), incr)
		case 18, 19:
			args := []string{"HRANDFIELD", key}
			switch rapid.IntRange(0, 4).Draw(t, "randform") {
			case 1, 2:
				args = append(args, rapid.SampledFrom(hashCounts).Draw(t, "count"))
			case 3:
				args = append(args, rapid.SampledFrom(hashCountsWithValues).Draw(t, "count"), hashWord(t, "withvalues"))
			case 4:
				args = append(args, "1", rapid.SampledFrom([]string{"FOO", "WITHVALUES"}).Draw(t, "extra"), "x")
			}
			return C(args...)
		case 20, 21:
			cursor := rapid.SampledFrom([]string{"0", "0", "0", "x", "", " 0", "+0", "-", "18446744073709551616"}).Draw(t, "cursor")
			args := []string{"HSCAN", key, cursor}
			for i := rapid.IntRange(0, 3).Draw(t, "nopts"); i > 0; i-- {
				switch rapid.IntRange(0, 4).Draw(t, "opt") {
				case 0, 1:
					args = append(args, hashWord(t, "match"), rapid.SampledFrom(hashPatterns).Draw(t, "pattern"))
				case 2:
					args = append(args, hashWord(t, "count"), rapid.SampledFrom([]string{"10", "100", "0", "-1", "x"}).Draw(t, "count"))
				case 3:
					args = append(args, "TYPE", "hash")
				default:
					args = append(args, "MATCH")
				}
			}
			return C(args...)
		case 22:
			return C("OBJECT", "ENCODING", key)
		case 23:
			return C("SET", key, "v")
		case 24:
			return C("DEL", key)
		case 25:
			return C("TYPE", key)
		case 26:
			// Arity errors.
			if rapid.Bool().Draw(t, "noargs") {
				return C(rapid.SampledFrom([]string{
					"HSET", "HSETNX", "HGET", "HMGET", "HMSET", "HDEL", "HLEN", "HSTRLEN", "HEXISTS",
					"HKEYS", "HVALS", "HGETALL", "HINCRBY", "HINCRBYFLOAT", "HRANDFIELD", "HSCAN",
				}).Draw(t, "cmdname"))
			}
			return C(rapid.SampledFrom([]string{
				"HSET", "HSETNX", "HGET", "HMGET", "HMSET", "HDEL", "HSTRLEN", "HEXISTS",
				"HINCRBY", "HINCRBYFLOAT", "HSCAN",
			}).Draw(t, "cmdname"), key)
		case 27:
			// Past hash-max-listpack-entries (512 by default): the
			// hashtable encoding.
			args := []string{"HSET", key}
			for i := rapid.SampledFrom([]int{100, 512, 513}).Draw(t, "nbig"); i > 0; i-- {
				args = append(args, "f"+strconv.Itoa(i), strconv.Itoa(i))
			}
			return C(args...)
		case 28:
			return C("HGET", key, hashField(t), "extra")
		}
		return C("EXISTS", key)
	})
}

// hashDiff is Pair.Diff with the commands whose replies are unordered or
// random handled as TestHashes describes.
func hashDiff(ctx context.Context, p *Pair, c Cmd) string {
	if len(c.Args) >= 2 {
		switch strings.ToUpper(c.Args[0]) {
		case "HGETALL":
			return hashPairsDiff(ctx, p, c)
		case "HRANDFIELD":
			return hashRandDiff(ctx, p, c)
		case "HSCAN":
			return hashScanDiff(ctx, p, c)
		}
	}
	return p.Diff(ctx, c)
}

// hashPairs turns a HGETALL-like reply (a RESP3 map, a flat RESP2 array,
// or an array of 2-element arrays) into sorted "field=value" strings; ok
// is false for anything else.
func hashPairs(v any) ([]string, bool) {
	var out []string
	switch v := v.(type) {
	case map[any]any:
		for f, val := range v {
			out = append(out, fmt.Sprintf("%q=%q", f, val))
		}
	case []any:
		if len(v) > 0 {
			if _, nested := v[0].([]any); nested {
				for _, e := range v {
					pair, ok := e.([]any)
					if !ok || len(pair) != 2 {
						return nil, false
					}
					out = append(out, fmt.Sprintf("%q=%q", pair[0], pair[1]))
				}
				break
			}
		}
		if len(v)%2 != 0 {
			return nil, false
		}
		for i := 0; i < len(v); i += 2 {
			out = append(out, fmt.Sprintf("%q=%q", v[i], v[i+1]))
		}
	default:
		return nil, false
	}
	sort.Strings(out)
	return out, true
}

// hashPairsDiff compares a HGETALL reply as an unordered set of pairs,
// and its RESP type (a map in RESP3) through the decoded Go type.
func hashPairsDiff(ctx context.Context, p *Pair, c Cmd) string {
	want, got := p.Do(ctx, c)
	if want.Err != "" || got.Err != "" || reflect.TypeOf(want.Val) != reflect.TypeOf(got.Val) {
		if reflect.DeepEqual(want, got) {
			return ""
		}
		return fmt.Sprintf("%s\n  redis-server: %s\n  shardd:       %s", c, want, got)
	}
	w, ok1 := hashPairs(want.Val)
	g, ok2 := hashPairs(got.Val)
	if ok1 && ok2 && slices.Equal(w, g) {
		return ""
	}
	return fmt.Sprintf("%s\n  redis-server: %s\n  shardd:       %s", c, want, got)
}

// hashRandDiff checks HRANDFIELD as TestHashes describes.
func hashRandDiff(ctx context.Context, p *Pair, c Cmd) string {
	want, got := p.Do(ctx, c)
	fail := func(why string) string {
		return fmt.Sprintf("%s: %s\n  redis-server: %s\n  shardd:       %s", c, why, want, got)
	}
	if want.Err != "" || got.Err != "" || want.Val == nil || got.Val == nil {
		if reflect.DeepEqual(want, got) {
			return ""
		}
		return fail("differ")
	}
	all, err := p.Redis.HGetAll(ctx, c.Args[1]).Result()
	if err != nil {
		return fail(err.Error())
	}
	if len(c.Args) == 2 {
		f, ok := got.Val.(string)
		if _, member := all[f]; !ok || !member {
			return fail("not a field")
		}
		return ""
	}
	count, _ := strconv.ParseInt(c.Args[2], 10, 64)
	withValues := len(c.Args) == 4
	if count == 0 || count >= int64(len(all)) {
		// Determined: the whole hash (or nothing).
		if reflect.TypeOf(want.Val) != reflect.TypeOf(got.Val) {
			return fail("reply types differ")
		}
		if withValues {
			w, ok1 := hashPairs(want.Val)
			g, ok2 := hashPairs(got.Val)
			if !ok1 || !ok2 || !slices.Equal(w, g) || !sameShape(want.Val, got.Val) {
				return fail("differ")
			}
			return ""
		}
		if !reflect.DeepEqual(sortedCopy(want.Val), sortedCopy(got.Val)) {
			return fail("differ")
		}
		return ""
	}
	if !sameShape(want.Val, got.Val) {
		return fail("shapes differ")
	}
	var fields []string
	if withValues {
		pairs, ok := hashPairs(got.Val)
		if !ok {
			return fail("not pairs")
		}
		for _, pv := range pairs {
			f, v, _ := strings.Cut(pv, "=")
			f, _ = strconv.Unquote(f)
			v, _ = strconv.Unquote(v)
			if val, member := all[f]; !member || val != v {
				return fail("not a pair of the hash: " + pv)
			}
			fields = append(fields, f)
		}
	} else {
		for _, e := range got.Val.([]any) {
			f, _ := e.(string)
			if _, member := all[f]; !member {
				return fail("not a field: " + strconv.Quote(f))
			}
			fields = append(fields, f)
		}
	}
	if count > 0 {
		slices.Sort(fields)
		if len(slices.Compact(fields)) != len(fields) {
			return fail("repeated field")
		}
	}
	return ""
}

// sameShape reports whether two array replies have the same length and
// the same nesting (arrays of pairs or flat).
func sameShape(a, b any) bool {
	x, ok1 := a.([]any)
	y, ok2 := b.([]any)
	if !ok1 || !ok2 || len(x) != len(y) {
		return false
	}
	for i := range x {
		if reflect.TypeOf(x[i]) != reflect.TypeOf(y[i]) {
			return false
		}
		if xa, ok := x[i].([]any); ok && len(xa) != len(y[i].([]any)) {
			return false
		}
	}
	return true
}

// hashScanDiff compares HSCAN. Errors and the first reply's form must
// agree; the pairs are compared over each server's whole scan (run until
// cursor 0), because the servers' cursors need not agree for a
// hashtable-encoded hash.
func hashScanDiff(ctx context.Context, p *Pair, c Cmd) string {
	collect := func(do func(Cmd) Result) (Result, []string) {
		r := do(c)
		var all []string
		for i := 0; i < 10000; i++ {
			arr, ok := r.Val.([]any)
			if r.Err != "" || !ok || len(arr) != 2 {
				return r, nil
			}
			pairs, ok := hashPairs(arr[1])
			if !ok {
				return r, nil
			}
			all = append(all, pairs...)
			cursor, _ := arr[0].(string)
			if cursor == "0" {
				break
			}
			next := Cmd{Args: slices.Clone(c.Args)}
			next.Args[2] = cursor
			r = do(next)
		}
		sort.Strings(all)
		return Result{}, slices.Compact(all)
	}
	wantR, want := collect(func(c Cmd) Result { return run(ctx, p.Redis, c) })
	gotR, got := collect(func(c Cmd) Result { return run(ctx, p.Shardd, c) })
	if reflect.DeepEqual(wantR, gotR) && slices.Equal(want, got) {
		return ""
	}
	return fmt.Sprintf("%s (whole scan)\n  redis-server: %s %q\n  shardd:       %s %q", c, wantR, want, gotR, got)
}
