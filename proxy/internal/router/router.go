// Package router keeps the proxy's routing table: for every slot the shard
// that serves it, with the shard's connection pool. It applies slot maps
// from etcd (Run) and hands out immutable Tables, so a request routes
// against one consistent map without locks while a new map is applied.
//
// A slot being moved (docs/resharding.md) keeps its owner, the source, in
// Owner; its keys are served by the target (Serving), once the proxy has
// asked the source to move them. Wait lets a request refused by a shard
// (WRONGSHARD, the proxy's map is stale) wait for the map the shard named.
package router

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/pkg/topology"
	"github.com/shardis/shardis/proxy/internal/backend"
)

// Table is one applied slot map. It is immutable.
type Table struct {
	Version uint64
	// Owner is the pool of each slot's owner.
	Owner [slot.Count]*backend.Pool
	// Migrating holds, for slots being moved, the target's pool (the
	// source is the owner).
	Migrating map[int]*backend.Pool
	// Shards lists every registered shard's pool, in registration order.
	Shards []*backend.Pool

	// owners and idx are Owner packed small (idx[slot] indexes owners),
	// so that routing a request touches a 16 KB table instead of a
	// 128 KB one; nil when there are too many owners for a byte.
	owners []*backend.Pool
	idx    *[slot.Count]uint8
	// moving marks the slots in Migrating, so that routing a request
	// checks a byte rather than a map; nil while no slot moves, which
	// keeps the common case at one nil check.
	moving *[slot.Count]bool
	// replaced is closed when a newer table replaces this one.
	replaced chan struct{}
}

// Serving returns the pool of the shard that runs commands on slot s's
// keys, and whether s is migrating: then that is the target, and the
// keys must first be moved there from the owner (SHARDIS.MOVEKEYS).
func (t *Table) Serving(s int) (p *backend.Pool, migrating bool) {
	if t.moving != nil && t.moving[s] {
		return t.Migrating[s], true
	}
	return t.OwnerOf(s), false
}

// Replaced returns a channel that is closed once a newer table is in use.
func (t *Table) Replaced() <-chan struct{} { return t.replaced }

// OwnerOf returns the pool of the shard serving slot s (Owner[s]).
func (t *Table) OwnerOf(s int) *backend.Pool {
	if t.idx != nil {
		return t.owners[t.idx[s]]
	}
	return t.Owner[s]
}

// pack fills owners and idx from Owner.
func (t *Table) pack() {
	idx := new([slot.Count]uint8)
	var owners []*backend.Pool
	for s, p := range t.Owner {
		i := 0
		for i < len(owners) && owners[i] != p {
			i++
		}
		if i == len(owners) {
			if i == 256 {
				return
			}
			owners = append(owners, p)
		}
		idx[s] = uint8(i)
	}
	t.owners, t.idx = owners, idx
}

// Pool returns the shard with the given ID.
func (t *Table) Pool(id string) *backend.Pool {
	for _, p := range t.Shards {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// Router holds the current Table.
type Router struct {
	opts *backend.Options
	log  *slog.Logger
	cur  atomic.Pointer[Table]

	mu    sync.Mutex // guards pools and serializes Apply
	pools map[string]*backend.Pool
	// first is closed when the first table is applied.
	first chan struct{}

	// OnApply, if set, is called after a new table is in use.
	OnApply func(t *Table)
}

// New returns a Router without a table: Current returns nil until the
// first Apply.
func New(opts *backend.Options, log *slog.Logger) *Router {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Router{opts: opts, log: log, pools: map[string]*backend.Pool{}, first: make(chan struct{})}
}

// Current returns the table in use, nil before the first map.
func (r *Router) Current() *Table { return r.cur.Load() }

// Wait returns the table in use once its version is at least v. If ctx
// ends first it returns the table in use (nil before the first map) and
// false.
func (r *Router) Wait(ctx context.Context, v uint64) (*Table, bool) {
	for {
		t := r.Current()
		if t != nil && t.Version >= v {
			return t, true
		}
		next := r.first
		if t != nil {
			next = t.replaced
		}
		select {
		case <-next:
		case <-ctx.Done():
			return r.Current(), false
		}
	}
}

// Apply makes m, whose shards are in reg, the table in use. Pools of
// shards that are no longer registered are closed.
func (r *Router) Apply(m *topology.SlotMap, reg *topology.Registry) *Table {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := &Table{Version: m.Version, Migrating: map[int]*backend.Pool{}, replaced: make(chan struct{})}
	keep := map[string]bool{}
	for _, s := range reg.Shards {
		p := r.pools[s.ID]
		if p == nil || p.Addr != s.Addr {
			if p != nil {
				go p.Close()
			}
			p = backend.NewPool(s.ID, s.Addr, r.opts)
			r.pools[s.ID] = p
		}
		keep[s.ID] = true
		t.Shards = append(t.Shards, p)
	}
	for i := range slot.Count {
		t.Owner[i] = r.pools[m.Owner[i]]
	}
	for s, mig := range m.Migrations {
		if t.moving == nil {
			t.moving = new([slot.Count]bool)
		}
		t.Migrating[s] = r.pools[mig.To]
		t.moving[s] = true
	}
	t.pack()
	old := r.cur.Swap(t)
	if old != nil {
		close(old.replaced)
	} else {
		close(r.first)
	}
	for id, p := range r.pools {
		if !keep[id] {
			delete(r.pools, id)
			// Sessions may still hold the old table for a moment.
			go func() { time.Sleep(time.Second); p.Close() }()
		}
	}
	if old == nil || old.Version != t.Version {
		r.log.Info("slot map applied", "version", t.Version, "shards", len(t.Shards))
	}
	if r.OnApply != nil {
		r.OnApply(t)
	}
	return t
}

// Close closes every pool.
func (r *Router) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, p := range r.pools {
		p.Close()
		delete(r.pools, id)
	}
}

// Run follows the slot map in etcd until ctx ends: it applies every new
// version and then acknowledges it through reg (which may be nil).
func (r *Router) Run(ctx context.Context, topo *topology.Client, reg *topology.Registration) {
	applied := uint64(0)
	if t := r.Current(); t != nil {
		applied = t.Version
	}
	for m := range topo.Watch(ctx, applied) {
		var registry *topology.Registry
		for attempt := 0; ; attempt++ {
			var err error
			registry, err = topo.Registry(ctx)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			r.log.Warn("cannot read the shard registry; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(min(100*time.Millisecond<<min(attempt, 5), 2*time.Second)):
			}
		}
		// The map only names shards registered at or before it.
		if missing := missingShards(m, registry); len(missing) > 0 {
			r.log.Error("slot map names unregistered shards; skipping version", "version", m.Version, "shards", missing)
			continue
		}
		r.Apply(m, registry)
		if reg != nil {
			if err := reg.Ack(ctx, m.Version); err != nil && ctx.Err() == nil {
				r.log.Warn("cannot acknowledge the slot map", "version", m.Version, "err", err)
			}
		}
	}
}

func missingShards(m *topology.SlotMap, reg *topology.Registry) []string {
	var out []string
	check := func(id string) {
		if _, ok := reg.Shard(id); !ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, id := range m.Owner {
		check(id)
	}
	for _, mg := range m.Migrations {
		check(mg.To)
	}
	return out
}
