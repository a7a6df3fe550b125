package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

func goRedis(t *testing.T, addr string, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, MaxRetries: -1, ReadTimeout: 5 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestProxyClients drives both proxies with go-redis (RESP2 and RESP3) and
// rueidis: routing, fan-out, cluster-wide commands, transactions,
// blocking commands and pub/sub across proxies.
func TestProxyClients(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	a := goRedis(t, c.Proxies[0].Addr, 3)
	b := goRedis(t, c.Proxies[1].Addr, 2)

	t.Run("routing", func(t *testing.T) {
		for i := range 100 {
			must(t, a.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err())
		}
		for i := range 100 {
			if got, err := b.Get(ctx, fmt.Sprintf("k%d", i)).Int(); err != nil || got != i {
				t.Fatalf("GET k%d through the other proxy = %d, %v", i, got, err)
			}
		}
		// Every shard got some keys.
		for _, s := range c.Shards {
			n, err := goRedis(t, s.Addr, 2).DBSize(ctx).Result()
			if err != nil || n == 0 {
				t.Errorf("shard %s holds %d keys (%v); want some", s.Name, n, err)
			}
		}
	})

	t.Run("pipeline order", func(t *testing.T) {
		pipe := b.Pipeline()
		var cmds []*redis.IntCmd
		for i := range 500 {
			cmds = append(cmds, pipe.Incr(ctx, fmt.Sprintf("ctr%d", i%7)))
		}
		_, err := pipe.Exec(ctx)
		must(t, err)
		seen := map[int]int64{}
		for i, cmd := range cmds {
			k := i % 7
			seen[k]++
			if cmd.Val() != seen[k] {
				t.Fatalf("INCR #%d = %d; want %d (pipeline reordered)", i, cmd.Val(), seen[k])
			}
		}
	})

	t.Run("multi-key", func(t *testing.T) {
		vals, err := a.MGet(ctx, "k1", "nokey", "k2", "k3", "k50").Result()
		must(t, err)
		want := []any{"1", nil, "2", "3", "50"}
		if fmt.Sprint(vals) != fmt.Sprint(want) {
			t.Errorf("MGET = %v; want %v", vals, want)
		}
		if n := a.Exists(ctx, "k1", "k2", "nokey", "k3").Val(); n != 3 {
			t.Errorf("EXISTS = %d; want 3", n)
		}
		if n := b.Touch(ctx, "k1", "k2", "k99").Val(); n != 3 {
			t.Errorf("TOUCH = %d; want 3", n)
		}
		// Cross-shard MSET is atomic (two-phase commit); other
		// multi-key commands across shards are refused.
		must(t, a.MSet(ctx, "k1", "x", "k2", "y", "k3", "z").Err())
		err = a.SUnionStore(ctx, "k1", "k2", "k3").Err()
		if err == nil || !strings.HasPrefix(err.Error(), "CROSSSLOT") || !strings.Contains(err.Error(), "hash tag") {
			t.Errorf("cross-shard SUNIONSTORE: %v; want CROSSSLOT mentioning hash tags", err)
		}
		must(t, a.MSet(ctx, "{u1}a", "1", "{u1}b", "2").Err())
		if n := b.Del(ctx, "{u1}a", "{u1}b").Val(); n != 2 {
			t.Errorf("DEL with hash tag = %d; want 2", n)
		}
	})

	t.Run("cluster-wide", func(t *testing.T) {
		n, err := b.DBSize(ctx).Result()
		must(t, err)
		if n != 107 {
			t.Errorf("DBSIZE = %d; want 107", n)
		}
		keys, err := a.Keys(ctx, "k*").Result()
		must(t, err)
		if len(keys) != 100 {
			t.Errorf("KEYS k* gave %d keys; want 100", len(keys))
		}
		var scanned []string
		var cursor uint64
		for {
			ks, next, err := a.Scan(ctx, cursor, "k*", 7).Result()
			must(t, err)
			scanned = append(scanned, ks...)
			if cursor = next; cursor == 0 {
				break
			}
		}
		slices.Sort(scanned)
		if len(slices.Compact(scanned)) != 100 || len(scanned) != 100 {
			t.Errorf("SCAN MATCH k* returned %d keys (dups or misses); want 100", len(scanned))
		}
		if k := b.RandomKey(ctx).Val(); k == "" {
			t.Error("RANDOMKEY returned nothing")
		}
		info := a.Info(ctx, "keyspace").Val()
		if !strings.Contains(info, "db0:keys=107") {
			t.Errorf("INFO keyspace = %q; want db0:keys=107", info)
		}
		if err := a.Do(ctx, "SELECT", "1").Err(); err == nil {
			t.Error("SELECT 1 accepted")
		}
		if _, err := a.Time(ctx).Result(); err != nil {
			t.Error(err)
		}
	})

	t.Run("transactions", func(t *testing.T) {
		cmds, err := a.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "{tx}a", "1", 0)
			p.Incr(ctx, "{tx}b")
			p.Get(ctx, "{tx}a")
			return nil
		})
		must(t, err)
		if got := cmds[2].(*redis.StringCmd).Val(); got != "1" {
			t.Errorf("GET in MULTI = %q; want 1", got)
		}
		// WATCH: a change through the other proxy aborts EXEC.
		err = a.Watch(ctx, func(tx *redis.Tx) error {
			must(t, b.Set(ctx, "{tx}a", "changed", 0).Err())
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "{tx}a", "mine", 0)
				return nil
			})
			return err
		}, "{tx}a")
		if err != redis.TxFailedErr {
			t.Errorf("EXEC after a watched key changed: %v; want TxFailedErr", err)
		}
		_, err = a.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "k1", "1", 0)
			p.Set(ctx, "k2", "1", 0)
			p.Set(ctx, "k3", "1", 0)
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "EXECABORT") {
			t.Errorf("cross-shard MULTI: %v; want EXECABORT", err)
		}
	})

	t.Run("blocking", func(t *testing.T) {
		done := make(chan []string, 1)
		go func() {
			v, _ := a.BLPop(ctx, 5*time.Second, "queue").Result()
			done <- v
		}()
		time.Sleep(200 * time.Millisecond)
		// Another client of the same proxy is not stalled meanwhile.
		other := goRedis(t, c.Proxies[0].Addr, 3)
		start := time.Now()
		must(t, other.Ping(ctx).Err())
		if d := time.Since(start); d > time.Second {
			t.Errorf("PING took %v while another client blocks", d)
		}
		must(t, b.RPush(ctx, "queue", "job").Err())
		select {
		case v := <-done:
			if fmt.Sprint(v) != "[queue job]" {
				t.Errorf("BLPOP = %v", v)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("BLPOP did not return")
		}
	})

	t.Run("pubsub", func(t *testing.T) {
		for _, proto := range []int{2, 3} {
			sub := goRedis(t, c.Proxies[0].Addr, proto).Subscribe(ctx, "news", "sport")
			must(t, sub.PSubscribe(ctx, "w*"))
			for range 3 {
				if _, err := sub.Receive(ctx); err != nil {
					t.Fatal(err)
				}
			}
			ch := sub.Channel()
			for _, m := range [][2]string{{"news", "n1"}, {"sport", "s1"}, {"weather", "w1"}} {
				if n := b.Publish(ctx, m[0], m[1]).Val(); n != 1 {
					t.Errorf("PUBLISH %s reached %d subscribers; want 1", m[0], n)
				}
				select {
				case got := <-ch:
					if got.Channel != m[0] || got.Payload != m[1] {
						t.Errorf("RESP%d: got %s/%s; want %s/%s", proto, got.Channel, got.Payload, m[0], m[1])
					}
				case <-time.After(3 * time.Second):
					t.Fatalf("RESP%d: message on %s not relayed across proxies", proto, m[0])
				}
			}
			if n := b.PubSubNumSub(ctx, "news").Val()["news"]; n != 1 {
				t.Errorf("PUBSUB NUMSUB news = %d; want 1", n)
			}
			sub.Close()
		}
	})

	t.Run("rueidis", func(t *testing.T) {
		for _, p := range c.Proxies {
			rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{p.Addr}, DisableCache: true})
			must(t, err)
			defer rc.Close()
			must(t, rc.Do(ctx, rc.B().Set().Key("rk").Value("rv").Build()).Error())
			if v, err := rc.Do(ctx, rc.B().Get().Key("rk").Build()).ToString(); err != nil || v != "rv" {
				t.Errorf("rueidis GET = %q, %v", v, err)
			}
			vals, err := rc.Do(ctx, rc.B().Mget().Key("k1", "k2", "rk").Build()).AsStrSlice()
			if err != nil || len(vals) != 3 || vals[2] != "rv" {
				t.Errorf("rueidis MGET = %v, %v", vals, err)
			}
			var cmds rueidis.Commands
			for i := range 50 {
				cmds = append(cmds, rc.B().Incr().Key(fmt.Sprintf("r%d", i%5)).Build())
			}
			for i, r := range rc.DoMulti(ctx, cmds...) {
				if _, err := r.AsInt64(); err != nil {
					t.Fatalf("rueidis pipeline #%d: %v", i, err)
				}
			}
			h, err := rc.Do(ctx, rc.B().Hset().Key("rh").FieldValue().FieldValue("f", "v").Build()).AsInt64()
			_ = h
			must(t, err)
			m, err := rc.Do(ctx, rc.B().Hgetall().Key("rh").Build()).AsStrMap()
			if err != nil || m["f"] != "v" {
				t.Errorf("rueidis HGETALL = %v, %v", m, err)
			}
		}
	})
}
