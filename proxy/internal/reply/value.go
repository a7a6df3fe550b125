package reply

import "errors"

// Kind is the first byte of a reply: '+', '-', ':', '$', '*', '_', ...
type Kind = byte

// IsError reports whether raw is an error reply.
func IsError(raw []byte) bool { return len(raw) > 0 && (raw[0] == '-' || raw[0] == '!') }

// IsNull reports whether raw is a null (RESP2 $-1 or *-1, RESP3 _).
func IsNull(raw []byte) bool {
	return len(raw) >= 3 && (raw[0] == '_' || ((raw[0] == '$' || raw[0] == '*') && raw[1] == '-'))
}

// Int parses an integer reply.
func Int(raw []byte) (int64, bool) {
	if len(raw) < 4 || raw[0] != ':' {
		return 0, false
	}
	return parseInt(raw[1 : len(raw)-2])
}

// Str returns the payload of a simple, bulk or verbatim string reply (the
// verbatim format prefix removed) and false for other kinds.
func Str(raw []byte) ([]byte, bool) {
	if len(raw) < 3 {
		return nil, false
	}
	switch raw[0] {
	case '+', '-':
		return raw[1 : len(raw)-2], true
	case '$', '=':
		line, ok, _ := headerLine(raw, 0)
		if !ok {
			return nil, false
		}
		n, ok := parseInt(line[1:])
		if !ok || n < 0 {
			return nil, false
		}
		s := raw[len(line)+2 : len(line)+2+int(n)]
		if raw[0] == '=' && len(s) >= 4 {
			s = s[4:]
		}
		return s, true
	}
	return nil, false
}

var errNotAggregate = errors.New("reply: not an aggregate")

// Elems returns the raw bytes of each element of an array, set, push or
// map (a map's keys and values alternate). A null aggregate has none.
func Elems(raw []byte) ([][]byte, error) {
	line, ok, err := headerLine(raw, 0)
	if !ok || err != nil {
		return nil, ErrProtocol
	}
	switch line[0] {
	case '*', '~', '>', '%':
	default:
		return nil, errNotAggregate
	}
	count, ok := parseInt(line[1:])
	if !ok {
		return nil, ErrProtocol
	}
	if line[0] == '%' {
		count *= 2
	}
	pos := len(line) + 2
	var out [][]byte
	for i := int64(0); i < count; i++ {
		end, err := skip(raw, pos)
		if err != nil {
			return nil, err
		}
		out = append(out, raw[pos:end])
		pos = end
	}
	return out, nil
}

// skip returns the end of the complete element at raw[pos:].
func skip(raw []byte, pos int) (int, error) {
	end, n, ok, err := element(raw, pos)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, ErrProtocol
	}
	for i := int64(0); i < n; i++ {
		end, err = skip(raw, end)
		if err != nil {
			return 0, err
		}
	}
	return end, nil
}

// ArrayHeader parses the header of an array reply: its element count and
// the header's length. ok is false for anything but a non-null array.
func ArrayHeader(raw []byte) (n int, hdrLen int, ok bool) {
	line, ok, err := headerLine(raw, 0)
	if !ok || err != nil || line[0] != '*' {
		return 0, 0, false
	}
	count, ok := parseInt(line[1:])
	if !ok || count < 0 {
		return 0, 0, false
	}
	return int(count), len(line) + 2, true
}

// Skip returns the end of the complete element that starts at raw[pos:].
func Skip(raw []byte, pos int) (int, error) { return skip(raw, pos) }

// ErrCode returns the code of an error reply, its first word ("ERR",
// "TXCONFLICT", ...), and "" for other replies.
func ErrCode(raw []byte) string {
	if !IsError(raw) {
		return ""
	}
	msg, ok := Str(raw)
	if !ok { // a RESP3 blob error
		return ""
	}
	for i, ch := range msg {
		if ch == ' ' {
			return string(msg[:i])
		}
	}
	return string(msg)
}
