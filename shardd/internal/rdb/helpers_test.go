package rdb

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hdt3213/rdb/core"
	"github.com/hdt3213/rdb/model"
	"github.com/shardis/shardis/shardd/internal/ds"
)

func newBufio(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }

// libraryCheck parses file with the hdt3213/rdb decoder, an independent
// implementation, and checks that it finds keys keys.
func libraryCheck(t interface {
	Helper()
	Fatalf(string, ...any)
}, file []byte, keys int) {
	t.Helper()
	n := 0
	err := core.NewDecoder(bytes.NewReader(file)).Parse(func(o model.RedisObject) bool {
		n++
		return true
	})
	if err != nil {
		t.Fatalf("hdt3213/rdb cannot parse the file: %v", err)
	}
	if n != keys {
		t.Fatalf("hdt3213/rdb found %d keys; want %d", n, keys)
	}
}

// libraryCases returns the RDB files of hdt3213/rdb's test suite (files
// written by many Redis versions, 2 to 12), or nil if the module's
// directory cannot be found.
func libraryCases() []string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/hdt3213/rdb").Output()
	if err != nil {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "cases", "*.rdb"))
	return files
}

// renderLibrary renders an hdt3213/rdb object like render, without the
// encoding.
func renderLibrary(o model.RedisObject) string {
	var items []string
	ordered := true
	switch o := o.(type) {
	case *model.StringObject:
		items = []string{strconv.Quote(string(o.Value))}
	case *model.ListObject:
		for _, e := range o.Values {
			items = append(items, strconv.Quote(string(e)))
		}
	case *model.SetObject:
		for _, e := range o.Members {
			items = append(items, strconv.Quote(string(e)))
		}
		ordered = false
	case *model.HashObject:
		for f, v := range o.Hash {
			items = append(items, strconv.Quote(f)+"="+strconv.Quote(string(v)))
		}
		ordered = false
	case *model.ZSetObject:
		for _, e := range o.Entries {
			items = append(items, strconv.Quote(e.Member)+"="+strconv.FormatFloat(e.Score, 'g', -1, 64))
		}
		ordered = false
	default:
		return fmt.Sprintf("%T", o)
	}
	if !ordered {
		slices.Sort(items)
	}
	return o.GetType() + "[" + strings.Join(items, " ") + "]"
}

// stripEncoding turns render's "kind/encoding[...]" into "kind[...]", with
// zset members sorted as renderLibrary sorts them.
func stripEncoding(v ds.Value) string {
	r := render(v)
	kind, rest, _ := strings.Cut(r, "/")
	_, items, _ := strings.Cut(rest, "[")
	if v.Kind() == ds.KindZSet {
		parts := strings.Fields(strings.TrimSuffix(items, "]"))
		slices.Sort(parts)
		items = strings.Join(parts, " ") + "]"
	}
	return kind + "[" + items
}

// TestLibraryCases loads every file of hdt3213/rdb's test suite that is
// RDB version 10 or older and has no stream or module values, and checks
// that both decoders see the same keys, values and expiries. The files
// cover encodings redis-server 7.0 no longer writes: zipmaps, ziplists,
// linked lists, quicklists of ziplists, textual zset scores.
func TestLibraryCases(t *testing.T) {
	files := libraryCases()
	if len(files) == 0 {
		t.Skip("hdt3213/rdb's cases directory not found")
	}
	checked := 0
	for _, path := range files {
		file, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(file, []byte("VALKEY")) {
			continue // Valkey's format, not Redis's
		}
		got := map[string]string{}
		err = Load(bytes.NewReader(file), LoadOptions{}, func(db int, key []byte, v ds.Value, exp int64) error {
			got[fmt.Sprintf("%d %q", db, key)] = fmt.Sprintf("%s exp %d", stripEncoding(v), exp)
			return nil
		})
		if errors.Is(err, ErrVersion) || errors.Is(err, ErrUnsupported) {
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
			continue
		}
		want := map[string]string{}
		err = core.NewDecoder(bytes.NewReader(file)).Parse(func(o model.RedisObject) bool {
			var exp int64
			if e := o.GetExpiration(); e != nil {
				exp = e.UnixMilli()
			}
			want[fmt.Sprintf("%d %q", o.GetDBIndex(), o.GetKey())] = fmt.Sprintf("%s exp %d", renderLibrary(o), exp)
			return true
		})
		if err != nil {
			t.Errorf("%s: hdt3213/rdb: %v", filepath.Base(path), err)
			continue
		}
		if joinSorted(got) != joinSorted(want) {
			t.Errorf("%s: decoders differ\nshardd:\n%.1500s\nhdt3213/rdb:\n%.1500s", filepath.Base(path), joinSorted(got), joinSorted(want))
		}
		checked++
	}
	t.Logf("%d files compared", checked)
}
