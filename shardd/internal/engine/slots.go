package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/atomicfile"
)

// The slot table of online resharding (docs/resharding.md; formats in
// pkg/migrate): which slots this shard serves, at which slot-map version.
// shardis-meta sets it with SHARDIS.SETSLOTS; it is saved to
// shardis-slots.conf in the config's dir before SETSLOTS answers, and
// loaded at start (LoadSlots).
//
// Fencing. A keyed command (the dispatcher's run, EXEC, SHARDIS.PREPARE,
// SHARDIS.LOCKREAD, SHARDIS.IMPORT) checks, with its slots locked, that the
// table serves every slot of its keys, and otherwise answers WRONGSHARD
// and runs nothing. The table is an immutable migrate.Table behind an
// atomic pointer, so the check is one load and one index; nil (never set,
// standalone use) serves every slot. SETSLOTS write-locks the slots it
// takes away while it swaps the pointer, so a command on one of them
// either ran (and registered, if it blocked) before the swap or sees the
// new table.

// SlotsFile is the name of the saved slot table in the config's dir. It
// holds one line: the version, then the specs, as SETSLOTS takes them.
const SlotsFile = "shardis-slots.conf"

type slotTable struct {
	table atomic.Pointer[migrate.Table]
	// mu serializes SETSLOTS: the version check, the file and the swap.
	mu sync.Mutex
}

func slotCommands() map[string]handler {
	return map[string]handler{
		"shardis.setslots": cmdSetSlots,
		"shardis.getslots": cmdGetSlots,
	}
}

// unserved reports whether the table refuses keys of slot s, and its
// version for the refusal.
func (e *Engine) unserved(s int) (version uint64, refused bool) {
	t := e.slots.table.Load()
	if t == nil || t.Slots[s].Serves() {
		return 0, false
	}
	return t.Version, true
}

// unservedAny is unserved for several slots: the first one refused.
func (e *Engine) unservedAny(slots []int) (version uint64, s int, refused bool) {
	t := e.slots.table.Load()
	if t == nil {
		return 0, 0, false
	}
	for _, s := range slots {
		if !t.Slots[s].Serves() {
			return t.Version, s, true
		}
	}
	return 0, 0, false
}

// queueUnserved is unservedAny for the keys of EXEC's queued commands.
func (e *Engine) queueUnserved(queue []queuedCmd) (version uint64, s int, refused bool) {
	t := e.slots.table.Load()
	if t == nil {
		return 0, 0, false
	}
	var posBuf [16]int
	for _, q := range queue {
		for _, p := range q.spec.AppendKeyPositions(posBuf[:0], q.args) {
			if s := slot.Of(q.args[p]); !t.Slots[s].Serves() {
				return t.Version, s, true
			}
		}
	}
	return 0, 0, false
}

// cmdSetSlots: SHARDIS.SETSLOTS version spec...
func cmdSetSlots(x *Ctx) {
	specs := make([]string, len(x.args)-2)
	for i, a := range x.args[2:] {
		specs[i] = string(a)
	}
	t, err := migrate.ParseTable(string(x.args[1]), specs)
	if err != nil {
		x.r.Error("ERR " + err.Error())
		return
	}
	e := x.e
	e.slots.mu.Lock()
	defer e.slots.mu.Unlock()
	old := e.slots.table.Load()
	if old != nil && t.Version < old.Version {
		x.r.Error(fmt.Sprintf("%s version %d: this shard has version %d", migrate.StaleTable, t.Version, old.Version))
		return
	}
	// Saved first: once acknowledged, the table must survive a crash.
	if err := saveSlots(e.slotsPath(), t); err != nil {
		x.r.Error("ERR cannot save the slot table: " + err.Error())
		return
	}
	e.installSlots(old, t)
	e.log.Info("slot table set", "version", t.Version)
	x.r.OK()
}

// cmdGetSlots: SHARDIS.GETSLOTS — the version then the specs, as bulk
// strings (what SETSLOTS takes); an empty array when no table was ever
// set (every slot served).
func cmdGetSlots(x *Ctx) {
	t := x.e.slots.table.Load()
	if t == nil {
		x.r.Array(0)
		return
	}
	specs := t.Specs()
	x.r.Array(1 + len(specs))
	x.r.BulkString(strconv.FormatUint(t.Version, 10))
	for _, s := range specs {
		x.r.BulkString(s)
	}
}

// installSlots replaces the table old with t. The slots whose state
// changes are write-locked during the swap, so that a command or a key
// move on one of them either ran before the swap or sees t (see above).
// The clients blocked on keys of the slots t takes away are then answered
// with the refusal, so that the proxy re-runs their command where the key
// lives now.
func (e *Engine) installSlots(old, t *migrate.Table) {
	var changed []int
	lost := false
	for s, st := range t.Slots {
		if old == nil || old.Slots[s] != st {
			changed = append(changed, s)
			lost = lost || (!st.Serves() && (old == nil || old.Slots[s].Serves()))
		}
	}
	for _, s := range changed {
		e.ks.Lock(s, true)
	}
	e.slots.table.Store(t)
	e.unlockSlots(changed, true)
	if lost {
		e.wakeUnserved(t)
	}
}

func (e *Engine) slotsPath() string {
	return filepath.Join(e.cfg.String("dir"), SlotsFile)
}

// saveSlots writes t to path atomically.
func saveSlots(path string, t *migrate.Table) error {
	line := strconv.FormatUint(t.Version, 10)
	if specs := t.Specs(); len(specs) > 0 {
		line += " " + strings.Join(specs, " ")
	}
	return atomicfile.Write(path, []byte(line+"\n"))
}

// LoadSlots installs the slot table saved in the config's dir, if there
// is one. Call it before serving and after loading the data: the AOF
// replays changes the shard made whatever its table, so replay is not
// fenced. A file that cannot be parsed stops the start: serving every
// slot instead could write to slots another shard owns.
func (e *Engine) LoadSlots() error {
	path := e.slotsPath()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot read the slot table: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return fmt.Errorf("cannot load the slot table %q: the file is empty", path)
	}
	t, err := migrate.ParseTable(f[0], f[1:])
	if err != nil {
		return fmt.Errorf("cannot load the slot table %q: %w", path, err)
	}
	e.slots.table.Store(t)
	e.log.Info("slot table loaded", "version", t.Version)
	return nil
}
