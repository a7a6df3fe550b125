package topology

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// BarrierError is returned by Barrier when proxies did not acknowledge the
// version in time. It wraps ErrBarrierTimeout.
type BarrierError struct {
	Version uint64
	// Laggards are the live proxies still behind Version, sorted by ID.
	Laggards []Proxy
	// Err is the reason the proxies could not be listed, if they could not.
	Err error
}

func (e *BarrierError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "topology: barrier timed out: ")
	if e.Err != nil {
		fmt.Fprintf(&b, "cannot list proxies waiting for slot-map version %d: %v", e.Version, e.Err)
		return b.String()
	}
	fmt.Fprintf(&b, "not every proxy has applied slot-map version %d; behind:", e.Version)
	for i, p := range e.Laggards {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s (%s) at version %d", p.ID, p.Addr, p.Version)
	}
	return b.String()
}

func (e *BarrierError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrBarrierTimeout, e.Err}
	}
	return []error{ErrBarrierTimeout}
}

// Barrier waits until every live proxy has acknowledged slot-map version v
// or later. Proxies whose lease expires while it waits drop out of the
// wait; proxies that register while it waits join it. With no proxy
// registered it returns at once. After timeout (0: no limit other than ctx)
// it returns a *BarrierError naming the proxies still behind; if ctx ends
// first it returns ctx's error.
//
// A proxy cut off from etcd counts as live until its lease expires, so a
// timeout longer than the proxies' lease TTL lets a barrier pass a dead
// proxy instead of failing on it.
func (c *Client) Barrier(ctx context.Context, v uint64, timeout time.Duration) error {
	bctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		bctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	prefix := c.keys.proxies()
	live := map[string]Proxy{}
	for attempt := 0; ; attempt++ {
		resp, err := c.etcd.Get(bctx, prefix, clientv3.WithPrefix())
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if bctx.Err() != nil {
				return &BarrierError{Version: v, Err: err, Laggards: behind(live, v)}
			}
			c.log.Warn("barrier cannot list proxies; retrying", "err", err)
			_ = backoff(bctx, attempt, connBackoff) // a timeout is reported by the next Get
			continue
		}
		clear(live)
		for _, kv := range resp.Kvs {
			if p, err := decodeProxy(string(kv.Key), kv.Value, kv.Lease); err == nil {
				live[string(kv.Key)] = p
			} else {
				c.log.Warn("barrier ignores an unreadable proxy entry", "key", string(kv.Key), "err", err)
			}
		}
		if len(behind(live, v)) == 0 {
			return nil
		}
		done, err := c.barrierWatch(bctx, prefix, resp.Header.Revision+1, live, v)
		if done {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if bctx.Err() != nil {
			return &BarrierError{Version: v, Laggards: behind(live, v)}
		}
		// The watch broke (compaction, lost leader): list again.
		c.log.Warn("barrier watch interrupted; listing proxies again", "err", err)
	}
}

// barrierWatch applies proxy changes from rev on to live until no proxy is
// behind v (done) or the watch ends.
func (c *Client) barrierWatch(ctx context.Context, prefix string, rev int64, live map[string]Proxy, v uint64) (done bool, err error) {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for wr := range c.etcd.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(rev)) {
		if err := wr.Err(); err != nil {
			return false, err
		}
		for _, ev := range wr.Events {
			key := string(ev.Kv.Key)
			if ev.Type == mvccpb.DELETE {
				delete(live, key)
				continue
			}
			if p, err := decodeProxy(key, ev.Kv.Value, ev.Kv.Lease); err == nil {
				live[key] = p
			}
		}
		if len(behind(live, v)) == 0 {
			return true, nil
		}
	}
	return false, errors.New("watch closed")
}

func behind(live map[string]Proxy, v uint64) []Proxy {
	var ps []Proxy
	for _, p := range live {
		if p.Version < v {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b Proxy) int { return strings.Compare(a.ID, b.ID) })
	return ps
}
