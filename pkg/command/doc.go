// Package command holds the one table of Redis command specs that every
// Shardis component uses: the shard daemon (shardd) dispatches on it, checks
// arity with it, takes its key locks from it and prints it for COMMAND; the
// proxy routes with it (which keys, hence which slots and shards, a request
// touches; whether it writes; whether it must fan out). Keeping a single
// table means the two can never disagree about a command, and a hand-kept
// second list of routes cannot go stale.
//
// Each Spec carries Redis 7.0's facts about a command: arity, flags, the
// legacy key spec (first key, last key, step), the command group and the ACL
// categories, plus a KeysFunc for the commands whose key positions depend on
// their arguments (numkeys, STORE options). Subcommands of container
// commands (CONFIG GET, OBJECT ENCODING, ...) are Specs of their own, named
// "parent|sub" as in Redis 7, and KeyPositions on a container dispatches to
// the subcommand named by the second argument. The package tests compare the
// table with a live redis-server when one is installed.
//
// # Unknown commands
//
// Lookup returns nil for a command that is not in the table: a command of
// a newer Redis, of a module, or a typo. A router that handles such a
// command anyway must assume that it may write. It cannot know which
// arguments are keys, so it cannot know which shard owns the data, whether
// the slot is being migrated, whether a prepared 2PC transaction holds the
// keys, or whether resending it after a lost reply would apply it twice.
// Treating it as a read would let it slip past every rule that protects
// writes (fencing, waiting for prepared keys, no blind retries). So
// (*Spec)(nil).IsWrite() reports true, and callers can write
// Lookup(name).IsWrite() without a nil check.
//
// # Shardis flags
//
// WholeKeyspace marks commands a proxy must fan out to every shard (KEYS,
// SCAN, DBSIZE, FLUSHDB, FLUSHALL, RANDOMKEY, SWAPDB); ShardChannel marks the
// sharded pub/sub commands, whose channels are routed by slot but are not
// keys; Internal marks the SHARDIS.* commands of the cluster protocols,
// which are refused unless the connection authenticated with the cluster
// secret. None of them is printed by COMMAND.
//
// # Concurrency
//
// The table is built when the package is initialised and never changes
// afterwards. Every function and method is safe for concurrent use; callers
// must not modify the Specs they are given. Lookup and Spec.Sub do not
// allocate.
package command
