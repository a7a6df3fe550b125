package topology

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/shardis/shardis/pkg/slot"
)

// Reshard is the journal of a resharding job: the plan of slot moves and
// how far it got. At most one exists per cluster; shardis-meta writes it
// before and after every step, so that a job stopped at any point (even
// by kill -9) can be resumed or aborted from what it says.
type Reshard struct {
	// ID names the job in messages ("r-<8 hex>").
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Plan is the moves in the order they are carried out. Each is one
	// batch: its slots are marked, copied and finished together.
	Plan []Move `json:"plan"`
	// Current is the index in Plan of the move in progress; len(Plan)
	// once every move is done.
	Current int `json:"current"`
	// Marked says that the current move's slots were marked migrating
	// (the map says so too; the journal says it for status and resume).
	Marked bool `json:"marked"`
	// Aborting says that --abort is moving the current move back.
	Aborting bool `json:"aborting,omitempty"`
	// KeysMoved counts the keys the job's copy steps moved so far.
	KeysMoved int64 `json:"keys_moved"`
	// MaxKeysPerSec is the copy throttle; 0 means unthrottled.
	MaxKeysPerSec int64 `json:"max_keys_per_sec"`
	// Revision is the etcd mod revision the journal was read or written
	// at; not stored.
	Revision int64 `json:"-"`
}

// Move is one batch of a resharding plan: slots First to Last inclusive,
// all owned by From when the move starts, go to To.
type Move struct {
	First int    `json:"first"`
	Last  int    `json:"last"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Count returns the number of slots in the move.
func (mv Move) Count() int { return mv.Last - mv.First + 1 }

// String describes the job in one line for messages: "job r-1a2b3c4d,
// started 2026-11-29T12:40:43Z, at move 3 of 22".
func (r *Reshard) String() string {
	return fmt.Sprintf("job %s, started %s, at move %d of %d",
		r.ID, r.Created.Format(time.RFC3339), min(r.Current+1, len(r.Plan)), len(r.Plan))
}

// SlotsDone returns the number of slots of the moves before Current.
func (r *Reshard) SlotsDone() int {
	n := 0
	for _, mv := range r.Plan[:min(r.Current, len(r.Plan))] {
		n += mv.Count()
	}
	return n
}

// SlotsTotal returns the number of slots the plan moves.
func (r *Reshard) SlotsTotal() int {
	n := 0
	for _, mv := range r.Plan {
		n += mv.Count()
	}
	return n
}

// Validate checks the journal's own rules: a valid ID, moves within the
// slots between two different shards, and Current within the plan.
func (r *Reshard) Validate() error {
	if err := ValidateID(r.ID); err != nil {
		return fmt.Errorf("%w reshard journal: %v", ErrInvalid, err)
	}
	for i, mv := range r.Plan {
		switch {
		case mv.First < 0 || mv.Last >= slot.Count || mv.First > mv.Last:
			return fmt.Errorf("%w reshard journal: move %d has slots %d-%d", ErrInvalid, i, mv.First, mv.Last)
		case mv.From == "" || mv.To == "" || mv.From == mv.To:
			return fmt.Errorf("%w reshard journal: move %d goes from %q to %q", ErrInvalid, i, mv.From, mv.To)
		}
	}
	if r.Current < 0 || r.Current > len(r.Plan) {
		return fmt.Errorf("%w reshard journal: current move %d of %d", ErrInvalid, r.Current, len(r.Plan))
	}
	if r.MaxKeysPerSec < 0 {
		return fmt.Errorf("%w reshard journal: negative throttle", ErrInvalid)
	}
	return nil
}

// clone returns a deep copy of r.
func (r *Reshard) clone() *Reshard {
	c := *r
	c.Plan = append([]Move(nil), r.Plan...)
	return &c
}

type reshardDoc struct {
	Format int `json:"format"`
	Reshard
}

func decodeReshard(key string, b []byte, rev int64) (*Reshard, error) {
	var d reshardDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, key, err)
	}
	if err := checkFormat(key, d.Format); err != nil {
		return nil, err
	}
	d.Revision = rev
	return &d.Reshard, nil
}

// Reshard reads the journal of the job in progress. It returns
// ErrNoReshard when there is none.
func (c *Client) Reshard(ctx context.Context) (*Reshard, error) {
	key := c.keys.reshard()
	resp, err := c.etcd.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("topology: read %s: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("%w in cluster %q", ErrNoReshard, c.cluster)
	}
	return decodeReshard(key, resp.Kvs[0].Value, resp.Kvs[0].ModRevision)
}

// StartReshard stores r as the journal of a new job, only if the cluster
// exists and no job is in progress: otherwise it fails with ErrNoCluster,
// or with ErrReshardRunning naming the job found. An empty r.ID gets a
// random one and a zero r.Created the current time. It returns the
// journal as stored, with its Revision.
func (c *Client) StartReshard(ctx context.Context, r *Reshard) (*Reshard, error) {
	n := r.clone()
	if n.ID == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		n.ID = "r-" + hex.EncodeToString(b[:])
	}
	if n.Created.IsZero() {
		n.Created = time.Now().UTC()
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	ck, key := c.keys.cluster(), c.keys.reshard()
	resp, err := c.etcd.Txn(ctx).
		If(
			clientv3.Compare(clientv3.CreateRevision(ck), ">", 0),
			clientv3.Compare(clientv3.CreateRevision(key), "=", 0),
		).
		Then(clientv3.OpPut(key, encode(reshardDoc{Format: Format, Reshard: *n}))).
		Else(clientv3.OpGet(ck), clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return nil, fmt.Errorf("topology: write %s: %w", key, err)
	}
	if !resp.Succeeded {
		if len(resp.Responses[0].GetResponseRange().Kvs) == 0 {
			return nil, c.errNoCluster()
		}
		kvs := resp.Responses[1].GetResponseRange().Kvs
		if len(kvs) == 0 { // only if etcd broke its transaction's atomicity
			return nil, fmt.Errorf("%w: %s", ErrConflict, key)
		}
		cur, err := decodeReshard(key, kvs[0].Value, kvs[0].ModRevision)
		if err != nil {
			return nil, fmt.Errorf("%w (its journal is unreadable: %v)", ErrReshardRunning, err)
		}
		return nil, fmt.Errorf("%w: %s", ErrReshardRunning, cur)
	}
	n.Revision = resp.Header.Revision
	return n, nil
}

// SaveReshard writes r over the journal it was read or last written as
// (r.Revision) and returns it with its new Revision. It fails with
// ErrConflict if the journal changed since, or was deleted: another
// shardis-meta works on the same job.
func (c *Client) SaveReshard(ctx context.Context, r *Reshard) (*Reshard, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	key := c.keys.reshard()
	resp, err := c.etcd.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", r.Revision)).
		Then(clientv3.OpPut(key, encode(reshardDoc{Format: Format, Reshard: *r}))).
		Commit()
	if err != nil {
		return nil, fmt.Errorf("topology: write %s: %w", key, err)
	}
	if !resp.Succeeded {
		return nil, fmt.Errorf("%w of the reshard journal (job %s): another shardis-meta changed or ended it", ErrConflict, r.ID)
	}
	n := r.clone()
	n.Revision = resp.Header.Revision
	return n, nil
}

// EndReshard deletes the journal r, which must be unchanged since it was
// read or written (ErrConflict otherwise).
func (c *Client) EndReshard(ctx context.Context, r *Reshard) error {
	key := c.keys.reshard()
	resp, err := c.etcd.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", r.Revision)).
		Then(clientv3.OpDelete(key)).
		Commit()
	if err != nil {
		return fmt.Errorf("topology: delete %s: %w", key, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("%w of the reshard journal (job %s): another shardis-meta changed or ended it", ErrConflict, r.ID)
	}
	return nil
}
