// Package twopc is the wire contract of Shardis's cross-shard atomic
// writes: the names and argument formats of the SHARDIS.* commands that a
// proxy (the coordinator) sends to shard daemons (the participants), and
// the error codes the shards answer with. Both sides build and parse the
// commands here, so the format lives in one place.
//
// The protocol (docs/twopc.md has the full design):
//
//	SHARDIS.PREPARE txid timeout-ms primary-addr secondaries op args...
//	    op is MSET, MSETNX, DEL or UNLINK with this shard's keys (and
//	    values). The shard validates, locks the keys, logs the record and
//	    answers an integer: the number of the keys that exist (always 0
//	    for MSET, whose reply does not depend on it). MSETNX
//	    whose keys exist answers that number without preparing. A key
//	    locked by another transaction gives -TXCONFLICT at once.
//	    primary-addr is empty on the primary participant, which holds the
//	    decision; the others ask it (TXSTATUS) when the coordinator does
//	    not come back within timeout-ms. secondaries, on the primary only,
//	    lists the other participants' addresses separated by commas: the
//	    transaction committed once all of them prepared, so that is what
//	    the primary asks them when the coordinator does not come back.
//	SHARDIS.COMMIT txid...   apply, log, unlock; idempotent
//	SHARDIS.ABORT txid...    unlock; an unknown id is recorded as
//	                         aborted, so a late PREPARE cannot revive it
//	SHARDIS.TXSTATUS txid    committed, aborted or prepared (an unknown
//	                         id is recorded as aborted, likewise)
//	SHARDIS.FORGET txid...   the primary drops a decision every
//	                         participant has applied
//	SHARDIS.LOCKREAD id ttl-ms MGET|EXISTS key...
//	    a read that waits for prepared transactions on its keys and then
//	    holds shared locks on them (so no transaction can prepare them)
//	    until SHARDIS.UNLOCK id or ttl-ms
//	SHARDIS.UNLOCK id...
//	SHARDIS.TXLIST           the prepared transactions: id, role, age
//	                         in ms, op, number of keys
//
// COMMIT, ABORT, FORGET and UNLOCK take one id or several: with several,
// the reply is an array of what each id alone would answer, so one
// message carries the decisions of many transactions.
package twopc
