package engine

import "errors"

// Replies that are errors. Their text is the RESP error line without the
// leading '-', exactly as Redis 7.0 words it, because clients and tests
// match on it.
var (
	ErrWrongType       = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")
	ErrNotInt          = errors.New("ERR value is not an integer or out of range")
	ErrNotFloat        = errors.New("ERR value is not a valid float")
	ErrSyntax          = errors.New("ERR syntax error")
	ErrNoSuchKey       = errors.New("ERR no such key")
	ErrOverflow        = errors.New("ERR increment or decrement would overflow")
	ErrNoAuth          = errors.New("NOAUTH Authentication required.")
	ErrDBIndex         = errors.New("ERR DB index is out of range")
	ErrInvalidExpire   = errors.New("ERR invalid expire time in 'set' command")
	ErrIndexOutOfRange = errors.New("ERR index out of range")
	ErrMaxClients      = errors.New("ERR max number of clients reached")
	ErrPositive        = errors.New("ERR value is out of range, must be positive")
	// ErrInternalOnly refuses a SHARDIS.* command on a connection that did
	// not authenticate with the cluster secret (AUTH shardis <secret>).
	ErrInternalOnly = errors.New("NOPERM this command is internal to Shardis; authenticate with the cluster secret first")
)

// errArity is Redis's wrong-arity error for the command (or "parent|sub").
func errArity(name string) error {
	return errors.New("ERR wrong number of arguments for '" + name + "' command")
}

// Errors several command families share.
var (
	errNumKeys       = simpleError("ERR numkeys should be greater than 0")
	errCountPositive = simpleError("ERR count should be greater than 0")
	errOutOfRange    = simpleError("ERR value is out of range")
	errRandCount     = simpleError("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
	errInvalidCursor = simpleError("ERR invalid cursor")
	errIncrNaN       = simpleError("ERR increment would produce NaN or Infinity")
)
