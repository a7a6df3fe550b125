package engine_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The set tests and the generic key tests run scripted steps (ksStep)
// against an in-process shardd, or, with SHARDD_TEST_REDIS_ADDR=host:port,
// against that server instead (it is flushed!), which checks the
// expectations themselves against redis-server.

func TestSAddSRem(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks(int64(3), "SADD", "s", "a", "b", "a", "c"),
		ks(int64(0), "SADD", "s", "a"),
		ks(int64(3), "SCARD", "s"),
		ks(ksSet("a", "b", "c"), "SMEMBERS", "s"),
		ks(int64(2), "SREM", "s", "a", "zz", "b", "a"),
		ks(int64(0), "SREM", "s", "zz"),
		ks(int64(0), "SREM", "nokey", "a"),
		ks(int64(1), "SREM", "s", "c"),
		ks(int64(0), "EXISTS", "s"), // an emptied set is deleted
		ks(int64(1), "SADD", "s", ""),
		ks(int64(1), "SADD", "s", "\x00\xff"),
		ks(ksSet("", "\x00\xff"), "SMEMBERS", "s"),
		ks(ksSet(), "SMEMBERS", "nokey"),
		ks(int64(0), "SCARD", "nokey"),
		ks(ksArity("sadd"), "SADD", "s"),
		ks(ksArity("srem"), "SREM", "s"),
		ks(ksArity("smembers"), "SMEMBERS", "s", "t"),
		ks(ksArity("scard"), "SCARD"),
	})
}

func TestSetEncoding(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	ksRun(t, c, []ksStep{
		ks(int64(3), "SADD", "ints", "1", "-5", "9223372036854775807"),
		ks("intset", "OBJECT", "ENCODING", "ints"),
		ks([]any{"-5", "1", "9223372036854775807"}, "SMEMBERS", "ints"), // intsets are sorted
		ks(int64(1), "SADD", "ints", "01"),
		ks("hashtable", "OBJECT", "ENCODING", "ints"),
		ks(int64(1), "SREM", "ints", "01"),
		ks("hashtable", "OBJECT", "ENCODING", "ints"), // one-way
		ks(int64(1), "SADD", "str", "a"),
		ks("hashtable", "OBJECT", "ENCODING", "str"),
		ks(int64(1), "SADD", "big", "9223372036854775808"),
		ks("hashtable", "OBJECT", "ENCODING", "big"),
	})
	args := []any{"SADD", "n"}
	for i := 0; i < 512; i++ {
		args = append(args, i)
	}
	c.Do(ctx, args...)
	ksRun(t, c, []ksStep{
		ks("intset", "OBJECT", "ENCODING", "n"),
		ks(int64(1), "SADD", "n", "1000"),
		ks("hashtable", "OBJECT", "ENCODING", "n"),
	})
	if os.Getenv("SHARDD_TEST_REDIS_ADDR") == "" {
		ksRun(t, c, []ksStep{
			ks("OK", "CONFIG", "SET", "set-max-intset-entries", "2"),
			ks(int64(3), "SADD", "small", "1", "2", "3"),
			ks("hashtable", "OBJECT", "ENCODING", "small"),
			ks("OK", "CONFIG", "SET", "set-max-intset-entries", "512"),
		})
	}
}

func TestSetWrongType(t *testing.T) {
	c := ksClient(t, 3)
	c.Set(context.Background(), "str", "v", 0)
	c.SAdd(context.Background(), "set", "a")
	for _, args := range [][]any{
		{"SADD", "str", "a"}, {"SREM", "str", "a"}, {"SISMEMBER", "str", "a"}, {"SMISMEMBER", "str", "a"},
		{"SMEMBERS", "str"}, {"SCARD", "str"}, {"SPOP", "str"}, {"SPOP", "str", "1"}, {"SRANDMEMBER", "str"},
		{"SRANDMEMBER", "str", "2"}, {"SMOVE", "str", "set", "a"}, {"SMOVE", "set", "str", "a"},
		{"SINTER", "set", "str"}, {"SINTER", "nokey", "str"}, {"SINTERCARD", "2", "nokey", "str"},
		{"SINTERSTORE", "d", "set", "str"}, {"SUNION", "set", "str"}, {"SUNIONSTORE", "d", "str"},
		{"SDIFF", "str", "set"}, {"SDIFF", "nokey", "str"}, {"SDIFFSTORE", "d", "set", "str"}, {"SSCAN", "str", "0"},
	} {
		ksRun(t, c, []ksStep{ks(ksWrongType, args...)})
	}
	// SINTERSTORE into a string key replaces it.
	ksRun(t, c, []ksStep{
		ks(int64(1), "SINTERSTORE", "str", "set"),
		ks("set", "TYPE", "str"),
	})
}

func TestSIsMember(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks(int64(3), "SADD", "s", "1", "a", ""),
		ks(int64(1), "SISMEMBER", "s", "1"),
		ks(int64(1), "SISMEMBER", "s", ""),
		ks(int64(0), "SISMEMBER", "s", "01"),
		ks(int64(0), "SISMEMBER", "nokey", "1"),
		ks([]any{int64(1), int64(0), int64(1), int64(1)}, "SMISMEMBER", "s", "a", "b", "1", "a"),
		ks([]any{int64(0), int64(0)}, "SMISMEMBER", "nokey", "a", "b"),
		ks(ksArity("sismember"), "SISMEMBER", "s", "a", "b"),
		ks(ksArity("smismember"), "SMISMEMBER", "s"),
	})
}

func TestSPop(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	ksRun(t, c, []ksStep{
		ks(ksNil, "SPOP", "nokey"),
		ks(ksSet(), "SPOP", "nokey", "3"),
		ks(int64(1), "SADD", "one", "x"),
		ks("x", "SPOP", "one"),
		ks(int64(0), "EXISTS", "one"),
		ks(int64(3), "SADD", "s", "a", "b", "c"),
		ks(ksSet(), "SPOP", "s", "0"),
		ks(ksErrPositive, "SPOP", "s", "-1"),
		ks(ksErrPositive, "SPOP", "s", "abc"),
		ks(ksErrPositive, "SPOP", "str", "abc"),
		ks(ksSyntax, "SPOP", "s", "1", "2"),
		ks(int64(3), "SCARD", "s"),
		ks(ksSet("a", "b", "c"), "SPOP", "s", "3"),
		ks(int64(0), "EXISTS", "s"),
		ks(int64(2), "SADD", "s", "a", "b"),
		ks(ksSet("a", "b"), "SPOP", "s", "9223372036854775807"),
		ks(ksArity("spop"), "SPOP"),
	})
	// Random pops return distinct members and remove them.
	for i := 0; i < 100; i++ {
		c.SAdd(ctx, "r", i)
	}
	got := map[string]bool{}
	for c.Exists(ctx, "r").Val() == 1 {
		popped := c.SPopN(ctx, "r", 7).Val()
		if len(popped) == 0 || len(popped) > 7 {
			t.Fatalf("SPOP r 7 returned %d members", len(popped))
		}
		for _, m := range popped {
			if got[m] {
				t.Fatalf("SPOP returned %q twice", m)
			}
			got[m] = true
		}
		if n := c.SCard(ctx, "r").Val(); int(n) != 100-len(got) {
			t.Fatalf("SCARD = %d after popping %d of 100", n, len(got))
		}
	}
	if len(got) != 100 {
		t.Fatalf("popped %d distinct members; want 100", len(got))
	}
	// Single pops are spread over the members.
	counts := map[string]int{}
	for i := 0; i < 300; i++ {
		c.SAdd(ctx, "t", "a", "b", "c")
		counts[c.SPop(ctx, "t").Val()]++
		c.Del(ctx, "t")
	}
	for _, m := range []string{"a", "b", "c"} {
		if counts[m] < 50 {
			t.Errorf("SPOP chose %q %d times in 300 draws of 3", m, counts[m])
		}
	}
}

func TestSRandMember(t *testing.T) {
	c := ksClient(t, 3)
	ctx := context.Background()
	ksRun(t, c, []ksStep{
		ks(ksNil, "SRANDMEMBER", "nokey"),
		ks([]any{}, "SRANDMEMBER", "nokey", "5"),
		ks([]any{}, "SRANDMEMBER", "nokey", "-5"),
		ks(int64(3), "SADD", "s", "a", "b", "c"),
		ks([]any{}, "SRANDMEMBER", "s", "0"),
		ks(ksUnordered("a", "b", "c"), "SRANDMEMBER", "s", "3"),
		ks(ksUnordered("a", "b", "c"), "SRANDMEMBER", "s", "100"),
		ks(ksNotInt, "SRANDMEMBER", "s", "abc"),
		ks(ksErr("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
			"SRANDMEMBER", "s", "-9223372036854775808"),
		ks(ksSyntax, "SRANDMEMBER", "s", "1", "2"),
		ks(int64(3), "SCARD", "s"), // nothing removed
		ks(int64(1), "SADD", "one", "x"),
		ks("x", "SRANDMEMBER", "one"),
		ks([]any{"x", "x", "x"}, "SRANDMEMBER", "one", "-3"),
	})
	members := map[string]bool{}
	for i := 0; i < 50; i++ {
		c.SAdd(ctx, "big", i)
		members[strconv.Itoa(i)] = true
	}
	for _, n := range []int{1, 5, 20, 40, 49} {
		got := c.SRandMemberN(ctx, "big", int64(n)).Val()
		seen := map[string]bool{}
		for _, m := range got {
			if !members[m] || seen[m] {
				t.Fatalf("SRANDMEMBER big %d: %q is not a member or repeated", n, m)
			}
			seen[m] = true
		}
		if len(got) != n {
			t.Fatalf("SRANDMEMBER big %d: %d members", n, len(got))
		}
	}
	got := c.SRandMemberN(ctx, "big", -200).Val()
	if len(got) != 200 {
		t.Fatalf("SRANDMEMBER big -200: %d members", len(got))
	}
	seen := map[string]bool{}
	for _, m := range got {
		if !members[m] {
			t.Fatalf("SRANDMEMBER big -200: %q is not a member", m)
		}
		seen[m] = true
	}
	if len(seen) < 30 {
		t.Fatalf("SRANDMEMBER big -200 saw only %d distinct members of 50", len(seen))
	}
	if c.SRandMember(ctx, "big").Val() == "" {
		t.Fatal("SRANDMEMBER big returned nothing")
	}
}

func TestSMove(t *testing.T) {
	c := ksClient(t, 3)
	c.Set(context.Background(), "str", "v", 0)
	ksRun(t, c, []ksStep{
		ks(int64(0), "SMOVE", "nokey", "dst", "a"),
		ks(int64(0), "SMOVE", "nokey", "str", "a"), // a missing source wins over a wrong destination
		ks(int64(2), "SADD", "src", "a", "b"),
		ks(ksWrongType, "SMOVE", "src", "str", "a"),
		ks(int64(1), "SMOVE", "src", "src", "a"),
		ks(int64(0), "SMOVE", "src", "src", "zz"),
		ks(int64(0), "SMOVE", "src", "dst", "zz"),
		ks(int64(1), "SMOVE", "src", "dst", "a"),
		ks(ksSet("b"), "SMEMBERS", "src"),
		ks(ksSet("a"), "SMEMBERS", "dst"),
		ks(int64(1), "SADD", "dst", "b"),
		ks(int64(1), "SMOVE", "src", "dst", "b"), // already in dst: still 1
		ks(int64(0), "EXISTS", "src"),
		ks(ksSet("a", "b"), "SMEMBERS", "dst"),
		ks(ksArity("smove"), "SMOVE", "a", "b"),
	})
}

func TestSInterUnionDiff(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks(int64(4), "SADD", "a", "1", "2", "3", "x"),
		ks(int64(3), "SADD", "b", "2", "3", "4"),
		ks(int64(2), "SADD", "c", "3", "x"),
		ks(ksUnordered("2", "3"), "SINTER", "a", "b"),
		ks(ksUnordered("3"), "SINTER", "a", "b", "c"),
		ks(ksSet(), "SINTER", "a", "nokey"),
		ks(ksUnordered("1", "2", "3", "x"), "SINTER", "a"),
		ks(ksUnordered("1", "2", "3", "4", "x"), "SUNION", "a", "b", "nokey", "c"),
		ks(ksSet(), "SUNION", "nokey"),
		ks(ksUnordered("1", "x"), "SDIFF", "a", "b"),
		ks(ksUnordered("1"), "SDIFF", "a", "b", "c"),
		ks(ksSet(), "SDIFF", "a", "a"),
		ks(ksSet(), "SDIFF", "nokey", "a"),
		ks(ksUnordered("1", "2", "3", "x"), "SDIFF", "a", "nokey"),
		// STORE forms: replace the destination and its TTL.
		ks("OK", "SET", "dst", "v", "EX", "100"),
		ks(int64(2), "SINTERSTORE", "dst", "a", "b"),
		ks(int64(-1), "TTL", "dst"),
		ks(ksUnordered("2", "3"), "SMEMBERS", "dst"),
		ks("intset", "OBJECT", "ENCODING", "dst"),
		ks(int64(5), "SUNIONSTORE", "dst", "a", "b"),
		ks("hashtable", "OBJECT", "ENCODING", "dst"),
		ks(int64(2), "SDIFFSTORE", "dst", "a", "b"),
		ks(ksUnordered("1", "x"), "SMEMBERS", "dst"),
		ks(int64(0), "SINTERSTORE", "dst", "a", "nokey"),
		ks(int64(0), "EXISTS", "dst"),
		ks(int64(2), "SUNIONSTORE", "dst", "c", "c"),
		ks(int64(2), "SCARD", "dst"),
		ks(int64(0), "SDIFFSTORE", "dst", "c", "c"),
		ks(int64(0), "EXISTS", "dst"),
		ks(int64(4), "SUNIONSTORE", "a", "a", "nokey"), // destination among the sources
		ks(int64(4), "SINTERSTORE", "a", "a", "a"),
		ks(ksArity("sinter"), "SINTER"),
		ks(ksArity("sinterstore"), "SINTERSTORE", "dst"),
		ks(ksArity("sunionstore"), "SUNIONSTORE", "dst"),
		ks(ksArity("sdiffstore"), "SDIFFSTORE", "dst"),
	})
}

func TestSInterCard(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks(int64(4), "SADD", "a", "1", "2", "3", "4"),
		ks(int64(3), "SADD", "b", "2", "3", "4"),
		ks(int64(3), "SINTERCARD", "2", "a", "b"),
		ks(int64(4), "SINTERCARD", "1", "a"),
		ks(int64(2), "SINTERCARD", "2", "a", "b", "LIMIT", "2"),
		ks(int64(3), "SINTERCARD", "2", "a", "b", "limit", "0"),
		ks(int64(3), "SINTERCARD", "2", "a", "b", "LIMIT", "100"),
		ks(int64(1), "SINTERCARD", "2", "a", "b", "LIMIT", "5", "LIMIT", "1"),
		ks(int64(0), "SINTERCARD", "2", "a", "nokey"),
		ks(ksErr("ERR numkeys should be greater than 0"), "SINTERCARD", "0", "a"),
		ks(ksErr("ERR numkeys should be greater than 0"), "SINTERCARD", "-1", "a"),
		ks(ksErr("ERR numkeys should be greater than 0"), "SINTERCARD", "x", "a"),
		ks(ksErr("ERR Number of keys can't be greater than number of args"), "SINTERCARD", "3", "a", "b"),
		ks(ksErr("ERR LIMIT can't be negative"), "SINTERCARD", "1", "a", "LIMIT", "-1"),
		ks(ksErr("ERR LIMIT can't be negative"), "SINTERCARD", "1", "a", "LIMIT", "x"),
		ks(ksSyntax, "SINTERCARD", "1", "a", "LIMIT"),
		ks(ksSyntax, "SINTERCARD", "1", "a", "foo", "1"),
		ks(ksArity("sintercard"), "SINTERCARD", "1"),
	})
}

func TestSScan(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks([]any{"0", []any{}}, "SSCAN", "nokey", "0"),
		ks([]any{"0", []any{}}, "SSCAN", "nokey", "0", "foo"), // options of a missing key are not parsed
		ks(int64(4), "SADD", "s", "1", "2", "10", "a"),
		ks(ksScan("0", "1", "2", "10", "a"), "SSCAN", "s", "0"),
		ks(ksScan("0", "1", "10"), "SSCAN", "s", "0", "MATCH", "1*"),
		ks(ksScan("0", "1", "10"), "SSCAN", "s", "0", "match", "1*", "COUNT", "1000"),
		ks(ksScan("0", "1", "2", "10", "a"), "SSCAN", "s", "0", "MATCH", "*"),
		ks(ksScan("0"), "SSCAN", "s", "0", "MATCH", "zz"),
		ks(ksErr("ERR invalid cursor"), "SSCAN", "s", "x"),
		ks(ksErr("ERR invalid cursor"), "SSCAN", "s", " 0"),
		ks(ksErr("ERR invalid cursor"), "SSCAN", "s", "18446744073709551616"),
		ks(ksSyntax, "SSCAN", "s", "0", "COUNT", "0"),
		ks(ksNotInt, "SSCAN", "s", "0", "COUNT", "x"),
		ks(ksSyntax, "SSCAN", "s", "0", "TYPE", "set"),
		ks(ksSyntax, "SSCAN", "s", "0", "MATCH"),
		ks(ksArity("sscan"), "SSCAN", "s"),
	})
	// A hashtable set comes whole too.
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		c.SAdd(ctx, "big", "m"+strconv.Itoa(i))
	}
	seen := map[string]bool{}
	var cursor uint64
	for {
		keys, next, err := c.SScan(ctx, "big", cursor, "", 10).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			seen[k] = true
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	if len(seen) != 1000 {
		t.Fatalf("SSCAN saw %d members; want 1000", len(seen))
	}
}

// TestSetRESP3Types checks the reply types on the wire: SMEMBERS, SINTER,
// SUNION, SDIFF and SPOP with a count are sets in RESP3, SRANDMEMBER with
// a count an array, and all of them arrays in RESP2.
func TestSetRESP3Types(t *testing.T) {
	c := ksClient(t, 3)
	c.SAdd(context.Background(), "s", "a")
	addr := c.Options().Addr
	for _, tc := range []struct {
		cmd        []string
		resp2      string
		resp3      string
		keepsState bool
	}{
		{[]string{"SMEMBERS", "s"}, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n", true},
		{[]string{"SMEMBERS", "nokey"}, "*0\r\n", "~0\r\n", true},
		{[]string{"SINTER", "s"}, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n", true},
		{[]string{"SINTER", "s", "nokey"}, "*0\r\n", "~0\r\n", true},
		{[]string{"SUNION", "s"}, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n", true},
		{[]string{"SDIFF", "s"}, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n", true},
		{[]string{"SPOP", "nokey", "1"}, "*0\r\n", "~0\r\n", true},
		{[]string{"SPOP", "s", "0"}, "*0\r\n", "~0\r\n", true},
		{[]string{"SPOP", "nokey"}, "$-1\r\n", "_\r\n", true},
		{[]string{"SRANDMEMBER", "s", "1"}, "*1\r\n$1\r\na\r\n", "*1\r\n$1\r\na\r\n", true},
		{[]string{"SRANDMEMBER", "nokey", "1"}, "*0\r\n", "*0\r\n", true},
		{[]string{"SRANDMEMBER", "nokey"}, "$-1\r\n", "_\r\n", true},
		{[]string{"SMISMEMBER", "s", "a"}, "*1\r\n:1\r\n", "*1\r\n:1\r\n", true},
		{[]string{"SSCAN", "s", "0"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", true},
		{[]string{"SPOP", "s", "5"}, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n", false},
	} {
		for proto, want := range map[int]string{2: tc.resp2, 3: tc.resp3} {
			if got := ksRaw(t, addr, proto, tc.cmd...); got != want {
				t.Errorf("RESP%d %q: got %q; want %q", proto, tc.cmd, got, want)
			}
			if !tc.keepsState {
				c.SAdd(context.Background(), "s", "a")
			}
		}
	}
}

// ksRaw sends one command on a fresh connection (after HELLO 3 for
// RESP3) and returns the raw reply.
func ksRaw(t *testing.T, addr string, proto int, args ...string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	rd := bufio.NewReader(conn)
	send := func(args ...string) {
		var b strings.Builder
		b.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
		for _, a := range args {
			b.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
		}
		if _, err := conn.Write([]byte(b.String())); err != nil {
			t.Fatal(err)
		}
	}
	if proto == 3 {
		send("HELLO", "3")
		ksReadValue(t, rd)
	}
	send(args...)
	return ksReadValue(t, rd)
}

// ksReadValue reads one RESP value and returns its raw bytes.
func ksReadValue(t *testing.T, rd *bufio.Reader) string {
	t.Helper()
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	out := line
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	switch line[0] {
	case '$', '=', '!':
		if n >= 0 {
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(rd, buf); err != nil {
				t.Fatal(err)
			}
			out += string(buf)
		}
	case '*', '~', '>':
		for i := 0; i < n; i++ {
			out += ksReadValue(t, rd)
		}
	case '%', '|':
		for i := 0; i < 2*n; i++ {
			out += ksReadValue(t, rd)
		}
	}
	return out
}
