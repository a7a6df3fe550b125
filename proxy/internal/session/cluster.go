package session

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/pkg/twopc"
	"github.com/shardis/shardis/proxy/internal/backend"
	"github.com/shardis/shardis/proxy/internal/reply"
	"github.com/shardis/shardis/proxy/internal/router"
	"github.com/shardis/shardis/proxy/internal/twophase"
)

// Commands that span shards: multi-key fan-out and whole-keyspace
// commands.

// fanAll sends args to every registered shard in parallel and merges the
// replies with merge.
func (s *Session) fanAll(args [][]byte, merge func(c *call) []byte) *call {
	t, ec := s.table()
	if t == nil {
		return ec
	}
	c := s.newCall()
	c.merge = merge
	for _, p := range t.Shards {
		i := c.addSub(p.Conn(s.id, s.proto))
		c.subs[i].cmd = backend.EncodeArgs(c.subs[i].cmd, args)
	}
	return c
}

// firstError returns (a copy of) the first error reply among the
// sub-requests.
func firstError(c *call) []byte {
	for _, u := range c.subs {
		if reply.IsError(u.reply) {
			return append([]byte(nil), u.reply...)
		}
	}
	return nil
}

func mergeSum(c *call) []byte {
	if e := firstError(c); e != nil {
		return e
	}
	var sum int64
	for _, u := range c.subs {
		n, ok := reply.Int(u.reply)
		if !ok {
			return resp.AppendError(nil, "ERR unexpected reply from a shard")
		}
		sum += n
	}
	return resp.AppendInt(nil, sum)
}

func mergeOK(c *call) []byte {
	if e := firstError(c); e != nil {
		return e
	}
	return []byte("+OK\r\n")
}

func (s *Session) mergeRandom(c *call) []byte {
	if e := firstError(c); e != nil {
		return e
	}
	var keys [][]byte
	for _, u := range c.subs {
		if !reply.IsNull(u.reply) {
			keys = append(keys, u.reply)
		}
	}
	if len(keys) == 0 {
		return s.appendNull(nil)
	}
	return append([]byte(nil), keys[rand.IntN(len(keys))]...)
}

// mergeKeyspace sums the "db0:keys=..,expires=..,avg_ttl=.." lines of the
// shards' INFO keyspace.
func mergeKeyspace(c *call) string {
	type sums struct{ keys, expires, ttl, n int64 }
	dbs := map[string]*sums{}
	for _, u := range c.subs {
		text, ok := reply.Str(u.reply)
		if !ok {
			continue
		}
		for _, line := range strings.Split(string(text), "\r\n") {
			db, fields, ok := strings.Cut(line, ":")
			if !ok || !strings.HasPrefix(db, "db") {
				continue
			}
			sm := dbs[db]
			if sm == nil {
				sm = &sums{}
				dbs[db] = sm
			}
			for _, f := range strings.Split(fields, ",") {
				k, v, _ := strings.Cut(f, "=")
				n, _ := strconv.ParseInt(v, 10, 64)
				switch k {
				case "keys":
					sm.keys += n
				case "expires":
					sm.expires += n
				case "avg_ttl":
					sm.ttl += n
					sm.n++
				}
			}
		}
	}
	var b strings.Builder
	b.WriteString("# Keyspace\r\n")
	names := make([]string, 0, len(dbs))
	for db := range dbs {
		names = append(names, db)
	}
	sort.Strings(names)
	for _, db := range names {
		sm := dbs[db]
		avg := int64(0)
		if sm.n > 0 {
			avg = sm.ttl / sm.n
		}
		fmt.Fprintf(&b, "%s:keys=%d,expires=%d,avg_ttl=%d\r\n", db, sm.keys, sm.expires, avg)
	}
	return b.String()
}

// multiShard handles a keyed command whose keys live on several shards,
// none of them migrating, except cross-shard writes (route): MGET and
// EXISTS are isolated reads over the shards, TOUCH a plain fan-out; every
// other command fails with CROSSSLOT.
func (s *Session) multiShard(spec *command.Spec, t *router.Table, args [][]byte, pos []int) *call {
	switch spec.Name {
	case "mget", "exists", "touch":
		return s.fanKeys(spec, t, args, pos, &s.keyBuf)
	}
	return errCall(errCrossSlot)
}

// isCrossWrite reports whether spec runs as a two-phase commit when its
// keys span shards.
func isCrossWrite(spec *command.Spec) bool {
	switch spec.Name {
	case "mset", "msetnx", "del", "unlink":
		return true
	}
	return false
}

// groupKeys assigns the keys at pos to the shards serving them: it appends
// to pools the shards in the order they first appear and to kg each key's
// index in pools.
func groupKeys(t *router.Table, args [][]byte, pos []int, pools []*backend.Pool, kg []uint16) ([]*backend.Pool, []uint16) {
	for _, at := range pos {
		p, _ := t.Serving(slot.Of(args[at]))
		g := slices.Index(pools, p)
		if g < 0 {
			g = len(pools)
			pools = append(pools, p)
		}
		kg = append(kg, uint16(g))
	}
	return pools, kg
}

// fanKeys sends one sub-command per shard with that shard's keys, in
// parallel, and merges the replies in request order (MGET) or sums them.
// MGET and EXISTS go as SHARDIS.LOCKREAD: each shard waits for the
// transactions prepared on its keys and holds shared locks on them until
// every shard has answered, so the read never sees half of a cross-shard
// write. kb is scratch space for the sub-commands' arguments.
func (s *Session) fanKeys(spec *command.Spec, t *router.Table, args [][]byte, pos []int, kb *[][]byte) *call {
	c := s.newCall()
	c.pools, c.mget = groupKeys(t, args, pos, c.pools, c.mget)
	var inner string
	switch spec.Name {
	case "mget":
		inner = "MGET"
	case "exists":
		inner = "EXISTS"
	}
	if inner != "" {
		c.readID = s.env.Tx.ReadID()
	}
	for g, p := range c.pools {
		i := c.addSub(p.Conn(s.id, s.proto))
		cmd := append((*kb)[:0], args[0])
		for k, kg := range c.mget {
			if int(kg) == g {
				cmd = append(cmd, args[pos[k]])
			}
		}
		if inner != "" {
			c.subs[i].cmd = twopc.AppendLockRead(c.subs[i].cmd, c.readID, twophase.ReadLockTTLMs, inner, cmd[1:])
		} else {
			c.subs[i].cmd = backend.EncodeArgs(c.subs[i].cmd, cmd)
		}
		clear(cmd) // they alias the client's request
		*kb = cmd[:0]
	}
	if spec.Name == "mget" {
		c.merge = mergeMGET
	} else {
		c.merge = mergeSum
		c.mget = c.mget[:0]
	}
	return c
}

// crossWrite runs MSET, MSETNX, DEL or UNLINK whose keys span shards as
// a two-phase commit whose primary is the shard of the first key, and
// returns the reply. The session runs it once every earlier request of
// the client is answered, and the client's next requests after it, so
// the client sees its commands in order (route). A PREPARE refused with
// WRONGSHARD aborts the transaction and is the reply, which the caller
// (fenced) retries by a newer map.
func (s *Session) crossWrite(spec *command.Spec, t *router.Table, args [][]byte, pos []int) []byte {
	pairs := spec.Name == "mset" || spec.Name == "msetnx"
	if pairs && len(args)%2 == 0 {
		return resp.AppendError(nil, fmt.Sprintf("ERR wrong number of arguments for '%s' command", spec.Name))
	}
	pools, kg := groupKeys(t, args, pos, nil, nil)
	parts := make([]twophase.Part, len(pools))
	per := make([]int, len(pools))
	for _, g := range kg {
		per[g]++
	}
	width := 1
	if pairs {
		width = 2
	}
	for g, p := range pools {
		parts[g].Pool = p
		parts[g].Args = make([][]byte, 0, width*per[g])
	}
	for k, at := range pos {
		pt := &parts[kg[k]]
		pt.Args = append(pt.Args, args[at])
		if pairs {
			pt.Args = append(pt.Args, args[at+1])
		}
	}
	out, pending := s.env.Tx.Run(s.ctx, strings.ToUpper(spec.Name), parts, s.id, s.lastCross.Load())
	if pending != nil {
		s.lastCross.Store(pending)
	}
	return out
}

// mergeMGET puts the values the shards returned for their keys back in
// the order of the request: c.mget holds each key's sub, and each sub's
// reply lists its keys' values in request order.
func mergeMGET(c *call) []byte {
	if e := firstError(c); e != nil {
		return e
	}
	var offs [8]int
	var off []int
	if len(c.subs) <= len(offs) {
		off = offs[:len(c.subs)]
	} else {
		off = make([]int, len(c.subs))
	}
	for g := range c.subs {
		n, hl, ok := reply.ArrayHeader(c.subs[g].reply)
		want := 0
		for _, kg := range c.mget {
			if int(kg) == g {
				want++
			}
		}
		if !ok || n != want {
			return resp.AppendError(nil, "ERR unexpected reply from a shard")
		}
		off[g] = hl
	}
	b := resp.AppendArray(c.reply[:0], len(c.mget))
	for _, g := range c.mget {
		r := c.subs[g].reply
		end, err := reply.Skip(r, off[g])
		if err != nil {
			return resp.AppendError(nil, "ERR unexpected reply from a shard")
		}
		b = append(b, r[off[g]:end]...)
		off[g] = end
	}
	return b
}

// scan serves SCAN with a cursor that walks the slots in order: the slot
// number plus, above it (times slot.Count), a position inside the slot.
// A step asks the owner of a run of slots for their keys from that slot
// and position on (SHARDIS.SCANSLOT: small slots whole, big ones in pages
// of a snapshot) and moves the cursor to where it stopped. The shard
// refuses slots it does not own whole, so a proxy with an old map waits
// for the new one instead of reading an emptied slot. A slot being
// migrated is read whole from its source and then its target and the
// results merged, so a key moved in between is still seen. Every key
// present for the whole scan is therefore returned, even when its slot
// moves to another shard between calls (keys may come twice, as SCAN
// allows).
func (s *Session) scan(args [][]byte) *call {
	t, ec := s.table()
	if t == nil {
		return ec
	}
	cursor, err := strconv.ParseUint(string(args[1]), 10, 64)
	if err != nil {
		return errCall("ERR invalid cursor")
	}
	count := 10
	var opts [][]byte
	for i := 2; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		if i+1 >= len(args) {
			return errCall("ERR syntax error")
		}
		switch opt {
		case "count":
			n, err := strconv.Atoi(string(args[i+1]))
			if err != nil {
				return errCall("ERR value is not an integer or out of range")
			}
			if n < 1 {
				return errCall("ERR syntax error")
			}
			count = n
		case "match", "type":
			opts = append(opts, args[i], args[i+1])
		default:
			return errCall("ERR syntax error")
		}
		i++
	}
	keys, cur, pos, e := s.walkSlots(int(cursor%slot.Count), cursor/slot.Count, count, 64, opts)
	switch {
	case e != nil:
		return &call{reply: e}
	case cur >= slot.Count:
		return s.scanReply(0, keys)
	}
	return s.scanReply(pos*slot.Count+uint64(cur), keys)
}

// keys serves KEYS pattern as one walk over all the slots (walkSlots):
// like SCAN, and unlike asking every shard at once, it returns every
// key present throughout even while slots move.
func (s *Session) keys(args [][]byte) *call {
	if t, ec := s.table(); t == nil {
		return ec
	}
	keys, _, _, e := s.walkSlots(0, 0, math.MaxInt32, math.MaxInt, [][]byte{[]byte("MATCH"), args[1]})
	if e != nil {
		return &call{reply: e}
	}
	b := resp.AppendArray(nil, len(keys))
	for _, k := range keys {
		b = append(b, k...)
	}
	return &call{reply: b}
}

// walkSlots collects the raw keys (MATCH and TYPE in opts) of the slots
// from slot cur, at position pos in it, on, until it has count keys,
// made steps shard calls or passed the last slot; it returns them and
// where it stopped, or an error reply.
func (s *Session) walkSlots(cur int, pos uint64, count, steps int, opts [][]byte) ([][]byte, int, uint64, []byte) {
	var keys [][]byte
	for ; cur < slot.Count && len(keys) < count && steps > 0; steps-- {
		t := s.env.Router.Current()
		if t.Migrating[cur] != nil {
			got, e := s.scanMigrating(t, cur, count, opts)
			if e != nil {
				return nil, 0, 0, e
			}
			keys = append(keys, got...)
			cur, pos = cur+1, 0
			continue
		}
		p := t.Owner[cur]
		last := cur
		for last+1 < slot.Count && t.Owner[last+1] == p && t.Migrating[last+1] == nil {
			last++
		}
		cmd := [][]byte{[]byte("SHARDIS.SCANSLOT"), []byte(strconv.Itoa(cur)), []byte(strconv.FormatUint(pos, 10)),
			[]byte(strconv.Itoa(last)), []byte("COUNT"), []byte(strconv.Itoa(count - len(keys)))}
		raw := p.Conn(s.id, s.proto).Do(backend.EncodeArgs(nil, append(cmd, opts...)))
		if v, refused := wrongShard(raw); refused {
			wctx, cancel := context.WithTimeout(s.ctx, fenceWait)
			_, ok := s.env.Router.Wait(wctx, max(v, t.Version+1))
			cancel()
			if !ok {
				return nil, 0, 0, raw
			}
			continue // the same slot and position, by the newer map
		}
		next, npos, got, e := parseScanSlot(raw)
		if e != nil {
			return nil, 0, 0, e
		}
		keys = append(keys, got...)
		cur, pos = next, npos
	}
	return keys, cur, pos, nil
}

// parseScanSlot parses a SHARDIS.SCANSLOT reply: the next slot and
// position and the raw keys, or an error reply.
func parseScanSlot(raw []byte) (int, uint64, [][]byte, []byte) {
	if reply.IsError(raw) {
		return 0, 0, nil, raw
	}
	bad := resp.AppendError(nil, "ERR unexpected SCANSLOT reply from a shard")
	el, err := reply.Elems(raw)
	if err != nil || len(el) != 3 {
		return 0, 0, nil, bad
	}
	next, ok := reply.Int(el[0])
	ps, ok2 := reply.Str(el[1])
	pos, err := strconv.ParseUint(string(ps), 10, 64)
	keys, err2 := reply.Elems(el[2])
	if !ok || !ok2 || err != nil || err2 != nil || next < 0 || next > slot.Count {
		return 0, 0, nil, bad
	}
	return int(next), pos, keys, nil
}

// scanMigrating returns the keys of slot cur, being migrated, from its
// source and then its target, each once.
func (s *Session) scanMigrating(t *router.Table, cur, count int, opts [][]byte) ([][]byte, []byte) {
	var got [][]byte
	seen := map[string]bool{}
	for _, p := range []*backend.Pool{t.Owner[cur], t.Migrating[cur]} {
		el, _, e := s.scanShard(p, cur, count, opts)
		if e != nil {
			return nil, e
		}
		for _, k := range el {
			if ks, ok := reply.Str(k); ok && slot.Of(ks) == cur && !seen[string(ks)] {
				seen[string(ks)] = true
				got = append(got, k)
			}
		}
	}
	return got, nil
}

// scanShard runs SCAN from slot cur on p and returns the raw keys and the
// shard's next cursor.
func (s *Session) scanShard(p *backend.Pool, cur, count int, opts [][]byte) ([][]byte, int, []byte) {
	args := [][]byte{[]byte("SCAN"), []byte(strconv.Itoa(cur)), []byte("COUNT"), []byte(strconv.Itoa(max(count, 1)))}
	args = append(args, opts...)
	raw := p.Conn(s.id, s.proto).Do(backend.EncodeArgs(nil, args))
	if reply.IsError(raw) {
		return nil, 0, raw
	}
	el, err := reply.Elems(raw)
	if err != nil || len(el) != 2 {
		return nil, 0, resp.AppendError(nil, "ERR unexpected SCAN reply from a shard")
	}
	cs, _ := reply.Str(el[0])
	next, err := strconv.Atoi(string(cs))
	if err != nil {
		return nil, 0, resp.AppendError(nil, "ERR unexpected SCAN reply from a shard")
	}
	keys, err := reply.Elems(el[1])
	if err != nil {
		return nil, 0, resp.AppendError(nil, "ERR unexpected SCAN reply from a shard")
	}
	return keys, next, nil
}

func (s *Session) scanReply(cursor uint64, keys [][]byte) *call {
	b := resp.AppendArray(nil, 2)
	b = resp.AppendBulkString(b, strconv.FormatUint(cursor, 10))
	b = resp.AppendArray(b, len(keys))
	for _, k := range keys {
		b = append(b, k...)
	}
	return &call{reply: b}
}
