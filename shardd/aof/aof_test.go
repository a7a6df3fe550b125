package aof

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shardis/shardis/pkg/resp"
)

func enc(args ...string) []byte {
	b := resp.AppendArray(nil, len(args))
	for _, a := range args {
		b = resp.AppendBulkString(b, a)
	}
	return b
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func open(t *testing.T, dir string, fsync Fsync, truncated bool) *AOF {
	t.Helper()
	a, err := Open(Options{Dir: dir, Fsync: fsync, LoadTruncated: truncated, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// replay loads dir and returns the commands as "a b c" strings.
func replay(t *testing.T, a *AOF) ([]string, error) {
	t.Helper()
	var got []string
	_, err := a.Load(Loader{Command: func(args [][]byte) error {
		parts := make([]string, len(args))
		for i, x := range args {
			parts[i] = string(x)
		}
		got = append(got, strings.Join(parts, " "))
		return nil
	}})
	return got, err
}

func TestAppendReopenLoad(t *testing.T) {
	for _, policy := range []Fsync{FsyncAlways, FsyncEverySec, FsyncNo} {
		dir := t.TempDir()
		a := open(t, dir, policy, true)
		if _, err := replay(t, a); err != nil {
			t.Fatal(err)
		}
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 100; i++ {
					cmd := enc("SET", fmt.Sprintf("k%d-%d", w, i), "v")
					var p uint64
					if w%2 == 0 {
						p = a.Append(0, cmd)
					} else {
						p = a.AppendFunc(0, func(dst []byte) []byte { return append(dst, cmd...) })
					}
					if err := a.WaitWritten(p); err != nil {
						t.Error(err)
						return
					}
					if i%10 == 0 {
						// Often with nothing to write: the write
						// buffers must still never be shared.
						if err := a.Flush(); err != nil {
							t.Error(err)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := replay(t, open(t, dir, policy, true))
		if err != nil || len(got) != 401 { // 400 SETs after one SELECT
			t.Fatalf("policy %d: replayed %d commands, err %v; want 401", policy, len(got), err)
		}
		seen := make(map[string]bool)
		for _, c := range got[1:] {
			seen[c] = true
		}
		for w := 0; w < 4; w++ {
			for i := 0; i < 100; i++ {
				if c := fmt.Sprintf("SET k%d-%d v", w, i); !seen[c] {
					t.Fatalf("policy %d: %q is missing from the log", policy, c)
				}
			}
		}
	}
}

func TestWaitWrittenReachesTheOS(t *testing.T) {
	dir := t.TempDir()
	a := open(t, dir, FsyncNo, true)
	a.Start()
	defer a.Close()
	p := a.Append(0, enc("SET", "a", "1"))
	if err := a.WaitWritten(p); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "appendonly.aof.1.incr.aof"))
	if string(data) != string(enc("SELECT", "0"))+string(enc("SET", "a", "1")) {
		t.Errorf("file holds %q after WaitWritten", data)
	}
	m, _ := os.ReadFile(filepath.Join(dir, "appendonly.aof.manifest"))
	if string(m) != "file appendonly.aof.1.incr.aof seq 1 type i\n" {
		t.Errorf("manifest = %q", m)
	}
}

func writeIncr(t *testing.T, dir string, content string) string {
	t.Helper()
	a := open(t, dir, FsyncAlways, true)
	a.Start()
	a.Close()
	path := filepath.Join(dir, "appendonly.aof.1.incr.aof")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTruncatedTail(t *testing.T) {
	whole := string(enc("SET", "a", "1")) + string(enc("SET", "b", "2"))
	torn := whole + "*3\r\n$3\r\nSET\r\n$1\r\nc"

	dir := t.TempDir()
	path := writeIncr(t, dir, torn)
	_, err := replay(t, open(t, dir, FsyncAlways, false))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("offset %d", len(whole))) {
		t.Errorf("aof-load-truncated no: err %v; want ErrCorrupt naming offset %d", err, len(whole))
	}
	if st, _ := os.Stat(path); st.Size() != int64(len(torn)) {
		t.Error("file changed although truncation was refused")
	}

	got, err := replay(t, open(t, dir, FsyncAlways, true))
	if err != nil || len(got) != 2 {
		t.Fatalf("aof-load-truncated yes: %v, %v", got, err)
	}
	if st, _ := os.Stat(path); st.Size() != int64(len(whole)) {
		t.Errorf("file is %d bytes after repair; want %d", st.Size(), len(whole))
	}
}

func TestCorruptionInTheMiddleIsRefused(t *testing.T) {
	good := string(enc("SET", "a", "1"))
	dir := t.TempDir()
	writeIncr(t, dir, good+"*2\r\n$3\r\nGET\r\n:1\r\n"+good)
	_, err := replay(t, open(t, dir, FsyncAlways, true))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("offset %d", len(good))) {
		t.Errorf("err %v; want ErrCorrupt at offset %d", err, len(good))
	}
}

func TestRewriteSwitchesFiles(t *testing.T) {
	dir := t.TempDir()
	a := open(t, dir, FsyncAlways, true)
	a.Start()
	a.WaitWritten(a.Append(0, enc("SET", "old", "1")))
	rw, err := a.StartRewrite(false)
	if err != nil {
		t.Fatal(err)
	}
	a.WaitWritten(a.Append(0, enc("SET", "during", "2")))

	// A crash now must replay everything from the old files and the new one.
	got, err := replay(t, open(t, dir, FsyncAlways, true))
	if err != nil || strings.Join(got, ",") != "SELECT 0,SET old 1,SELECT 0,SET during 2" {
		t.Fatalf("mid-rewrite replay: %q, %v", got, err)
	}

	rw.Writer().Write(enc("SET", "old", "1"))
	if err := rw.Finish(); err != nil {
		t.Fatal(err)
	}
	a.WaitWritten(a.Append(0, enc("SET", "after", "3")))
	a.Close()
	got, err = replay(t, open(t, dir, FsyncAlways, true))
	if err != nil || strings.Join(got, ",") != "SET old 1,SELECT 0,SET during 2,SET after 3" {
		t.Fatalf("after rewrite: %q, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := "appendonly.aof.2.base.aof appendonly.aof.2.incr.aof appendonly.aof.manifest"
	if strings.Join(names, " ") != want {
		t.Errorf("files after rewrite: %v; want %s", names, want)
	}
}

func TestManifestRoundTripAndErrors(t *testing.T) {
	text := "file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\nfile \"a b\" seq 4 type i\n"
	m, err := parseManifest([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if string(m.format()) != text {
		t.Errorf("round trip: %q", m.format())
	}
	for _, bad := range []string{
		"file x seq 0 type i", "file x seq 1 type z", "file x seq 1", "file ../x seq 1 type i",
		"file a seq 1 type b\nfile b seq 2 type b", "file \"x seq 1 type i",
	} {
		if _, err := parseManifest([]byte(bad)); !errors.Is(err, ErrCorruptManifest) {
			t.Errorf("%q: err %v; want ErrCorruptManifest", bad, err)
		}
	}
}

func FuzzManifest(f *testing.F) {
	f.Add("file appendonly.aof.1.incr.aof seq 1 type i\n")
	f.Add("file a seq 1 type b\nfile b seq 2 type i\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseManifest([]byte(s))
		if err != nil {
			return
		}
		again, err := parseManifest(m.format())
		if err != nil {
			t.Fatalf("formatted manifest does not parse: %v", err)
		}
		if string(again.format()) != string(m.format()) {
			t.Fatal("format is not stable")
		}
	})
}

func TestTornTransactionIsNotApplied(t *testing.T) {
	good := string(enc("SET", "a", "1"))
	tx := string(enc("MULTI")) + string(enc("SET", "b", "2")) + string(enc("SET", "c", "3")) + string(enc("EXEC"))
	torn := string(enc("MULTI")) + string(enc("SET", "d", "4"))

	dir := t.TempDir()
	path := writeIncr(t, dir, good+tx+torn)
	got, err := replay(t, open(t, dir, FsyncAlways, true))
	if err != nil || strings.Join(got, ",") != "SET a 1,MULTI,SET b 2,SET c 3,EXEC" {
		t.Fatalf("replayed %q, %v", got, err)
	}
	if st, _ := os.Stat(path); st.Size() != int64(len(good+tx)) {
		t.Errorf("file is %d bytes after repair; want %d (cut before the torn MULTI)", st.Size(), len(good+tx))
	}
	dir = t.TempDir()
	writeIncr(t, dir, good+torn)
	if _, err := replay(t, open(t, dir, FsyncAlways, false)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("torn transaction with aof-load-truncated no: %v; want ErrCorrupt", err)
	}
}

// TestLoadProgress checks that Progress reports, before each command, the
// bytes read up to its end and the files' total size.
func TestLoadProgress(t *testing.T) {
	cmds := []string{string(enc("SET", "a", "1")), string(enc("SET", "b", "22")), string(enc("DEL", "a"))}
	dir := t.TempDir()
	writeIncr(t, dir, strings.Join(cmds, ""))
	total := int64(len(strings.Join(cmds, "")))
	var got, want []int64
	var off int64
	for _, c := range cmds {
		off += int64(len(c))
		want = append(want, off)
	}
	_, err := open(t, dir, FsyncNo, false).Load(Loader{
		Command: func([][]byte) error { return nil },
		Progress: func(done, n int64) {
			if n != total {
				t.Errorf("total = %d; want %d", n, total)
			}
			got = append(got, done)
		},
	})
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("progress %v, err %v; want %v", got, err, want)
	}
}
