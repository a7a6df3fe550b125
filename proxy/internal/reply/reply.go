// Package reply reads RESP2 and RESP3 replies from a shard connection and
// takes them apart for the proxy's fan-out merges.
//
// Reader returns each reply's raw bytes unchanged, so that the proxy can
// forward them without re-encoding. Its parser is resumable: a reply that
// arrives in many reads is scanned once, not once per read, so a KEYS
// reply of millions of elements costs linear time. A Reader is not safe for
// concurrent use.
package reply

import (
	"errors"
	"io"
)

// ErrProtocol is a malformed reply: the connection cannot be resynced.
var ErrProtocol = errors.New("reply: protocol error from shard")

const (
	minBuffer = 16 * 1024
	// maxLine bounds a header or simple line.
	maxLine = 64 * 1024
	// MaxBulk bounds one bulk string of a reply (Redis's 512 MB).
	MaxBulk = 512 * 1024 * 1024
)

// Reader reads replies from a stream.
type Reader struct {
	rd   io.Reader
	buf  []byte
	r, w int // unread data is buf[r:w]

	// Resumable parse state of the reply starting at r: pos is the offset
	// (from r) of the next unparsed element; stack holds the elements
	// still expected by each open aggregate.
	pos   int
	stack []int64
	// done: the reply at r is complete (pos is its length).
	done bool
}

// NewReader returns a Reader on rd.
func NewReader(rd io.Reader) *Reader {
	return &Reader{rd: rd, buf: make([]byte, minBuffer)}
}

// Buffered reports how many unread bytes are buffered.
func (r *Reader) Buffered() int { return r.w - r.r }

// Ready reports whether a complete reply is buffered, so that Next would
// return without reading. It parses what is buffered (the work is not
// repeated by Next); a malformed reply reports true, and Next returns the
// error.
func (r *Reader) Ready() bool {
	if r.done {
		return true
	}
	done, err := r.advance()
	r.done = done
	return done || err != nil
}

// Next returns the raw bytes of the next complete reply. They are valid
// until the next call. Errors are ErrProtocol or the stream's error.
func (r *Reader) Next() ([]byte, error) {
	for {
		if !r.done {
			done, err := r.advance()
			if err != nil {
				return nil, err
			}
			r.done = done
		}
		if r.done {
			b := r.buf[r.r : r.r+r.pos]
			r.r += r.pos
			r.pos = 0
			r.stack = r.stack[:0]
			r.done = false
			return b, nil
		}
		if err := r.fill(); err != nil {
			if err == io.EOF && r.w > r.r {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// fill reads more data, compacting or growing the buffer as needed.
func (r *Reader) fill() error {
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.r, r.w = 0, n
	}
	if r.w == len(r.buf) {
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[:r.w])
		r.buf = nb
	} else if r.w == 0 && len(r.buf) > 64*minBuffer {
		r.buf = make([]byte, minBuffer)
	}
	n, err := r.rd.Read(r.buf[r.w:])
	r.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// advance parses as many elements as are buffered. It reports whether the
// whole reply is buffered.
func (r *Reader) advance() (bool, error) {
	b := r.buf[r.r:r.w]
	for {
		end, n, ok, err := element(b, r.pos)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, nil
		}
		r.pos = end
		if n > 0 { // an aggregate opens
			r.stack = append(r.stack, n)
			continue
		}
		// A complete element (scalar or empty aggregate): close frames.
		for {
			if len(r.stack) == 0 {
				return true, nil
			}
			top := len(r.stack) - 1
			r.stack[top]--
			if r.stack[top] > 0 {
				break
			}
			r.stack = r.stack[:top]
		}
	}
}

// element parses the element at b[pos:]. For a scalar or an empty/null
// aggregate it returns its end and n == 0; for a non-empty aggregate the
// end of its header and n, the number of child elements. ok is false when
// more data is needed.
func element(b []byte, pos int) (end int, n int64, ok bool, err error) {
	line, ok, err := headerLine(b, pos)
	if !ok || err != nil {
		return 0, 0, ok, err
	}
	end = pos + len(line) + 2
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return end, 0, true, nil
	case '$', '=', '!':
		size, ok := parseInt(line[1:])
		if !ok || size > MaxBulk || size < -1 {
			return 0, 0, false, ErrProtocol
		}
		if size < 0 {
			return end, 0, true, nil
		}
		if end+int(size)+2 > len(b) {
			return 0, 0, false, nil
		}
		return end + int(size) + 2, 0, true, nil
	case '*', '~', '>':
		count, ok := parseInt(line[1:])
		if !ok || count < -1 {
			return 0, 0, false, ErrProtocol
		}
		return end, max(count, 0), true, nil
	case '%', '|':
		count, ok := parseInt(line[1:])
		if !ok || count < -1 {
			return 0, 0, false, ErrProtocol
		}
		if line[0] == '|' {
			// An attribute precedes the reply it annotates: count it as
			// one more element of the enclosing frame.
			return end, 2*max(count, 0) + 1, true, nil
		}
		return end, 2 * max(count, 0), true, nil
	}
	return 0, 0, false, ErrProtocol
}

// headerLine returns the line at b[pos:] without its CRLF.
func headerLine(b []byte, pos int) ([]byte, bool, error) {
	if pos >= len(b) {
		return nil, false, nil
	}
	for i := pos; i < len(b)-1; i++ {
		if b[i] == '\r' {
			if i == pos {
				return nil, false, ErrProtocol
			}
			return b[pos:i], true, nil
		}
		if i-pos > maxLine {
			return nil, false, ErrProtocol
		}
	}
	return nil, false, nil
}

func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
