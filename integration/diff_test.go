package integration

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

// startRedis runs a reference redis-server on a free port, or skips.
func startRedis(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	l.Close()
	_, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("redis-server did not start")
	return ""
}

// TestDifferential runs single-slot commands through the proxy and against
// redis-server: replies (values and error texts) must match exactly.
// Keys share a hash tag so that multi-key commands are single-slot.
func TestDifferential(t *testing.T) {
	ref := startRedis(t)
	c := startCluster(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		px, rs := goRedis(t, c.Proxies[0].Addr, proto), goRedis(t, ref, proto)
		must(t, px.FlushAll(ctx).Err())
		must(t, rs.FlushAll(ctx).Err())
		for _, line := range diffScript {
			args := splitLine(line)
			got, gerr := px.Do(ctx, args...).Result()
			want, werr := rs.Do(ctx, args...).Result()
			if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
				t.Errorf("RESP%d %s:\n proxy: %#v, %v\n redis: %#v, %v", proto, line, got, gerr, want, werr)
			}
		}
	}
}

func splitLine(line string) []any {
	var out []any
	for _, f := range strings.Fields(line) {
		out = append(out, f)
	}
	return out
}

// diffScript: commands whose keys share one slot, and connection commands.
var diffScript = []string{
	"PING", "PING hello", "ECHO hi", "SELECT 0",
	"SET {a}s 10", "GET {a}s", "INCR {a}s", "INCRBY {a}s 5", "DECR {a}s", "APPEND {a}s x", "GET {a}s",
	"INCR {a}s", "STRLEN {a}s", "GETRANGE {a}s 0 1", "SETNX {a}s y", "GETSET {a}s z", "GETDEL {a}s", "GET {a}s",
	"MSET {a}1 one {a}2 two", "MGET {a}1 {a}2 {a}3", "MSETNX {a}3 x {a}1 y", "EXISTS {a}1 {a}2 {a}3 {a}9",
	"DEL {a}1 {a}9", "UNLINK {a}2", "TOUCH {a}3",
	"SET {a}e v EX 100", "TTL {a}e", "PERSIST {a}e", "TTL {a}e", "EXPIRE {a}e 50", "TYPE {a}e", "RENAME {a}e {a}f", "TYPE {a}f",
	"LPUSH {a}l a b c", "RPUSH {a}l d", "LRANGE {a}l 0 -1", "LPOP {a}l", "RPOP {a}l 2", "LLEN {a}l", "LINDEX {a}l 0",
	"LMOVE {a}l {a}l2 LEFT RIGHT", "LRANGE {a}l2 0 -1",
	"HSET {a}h f1 v1 f2 v2", "HGET {a}h f1", "HGETALL {a}h", "HDEL {a}h f1", "HLEN {a}h", "HINCRBY {a}h n 3", "HMGET {a}h f2 n zz",
	"SADD {a}z m1 m2 m3", "SCARD {a}z", "SISMEMBER {a}z m2", "SINTERCARD 1 {a}z", "SMOVE {a}z {a}z2 m1", "SMEMBERS {a}z2",
	"ZADD {a}q 1 a 2 b 3 c", "ZRANGE {a}q 0 -1 WITHSCORES", "ZSCORE {a}q b", "ZINCRBY {a}q 1.5 a", "ZRANK {a}q a", "ZCARD {a}q",
	"ZRANGEBYSCORE {a}q 1 3", "ZPOPMIN {a}q",
	"GET {a}l", "LPUSH {a}s x", "INCR {a}h", "SET {a}s", "GET", "HSET {a}h f", "NOSUCHCOMMAND x",
	"BLPOP {a}l2 1", "BLPOP {a}empty 0.1",
	"DBSIZE", "FLUSHALL", "DBSIZE",
}
