// Package topology is the cluster's topology in etcd as a typed API: the
// cluster document, the shard registry, the versioned slot map and the
// proxies' registrations, all under /shardis/<cluster>/ (keys.go builds
// every key; docs/topology.md describes the documents).
//
// Writers change the registry and the slot map only by compare-and-swap on
// the revision they read, so two admins can never interleave: one wins, the
// other retries from the new state (Client.UpdateSlotMap) or gets
// ErrConflict (Client.SwapSlotMap). Every change of the slot map increments
// its Version in the same transaction.
//
// Proxies follow the map with Client.Watch, register with Client.Register
// and acknowledge each version they apply with Registration.Ack; the admin
// waits with Client.Barrier until every live proxy has acknowledged a
// version before the next step of a slot move.
//
// A Client and a Registration are safe for concurrent use. The package
// logs only through the *slog.Logger in Options.
package topology
