package difftest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/redisproc"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// TestKeyspaceNotifications runs the same commands on redis-server and
// shardd with notify-keyspace-events KEA and compares the events each
// published, in order.
func TestKeyspaceNotifications(t *testing.T) {
	ctx := context.Background()
	raddr := redisproc.Start(t, "notify-keyspace-events KEA")
	srv := shardtest.Start(t, "notify-keyspace-events KEA")
	script := [][]any{
		{"SET", "s", "1"}, {"INCR", "s"}, {"INCRBYFLOAT", "s", "1.5"}, {"APPEND", "s", "x"}, {"SETRANGE", "s", "0", "y"},
		{"SET", "t", "v", "EX", "100"}, {"EXPIRE", "t", "200"}, {"PERSIST", "t"}, {"GETDEL", "t"},
		{"RPUSH", "l", "a", "b"}, {"LPUSH", "l", "c"}, {"LPOP", "l"}, {"LINSERT", "l", "BEFORE", "a", "z"},
		{"LSET", "l", "0", "q"}, {"LREM", "l", "1", "q"}, {"LTRIM", "l", "0", "0"}, {"RPOP", "l"},
		{"LMOVE", "src", "dst", "LEFT", "RIGHT"}, {"RPUSH", "src", "m"}, {"LMOVE", "src", "dst", "LEFT", "RIGHT"},
		{"HSET", "h", "f", "1"}, {"HINCRBY", "h", "f", "2"}, {"HDEL", "h", "f"},
		{"SADD", "st", "a", "b"}, {"SREM", "st", "a"}, {"SMOVE", "st", "st2", "b"}, {"SINTERSTORE", "st3", "st2"},
		{"ZADD", "z", "1", "a", "2", "b"}, {"ZINCRBY", "z", "1", "a"}, {"ZREM", "z", "a"}, {"ZPOPMIN", "z"},
		{"SET", "r", "1"}, {"RENAME", "r", "r2"}, {"MOVE", "r2", "1"}, {"SET", "x", "1"}, {"EXPIRE", "x", "0"},
		{"SET", "e", "1", "PX", "1"}, {"DEL", "nosuch"}, {"MSET", "m1", "1", "m2", "2"}, {"DEL", "m1", "m2"},
	}
	collect := func(addr string) []string {
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
		defer c.Close()
		sub := c.PSubscribe(ctx, "__key*@0__:*")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range script {
			c.Do(ctx, cmd...)
		}
		time.Sleep(50 * time.Millisecond) // "e" expires
		c.Do(ctx, "GET", "e")             // lazy expiry on access
		c.Do(ctx, "SET", "end", "1")
		var got []string
		for {
			m, err := sub.ReceiveMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, m.Channel+" "+m.Payload)
			if m.Channel == "__keyevent@0__:set" && m.Payload == "end" {
				return got
			}
		}
	}
	want, got := collect(raddr), collect(srv.Addr)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events differ.\nshardd:\n%s\nredis-server:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
