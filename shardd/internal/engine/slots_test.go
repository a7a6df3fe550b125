package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

// slotOf is the slot of key.
func slotOf(key string) int { return slot.Of([]byte(key)) }

// refusal is the WRONGSHARD error text as raw reports it.
func refusal(version uint64, key string) string {
	return "ERR: " + migrate.WrongShard(version, slotOf(key))
}

// spec is a one-slot SETSLOTS spec.
func spec(key string, state migrate.State) string {
	return fmt.Sprintf("%d:%c", slotOf(key), state)
}

func TestSlotTableFences(t *testing.T) {
	srv := shardtest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	// Keys in four distinct slots: owned, migrating, importing, not served.
	own, mig, imp, none := "own", "mig", "imp", "none"
	seen := map[int]bool{}
	for _, k := range []string{own, mig, imp, none} {
		if seen[slotOf(k)] {
			t.Fatalf("test keys share slot %d", slotOf(k))
		}
		seen[slotOf(k)] = true
	}
	if v := raw(t, c, "SHARDIS.GETSLOTS"); len(v.([]any)) != 0 {
		t.Fatalf("GETSLOTS without a table = %#v; want empty", v)
	}
	c.MSet(ctx, own, "1", mig, "1", imp, "1", none, "1")

	wantReply(t, c, "OK", "SHARDIS.SETSLOTS", "5", spec(own, migrate.Owned), spec(mig, migrate.Migrating), spec(imp, migrate.Importing))
	got := raw(t, c, "SHARDIS.GETSLOTS").([]any)
	if len(got) != 4 || got[0] != "5" {
		t.Fatalf("GETSLOTS = %#v; want version 5 and three specs", got)
	}
	wantReply(t, c, "1", "GET", own)
	wantReply(t, c, "OK", "SET", imp, "2")
	wantReply(t, c, refusal(5, mig), "GET", mig)
	wantReply(t, c, refusal(5, none), "SET", none, "2")
	// A multi-key command runs whole or not at all.
	wantReply(t, c, refusal(5, none), "MSET", own, "2", none, "2")
	wantReply(t, c, "1", "GET", own)
	// Keyless commands and sharded pub/sub are not fenced.
	wantReply(t, c, int64(4), "DBSIZE")
	if keys := c.Keys(ctx, "*").Val(); len(keys) != 4 {
		t.Errorf("KEYS * = %v; want all 4", keys)
	}
	wantReply(t, c, int64(0), "SPUBLISH", none, "hello")

	// EXEC checks every queued key under its locks.
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, own, "tx", 0)
		p.Set(ctx, none, "tx", 0)
		return nil
	})
	if err == nil || err.Error() != migrate.WrongShard(5, slotOf(none)) {
		t.Errorf("EXEC with an unserved key: err %v; want WRONGSHARD", err)
	}
	wantReply(t, c, "1", "GET", own)
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, own, "tx", 0)
		return nil
	}); err != nil {
		t.Errorf("EXEC on a served key: %v", err)
	}

	// The keyed internal commands are fenced too.
	wantReply(t, c, refusal(5, mig), "SHARDIS.PREPARE", "t1", "5000", "", "", "MSET", own, "x", mig, "x")
	wantReply(t, c, refusal(5, none), "SHARDIS.LOCKREAD", "r1", "5000", "MGET", none)
	wantReply(t, c, int64(1), "SHARDIS.PREPARE", "t2", "5000", "", "", "DEL", imp)
	wantReply(t, c, "OK", "SHARDIS.ABORT", "t2")

	// Versions only go forward; the same one again is accepted.
	wantReply(t, c, "ERR: ERR stale slot table version 4: this shard has version 5", "SHARDIS.SETSLOTS", "4", "0-16383:o")
	wantReply(t, c, "OK", "SHARDIS.SETSLOTS", "5", "0-16383:o")
	wantReply(t, c, "1", "GET", none)
	wantReply(t, c, "ERR: ERR invalid slot range \"0-16384\"", "SHARDIS.SETSLOTS", "6", "0-16384:o")
	wantReply(t, c, "ERR: ERR invalid slot spec \"7:x\"", "SHARDIS.SETSLOTS", "6", "7:x")
	// No spec: nothing served.
	wantReply(t, c, "OK", "SHARDIS.SETSLOTS", "6")
	wantReply(t, c, refusal(6, own), "GET", own)
	if v := raw(t, c, "SHARDIS.GETSLOTS"); fmt.Sprint(v) != "[6]" {
		t.Errorf("GETSLOTS of an empty table = %#v", v)
	}
}

func TestSetSlotsWakesBlockedClients(t *testing.T) {
	srv := shardtest.Start(t)
	admin := srv.Client(t)
	ctx := context.Background()
	moving, staying := "moving", "staying"
	wantReply(t, admin, "OK", "SHARDIS.SETSLOTS", "1", spec(moving, migrate.Owned), spec(staying, migrate.Owned))

	blpop := srv.Client(t)
	popped := background(func() any { return raw(t, blpop, "BLPOP", moving, "0") })
	bzpop := srv.Client(t)
	zpopped := background(func() any { return raw(t, bzpop, "BZPOPMIN", moving, "0") })
	other := srv.Client(t)
	stays := background(func() any { return raw(t, other, "BLPOP", staying, "0") })
	waitBlocked(t, admin, 3)

	// The slot of moving starts migrating: its waiters hear it at once,
	// the others keep waiting.
	wantReply(t, admin, "OK", "SHARDIS.SETSLOTS", "2", spec(moving, migrate.Migrating), spec(staying, migrate.Owned))
	for name, ch := range map[string]<-chan any{"BLPOP": popped, "BZPOPMIN": zpopped} {
		if got, ok := within(ch, 5*time.Second); !ok || got != refusal(2, moving) {
			t.Errorf("%s on a slot taken away = %#v (done %v); want WRONGSHARD", name, got, ok)
		}
	}
	if got, ok := within(stays, 100*time.Millisecond); ok {
		t.Fatalf("BLPOP on a served slot returned %#v", got)
	}
	admin.RPush(ctx, staying, "x")
	if got, _ := within(stays, 5*time.Second); fmt.Sprint(got) != "[staying x]" {
		t.Errorf("BLPOP on a served slot = %#v", got)
	}
	// A new blocking command on the moved slot is refused at once.
	wantReply(t, admin, refusal(2, moving), "BLPOP", moving, "0")
}
