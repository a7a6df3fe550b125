package engine_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

func TestInternalCommandsNeedTheClusterSecret(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t, "cluster-secret s3cret")
	c := srv.Client(t)
	err := c.Do(ctx, "SHARDIS.COUNTKEYSINSLOT", "0").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Fatalf("internal command without the secret: err %v; want NOPERM", err)
	}
	if err := c.Do(ctx, "AUTH", "shardis", "wrong").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Errorf("AUTH shardis wrong: err %v; want WRONGPASS", err)
	}

	internal := redis.NewClient(&redis.Options{Addr: srv.Addr, Username: "shardis", Password: "s3cret"})
	defer internal.Close()
	if err := internal.Do(ctx, "SHARDIS.COUNTKEYSINSLOT", "0").Err(); err != nil {
		t.Errorf("with the secret: %v", err)
	}
	// Ordinary commands still work for everybody.
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Error(err)
	}
}

func TestInternalCommandsOpenWithoutSecret(t *testing.T) {
	ctx := context.Background()
	c := shardtest.Start(t).Client(t)
	if err := c.Do(ctx, "AUTH", "shardis", "x").Err(); err == nil {
		t.Error("AUTH shardis accepted although no cluster secret is set")
	}
	if err := c.Do(ctx, "SHARDIS.COUNTKEYSINSLOT", "0").Err(); err != nil {
		t.Errorf("no secret configured: %v", err)
	}
}

func TestSlotKeyIndex(t *testing.T) {
	ctx := context.Background()
	c := shardtest.Start(t).Client(t)
	var want []string
	for i := 0; i < 25; i++ {
		k := fmt.Sprintf("{user7}:%d", i)
		want = append(want, k)
		c.Set(ctx, k, "v", 0)
	}
	c.Set(ctx, "other", "v", 0)
	s := fmt.Sprint(slot.OfString("user7"))
	if n, err := c.Do(ctx, "SHARDIS.COUNTKEYSINSLOT", s).Int(); err != nil || n != 25 {
		t.Errorf("COUNTKEYSINSLOT = %d, %v; want 25", n, err)
	}
	got, err := c.Do(ctx, "SHARDIS.GETKEYSINSLOT", s, "100").StringSlice()
	sort.Strings(got)
	sort.Strings(want)
	if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("GETKEYSINSLOT = %v, %v; want %v", got, err, want)
	}
	if got, _ := c.Do(ctx, "SHARDIS.GETKEYSINSLOT", s, "10").StringSlice(); len(got) != 10 {
		t.Errorf("GETKEYSINSLOT count 10 gave %d keys", len(got))
	}
	for _, bad := range [][]any{{"SHARDIS.COUNTKEYSINSLOT", "16384"}, {"SHARDIS.COUNTKEYSINSLOT", "-1"}, {"SHARDIS.GETKEYSINSLOT", "1", "-1"}} {
		if err := c.Do(ctx, bad...).Err(); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
