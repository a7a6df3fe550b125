package probe

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/shardis/shardis/pkg/migrate"
)

// ErrStaleTable means a shard refused a slot table because it holds one of
// a higher version.
var ErrStaleTable = errors.New("shard holds a newer slot table")

// Shard is a connection to one shard for the resharding commands of
// pkg/migrate. It is safe for concurrent use; Close releases it.
type Shard struct {
	addr string
	c    *redis.Client
}

// Dial returns a connection to the shard at addr (it connects on first
// use).
func Dial(addr string, o Options) *Shard { return &Shard{addr: addr, c: o.client(addr)} }

// Close closes the connection.
func (s *Shard) Close() error { return s.c.Close() }

// SetSlots sends the shard its slot table (SHARDIS.SETSLOTS). It wraps
// ErrStaleTable when the shard holds a table of a higher version.
func (s *Shard) SetSlots(ctx context.Context, t *migrate.Table) error {
	args := []any{migrate.SetSlots, strconv.FormatUint(t.Version, 10)}
	for _, sp := range t.Specs() {
		args = append(args, sp)
	}
	if err := s.c.Do(ctx, args...).Err(); err != nil {
		if strings.HasPrefix(err.Error(), migrate.StaleTable) {
			return fmt.Errorf("shard %s: %w of version %d: %v", s.addr, ErrStaleTable, t.Version, err)
		}
		if strings.HasPrefix(err.Error(), "ERR unknown command") {
			return fmt.Errorf("shard %s has no slot table (%w): a Shardis shard must be a shardd", s.addr, err)
		}
		return fmt.Errorf("shard %s: %s: %w", s.addr, migrate.SetSlots, err)
	}
	return nil
}

// MigrateSlot moves up to count keys of slot to the shard at target
// (SHARDIS.MIGRATESLOT) and returns how many it moved and how many are
// left.
func (s *Shard) MigrateSlot(ctx context.Context, slot int, target string, count int) (moved, left int64, err error) {
	reply, err := s.c.Do(ctx, migrate.MigrateSlot, slot, target, count).Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("shard %s: %s %d %s: %w", s.addr, migrate.MigrateSlot, slot, target, err)
	}
	if len(reply) == 2 {
		m, ok1 := reply[0].(int64)
		l, ok2 := reply[1].(int64)
		if ok1 && ok2 {
			return m, l, nil
		}
	}
	return 0, 0, fmt.Errorf("shard %s: %s: unexpected reply %v", s.addr, migrate.MigrateSlot, reply)
}
