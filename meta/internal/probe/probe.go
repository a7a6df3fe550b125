// Package probe talks to shards over RESP: it asks them about themselves
// (whether they answer PING, the key count and memory their INFO reports,
// which works against shardd and a plain redis-server alike) and drives
// their part of resharding (Shard: slot tables and slot copies, shardd
// only).
//
// The functions are safe for concurrent use. The first probe replaces
// go-redis's process-wide logger with a silent one: probe returns every
// failure as an error instead.
package probe

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configures a probe.
type Options struct {
	// Timeout bounds each probe of one shard: dial, command, reply.
	// Default 2s.
	Timeout time.Duration
	// Password is sent with AUTH when set (for shards with requirepass).
	Password string
	// Secret is the cluster secret, for the internal commands: when set,
	// the probe authenticates as user "shardis" with it instead.
	Secret string
}

// quietOnce silences go-redis's process-wide logger, which would print
// dial failures that probe returns as errors anyway.
var quietOnce sync.Once

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func (o Options) client(addr string) *redis.Client {
	quietOnce.Do(func() { redis.SetLogger(quiet{}) })
	t := o.Timeout
	if t <= 0 {
		t = 2 * time.Second
	}
	user, pass := "", o.Password
	if o.Secret != "" {
		user, pass = "shardis", o.Secret
	}
	return redis.NewClient(&redis.Options{
		Addr:            addr,
		Username:        user,
		Password:        pass,
		Protocol:        2,
		DisableIdentity: true,
		DialTimeout:     t,
		ReadTimeout:     t,
		WriteTimeout:    t,
		MaxRetries:      -1,
		DialerRetries:   1,
		PoolSize:        1,
	})
}

// Ping checks that the shard at addr answers PING with PONG.
func Ping(ctx context.Context, addr string, o Options) error {
	c := o.client(addr)
	defer c.Close()
	got, err := c.Ping(ctx).Result()
	if err != nil {
		return fmt.Errorf("shard %s does not answer PING: %w", addr, err)
	}
	if got != "PONG" {
		return fmt.Errorf("shard %s answered PING with %q", addr, got)
	}
	return nil
}

// Info is what a shard reports about itself.
type Info struct {
	// Keys is the number of keys in all databases.
	Keys int64 `json:"keys"`
	// Memory is used_memory in bytes, or -1 if the shard does not say.
	Memory int64 `json:"memory"`
	// Version is redis_version (shardd reports the Redis version it
	// emulates), or "" if absent.
	Version string `json:"version,omitempty"`
}

// Query reads INFO from the shard at addr.
func Query(ctx context.Context, addr string, o Options) (Info, error) {
	c := o.client(addr)
	defer c.Close()
	text, err := c.Info(ctx).Result()
	if err != nil {
		return Info{}, fmt.Errorf("shard %s: INFO: %w", addr, err)
	}
	return ParseInfo(text), nil
}

// ParseInfo extracts Info from the text of an INFO reply: used_memory,
// redis_version, and the keys=N of every dbN line of the keyspace section.
func ParseInfo(text string) Info {
	info := Info{Memory: -1}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case k == "used_memory":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				info.Memory = n
			}
		case k == "redis_version":
			info.Version = v
		case strings.HasPrefix(k, "db") && isDigits(k[2:]):
			// db0:keys=1,expires=0,avg_ttl=0
			for field := range strings.SplitSeq(v, ",") {
				if n, ok := strings.CutPrefix(field, "keys="); ok {
					if n, err := strconv.ParseInt(n, 10, 64); err == nil {
						info.Keys += n
					}
				}
			}
		}
	}
	return info
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// PreparedTx is a cross-shard transaction prepared on a shard and not
// decided yet.
type PreparedTx struct {
	ID   string        `json:"id"`
	Role string        `json:"role"` // primary or secondary
	Age  time.Duration `json:"age"`
	Op   string        `json:"op"`
	Keys int64         `json:"keys"`
}

// Transactions lists the shard's prepared transactions (SHARDIS.TXLIST),
// oldest first. A server without the command (redis-server) has none.
func Transactions(ctx context.Context, addr string, o Options) ([]PreparedTx, error) {
	c := o.client(addr)
	defer c.Close()
	rows, err := c.Do(ctx, "SHARDIS.TXLIST").Slice()
	if err != nil {
		if strings.HasPrefix(err.Error(), "ERR unknown command") {
			return nil, nil
		}
		return nil, fmt.Errorf("shard %s: SHARDIS.TXLIST: %w", addr, err)
	}
	txs := make([]PreparedTx, 0, len(rows))
	for _, row := range rows {
		f, ok := row.([]any)
		if !ok || len(f) != 5 {
			return nil, fmt.Errorf("shard %s: SHARDIS.TXLIST: unexpected reply %v", addr, row)
		}
		id, _ := f[0].(string)
		role, _ := f[1].(string)
		age, _ := f[2].(int64)
		op, _ := f[3].(string)
		keys, _ := f[4].(int64)
		txs = append(txs, PreparedTx{ID: id, Role: role, Age: time.Duration(age) * time.Millisecond, Op: op, Keys: keys})
	}
	return txs, nil
}
