package backend

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/proxy/internal/reply"
)

// dial connects and runs the handshake: AUTH with the cluster secret and
// HELLO 3 for a RESP3 connection.
func dial(ctx context.Context, addr string, proto int, opts *Options) (net.Conn, error) {
	d := net.Dialer{Timeout: opts.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	var hs [][]string
	if opts.Secret != "" {
		hs = append(hs, []string{"AUTH", "shardis", opts.Secret})
	}
	if proto == 3 {
		hs = append(hs, []string{"HELLO", "3"})
	}
	if len(hs) == 0 {
		return nc, nil
	}
	var buf []byte
	for _, cmd := range hs {
		buf = Encode(buf, cmd...)
	}
	nc.SetDeadline(time.Now().Add(opts.DialTimeout))
	if _, err := nc.Write(buf); err != nil {
		nc.Close()
		return nil, err
	}
	// The shard sends nothing but these replies before the next request,
	// so this reader leaves nothing buffered behind.
	rd := reply.NewReader(nc)
	for _, cmd := range hs {
		raw, err := rd.Next()
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("handshake: %w", err)
		}
		if reply.IsError(raw) {
			nc.Close()
			return nil, fmt.Errorf("handshake %s: %s", cmd[0], bytesTrim(raw))
		}
	}
	nc.SetDeadline(time.Time{})
	return nc, nil
}

func bytesTrim(raw []byte) string {
	if s, ok := reply.Str(raw); ok {
		return string(s)
	}
	return string(raw)
}

// Encode appends args as a RESP multibulk command.
func Encode(dst []byte, args ...string) []byte {
	dst = resp.AppendArray(dst, len(args))
	for _, a := range args {
		dst = resp.AppendBulkString(dst, a)
	}
	return dst
}

// EncodeArgs appends args as a RESP multibulk command.
func EncodeArgs(dst []byte, args [][]byte) []byte {
	dst = resp.AppendArray(dst, len(args))
	for _, a := range args {
		dst = resp.AppendBulk(dst, a)
	}
	return dst
}

// Dedicated is a connection owned by one session: one request at a time
// (Do), or a stream of pushes (pub/sub, ReadReply). Not safe for
// concurrent use, except Close.
type Dedicated struct {
	Shard, Addr string
	nc          net.Conn
	rd          *reply.Reader
	opts        *Options
}

// DialDedicated opens a dedicated connection to a shard.
func DialDedicated(ctx context.Context, shard, addr string, proto int, opts *Options) (*Dedicated, error) {
	opts.defaults()
	nc, err := dial(ctx, addr, proto, opts)
	if err != nil {
		return nil, err
	}
	// No read deadline: blocking commands and subscriptions wait as long
	// as the client wants.
	return &Dedicated{Shard: shard, Addr: addr, nc: nc, rd: reply.NewReader(nc), opts: opts}, nil
}

// Write sends encoded commands without waiting.
func (d *Dedicated) Write(cmd []byte) error {
	d.nc.SetWriteDeadline(time.Now().Add(d.opts.Timeout))
	_, err := d.nc.Write(cmd)
	return err
}

// ReadReply returns the next reply (valid until the next call).
func (d *Dedicated) ReadReply() ([]byte, error) { return d.rd.Next() }

// SetReadTimeout bounds the following reads; 0 removes the bound.
func (d *Dedicated) SetReadTimeout(t time.Duration) {
	if t == 0 {
		d.nc.SetReadDeadline(time.Time{})
		return
	}
	d.nc.SetReadDeadline(time.Now().Add(t))
}

// Do sends one command and returns a copy of its reply.
func (d *Dedicated) Do(cmd []byte) ([]byte, error) {
	if err := d.Write(cmd); err != nil {
		return nil, err
	}
	raw, err := d.rd.Next()
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), raw...), nil
}

// Close closes the connection; a blocked read returns.
func (d *Dedicated) Close() error { return d.nc.Close() }
