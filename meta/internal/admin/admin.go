// Package admin carries out shardis-meta's commands: it checks shards over
// RESP before registering them, writes the topology through pkg/topology
// and gathers the reports that the CLI prints. It prints nothing itself.
package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shardis/shardis/meta/internal/probe"
	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/topology"
)

// Admin administers one cluster. It is safe for concurrent use.
type Admin struct {
	Topo  *topology.Client
	Probe probe.Options
}

// Init checks that every shard answers PING, then creates the cluster with
// the slots spread over the shards in the order given (s1 gets the first
// range). It refuses a cluster that exists.
func (a *Admin) Init(ctx context.Context, addrs []string) (*topology.Snapshot, error) {
	if len(addrs) == 0 {
		return nil, errors.New("no shards given (--shards host:port,...)")
	}
	seen := map[string]bool{}
	for _, addr := range addrs {
		if err := topology.ValidateAddr(addr); err != nil {
			return nil, err
		}
		if seen[addr] {
			return nil, fmt.Errorf("shard %s is listed twice", addr)
		}
		seen[addr] = true
	}
	// Refuse early, before bothering the shards; Init checks again
	// atomically.
	if _, err := a.Topo.Cluster(ctx); err == nil {
		return nil, a.errExists()
	} else if !errors.Is(err, topology.ErrNoCluster) {
		return nil, err
	}
	if err := a.pingAll(ctx, addrs); err != nil {
		return nil, err
	}
	// Fencing is on from the start: each shard gets the table of map
	// version 1 before the map exists. Init spreads the slots over the
	// shards in the order given, as Spread does here with the addresses
	// standing in for the IDs Init will give them.
	shards := make([]topology.Shard, len(addrs))
	byAddr := make([]topology.Shard, len(addrs))
	for i, addr := range addrs {
		shards[i].Addr = addr
		byAddr[i] = topology.Shard{ID: addr, Addr: addr}
	}
	if err := a.pushTables(ctx, byAddr, topology.Spread(addrs), 1); err != nil {
		return nil, staleHint(err)
	}
	snap, err := a.Topo.Init(ctx, shards)
	if errors.Is(err, topology.ErrClusterExists) {
		return nil, a.errExists()
	}
	return snap, err
}

func (a *Admin) errExists() error {
	return fmt.Errorf("cluster %q is already initialized; use 'shardis-meta shard add' to grow it", a.Topo.Name())
}

// pingAll pings the shards in parallel and reports every one that failed.
func (a *Admin) pingAll(ctx context.Context, addrs []string) error {
	errs := make([]error, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Go(func() { errs[i] = probe.Ping(ctx, addr, a.Probe) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// AddShard checks that the shard answers PING and is not registered, then
// registers it with id (or the next automatic ID when id is ""). The new
// shard owns no slot until slots are moved to it.
func (a *Admin) AddShard(ctx context.Context, addr, id string) (topology.Shard, error) {
	if err := topology.ValidateAddr(addr); err != nil {
		return topology.Shard{}, err
	}
	if id != "" {
		if err := topology.ValidateID(id); err != nil {
			return topology.Shard{}, err
		}
	}
	reg, err := a.Topo.Registry(ctx)
	if err != nil {
		return topology.Shard{}, a.hint(err)
	}
	if s, ok := reg.ByAddr(addr); ok {
		return topology.Shard{}, fmt.Errorf("%s is already registered as shard %s", addr, s.ID)
	}
	if _, ok := reg.Shard(id); ok {
		return topology.Shard{}, fmt.Errorf("shard ID %s is already registered", id)
	}
	if err := probe.Ping(ctx, addr, a.Probe); err != nil {
		return topology.Shard{}, err
	}
	// An empty table, so that the shard refuses every key until slots
	// move to it, rather than serve them all as a standalone shard does.
	_, m, err := a.Topo.Load(ctx)
	if err != nil {
		return topology.Shard{}, err
	}
	c := probe.Dial(addr, a.Probe)
	defer c.Close()
	if err := c.SetSlots(ctx, &migrate.Table{Version: m.Version}); err != nil {
		return topology.Shard{}, staleHint(err)
	}
	return a.Topo.AddShard(ctx, topology.Shard{Addr: addr, ID: id})
}

// staleHint explains a new shard that refuses its first slot table.
func staleHint(err error) error {
	if errors.Is(err, probe.ErrStaleTable) {
		return fmt.Errorf("%w; the shard belonged to another cluster: stop it, delete shardis-slots.conf in its dir and start it again", err)
	}
	return err
}

// RemoveShard unregisters shard id, which must own no slot. The error for
// a shard that owns slots says how to drain it.
func (a *Admin) RemoveShard(ctx context.Context, id string) (topology.Shard, error) {
	s, err := a.Topo.RemoveShard(ctx, id)
	if !errors.Is(err, topology.ErrShardBusy) {
		return s, a.hint(err)
	}
	reg, m, lerr := a.load(ctx)
	if lerr != nil {
		return s, err
	}
	rs := m.RangesOf(id)
	if len(rs) == 0 {
		return s, fmt.Errorf("shard %s takes part in a slot migration; wait until it finishes, then remove it", id)
	}
	target := "<shard>"
	for _, other := range reg.IDs() {
		if other != id {
			target = other
			break
		}
	}
	return s, fmt.Errorf("shard %s owns %d slots (%s); drain it first, e.g. shardis-meta slots move %s --to %s",
		id, m.Counts()[id], FormatRanges(rs, 4), FormatRanges(rs, 0), target)
}

func (a *Admin) load(ctx context.Context) (*topology.Registry, *topology.SlotMap, error) {
	snap, err := a.Topo.Snapshot(ctx)
	if err != nil {
		return nil, nil, a.hint(err)
	}
	return snap.Registry, snap.SlotMap, nil
}

// hint adds what to do to errors an operator can fix.
func (a *Admin) hint(err error) error {
	if errors.Is(err, topology.ErrNoCluster) {
		return fmt.Errorf("cluster %q is not initialized; run 'shardis-meta init --shards host:port,...' first", a.Topo.Name())
	}
	if errors.Is(err, topology.ErrShardNotFound) {
		return fmt.Errorf("%w; 'shardis-meta shard list' shows the shards", err)
	}
	if errors.Is(err, topology.ErrReshardRunning) {
		return fmt.Errorf("%w; %s", err, jobHint)
	}
	return err
}

// FormatRanges writes ranges as "0-99,200,300-399". With limit > 0 it
// writes at most limit ranges and then "...".
func FormatRanges(rs []topology.OwnerRange, limit int) string {
	var b strings.Builder
	for i, r := range rs {
		if limit > 0 && i == limit {
			b.WriteString(",...")
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(r.First))
		if r.Last != r.First {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(r.Last))
		}
	}
	return b.String()
}

// ShardEntry is a registered shard with its slots.
type ShardEntry struct {
	ID     string    `json:"id"`
	Addr   string    `json:"addr"`
	Added  time.Time `json:"added"`
	Slots  int       `json:"slots"`
	Ranges [][2]int  `json:"ranges"`
}

// SlotsReport is the slot map as ranges per shard.
type SlotsReport struct {
	Cluster    string                    `json:"cluster"`
	Version    uint64                    `json:"version"`
	Shards     []ShardEntry              `json:"shards"`
	Migrations []topology.MigrationRange `json:"migrations"`
}

// Slots reports the slot map, per shard in registration order.
func (a *Admin) Slots(ctx context.Context) (*SlotsReport, error) {
	reg, m, err := a.load(ctx)
	if err != nil {
		return nil, err
	}
	return slotsReport(a.Topo.Name(), reg, m), nil
}

func slotsReport(cluster string, reg *topology.Registry, m *topology.SlotMap) *SlotsReport {
	r := &SlotsReport{Cluster: cluster, Version: m.Version, Migrations: m.MigrationRanges()}
	if r.Migrations == nil {
		r.Migrations = []topology.MigrationRange{}
	}
	counts := m.Counts()
	byShard := map[string][][2]int{}
	for _, or := range m.Ranges() {
		byShard[or.Shard] = append(byShard[or.Shard], [2]int{or.First, or.Last})
	}
	for _, s := range reg.Shards {
		rs := byShard[s.ID]
		if rs == nil {
			rs = [][2]int{}
		}
		r.Shards = append(r.Shards, ShardEntry{ID: s.ID, Addr: s.Addr, Added: s.Added, Slots: counts[s.ID], Ranges: rs})
	}
	return r
}

// Shards lists the registered shards with their slots.
func (a *Admin) Shards(ctx context.Context) ([]ShardEntry, error) {
	r, err := a.Slots(ctx)
	if err != nil {
		return nil, err
	}
	return r.Shards, nil
}

// ShardStatus is a shard as status reports it.
type ShardStatus struct {
	ID    string `json:"id"`
	Addr  string `json:"addr"`
	Slots int    `json:"slots"`
	Up    bool   `json:"up"`
	// Error says why the shard is down.
	Error string `json:"error,omitempty"`
	// Keys and Memory (bytes) come from INFO; absent when down or unknown.
	Keys   *int64 `json:"keys,omitempty"`
	Memory *int64 `json:"memory,omitempty"`
}

// ProxyStatus is a live proxy as status reports it.
type ProxyStatus struct {
	ID      string    `json:"id"`
	Addr    string    `json:"addr"`
	Version uint64    `json:"version"`
	Behind  bool      `json:"behind"`
	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`
}

// StatusReport is the cluster at a glance.
type StatusReport struct {
	Cluster    string                    `json:"cluster"`
	Created    time.Time                 `json:"created"`
	Version    uint64                    `json:"version"`
	Shards     []ShardStatus             `json:"shards"`
	Proxies    []ProxyStatus             `json:"proxies"`
	Migrations []topology.MigrationRange `json:"migrations"`
	// InDoubt are the cross-shard transactions prepared for longer than
	// InDoubtAge on some shard: normally none, since a coordinator
	// decides within milliseconds.
	InDoubt []InDoubtTx `json:"in_doubt_transactions"`
	// Reshard is the resharding job in progress, or nil.
	Reshard *ReshardStatus `json:"reshard"`
}

// InDoubtTx is a prepared transaction on one shard.
type InDoubtTx struct {
	Shard string `json:"shard"`
	probe.PreparedTx
}

// InDoubtAge is how long a transaction must have been prepared for status
// to list it.
const InDoubtAge = 2 * time.Second

// Status reads the topology and asks every shard, in parallel, for its
// key count and memory. An unreachable shard is reported as down, not as
// an error.
func (a *Admin) Status(ctx context.Context) (*StatusReport, error) {
	snap, err := a.Topo.Snapshot(ctx)
	if err != nil {
		return nil, a.hint(err)
	}
	m := snap.SlotMap
	j, err := a.Topo.Reshard(ctx)
	if err != nil && !errors.Is(err, topology.ErrNoReshard) {
		return nil, err
	}
	r := &StatusReport{
		Cluster:    snap.Cluster.Name,
		Created:    snap.Cluster.Created,
		Version:    m.Version,
		Shards:     make([]ShardStatus, len(snap.Registry.Shards)),
		Proxies:    []ProxyStatus{},
		Migrations: m.MigrationRanges(),
		InDoubt:    []InDoubtTx{},
		Reshard:    reshardStatus(j),
	}
	if r.Migrations == nil {
		r.Migrations = []topology.MigrationRange{}
	}
	counts := m.Counts()
	inDoubt := make([][]InDoubtTx, len(snap.Registry.Shards))
	var wg sync.WaitGroup
	for i, s := range snap.Registry.Shards {
		r.Shards[i] = ShardStatus{ID: s.ID, Addr: s.Addr, Slots: counts[s.ID]}
		wg.Go(func() {
			st := &r.Shards[i]
			info, err := probe.Query(ctx, s.Addr, a.Probe)
			if err != nil {
				st.Error = err.Error()
				return
			}
			st.Up = true
			st.Keys = &info.Keys
			if info.Memory >= 0 {
				st.Memory = &info.Memory
			}
			txs, err := probe.Transactions(ctx, s.Addr, a.Probe)
			if err != nil {
				st.Error = err.Error()
				return
			}
			for _, tx := range txs {
				if tx.Age >= InDoubtAge {
					inDoubt[i] = append(inDoubt[i], InDoubtTx{Shard: s.ID, PreparedTx: tx})
				}
			}
		})
	}
	wg.Wait()
	for _, txs := range inDoubt {
		r.InDoubt = append(r.InDoubt, txs...)
	}
	for _, p := range snap.Proxies {
		r.Proxies = append(r.Proxies, ProxyStatus{
			ID: p.ID, Addr: p.Addr, Version: p.Version, Behind: p.Version < m.Version,
			Started: p.Started, Updated: p.Updated,
		})
	}
	slices.SortFunc(r.Proxies, func(a, b ProxyStatus) int { return strings.Compare(a.ID, b.ID) })
	return r, nil
}
