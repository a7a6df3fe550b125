// Package aof is shardd's append-only file: Redis 7's multi-part layout,
// group-committed appends with the appendfsync policies, loading with
// truncated-tail repair, and the file switches of a background rewrite.
//
// # On disk
//
// A directory (appenddirname) holds a base file, incremental files and a
// manifest that lists them in replay order, exactly as Redis 7 lays it out,
// so that redis-check-aof and operators' habits carry over:
//
//	appendonly.aof.3.base.rdb    base: a snapshot (RDB, or RESP commands as .aof)
//	appendonly.aof.3.incr.aof    commands applied after that snapshot
//	appendonly.aof.manifest      "file <name> seq <n> type <b|h|i>" per line
//
// The manifest is replaced atomically (temp file, fsync, rename, fsync of
// the directory); a file not named in it is garbage and is removed.
//
// # Appends
//
// The engine appends a command while it still holds the locks of the
// command's keys, so two commands on one key are logged in the order they
// were applied; commands on different keys commute. Append only copies
// into a shared buffer (AppendFunc encodes straight into it). Before a
// connection writes its replies it calls WaitWritten with the position of
// its last append: the first caller writes the whole buffer for everybody
// (group commit) and, with appendfsync always, fsyncs it. It yields to
// the other runnable goroutines first, so that the connections that are
// ready append their commands before the write, as Redis writes once per
// event loop iteration; otherwise, on few cores, every command would cost
// a write of its own. So a reply never reaches a client before its write
// reached the OS (and, with always, the disk). With everysec a background
// goroutine fsyncs once a second; with no, the OS decides.
//
// # Rewrite
//
// StartRewrite opens a new incremental file and lists it in the manifest
// after the current files, so from that instant every new command goes to
// the new file and a crash during the rewrite still replays everything.
// The caller then writes the new base (a snapshot of the keyspace as of
// that instant) with the returned writer, and FinishRewrite makes the
// manifest name the new base and the new incremental file only, then
// deletes the old files. How the engine takes a point-in-time snapshot
// without stopping writers is described in package engine's rewrite.go.
//
// # Loading
//
// Load replays the files in manifest order. A file that ends inside a
// command (a crash mid-write) is truncated to its last whole command when
// aof-load-truncated is yes and this is the last file, with a log line that
// says how many bytes were dropped; otherwise loading fails with the
// file's name and the offset. Anything malformed before the end is
// corruption and is never skipped. Loader.Progress tells the loader how
// far it is, so that it can size its tables for the rest.
//
// An AOF is safe for concurrent use.
package aof
