package config

// Match reports whether s matches the glob pattern with Redis's rules
// (stringmatchlen), used by CONFIG GET, KEYS, SCAN MATCH and PSUBSCRIBE:
//
//   - any run of bytes, the empty one included
//     ?        any single byte
//     [abc]    one of the listed bytes; [^abc] any other byte
//     [a-z]    a range (reversed ranges like [z-a] work too)
//     \x       the byte x itself, outside or inside brackets
//
// An unterminated "[" takes the rest of the pattern as its set. With
// nocase, ASCII letters match either case (except escaped bytes inside
// brackets, compared exactly, as in Redis).
//
// As in Redis, an empty s matches only an empty pattern: callers that
// give "*" the meaning "everything" (KEYS *, SCAN without MATCH) must
// test for it before calling Match, as Redis does.
//
// Patterns and strings are bytes, not runes. The cost is
// O(len(pattern)·len(s)) at worst: stars backtrack only to the latest
// star, never exponentially.
func Match(pattern, s string, nocase bool) bool {
	if s == "" {
		return pattern == ""
	}
	toks := compileGlob(pattern)
	// Classic two-pointer glob matching: every non-star token matches one
	// byte, so on a mismatch it is enough to let the latest star swallow
	// one more byte and retry from there.
	ti, si := 0, 0
	star, starS := -1, 0
	for si < len(s) {
		if ti < len(toks) {
			t := &toks[ti]
			if t.kind == tokStar {
				star, starS = ti, si
				ti++
				continue
			}
			if t.matches(s[si], nocase) {
				ti++
				si++
				continue
			}
		}
		if star < 0 {
			return false
		}
		starS++
		si = starS
		ti = star + 1
	}
	for ti < len(toks) && toks[ti].kind == tokStar {
		ti++
	}
	return ti == len(toks)
}

type tokKind uint8

const (
	tokStar tokKind = iota
	tokAny
	tokByte
	tokClass
)

type classItem struct {
	lo, hi byte
	exact  bool // escaped byte: compared without case folding
}

type globTok struct {
	kind  tokKind
	b     byte
	not   bool
	items []classItem
}

func (t *globTok) matches(c byte, nocase bool) bool {
	switch t.kind {
	case tokAny:
		return true
	case tokByte:
		if nocase {
			return lowerByte(t.b) == lowerByte(c)
		}
		return t.b == c
	}
	m := false
	for _, it := range t.items {
		switch {
		case it.exact:
			m = m || it.lo == c
		case it.lo == it.hi:
			if nocase {
				m = m || lowerByte(it.lo) == lowerByte(c)
			} else {
				m = m || it.lo == c
			}
		default:
			lo, hi, x := it.lo, it.hi, c
			if nocase {
				lo, hi, x = lowerByte(lo), lowerByte(hi), lowerByte(x)
			}
			m = m || (x >= lo && x <= hi)
		}
	}
	return m != t.not
}

// compileGlob cuts a pattern into tokens that each match exactly one
// byte, plus stars (runs of stars collapse into one).
func compileGlob(p string) []globTok {
	var toks []globTok
	for i := 0; i < len(p); {
		switch p[i] {
		case '*':
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar {
				toks = append(toks, globTok{kind: tokStar})
			}
			i++
		case '?':
			toks = append(toks, globTok{kind: tokAny})
			i++
		case '[':
			t := globTok{kind: tokClass}
			i++
			if i < len(p) && p[i] == '^' {
				t.not = true
				i++
			}
			for i < len(p) && p[i] != ']' {
				switch {
				case p[i] == '\\' && i+1 < len(p):
					t.items = append(t.items, classItem{lo: p[i+1], hi: p[i+1], exact: true})
					i += 2
				case i+2 < len(p) && p[i+1] == '-':
					lo, hi := p[i], p[i+2]
					if lo > hi {
						lo, hi = hi, lo
					}
					t.items = append(t.items, classItem{lo: lo, hi: hi})
					i += 3
				default:
					t.items = append(t.items, classItem{lo: p[i], hi: p[i]})
					i++
				}
			}
			i++ // the closing ']', or past the end
			toks = append(toks, t)
		case '\\':
			if i+1 < len(p) {
				i++
			}
			toks = append(toks, globTok{kind: tokByte, b: p[i]})
			i++
		default:
			toks = append(toks, globTok{kind: tokByte, b: p[i]})
			i++
		}
	}
	return toks
}
