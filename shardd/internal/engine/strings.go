package engine

import (
	"math"
	"math/big"
	"strconv"

	"github.com/shardis/shardis/shardd/internal/ds"
	"github.com/shardis/shardis/shardd/internal/keyspace"
)

// stringCommands are the string and bitmap commands.
func stringCommands() map[string]handler {
	return map[string]handler{
		"get":         cmdGet,
		"set":         cmdSet,
		"getset":      cmdGetSet,
		"getdel":      cmdGetDel,
		"getex":       cmdGetEx,
		"setnx":       cmdSetNX,
		"setex":       cmdSetEX,
		"psetex":      cmdPSetEX,
		"mget":        cmdMGet,
		"mset":        cmdMSet,
		"msetnx":      cmdMSetNX,
		"append":      cmdAppend,
		"strlen":      cmdStrlen,
		"incr":        cmdIncr,
		"decr":        cmdDecr,
		"incrby":      cmdIncrBy,
		"decrby":      cmdDecrBy,
		"incrbyfloat": cmdIncrByFloat,
		"getrange":    cmdGetRange,
		"substr":      cmdGetRange,
		"setrange":    cmdSetRange,
		"lcs":         cmdLCS,
		"setbit":      cmdSetBit,
		"getbit":      cmdGetBit,
		"bitcount":    cmdBitCount,
		"bitpos":      cmdBitPos,
		"bitop":       cmdBitOp,
		"bitfield":    cmdBitField,
		"bitfield_ro": cmdBitFieldRO,
	}
}

// Errors of the string commands, worded as Redis 7.0 words them.
var (
	errStringTooLong = simpleError("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
	errOffsetRange   = simpleError("ERR offset is out of range")
	errDecrOverflow  = simpleError("ERR decrement would overflow")
	errLCSType       = simpleError("ERR The specified keys must contain string values")
	errLCSLenAndIdx  = simpleError("ERR If you want both the length and indexes, please just use IDX.")
	errLCSTooLong    = simpleError("ERR String too long for LCS")
	errLCSMemory     = simpleError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
	errInvalidSetEx  = simpleError("ERR invalid expire time in 'setex' command")
	errInvalidPSetEx = simpleError("ERR invalid expire time in 'psetex' command")
	errInvalidGetEx  = simpleError("ERR invalid expire time in 'getex' command")
	errArityMSet     = errArity("mset")
	errArityMSetNX   = errArity("msetnx")
)

// lookupString returns key's string value; nil if missing.
func (x *Ctx) lookupString(key []byte) (*ds.String, error) {
	v, err := x.lookupKind(key, ds.KindString)
	if v == nil {
		return nil, err
	}
	return v.(*ds.String), nil
}

// maxBulk is proto-max-bulk-len, the largest string a command may build.
func (x *Ctx) maxBulk() int64 { return x.e.cfg.Bytes("proto-max-bulk-len") }

// checkStringLength refuses a string that would grow to size+add bytes
// beyond proto-max-bulk-len, as Redis's checkStringLength.
func (x *Ctx) checkStringLength(size, add int64) bool {
	if total := size + add; total > x.maxBulk() || total < size || total < add {
		x.r.Err(errStringTooLong)
		return false
	}
	return true
}

// putString stores a copy of val under key, whose current entry the caller
// looked up (e, found). It overwrites an existing string value in place,
// so that SET of a same-sized value allocates nothing. at is the new
// expiry (Unix ms, 0 for none) unless keepTTL.
func (x *Ctx) putString(key, val []byte, e keyspace.Entry, found bool, at int64, keepTTL bool) {
	if keepTTL {
		at = e.ExpireAt
	}
	if s, ok := e.Value.(*ds.String); ok && found {
		s.Set(val)
		if at != e.ExpireAt {
			x.setExpire(key, at) // also counts the change
		} else {
			x.changed(key)
		}
		return
	}
	x.set(key, ds.NewString(val), at)
}

func cmdGet(x *Ctx) {
	s, err := x.lookupString(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
	case s == nil:
		x.r.Null()
	default:
		x.r.Bulk(s.B)
	}
}

// SET and GETEX options, as the flags of Redis's
// parseExtendedStringArgumentsOrReply.
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT

	optExpire = optEX | optPX | optEXAT | optPXAT
)

// parseStringOpts parses SET's options (forSet) or GETEX's, with Redis's
// rules on which may be combined: the same option may repeat (the last
// expiry wins), conflicting ones are a syntax error. It returns the flags
// and the expiry argument, not yet parsed.
func parseStringOpts(args [][]byte, forSet bool) (flags int, expire []byte, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := i+1 < len(args)
		var exp int
		switch {
		case forSet && equalFold(a, "nx") && flags&optXX == 0:
			flags |= optNX
			continue
		case forSet && equalFold(a, "xx") && flags&optNX == 0:
			flags |= optXX
			continue
		case forSet && equalFold(a, "get"):
			flags |= optGet
			continue
		case forSet && equalFold(a, "keepttl") && flags&(optPersist|optExpire) == 0:
			flags |= optKeepTTL
			continue
		case !forSet && equalFold(a, "persist") && flags&(optKeepTTL|optExpire) == 0:
			flags |= optPersist
			continue
		case equalFold(a, "ex"):
			exp = optEX
		case equalFold(a, "px"):
			exp = optPX
		case equalFold(a, "exat"):
			exp = optEXAT
		case equalFold(a, "pxat"):
			exp = optPXAT
		default:
			return 0, nil, ErrSyntax
		}
		if !next || flags&(optKeepTTL|optPersist|optExpire&^exp) != 0 {
			return 0, nil, ErrSyntax
		}
		flags |= exp
		expire = args[i+1]
		i++
	}
	return flags, expire, nil
}

// expireAt converts the expiry argument of an EX/PX/EXAT/PXAT option to
// Unix ms, as Redis's getExpireMillisecondsOrReply: the value must be a
// positive integer whose conversion does not overflow. invalid is the
// command's "invalid expire time" error.
func expireAt(flags int, arg []byte, now int64, invalid error) (int64, error) {
	n, err := parseInt(arg)
	if err != nil {
		return 0, err
	}
	seconds := flags&(optEX|optEXAT) != 0
	if n <= 0 || (seconds && n > math.MaxInt64/1000) {
		return 0, invalid
	}
	if seconds {
		n *= 1000
	}
	if flags&(optEX|optPX) != 0 {
		n += now // wraps on overflow, as in Redis, and is refused below
	}
	if n <= 0 {
		return 0, invalid
	}
	return n, nil
}

// cmdSet: SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]
func cmdSet(x *Ctx) {
	key, val := x.args[1], x.args[2]
	if len(x.args) == 3 {
		e, found := x.lookup(key)
		x.putString(key, val, e, found, 0, false)
		x.r.OK()
		return
	}
	flags, exp, err := parseStringOpts(x.args[3:], true)
	if err != nil {
		x.r.Err(err)
		return
	}
	var at int64
	if exp != nil {
		if at, err = expireAt(flags, exp, x.now, ErrInvalidExpire); err != nil {
			x.r.Err(err)
			return
		}
	}
	e, found := x.lookup(key)
	if flags&optGet != 0 {
		// The old value is the reply; it goes out before the value is
		// overwritten in place.
		if found {
			s, ok := e.Value.(*ds.String)
			if !ok {
				x.r.Err(ErrWrongType)
				return
			}
			x.r.Bulk(s.B)
		} else {
			x.r.Null()
		}
	}
	if (flags&optNX != 0 && found) || (flags&optXX != 0 && !found) {
		if flags&optGet == 0 {
			x.r.Null()
		}
		return
	}
	x.putString(key, val, e, found, at, flags&optKeepTTL != 0)
	if exp != nil {
		x.logSetPXAT(key, val, at)
	}
	if flags&optGet == 0 {
		x.r.OK()
	}
}

// logSetPXAT makes the AOF record SET key val PXAT at, the absolute form
// Redis propagates for a SET with an expiry, so that replaying it later
// does not extend the TTL.
func (x *Ctx) logSetPXAT(key, val []byte, at int64) {
	var buf [20]byte
	x.logAs([]byte("SET"), key, val, []byte("PXAT"), strconv.AppendInt(buf[:0], at, 10))
}

func cmdGetSet(x *Ctx) {
	key := x.args[1]
	e, found := x.lookup(key)
	if !found {
		x.r.Null()
	} else if s, ok := e.Value.(*ds.String); ok {
		x.r.Bulk(s.B)
	} else {
		x.r.Err(ErrWrongType)
		return
	}
	x.putString(key, x.args[2], e, found, 0, false)
}

func cmdGetDel(x *Ctx) {
	s, err := x.lookupString(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
	case s == nil:
		x.r.Null()
	default:
		x.r.Bulk(s.B)
		x.del(x.args[1])
	}
}

// cmdGetEx: GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]
func cmdGetEx(x *Ctx) {
	key := x.args[1]
	flags, exp, err := parseStringOpts(x.args[2:], false)
	if err != nil {
		x.r.Err(err)
		return
	}
	e, found := x.lookup(key)
	if !found {
		x.r.Null()
		return
	}
	s, ok := e.Value.(*ds.String)
	if !ok {
		x.r.Err(ErrWrongType)
		return
	}
	var at int64
	if exp != nil {
		if at, err = expireAt(flags, exp, x.now, errInvalidGetEx); err != nil {
			x.r.Err(err)
			return
		}
	}
	x.r.Bulk(s.B)
	// The AOF gets the effect, as Redis propagates it.
	switch {
	case flags&(optEXAT|optPXAT) != 0 && at <= x.now:
		x.del(key)
		x.logAs([]byte("DEL"), key)
	case exp != nil:
		x.setExpire(key, at)
		var buf [20]byte
		x.logAs([]byte("PEXPIREAT"), key, strconv.AppendInt(buf[:0], at, 10))
	case flags&optPersist != 0 && e.ExpireAt != 0:
		x.setExpire(key, 0)
		x.logAs([]byte("PERSIST"), key)
	}
}

func cmdSetNX(x *Ctx) {
	key := x.args[1]
	e, found := x.lookup(key)
	if found {
		x.r.Int(0)
		return
	}
	x.putString(key, x.args[2], e, found, 0, false)
	x.r.Int(1)
}

func cmdSetEX(x *Ctx)  { setWithExpire(x, optEX, errInvalidSetEx) }
func cmdPSetEX(x *Ctx) { setWithExpire(x, optPX, errInvalidPSetEx) }

// setWithExpire is SETEX and PSETEX: SETEX key seconds value.
func setWithExpire(x *Ctx, unit int, invalid error) {
	key := x.args[1]
	at, err := expireAt(unit, x.args[2], x.now, invalid)
	if err != nil {
		x.r.Err(err)
		return
	}
	e, found := x.lookup(key)
	x.putString(key, x.args[3], e, found, at, false)
	x.logSetPXAT(key, x.args[3], at)
	x.r.OK()
}

func cmdMGet(x *Ctx) {
	keys := x.args[1:]
	x.r.Array(len(keys))
	for _, k := range keys {
		e, ok := x.lookup(k)
		if s, isStr := e.Value.(*ds.String); ok && isStr {
			x.r.Bulk(s.B)
		} else {
			x.r.Null()
		}
	}
}

func cmdMSet(x *Ctx) {
	if len(x.args)%2 == 0 {
		x.r.Err(errArityMSet)
		return
	}
	x.msetAll()
	x.r.OK()
}

func cmdMSetNX(x *Ctx) {
	if len(x.args)%2 == 0 {
		x.r.Err(errArityMSetNX)
		return
	}
	for i := 1; i < len(x.args); i += 2 {
		if _, found := x.lookup(x.args[i]); found {
			x.r.Int(0)
			return
		}
	}
	x.msetAll()
	x.r.Int(1)
}

// msetAll stores every key/value pair of MSET's arguments, dropping TTLs.
func (x *Ctx) msetAll() {
	for i := 1; i < len(x.args); i += 2 {
		key := x.args[i]
		e, found := x.lookup(key)
		x.putString(key, x.args[i+1], e, found, 0, false)
	}
}

func cmdAppend(x *Ctx) {
	key, val := x.args[1], x.args[2]
	e, found := x.lookup(key)
	if !found {
		x.set(key, ds.NewString(val), 0)
		x.r.Int(int64(len(val)))
		return
	}
	s, ok := e.Value.(*ds.String)
	if !ok {
		x.r.Err(ErrWrongType)
		return
	}
	if !x.checkStringLength(int64(len(s.B)), int64(len(val))) {
		return
	}
	s.Append(val)
	x.changed(key)
	x.r.Int(int64(len(s.B)))
}

func cmdStrlen(x *Ctx) {
	s, err := x.lookupString(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
	case s == nil:
		x.r.Int(0)
	default:
		x.r.Int(int64(len(s.B)))
	}
}

func cmdIncr(x *Ctx) { x.incrBy(x.args[1], 1) }
func cmdDecr(x *Ctx) { x.incrBy(x.args[1], -1) }

func cmdIncrBy(x *Ctx) {
	n, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	x.incrBy(x.args[1], n)
}

func cmdDecrBy(x *Ctx) {
	n, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	if n == math.MinInt64 {
		x.r.Err(errDecrOverflow)
		return
	}
	x.incrBy(x.args[1], -n)
}

// incrBy adds by to key's integer value, in place when possible, keeping
// the TTL.
func (x *Ctx) incrBy(key []byte, by int64) {
	e, found := x.lookup(key)
	if !found {
		x.set(key, ds.NewIntString(by), 0)
		x.r.Int(by)
		return
	}
	s, ok := e.Value.(*ds.String)
	if !ok {
		x.r.Err(ErrWrongType)
		return
	}
	v, ok := s.Int()
	if !ok {
		x.r.Err(ErrNotInt)
		return
	}
	if (by < 0 && v < 0 && by < math.MinInt64-v) || (by > 0 && v > 0 && by > math.MaxInt64-v) {
		x.r.Err(ErrOverflow)
		return
	}
	v += by
	s.SetInt(v)
	x.changed(key)
	x.r.Int(v)
}

func cmdIncrByFloat(x *Ctx) {
	key := x.args[1]
	e, found := x.lookup(key)
	var s *ds.String
	if found {
		var ok bool
		if s, ok = e.Value.(*ds.String); !ok {
			x.r.Err(ErrWrongType)
			return
		}
	}
	sum, err := incrByFloat(s, x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	// Redis replaces the value (keeping the TTL) with a fresh embstr,
	// and propagates the result rather than the increment.
	x.set(key, ds.NewFloatString(sum), e.ExpireAt)
	x.logAs([]byte("SET"), key, sum, []byte("KEEPTTL"))
	x.r.Bulk(sum)
}

// incrByFloat computes INCRBYFLOAT's new value of s (nil when the key is
// missing) as redis-server on x86-64 does: both operands parsed by strtold
// into 80-bit long doubles (64-bit mantissa), added with one rounding, and
// printed with "%.17Lf" less trailing zeros.
func incrByFloat(s *ds.String, incr []byte) ([]byte, error) {
	value := new(big.Float).SetPrec(ldMantBits)
	if s != nil {
		v, ok := parseLongDouble(s.B)
		if !ok {
			return nil, ErrNotFloat
		}
		value = v
	}
	by, ok := parseLongDouble(incr)
	if !ok {
		return nil, ErrNotFloat
	}
	if value.IsInf() || by.IsInf() {
		return nil, errIncrNaN
	}
	sum := new(big.Float).SetPrec(ldMantBits).Add(value, by)
	if ldOverflows(sum) {
		return nil, errIncrNaN
	}
	return formatLongDouble(sum), nil
}

// Long double emulation. x86-64's long double has a 64-bit mantissa, a
// largest finite value just below 2^16384 and subnormals down to 2^-16445;
// big.Float with 64 bits of precision rounds exactly as the FPU does,
// within that exponent range.
const (
	ldMantBits = 64
	ldMaxExp   = 16384  // values >= 2^ldMaxExp overflow
	ldMinExp   = -16445 // the smallest subnormal is 2^ldMinExp
	// maxLongDoubleChars is Redis's MAX_LONG_DOUBLE_CHARS: string2ld
	// refuses strings of this length or longer.
	maxLongDoubleChars = 5 * 1024
)

// ldOverflows reports whether f, rounded to 64 bits, is beyond the long
// double range.
func ldOverflows(f *big.Float) bool {
	return !f.IsInf() && f.Sign() != 0 && f.MantExp(nil) > ldMaxExp
}

// parseLongDouble parses b as Redis's string2ld: the whole string must be
// what glibc's strtold accepts (decimal or hexadecimal floats, inf,
// infinity; no leading space), NaN is refused, and so are values that
// overflow or underflow to zero.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleChars || isCSpace(b[0]) {
		return nil, false
	}
	neg := false
	p := b
	if p[0] == '+' || p[0] == '-' {
		neg = p[0] == '-'
		p = p[1:]
	}
	f := new(big.Float).SetPrec(ldMantBits)
	if equalFold(p, "inf") || equalFold(p, "infinity") {
		return f.SetInf(neg), true
	}
	var ok bool
	if len(p) > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') {
		ok = parseHexFloat(f, p[2:])
	} else {
		ok = parseDecFloat(f, p)
	}
	if !ok {
		return nil, false
	}
	if neg {
		f.Neg(f)
	}
	return f, true
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// splitMantissa splits digits[.digits] (at least one digit in all) into
// the digits and the number of them after the point; digit tells which
// bytes are digits. rest is what follows the mantissa.
func splitMantissa(p []byte, digit func(byte) bool) (digits []byte, frac int, rest []byte, ok bool) {
	i := 0
	for i < len(p) && digit(p[i]) {
		i++
	}
	digits = append(digits, p[:i]...)
	if i < len(p) && p[i] == '.' {
		i++
		j := i
		for i < len(p) && digit(p[i]) {
			i++
		}
		digits = append(digits, p[j:i]...)
		frac = i - j
	}
	if len(digits) == 0 {
		return nil, 0, nil, false
	}
	return digits, frac, p[i:], true
}

// parseExponent parses an exponent's [+-]digits, saturating far beyond
// any exponent that matters.
func parseExponent(p []byte) (int64, bool) {
	neg := false
	if len(p) > 0 && (p[0] == '+' || p[0] == '-') {
		neg = p[0] == '-'
		p = p[1:]
	}
	if len(p) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < 1<<40 {
			n = n*10 + int64(c-'0')
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// parseDecFloat sets f to the decimal float p (no sign), rounded once.
func parseDecFloat(f *big.Float, p []byte) bool {
	digits, frac, rest, ok := splitMantissa(p, isDigit)
	if !ok {
		return false
	}
	var exp int64
	if len(rest) > 0 {
		if rest[0] != 'e' && rest[0] != 'E' {
			return false
		}
		if exp, ok = parseExponent(rest[1:]); !ok {
			return false
		}
	}
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return true // zero
	}
	e10 := exp - int64(frac)
	// digits × 10^e10 lies in [10^(n-1+e10), 10^(n+e10)).
	n := int64(len(digits))
	if n-1+e10 > 4933 {
		return false // overflows: the largest long double is 1.19e4932
	}
	if n+e10 < -4952 {
		return false // underflows to zero: the smallest is 3.6e-4951
	}
	m, _ := new(big.Int).SetString(string(digits), 10)
	if e10 >= 0 {
		m.Mul(m, new(big.Int).Exp(big.NewInt(10), big.NewInt(e10), nil))
		f.SetInt(m)
	} else {
		d := new(big.Int).Exp(big.NewInt(10), big.NewInt(-e10), nil)
		f.SetRat(new(big.Rat).SetFrac(m, d))
	}
	return ldInRange(f)
}

// parseHexFloat sets f to the hexadecimal float p (after "0x").
func parseHexFloat(f *big.Float, p []byte) bool {
	digits, frac, rest, ok := splitMantissa(p, isHexDigit)
	if !ok {
		return false
	}
	var exp int64
	if len(rest) > 0 {
		if rest[0] != 'p' && rest[0] != 'P' {
			return false
		}
		if exp, ok = parseExponent(rest[1:]); !ok {
			return false
		}
	}
	m, _ := new(big.Int).SetString(string(digits), 16)
	if m.Sign() == 0 {
		return true
	}
	e2 := exp - 4*int64(frac)
	n := int64(m.BitLen())
	if n-1+e2 >= ldMaxExp || n+e2 < ldMinExp-1 {
		return false
	}
	f.SetInt(m)
	f.SetMantExp(f, int(e2))
	return ldInRange(f)
}

// ldInRange reports whether the parsed non-zero f neither overflows nor
// rounds to zero as a long double (strtold's ERANGE cases Redis refuses).
func ldInRange(f *big.Float) bool {
	if ldOverflows(f) {
		return false
	}
	// Below half the smallest subnormal, strtold rounds to zero; at
	// exactly half too (to even).
	half := new(big.Float).SetMantExp(big.NewFloat(1), ldMinExp-1)
	return new(big.Float).Abs(f).Cmp(half) > 0
}

// formatLongDouble prints f as Redis's ld2string in LD_STR_HUMAN mode:
// "%.17Lf", then trailing zeros (and a trailing point) dropped, and "-0"
// printed as "0".
func formatLongDouble(f *big.Float) []byte {
	b := f.Append(nil, 'f', 17)
	for i := len(b) - 1; b[i] == '0'; i-- {
		b = b[:i]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if string(b) == "-0" {
		b = b[1:]
	}
	return b
}

// cmdGetRange is GETRANGE and SUBSTR: GETRANGE key start end.
func cmdGetRange(x *Ctx) {
	start, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	end, err := parseInt(x.args[3])
	if err != nil {
		x.r.Err(err)
		return
	}
	s, err := x.lookupString(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	if s == nil {
		x.r.Bulk(nil)
		return
	}
	n := int64(len(s.B))
	if start < 0 && end < 0 && start > end {
		x.r.Bulk(nil)
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = max(start, 0)
	end = max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		x.r.Bulk(nil)
		return
	}
	x.r.Bulk(s.B[start : end+1])
}

// cmdSetRange: SETRANGE key offset value.
func cmdSetRange(x *Ctx) {
	key, val := x.args[1], x.args[3]
	off, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	if off < 0 {
		x.r.Err(errOffsetRange)
		return
	}
	e, found := x.lookup(key)
	if !found {
		if len(val) == 0 {
			x.r.Int(0)
			return
		}
		if !x.checkStringLength(off, int64(len(val))) {
			return
		}
		s := ds.NewRawString(int(off) + len(val))
		copy(s.B[off:], val)
		x.set(key, s, 0)
		x.r.Int(int64(len(s.B)))
		return
	}
	s, ok := e.Value.(*ds.String)
	if !ok {
		x.r.Err(ErrWrongType)
		return
	}
	if len(val) == 0 {
		x.r.Int(int64(len(s.B)))
		return
	}
	if !x.checkStringLength(off, int64(len(val))) {
		return
	}
	s.GrowZero(int(off) + len(val))
	copy(s.B[off:], val)
	x.changed(key)
	x.r.Int(int64(len(s.B)))
}

// cmdLCS: LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
func cmdLCS(x *Ctx) {
	ea, okA := x.lookup(x.args[1])
	eb, okB := x.lookup(x.args[2])
	var a, b []byte
	if okA {
		s, ok := ea.Value.(*ds.String)
		if !ok {
			x.r.Err(errLCSType)
			return
		}
		a = s.B
	}
	if okB {
		s, ok := eb.Value.(*ds.String)
		if !ok {
			x.r.Err(errLCSType)
			return
		}
		b = s.B
	}
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for i := 3; i < len(x.args); i++ {
		opt := x.args[i]
		switch {
		case equalFold(opt, "idx"):
			getIdx = true
		case equalFold(opt, "len"):
			getLen = true
		case equalFold(opt, "withmatchlen"):
			withMatchLen = true
		case equalFold(opt, "minmatchlen") && i+1 < len(x.args):
			n, err := parseInt(x.args[i+1])
			if err != nil {
				x.r.Err(err)
				return
			}
			minMatchLen = max(n, 0)
			i++
		default:
			x.r.Err(ErrSyntax)
			return
		}
	}
	if getIdx && getLen {
		x.r.Err(errLCSLenAndIdx)
		return
	}
	if int64(len(a)) >= math.MaxUint32-1 || int64(len(b)) >= math.MaxUint32-1 {
		x.r.Err(errLCSTooLong)
		return
	}
	alen, blen := len(a), len(b)
	if uint64(alen+1)*uint64(blen+1)*4 > uint64(x.maxBulk()) {
		x.r.Err(errLCSMemory)
		return
	}
	// lcs[i*(blen+1)+j] is the LCS length of a[:i] and b[:j].
	w := blen + 1
	lcs := make([]uint32, (alen+1)*w)
	for i := 1; i <= alen; i++ {
		row, prev := lcs[i*w:(i+1)*w], lcs[(i-1)*w:i*w]
		for j := 1; j <= blen; j++ {
			switch {
			case a[i-1] == b[j-1]:
				row[j] = prev[j-1] + 1
			case prev[j] > row[j-1]:
				row[j] = prev[j]
			default:
				row[j] = row[j-1]
			}
		}
	}
	total := lcs[alen*w+blen]
	if getLen {
		x.r.Int(int64(total))
		return
	}
	// Walk back from the end as Redis does, building the LCS and the
	// matching ranges (latest first).
	result := make([]byte, total)
	type match struct{ aStart, aEnd, bStart, bEnd uint32 }
	var matches []match
	idx := total
	const unset = math.MaxUint32
	cur := match{aStart: unset}
	i, j := uint32(alen), uint32(blen)
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if cur.aStart == unset {
				cur = match{i - 1, i - 1, j - 1, j - 1}
			} else if cur.aStart == i && cur.bStart == j {
				cur.aStart--
				cur.bStart--
			} else {
				emit = true
			}
			if cur.aStart == 0 || cur.bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if lcs[(i-1)*uint32(w)+j] > lcs[i*uint32(w)+j-1] {
				i--
			} else {
				j--
			}
			if cur.aStart != unset {
				emit = true
			}
		}
		if emit {
			if n := cur.aEnd - cur.aStart + 1; minMatchLen == 0 || int64(n) >= minMatchLen {
				matches = append(matches, cur)
			}
			cur.aStart = unset
		}
	}
	if !getIdx {
		x.r.Bulk(result)
		return
	}
	x.r.Map(2)
	x.r.BulkString("matches")
	x.r.Array(len(matches))
	for _, m := range matches {
		if withMatchLen {
			x.r.Array(3)
		} else {
			x.r.Array(2)
		}
		x.r.Array(2)
		x.r.Int(int64(m.aStart))
		x.r.Int(int64(m.aEnd))
		x.r.Array(2)
		x.r.Int(int64(m.bStart))
		x.r.Int(int64(m.bEnd))
		if withMatchLen {
			x.r.Int(int64(m.aEnd - m.aStart + 1))
		}
	}
	x.r.BulkString("len")
	x.r.Int(int64(total))
}
