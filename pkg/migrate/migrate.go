package migrate

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/shardis/shardis/pkg/slot"
)

// Command names.
const (
	SetSlots    = "SHARDIS.SETSLOTS"
	GetSlots    = "SHARDIS.GETSLOTS"
	MoveKeys    = "SHARDIS.MOVEKEYS"
	MigrateSlot = "SHARDIS.MIGRATESLOT"
	Import      = "SHARDIS.IMPORT"
)

// ErrWrongShard is the code of the refusal error.
const ErrWrongShard = "WRONGSHARD"

// StaleTable starts SETSLOTS's error when the shard has a newer table.
const StaleTable = "ERR stale slot table"

// State is what a shard does with one slot.
type State byte

const (
	NotServed State = 0
	Owned     State = 'o'
	Migrating State = 'm'
	Importing State = 'i'
)

// Serves reports whether a shard in state s runs client commands on the
// slot's keys. A migrating slot's keys are served by its target.
func (s State) Serves() bool { return s == Owned || s == Importing }

// Table is a shard's slot table.
type Table struct {
	Version uint64
	Slots   [slot.Count]State
}

// Specs returns the table's slots as "first-last:state" runs.
func (t *Table) Specs() []string {
	var out []string
	for s := 0; s < slot.Count; {
		st := t.Slots[s]
		e := s
		for e+1 < slot.Count && t.Slots[e+1] == st {
			e++
		}
		if st != NotServed {
			if e == s {
				out = append(out, fmt.Sprintf("%d:%c", s, st))
			} else {
				out = append(out, fmt.Sprintf("%d-%d:%c", s, e, st))
			}
		}
		s = e + 1
	}
	return out
}

// ParseTable parses a version and specs.
func ParseTable(version string, specs []string) (*Table, error) {
	v, err := strconv.ParseUint(version, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("invalid slot table version %q", version)
	}
	t := &Table{Version: v}
	for _, sp := range specs {
		rng, st, ok := strings.Cut(sp, ":")
		if !ok || len(st) != 1 || (st[0] != byte(Owned) && st[0] != byte(Migrating) && st[0] != byte(Importing)) {
			return nil, fmt.Errorf("invalid slot spec %q", sp)
		}
		first, last, isRange := strings.Cut(rng, "-")
		if !isRange {
			last = first
		}
		f, err1 := strconv.Atoi(first)
		l, err2 := strconv.Atoi(last)
		if err1 != nil || err2 != nil || f < 0 || l >= slot.Count || f > l {
			return nil, fmt.Errorf("invalid slot range %q", rng)
		}
		for s := f; s <= l; s++ {
			t.Slots[s] = State(st[0])
		}
	}
	return t, nil
}

// WrongShard returns the text of the refusal error (without "-").
func WrongShard(version uint64, s int) string {
	return fmt.Sprintf("%s %d slot %d is not served by this shard", ErrWrongShard, version, s)
}

// IsWrongShardReply reports whether raw, a RESP reply, is the refusal.
func IsWrongShardReply(raw []byte) bool {
	return bytes.HasPrefix(raw, wrongShardReply)
}

var wrongShardReply = []byte("-" + ErrWrongShard + " ")

// ParseWrongShard returns the version a WRONGSHARD error names; ok is
// false for any other error text.
func ParseWrongShard(msg string) (version uint64, ok bool) {
	rest, found := strings.CutPrefix(msg, ErrWrongShard+" ")
	if !found {
		return 0, false
	}
	v, _, _ := strings.Cut(rest, " ")
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil
}
