// Package twophase is the proxy's coordinator of cross-shard atomic
// writes: MSET, MSETNX, DEL and UNLINK whose keys live on several shards
// run as a two-phase commit among those shards (docs/twopc.md has the
// protocol, pkg/twopc the wire format). It also names and releases the
// shared locks of isolated cross-shard reads (SHARDIS.LOCKREAD).
//
// The coordinator keeps no durable state: the primary participant's
// commit record is the commit point, and every shard can finish a
// transaction it prepared by itself. Run is synchronous: the client
// session calls it once every earlier request of its client is answered
// and replies with what it returns, so a client's commands keep their
// order. The commits to secondaries, aborts and the FORGET and UNLOCK
// messages that follow a reply are sent before Run (or Unlock) returns and
// their replies awaited by background goroutines, which Wait waits for.
//
// Every message goes on the shard pools' control connections
// (backend.Pool.Control), where no client command waits, so a decision
// never queues behind a command that waits for it.
//
// A Coordinator is safe for concurrent use.
package twophase
