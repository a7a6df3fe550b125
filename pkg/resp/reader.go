package resp

import (
	"errors"
	"io"
	"strconv"
)

// Redis's protocol limits that are not configurable.
const (
	// MaxInlineSize bounds an inline command line and the header line of a
	// multibulk or bulk (Redis's PROTO_INLINE_MAX_SIZE).
	MaxInlineSize = 64 * 1024
	// DefaultMaxBulk is proto-max-bulk-len's default: 512 MB.
	DefaultMaxBulk = 512 * 1024 * 1024
	// DefaultMaxMultibulk bounds the element count of one request.
	DefaultMaxMultibulk = 1<<31 - 1
	// preallocArgs caps how many argument slots a header may preallocate,
	// so that "*2147483647" costs nothing until the elements arrive.
	preallocArgs = 1024
	minBuffer    = 16 * 1024
)

// ProtocolError is a malformed request. The connection cannot be resynced
// after one, so servers reply with Error() and close it, as Redis does.
type ProtocolError struct{ msg string }

func (e *ProtocolError) Error() string { return "ERR Protocol error: " + e.msg }

var (
	ErrInvalidMultibulk   = &ProtocolError{"invalid multibulk length"}
	ErrInvalidBulk        = &ProtocolError{"invalid bulk length"}
	ErrBigInline          = &ProtocolError{"too big inline request"}
	ErrBigMultibulkHeader = &ProtocolError{"too big mbulk count string"}
	ErrBigBulkHeader      = &ProtocolError{"too big bulk count string"}
	ErrUnbalancedQuotes   = &ProtocolError{"unbalanced quotes in request"}
	// ErrQueryBufferLimit is returned when one request would need more
	// buffer than Reader.MaxQueryBuffer.
	ErrQueryBufferLimit = errors.New("resp: query buffer limit reached")
)

// Reader reads client requests from a stream.
type Reader struct {
	rd   io.Reader
	buf  []byte
	r, w int // unread data is buf[r:w]
	args [][]byte
	// inline holds the arguments of the last inline command, which may
	// differ from the raw bytes (quotes and escapes are resolved).
	inline []byte

	// MaxBulk is the largest accepted bulk string (proto-max-bulk-len).
	MaxBulk int64
	// MaxMultibulk is the largest accepted argument count.
	MaxMultibulk int64
	// MaxQueryBuffer bounds the bytes buffered for one request
	// (client-query-buffer-limit); 0 means no bound beyond MaxBulk.
	MaxQueryBuffer int
	// BeforeWait, if set, runs before the Reader blocks on the stream; a
	// server flushes its pending replies there. Its error is returned.
	BeforeWait func() error
	// AOF mode reads append-only files: no inline commands, and lines
	// starting with '#' (Redis 7's annotations) are skipped.
	AOF bool

	consumed int64 // bytes of the stream consumed by returned requests
}

// Offset is how many bytes of the stream the requests returned so far
// (and skipped empty requests and annotations) took: the offset of the
// next request.
func (r *Reader) Offset() int64 { return r.consumed }

// NewReader returns a Reader with Redis's default limits.
func NewReader(rd io.Reader) *Reader {
	return &Reader{rd: rd, MaxBulk: DefaultMaxBulk, MaxMultibulk: DefaultMaxMultibulk}
}

// Feed appends data that was read from the stream by someone else (a
// server watching a blocked client's connection) after what is buffered,
// so that it is parsed in order. The slices of the last request stay
// valid.
func (r *Reader) Feed(data []byte) {
	if len(data) == 0 {
		return
	}
	if r.w+len(data) > len(r.buf) {
		nb := make([]byte, r.w+len(data)+minBuffer)
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	r.w += copy(r.buf[r.w:], data)
}

// Buffered reports how many unread bytes are buffered.
func (r *Reader) Buffered() int { return r.w - r.r }

// ReadCommand returns the next request's arguments; it skips empty requests.
// The slices are valid until the next call. Errors are a *ProtocolError,
// ErrQueryBufferLimit or the stream's error: io.EOF at a clean end,
// io.ErrUnexpectedEOF when the stream ends inside a request.
func (r *Reader) ReadCommand() ([][]byte, error) {
	for {
		before := r.r
		args, need, err := r.parse()
		r.consumed += int64(r.r - before)
		if err != nil {
			return nil, err
		}
		if args != nil {
			return args, nil
		}
		if need == 0 { // an empty request was consumed
			continue
		}
		if err := r.fill(need); err != nil {
			if err == io.EOF && r.r != r.w {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// fill reads more data so that at least need bytes are buffered from r.r.
func (r *Reader) fill(need int) error {
	if r.BeforeWait != nil && r.r == r.w {
		if err := r.BeforeWait(); err != nil {
			return err
		}
	}
	if r.MaxQueryBuffer > 0 && need > r.MaxQueryBuffer {
		return ErrQueryBufferLimit
	}
	if r.r > 0 { // compact: earlier commands are done with
		n := copy(r.buf, r.buf[r.r:r.w])
		r.r, r.w = 0, n
	}
	if need > len(r.buf) {
		// Grow by doubling, not to the declared size at once, so that a
		// header claiming 512 MB costs memory only as the data arrives;
		// parse asks again for the rest.
		size := max(2*len(r.buf), minBuffer)
		nb := make([]byte, size)
		copy(nb, r.buf[:r.w])
		r.buf = nb
	} else if r.w == 0 && len(r.buf) > 4*minBuffer {
		// A big request is done: give the memory back.
		r.buf = make([]byte, minBuffer)
	}
	if r.BeforeWait != nil && r.r != r.w {
		// Partial request buffered: the client is still sending it, but
		// flushing first costs nothing and avoids waiting on each other.
		if err := r.BeforeWait(); err != nil {
			return err
		}
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

// parse tries to parse one request from the buffer. It returns the args, or
// nil args and how many bytes (from r.r) it needs before trying again;
// nil args and need 0 mean an empty request was skipped.
func (r *Reader) parse() (args [][]byte, need int, err error) {
	b := r.buf[r.r:r.w]
	if len(b) == 0 {
		return nil, 1, nil
	}
	if b[0] != '*' {
		if r.AOF {
			return r.parseAnnotation(b)
		}
		return r.parseInline(b)
	}
	line, ok := headerLine(b)
	if !ok {
		if len(b) > MaxInlineSize {
			return nil, 0, ErrBigMultibulkHeader
		}
		return nil, len(b) + 1, nil
	}
	count, ok := parseLength(line[1:])
	if !ok || count > r.MaxMultibulk {
		return nil, 0, ErrInvalidMultibulk
	}
	pos := len(line) + 2
	if count <= 0 {
		r.r += pos
		return nil, 0, nil
	}
	r.args = r.args[:0]
	if cap(r.args) < int(min(count, preallocArgs)) {
		r.args = make([][]byte, 0, min(count, preallocArgs))
	}
	for i := int64(0); i < count; i++ {
		rest := b[pos:]
		if len(rest) == 0 {
			return nil, pos + 1, nil
		}
		if rest[0] != '$' {
			return nil, 0, &ProtocolError{"expected '$', got '" + string(rest[0]) + "'"}
		}
		hl, ok := headerLine(rest)
		if !ok {
			if len(rest) > MaxInlineSize {
				return nil, 0, ErrBigBulkHeader
			}
			return nil, len(b) + 1, nil
		}
		size, ok := parseLength(hl[1:])
		if !ok || size < 0 || size > r.MaxBulk {
			return nil, 0, ErrInvalidBulk
		}
		start := pos + len(hl) + 2
		end := start + int(size)
		if end+2 > len(b) {
			return nil, end + 2, nil
		}
		// Redis does not check the bulk's trailing CRLF; neither do we.
		r.args = append(r.args, b[start:end:end])
		pos = end + 2
	}
	r.r += pos
	return r.args, 0, nil
}

func (r *Reader) parseInline(b []byte) ([][]byte, int, error) {
	nl := -1
	for i, c := range b {
		if c == '\n' {
			nl = i
			break
		}
	}
	if nl < 0 {
		if len(b) > MaxInlineSize {
			return nil, 0, ErrBigInline
		}
		return nil, len(b) + 1, nil
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	words, ok := SplitArgs(line, nil)
	if !ok {
		return nil, 0, ErrUnbalancedQuotes
	}
	r.r += nl + 1
	if len(words) == 0 {
		return nil, 0, nil
	}
	// Copy the words into one buffer owned by the reader.
	r.inline = r.inline[:0]
	r.args = r.args[:0]
	for _, w := range words {
		r.inline = append(r.inline, w...)
	}
	off := 0
	for _, w := range words {
		r.args = append(r.args, r.inline[off:off+len(w):off+len(w)])
		off += len(w)
	}
	return r.args, 0, nil
}

// parseAnnotation skips a '#' line of an AOF; anything else that is not a
// multibulk is corruption.
func (r *Reader) parseAnnotation(b []byte) ([][]byte, int, error) {
	if b[0] != '#' {
		return nil, 0, &ProtocolError{"expected '*', got '" + string(b[0]) + "'"}
	}
	for i, c := range b {
		if c == '\n' {
			r.r += i + 1
			return nil, 0, nil
		}
	}
	if len(b) > MaxInlineSize {
		return nil, 0, ErrBigInline
	}
	return nil, len(b) + 1, nil
}

// headerLine returns b's first line up to its '\r'; ok is false when the
// line and the byte after '\r' are not both buffered yet. Like Redis, the
// byte after '\r' is assumed to be '\n'.
func headerLine(b []byte) ([]byte, bool) {
	for i := 1; i < len(b)-1 && i <= MaxInlineSize+2; i++ {
		if b[i] == '\r' {
			return b[:i], true
		}
	}
	return nil, false
}

// parseLength parses a decimal length as Redis's string2ll does: an optional
// '-', digits, no leading '+', no spaces, no leading zeros.
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] == '0' {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	return n, true
}

// ParseInt parses a signed decimal integer exactly as Redis's string2ll.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	if len(b) > 1 && b[0] == '-' && len(b) <= 20 {
		if string(b) == "-9223372036854775808" {
			return -1 << 63, true
		}
	}
	return parseLength(b)
}

// FormatInt is strconv.AppendInt for callers that only import this package.
func FormatInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
