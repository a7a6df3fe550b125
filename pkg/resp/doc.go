// Package resp reads and writes the Redis serialization protocol (RESP2 and
// RESP3) for Shardis's servers and clients.
//
// Reader parses client requests: multibulk arrays and inline commands, with
// the limits Redis enforces (bulk length, multibulk count, inline size) and
// Redis's exact protocol error texts, so a malformed or hostile request gets
// a clear error and never makes the server allocate more than the limits
// allow. The argument slices a Reader returns point into its buffer and are
// valid only until the next call; callers that keep an argument must copy it.
//
// The Append functions encode replies into a caller-owned byte slice; they
// never allocate beyond growing that slice. SplitArgs splits a line the way
// Redis splits inline commands and redis.conf lines.
//
// A Reader is not safe for concurrent use; the Append functions are pure.
package resp
