package twopc

import (
	"slices"
	"strconv"
	"strings"

	"github.com/shardis/shardis/pkg/resp"
)

// Command names.
const (
	Prepare  = "SHARDIS.PREPARE"
	Commit   = "SHARDIS.COMMIT"
	Abort    = "SHARDIS.ABORT"
	Status   = "SHARDIS.TXSTATUS"
	Forget   = "SHARDIS.FORGET"
	LockRead = "SHARDIS.LOCKREAD"
	Unlock   = "SHARDIS.UNLOCK"
	List     = "SHARDIS.TXLIST"
	// Decided is the AOF record of a decision the primary keeps (written
	// by AOF rewrite): SHARDIS.DECIDED txid committed|aborted.
	Decided = "SHARDIS.DECIDED"
)

// Error codes (the first word of an error reply).
const (
	// ErrConflict: a key is locked by another transaction; retry later.
	ErrConflict = "TXCONFLICT"
	// ErrAborted: the transaction was aborted (by timeout or by the
	// primary's decision); it can no longer commit.
	ErrAborted = "TXABORTED"
	// ErrCommitted: ABORT of a transaction that committed.
	ErrCommitted = "TXCOMMITTED"
	// ErrUnknown: COMMIT of a transaction the shard never prepared.
	ErrUnknown = "TXUNKNOWN"
)

// Decisions TXSTATUS answers.
const (
	StatusCommitted = "committed"
	StatusAborted   = "aborted"
	StatusPrepared  = "prepared"
)

// Ops a transaction may run.
const (
	OpMSET   = "MSET"
	OpMSETNX = "MSETNX"
	OpDEL    = "DEL"
	OpUNLINK = "UNLINK"
)

// PrepareArgs is a parsed SHARDIS.PREPARE.
type PrepareArgs struct {
	TxID      string
	TimeoutMs int64
	// Primary is the primary participant's address; empty on the primary.
	Primary string
	// Secondaries are the other participants' addresses, on the primary
	// only: it asks them when the coordinator does not come back.
	Secondaries []string
	Op          string // upper case
	// Args are the op's arguments: keys, or keys and values alternately.
	Args [][]byte
}

// Pairs reports whether the op takes key-value pairs.
func (p *PrepareArgs) Pairs() bool { return p.Op == OpMSET || p.Op == OpMSETNX }

// Keys returns the op's keys.
func (p *PrepareArgs) Keys() [][]byte {
	if !p.Pairs() {
		return p.Args
	}
	keys := make([][]byte, 0, len(p.Args)/2)
	for i := 0; i < len(p.Args); i += 2 {
		keys = append(keys, p.Args[i])
	}
	return keys
}

// AppendPrepare appends a SHARDIS.PREPARE command.
func AppendPrepare(dst []byte, p *PrepareArgs) []byte {
	size := 80 + len(p.TxID) + len(p.Primary)
	for _, a := range p.Secondaries {
		size += len(a) + 1
	}
	for _, a := range p.Args {
		size += len(a) + 16
	}
	dst = slices.Grow(dst, size)
	dst = resp.AppendArray(dst, 6+len(p.Args))
	dst = resp.AppendBulkString(dst, Prepare)
	dst = resp.AppendBulkString(dst, p.TxID)
	dst = resp.AppendBulkString(dst, strconv.FormatInt(p.TimeoutMs, 10))
	dst = resp.AppendBulkString(dst, p.Primary)
	dst = resp.AppendBulkString(dst, strings.Join(p.Secondaries, ","))
	dst = resp.AppendBulkString(dst, p.Op)
	for _, a := range p.Args {
		dst = resp.AppendBulk(dst, a)
	}
	return dst
}

// ParsePrepare parses args (args[0] is the command name). The returned
// Args alias args.
func ParsePrepare(args [][]byte) (PrepareArgs, error) {
	var p PrepareArgs
	if len(args) < 7 {
		return p, errSyntax("wrong number of arguments for PREPARE")
	}
	p.TxID = string(args[1])
	if p.TxID == "" {
		return p, errSyntax("empty transaction id")
	}
	t, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil || t <= 0 {
		return p, errSyntax("invalid timeout")
	}
	p.TimeoutMs = t
	p.Primary = string(args[3])
	if len(args[4]) > 0 {
		p.Secondaries = strings.Split(string(args[4]), ",")
	}
	if p.Primary != "" && len(p.Secondaries) > 0 {
		return p, errSyntax("only the primary lists the secondaries")
	}
	p.Op = strings.ToUpper(string(args[5]))
	p.Args = args[6:]
	switch p.Op {
	case OpMSET, OpMSETNX:
		if len(p.Args)%2 != 0 {
			return p, errSyntax("MSET needs key-value pairs")
		}
	case OpDEL, OpUNLINK:
	default:
		return p, errSyntax("unsupported transaction op " + p.Op)
	}
	return p, nil
}

// AppendTxCommand appends a one-argument command (COMMIT, ABORT,
// TXSTATUS, FORGET, UNLOCK) for id.
func AppendTxCommand(dst []byte, name, id string) []byte {
	dst = resp.AppendArray(dst, 2)
	dst = resp.AppendBulkString(dst, name)
	return resp.AppendBulkString(dst, id)
}

// AppendTxBatch appends COMMIT, ABORT, FORGET or UNLOCK for several ids
// at once. The shard answers as for each id alone, in an array when
// there is more than one.
func AppendTxBatch(dst []byte, name string, ids []string) []byte {
	dst = resp.AppendArray(dst, 1+len(ids))
	dst = resp.AppendBulkString(dst, name)
	for _, id := range ids {
		dst = resp.AppendBulkString(dst, id)
	}
	return dst
}

// AppendLockRead appends SHARDIS.LOCKREAD id ttl-ms cmd keys....
func AppendLockRead(dst []byte, id string, ttlMs int64, cmd string, keys [][]byte) []byte {
	dst = resp.AppendArray(dst, 4+len(keys))
	dst = resp.AppendBulkString(dst, LockRead)
	dst = resp.AppendBulkString(dst, id)
	dst = resp.AppendBulkString(dst, strconv.FormatInt(ttlMs, 10))
	dst = resp.AppendBulkString(dst, cmd)
	for _, k := range keys {
		dst = resp.AppendBulk(dst, k)
	}
	return dst
}

type errSyntax string

func (e errSyntax) Error() string { return "ERR " + string(e) }
