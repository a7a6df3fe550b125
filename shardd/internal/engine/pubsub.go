package engine

import (
	"sort"
	"sync"
	"time"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/shardd/internal/config"
)

// Pub/sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs,
// PUBLISH, SPUBLISH and PUBSUB introspection. A session's first
// subscription gives it a pushOut: from then on its replies and the
// messages published to it go out through one ordered buffer written by a
// goroutine of its own, and a subscriber that does not read is
// disconnected at the pubsub output buffer limit.

func pubsubCommands() map[string]handler {
	return map[string]handler{
		"subscribe":            cmdSubscribe,
		"psubscribe":           cmdSubscribe,
		"ssubscribe":           cmdSubscribe,
		"unsubscribe":          cmdUnsubscribe,
		"punsubscribe":         cmdUnsubscribe,
		"sunsubscribe":         cmdUnsubscribe,
		"publish":              cmdPublish,
		"spublish":             cmdPublish,
		"pubsub|channels":      cmdPubsubChannels,
		"pubsub|shardchannels": cmdPubsubChannels,
		"pubsub|numsub":        cmdPubsubNumsub,
		"pubsub|shardnumsub":   cmdPubsubNumsub,
		"pubsub|numpat":        cmdPubsubNumpat,
		"pubsub|help":          cmdPubsubHelp,
	}
}

// subKind is one of the three subscription namespaces.
type subKind int

const (
	subChannel subKind = iota
	subPattern
	subShard
)

// pubsubRegistry maps channels and patterns to their subscribers.
type pubsubRegistry struct {
	mu sync.RWMutex // guards by
	by [3]map[string]map[*Session]struct{}
}

// subscriptions are a session's own subscriptions, owned by its connection
// goroutine (the counts in Session are the shared copies).
type subscriptions struct {
	by [3]map[string]struct{}
}

func (s *Session) subCount(k subKind) int { return len(s.subs2.by[k]) }

// countFor is the number Redis reports in (un)subscribe replies: channels
// plus patterns, or shard channels alone.
func (s *Session) countFor(k subKind) int {
	if k == subShard {
		return s.subCount(subShard)
	}
	return s.subCount(subChannel) + s.subCount(subPattern)
}

func (s *Session) syncSubCounts() {
	s.subs.Store(int32(s.subCount(subChannel)))
	s.psubs.Store(int32(s.subCount(subPattern)))
	s.ssubs.Store(int32(s.subCount(subShard)))
}

// subscribed reports whether s has any subscription.
func (s *Session) subscribed() bool {
	return s.subCount(subChannel)+s.subCount(subPattern)+s.subCount(subShard) > 0
}

func kindOf(name string) subKind {
	switch name {
	case "psubscribe", "punsubscribe":
		return subPattern
	case "ssubscribe", "sunsubscribe":
		return subShard
	}
	return subChannel
}

var subVerbs = [3][2]string{
	{"subscribe", "unsubscribe"},
	{"psubscribe", "punsubscribe"},
	{"ssubscribe", "sunsubscribe"},
}

// ensurePushOut gives s its ordered push output on first use.
func (e *Engine) ensurePushOut(s *Session) {
	if s.out != nil {
		return
	}
	s.out = newPushOut(s.conn, e.pubsubLimits, func() {
		e.log.Warn("client closed for overcoming of output buffer limits", "id", s.ID, "addr", s.Addr, "class", "pubsub")
	})
}

// pubsubLimits reads client-output-buffer-limit pubsub.
func (e *Engine) pubsubLimits() (hard, soft int64, softFor time.Duration) {
	l, _ := e.cfg.OutputBufferLimit("pubsub")
	return int64(l.Hard), int64(l.Soft), time.Duration(l.SoftSeconds) * time.Second
}

func (x *Ctx) replySub(verb string, name []byte, count int) {
	x.r.Push(3)
	x.r.BulkString(verb)
	if name == nil {
		x.r.Null()
	} else {
		x.r.Bulk(name)
	}
	x.r.Int(int64(count))
}

func cmdSubscribe(x *Ctx) {
	k := kindOf(x.spec.Name)
	s := x.s
	x.e.ensurePushOut(s)
	reg := &x.e.pubsub
	for _, name := range x.args[1:] {
		n := string(name)
		if s.subs2.by[k] == nil {
			s.subs2.by[k] = make(map[string]struct{})
		}
		if _, ok := s.subs2.by[k][n]; !ok {
			s.subs2.by[k][n] = struct{}{}
			reg.mu.Lock()
			if reg.by[k] == nil {
				reg.by[k] = make(map[string]map[*Session]struct{})
			}
			set := reg.by[k][n]
			if set == nil {
				set = make(map[*Session]struct{})
				reg.by[k][n] = set
			}
			set[s] = struct{}{}
			reg.mu.Unlock()
		}
		x.replySub(subVerbs[k][0], name, s.countFor(k))
	}
	s.syncSubCounts()
}

func cmdUnsubscribe(x *Ctx) {
	k := kindOf(x.spec.Name)
	s := x.s
	names := x.args[1:]
	if len(names) == 0 {
		for n := range s.subs2.by[k] {
			names = append(names, []byte(n))
		}
		sort.Slice(names, func(i, j int) bool { return string(names[i]) < string(names[j]) })
		if len(names) == 0 {
			x.replySub(subVerbs[k][1], nil, s.countFor(k))
			return
		}
	}
	for _, name := range names {
		x.e.unsubscribe(s, k, string(name))
		x.replySub(subVerbs[k][1], name, s.countFor(k))
	}
	s.syncSubCounts()
}

func (e *Engine) unsubscribe(s *Session, k subKind, n string) {
	if _, ok := s.subs2.by[k][n]; !ok {
		return
	}
	delete(s.subs2.by[k], n)
	reg := &e.pubsub
	reg.mu.Lock()
	if set := reg.by[k][n]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(reg.by[k], n)
		}
	}
	reg.mu.Unlock()
}

// unsubscribeAll drops every subscription of a closing session.
func (e *Engine) unsubscribeAll(s *Session) {
	for k := range s.subs2.by {
		for n := range s.subs2.by[k] {
			e.unsubscribe(s, subKind(k), n)
		}
	}
	s.syncSubCounts()
}

func cmdPublish(x *Ctx) {
	k := subChannel
	if x.spec.Name == "spublish" {
		k = subShard
	}
	x.r.Int(int64(x.e.publish(k, x.args[1], x.args[2])))
}

// publish delivers msg to the subscribers of channel (and, for ordinary
// channels, of every matching pattern) and returns how many received it.
func (e *Engine) publish(k subKind, channel, msg []byte) int {
	reg := &e.pubsub
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	var enc [2][]byte // the message in RESP2 and RESP3, built once
	verb := "message"
	if k == subShard {
		verb = "smessage"
	}
	n := 0
	for s := range reg.by[k][string(channel)] {
		i := s.protoShared.Load() - 2
		if enc[i] == nil {
			enc[i] = encodeMessage(int(i)+2, verb, nil, channel, msg)
		}
		if s.out.append(enc[i]) {
			n++
		}
	}
	if k != subChannel {
		return n
	}
	for pattern, subs := range reg.by[subPattern] {
		if !config.Match(pattern, string(channel), false) {
			continue
		}
		var penc [2][]byte
		for s := range subs {
			i := s.protoShared.Load() - 2
			if penc[i] == nil {
				penc[i] = encodeMessage(int(i)+2, "pmessage", []byte(pattern), channel, msg)
			}
			if s.out.append(penc[i]) {
				n++
			}
		}
	}
	return n
}

// encodeMessage builds a message push: [verb, (pattern,) channel, msg].
func encodeMessage(proto int, verb string, pattern, channel, msg []byte) []byte {
	kind := byte('*')
	if proto == 3 {
		kind = '>'
	}
	n := 3
	if pattern != nil {
		n = 4
	}
	b := resp.AppendHeader(nil, kind, n)
	b = resp.AppendBulkString(b, verb)
	if pattern != nil {
		b = resp.AppendBulk(b, pattern)
	}
	b = resp.AppendBulk(b, channel)
	return resp.AppendBulk(b, msg)
}

func cmdPubsubChannels(x *Ctx) {
	k := subChannel
	if x.spec.Name == "pubsub|shardchannels" {
		k = subShard
	}
	if len(x.args) > 3 {
		x.r.Err(errArity(x.spec.Name))
		return
	}
	var pattern string
	if len(x.args) == 3 {
		pattern = string(x.args[2])
	}
	reg := &x.e.pubsub
	reg.mu.RLock()
	var out []string
	for n := range reg.by[k] {
		if pattern == "" || config.Match(pattern, n, false) {
			out = append(out, n)
		}
	}
	reg.mu.RUnlock()
	sort.Strings(out)
	x.r.StringArray(out)
}

func cmdPubsubNumsub(x *Ctx) {
	k := subChannel
	if x.spec.Name == "pubsub|shardnumsub" {
		k = subShard
	}
	reg := &x.e.pubsub
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	x.r.Map(len(x.args) - 2)
	for _, n := range x.args[2:] {
		x.r.Bulk(n)
		x.r.Int(int64(len(reg.by[k][string(n)])))
	}
}

func cmdPubsubNumpat(x *Ctx) {
	reg := &x.e.pubsub
	reg.mu.RLock()
	n := len(reg.by[subPattern])
	reg.mu.RUnlock()
	x.r.Int(int64(n))
}

func cmdPubsubHelp(x *Ctx) {
	x.r.StringArray([]string{
		"PUBSUB <subcommand> [<arg> ...]. Subcommands:",
		"CHANNELS [<pattern>]",
		"    Channels with at least one subscriber, optionally only those matching <pattern>.",
		"NUMPAT",
		"    How many patterns have subscribers.",
		"NUMSUB [<channel> ...]",
		"    Subscriber count of each channel (pattern subscribers not counted).",
		"SHARDCHANNELS [<pattern>]",
		"    Shard channels with at least one subscriber, optionally matching <pattern>.",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Subscriber count of each shard channel.",
		"HELP",
		"    This text.",
	})
}

// subscribedAllowed reports whether a RESP2 client with subscriptions may
// run spec (Redis allows only the subscription commands, PING, QUIT and
// RESET there).
func subscribedAllowed(name string) bool {
	switch name {
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}
