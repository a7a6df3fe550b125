package redisproc

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// KeyView describes key on a server (redis-server or shardd) through
// public commands: "type/encoding[items]", items quoted, unordered types
// sorted, "none" for a missing key. Tests compare servers with it.
func KeyView(t testing.TB, c *redis.Client, key string) string {
	t.Helper()
	ctx := context.Background()
	typ := c.Type(ctx, key).Val()
	if typ == "none" {
		return "none"
	}
	enc := c.ObjectEncoding(ctx, key).Val()
	var items []string
	ordered := true
	switch typ {
	case "string":
		items = []string{strconv.Quote(c.Get(ctx, key).Val())}
	case "list":
		for _, e := range c.LRange(ctx, key, 0, -1).Val() {
			items = append(items, strconv.Quote(e))
		}
	case "set":
		for _, e := range c.SMembers(ctx, key).Val() {
			items = append(items, strconv.Quote(e))
		}
		ordered = false
	case "hash":
		for f, v := range c.HGetAll(ctx, key).Val() {
			items = append(items, strconv.Quote(f)+"="+strconv.Quote(v))
		}
		ordered = false
	case "zset":
		for _, z := range c.ZRangeWithScores(ctx, key, 0, -1).Val() {
			items = append(items, strconv.Quote(z.Member.(string))+"="+strconv.FormatFloat(z.Score, 'g', -1, 64))
		}
	default:
		t.Fatalf("key %q has type %q", key, typ)
	}
	if !ordered {
		slices.Sort(items)
	}
	return typ + "/" + enc + "[" + strings.Join(items, " ") + "]"
}
