package topology

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/shardis/shardis/pkg/slot"
)

// SlotMap says which shard serves every slot. It is stored as one etcd
// document; every change writes Version+1 by compare-and-swap on the
// document's previous mod revision (see Client.UpdateSlotMap).
//
// Every slot has an owner. A slot being moved keeps its old owner in Owner
// until the move completes, and has an entry in Migrations.
type SlotMap struct {
	// Version counts the changes of the map, starting at 1 when the
	// cluster is initialized. Proxies acknowledge versions (see Barrier).
	Version uint64
	// Owner is the ID of the shard that owns each slot.
	Owner [slot.Count]string
	// Migrations holds the slots being moved, by slot.
	Migrations map[int]Migration
	// Revision is the etcd mod revision the map was read at (0 for a map
	// not read from etcd). Not stored.
	Revision int64
}

// MigrationState is the step a slot's move is at.
type MigrationState string

// Migrating is the state of a slot marked for moving (DESIGN.md, "Moving
// slots", step 1): proxies send its keys to the target, which pulls each key
// from the source first. The resharding code may add states.
const Migrating MigrationState = "migrating"

// Migration describes one slot being moved from shard From to shard To.
type Migration struct {
	From  string         `json:"from"`
	To    string         `json:"to"`
	State MigrationState `json:"state"`
}

// OwnerRange is a run of consecutive slots, First to Last inclusive, with
// the same owner.
type OwnerRange struct {
	First int    `json:"first"`
	Last  int    `json:"last"`
	Shard string `json:"shard"`
}

// Count returns the number of slots in the range.
func (r OwnerRange) Count() int { return r.Last - r.First + 1 }

// MigrationRange is a run of consecutive slots, First to Last inclusive,
// with the same migration.
type MigrationRange struct {
	First int `json:"first"`
	Last  int `json:"last"`
	Migration
}

// Spread returns a map (Version 0) that gives the slots to the shards ids
// in contiguous ranges of nearly equal size: the first 16384 % len(ids)
// shards get one slot more than the others. ids must not be empty.
func Spread(ids []string) *SlotMap {
	m := &SlotMap{Migrations: map[int]Migration{}}
	n := len(ids)
	if n == 0 {
		return m
	}
	s := 0
	for i, id := range ids {
		size := slot.Count / n
		if i < slot.Count%n {
			size++
		}
		for range size {
			m.Owner[s] = id
			s++
		}
	}
	return m
}

// Clone returns a deep copy of m.
func (m *SlotMap) Clone() *SlotMap {
	c := *m
	c.Migrations = maps.Clone(m.Migrations)
	if c.Migrations == nil {
		c.Migrations = map[int]Migration{}
	}
	return &c
}

// SameAssignment reports whether m and o assign and migrate every slot the
// same way, ignoring Version and Revision.
func (m *SlotMap) SameAssignment(o *SlotMap) bool {
	return m.Owner == o.Owner && maps.Equal(m.Migrations, o.Migrations)
}

// Ranges returns the map as runs of consecutive slots with one owner, in
// slot order.
func (m *SlotMap) Ranges() []OwnerRange {
	var rs []OwnerRange
	for s := 0; s < slot.Count; s++ {
		if n := len(rs); n > 0 && rs[n-1].Last == s-1 && rs[n-1].Shard == m.Owner[s] {
			rs[n-1].Last = s
			continue
		}
		if m.Owner[s] != "" {
			rs = append(rs, OwnerRange{First: s, Last: s, Shard: m.Owner[s]})
		}
	}
	return rs
}

// RangesOf returns the ranges owned by shard id, in slot order.
func (m *SlotMap) RangesOf(id string) []OwnerRange {
	var rs []OwnerRange
	for _, r := range m.Ranges() {
		if r.Shard == id {
			rs = append(rs, r)
		}
	}
	return rs
}

// MigrationRanges returns the migrations as runs of consecutive slots with
// the same source, target and state, in slot order.
func (m *SlotMap) MigrationRanges() []MigrationRange {
	ss := slices.Sorted(maps.Keys(m.Migrations))
	var rs []MigrationRange
	for _, s := range ss {
		mg := m.Migrations[s]
		if n := len(rs); n > 0 && rs[n-1].Last == s-1 && rs[n-1].Migration == mg {
			rs[n-1].Last = s
			continue
		}
		rs = append(rs, MigrationRange{First: s, Last: s, Migration: mg})
	}
	return rs
}

// Counts returns the number of slots each shard owns. Shards that own no
// slot are absent.
func (m *SlotMap) Counts() map[string]int {
	c := map[string]int{}
	for _, id := range m.Owner {
		if id != "" {
			c[id]++
		}
	}
	return c
}

// Busy reports whether shard id owns a slot or takes part in a migration.
func (m *SlotMap) Busy(id string) bool {
	if slices.Contains(m.Owner[:], id) {
		return true
	}
	for _, mg := range m.Migrations {
		if mg.From == id || mg.To == id {
			return true
		}
	}
	return false
}

// Validate checks the map's own rules (every slot owned, migrations start
// at the owner and go to another shard, in a known slot) and, when reg is
// not nil, that every shard it names is registered.
func (m *SlotMap) Validate(reg *Registry) error {
	known := func(id string) bool {
		if reg == nil {
			return id != ""
		}
		_, ok := reg.Shard(id)
		return ok
	}
	for s, id := range m.Owner {
		if id == "" {
			return fmt.Errorf("%w slot map: slot %d has no owner", ErrInvalid, s)
		}
		if !known(id) {
			return fmt.Errorf("%w slot map: slot %d is owned by unregistered shard %q", ErrInvalid, s, id)
		}
	}
	for s, mg := range m.Migrations {
		switch {
		case s < 0 || s >= slot.Count:
			return fmt.Errorf("%w slot map: migration of slot %d out of range", ErrInvalid, s)
		case mg.From != m.Owner[s]:
			return fmt.Errorf("%w slot map: slot %d migrates from %q but is owned by %q", ErrInvalid, s, mg.From, m.Owner[s])
		case mg.To == mg.From:
			return fmt.Errorf("%w slot map: slot %d migrates from %q to itself", ErrInvalid, s, mg.From)
		case !known(mg.To):
			return fmt.Errorf("%w slot map: slot %d migrates to unregistered shard %q", ErrInvalid, s, mg.To)
		case mg.State == "":
			return fmt.Errorf("%w slot map: slot %d migrates without a state", ErrInvalid, s)
		}
	}
	return nil
}

// slotMapDoc is the stored form of a SlotMap: owners and migrations as
// ranges, about a hundred bytes per range instead of 16384 entries.
type slotMapDoc struct {
	Format     int              `json:"format"`
	Version    uint64           `json:"version"`
	Slots      []OwnerRange     `json:"slots"`
	Migrations []MigrationRange `json:"migrations,omitempty"`
}

// MarshalJSON encodes the map in its stored form (see docs/topology.md).
func (m *SlotMap) MarshalJSON() ([]byte, error) {
	return json.Marshal(slotMapDoc{
		Format:     Format,
		Version:    m.Version,
		Slots:      m.Ranges(),
		Migrations: m.MigrationRanges(),
	})
}

// UnmarshalJSON decodes the stored form. It checks the format and that the
// ranges are in bounds and do not overlap; Validate checks the rest.
func (m *SlotMap) UnmarshalJSON(b []byte) error {
	var d slotMapDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("%w: slot map: %v", ErrFormat, err)
	}
	if d.Format != Format {
		return fmt.Errorf("%w: slot map has format %d, this version reads format %d", ErrFormat, d.Format, Format)
	}
	n := SlotMap{Version: d.Version, Migrations: map[int]Migration{}}
	for _, r := range d.Slots {
		if r.First < 0 || r.Last >= slot.Count || r.First > r.Last || r.Shard == "" {
			return fmt.Errorf("%w: slot map: bad range %d-%d %q", ErrFormat, r.First, r.Last, r.Shard)
		}
		for s := r.First; s <= r.Last; s++ {
			if n.Owner[s] != "" {
				return fmt.Errorf("%w: slot map: slot %d owned twice", ErrFormat, s)
			}
			n.Owner[s] = r.Shard
		}
	}
	for _, r := range d.Migrations {
		if r.First < 0 || r.Last >= slot.Count || r.First > r.Last {
			return fmt.Errorf("%w: slot map: bad migration range %d-%d", ErrFormat, r.First, r.Last)
		}
		for s := r.First; s <= r.Last; s++ {
			if _, dup := n.Migrations[s]; dup {
				return fmt.Errorf("%w: slot map: slot %d migrates twice", ErrFormat, s)
			}
			n.Migrations[s] = r.Migration
		}
	}
	*m = n
	return nil
}

func decodeSlotMap(b []byte, rev int64) (*SlotMap, error) {
	m := new(SlotMap)
	if err := json.Unmarshal(b, m); err != nil {
		if !errors.Is(err, ErrFormat) { // a syntax error found before UnmarshalJSON
			err = fmt.Errorf("%w: slot map: %v", ErrFormat, err)
		}
		return nil, err
	}
	m.Revision = rev
	return m, nil
}
