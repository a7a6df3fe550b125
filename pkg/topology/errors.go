package topology

import "errors"

// Errors returned by this package. They are wrapped with details; test for
// them with errors.Is.
var (
	// ErrNoCluster means the cluster has not been initialized.
	ErrNoCluster = errors.New("topology: cluster not initialized")
	// ErrClusterExists is returned by Init for a cluster that exists.
	ErrClusterExists = errors.New("topology: cluster already initialized")
	// ErrShardNotFound means no shard has the given ID.
	ErrShardNotFound = errors.New("topology: no such shard")
	// ErrShardExists means a shard with the given ID is registered.
	ErrShardExists = errors.New("topology: shard ID already registered")
	// ErrAddrInUse means a shard with the given address is registered.
	ErrAddrInUse = errors.New("topology: shard address already registered")
	// ErrShardBusy means a shard still owns slots or takes part in a
	// migration, so it cannot be removed.
	ErrShardBusy = errors.New("topology: shard still serves slots")
	// ErrConflict means a compare-and-swap lost against another writer:
	// the document changed since it was read.
	ErrConflict = errors.New("topology: concurrent update")
	// ErrProxyExists means a live proxy is registered under the same ID.
	ErrProxyExists = errors.New("topology: proxy ID already registered")
	// ErrInvalid means a document or argument breaks the schema's rules.
	ErrInvalid = errors.New("topology: invalid")
	// ErrFormat means a stored document has a format this version of
	// Shardis does not know (written by a newer version) or is corrupt.
	ErrFormat = errors.New("topology: unknown document format")
	// ErrNoReshard means no resharding job is in progress.
	ErrNoReshard = errors.New("topology: no resharding job in progress")
	// ErrReshardRunning means a resharding job is in progress, so another
	// cannot start.
	ErrReshardRunning = errors.New("topology: a resharding job is in progress")
	// ErrBarrierTimeout is wrapped by *BarrierError.
	ErrBarrierTimeout = errors.New("topology: barrier timed out")
)
