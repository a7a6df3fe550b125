// Package server is shardd's network front end: it accepts RESP
// connections, reads requests with package resp (Redis's limits and
// protocol errors), runs them on the engine and writes the replies.
//
// Each connection has one goroutine that reads a request, executes it and
// appends the reply to the session's buffer; the buffer is written to the
// socket when no further request is already buffered (so a pipeline of N
// requests costs one write, as in Redis) or when it grows large.
//
// The Server is safe for concurrent use; Close stops accepting, closes
// every connection and waits for their goroutines.
package server
