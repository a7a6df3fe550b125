// Package migrate is the wire contract of online resharding (moving slots
// between shards while clients work; docs/resharding.md has the design):
// the SHARDIS.* commands that shardis-meta and the proxies send to shard
// daemons and that shards send to each other, the shards' slot table
// (which slots a shard serves, at which slot-map version) and the
// retryable error with which a shard refuses a key it does not serve.
//
//	SHARDIS.SETSLOTS version spec...
//	    The shard's slot table from slot-map version `version` on. Each
//	    spec is "first-last:state" (or "slot:state"), state o (owned),
//	    m (migrating: owned, its keys moving out), i (importing: keys
//	    moving in). Slots not listed are not served. A version below the
//	    current one is refused (-ERR stale slot table ...); the same
//	    version again replaces the table (so a resumed shardis-meta can
//	    push it again). The table survives restarts.
//	SHARDIS.GETSLOTS
//	    the table: version, then the specs (an empty array when the shard
//	    never got one).
//	SHARDIS.MOVEKEYS target-addr key...
//	    moves the listed keys that exist here (value and TTL) to the shard
//	    at target-addr (SHARDIS.IMPORT) and deletes them here, each with
//	    its slot locked so no command sees it in between; keys held by a
//	    prepared transaction are moved after its decision. Replies the
//	    number of keys moved. Keys move only out of a migrating slot (or
//	    from a shard without a table): otherwise -WRONGSHARD, so a proxy
//	    with the map of an aborted move cannot take a key from its owner.
//	SHARDIS.MIGRATESLOT slot target-addr count
//	    MOVEKEYS for up to count keys of the slot; replies
//	    [moved, left] where left is the number still here.
//	SHARDIS.IMPORT key expire-at-ms payload [key expire-at-ms payload ...]
//	    (shard to shard) stores each key from a DUMP payload with an
//	    absolute expiry (0: none) unless the key exists here already (a
//	    newer write at the target wins), and replies once logged (as
//	    received: replayed, it skips the same keys). Fenced like a client
//	    command: a target that does not serve the slot refuses, and the
//	    source keeps its keys.
//
// Refusal: a keyed command for a slot the shard does not serve (not in
// the table, or migrating: its keys are served by the target through
// MOVEKEYS) gets
//
//	-WRONGSHARD <version> slot <slot> is not served by this shard
//
// where version is the shard's table version: the proxy refreshes its
// slot map until it has at least that version and retries. Sharded
// pub/sub (SPUBLISH, SSUBSCRIBE) is not fenced: a channel stays with its
// slot's owner while the slot migrates.
package migrate
