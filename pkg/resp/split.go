package resp

import "bytes"

// SplitArgs splits line into words the way Redis splits inline commands and
// redis.conf lines (sdssplitargs): words are separated by spaces, tabs or
// newlines; "double quotes" understand \n \r \t \b \a \xHH and \<any>;
// 'single quotes' understand only \'; a closing quote must be followed by a
// space or the end. As in C, a NUL byte ends the line. The words are
// appended to dst as new slices. ok is false on unbalanced quotes.
func SplitArgs(line []byte, dst [][]byte) (words [][]byte, ok bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	words = dst
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return words, true
		}
		var word []byte
		inDouble, inSingle := false, false
		for done := false; !done; {
			if inDouble {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					word = append(word, hexVal(line[i+2])<<4|hexVal(line[i+3]))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						word = append(word, '\n')
					case 'r':
						word = append(word, '\r')
					case 't':
						word = append(word, '\t')
					case 'b':
						word = append(word, '\b')
					case 'a':
						word = append(word, '\a')
					default:
						word = append(word, line[i])
					}
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					word = append(word, c)
				}
			} else if inSingle {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					word = append(word, '\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					word = append(word, c)
				}
			} else {
				if i >= len(line) {
					break
				}
				switch c := line[i]; c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					word = append(word, c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		if word == nil {
			word = []byte{}
		}
		words = append(words, word)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == 0
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
