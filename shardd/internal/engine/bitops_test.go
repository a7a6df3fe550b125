package engine_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

const (
	bitOffsetErr = errReply("ERR bit offset is not an integer or out of range")
	bitTypeErr   = errReply("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
)

func TestSetBitGetBit(t *testing.T) {
	c := strClient(t, 3)
	bitErr := errReply("ERR bit is not an integer or out of range")
	runSteps(t, c, []step{
		s(int64(0), "GETBIT", "k", "0"),
		s(int64(0), "SETBIT", "k", "7", "1"),
		s("\x01", "GET", "k"),
		s(int64(1), "SETBIT", "k", "7", "0"),
		s(int64(0), "SETBIT", "k", "0", "1"),
		s("\x80", "GET", "k"),
		s(int64(0), "SETBIT", "k", "17", "1"),
		s("\x80\x00\x40", "GET", "k"),
		s(int64(1), "GETBIT", "k", "0"),
		s(int64(1), "GETBIT", "k", "17"),
		s(int64(0), "GETBIT", "k", "18"),
		s(int64(0), "GETBIT", "k", "1000"),
		s(int64(0), "GETBIT", "k", "4294967295"),
		s(bitOffsetErr, "GETBIT", "k", "4294967296"),
		s(bitOffsetErr, "SETBIT", "k", "4294967296", "1"),
		s(bitOffsetErr, "SETBIT", "k", "-1", "1"),
		s(bitOffsetErr, "SETBIT", "k", "#1", "1"),
		s(bitOffsetErr, "GETBIT", "k", "x"),
		s(bitErr, "SETBIT", "k", "1", "2"),
		s(bitErr, "SETBIT", "k", "1", "-1"),
		s(bitErr, "SETBIT", "k", "1", "x"),
		s(bitOffsetErr, "SETBIT", "k", "x", "x"), // offset first
		s("OK", "SET", "n", "1"),                 // '1' is 0x31
		s(int64(1), "GETBIT", "n", "7"),
		s(int64(1), "GETBIT", "n", "2"),
		s(int64(0), "GETBIT", "n", "1"),
		s(arityErr("setbit"), "SETBIT", "k", "1"),
		s(arityErr("getbit"), "GETBIT", "k"),
	})
	wrongType(t, c, "l", []step{
		s(wrongTypeErr, "SETBIT", "l", "1", "1"),
		s(wrongTypeErr, "GETBIT", "l", "1"),
		s(bitOffsetErr, "GETBIT", "l", "-1"),
	})
}

func TestBitCount(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		s(int64(0), "BITCOUNT", "k"),
		// A missing key is 0 whatever the other arguments.
		s(int64(0), "BITCOUNT", "k", "x", "y", "z"),
		s(int64(0), "BITCOUNT", "k", "1"),
		s("OK", "SET", "k", "foobar"),
		s(int64(26), "BITCOUNT", "k"),
		s(int64(4), "BITCOUNT", "k", "0", "0"),
		s(int64(6), "BITCOUNT", "k", "1", "1"),
		s(int64(6), "BITCOUNT", "k", "1", "1", "BYTE"),
		s(int64(10), "BITCOUNT", "k", "-3", "-1"),
		s(int64(26), "BITCOUNT", "k", "-100", "100"),
		s(int64(0), "BITCOUNT", "k", "4", "2"),
		s(int64(17), "BITCOUNT", "k", "5", "30", "BIT"),
		s(int64(2), "BITCOUNT", "k", "1", "2", "bit"),
		s(int64(4), "BITCOUNT", "k", "-8", "-1", "BIT"),
		s(int64(0), "BITCOUNT", "k", "0", "0", "BIT"),
		s(int64(1), "BITCOUNT", "k", "1", "1", "BIT"),
		s(int64(0), "BITCOUNT", "k", "-1", "-2", "FOO"), // the empty range wins
		s(syntaxErr, "BITCOUNT", "k", "0", "-1", "FOO"),
		s(syntaxErr, "BITCOUNT", "k", "1"),
		s(syntaxErr, "BITCOUNT", "k", "1", "2", "BIT", "x"),
		s(notIntErr, "BITCOUNT", "k", "a", "1"),
		s(notIntErr, "BITCOUNT", "k", "1", "b"),
		s("OK", "SET", "e", ""),
		s(int64(0), "BITCOUNT", "e"),
		s(int64(0), "BITCOUNT", "e", "0", "-1", "BIT"),
		s(arityErr("bitcount"), "BITCOUNT"),
	})
	wrongType(t, c, "l", []step{s(wrongTypeErr, "BITCOUNT", "l"), s(wrongTypeErr, "BITCOUNT", "l", "x")})
}

func TestBitPos(t *testing.T) {
	c := strClient(t, 3)
	bitArgErr := errReply("ERR The bit argument must be 1 or 0.")
	runSteps(t, c, []step{
		s(int64(-1), "BITPOS", "k", "1"),
		s(int64(0), "BITPOS", "k", "0"),
		s(int64(0), "BITPOS", "k", "0", "x", "y", "z"),
		s(bitArgErr, "BITPOS", "k", "2"),
		s(notIntErr, "BITPOS", "k", "x"),
		s("OK", "SET", "k", "\xff\xf0\x00"),
		s(int64(12), "BITPOS", "k", "0"),
		s(int64(0), "BITPOS", "k", "1"),
		s(int64(16), "BITPOS", "k", "0", "2"),
		s(int64(16), "BITPOS", "k", "0", "2", "-1"),
		s(int64(-1), "BITPOS", "k", "1", "2", "-1"),
		s(int64(-1), "BITPOS", "k", "1", "2"),
		s(int64(7), "BITPOS", "k", "1", "7", "15", "BIT"),
		s(int64(12), "BITPOS", "k", "0", "7", "15", "BIT"),
		s(int64(-1), "BITPOS", "k", "0", "0", "11", "bit"),
		s(int64(12), "BITPOS", "k", "0", "0", "12", "BIT"),
		s(int64(-1), "BITPOS", "k", "1", "5", "3"),
		s(int64(-1), "BITPOS", "k", "1", "12", "-1", "BIT"),
		s(syntaxErr, "BITPOS", "k", "1", "0", "1", "FOO"),
		s(syntaxErr, "BITPOS", "k", "1", "0", "1", "BIT", "x"),
		s(notIntErr, "BITPOS", "k", "1", "x"),
		s(notIntErr, "BITPOS", "k", "1", "0", "y"),
		s("OK", "SET", "ones", "\xff\xff"),
		s(int64(16), "BITPOS", "ones", "0"),
		s(int64(16), "BITPOS", "ones", "0", "1"),
		s(int64(-1), "BITPOS", "ones", "0", "0", "-1"),
		s(int64(-1), "BITPOS", "ones", "0", "0", "-1", "BYTE"),
		s("OK", "SET", "e", ""),
		s(int64(-1), "BITPOS", "e", "0"),
		s(int64(-1), "BITPOS", "e", "1"),
		s(arityErr("bitpos"), "BITPOS", "k"),
	})
	// A long run, found a word at a time.
	runSteps(t, c, []step{
		s("OK", "SET", "long", strings.Repeat("\x00", 100)+"\x10"+strings.Repeat("\xff", 100)),
		s(int64(803), "BITPOS", "long", "1"),
		s(int64(803), "BITPOS", "long", "1", "3"),
		s(int64(800), "BITPOS", "long", "0", "800", "-1", "BIT"),
		s(int64(804), "BITPOS", "long", "0", "803", "-1", "BIT"),
		s(int64(1608), "BITPOS", "long", "0", "101"),
		s(int64(-1), "BITPOS", "long", "0", "101", "200"),
	})
	wrongType(t, c, "l", []step{s(wrongTypeErr, "BITPOS", "l", "1"), s(bitArgErr, "BITPOS", "l", "3")})
}

func TestBitOp(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		s("OK", "MSET", "a", "\xff\x0f\x01", "b", "\xf0\xf0"),
		s(int64(3), "BITOP", "AND", "d", "a", "b"),
		s("\xf0\x00\x00", "GET", "d"),
		s(int64(3), "BITOP", "or", "d", "a", "b"),
		s("\xff\xff\x01", "GET", "d"),
		s(int64(3), "BITOP", "Xor", "d", "a", "b"),
		s("\x0f\xff\x01", "GET", "d"),
		s(int64(3), "BITOP", "XOR", "d", "a", "b", "a"),
		s("\xf0\xf0\x00", "GET", "d"),
		s(int64(3), "BITOP", "NOT", "d", "a"),
		s("\x00\xf0\xfe", "GET", "d"),
		s(int64(3), "BITOP", "AND", "d", "a", "missing"),
		s("\x00\x00\x00", "GET", "d"),
		s(int64(3), "BITOP", "OR", "a", "a", "b"), // in place
		s("\xff\xff\x01", "GET", "a"),
		// An empty result deletes the destination.
		s(int64(0), "BITOP", "AND", "d", "missing", "missing2"),
		s(int64(0), "EXISTS", "d"),
		s(int64(0), "BITOP", "NOT", "d", "missing"),
		s(errReply("ERR BITOP NOT must be called with a single source key."), "BITOP", "NOT", "d", "a", "b"),
		s(syntaxErr, "BITOP", "NAND", "d", "a"),
		s(arityErr("bitop"), "BITOP", "AND", "d"),
	})
	wrongType(t, c, "l", []step{
		s(wrongTypeErr, "BITOP", "AND", "d", "a", "l"),
		s(int64(3), "BITOP", "OR", "l", "a"), // the destination may hold anything
		s("\xff\xff\x01", "GET", "l"),
	})
}

func TestBitField(t *testing.T) {
	c := strClient(t, 3)
	runSteps(t, c, []step{
		s([]any{}, "BITFIELD", "k"),
		s([]any{int64(0)}, "BITFIELD", "k", "GET", "u8", "0"),
		s(int64(0), "EXISTS", "k"),
		s([]any{int64(0), int64(200)}, "BITFIELD", "k", "SET", "u8", "0", "200", "GET", "u8", "0"),
		s([]any{int64(-56)}, "BITFIELD", "k", "GET", "i8", "0"),
		s([]any{int64(12)}, "BITFIELD", "k", "GET", "u4", "0"),
		s([]any{int64(44)}, "BITFIELD", "k", "INCRBY", "u8", "0", "100"), // wraps
		s([]any{int64(255)}, "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300"),
		s([]any{nil}, "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1"),
		s([]any{int64(255)}, "BITFIELD", "k", "GET", "u8", "#0"),
		s([]any{int64(0), int64(1), int64(1)}, "BITFIELD", "k", "SET", "u8", "#1", "1", "GET", "u8", "8", "GET", "u8", "#1"),
		s([]any{int64(0)}, "BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i8", "#2", "1000"),
		s([]any{int64(-128)}, "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "#2", "-1000"),
		s([]any{int64(127)}, "BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "i8", "#2", "-1"),
		s([]any{nil, int64(127)}, "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", "#2", "1", "GET", "i8", "#2"),
		s([]any{int64(0)}, "BITFIELD", "w", "SET", "i64", "0", "-9223372036854775808"),
		s([]any{int64(-9223372036854775808)}, "BITFIELD", "w", "GET", "i64", "0"),
		s([]any{int64(9223372036854775807)}, "BITFIELD", "w", "INCRBY", "i64", "0", "-1"),
		s([]any{int64(-9223372036854775808)}, "BITFIELD", "w", "INCRBY", "i64", "0", "1"),
		s([]any{int64(-9223372036854775808), int64(-9223372036854775807)}, "BITFIELD", "w", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "1"),
		s([]any{int64(0)}, "BITFIELD", "u", "SET", "u63", "1", "-1"),
		s([]any{int64(9223372036854775807)}, "BITFIELD", "u", "GET", "u63", "1"),
		s([]any{int64(0)}, "BITFIELD", "u", "SET", "u1", "100", "5"),
		s(int64(13), "STRLEN", "u"),
		s([]any{int64(-1)}, "BITFIELD", "u", "GET", "i1", "100"),
		// Nothing is written when FAIL refuses every operation, but the
		// string is still grown.
		s([]any{nil}, "BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u2", "16", "9"),
		s(int64(3), "STRLEN", "f"),
		// Errors.
		s(bitTypeErr, "BITFIELD", "k", "GET", "u64", "0"),
		s(bitTypeErr, "BITFIELD", "k", "GET", "i65", "0"),
		s(bitTypeErr, "BITFIELD", "k", "GET", "I8", "0"),
		s(bitTypeErr, "BITFIELD", "k", "GET", "i0", "0"),
		s(bitTypeErr, "BITFIELD", "k", "GET", "", "0"),
		s([]any{int64(255)}, "BITFIELD", "k", "GET", "u8\x00junk", "0"), // C string
		s(bitOffsetErr, "BITFIELD", "k", "GET", "u8", "-1"),
		s(bitOffsetErr, "BITFIELD", "k", "GET", "u8", "#-1"),
		s(bitOffsetErr, "BITFIELD", "k", "GET", "u8", "#"),
		s(bitOffsetErr, "BITFIELD", "k", "GET", "u8", "4294967296"),
		s(bitOffsetErr, "BITFIELD", "k", "GET", "u8", "#536870912"),
		s(bitOffsetErr, "BITFIELD", "k", "GET", "i64", "#9223372036854775807"), // wraps negative
		s(notIntErr, "BITFIELD", "k", "SET", "u8", "0", "x"),
		s(notIntErr, "BITFIELD", "k", "INCRBY", "u8", "0", "1.5"),
		s(errReply("ERR Invalid OVERFLOW type specified"), "BITFIELD", "k", "OVERFLOW", "FOO"),
		s(syntaxErr, "BITFIELD", "k", "OVERFLOW"),
		s(syntaxErr, "BITFIELD", "k", "GET", "u8"),
		s(syntaxErr, "BITFIELD", "k", "SET", "u8", "0"),
		s(syntaxErr, "BITFIELD", "k", "FOO"),
		s(bitTypeErr, "BITFIELD", "k", "GET", "x", "0", "FOO"), // in order
		s(arityErr("bitfield"), "BITFIELD"),
		// BITFIELD_RO.
		s([]any{int64(255), int64(0)}, "BITFIELD_RO", "k", "GET", "u8", "0", "get", "u8", "100"),
		s([]any{}, "BITFIELD_RO", "k"),
		s(errReply("ERR BITFIELD_RO only supports the GET subcommand"), "BITFIELD_RO", "k", "SET", "u8", "0", "1"),
		s(errReply("ERR BITFIELD_RO only supports the GET subcommand"), "BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"),
		s(errReply("ERR BITFIELD_RO only supports the GET subcommand"), "BITFIELD_RO", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1"),
		s(bitTypeErr, "BITFIELD_RO", "k", "SET", "u64", "0", "1"),
		s(arityErr("bitfield_ro"), "BITFIELD_RO"),
	})
	wrongType(t, c, "l", []step{
		s(wrongTypeErr, "BITFIELD", "l"),
		s(wrongTypeErr, "BITFIELD", "l", "GET", "u8", "0"),
		s(wrongTypeErr, "BITFIELD", "l", "SET", "u8", "0", "1"),
		s(bitTypeErr, "BITFIELD", "l", "GET", "u64", "0"),
		s(errReply("ERR BITFIELD_RO only supports the GET subcommand"), "BITFIELD_RO", "l", "SET", "u8", "0", "1"),
		s(wrongTypeErr, "BITFIELD_RO", "l", "GET", "u8", "0"),
	})
}

// TestBitFieldRESP2 checks FAIL's null in RESP2, a null bulk string.
func TestBitFieldRESP2(t *testing.T) {
	c := strClient(t, 2)
	runSteps(t, c, []step{
		s([]any{nil, int64(0)}, "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "4", "GET", "u2", "0"),
	})
}

// FuzzBitfieldType checks BITFIELD's type parser, through the server,
// against a model of Redis's rules: 'i' or 'u', then a canonical decimal
// width (up to a NUL byte) of 1..64 signed or 1..63 unsigned. Its seeds
// run with the normal tests.
func FuzzBitfieldType(f *testing.F) {
	for _, seed := range []string{
		"i1", "i8", "i64", "u1", "u63", "u64", "i65", "i0", "u0", "I8", "U8", "i", "u", "", "x8",
		"i-1", "i08", "i+8", "i 8", "i8 ", "i8\x00junk", "i\x008", "u9223372036854775807", "i18446744073709551616",
	} {
		f.Add(seed)
	}
	srv := shardtest.Start(f)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DisableIdentity: true})
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "\xff\xff\xff\xff\xff\xff\xff\xff\xff", 0).Err(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, typ string) {
		got, err := c.Do(ctx, "BITFIELD_RO", "k", "GET", typ, "0").Result()
		signed, width, ok := modelBitfieldType(typ)
		if !ok {
			if err == nil || err.Error() != string(bitTypeErr) {
				t.Fatalf("BITFIELD type %q: got %v, %v; want the type error", typ, got, err)
			}
			return
		}
		want := int64(-1)
		if !signed {
			want = int64(1)<<width - 1
		}
		if err != nil || !equalReply(got, []any{want}) {
			t.Fatalf("BITFIELD type %q: got %v, %v; want [%d]", typ, got, err, want)
		}
	})
}

func modelBitfieldType(typ string) (signed bool, width int, ok bool) {
	if typ == "" || (typ[0] != 'i' && typ[0] != 'u') {
		return false, 0, false
	}
	w, _, _ := strings.Cut(typ[1:], "\x00")
	n, err := strconv.ParseInt(w, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != w || n < 1 {
		return false, 0, false
	}
	signed = typ[0] == 'i'
	if (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, int(n), true
}

func equalReply(got any, want []any) bool {
	arr, ok := got.([]any)
	if !ok || len(arr) != len(want) {
		return false
	}
	for i := range arr {
		if arr[i] != want[i] {
			return false
		}
	}
	return true
}

// FuzzBitfieldOps runs random BITFIELD operations on a string and checks
// that shardd answers every one (no crash, no protocol error) and that
// GET reads back what SET wrote under WRAP.
func FuzzBitfieldOps(f *testing.F) {
	f.Add(uint8(8), true, uint16(0), int64(200))
	f.Add(uint8(64), true, uint16(7), int64(-9223372036854775808))
	f.Add(uint8(63), false, uint16(100), int64(-1))
	f.Add(uint8(1), false, uint16(3), int64(2))
	f.Add(uint8(13), true, uint16(5), int64(4096))
	srv := shardtest.Start(f)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DisableIdentity: true})
	defer c.Close()
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, width uint8, signed bool, offset uint16, value int64) {
		w := int(width)%64 + 1
		typ := "i"
		if !signed {
			typ = "u"
			if w == 64 {
				w = 63
			}
		}
		typ += strconv.Itoa(w)
		off := strconv.Itoa(int(offset))
		got, err := c.Do(ctx, "BITFIELD", "k", "SET", typ, off, value, "GET", typ, off).Result()
		if err != nil {
			t.Fatalf("BITFIELD SET %s %s %d: %v", typ, off, value, err)
		}
		// WRAP keeps the low w bits.
		u := uint64(value)
		if w < 64 {
			u &= 1<<w - 1
		}
		want := int64(u)
		if signed && w < 64 && u&(1<<(w-1)) != 0 {
			want = int64(u | ^uint64(0)<<w)
		}
		if arr, ok := got.([]any); !ok || len(arr) != 2 || arr[1] != want {
			t.Fatalf("BITFIELD SET/GET %s %s %d = %v; want GET %d", typ, off, value, got, want)
		}
		if err := c.Do(ctx, "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", typ, off, value, "OVERFLOW", "FAIL", "INCRBY", typ, off, value).Err(); err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("BITFIELD INCRBY: %v", err)
		}
	})
}
