package engine_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// scanSlot runs one SHARDIS.SCANSLOT and returns its next slot, next
// position and keys.
func scanSlot(t *testing.T, c *redis.Client, s int, pos string, last int, opts ...any) (int, string, []string) {
	t.Helper()
	args := append([]any{"SHARDIS.SCANSLOT", s, pos, last}, opts...)
	v, err := c.Do(context.Background(), args...).Slice()
	if err != nil || len(v) != 3 {
		t.Fatalf("%v = %#v, %v", args, v, err)
	}
	var keys []string
	for _, k := range v[2].([]any) {
		keys = append(keys, k.(string))
	}
	return int(v[0].(int64)), v[1].(string), keys
}

// Small slots come whole, in slot order, up to about COUNT keys.
func TestScanSlotWalksSlots(t *testing.T) {
	c := shardtest.Start(t).Client(t)
	ctx := context.Background()
	want := map[string]bool{}
	for i := range 300 {
		k := "k" + strconv.Itoa(i)
		c.Set(ctx, k, "v", 0)
		want[k] = true
	}
	c.SAdd(ctx, "aset", "m")
	got := map[string]bool{}
	s, pos, calls := 0, "0", 0
	for s < slot.Count {
		var keys []string
		s, pos, keys = scanSlot(t, c, s, pos, slot.Count-1, "COUNT", 20, "TYPE", "string", "MATCH", "k*")
		for _, k := range keys {
			if got[k] {
				t.Fatalf("%s returned twice", k)
			}
			got[k] = true
		}
		calls++
	}
	if len(got) != len(want) || got["aset"] {
		t.Fatalf("scanned %d keys; want the %d strings", len(got), len(want))
	}
	if calls < 300/20 {
		t.Errorf("%d calls for 300 keys with COUNT 20: COUNT ignored", calls)
	}
}

// A slot with many keys comes in pages of a snapshot: every key present
// for the whole scan is returned once, deleted keys are left out.
func TestScanSlotPagesABigSlot(t *testing.T) {
	c := shardtest.Start(t).Client(t)
	ctx := context.Background()
	const n = 2000
	for i := range n {
		c.Set(ctx, fmt.Sprintf("{big}%d", i), "v", 0)
	}
	s := slot.Of([]byte("{big}"))
	got := map[string]int{}
	next, pos, pages := s, "0", 0
	for next == s {
		var keys []string
		next, pos, keys = scanSlot(t, c, s, pos, s, "COUNT", 100)
		if next == s && pos == "0" {
			t.Fatal("slot unfinished at position 0")
		}
		for _, k := range keys {
			got[k]++
			if k == "{big}1999" && pages > 0 {
				t.Errorf("a key deleted before its page was returned")
			}
		}
		if pages == 0 {
			// Changes after the snapshot: a deleted key is not returned,
			// an added one need not be.
			c.Del(ctx, "{big}1999")
			c.Set(ctx, "{big}new", "v", 0)
		}
		pages++
	}
	if next != s+1 || pos != "0" {
		t.Fatalf("end of the range = slot %d position %s; want %d 0", next, pos, s+1)
	}
	for i := range n - 1 {
		if k := fmt.Sprintf("{big}%d", i); got[k] != 1 {
			t.Fatalf("%s returned %d times", k, got[k])
		}
	}
	if pages < n/100 {
		t.Errorf("%d pages for %d keys with COUNT 100", pages, n)
	}
	// A position this shard does not know (its snapshot gone, or taken on
	// another shard) starts the slot again.
	_, _, keys := scanSlot(t, c, s, strconv.FormatUint(12345<<26|7, 10), s, "COUNT", 100)
	if len(keys) != 100 {
		t.Errorf("unknown position: %d keys; want a first page of 100", len(keys))
	}
}

// SCANSLOT serves only slots the shard owns whole: a proxy with an old map
// must not take an emptied or half-moved slot for the keys' absence.
func TestScanSlotIsFenced(t *testing.T) {
	c := shardtest.Start(t).Client(t)
	ctx := context.Background()
	own, mig, imp := "own", "mig", "imp"
	c.MSet(ctx, own, "1", mig, "1", imp, "1")
	wantReply(t, c, "OK", "SHARDIS.SETSLOTS", "7", spec(own, migrate.Owned), spec(mig, migrate.Migrating), spec(imp, migrate.Importing))
	s := slotOf(own)
	if _, _, keys := scanSlot(t, c, s, "0", s); len(keys) != 1 || keys[0] != own {
		t.Fatalf("owned slot: %v", keys)
	}
	for _, k := range []string{mig, imp, "none"} {
		wantReply(t, c, refusal(7, k), "SHARDIS.SCANSLOT", slotOf(k), "0", slotOf(k))
	}
	// A range that reaches an unserved slot stops there with what it has.
	if next, _, keys := scanSlot(t, c, s, "0", slot.Count-1); len(keys) != 1 || next == slot.Count {
		t.Fatalf("range past the owned slot: next %d, keys %v", next, keys)
	}
	wantReply(t, c, "ERR: ERR invalid last slot", "SHARDIS.SCANSLOT", s, "0", s-1)
}
