package aof

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzLoadTimeout bounds one Load: the files are tiny, so anything near it
// is a hang.
const fuzzLoadTimeout = 10 * time.Second

// loadIncr writes data as the only (incremental) file of a fresh AOF
// directory and loads it. It returns the number of commands applied, the
// error and the file's content after loading.
func loadIncr(t *testing.T, dir string, data []byte, truncated bool) (int, error, []byte) {
	t.Helper()
	a, err := Open(Options{Dir: dir, LoadTruncated: truncated, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n := 0
		_, err := a.Load(Loader{Command: func(args [][]byte) error {
			if len(args) == 0 {
				t.Error("Load applied an empty command")
			}
			// A command the engine would refuse: Load must report it as
			// corruption, not skip it.
			if strings.EqualFold(string(args[0]), "fail") {
				return errors.New("refused")
			}
			n++
			return nil
		}})
		done <- result{n, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(fuzzLoadTimeout):
		t.Fatalf("Load did not return within %v for %q", fuzzLoadTimeout, data)
	}
	after, err := os.ReadFile(filepath.Join(dir, "appendonly.aof.1.incr.aof"))
	if err != nil {
		t.Fatal(err)
	}
	return r.n, r.err, after
}

// FuzzLoad feeds arbitrary bytes to the loader as an incremental file. It
// must not panic or hang; it either loads or fails with ErrCorrupt; a
// refused torn tail leaves the file alone; a repaired one is a prefix of
// the input that loads again cleanly with the same commands.
func FuzzLoad(f *testing.F) {
	cmds := func(c ...[]byte) []byte { return bytes.Join(c, nil) }
	set := enc("SET", "k", "v")
	tx := cmds(enc("MULTI"), enc("INCR", "a"), enc("SET", "b", "1"), enc("EXEC"))
	valid := cmds(enc("SELECT", "0"), set, tx, enc("SELECT", "3"), enc("RPUSH", "l", "a", "b"),
		[]byte("#TS:1700000000\r\n"), enc("PEXPIREAT", "l", "1700000000000"))
	for _, seed := range [][]byte{
		nil,
		valid,
		set[:len(set)-1], // torn inside the last bulk's CRLF
		cmds(set, []byte("*3\r\n$3\r\nSET\r\n$1")),    // torn header
		cmds(set, tx[:len(tx)-3]),                     // torn inside EXEC
		cmds(set, enc("MULTI"), enc("INCR", "a")),     // MULTI without EXEC
		cmds(enc("MULTI"), enc("MULTI"), enc("EXEC")), // nested MULTI
		cmds(enc("EXEC"), set),                        // EXEC without MULTI
		cmds(set, enc("FAIL", "x"), set),              // a command the engine refuses
		cmds(enc("MULTI"), enc("FAIL"), enc("EXEC")),
		cmds(set, []byte("*2\r\n$3\r\nGET\r\n:1\r\n"), set), // corruption in the middle
		[]byte("SET k v\r\n"),                               // inline commands are not AOF
		[]byte("*1\r\n$999999999999\r\n"),                   // bulk beyond proto-max-bulk-len
		[]byte("*1\r\n$536870912\r\nab"),                    // a huge bulk that is torn
		[]byte("*-1\r\n*0\r\n"),
		[]byte("*2147483648\r\n"),
		[]byte("#" + strings.Repeat("x", 70000)), // an annotation without end
		[]byte("\x00\xff garbage \r\n\r\n"),
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, truncated bool) {
		dir := t.TempDir()
		// The manifest of a directory whose only file is incremental
		// file 1, written by the package itself.
		a, err := Open(Options{Dir: dir, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "appendonly.aof.1.incr.aof"), data, 0o644); err != nil {
			t.Fatal(err)
		}

		n, err, after := loadIncr(t, dir, data, truncated)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Load: %v; want nil or an error wrapping ErrCorrupt", err)
			}
			if !bytes.Equal(after, data) {
				t.Fatalf("a refused file changed from %q to %q", data, after)
			}
			return
		}
		if !truncated && !bytes.Equal(after, data) {
			t.Fatalf("file changed from %q to %q with aof-load-truncated no", data, after)
		}
		if !bytes.HasPrefix(data, after) {
			t.Fatalf("repaired file %q is not a prefix of %q", after, data)
		}
		if len(after) < len(data) {
			// The repaired file loads as it is, to the same commands.
			n2, err, again := loadIncr(t, dir, after, false)
			if err != nil || n2 != n || !bytes.Equal(again, after) {
				t.Fatalf("repaired file %q: loaded %d commands (%v); want %d, unchanged", after, n2, err, n)
			}
		}
	})
}
