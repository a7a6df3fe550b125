package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/pkg/topology"
)

// DefaultBatchSlots is how many slots a job marks, copies and finishes
// together unless told otherwise: small enough that a batch is quick to
// finish or abort, large enough that a 2 to 3 shard rebalance is a few
// dozen steps (each costs two slot-map versions and two barriers).
const DefaultBatchSlots = 256

// ParseSlotRanges parses slots written as FormatRanges writes them:
// "0-99,200,300-399".
func ParseSlotRanges(s string) ([][2]int, error) {
	var rs [][2]int
	for part := range strings.SplitSeq(s, ",") {
		first, last, isRange := strings.Cut(strings.TrimSpace(part), "-")
		if !isRange {
			last = first
		}
		f, err1 := strconv.Atoi(first)
		l, err2 := strconv.Atoi(last)
		if err1 != nil || err2 != nil || f < 0 || l >= slot.Count || f > l {
			return nil, fmt.Errorf("invalid slot range %q: want FIRST-LAST or SLOT, with 0 <= FIRST <= LAST <= %d", part, slot.Count-1)
		}
		rs = append(rs, [2]int{f, l})
	}
	return rs, nil
}

// PlanMove plans moving the slots of rs to shard to: one move per run of
// slots with the same owner (slots that to owns already are left out),
// split into batches of up to batch slots.
func (a *Admin) PlanMove(ctx context.Context, rs [][2]int, to string, batch int) ([]topology.Move, error) {
	reg, m, err := a.planLoad(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := reg.Shard(to); !ok {
		return nil, a.hint(fmt.Errorf("%w: %q", topology.ErrShardNotFound, to))
	}
	var want [slot.Count]bool
	for _, r := range rs {
		for s := r[0]; s <= r[1]; s++ {
			want[s] = true
		}
	}
	var moves []topology.Move
	for s := range slot.Count {
		if !want[s] || m.Owner[s] == to {
			continue
		}
		if n := len(moves); n > 0 && moves[n-1].Last == s-1 && moves[n-1].From == m.Owner[s] {
			moves[n-1].Last = s
			continue
		}
		moves = append(moves, topology.Move{First: s, Last: s, From: m.Owner[s], To: to})
	}
	return splitMoves(moves, batch), nil
}

// PlanRebalance plans spreading the slots evenly over the registered
// shards, except drain (when not ""), which is to give all its slots
// away. Each shard ends with 16384/n slots or one more, and as few slots
// move as possible: the shards owning the most keep the extra slots, and
// slots go from the shard with the largest surplus to the one with the
// largest deficit, taken from the end of the giver's slots so that they
// stay in contiguous ranges. The moves are split into batches of up to
// batch slots.
func (a *Admin) PlanRebalance(ctx context.Context, drain string, batch int) ([]topology.Move, error) {
	reg, m, err := a.planLoad(ctx)
	if err != nil {
		return nil, err
	}
	ids := reg.IDs()
	if drain != "" && !slices.Contains(ids, drain) {
		return nil, a.hint(fmt.Errorf("%w: %q", topology.ErrShardNotFound, drain))
	}
	members := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == drain })
	if len(members) == 0 {
		return nil, fmt.Errorf("shard %s is the only shard: no other shard can take its slots", drain)
	}
	counts := m.Counts()
	// A stable sort keeps registration order among equals, so plans are
	// reproducible.
	slices.SortStableFunc(members, func(x, y string) int { return cmp.Compare(counts[y], counts[x]) })
	target := map[string]int{}
	for i, id := range members {
		target[id] = slot.Count / len(members)
		if i < slot.Count%len(members) {
			target[id]++
		}
	}
	owner := m.Owner
	var moves []topology.Move
	for {
		from, to := "", ""
		for _, id := range ids {
			if d := counts[id] - target[id]; d > 0 && (from == "" || d > counts[from]-target[from]) {
				from = id
			}
			if d := target[id] - counts[id]; d > 0 && (to == "" || d > target[to]-counts[to]) {
				to = id
			}
		}
		if from == "" || to == "" {
			return splitMoves(moves, batch), nil
		}
		n := min(counts[from]-target[from], target[to]-counts[to])
		moves = append(moves, take(&owner, from, to, n)...)
		counts[from] -= n
		counts[to] += n
	}
}

// take gives the last n slots that from owns in owner to to, and returns
// the moves that do it in slot order.
func take(owner *[slot.Count]string, from, to string, n int) []topology.Move {
	var moves []topology.Move
	for s := slot.Count - 1; s >= 0 && n > 0; s-- {
		if owner[s] != from {
			continue
		}
		owner[s] = to
		n--
		if k := len(moves); k > 0 && moves[k-1].First == s+1 {
			moves[k-1].First = s
			continue
		}
		moves = append(moves, topology.Move{First: s, Last: s, From: from, To: to})
	}
	slices.Reverse(moves)
	return moves
}

// planLoad reads the registry and map for planning. It refuses while a
// job is in progress (which StartReshard checks again, atomically) and
// while the map has migrations, which only a job should leave there.
func (a *Admin) planLoad(ctx context.Context) (*topology.Registry, *topology.SlotMap, error) {
	if err := a.NoJob(ctx); err != nil {
		return nil, nil, err
	}
	reg, m, err := a.Topo.Load(ctx)
	if err != nil {
		return nil, nil, a.hint(err)
	}
	if ms := m.MigrationRanges(); len(ms) > 0 {
		mr := ms[0]
		return nil, nil, fmt.Errorf("slots %d-%d are migrating from %s to %s outside a resharding job; finish or undo that first (%d migrating ranges)",
			mr.First, mr.Last, mr.From, mr.To, len(ms))
	}
	return reg, m, nil
}

// NoJob fails, saying what to do, when a resharding job is in progress.
func (a *Admin) NoJob(ctx context.Context) error {
	j, err := a.Topo.Reshard(ctx)
	if errors.Is(err, topology.ErrNoReshard) {
		return nil
	}
	if err != nil {
		return a.hint(err)
	}
	return a.hint(fmt.Errorf("%w: %s", topology.ErrReshardRunning, j))
}

// splitMoves cuts moves into batches of at most batch slots (0 means
// DefaultBatchSlots).
func splitMoves(moves []topology.Move, batch int) []topology.Move {
	if batch <= 0 {
		batch = DefaultBatchSlots
	}
	var out []topology.Move
	for _, mv := range moves {
		for f := mv.First; f <= mv.Last; f += batch {
			out = append(out, topology.Move{First: f, Last: min(f+batch-1, mv.Last), From: mv.From, To: mv.To})
		}
	}
	return out
}

// MergeMoves joins consecutive batches that continue one another (same
// shards, adjacent slots): the plan as an operator thinks of it.
func MergeMoves(plan []topology.Move) []topology.Move {
	var out []topology.Move
	for _, mv := range plan {
		if n := len(out); n > 0 && out[n-1].Last+1 == mv.First && out[n-1].From == mv.From && out[n-1].To == mv.To {
			out[n-1].Last = mv.Last
			continue
		}
		out = append(out, mv)
	}
	return out
}
