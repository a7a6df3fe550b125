// Command aofcheck verifies a shardd (or Redis 7) append-only directory and
// optionally repairs a torn tail, like redis-check-aof:
//
//	aofcheck [--fix] /path/to/appendonlydir [appendfilename]
//
// It replays every file named by the manifest through the AOF reader,
// without applying anything, and reports the number of commands per file.
// A file that ends inside a command (a crash mid-write) is reported with
// the offset of its last whole command; with --fix the last file is
// truncated there. Corruption anywhere else is reported with the file and
// offset and never "fixed", because cutting it would drop acknowledged
// writes that follow. Exit status: 0 valid (or repaired), 1 damaged, 2
// usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/shardis/shardis/shardd/aof"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("aofcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fix := fs.Bool("fix", false, "truncate a torn tail of the last file to its last whole command")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: aofcheck [--fix] APPENDONLYDIR [APPENDFILENAME]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fs.Usage()
		return 2
	}
	name := "appendonly.aof"
	if fs.NArg() == 2 {
		name = fs.Arg(1)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	a, err := aof.Open(aof.Options{Dir: fs.Arg(0), Name: name, LoadTruncated: *fix, Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, "aofcheck:", err)
		return 1
	}
	n := 0
	_, err = a.Load(aof.Loader{
		Command: func([][]byte) error { n++; return nil },
		// An RDB base is checked by shardd when it loads it; here it is
		// only skipped over.
		RDB: func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err },
	})
	switch {
	case errors.Is(err, aof.ErrCorrupt):
		fmt.Fprintln(stderr, "aofcheck: AOF is not valid:", err)
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "aofcheck:", err)
		return 1
	}
	fmt.Fprintf(stdout, "AOF %s is valid: %d commands\n", fs.Arg(0), n)
	return 0
}
