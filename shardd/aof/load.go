package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/shardis/shardis/pkg/resp"
)

// ErrCorrupt marks an AOF that cannot be loaded without losing data in its
// middle; the message names the file and offset.
var ErrCorrupt = errors.New("aof: corrupt")

// Loader is what Load feeds.
type Loader struct {
	// Command applies one logged command.
	Command func(args [][]byte) error
	// RDB loads an RDB-form base file (aof-use-rdb-preamble).
	RDB func(r io.Reader) error
	// Progress, if set, is called before each command with how many
	// bytes of the files were read so far (up to the end of the command,
	// or of its MULTI ... EXEC block) and their total size, so that the
	// loader can size its tables for what is still to come.
	Progress func(done, total int64)
}

// Load replays the directory's files in manifest order. It reports whether
// there was anything to load.
func (a *AOF) Load(l Loader) (loaded bool, err error) {
	a.mu.Lock()
	files := a.manifest.files()
	a.mu.Unlock()
	sizes := make([]int64, len(files))
	var done, total int64
	for i, fi := range files {
		if st, err := os.Stat(a.path(fi.Name)); err == nil {
			sizes[i] = st.Size()
			total += st.Size()
		}
	}
	for i, fi := range files {
		last := i == len(files)-1
		path := a.path(fi.Name)
		if fi.Type == Base && strings.HasSuffix(fi.Name, ".rdb") {
			if err := a.loadRDB(path, l.RDB); err != nil {
				return loaded, err
			}
			loaded = true
			done += sizes[i]
			continue
		}
		n, err := a.loadCommands(path, last, l, done, total)
		if n > 0 {
			loaded = true
		}
		if err != nil {
			return loaded, err
		}
		done += sizes[i]
	}
	return loaded, nil
}

func (a *AOF) loadRDB(path string, load func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot open AOF base %q: %w", path, err)
	}
	defer f.Close()
	if load == nil {
		return fmt.Errorf("%w: %q is an RDB base but no RDB loader is set", ErrCorrupt, path)
	}
	if err := load(bufio.NewReaderSize(f, 1<<20)); err != nil {
		return fmt.Errorf("cannot load AOF base %q: %w", path, err)
	}
	return nil
}

// loadCommands replays one RESP file and returns how many commands it had.
// done is how many bytes of total the files before it had.
func (a *AOF) loadCommands(path string, last bool, l Loader, done, total int64) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) && last {
		// The newest incremental file may not exist yet if we crashed
		// right after writing the manifest: nothing was logged to it.
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cannot open AOF file %q: %w", path, err)
	}
	defer f.Close()
	rd := resp.NewReader(f)
	rd.AOF = true
	apply := func(args [][]byte) error {
		if l.Progress != nil {
			l.Progress(done+rd.Offset(), total)
		}
		return l.Command(args)
	}
	n := 0
	// A MULTI ... EXEC block is applied only once it is whole, so that a
	// crash in the middle of writing one never applies half of it.
	var tx [][][]byte
	inTx := false
	var txStart int64
	for {
		start := rd.Offset()
		args, err := rd.ReadCommand()
		if err == io.EOF && inTx {
			err = io.ErrUnexpectedEOF
		}
		if err == io.EOF {
			return n, nil
		}
		if err == io.ErrUnexpectedEOF {
			good := rd.Offset()
			if inTx {
				good = txStart
			}
			return n, a.truncatedTail(path, last, good)
		}
		if err != nil {
			return n, fmt.Errorf("%w: %q at offset %d: %v", ErrCorrupt, path, rd.Offset(), err)
		}
		switch {
		case isCommand(args, "multi") && !inTx:
			inTx, txStart = true, start
			tx = append(tx[:0], copyArgs(args))
			continue
		case inTx && !isCommand(args, "exec"):
			tx = append(tx, copyArgs(args))
			continue
		case inTx:
			inTx = false
			tx = append(tx, copyArgs(args))
			for _, c := range tx {
				if err := apply(c); err != nil {
					return n, fmt.Errorf("%w: %q at offset %d: command %q failed: %v", ErrCorrupt, path, txStart, c[0], err)
				}
				n++
			}
			continue
		}
		if err := apply(args); err != nil {
			return n, fmt.Errorf("%w: %q at offset %d: command %q failed: %v", ErrCorrupt, path, start, args[0], err)
		}
		n++
	}
}

func isCommand(args [][]byte, name string) bool {
	return len(args) == 1 && strings.EqualFold(string(args[0]), name)
}

func copyArgs(args [][]byte) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = append([]byte(nil), a...)
	}
	return out
}

// truncatedTail handles a file that ends inside a command.
func (a *AOF) truncatedTail(path string, last bool, good int64) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !last {
		return fmt.Errorf("%w: %q ends inside a command at offset %d, and it is not the last file", ErrCorrupt, path, good)
	}
	if !a.opts.LoadTruncated {
		return fmt.Errorf("%w: %q ends inside a command at offset %d (%d bytes after the last whole command); "+
			"set aof-load-truncated yes or run tools/aofcheck --fix to truncate it", ErrCorrupt, path, good, st.Size()-good)
	}
	if err := os.Truncate(path, good); err != nil {
		return fmt.Errorf("cannot truncate AOF %q: %w", path, err)
	}
	a.log.Warn("AOF ended inside a command: truncated to the last whole command",
		"file", path, "offset", good, "dropped_bytes", st.Size()-good)
	return nil
}
