package rdb

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shardis/shardis/shardd/internal/ds"
)

// The golden tests need no redis-server: testdata holds a dump.rdb and
// DUMP payloads made by redis-server 7.0.15, with what redis-server held
// (regenerate with go test -run TestRedis -update).

func TestGoldenFile(t *testing.T) {
	file, err := os.ReadFile("testdata/redis-7.0.15.rdb")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/redis-7.0.15.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	err = Load(bytes.NewReader(file), LoadOptions{}, func(db int, key []byte, v ds.Value, exp int64) error {
		e := strconv.FormatInt(exp, 10)
		if exp == 0 {
			e = "-1"
		}
		got[fmt.Sprintf("%d %s", db, key)] = golden(render(v)) + " exp " + e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if g := joinSorted(got); g != string(want) {
		t.Errorf("loaded file differs from testdata/redis-7.0.15.txt:\n%.2000s", g)
	}
}

func TestGoldenPayloads(t *testing.T) {
	paths, _ := filepath.Glob("testdata/dump/*.bin")
	if len(paths) == 0 {
		t.Fatal("no testdata/dump/*.bin")
	}
	for _, path := range paths {
		payload, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(strings.TrimSuffix(path, ".bin") + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		v, err := DecodeValue(payload, nil)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if got := golden(render(v)) + "\n"; got != string(want) {
			t.Errorf("%s: decoded\n %.300s\nwant\n %.300s", path, got, want)
		}
		back, err := DecodeValue(EncodeValue(v), nil)
		if err != nil || render(back) != render(v) {
			t.Errorf("%s: re-encoding does not round-trip: %v", path, err)
		}
	}
}

// golden shortens a long rendering for the golden files: its start and a
// hash of the whole.
func golden(r string) string {
	if len(r) <= 300 {
		return r
	}
	return fmt.Sprintf("%s... sha256:%x", r[:200], sha256.Sum256([]byte(r)))
}
