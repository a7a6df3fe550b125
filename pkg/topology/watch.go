package topology

import (
	"context"
	"errors"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Watch delivers slot maps newer than version after, in increasing version
// order, until ctx ends; then it closes the channel. It first delivers the
// current map (if newer than after), then every later version as it is
// written. If the cluster does not exist yet, it waits for Init.
//
// Every version is delivered, except when etcd compacted its history
// while the watch was disconnected or behind: then Watch reads the current
// map again and delivers it, skipping the versions it could not see. It
// never delivers a version twice or out of order. Errors are retried (with
// a log line); the channel closes when ctx ends, or when the etcd client is
// closed.
//
// The watch requires an etcd leader: a proxy partitioned from the etcd
// majority notices it (no new versions) instead of watching a stale member.
func (c *Client) Watch(ctx context.Context, after uint64) <-chan *SlotMap {
	ch := make(chan *SlotMap)
	go c.watch(ctx, after, ch)
	return ch
}

func (c *Client) watch(ctx context.Context, last uint64, ch chan<- *SlotMap) {
	defer close(ch)
	key := c.keys.slotMap()
	send := func(m *SlotMap) bool {
		if m.Version <= last {
			return true
		}
		select {
		case ch <- m:
			last = m.Version
			return true
		case <-ctx.Done():
			return false
		}
	}
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			if backoff(ctx, attempt, connBackoff) != nil {
				return
			}
			if c.etcd.Ctx().Err() != nil {
				c.log.Error("slot map watch stops: the etcd client is closed")
				return
			}
		}
		resp, err := c.etcd.Get(clientv3.WithRequireLeader(ctx), key)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("slot map watch cannot read the map; retrying", "err", err)
			}
			continue
		}
		if len(resp.Kvs) > 0 {
			kv := resp.Kvs[0]
			m, err := decodeSlotMap(kv.Value, kv.ModRevision)
			if err != nil {
				c.log.Error("slot map watch cannot decode the map; retrying", "err", err)
				continue
			}
			if !send(m) {
				return
			}
		}
		err = c.watchFrom(ctx, key, resp.Header.Revision+1, send)
		if ctx.Err() != nil {
			return
		}
		c.log.Warn("slot map watch interrupted; reading the map again", "err", err)
		attempt = 0
	}
}

// watchFrom sends every map written from revision rev on, until the watch
// breaks or send fails.
func (c *Client) watchFrom(ctx context.Context, key string, rev int64, send func(*SlotMap) bool) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for wr := range c.etcd.Watch(wctx, key, clientv3.WithRev(rev)) {
		if err := wr.Err(); err != nil {
			return err
		}
		for _, ev := range wr.Events {
			if ev.Type != mvccpb.PUT {
				c.log.Warn("slot map deleted from etcd")
				continue
			}
			m, err := decodeSlotMap(ev.Kv.Value, ev.Kv.ModRevision)
			if err != nil {
				return err
			}
			if !send(m) {
				return ctx.Err()
			}
		}
	}
	return errors.New("watch closed")
}
