package topology

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Proxies returns the live proxy registrations, sorted by ID.
func (c *Client) Proxies(ctx context.Context) ([]Proxy, error) {
	resp, err := c.etcd.Get(ctx, c.keys.proxies(), clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("topology: read proxies: %w", err)
	}
	ps := make([]Proxy, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		p, err := decodeProxy(string(kv.Key), kv.Value, kv.Lease)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// Registration is a proxy's entry in etcd, kept alive by a lease. When the
// proxy stops renewing the lease (it died, or lost etcd for longer than the
// TTL) etcd deletes the entry and the proxy drops out of barriers. A
// registration whose lease was lost registers again, with a new lease and
// the last acknowledged version, as soon as etcd is reachable.
//
// Its methods are safe for concurrent use.
type Registration struct {
	c   *Client
	key string
	ttl int64 // lease TTL in seconds

	cancel context.CancelFunc // stops the keep-alive goroutine
	done   chan struct{}      // closed when the goroutine has returned

	// mu guards p and lease, and is held while they are written to etcd so
	// that acknowledgements reach etcd in the order they were made.
	mu    sync.Mutex
	p     Proxy
	lease clientv3.LeaseID
}

// Register registers a proxy under a lease of ttl (rounded up to whole
// seconds, at least one). p.Addr is the address clients use; p.Version the
// slot-map version the proxy has applied (0 if none yet); an empty p.ID gets
// a random one. It fails with ErrProxyExists if a live proxy has the ID.
// Call Close to unregister.
func (c *Client) Register(ctx context.Context, p Proxy, ttl time.Duration) (*Registration, error) {
	if p.ID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		p.ID = "p-" + hex.EncodeToString(b[:])
	}
	if err := ValidateID(p.ID); err != nil {
		return nil, err
	}
	secs := int64((ttl + time.Second - 1) / time.Second)
	p.Started = time.Now().UTC()
	p.Updated = p.Started
	r := &Registration{c: c, key: c.keys.proxy(p.ID), ttl: max(secs, 1), p: p, done: make(chan struct{})}
	lease, err := r.put(ctx, 0)
	if err != nil {
		return nil, err
	}
	r.lease = lease
	r.p.Lease = int64(lease)
	kctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.run(kctx)
	return r, nil
}

// put grants a lease and stores the registration under it, unless another
// live proxy holds the key. old is the lease of a previous registration of
// this proxy, whose entry may be replaced.
func (r *Registration) put(ctx context.Context, old clientv3.LeaseID) (clientv3.LeaseID, error) {
	etcd := r.c.etcd
	g, err := etcd.Grant(ctx, r.ttl)
	if err != nil {
		return 0, fmt.Errorf("topology: grant lease for proxy %s: %w", r.p.ID, err)
	}
	p := r.p
	p.Lease = int64(g.ID)
	put := clientv3.OpPut(r.key, encode(proxyDoc{Format: Format, Proxy: p}), clientv3.WithLease(g.ID))
	else_ := []clientv3.Op{}
	if old != 0 {
		else_ = append(else_, clientv3.OpTxn(
			[]clientv3.Cmp{clientv3.Compare(clientv3.LeaseValue(r.key), "=", old)},
			[]clientv3.Op{put}, nil))
	}
	resp, err := etcd.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(r.key), "=", 0)).
		Then(put).
		Else(else_...).
		Commit()
	ok := err == nil && (resp.Succeeded || (old != 0 && resp.Responses[0].GetResponseTxn().Succeeded))
	if !ok {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_, _ = etcd.Revoke(rctx, g.ID)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("topology: register proxy %s: %w", r.p.ID, err)
		}
		return 0, fmt.Errorf("%w: %s", ErrProxyExists, r.p.ID)
	}
	return g.ID, nil
}

// run keeps the lease alive, and registers again when it is lost, until
// ctx ends.
func (r *Registration) run(ctx context.Context) {
	defer close(r.done)
	log := r.c.log.With("proxy", r.p.ID)
	var old clientv3.LeaseID // the lost lease, whose entry may be replaced
	for attempt := 0; ; {
		r.mu.Lock()
		lease := r.lease
		r.mu.Unlock()
		if lease != 0 {
			ka, err := r.c.etcd.KeepAlive(ctx, lease)
			if err == nil {
				for range ka {
					// Drain: the client renews the lease by itself.
				}
			}
			if ctx.Err() != nil {
				return
			}
			log.Warn("proxy registration lost its lease; registering again", "lease", int64(lease))
			old = lease
		}
		if r.c.etcd.Ctx().Err() != nil {
			log.Error("proxy registration stops: the etcd client is closed")
			return
		}
		if err := backoff(ctx, attempt, connBackoff); err != nil {
			return
		}
		rctx, cancel := context.WithTimeout(ctx, time.Duration(r.ttl)*time.Second)
		r.mu.Lock()
		nl, err := r.put(rctx, old)
		if err == nil {
			r.lease = nl
			r.p.Lease = int64(nl)
		} else {
			r.lease = 0
		}
		r.mu.Unlock()
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			attempt++
			log.Warn("cannot register proxy again", "err", err)
			continue
		}
		attempt = 0
		log.Info("proxy registered again", "lease", int64(nl))
	}
}

// Proxy returns the registration as last written.
func (r *Registration) Proxy() Proxy {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.p
}

// Ack records that the proxy has applied slot-map version v. Versions only
// grow: acknowledging an older version than the last one does nothing. When
// the write fails (etcd unreachable, lease lost) the version is still kept
// and written when the proxy registers again.
func (r *Registration) Ack(ctx context.Context, v uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v <= r.p.Version {
		return nil
	}
	r.p.Version = v
	r.p.Updated = time.Now().UTC()
	if r.lease == 0 {
		return fmt.Errorf("topology: proxy %s acked version %d: not registered (lease lost)", r.p.ID, v)
	}
	// Compare the lease so that an ack never recreates an entry that
	// expired, or overwrites another proxy's.
	resp, err := r.c.etcd.Txn(ctx).
		If(clientv3.Compare(clientv3.LeaseValue(r.key), "=", r.lease)).
		Then(clientv3.OpPut(r.key, encode(proxyDoc{Format: Format, Proxy: r.p}), clientv3.WithLease(r.lease))).
		Commit()
	if err != nil {
		return fmt.Errorf("topology: proxy %s ack version %d: %w", r.p.ID, v, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("topology: proxy %s ack version %d: registration expired", r.p.ID, v)
	}
	return nil
}

// Close stops renewing the lease and revokes it, which removes the
// registration at once. The registration must not be used afterwards.
func (r *Registration) Close(ctx context.Context) error {
	r.cancel()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lease == 0 {
		return nil
	}
	_, err := r.c.etcd.Revoke(ctx, r.lease)
	r.lease = 0
	if err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return fmt.Errorf("topology: unregister proxy %s: %w", r.p.ID, err)
	}
	return nil
}
