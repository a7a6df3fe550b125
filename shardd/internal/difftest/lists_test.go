package difftest

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestLists is the differential property of the list commands: random
// sequences over a few keys and elements (so that commands collide on
// keys and types) must get the replies redis-server gives. Every list
// command is deterministic, so every reply is compared exactly.
func TestLists(t *testing.T) {
	// The final contents must agree too.
	var final []Cmd
	for _, k := range listKeys {
		final = append(final, C("LRANGE", k, "0", "-1"))
	}
	ForEachProtocol(t, nil, func(t *testing.T, _ context.Context, p *Pair) {
		Property{Max: 150, Next: func(rt *rapid.T) Cmd { return listCmd().Draw(rt, "cmd") }, Final: final}.Check(t, p)
	})
}

var (
	// listKeys: three list keys (l1 and {l1}x share a slot) and one
	// that usually holds a string.
	listKeys = []string{"l1", "l2", "{l1}x", "str"}
	// listElems mix short strings, numbers, the empty string, binary
	// data and an element longer than any listpack threshold.
	listElems = []string{
		"a", "b", "c", "a", "b", "1", "-1", "", "\x00\xff\r\n", "hello world",
		strings.Repeat("z", 70),
	}
	// listIndexes are indexes, ranges and counts: in and out of range,
	// negative, extreme, and not integers at all.
	listIndexes = []string{
		"0", "1", "2", "3", "-1", "-2", "-3", "5", "-5", "100", "-100",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"x", "", "1.5", "01", "+1", " 1",
	}
	listEnds = []string{"LEFT", "RIGHT", "left", "Right", "middle"}
)

func listWord(t *rapid.T, s string) string {
	if rapid.Bool().Draw(t, "upper") {
		return strings.ToUpper(s)
	}
	return s
}

func listKey(t *rapid.T) string  { return rapid.SampledFrom(listKeys).Draw(t, "key") }
func listElem(t *rapid.T) string { return rapid.SampledFrom(listElems).Draw(t, "elem") }
func listIndex(t *rapid.T) string {
	if rapid.IntRange(0, 3).Draw(t, "smallindex") > 0 {
		return strconv.Itoa(rapid.IntRange(-6, 6).Draw(t, "i"))
	}
	return rapid.SampledFrom(listIndexes).Draw(t, "index")
}

func listEnd(t *rapid.T) string {
	if rapid.IntRange(0, 9).Draw(t, "badend") == 0 {
		return "middle"
	}
	return rapid.SampledFrom(listEnds[:4]).Draw(t, "end")
}

func listElemsN(t *rapid.T, lo, hi int) []string {
	n := rapid.IntRange(lo, hi).Draw(t, "nelems")
	out := make([]string, n)
	for i := range out {
		out[i] = listElem(t)
	}
	return out
}

// listCount is a count for LPOP, LMPOP and LPOS: usually small, sometimes
// huge, negative or not a number.
func listCount(t *rapid.T) string {
	if rapid.IntRange(0, 2).Draw(t, "smallcount") > 0 {
		return strconv.Itoa(rapid.IntRange(0, 5).Draw(t, "c"))
	}
	return rapid.SampledFrom([]string{"-1", "100", "9223372036854775807", "-9223372036854775808", "x", "", "1.0"}).Draw(t, "count")
}

func listCmd() *rapid.Generator[Cmd] {
	return rapid.Custom(func(t *rapid.T) Cmd {
		key := listKey(t)
		switch rapid.IntRange(0, 29).Draw(t, "kind") {
		case 0, 1:
			return C(append([]string{listWord(t, rapid.SampledFrom([]string{"lpush", "rpush"}).Draw(t, "push")), key}, listElemsN(t, 0, 5)...)...)
		case 2:
			return C(append([]string{rapid.SampledFrom([]string{"LPUSHX", "RPUSHX"}).Draw(t, "pushx"), key}, listElemsN(t, 0, 3)...)...)
		case 3:
			// Many elements: the ring grows, and later shrinks as
			// they are popped and trimmed.
			args := []string{"RPUSH", key}
			for i := rapid.IntRange(20, 300).Draw(t, "nbig"); i > 0; i-- {
				args = append(args, strconv.Itoa(i%7))
			}
			return C(args...)
		case 4, 5:
			name := listWord(t, rapid.SampledFrom([]string{"lpop", "rpop"}).Draw(t, "pop"))
			switch rapid.IntRange(0, 3).Draw(t, "popform") {
			case 0, 1:
				return C(name, key)
			case 2:
				return C(name, key, listCount(t))
			}
			return C(name, key, "1", "1")
		case 6:
			return C("LLEN", key)
		case 7, 8:
			return C("LRANGE", key, listIndex(t), listIndex(t))
		case 9:
			return C("LINDEX", key, listIndex(t))
		case 10:
			return C("LSET", key, listIndex(t), listElem(t))
		case 11:
			where := rapid.SampledFrom([]string{"BEFORE", "AFTER", "before", "After", "inside"}).Draw(t, "where")
			return C("LINSERT", key, where, listElem(t), listElem(t))
		case 12:
			return C("LREM", key, listIndex(t), listElem(t))
		case 13:
			return C("LTRIM", key, listIndex(t), listIndex(t))
		case 14, 15:
			args := []string{"LPOS", key, listElem(t)}
			for i := rapid.IntRange(0, 3).Draw(t, "nopts"); i > 0; i-- {
				switch rapid.IntRange(0, 4).Draw(t, "opt") {
				case 0:
					args = append(args, listWord(t, "rank"), rapid.SampledFrom([]string{
						"1", "2", "3", "-1", "-2", "-3", "0", "x", "9223372036854775807", "-9223372036854775808",
					}).Draw(t, "rank"))
				case 1:
					args = append(args, listWord(t, "count"), listCount(t))
				case 2:
					args = append(args, listWord(t, "maxlen"), listCount(t))
				case 3:
					args = append(args, "RANK")
				default:
					args = append(args, "FOO", "1")
				}
			}
			return C(args...)
		case 16, 17:
			return C(listWord(t, "lmove"), key, listKey(t), listEnd(t), listEnd(t))
		case 18:
			return C("RPOPLPUSH", key, listKey(t))
		case 19, 20:
			n := rapid.IntRange(1, 3).Draw(t, "nkeys")
			keys := make([]string, n)
			for i := range keys {
				keys[i] = listKey(t)
			}
			numkeys := rapid.SampledFrom([]string{
				strconv.Itoa(n), strconv.Itoa(n), strconv.Itoa(n), strconv.Itoa(n + 1), strconv.Itoa(n + 5),
				strconv.Itoa(n - 1), "0", "-1", "x", "9223372036854775807",
			}).Draw(t, "numkeys")
			args := append([]string{"LMPOP", numkeys}, keys...)
			args = append(args, listEnd(t))
			switch rapid.IntRange(0, 4).Draw(t, "mpopform") {
			case 0:
				args = append(args, listWord(t, "count"), listCount(t))
			case 1:
				args = append(args, "COUNT")
			case 2:
				args = append(args, "COUNT", "1", "COUNT", "2")
			case 3:
				args = append(args, "FOO")
			}
			return C(args...)
		case 21:
			return C("OBJECT", "ENCODING", key)
		case 22:
			return C("SET", key, "v")
		case 23:
			return C("DEL", key)
		case 24:
			return C("TYPE", key)
		case 25:
			return C("LRANGE", key, "0", "-1")
		case 26:
			// Arity errors.
			name := rapid.SampledFrom([]string{
				"LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP", "RPOP", "LLEN", "LRANGE", "LINDEX",
				"LSET", "LINSERT", "LREM", "LTRIM", "LPOS", "LMOVE", "RPOPLPUSH", "LMPOP",
			}).Draw(t, "cmdname")
			if rapid.Bool().Draw(t, "noargs") {
				return C(name)
			}
			return C(name, key)
		case 27:
			return C("LLEN", key, "extra")
		case 28:
			// Rotation of a list onto itself.
			return C("LMOVE", key, key, listEnd(t), listEnd(t))
		}
		return C("EXISTS", key)
	})
}
