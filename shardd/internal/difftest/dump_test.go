package difftest

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hdt3213/rdb/crc64jones"
	"pgregory.net/rapid"
)

// TestDumpRestore is the differential property of DUMP and RESTORE.
// Values of every type and encoding are built with random commands on
// both servers; then payloads cross over: a DUMP taken from one server
// (chosen at random, possibly damaged on purpose) is RESTOREd, with random
// options, into both, and every reply and the resulting values must agree.
// DUMP's own bytes are not compared: LZF output, quicklist node sizes and
// hash-table orders legitimately differ; whether it is nil is.
func TestDumpRestore(t *testing.T) {
	ForEachProtocol(t, nil, func(t *testing.T, _ context.Context, p *Pair) {
		total, restores := 0, 0
		defer func() { t.Logf("%d commands, %d cross-server RESTOREs", total, restores) }()
		Property{Min: 20, Max: 200, Diff: dumpDiff, Next: func(rt *rapid.T) Cmd {
			c := dumpCmd(rt)
			total++
			if c.Args[0] == dumpCross {
				restores++
			}
			return c
		}}.Check(t, p)
	})
}

// dumpCross is the pseudo-command of a cross-server RESTORE:
// dumpCross from mutation src dst ttl [options...].
const dumpCross = "#RESTORE-FROM"

var dumpKeys = []string{"a", "b", "c", "{a}x"}

func dumpKey(t *rapid.T, label string) string { return rapid.SampledFrom(dumpKeys).Draw(t, label) }

// dumpElem draws an element that exercises encodings: small and large
// integers (intsets, integer listpack entries), near-integers, strings
// around the listpack and embstr limits, long compressible strings.
func dumpElem(t *rapid.T) string {
	switch rapid.IntRange(0, 6).Draw(t, "elem kind") {
	case 0, 1:
		return strconv.Itoa(rapid.IntRange(-20, 20).Draw(t, "small int"))
	case 2:
		return rapid.SampledFrom([]string{"127", "128", "-4096", "4095", "70000", "-70000", "2147483648",
			"9223372036854775807", "-9223372036854775808", "9223372036854775808", "007", "-0", "1.5", ""}).Draw(t, "edge")
	case 3:
		return rapid.SampledFrom([]string{"a", "b", "c", "hello", "\x00\xff"}).Draw(t, "word")
	case 4:
		n := rapid.SampledFrom([]int{20, 21, 44, 45, 64, 65, 300}).Draw(t, "long len")
		return strings.Repeat(rapid.SampledFrom([]string{"x", "ab", "xyz1"}).Draw(t, "pattern"), n)[:n]
	}
	return rapid.StringN(0, 8, -1).Draw(t, "random")
}

// dumpElems draws count elements, sometimes enough to cross the encoding
// thresholds (128 zset entries, 512 intset and hash entries).
func dumpElems(t *rapid.T, per int) []string {
	n := rapid.IntRange(1, 4).Draw(t, "count")
	if rapid.IntRange(0, 12).Draw(t, "many") == 0 {
		n = rapid.SampledFrom([]int{129, 513, 600}).Draw(t, "many count")
	}
	var out []string
	for i := 0; i < n; i++ {
		if n > 100 {
			// Distinct members: i, with a random suffix for strings.
			out = append(out, strconv.Itoa(i))
			for j := 1; j < per; j++ {
				out = append(out, strconv.Itoa(i))
			}
			continue
		}
		for j := 0; j < per; j++ {
			out = append(out, dumpElem(t))
		}
	}
	return out
}

func dumpCmd(t *rapid.T) Cmd {
	k := func() string { return dumpKey(t, "key") }
	switch rapid.IntRange(0, 16).Draw(t, "cmd") {
	case 0:
		return C("SET", k(), dumpElem(t))
	case 1:
		return C(rapid.SampledFrom([]string{"APPEND", "SETRANGE"}).Draw(t, "strop"), k(), "tail")
	case 2:
		return C("INCRBYFLOAT", k(), "1.5")
	case 3:
		return C(append([]string{"RPUSH", k()}, dumpElems(t, 1)...)...)
	case 4:
		return C(append([]string{"SADD", k()}, dumpElems(t, 1)...)...)
	case 5:
		return C(append([]string{"HSET", k()}, dumpElems(t, 2)...)...)
	case 6:
		elems := dumpElems(t, 2)
		for i := 0; i < len(elems); i += 2 {
			elems[i] = rapid.SampledFrom([]string{"0", "-0", "1", "1.5", "-2.25", "0.1", "1e300", "inf", "-inf", "4503599627370496", elems[i+1]}).Draw(t, "score")
			if _, err := strconv.ParseFloat(elems[i], 64); err != nil {
				elems[i] = "3"
			}
		}
		return C(append([]string{"ZADD", k()}, elems...)...)
	case 7:
		return C(rapid.SampledFrom([]string{"SREM", "HDEL", "ZREM", "LREM"}).Draw(t, "rem"), k(), dumpElem(t))
	case 8:
		return C(rapid.SampledFrom([]string{"DEL", "PERSIST"}).Draw(t, "del"), k())
	case 9:
		return C("PEXPIRE", k(), "100000000")
	case 10:
		return dumpRead(t, k())
	case 11:
		return dumpRead(t, k())
	case 12:
		return C("DUMP", k())
	case 13:
		// Bad invocations.
		return C(rapid.SampledFrom([][]string{
			{"DUMP"}, {"DUMP", "a", "b"}, {"RESTORE", "a", "0"}, {"RESTORE", "a"},
			{"RESTORE", "a", "0", "payload", "REPLACE", "FOO"},
			{"RESTORE", "a", "-5", "payload", "REPLACE"},
			{"RESTORE", "a", "x", "payload", "REPLACE"},
			{"RESTORE", "a", "0", "payload", "IDLETIME", "-1"},
			{"RESTORE", "a", "0", "payload", "FREQ", "300"},
		}).Draw(t, "bad")...)
	}
	return dumpCrossCmd(t)
}

// dumpRead reads a key back in a form that can be compared.
func dumpRead(t *rapid.T, key string) Cmd {
	switch rapid.IntRange(0, 7).Draw(t, "read") {
	case 0:
		return C("GET", key)
	case 1:
		return C("LRANGE", key, "0", "-1")
	case 2:
		return U("SMEMBERS", key)
	case 3:
		return U("HGETALL", key)
	case 4:
		return C("ZRANGE", key, "0", "-1", "WITHSCORES")
	case 5:
		return C("OBJECT", "ENCODING", key)
	case 6:
		return C("TYPE", key)
	}
	return C("PTTL", key)
}

func dumpCrossCmd(t *rapid.T) Cmd {
	from := rapid.SampledFrom([]string{"redis", "shardd"}).Draw(t, "from")
	mutation := "none"
	if rapid.IntRange(0, 5).Draw(t, "mutate") == 0 {
		mutation = rapid.SampledFrom([]string{"badcrc", "version11", "version9", "empty"}).Draw(t, "mutation")
	}
	args := []string{dumpCross, from, mutation, dumpKey(t, "src"), dumpKey(t, "dst")}
	now := time.Now().UnixMilli()
	var opts []string
	abs := rapid.IntRange(0, 3).Draw(t, "absttl") == 0
	switch rapid.IntRange(0, 4).Draw(t, "ttl") {
	case 0, 1:
		args = append(args, "0")
	case 2:
		if abs {
			args = append(args, strconv.FormatInt(now+100000000, 10))
		} else {
			args = append(args, "100000000")
		}
	case 3:
		args = append(args, "1") // with ABSTTL, long past
		abs = true
	default:
		args = append(args, "9223372036854775807")
	}
	if abs {
		opts = append(opts, "ABSTTL")
	}
	if rapid.Bool().Draw(t, "replace") {
		opts = append(opts, rapid.SampledFrom([]string{"REPLACE", "replace"}).Draw(t, "replace word"))
	}
	switch rapid.IntRange(0, 3).Draw(t, "lru") {
	case 0:
		opts = append(opts, "IDLETIME", "10")
	case 1:
		opts = append(opts, "FREQ", "5")
	}
	for i := len(opts) - 1; i > 0; i-- {
		j := rapid.IntRange(0, i).Draw(t, "shuffle")
		opts[i], opts[j] = opts[j], opts[i]
	}
	// Keep IDLETIME/FREQ with their values after the shuffle.
	var fixed []string
	for _, o := range opts {
		if o == "10" || o == "5" {
			continue
		}
		fixed = append(fixed, o)
		if o == "IDLETIME" {
			fixed = append(fixed, "10")
		} else if o == "FREQ" {
			fixed = append(fixed, "5")
		}
	}
	return C(append(args, fixed...)...)
}

// dumpDiff runs c on both servers and describes a difference. DUMP is
// compared by nil-ness, PTTL by class, and the cross-server RESTORE sends
// the same payload to both.
func dumpDiff(ctx context.Context, p *Pair, c Cmd) string {
	switch c.Args[0] {
	case "DUMP":
		want, got := p.Do(ctx, c)
		if want.Err != got.Err || (want.Val == nil) != (got.Val == nil) {
			return fmt.Sprintf("%s\n  redis-server: %s\n  shardd:       %s", c, want, got)
		}
		return ""
	case "PTTL":
		want, got := p.Do(ctx, c)
		class := func(r Result) string {
			n, ok := r.Val.(int64)
			if r.Err != "" || !ok || n < 0 {
				return r.String()
			}
			return "positive"
		}
		if class(want) != class(got) {
			return fmt.Sprintf("%s\n  redis-server: %s\n  shardd:       %s", c, want, got)
		}
		return ""
	case dumpCross:
		from, mutation, src, dst := c.Args[1], c.Args[2], c.Args[3], c.Args[4]
		client := p.Redis
		if from == "shardd" {
			client = p.Shardd
		}
		payload, _ := client.Dump(ctx, src).Result()
		payload = dumpMutate(payload, mutation)
		restore := Cmd{Args: append([]string{"RESTORE", dst, c.Args[5], payload}, c.Args[6:]...)}
		if d := p.Diff(ctx, restore); d != "" {
			return fmt.Sprintf("payload of %s from %s (%s, %d bytes):\n%s", src, from, mutation, len(payload), d)
		}
		// The restored value must be the same on both sides.
		for _, read := range []Cmd{C("TYPE", dst), C("OBJECT", "ENCODING", dst), C("GET", dst),
			C("LRANGE", dst, "0", "-1"), U("SMEMBERS", dst), U("HGETALL", dst),
			C("ZRANGE", dst, "0", "-1", "WITHSCORES"), C("PTTL", dst)} {
			if d := dumpDiff(ctx, p, read); d != "" {
				return fmt.Sprintf("after RESTORE of %s's payload of %s (%s) into %s:\n%s", from, src, mutation, dst, d)
			}
		}
		return ""
	}
	return p.Diff(ctx, c)
}

// dumpMutate damages a payload the way a bad client or a version skew
// would. Redis validates a payload's footer, not its data in depth, so
// only damage the footer catches (or that empties the payload) is used:
// data Redis accepts unchecked could crash the reference server.
func dumpMutate(payload, mutation string) string {
	if payload == "" {
		return payload
	}
	b := []byte(payload)
	switch mutation {
	case "badcrc":
		b[len(b)-1] ^= 0x40
	case "version11", "version9":
		v := uint16(11)
		if mutation == "version9" {
			v = 9
		}
		body := b[:len(b)-10]
		b = binary.LittleEndian.AppendUint16(append([]byte(nil), body...), v)
		crc := crc64jones.New()
		crc.Write(b)
		b = binary.LittleEndian.AppendUint64(b, crc.Sum64())
	case "empty":
		return ""
	}
	return string(b)
}
