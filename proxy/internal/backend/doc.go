// Package backend holds the proxy's connections to shard daemons.
//
// A Conn is one multiplexed, pipelined connection: requests from many
// client sessions are queued on a channel, written by one goroutine in
// batches (one write per batch) and matched to replies in order by another.
// When the connection breaks, every request in flight fails with a
// CLUSTERDOWN error and the Conn reconnects with jittered backoff; while it
// is down, new requests fail at once, so a dead shard never makes a client
// hang. A request without a reply for Options.Timeout also breaks the
// connection.
//
// A Pool is a few Conns to one shard per protocol version (RESP2 and, made
// on first use, RESP3). A session always uses the same Conn of a pool, so
// its requests to one shard execute in the order it sent them.
//
// A Dedicated connection is owned by one client session for commands that
// need a connection of their own: blocking commands, transactions (WATCH
// ... EXEC) and pub/sub.
//
// Everything here is safe for concurrent use unless noted.
package backend
