package engine

import (
	"github.com/shardis/shardis/shardd/internal/ds"
	"strconv"
)

// listCommands are the list commands.
func listCommands() map[string]handler {
	return map[string]handler{
		"lpush":     cmdLPush,
		"rpush":     cmdRPush,
		"lpushx":    cmdLPushX,
		"rpushx":    cmdRPushX,
		"lpop":      cmdLPop,
		"rpop":      cmdRPop,
		"llen":      cardinality(ds.KindList),
		"lrange":    cmdLRange,
		"lindex":    cmdLIndex,
		"lset":      cmdLSet,
		"linsert":   cmdLInsert,
		"lrem":      cmdLRem,
		"ltrim":     cmdLTrim,
		"lpos":      cmdLPos,
		"lmove":     cmdLMove,
		"rpoplpush": cmdRPopLPush,
		"lmpop":     cmdLMPop,
		// The blocking variants (see blocking.go).
		"blpop":      cmdBLPop,
		"brpop":      cmdBRPop,
		"blmove":     cmdBLMove,
		"brpoplpush": cmdBRPopLPush,
		"blmpop":     cmdBLMPop,
	}
}

// Errors of the list commands, worded as Redis 7.0 words them.
var (
	errLPosRankZero       = simpleError("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
	errLPosCountNegative  = simpleError("ERR COUNT can't be negative")
	errLPosMaxlenNegative = simpleError("ERR MAXLEN can't be negative")
)

// lookupList returns key's list; nil if the key is missing.
func (x *Ctx) lookupList(key []byte) (*ds.List, error) {
	v, err := x.lookupKind(key, ds.KindList)
	if v == nil {
		return nil, err
	}
	return v.(*ds.List), nil
}

// listEnd is a list's end: LEFT (head) or RIGHT (tail).
type listEnd bool

const (
	listLeft  listEnd = true
	listRight listEnd = false
)

// parseListEnd parses LEFT|RIGHT (any case).
func parseListEnd(b []byte) (listEnd, bool) {
	switch {
	case equalFold(b, "left"):
		return listLeft, true
	case equalFold(b, "right"):
		return listRight, true
	}
	return false, false
}

func (l listEnd) pop(list *ds.List) (string, bool) {
	if l == listLeft {
		return list.PopLeft()
	}
	return list.PopRight()
}

func (l listEnd) push(list *ds.List, s string) {
	if l == listLeft {
		list.PushLeftString(s)
	} else {
		list.PushRightString(s)
	}
}

// listPopped records pops from key's list l: the key goes when the list
// is empty, as Redis never keeps empty lists.
func (x *Ctx) listPopped(key []byte, l *ds.List) {
	if l.Len() == 0 {
		x.del(key)
	} else {
		x.changed(key)
	}
}

// replyPopped pops up to count elements from end of key's non-empty list
// l and replies with them as an array. The blocking pops reuse it.
func (x *Ctx) replyPopped(key []byte, l *ds.List, end listEnd, count int64) {
	n := min(count, int64(l.Len()))
	x.r.Array(int(n))
	if n == 0 {
		return // LPOP key 0: nothing changes
	}
	for i := int64(0); i < n; i++ {
		s, _ := end.pop(l)
		x.r.BulkString(s)
	}
	x.listPopped(key, l)
}

// replyMPopped is LMPOP's (and BLMPOP's) reply for key's non-empty list:
// [key, [elements]].
func (x *Ctx) replyMPopped(key []byte, l *ds.List, end listEnd, count int64) {
	x.r.Array(2)
	x.r.Bulk(key)
	x.replyPopped(key, l, end, count)
}

// moveElement pops one element from end from of src's non-empty list sl
// and pushes it at end to of dst, creating dst's list if needed; dl is
// dst's current list (nil if missing, sl itself if dst == src). It
// returns the element moved. The caller has checked dst's type. LMOVE,
// RPOPLPUSH and their blocking variants share it.
func (x *Ctx) moveElement(src, dst []byte, sl, dl *ds.List, from, to listEnd) string {
	s, _ := from.pop(sl)
	if dl == nil {
		dl = ds.NewList()
		to.push(dl, s)
		x.set(dst, dl, 0)
	} else {
		to.push(dl, s)
		x.changed(dst)
	}
	// Checked after the push: rotating a one-element list onto itself
	// leaves it non-empty.
	x.listPopped(src, sl)
	return s
}

func cmdLPush(x *Ctx)  { pushGeneric(x, listLeft, false) }
func cmdRPush(x *Ctx)  { pushGeneric(x, listRight, false) }
func cmdLPushX(x *Ctx) { pushGeneric(x, listLeft, true) }
func cmdRPushX(x *Ctx) { pushGeneric(x, listRight, true) }

// pushGeneric is [LR]PUSH[X] key element [element ...].
func pushGeneric(x *Ctx, end listEnd, onlyExisting bool) {
	key := x.args[1]
	l, err := x.lookupList(key)
	if err != nil {
		x.r.Err(err)
		return
	}
	created := false
	if l == nil {
		if onlyExisting {
			x.r.Int(0)
			return
		}
		l, created = ds.NewList(), true
	}
	for _, a := range x.args[2:] {
		if end == listLeft {
			l.PushLeft(a)
		} else {
			l.PushRight(a)
		}
	}
	if created {
		x.set(key, l, 0)
	} else {
		x.changed(key)
	}
	x.r.Int(int64(l.Len()))
}

func cmdLPop(x *Ctx) { popGeneric(x, listLeft) }
func cmdRPop(x *Ctx) { popGeneric(x, listRight) }

// popGeneric is [LR]POP key [count].
func popGeneric(x *Ctx, end listEnd) {
	if len(x.args) > 3 {
		x.r.Err(errArity(x.spec.Name))
		return
	}
	hasCount := len(x.args) == 3
	var count int64
	if hasCount {
		n, err := parseInt(x.args[2])
		if err != nil || n < 0 {
			x.r.Err(ErrPositive)
			return
		}
		count = n
	}
	key := x.args[1]
	l, err := x.lookupList(key)
	switch {
	case err != nil:
		x.r.Err(err)
	case l == nil && hasCount:
		x.r.NullArray()
	case l == nil:
		x.r.Null()
	case hasCount:
		x.replyPopped(key, l, end, count)
	default:
		s, _ := end.pop(l)
		x.r.BulkString(s)
		x.listPopped(key, l)
	}
}

// listRange converts Redis's inclusive start and stop indexes (negative
// ones count from the tail) for a list of n elements into a half-open
// range [lo, hi); lo == hi when the range is empty.
func listRange(start, stop int64, n int) (lo, hi int) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop) + 1
}

// cmdLRange: LRANGE key start stop
func cmdLRange(x *Ctx) {
	start, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	stop, err := parseInt(x.args[3])
	if err != nil {
		x.r.Err(err)
		return
	}
	l, err := x.lookupList(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	if l == nil {
		x.r.Array(0)
		return
	}
	lo, hi := listRange(start, stop, l.Len())
	x.r.Array(hi - lo)
	for i := lo; i < hi; i++ {
		x.r.BulkString(l.At(i))
	}
}

// listIndex converts a possibly negative index into a position in a
// list of n elements; ok is false if it is out of range.
func listIndex(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// cmdLIndex: LINDEX key index
func cmdLIndex(x *Ctx) {
	l, err := x.lookupList(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	if l == nil {
		x.r.Null()
		return
	}
	n, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	if i, ok := listIndex(n, l.Len()); ok {
		x.r.BulkString(l.At(i))
	} else {
		x.r.Null()
	}
}

// cmdLSet: LSET key index element
func cmdLSet(x *Ctx) {
	key := x.args[1]
	l, err := x.lookupList(key)
	if err == nil && l == nil {
		err = ErrNoSuchKey
	}
	if err != nil {
		x.r.Err(err)
		return
	}
	n, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	i, ok := listIndex(n, l.Len())
	if !ok {
		x.r.Err(ErrIndexOutOfRange)
		return
	}
	l.Set(i, x.args[3])
	x.changed(key)
	x.r.OK()
}

// cmdLInsert: LINSERT key BEFORE|AFTER pivot element
func cmdLInsert(x *Ctx) {
	var after bool
	switch {
	case equalFold(x.args[2], "before"):
	case equalFold(x.args[2], "after"):
		after = true
	default:
		x.r.Err(ErrSyntax)
		return
	}
	key := x.args[1]
	l, err := x.lookupList(key)
	if err != nil {
		x.r.Err(err)
		return
	}
	if l == nil {
		x.r.Int(0)
		return
	}
	pivot := x.args[3]
	for i := 0; i < l.Len(); i++ {
		if l.At(i) == string(pivot) {
			if after {
				i++
			}
			l.Insert(i, x.args[4])
			x.changed(key)
			x.r.Int(int64(l.Len()))
			return
		}
	}
	x.r.Int(-1)
}

// cmdLRem: LREM key count element
func cmdLRem(x *Ctx) {
	count, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	key := x.args[1]
	l, err := x.lookupList(key)
	if err != nil {
		x.r.Err(err)
		return
	}
	if l == nil {
		x.r.Int(0)
		return
	}
	// A count beyond the list's length means "all of them" from that
	// side; clamping keeps it within int on every platform.
	c := int(max(min(count, int64(l.Len())), -int64(l.Len())))
	removed := l.RemoveMatches(x.args[3], c)
	if removed > 0 {
		x.listPopped(key, l)
	}
	x.r.Int(int64(removed))
}

// cmdLTrim: LTRIM key start stop
func cmdLTrim(x *Ctx) {
	start, err := parseInt(x.args[2])
	if err != nil {
		x.r.Err(err)
		return
	}
	stop, err := parseInt(x.args[3])
	if err != nil {
		x.r.Err(err)
		return
	}
	key := x.args[1]
	l, err := x.lookupList(key)
	if err != nil {
		x.r.Err(err)
		return
	}
	if l == nil {
		x.r.OK()
		return
	}
	lo, hi := listRange(start, stop, l.Len())
	l.Trim(lo, hi)
	// Like Redis, LTRIM counts as a modification even when it keeps
	// everything (WATCH sees it).
	x.listPopped(key, l)
	x.r.OK()
}

// cmdLPos: LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func cmdLPos(x *Ctx) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for i := 3; i < len(x.args); i++ {
		more := i+1 < len(x.args)
		switch opt := x.args[i]; {
		case equalFold(opt, "rank") && more:
			i++
			n, err := parseInt(x.args[i])
			if err != nil {
				x.r.Err(err)
				return
			}
			if n == 0 {
				x.r.Err(errLPosRankZero)
				return
			}
			rank = n
		case equalFold(opt, "count") && more:
			i++
			n, err := parseInt(x.args[i])
			if err != nil || n < 0 {
				x.r.Err(errLPosCountNegative)
				return
			}
			count = n
		case equalFold(opt, "maxlen") && more:
			i++
			n, err := parseInt(x.args[i])
			if err != nil || n < 0 {
				x.r.Err(errLPosMaxlenNegative)
				return
			}
			maxlen = n
		default:
			x.r.Err(ErrSyntax)
			return
		}
	}
	// A negative rank searches from the tail. Negating math.MinInt64
	// wraps to itself, exactly as in Redis (where every match then
	// qualifies); the wrapping arithmetic below reproduces that.
	fromTail := rank < 0
	if fromTail {
		rank = -rank
	}
	l, err := x.lookupList(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
		return
	case l == nil && count != -1:
		x.r.Array(0)
		return
	case l == nil:
		x.r.Null()
		return
	}
	elem := x.args[2]
	n := l.Len()
	var found []int64 // only with COUNT
	var matches int64
	for idx := 0; idx < n && (maxlen == 0 || int64(idx) < maxlen); idx++ {
		pos := idx
		if fromTail {
			pos = n - 1 - idx
		}
		if l.At(pos) != string(elem) {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		if count == -1 {
			x.r.Int(int64(pos))
			return
		}
		found = append(found, int64(pos))
		if count != 0 && matches-rank+1 >= count {
			break
		}
	}
	if count == -1 {
		x.r.Null()
		return
	}
	x.r.Array(len(found))
	for _, p := range found {
		x.r.Int(p)
	}
}

// cmdLMove: LMOVE source destination LEFT|RIGHT LEFT|RIGHT
func cmdLMove(x *Ctx) {
	from, ok1 := parseListEnd(x.args[3])
	to, ok2 := parseListEnd(x.args[4])
	if !ok1 || !ok2 {
		x.r.Err(ErrSyntax)
		return
	}
	lmove(x, from, to)
}

// cmdRPopLPush: RPOPLPUSH source destination
func cmdRPopLPush(x *Ctx) { lmove(x, listRight, listLeft) }

func lmove(x *Ctx, from, to listEnd) {
	src, dst := x.args[1], x.args[2]
	sl, err := x.lookupList(src)
	if err != nil {
		x.r.Err(err)
		return
	}
	if sl == nil {
		x.r.Null()
		return
	}
	dl, err := x.lookupList(dst)
	if err != nil {
		x.r.Err(err)
		return
	}
	x.r.BulkString(x.moveElement(src, dst, sl, dl, from, to))
}

// parseMPop parses [B]LMPOP's arguments from numkeys on (args[first] is
// numkeys): the keys, the end and the count (1 by default). On an error
// it has replied and ok is false.
func parseMPop(x *Ctx, first int) (keys [][]byte, end listEnd, count int64, ok bool) {
	numkeys, err := parseInt(x.args[first])
	if err != nil || numkeys <= 0 {
		x.r.Err(errNumKeys)
		return nil, false, 0, false
	}
	whereIdx := first + 1
	if numkeys >= int64(len(x.args)-whereIdx) {
		x.r.Err(ErrSyntax)
		return nil, false, 0, false
	}
	whereIdx += int(numkeys)
	end, ok = parseListEnd(x.args[whereIdx])
	if !ok {
		x.r.Err(ErrSyntax)
		return nil, false, 0, false
	}
	count = -1
	for i := whereIdx + 1; i < len(x.args); i++ {
		if count == -1 && equalFold(x.args[i], "count") && i+1 < len(x.args) {
			i++
			n, err := parseInt(x.args[i])
			if err != nil || n <= 0 {
				x.r.Err(errCountPositive)
				return nil, false, 0, false
			}
			count = n
		} else {
			x.r.Err(ErrSyntax)
			return nil, false, 0, false
		}
	}
	if count == -1 {
		count = 1
	}
	return x.args[first+1 : whereIdx], end, count, true
}

// cmdLMPop: LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
func cmdLMPop(x *Ctx) {
	keys, end, count, ok := parseMPop(x, 1)
	if !ok {
		return
	}
	for _, k := range keys {
		l, err := x.lookupList(k)
		if err != nil {
			x.r.Err(err)
			return
		}
		if l != nil {
			x.replyMPopped(k, l, end, count)
			return
		}
	}
	x.r.NullArray()
}

// word is the end's name in a command: LEFT or RIGHT.
func (l listEnd) word() []byte {
	if l == listLeft {
		return []byte("LEFT")
	}
	return []byte("RIGHT")
}

// popCommand is the non-blocking pop of an end: LPOP or RPOP.
func (l listEnd) popCommand() []byte {
	if l == listLeft {
		return []byte("LPOP")
	}
	return []byte("RPOP")
}

func cmdBLPop(x *Ctx) { bpopGeneric(x, listLeft) }
func cmdBRPop(x *Ctx) { bpopGeneric(x, listRight) }

// bpopGeneric is B[LR]POP key [key ...] timeout: pop from the first
// non-empty list, else block. It is logged as the non-blocking pop.
func bpopGeneric(x *Ctx, end listEnd) {
	timeout, err := parseTimeout(x.args[len(x.args)-1])
	if err != nil {
		x.r.Err(err)
		return
	}
	keys := x.args[1 : len(x.args)-1]
	for _, k := range keys {
		l, err := x.lookupList(k)
		if err != nil {
			x.r.Err(err)
			return
		}
		if l != nil {
			x.r.Array(2)
			x.r.Bulk(k)
			s, _ := end.pop(l)
			x.r.BulkString(s)
			x.listPopped(k, l)
			x.logAs(end.popCommand(), k)
			return
		}
	}
	x.block(keys, timeout, true)
}

// cmdBLMove: BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
func cmdBLMove(x *Ctx) {
	from, ok1 := parseListEnd(x.args[3])
	to, ok2 := parseListEnd(x.args[4])
	if !ok1 || !ok2 {
		x.r.Err(ErrSyntax)
		return
	}
	blmove(x, from, to, x.args[5])
}

// cmdBRPopLPush: BRPOPLPUSH source destination timeout
func cmdBRPopLPush(x *Ctx) { blmove(x, listRight, listLeft, x.args[3]) }

func blmove(x *Ctx, from, to listEnd, timeoutArg []byte) {
	timeout, err := parseTimeout(timeoutArg)
	if err != nil {
		x.r.Err(err)
		return
	}
	src := x.args[1]
	sl, err := x.lookupList(src)
	if err != nil {
		x.r.Err(err)
		return
	}
	if sl == nil {
		x.block([][]byte{src}, timeout, false)
		return
	}
	lmove(x, from, to)
	x.logAs([]byte("LMOVE"), src, x.args[2], from.word(), to.word())
}

// cmdBLMPop: BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
func cmdBLMPop(x *Ctx) {
	// Redis checks the other arguments before the timeout.
	keys, end, count, ok := parseMPop(x, 2)
	if !ok {
		return
	}
	timeout, err := parseTimeout(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	for _, k := range keys {
		l, err := x.lookupList(k)
		if err != nil {
			x.r.Err(err)
			return
		}
		if l != nil {
			x.replyMPopped(k, l, end, count)
			x.logAs(end.popCommand(), k, []byte(strconv.FormatInt(count, 10)))
			return
		}
	}
	x.block(keys, timeout, true)
}
