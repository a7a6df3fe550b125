// Package ds holds the value types stored in shardd's keyspace: strings,
// lists, hashes, sets and sorted sets, as plain data structures without
// command semantics (those live in package engine).
//
// Every type copies the byte slices it is given, because the engine's
// arguments point into a connection's read buffer that is reused after the
// command. None of the types is safe for concurrent use: the keyspace's
// per-slot locks guard them.
package ds
