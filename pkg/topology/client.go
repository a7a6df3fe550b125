package topology

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Options configures a Client.
type Options struct {
	// Cluster is the cluster's name; "" means DefaultCluster.
	Cluster string
	// Logger receives the rare events a caller cannot see in a return
	// value (a watch that had to reload, a lost lease). nil discards them.
	Logger *slog.Logger
}

// Client reads and writes one cluster's topology in etcd. It is safe for
// concurrent use. It does not own the etcd client: closing the etcd client
// is the caller's job.
type Client struct {
	etcd    *clientv3.Client
	cluster string
	keys    keys
	log     *slog.Logger
}

// New returns a Client for the cluster named in opts.
func New(etcd *clientv3.Client, opts Options) (*Client, error) {
	if opts.Cluster == "" {
		opts.Cluster = DefaultCluster
	}
	if err := ValidateCluster(opts.Cluster); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{etcd: etcd, cluster: opts.Cluster, keys: newKeys(opts.Cluster), log: log}, nil
}

// Name returns the cluster's name.
func (c *Client) Name() string { return c.cluster }

// Connect creates an etcd client for endpoints (comma-free "host:port" or
// URLs) and checks within timeout that etcd answers, so that an unreachable
// etcd is reported at once, with the endpoints tried, instead of on the
// first request. The client logs nothing.
func Connect(ctx context.Context, endpoints []string, timeout time.Duration) (*clientv3.Client, error) {
	if len(endpoints) == 0 {
		return nil, fmt.Errorf("%w: no etcd endpoint", ErrInvalid)
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            endpoints,
		DialTimeout:          timeout,
		DialKeepAliveTime:    10 * time.Second,
		DialKeepAliveTimeout: timeout,
		Logger:               zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("cannot connect to etcd at %s: %w", strings.Join(endpoints, ","), err)
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := cli.Get(pctx, Root, clientv3.WithCountOnly()); err != nil {
		cli.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %v", timeout)
		}
		return nil, fmt.Errorf("cannot reach etcd at %s: %w", strings.Join(endpoints, ","), err)
	}
	return cli, nil
}

// Snapshot is the whole topology of a cluster read at one etcd revision.
type Snapshot struct {
	Revision int64
	Cluster  *Cluster
	Registry *Registry
	SlotMap  *SlotMap
	// Proxies are the live proxy registrations, by ID.
	Proxies []Proxy
}

// Snapshot reads the cluster, registry, slot map and proxies at one
// revision. It returns ErrNoCluster when the cluster is not initialized.
func (c *Client) Snapshot(ctx context.Context) (*Snapshot, error) {
	resp, err := c.etcd.Get(ctx, c.keys.prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("topology: read cluster %q: %w", c.cluster, err)
	}
	snap := &Snapshot{Revision: resp.Header.Revision}
	for _, kv := range resp.Kvs {
		key := string(kv.Key)
		switch {
		case key == c.keys.cluster():
			snap.Cluster, err = decodeCluster(key, kv.Value, kv.ModRevision)
		case key == c.keys.registry():
			snap.Registry, err = decodeRegistry(key, kv.Value, kv.ModRevision)
		case key == c.keys.slotMap():
			snap.SlotMap, err = decodeSlotMap(kv.Value, kv.ModRevision)
		case strings.HasPrefix(key, c.keys.proxies()):
			var p Proxy
			p, err = decodeProxy(key, kv.Value, kv.Lease)
			snap.Proxies = append(snap.Proxies, p)
		}
		if err != nil {
			return nil, err
		}
	}
	if snap.Cluster == nil || snap.Registry == nil || snap.SlotMap == nil {
		return nil, c.errNoCluster()
	}
	return snap, nil
}

func (c *Client) errNoCluster() error {
	return fmt.Errorf("%w: %q (no %s)", ErrNoCluster, c.cluster, c.keys.cluster())
}

// Cluster reads the cluster document.
func (c *Client) Cluster(ctx context.Context) (*Cluster, error) {
	key := c.keys.cluster()
	resp, err := c.etcd.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("topology: read %s: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, c.errNoCluster()
	}
	return decodeCluster(key, resp.Kvs[0].Value, resp.Kvs[0].ModRevision)
}

// Registry reads the shard registry.
func (c *Client) Registry(ctx context.Context) (*Registry, error) {
	reg, _, err := c.Load(ctx)
	return reg, err
}

// SlotMap reads the current slot map.
func (c *Client) SlotMap(ctx context.Context) (*SlotMap, error) {
	key := c.keys.slotMap()
	resp, err := c.etcd.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("topology: read %s: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, c.errNoCluster()
	}
	return decodeSlotMap(resp.Kvs[0].Value, resp.Kvs[0].ModRevision)
}

// Load reads the registry and the slot map at one revision: what a caller
// of SwapSlotMap needs as prev and reg.
func (c *Client) Load(ctx context.Context) (*Registry, *SlotMap, error) {
	rk, mk := c.keys.registry(), c.keys.slotMap()
	resp, err := c.etcd.Txn(ctx).Then(clientv3.OpGet(rk), clientv3.OpGet(mk)).Commit()
	if err != nil {
		return nil, nil, fmt.Errorf("topology: read cluster %q: %w", c.cluster, err)
	}
	rg, mg := resp.Responses[0].GetResponseRange(), resp.Responses[1].GetResponseRange()
	if len(rg.Kvs) == 0 || len(mg.Kvs) == 0 {
		return nil, nil, c.errNoCluster()
	}
	reg, err := decodeRegistry(rk, rg.Kvs[0].Value, rg.Kvs[0].ModRevision)
	if err != nil {
		return nil, nil, err
	}
	m, err := decodeSlotMap(mg.Kvs[0].Value, mg.Kvs[0].ModRevision)
	if err != nil {
		return nil, nil, err
	}
	return reg, m, nil
}

// Init creates the cluster: its document, a registry with shards (an empty
// ID gets an automatic one) and slot map version 1 that spreads the slots
// over them (see Spread). It fails with ErrClusterExists if the cluster
// exists, even partly.
func (c *Client) Init(ctx context.Context, shards []Shard) (*Snapshot, error) {
	if len(shards) == 0 {
		return nil, fmt.Errorf("%w: a cluster needs at least one shard", ErrInvalid)
	}
	now := time.Now().UTC()
	reg := &Registry{}
	for _, s := range shards {
		s.Added = now
		if _, err := reg.add(s); err != nil {
			return nil, err
		}
	}
	m := Spread(reg.IDs())
	m.Version = 1
	cl := &Cluster{Name: c.cluster, Created: now}
	ck, rk, mk := c.keys.cluster(), c.keys.registry(), c.keys.slotMap()
	resp, err := c.etcd.Txn(ctx).
		If(
			clientv3.Compare(clientv3.CreateRevision(ck), "=", 0),
			clientv3.Compare(clientv3.CreateRevision(rk), "=", 0),
			clientv3.Compare(clientv3.CreateRevision(mk), "=", 0),
		).
		Then(
			clientv3.OpPut(ck, encode(clusterDoc{Format: Format, Cluster: *cl})),
			clientv3.OpPut(rk, encode(registryDoc{Format: Format, Registry: *reg})),
			clientv3.OpPut(mk, encode(m)),
		).Commit()
	if err != nil {
		return nil, fmt.Errorf("topology: init cluster %q: %w", c.cluster, err)
	}
	if !resp.Succeeded {
		return nil, fmt.Errorf("%w: %q (found under %s)", ErrClusterExists, c.cluster, c.keys.prefix)
	}
	rev := resp.Header.Revision
	cl.Revision, reg.Revision, m.Revision = rev, rev, rev
	return &Snapshot{Revision: rev, Cluster: cl, Registry: reg, SlotMap: m}, nil
}

// AddShard registers a shard. An empty s.ID gets the next automatic ID
// ("s1", "s2", ...; never reused). It fails with ErrAddrInUse or
// ErrShardExists for a duplicate. The new shard owns no slot.
func (c *Client) AddShard(ctx context.Context, s Shard) (Shard, error) {
	var added Shard
	err := c.updateRegistry(ctx, func(reg *Registry, _ *SlotMap) error {
		s.Added = time.Now().UTC()
		var err error
		added, err = reg.add(s)
		return err
	})
	return added, err
}

// RemoveShard unregisters shard id. It fails with ErrShardBusy while the
// shard owns a slot or takes part in a migration, and with
// ErrShardNotFound for an unknown id.
func (c *Client) RemoveShard(ctx context.Context, id string) (Shard, error) {
	var removed Shard
	err := c.updateRegistry(ctx, func(reg *Registry, m *SlotMap) error {
		s, ok := reg.Shard(id)
		if !ok {
			return fmt.Errorf("%w: %q", ErrShardNotFound, id)
		}
		if m.Busy(id) {
			return fmt.Errorf("%w: %s owns %d slots", ErrShardBusy, id, m.Counts()[id])
		}
		removed = s
		reg.Shards = removeShard(reg.Shards, id)
		return nil
	})
	return removed, err
}

func removeShard(ss []Shard, id string) []Shard {
	out := ss[:0]
	for _, s := range ss {
		if s.ID != id {
			out = append(out, s)
		}
	}
	return out
}

// updateRegistry applies fn to the registry by compare-and-swap, retrying
// on conflict. The slot map's revision is part of the comparison, so a
// removal cannot race with a map update that gives the shard slots.
func (c *Client) updateRegistry(ctx context.Context, fn func(*Registry, *SlotMap) error) error {
	for attempt := 0; ; attempt++ {
		reg, m, err := c.Load(ctx)
		if err != nil {
			return err
		}
		next := reg.clone()
		if err := fn(next, m); err != nil {
			return err
		}
		rk, mk := c.keys.registry(), c.keys.slotMap()
		resp, err := c.etcd.Txn(ctx).
			If(
				clientv3.Compare(clientv3.ModRevision(rk), "=", reg.Revision),
				clientv3.Compare(clientv3.ModRevision(mk), "=", m.Revision),
			).
			Then(clientv3.OpPut(rk, encode(registryDoc{Format: Format, Registry: *next}))).
			Commit()
		if err != nil {
			return fmt.Errorf("topology: write %s: %w", rk, err)
		}
		if resp.Succeeded {
			return nil
		}
		if err := backoff(ctx, attempt, casBackoff); err != nil {
			return err
		}
	}
}

// SwapSlotMap writes next as the successor of prev, which must be the map
// as last read (its Revision identifies it): in one etcd transaction it
// checks that neither the map nor the registry changed since, and stores
// next with Version prev.Version+1. It returns the stored map, or
// ErrConflict when another writer got there first. next must pass
// Validate against reg, the registry read with prev.
func (c *Client) SwapSlotMap(ctx context.Context, prev *SlotMap, reg *Registry, next *SlotMap) (*SlotMap, error) {
	if err := next.Validate(reg); err != nil {
		return nil, err
	}
	stored := next.Clone()
	stored.Version = prev.Version + 1
	rk, mk := c.keys.registry(), c.keys.slotMap()
	resp, err := c.etcd.Txn(ctx).
		If(
			clientv3.Compare(clientv3.ModRevision(mk), "=", prev.Revision),
			clientv3.Compare(clientv3.ModRevision(rk), "=", reg.Revision),
		).
		Then(clientv3.OpPut(mk, encode(stored))).
		Commit()
	if err != nil {
		return nil, fmt.Errorf("topology: write %s: %w", mk, err)
	}
	if !resp.Succeeded {
		return nil, fmt.Errorf("%w of the slot map (version %d is no longer current)", ErrConflict, prev.Version)
	}
	stored.Revision = resp.Header.Revision
	return stored, nil
}

// UpdateSlotMap changes the slot map with fn and stores the result as the
// next version, retrying from a fresh read when another writer wins the
// compare-and-swap, until it succeeds, fn fails or ctx ends. fn gets a copy
// of the current map and the registry it may check shard IDs against; it
// may be called several times and must depend only on its arguments. When
// fn leaves the map unchanged nothing is written and the current map is
// returned.
func (c *Client) UpdateSlotMap(ctx context.Context, fn func(m *SlotMap, reg *Registry) error) (*SlotMap, error) {
	for attempt := 0; ; attempt++ {
		reg, cur, err := c.Load(ctx)
		if err != nil {
			return nil, err
		}
		next := cur.Clone()
		if err := fn(next, reg.clone()); err != nil {
			return nil, err
		}
		if next.SameAssignment(cur) {
			return cur, nil
		}
		stored, err := c.SwapSlotMap(ctx, cur, reg, next)
		if !errors.Is(err, ErrConflict) {
			return stored, err
		}
		if err := backoff(ctx, attempt, casBackoff); err != nil {
			return nil, err
		}
	}
}

// Retry delays: a lost compare-and-swap is retried quickly, a broken
// connection to etcd (watch, keep-alive, listing) more patiently.
const (
	casBackoff  = 100 * time.Millisecond
	connBackoff = 2 * time.Second
)

// backoff sleeps before retry number attempt: a jittered delay that
// doubles from 1ms up to about limit.
func backoff(ctx context.Context, attempt int, limit time.Duration) error {
	d := min(time.Millisecond<<min(attempt, 20), limit)
	d = d/2 + rand.N(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
