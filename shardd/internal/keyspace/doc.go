// Package keyspace is shardd's in-memory store: numbered databases of keys,
// each key holding a ds.Value and an optional expiry time.
//
// Layout. Every database is split by hash slot (package slot, the same
// function the proxy routes with): db.slots[s] holds the keys of slot s.
// That makes the per-slot index free: counting or listing a slot's keys,
// which migration needs, touches only that slot's table. Keys with a TTL are
// also kept in the slot's volatile set so that active expiry samples only
// them, as Redis samples its expires dict.
//
// Locking. There is one RWMutex per slot, shared by all databases (so MOVE,
// COPY between databases and SWAPDB need no extra lock). A command locks the
// slots of its keys, sorted and deduplicated, before it touches them and
// unlocks them after its reply is written; commands over the whole keyspace
// (KEYS, SCAN, DBSIZE, FLUSHDB) lock one slot at a time or all of them in
// order. The lock order is ascending slot number, always, so that no two
// commands can deadlock. Methods on DB that take a key require its slot's
// lock to be held (read lock for Lookup, write lock for everything that
// changes state); the package does not check this.
//
// Expiry. Reads under a read lock treat an expired key as missing without
// deleting it; LookupWrite (write lock) deletes it. ExpireCycle deletes
// expired keys in the background within a time budget. Both report every
// deletion through Options.OnExpire, which the server uses for the AOF and
// keyspace notifications.
package keyspace
