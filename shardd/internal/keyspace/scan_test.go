package keyspace

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/ds"
)

func setKey(db *DB, key string, at int64) {
	s := slot.OfString(key)
	db.ks.Lock(s, true)
	db.Set([]byte(key), Entry{Value: ds.NewString([]byte("v")), ExpireAt: at})
	db.ks.Unlock(s, true)
}

func delKey(db *DB, key string) {
	s := slot.OfString(key)
	db.ks.Lock(s, true)
	db.Delete([]byte(key))
	db.ks.Unlock(s, true)
}

// scanAll runs a whole scan with the given COUNT and returns how often
// each key was passed, and the number of steps.
func scanAll(db *DB, count int, now int64) (map[string]int, int) {
	got := map[string]int{}
	var cursor uint64
	steps := 0
	for {
		cursor = db.Scan(db.ks, cursor, count, now, func(k string, _ Entry) { got[k]++ })
		steps++
		if cursor == 0 {
			return got, steps
		}
	}
}

func TestScanReturnsEveryKeyOnce(t *testing.T) {
	ks := New(Options{Databases: 2})
	db := ks.DB(0)
	for i := 0; i < 1000; i++ {
		setKey(db, "k"+strconv.Itoa(i), 0)
	}
	setKey(db, "expired", 50)
	setKey(ks.DB(1), "other-db", 0)
	for _, count := range []int{1, 10, 100, 5000} {
		got, steps := scanAll(db, count, 100)
		if len(got) != 1000 {
			t.Errorf("COUNT %d: %d keys; want 1000", count, len(got))
		}
		for k, n := range got {
			if n != 1 {
				t.Errorf("COUNT %d: key %q passed %d times", count, k, n)
			}
		}
		if got["expired"] != 0 || got["other-db"] != 0 {
			t.Errorf("COUNT %d: passed an expired key or another db's key", count)
		}
		if count == 5000 && steps != 1 {
			t.Errorf("COUNT 5000: %d steps; want 1", steps)
		}
		if count == 1 && steps < 500 {
			t.Errorf("COUNT 1: %d steps; want one per non-empty slot", steps)
		}
	}
}

func TestScanEmptyAndOutOfRange(t *testing.T) {
	db := New(Options{}).DB(0)
	if next := db.Scan(db.ks, 0, 10, 0, func(string, Entry) { t.Fatal("key in empty db") }); next != 0 {
		t.Fatalf("empty db: cursor %d; want 0", next)
	}
	setKey(db, "a", 0)
	if next := db.Scan(db.ks, 1<<40, 10, 0, func(string, Entry) { t.Fatal("key beyond last slot") }); next != 0 {
		t.Fatalf("cursor beyond last slot: next %d; want 0", next)
	}
}

// TestScanGuaranteeUnderChurn scans while other goroutines add and delete
// keys: every key present for the whole scan must be passed exactly once.
func TestScanGuaranteeUnderChurn(t *testing.T) {
	ks := New(Options{})
	db := ks.DB(0)
	for i := 0; i < 2000; i++ {
		setKey(db, "stable"+strconv.Itoa(i), 0)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				k := "churn" + strconv.Itoa(w) + "-" + strconv.Itoa(i%500)
				if i%1000 < 500 {
					setKey(db, k, 0)
				} else {
					delKey(db, k)
				}
			}
		}()
	}
	for round := 0; round < 5; round++ {
		got, _ := scanAll(db, 7, 0)
		for i := 0; i < 2000; i++ {
			k := "stable" + strconv.Itoa(i)
			if got[k] != 1 {
				t.Fatalf("round %d: key %q passed %d times; want 1", round, k, got[k])
			}
		}
		for k, n := range got {
			if n != 1 {
				t.Fatalf("round %d: key %q passed %d times", round, k, n)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
}

func TestRandomKey(t *testing.T) {
	db := New(Options{}).DB(0)
	if _, ok := db.RandomKey(db.ks, 0); ok {
		t.Fatal("RandomKey on an empty db returned a key")
	}
	for i := 0; i < 50; i++ {
		setKey(db, "dead"+strconv.Itoa(i), 10)
	}
	if k, ok := db.RandomKey(db.ks, 100); ok {
		t.Fatalf("RandomKey returned expired key %q", k)
	}
	setKey(db, "live", 0)
	for i := 0; i < 20; i++ {
		if k, ok := db.RandomKey(db.ks, 100); !ok || k != "live" {
			t.Fatalf("RandomKey = %q, %v; want live", k, ok)
		}
	}
	for i := 0; i < 20; i++ {
		setKey(db, "k"+strconv.Itoa(i), 0)
	}
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		k, _ := db.RandomKey(db.ks, 100)
		seen[k] = true
	}
	if len(seen) < 15 {
		t.Fatalf("RandomKey returned only %d distinct keys of 21", len(seen))
	}
}
