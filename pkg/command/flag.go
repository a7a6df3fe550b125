package command

import "strings"

// Flag is a bit set of command properties, named after Redis 7's COMMAND
// flags. The bit values are internal to this package and its users; they are
// never written to disk or sent over the wire (COMMAND prints names).
type Flag uint32

// The flags Redis 7.0 defines for its commands, then the ones Shardis adds.
const (
	Write           Flag = 1 << iota // "write": may modify the keyspace
	ReadOnly                         // "readonly": reads keys, never modifies them
	DenyOOM                          // "denyoom": refused when over the memory limit
	Admin                            // "admin": administrative command
	PubSub                           // "pubsub": pub/sub related
	NoScript                         // "noscript": not allowed from scripts
	Blocking                         // "blocking": may block the client
	Loading                          // "loading": allowed while the dataset loads
	Stale                            // "stale": allowed on a replica with stale data
	SkipMonitor                      // "skip_monitor": not shown in MONITOR
	SkipSlowlog                      // "skip_slowlog": not shown in SLOWLOG
	Fast                             // "fast": O(1) or O(log N)
	NoAuth                           // "no_auth": allowed before AUTH
	MayReplicate                     // "may_replicate": may be propagated although not a write (hidden by Redis 7.0's COMMAND)
	NoMandatoryKeys                  // "no_mandatory_keys": may take keys, but need not
	NoMulti                          // "no_multi": refused inside MULTI
	AllowBusy                        // "allow_busy": allowed while a script is busy

	// Shardis-specific flags; COMMAND does not print them.

	// WholeKeyspace marks commands that work on the whole keyspace of one
	// database or of all of them (KEYS, SCAN, DBSIZE, FLUSHDB, FLUSHALL,
	// RANDOMKEY, SWAPDB). A proxy must fan them out to every shard.
	WholeKeyspace
	// Internal marks the SHARDIS.* commands of the 2PC and migration
	// protocols. They are refused unless the connection authenticated with
	// the cluster secret (when one is configured).
	Internal

	// NoAsyncLoading is Redis 7.0's "no_async_loading" (refused while a
	// replica loads a dataset asynchronously). It sits after the Shardis
	// flags only so that the values above stay as specified.
	NoAsyncLoading
	// ShardChannel marks the sharded pub/sub commands (SSUBSCRIBE,
	// SUNSUBSCRIBE, SPUBLISH). Redis 7.0 reports their channel arguments in
	// the legacy key spec (FirstKey/LastKey/Step) so that a cluster can route
	// them by slot, but COMMAND GETKEYS says they are not keys. KeyPositions
	// therefore skips them and ChannelPositions returns them.
	ShardChannel
)

// printed lists the flags COMMAND prints, in the order Redis 7.0 prints them.
// "movablekeys" is not a Flag: Spec.FlagNames derives it from KeysFunc and
// puts it between "no_multi" and "allow_busy", where Redis puts it.
var printed = [...]struct {
	flag Flag
	name string
}{
	{Write, "write"},
	{ReadOnly, "readonly"},
	{DenyOOM, "denyoom"},
	{Admin, "admin"},
	{PubSub, "pubsub"},
	{NoScript, "noscript"},
	{Blocking, "blocking"},
	{Loading, "loading"},
	{Stale, "stale"},
	{SkipMonitor, "skip_monitor"},
	{SkipSlowlog, "skip_slowlog"},
	{Fast, "fast"},
	{NoAuth, "no_auth"},
	// may_replicate: Redis 7.0 hides it from COMMAND on purpose.
	{NoMandatoryKeys, "no_mandatory_keys"},
	{NoAsyncLoading, "no_async_loading"},
	{NoMulti, "no_multi"},
	// movablekeys goes here (see Spec.FlagNames).
	{AllowBusy, "allow_busy"},
}

// hidden names the flags that Names leaves out, for String.
var hidden = [...]struct {
	flag Flag
	name string
}{
	{MayReplicate, "may_replicate"},
	{WholeKeyspace, "shardis_whole_keyspace"},
	{Internal, "shardis_internal"},
	{ShardChannel, "shardis_shard_channel"},
}

// Names returns the Redis names of the flags in f that COMMAND prints, in
// the order Redis 7.0 prints them. MayReplicate and the Shardis-specific
// flags are left out, as Redis 7.0 leaves out may_replicate. The result is
// never nil.
func (f Flag) Names() []string {
	return f.appendNames(make([]string, 0, 8), false)
}

func (f Flag) appendNames(dst []string, movable bool) []string {
	for _, p := range printed {
		if p.flag == AllowBusy && movable {
			dst = append(dst, "movablekeys")
		}
		if f&p.flag != 0 {
			dst = append(dst, p.name)
		}
	}
	return dst
}

// String returns every flag in f, the printed ones first, joined by '|'.
// It is meant for messages and tests, not for COMMAND replies.
func (f Flag) String() string {
	names := f.Names()
	for _, h := range hidden {
		if f&h.flag != 0 {
			names = append(names, h.name)
		}
	}
	if len(names) == 0 {
		return "0"
	}
	return strings.Join(names, "|")
}
