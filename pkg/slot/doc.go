// Package slot maps keys to the 16384 hash slots of a Shardis cluster.
//
// It is the only implementation of the mapping: the proxy routes with it,
// shardd indexes its keyspace by it and shardis-meta reports with it, so
// all three always agree on where a key lives.
//
// A key's slot is xxhash64(tag(key)) mod 16384, where tag applies Redis
// Cluster's hash-tag rule: if the key contains '{' and a later '}' with at
// least one byte between them, only the bytes between the first '{' and the
// first '}' after it are hashed. Keys that share a tag share a slot, which
// lets users keep keys together for transactions and multi-key commands.
//
// The functions are pure and safe for concurrent use.
package slot
