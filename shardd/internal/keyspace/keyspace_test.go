package keyspace

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/ds"
)

func str(s string) Entry { return Entry{Value: ds.NewString([]byte(s))} }

func TestSetLookupDeleteCounts(t *testing.T) {
	ks := New(Options{Databases: 2})
	db := ks.DB(0)
	db.Set([]byte("a"), str("1"))
	db.Set([]byte("b"), Entry{Value: ds.NewString([]byte("2")), ExpireAt: 5000})
	db.Set([]byte("a"), str("3")) // replace keeps the count
	if got := db.Size(); got != 2 {
		t.Errorf("Size() = %d; want 2", got)
	}
	if got := db.Volatile(); got != 1 {
		t.Errorf("Volatile() = %d; want 1", got)
	}
	e, ok := db.Lookup([]byte("a"), 0)
	if !ok || string(e.Value.(*ds.String).B) != "3" {
		t.Errorf("Lookup(a) = %v, %v", e, ok)
	}
	if _, ok := ks.DB(1).Lookup([]byte("a"), 0); ok {
		t.Error("key visible in another database")
	}
	// Removing the TTL by a plain Set updates the volatile count.
	db.Set([]byte("b"), str("4"))
	if got := db.Volatile(); got != 0 {
		t.Errorf("Volatile() after Set without TTL = %d; want 0", got)
	}
	if !db.Delete([]byte("a")) || db.Delete([]byte("a")) {
		t.Error("Delete reported wrongly")
	}
	if got := db.Size(); got != 1 {
		t.Errorf("Size() = %d; want 1", got)
	}
}

func TestLazyExpiry(t *testing.T) {
	var expired []string
	ks := New(Options{Databases: 1, OnExpire: func(_ int, k string) { expired = append(expired, k) }})
	db := ks.DB(0)
	db.Set([]byte("k"), Entry{Value: ds.NewString([]byte("v")), ExpireAt: 1000})
	if _, ok := db.Lookup([]byte("k"), 999); !ok {
		t.Error("key expired early")
	}
	if _, ok := db.Lookup([]byte("k"), 1000); ok {
		t.Error("expired key visible to a reader")
	}
	if db.Size() != 1 {
		t.Error("a read deleted the expired key")
	}
	if _, ok := db.LookupWrite([]byte("k"), 1000); ok {
		t.Error("expired key visible to a writer")
	}
	if db.Size() != 0 || len(expired) != 1 || expired[0] != "k" {
		t.Errorf("after LookupWrite: size %d, expired %v", db.Size(), expired)
	}
}

func TestExpireCycleDeletesOnlyExpired(t *testing.T) {
	n := 0
	ks := New(Options{Databases: 2, OnExpire: func(int, string) { n++ }})
	for i := 0; i < 3000; i++ {
		at := int64(100) // expired at now=200
		if i%3 == 0 {
			at = 1000 // still alive
		}
		ks.DB(i%2).Set([]byte(fmt.Sprintf("k%d", i)), Entry{Value: ds.NewString(nil), ExpireAt: at})
		ks.DB(i%2).Set([]byte(fmt.Sprintf("p%d", i)), str("persistent"))
	}
	for i := 0; i < 100 && n < 2000; i++ {
		ks.ExpireCycle(200, time.Second)
	}
	if n != 2000 {
		t.Fatalf("deleted %d keys; want 2000", n)
	}
	total := ks.DB(0).Size() + ks.DB(1).Size()
	if total != 4000 {
		t.Errorf("%d keys left; want 4000", total)
	}
	if v := ks.DB(0).Volatile() + ks.DB(1).Volatile(); v != 1000 {
		t.Errorf("%d volatile keys left; want 1000", v)
	}
}

func TestSlotIndex(t *testing.T) {
	ks := New(Options{Databases: 1})
	db := ks.DB(0)
	for i := 0; i < 10; i++ {
		db.Set([]byte(fmt.Sprintf("{tag}%d", i)), str("v"))
	}
	s := slot.Of([]byte("tag"))
	if got := db.SlotLen(s); got != 10 {
		t.Errorf("SlotLen = %d; want 10", got)
	}
	seen := 0
	db.EachInSlot(s, 0, func(string, Entry) bool { seen++; return true })
	if seen != 10 {
		t.Errorf("EachInSlot visited %d; want 10", seen)
	}
	db.FlushSlot(s)
	if db.Size() != 0 || db.SlotLen(s) != 0 {
		t.Error("FlushSlot left keys")
	}
}

func TestSwapDB(t *testing.T) {
	ks := New(Options{Databases: 2})
	ks.DB(0).Set([]byte("a"), Entry{Value: ds.NewString(nil), ExpireAt: 10})
	ks.LockAll()
	ks.SwapDB(0, 1)
	ks.UnlockAll()
	if _, ok := ks.DB(1).Lookup([]byte("a"), 0); !ok || ks.DB(1).Size() != 1 || ks.DB(1).Volatile() != 1 || ks.DB(0).Size() != 0 {
		t.Error("SwapDB did not move the key and its counters")
	}
}

// Concurrent writers on different slots and an expiry cycle must not race
// (run with -race).
func TestConcurrentUse(t *testing.T) {
	ks := New(Options{Databases: 1})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				k := []byte(fmt.Sprintf("w%d:%d", w, i))
				s := slot.Of(k)
				ks.Lock(s, true)
				ks.DB(0).Set(k, Entry{Value: ds.NewString(k), ExpireAt: int64(i % 2)})
				ks.Unlock(s, true)
			}
		}()
	}
	for i := 0; i < 20; i++ {
		ks.ExpireCycle(10, time.Millisecond)
	}
	wg.Wait()
}

func TestReserveKeepsKeys(t *testing.T) {
	db := New(Options{}).DB(0)
	for i := 0; i < 100; i++ {
		db.Set([]byte(fmt.Sprint("k", i)), Entry{Value: ds.NewString([]byte("v")), ExpireAt: int64(i % 2 * 5000)})
	}
	db.Reserve(20 * slot.Count)
	for i := 100; i < 200; i++ {
		db.Set([]byte(fmt.Sprint("k", i)), str("v"))
	}
	if db.Size() != 200 || db.Volatile() != 50 {
		t.Errorf("Size() = %d, Volatile() = %d; want 200, 50", db.Size(), db.Volatile())
	}
	for i := 0; i < 200; i++ {
		if _, ok := db.Lookup([]byte(fmt.Sprint("k", i)), 0); !ok {
			t.Fatalf("k%d is missing after Reserve", i)
		}
	}
	// Slots that Reserve gave an empty table still have no key.
	empty := 0
	for s := 0; s < slot.Count; s++ {
		if db.SlotLen(s) == 0 {
			empty++
		}
	}
	if empty < slot.Count-200 {
		t.Errorf("%d empty slots; want at least %d", empty, slot.Count-200)
	}
}
