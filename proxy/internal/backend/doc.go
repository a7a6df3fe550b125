// Package backend holds the proxy's connections to shard daemons.
//
// A Conn is one multiplexed, pipelined connection. It has no writer
// goroutine: a client session appends its encoded request to the Conn's
// write buffer (Send) and, once it has dispatched everything its client
// sent, writes the buffer (Flush) unless another goroutine is writing it
// already, which then writes the new requests too. So requests of many
// clients go out in one write under load, and an idle proxy adds one write
// per request, with no goroutine handoff. One goroutine per Conn connects,
// reads the replies all the time and hands each to its request's Waiter,
// in order; the Waiter (the session) puts the reply in its client's output
// and returns a Flusher, run once no further reply is buffered, so a burst
// of replies reaches a client in one write.
//
// When the connection breaks, every request in flight fails with a
// CLUSTERDOWN error and the Conn reconnects with jittered backoff; while it
// is down, new requests fail at once, so a dead shard never makes a client
// hang. A shard that answers nothing for Options.Timeout while a request
// waits also breaks the connection.
//
// A Pool is a few Conns to one shard per protocol version (RESP2 and, made
// on first use, RESP3). A session always uses the same Conn of a pool, so
// its requests to one shard execute in the order it sent them. A Pool also
// has control Conns (RESP2, made on first use) that carry only the
// messages of cross-shard transactions and reads, never a client command:
// a shard holds a client command that touches a prepared transaction's
// keys until the transaction is decided, so the decision must not queue
// behind it. SendAll sends requests to several Conns at once and waits
// for all the replies.
//
// A Dedicated connection is owned by one client session for commands that
// need a connection of their own: blocking commands, transactions (WATCH
// ... EXEC) and pub/sub.
//
// Everything here is safe for concurrent use unless noted. Lock order:
// Conn.mu is never held while a Waiter or Flusher runs.
package backend
