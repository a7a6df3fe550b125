package config

import (
	"errors"

	"github.com/shardis/shardis/pkg/resp"
)

// ErrUnbalancedQuotes is returned by SplitArgs for a line whose quotes do
// not close, or whose closing quote is not followed by a space.
var ErrUnbalancedQuotes = errors.New("config: unbalanced quotes")

// SplitArgs splits a line into arguments the way Redis splits redis.conf
// lines and inline commands (sdssplitargs); resp.SplitArgs documents the
// quoting rules. An empty or blank line gives no arguments and no error.
func SplitArgs(line string) ([]string, error) {
	words, ok := resp.SplitArgs([]byte(line), nil)
	if !ok {
		return nil, ErrUnbalancedQuotes
	}
	args := make([]string, len(words))
	for i, w := range words {
		args[i] = string(w)
	}
	return args, nil
}

// Quote writes s in double quotes so that SplitArgs reads it back as one
// argument, escaping like Redis's sdscatrepr: \\ \" \n \r \t \a \b, and
// \xHH for any other byte that is not printable ASCII.
func Quote(s string) string {
	const hexDigits = "0123456789abcdef"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c <= 0x7e {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
			}
		}
	}
	return string(append(b, '"'))
}

// quoteIfNeeded leaves plain words alone and quotes anything SplitArgs
// would not read back as the same single argument.
func quoteIfNeeded(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\' {
			return Quote(s)
		}
	}
	return s
}
