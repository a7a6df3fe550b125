// Package twophase is the proxy's coordinator of cross-shard atomic
// writes: MSET, MSETNX, DEL and UNLINK whose keys live on several shards
// run as a two-phase commit among those shards (docs/twopc.md has the
// protocol, pkg/twopc the wire format). It also names and releases the
// shared locks of isolated cross-shard reads (SHARDIS.LOCKREAD).
//
// The coordinator keeps no durable state: a transaction committed once
// every participant logged its PREPARE, and every shard can finish a
// transaction it prepared by asking its peers. Run is synchronous: the
// client session calls it once every earlier request of its client is
// answered and replies with what it returns, so a client's commands keep
// their order. It returns once every PREPARE answered; the COMMITs and
// FORGETs that follow are carried by one courier per shard, which batches
// the decisions of many transactions into one message (courier.go), and
// Wait waits for them.
//
// Every message goes on the shard pools' control connections
// (backend.Pool.Control), where no client command waits, so a decision
// never queues behind a command that waits for it.
//
// A Coordinator is safe for concurrent use.
package twophase
