package difftest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shardis/shardis/shardd/internal/redisproc"
	"github.com/shardis/shardis/shardd/internal/shardtest"
	"pgregory.net/rapid"
)

// TestStrings is the differential property of the string and bitmap
// commands: random sequences of them (with every option, wrong types,
// bad numbers, edge values) must get the replies redis-server gives.
func TestStrings(t *testing.T) {
	ForEachProtocol(t, nil, func(t *testing.T, ctx context.Context, p *Pair) {
		g := strGenerator{has: strProbe(ctx, p)}
		t.Logf("helper commands in shardd: %v", g.has)
		total := 0
		defer func() { t.Logf("%d commands", total) }()
		Property{Min: 100, Max: 1500, Diff: strDiff, Next: func(rt *rapid.T) Cmd {
			total++
			return g.cmd().Draw(rt, "cmd")
		}}.Check(t, p)
	})
}

// strProbe reports which helper commands of other families shardd
// implements yet (they are used to check TTLs, encodings and wrong types).
func strProbe(ctx context.Context, p *Pair) map[string]bool {
	has := map[string]bool{}
	for _, c := range [][]any{
		{"PTTL", "x"}, {"OBJECT", "ENCODING", "x"}, {"LPUSH", "probe:x", "a"},
		{"SADD", "probe:x", "a"}, {"HSET", "probe:x", "a", "b"}, {"EXISTS", "x"}, {"DEL", "x"}, {"TYPE", "x"},
	} {
		err := p.Shardd.Do(ctx, c...).Err()
		name := strings.ToUpper(c[0].(string))
		has[name] = err == nil || !strings.Contains(err.Error(), "unknown")
	}
	p.Shardd.Do(ctx, "FLUSHALL")
	return has
}

// strDiff is Pair.Diff except for PTTL, compared by class (missing, no
// TTL, or a positive TTL rounded to 10 s) because the two servers run
// the command a few milliseconds apart.
func strDiff(ctx context.Context, p *Pair, c Cmd) string {
	if c.Args[0] != "PTTL" {
		return p.Diff(ctx, c)
	}
	class := func(r Result) string {
		n, ok := r.Val.(int64)
		if r.Err != "" || !ok || n < 0 {
			return r.String()
		}
		return "~" + strconv.FormatInt((n+5000)/10000*10, 10) + "s"
	}
	want, got := p.Do(ctx, c)
	if class(want) == class(got) {
		return ""
	}
	return fmt.Sprintf("%s\n  redis-server: %s\n  shardd:       %s", c, want, got)
}

type strGenerator struct {
	has map[string]bool
}

var (
	strKeys = []string{"a", "b", "c", "{a}d"}
	// strValues are values that make the string commands take their
	// interesting paths: integers at and beyond the limits, numbers Redis
	// refuses, floats for INCRBYFLOAT, binary data, the embstr limit.
	strValues = []string{
		"", "0", "1", "-1", "7", "10", "01", " 1", "1 ", "+1", "-0", "00",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "12345678901234567890",
		"1.5", "10.5", "0.1", "-0.1", "3.0e3", "1e17", "-1e17", "1e308", "1.7976931348623157e308",
		"1e4932", "1.1e4932", "1e-4950", "1e5000", "1e-5000", "0x10", "0x1p-3", "0X1.8P1", "0x", "1e", ".5", "5.", ".",
		"inf", "-inf", "+inf", "infinity", "nan", "-nan", "5.0000000000000001", "0.30000000000000004",
		"abc", "foobar", "ohmytext", "mynewtext", "\x00\xff\x80\x01", "\x00", "\xff\xff\xf0",
		strings.Repeat("x", 44), strings.Repeat("y", 45), "hello world",
	}
	strInts = []string{
		"0", "1", "-1", "2", "3", "5", "-5", "8", "17", "100", "-100", "255", "256",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "4611686018427387904",
		"abc", "", "1.5", " 1", "01", "-0",
	}
)

// strItoa draws decimal integers in [lo, hi].
func strItoa(lo, hi int) *rapid.Generator[string] {
	return rapid.Map(rapid.IntRange(lo, hi), strconv.Itoa)
}

func (g strGenerator) key() *rapid.Generator[string] {
	return rapid.SampledFrom(strKeys)
}

func (g strGenerator) value() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.SampledFrom(strValues),
		rapid.SampledFrom(strValues),
		strItoa(-1000, 1000),
		rapid.StringOfN(rapid.RuneFrom([]rune("abcxyz01")), 0, 12, -1),
		rapid.Map(rapid.SliceOfN(rapid.Byte(), 0, 10), func(b []byte) string { return string(b) }),
	)
}

func (g strGenerator) int() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.SampledFrom(strInts),
		strItoa(-20, 20),
	)
}

// word returns s in a random letter case: options are case-insensitive.
func strWord(t *rapid.T, s string) string {
	switch rapid.IntRange(0, 3).Draw(t, "case") {
	case 0:
		return strings.ToLower(s)
	case 1:
		return strings.ToUpper(s)
	case 2:
		return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
	}
	return s
}

// expireArg returns an expiry argument for unit: mostly far enough in the
// future that nothing expires during a run, or already past, or invalid.
func strExpireArg(t *rapid.T, unit string) string {
	now := time.Now()
	switch rapid.IntRange(0, 5).Draw(t, "expire kind") {
	case 0, 1:
		switch unit {
		case "EX":
			return "1000"
		case "PX":
			return "1000000"
		case "EXAT":
			return strconv.FormatInt(now.Unix()+1000, 10)
		default:
			return strconv.FormatInt(now.UnixMilli()+1000000, 10)
		}
	case 2:
		if unit == "EXAT" || unit == "PXAT" {
			return "1" // in the past
		}
		return "0"
	case 3:
		return rapid.SampledFrom([]string{"0", "-1", "abc", "", "1.5"}).Draw(t, "bad expire")
	}
	return rapid.SampledFrom([]string{
		"9223372036854775807", "9223372036854775", "9223372036854776", "9223372036854775808", "92233720368547758",
	}).Draw(t, "huge expire")
}

// setOpts returns random SET or GETEX options, valid or not.
func strSetOpts(t *rapid.T, forSet bool) []string {
	names := []string{"EX", "PX", "EXAT", "PXAT", "PERSIST"}
	if forSet {
		names = append(names, "NX", "XX", "GET", "KEEPTTL", "NX", "GET")
	}
	var out []string
	n := rapid.IntRange(0, 3).Draw(t, "nopts")
	for i := 0; i < n; i++ {
		o := rapid.SampledFrom(append(names, "FOO")).Draw(t, "opt")
		out = append(out, strWord(t, o))
		switch o {
		case "EX", "PX", "EXAT", "PXAT":
			if rapid.IntRange(0, 15).Draw(t, "drop expire") > 0 {
				out = append(out, strExpireArg(t, o))
			}
		}
	}
	return out
}

func (g strGenerator) bitType() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.Map(strItoa(1, 64), func(n string) string { return "i" + n }),
		rapid.Map(strItoa(1, 63), func(n string) string { return "u" + n }),
		rapid.SampledFrom([]string{"u64", "i65", "i0", "u0", "I8", "U8", "i", "", "x8", "i-1", "i08", "i8\x00zz", "u 8"}),
	)
}

func (g strGenerator) bitOffset() *rapid.Generator[string] {
	return rapid.OneOf(
		strItoa(0, 80),
		rapid.Map(strItoa(0, 6), func(n string) string { return "#" + n }),
		rapid.SampledFrom([]string{"-1", "#-1", "#", "abc", "4294967296", "#9223372036854775807", "#4611686018427387904", ""}),
	)
}

func (g strGenerator) cmd() *rapid.Generator[Cmd] {
	return rapid.Custom(func(t *rapid.T) Cmd {
		k := g.key().Draw(t, "key")
		v := func() string { return g.value().Draw(t, "value") }
		n := func() string { return g.int().Draw(t, "int") }
		keys := func(min int) []string {
			return rapid.SliceOfN(g.key(), min, 4).Draw(t, "keys")
		}
		small := func() string { return strItoa(-12, 12).Draw(t, "small") }
		var args []string
		switch name := rapid.SampledFrom(g.names()).Draw(t, "command"); name {
		case "SET":
			args = append([]string{"SET", k, v()}, strSetOpts(t, true)...)
		case "GETEX":
			args = append([]string{"GETEX", k}, strSetOpts(t, false)...)
		case "GET", "GETDEL", "STRLEN", "INCR", "DECR", "PTTL", "TYPE", "EXISTS", "DEL":
			args = []string{name, k}
		case "OBJECT":
			args = []string{"OBJECT", "ENCODING", k}
		case "GETSET", "SETNX", "APPEND":
			args = []string{name, k, v()}
		case "SETEX", "PSETEX":
			e := rapid.OneOf(rapid.SampledFrom([]string{"1000", "1000000"}), g.int()).Draw(t, "ttl")
			if n, err := strconv.Atoi(e); err == nil && n > 0 && n < 1000000 && strconv.Itoa(n) == e {
				e = "1000000" // nothing may expire during a run
			}
			args = []string{name, k, e, v()}
		case "MGET":
			args = append([]string{"MGET"}, keys(1)...)
		case "MSET", "MSETNX":
			args = []string{name}
			for _, key := range keys(1) {
				args = append(args, key, v())
			}
			if rapid.IntRange(0, 10).Draw(t, "odd") == 0 {
				args = args[:len(args)-1]
			}
		case "INCRBY", "DECRBY":
			args = []string{name, k, n()}
		case "INCRBYFLOAT":
			args = []string{name, k, v()}
		case "GETRANGE", "SUBSTR":
			args = []string{name, k, rapid.OneOf(rapid.Just(small()), g.int()).Draw(t, "start"), rapid.OneOf(rapid.Just(small()), g.int()).Draw(t, "end")}
		case "SETRANGE":
			off := rapid.OneOf(strItoa(0, 60),
				rapid.SampledFrom([]string{"-1", "abc", "536870912", "536870911", "9223372036854775807"})).Draw(t, "offset")
			val := v()
			if off == "536870911" || off == "9223372036854775807" {
				val = "" // anything else would build a 512 MB string
			}
			if off == "536870912" && val == "" {
				val = "x"
			}
			args = []string{name, k, off, val}
		case "SETBIT":
			args = []string{name, k, rapid.OneOf(strItoa(0, 100),
				rapid.SampledFrom([]string{"-1", "abc", "4294967296", "#1"})).Draw(t, "offset"),
				rapid.SampledFrom([]string{"0", "1", "1", "2", "-1", "abc", ""}).Draw(t, "bit")}
		case "GETBIT":
			args = []string{name, k, rapid.OneOf(strItoa(0, 100),
				rapid.SampledFrom([]string{"-1", "abc", "4294967295", "4294967296"})).Draw(t, "offset")}
		case "BITCOUNT":
			args = []string{name, k}
			switch rapid.IntRange(0, 4).Draw(t, "form") {
			case 1:
				args = append(args, small())
			case 2:
				args = append(args, small(), small())
			case 3:
				args = append(args, small(), small(), strWord(t, rapid.SampledFrom([]string{"BIT", "BYTE", "BITS"}).Draw(t, "unit")))
			case 4:
				args = append(args, n(), n())
			}
		case "BITPOS":
			args = []string{name, k, rapid.SampledFrom([]string{"0", "1", "1", "0", "2", "-1", "x"}).Draw(t, "bit")}
			form := rapid.IntRange(0, 5).Draw(t, "form")
			if form >= 1 {
				args = append(args, small())
			}
			if form >= 2 {
				args = append(args, small())
			}
			if form >= 3 {
				args = append(args, strWord(t, rapid.SampledFrom([]string{"BIT", "BYTE", "BIT", "BITS"}).Draw(t, "unit")))
			}
			if form == 4 {
				args[3], args[4] = n(), n()
			}
			if form == 5 {
				args = append(args, "extra")
			}
		case "BITOP":
			op := strWord(t, rapid.SampledFrom([]string{"AND", "OR", "XOR", "NOT", "NOT", "NAND"}).Draw(t, "op"))
			args = append([]string{name, op, k}, keys(1)...)
		case "BITFIELD", "BITFIELD_RO":
			args = []string{name, k}
			nops := rapid.IntRange(0, 4).Draw(t, "nops")
			for i := 0; i < nops; i++ {
				switch sub := rapid.SampledFrom([]string{"GET", "SET", "INCRBY", "OVERFLOW", "GET", "INCRBY", "BAD"}).Draw(t, "sub"); sub {
				case "GET":
					args = append(args, strWord(t, sub), g.bitType().Draw(t, "type"), g.bitOffset().Draw(t, "offset"))
				case "SET", "INCRBY":
					args = append(args, strWord(t, sub), g.bitType().Draw(t, "type"), g.bitOffset().Draw(t, "offset"),
						rapid.OneOf(g.int(), rapid.Just(small())).Draw(t, "value"))
				case "OVERFLOW":
					args = append(args, strWord(t, sub), strWord(t, rapid.SampledFrom([]string{"WRAP", "SAT", "FAIL", "SAT", "FAIL", "NONE"}).Draw(t, "how")))
				default:
					args = append(args, "BAD")
				}
			}
			if nops > 0 && rapid.IntRange(0, 12).Draw(t, "truncate") == 0 {
				args = args[:len(args)-1]
			}
		case "LCS":
			args = []string{name, k, g.key().Draw(t, "key2")}
			for i := rapid.IntRange(0, 3).Draw(t, "nopts"); i > 0; i-- {
				o := rapid.SampledFrom([]string{"LEN", "IDX", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "MINMATCHLEN", "BAD"}).Draw(t, "opt")
				args = append(args, strWord(t, o))
				if o == "MINMATCHLEN" && rapid.IntRange(0, 10).Draw(t, "drop") > 0 {
					args = append(args, rapid.OneOf(strItoa(-1, 5), rapid.Just("x")).Draw(t, "minlen"))
				}
			}
		case "LPUSH", "SADD":
			args = []string{name, k, "m"}
		case "HSET":
			args = []string{name, k, "f", "v"}
		default:
			panic("no generator for " + name)
		}
		// Now and then drop the last argument, for the arity errors.
		if len(args) > 1 && rapid.IntRange(0, 40).Draw(t, "arity") == 0 {
			args = args[:len(args)-1]
		}
		return C(args...)
	})
}

// names lists the commands to draw from, the family's more often than
// the helpers of other families shardd may not have yet.
func (g strGenerator) names() []string {
	names := []string{
		"SET", "SET", "SET", "GET", "GETSET", "GETDEL", "GETEX", "GETEX", "SETNX", "SETEX", "PSETEX",
		"MGET", "MSET", "MSETNX", "APPEND", "APPEND", "STRLEN", "INCR", "DECR", "INCRBY", "DECRBY",
		"INCRBYFLOAT", "INCRBYFLOAT", "INCRBYFLOAT", "GETRANGE", "SUBSTR", "SETRANGE", "SETRANGE",
		"SETBIT", "SETBIT", "GETBIT", "BITCOUNT", "BITCOUNT", "BITPOS", "BITPOS", "BITPOS", "BITOP", "BITOP",
		"BITFIELD", "BITFIELD", "BITFIELD", "BITFIELD_RO", "LCS", "LCS",
	}
	for _, helper := range []string{"PTTL", "TYPE", "EXISTS", "DEL", "LPUSH", "SADD", "HSET"} {
		if g.has[helper] {
			names = append(names, helper)
		}
	}
	if g.has["OBJECT"] {
		names = append(names, "OBJECT", "OBJECT")
	}
	return names
}

// TestStringsIncrByFloat checks INCRBYFLOAT's long double arithmetic and
// formatting on a table of known-tricky cases and on random numbers in
// every syntax strtold accepts.
func TestStringsIncrByFloat(t *testing.T) {
	redisAddr := redisproc.Start(t)
	srv := shardtest.Start(t)
	ctx := context.Background()
	p := NewPair(redisAddr, srv.Addr, 3)
	defer p.Close()
	table := [][2]string{
		{"10.5", "0.1"}, {"0.1", "0.2"}, {"3.0e3", "0"}, {"1e17", "1"}, {"1e17", "0.5"}, {"-0", "0"},
		{"0", "-0"}, {"-0.0", "-0.0"}, {"5", "-5"}, {"1e4932", "1e4932"}, {"1.18973149535723176502e+4932", "0"},
		{"1.18973149535723176503e+4932", "0"}, {"-1e4932", "-1e4932"}, {"1e-4950", "1"}, {"3.6e-4951", "0"},
		{"1.8e-4951", "0"}, {"1e308", "1e308"}, {"1.7976931348623157e308", "1"}, {"0.1", "-0.1"},
		{"1e-17", "0"}, {"5e-18", "0"}, {"-5e-18", "0"}, {"1.000000000000000005", "0"}, {"2.5", "0.000000000000000005"},
		{"9223372036854775807", "1"}, {"-9223372036854775808", "-1"}, {"18446744073709551615", "1"},
		{"0x1p63", "0x1p63"}, {"0x.8", "0X1P-1"}, {"0x1.fffffffffffffffep16383", "0"}, {"0x1p16384", "0"},
		{"0x1p-16445", "0"}, {"0x1p-16446", "0"}, {"0x1.8p-16446", "0"}, {"1e", "1"}, {"1", "1e+"}, {"1", ".5e1"},
		{"1", "5."}, {"1", "."}, {"1", "e5"}, {"1", "inf"}, {"inf", "-inf"}, {"1", "-Infinity"}, {"1", "nan"},
		{"1", "NaN(123)"}, {"1", " 1"}, {"1", "1 "}, {"1", "\t1"}, {"1", "1\x00"}, {"1", "0x"}, {"1", "0xg"}, {"1", "0x1p"},
		{"1", "+.1"}, {"1", "-.1e-1"}, {"1", "00001.50000"}, {"1", "1e0000000000000000000000001"}, {"1", "1e-99999999999999999999"},
		{"1", "0e99999999999999"}, {"1", "1e99999999999999"}, {"123456789012345678901234567890", "1"},
		{"0.123456789012345678901234567890", "0"}, {"1", strings.Repeat("1", 5119)}, {"1", strings.Repeat("1", 5120)},
		{"1", "0." + strings.Repeat("0", 5000) + "1"}, {"99999999999999999.5", "0"}, {"0.5", "0.000000000000000005"},
		{"0.000000000000000015", "0"}, {"0.000000000000000025", "0"}, {"1.9999999999999999999", "0"},
	}
	for _, c := range table {
		for _, cmd := range []Cmd{C("SET", "k", c[0]), C("INCRBYFLOAT", "k", c[1]), C("GET", "k"), C("INCRBYFLOAT", "missing", c[1]), C("DEL", "missing")} {
			if d := p.Diff(ctx, cmd); d != "" {
				t.Error(d)
			}
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		for _, cmd := range []Cmd{
			C("SET", "k", strFloat(rt, "start")),
			C("INCRBYFLOAT", "k", strFloat(rt, "incr")),
			C("INCRBYFLOAT", "k", strFloat(rt, "incr")),
			C("GET", "k"),
		} {
			if d := p.Diff(ctx, cmd); d != "" {
				rt.Fatal(d)
			}
		}
	})
}

// strFloat draws a number in one of the syntaxes strtold accepts.
func strFloat(t *rapid.T, label string) string {
	sign := rapid.SampledFrom([]string{"", "", "-", "+"}).Draw(t, label+" sign")
	digits := rapid.StringOfN(rapid.RuneFrom([]rune("0123456789")), 1, 25, -1).Draw(t, label+" digits")
	switch rapid.IntRange(0, 4).Draw(t, label+" form") {
	case 0: // integer
		return sign + digits
	case 1: // fixed point
		i := rapid.IntRange(0, len(digits)).Draw(t, label+" point")
		return sign + digits[:i] + "." + digits[i:]
	case 2: // exponent
		exp := rapid.OneOf(strItoa(-40, 40), strItoa(-4960, -4900), strItoa(4900, 4940)).Draw(t, label+" exp")
		return sign + digits[:1] + "." + digits[1:] + "e" + exp
	case 3: // hexadecimal
		hex := rapid.StringOfN(rapid.RuneFrom([]rune("0123456789abcdefABCDEF")), 1, 20, -1).Draw(t, label+" hex")
		return sign + "0x" + hex + "p" + rapid.Map(strItoa(-80, 80), func(s string) string { return s }).Draw(t, label+" pexp")
	}
	f := rapid.Float64().Draw(t, label+" float")
	return strconv.FormatFloat(f, rapid.SampledFrom([]byte("efg")).Draw(t, label+" fmt"), -1, 64)
}

// FuzzStringsIncrByFloat compares INCRBYFLOAT (strtold's grammar, long
// double rounding, "%.17Lf" printing) with redis-server on arbitrary
// operands. Its seeds run with the normal tests.
func FuzzStringsIncrByFloat(f *testing.F) {
	for _, seed := range [][2]string{
		{"10.5", "0.1"}, {"3.0e3", "1"}, {"1e17", "1"}, {"-0", "0"}, {"1e4932", "1"}, {"0x1p-3", ".5"},
		{"inf", "1"}, {"1", "nan"}, {"1", "1e-4951"}, {"1", " 1"}, {"0x1.fffffffffffffffep16383", "0x1p16320"},
	} {
		f.Add(seed[0], seed[1])
	}
	redisAddr := redisproc.Start(f)
	srv := shardtest.Start(f)
	ctx := context.Background()
	p := NewPair(redisAddr, srv.Addr, 2)
	defer p.Close()
	f.Fuzz(func(t *testing.T, start, incr string) {
		for _, cmd := range []Cmd{C("SET", "k", start), C("INCRBYFLOAT", "k", incr), C("GET", "k")} {
			if d := p.Diff(ctx, cmd); d != "" {
				t.Fatal(d)
			}
		}
	})
}
