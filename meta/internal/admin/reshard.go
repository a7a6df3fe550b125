package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shardis/shardis/meta/internal/probe"
	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/pkg/topology"
)

// Resharding (docs/resharding.md): a job is a plan of batches, each moved
// from shard A to shard B in three steps, mark, copy and finish, with the
// journal in etcd written before and after each. Every step starts from
// what the slot map says, so a step repeated after a crash finds its work
// done, or half done, and completes it.

// DefaultBarrierTimeout bounds each wait for the proxies to apply a map
// version. It is longer than the proxies' default lease TTL (10s), so a
// proxy that died drops out of the barrier instead of failing the step.
const DefaultBarrierTimeout = 30 * time.Second

const (
	// keysPerCall is the count of one SHARDIS.MIGRATESLOT call: enough to
	// amortize the round trip, few enough that the source holds each
	// slot's lock briefly.
	keysPerCall = 100
	// saveEvery is how often the copy records its progress in the journal.
	saveEvery = time.Second
	// copyTimeout bounds one MIGRATESLOT call, which imports its keys on
	// the target before replying: far longer than a probe.
	copyTimeout = 30 * time.Second
	// stepSlack is what a mark or finish step may take besides its
	// barrier: etcd round trips and table pushes.
	stepSlack = 30 * time.Second
	// maxConflicts is how often a step re-reads the map after losing a
	// compare-and-swap to another writer before it gives up.
	maxConflicts = 10
	// idleWait is the pause before asking again a source that moved no
	// key of a slot it still has keys of, so that the copy cannot spin.
	idleWait = 50 * time.Millisecond
)

// ErrInterrupted is returned by a job stopped on request (its context
// ended); the journal stays for --resume or --abort.
var ErrInterrupted = errors.New("interrupted")

// ReshardOptions configure a job's run.
type ReshardOptions struct {
	// MaxKeysPerSec throttles the copy; 0 means unthrottled. A new job
	// stores it in its journal; a resumed job uses the journal's unless
	// SetThrottle is true.
	MaxKeysPerSec int64
	// SetThrottle makes a resumed job use (and store) MaxKeysPerSec.
	SetThrottle bool
	// BarrierTimeout bounds each wait for the proxies; 0 means
	// DefaultBarrierTimeout. Keep it above the proxies' lease TTL.
	BarrierTimeout time.Duration
	// Progress, when not nil, is called from the job's goroutine after
	// every step and every copy call.
	Progress func(Progress)
}

// Progress is a job's state as the progress display shows it.
type Progress struct {
	Job string
	// Step is what the job does: "marking", "copying", "finishing"; an
	// abort says "moving back", "copying back", "restoring".
	Step string
	// Batch is the current batch, number Index (from 1) of Batches.
	Batch          topology.Move
	Index, Batches int
	// SlotsDone counts the slots of finished batches and the slots of
	// the current batch whose keys are all copied; SlotsTotal the plan's.
	SlotsDone, SlotsTotal int
	// KeysMoved counts the keys the whole job moved (all its runs).
	KeysMoved int64
	// RunSlots and RunKeys count the slots (as SlotsDone does) and keys
	// this run moved, in Elapsed.
	RunSlots int
	RunKeys  int64
	Elapsed  time.Duration
}

// ReshardSummary is what a run of a job did.
type ReshardSummary struct {
	Job     string
	Slots   int   // slots moved by this run
	Keys    int64 // keys moved by this run
	JobKeys int64 // keys moved by the job in all its runs
	Elapsed time.Duration
}

// Reshard starts a job for plan (from PlanMove or PlanRebalance) and runs
// it. ctx ending stops the job after its current step (ErrInterrupted);
// the journal then stays for ResumeReshard or AbortReshard.
func (a *Admin) Reshard(ctx context.Context, plan []topology.Move, o ReshardOptions) (*ReshardSummary, error) {
	j, err := a.Topo.StartReshard(ctx, &topology.Reshard{Plan: plan, MaxKeysPerSec: o.MaxKeysPerSec})
	if err != nil {
		return nil, a.hint(err)
	}
	return a.newRun(ctx, j, o).forward()
}

// ResumeReshard continues the job in progress from its journal.
func (a *Admin) ResumeReshard(ctx context.Context, o ReshardOptions) (*ReshardSummary, error) {
	j, err := a.job(ctx)
	if err != nil {
		return nil, err
	}
	if j.Aborting {
		return nil, fmt.Errorf("%s is being aborted; finish that with 'shardis-meta rebalance --abort'", j)
	}
	r := a.newRun(ctx, j, o)
	if o.SetThrottle && j.MaxKeysPerSec != o.MaxKeysPerSec {
		r.j.MaxKeysPerSec = o.MaxKeysPerSec
		if err := r.save(); err != nil {
			return nil, err
		}
	}
	return r.forward()
}

// AbortReshard ends the job in progress: the batches it finished stay
// moved, its current batch goes back to the source (keys included), and
// the journal is deleted. Like a job, it stops on ctx's end after its
// current step, and running it again continues it.
func (a *Admin) AbortReshard(ctx context.Context, o ReshardOptions) (*ReshardSummary, error) {
	j, err := a.job(ctx)
	if err != nil {
		return nil, err
	}
	r := a.newRun(ctx, j, o)
	if o.SetThrottle {
		r.j.MaxKeysPerSec = o.MaxKeysPerSec
	}
	if r.j.Current == len(r.j.Plan) {
		return r.end()
	}
	if !r.j.Aborting {
		r.j.Aborting = true
		if err := r.save(); err != nil {
			return nil, err
		}
	}
	mv := r.j.Plan[r.j.Current]
	_, m, err := a.Topo.Load(r.ctx)
	if err != nil {
		return nil, err
	}
	st, err := stateOf(m, mv)
	if err != nil {
		return nil, err
	}
	if st != unmarked {
		// The keys are at both shards: B becomes the owner migrating the
		// slots back to A, so that proxies send every command to A while
		// B's keys are copied back.
		r.step = "moving back"
		if err := r.transition(mv, mv.To, mv.From, marked, finished, reversed); err != nil {
			return nil, err
		}
		r.step = "copying back"
		if err := r.copy(topology.Move{First: mv.First, Last: mv.Last, From: mv.To, To: mv.From}); err != nil {
			return nil, err
		}
	}
	// Also for an unmarked batch: a run that died after pushing the mark's
	// tables but before writing the map left shards with tables the map
	// does not match; this pushes the map's again.
	r.step = "restoring"
	if err := r.transition(mv, mv.From, "", reversed, unmarked); err != nil {
		return nil, err
	}
	return r.end()
}

// ReshardStatus is the resharding job in progress, from its journal.
type ReshardStatus struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Moves is the plan with its batches merged (MergeMoves).
	Moves   []topology.Move `json:"moves"`
	Batches int             `json:"batches"`
	// Batch is the batch in progress, number Index (from 1); nil once
	// every batch is done.
	Batch         *topology.Move `json:"batch,omitempty"`
	Index         int            `json:"index"`
	Marked        bool           `json:"marked"`
	Aborting      bool           `json:"aborting"`
	SlotsDone     int            `json:"slots_done"`
	SlotsTotal    int            `json:"slots_total"`
	KeysMoved     int64          `json:"keys_moved"`
	MaxKeysPerSec int64          `json:"max_keys_per_sec"`
}

// reshardStatus reports the job of journal j (nil: none).
func reshardStatus(j *topology.Reshard) *ReshardStatus {
	if j == nil {
		return nil
	}
	st := &ReshardStatus{
		ID: j.ID, Created: j.Created, Moves: MergeMoves(j.Plan), Batches: len(j.Plan), Index: j.Current + 1,
		Marked: j.Marked, Aborting: j.Aborting, SlotsDone: j.SlotsDone(), SlotsTotal: j.SlotsTotal(),
		KeysMoved: j.KeysMoved, MaxKeysPerSec: j.MaxKeysPerSec,
	}
	if j.Current < len(j.Plan) {
		st.Batch = &j.Plan[j.Current]
	}
	return st
}

// job reads the journal of the job in progress.
func (a *Admin) job(ctx context.Context) (*topology.Reshard, error) {
	j, err := a.Topo.Reshard(ctx)
	if errors.Is(err, topology.ErrNoReshard) {
		return nil, fmt.Errorf("no resharding job in progress in cluster %q", a.Topo.Name())
	}
	return j, a.hint(err)
}

// run is one run of a job: this process's work on it, from start or
// resume to end or interruption.
type run struct {
	a    *Admin
	o    ReshardOptions
	stop context.Context // its end asks the job to stop after the current step
	ctx  context.Context // for the steps, which complete even when asked to stop
	j    *topology.Reshard
	step string

	started  time.Time
	copied   int // slots of the current batch whose keys are all copied
	runSlots int
	runKeys  int64
	saved    time.Time
}

func (a *Admin) newRun(stop context.Context, j *topology.Reshard, o ReshardOptions) *run {
	if o.BarrierTimeout <= 0 {
		o.BarrierTimeout = DefaultBarrierTimeout
	}
	return &run{a: a, o: o, stop: stop, ctx: context.WithoutCancel(stop), j: j, started: time.Now()}
}

// forward runs the job's remaining batches, then deletes the journal.
func (r *run) forward() (*ReshardSummary, error) {
	for r.j.Current < len(r.j.Plan) {
		if r.stop.Err() != nil {
			return r.summary(), r.interrupted()
		}
		mv := r.j.Plan[r.j.Current]
		_, m, err := r.a.Topo.Load(r.ctx)
		if err != nil {
			return r.summary(), err
		}
		st, err := stateOf(m, mv)
		if err != nil {
			return r.summary(), err
		}
		if st == unmarked || st == marked {
			r.step = "marking"
			if err := r.transition(mv, mv.From, mv.To, unmarked, marked); err != nil {
				return r.summary(), err
			}
			if !r.j.Marked {
				r.j.Marked = true
				if err := r.save(); err != nil {
					return r.summary(), err
				}
			}
			r.step = "copying"
			if err := r.copy(mv); err != nil {
				return r.summary(), err
			}
		}
		r.step = "finishing"
		if err := r.transition(mv, mv.To, "", marked, finished); err != nil {
			return r.summary(), err
		}
		r.runSlots += mv.Count()
		r.copied = 0
		r.j.Current++
		r.j.Marked = false
		if err := r.save(); err != nil {
			return r.summary(), err
		}
		r.progress()
	}
	return r.end()
}

// end deletes the journal: the job is over.
func (r *run) end() (*ReshardSummary, error) {
	if err := r.a.Topo.EndReshard(r.ctx, r.j); err != nil {
		return r.summary(), err
	}
	return r.summary(), nil
}

func (r *run) summary() *ReshardSummary {
	return &ReshardSummary{Job: r.j.ID, Slots: r.runSlots + r.copied, Keys: r.runKeys, JobKeys: r.j.KeysMoved, Elapsed: time.Since(r.started)}
}

func (r *run) interrupted() error {
	if r.j.Aborting {
		return fmt.Errorf("%w: the abort of %s stopped; 'shardis-meta rebalance --abort' continues it", ErrInterrupted, r.j)
	}
	return fmt.Errorf("%w: %s stopped, %d of %d slots moved; %s", ErrInterrupted, r.j, r.j.SlotsDone()+r.copied, r.j.SlotsTotal(), jobHint)
}

// jobHint says what to do with a job in progress.
const jobHint = "'shardis-meta rebalance --resume' continues it, 'shardis-meta rebalance --abort' moves its current batch back"

// save writes the journal; losing its compare-and-swap means another
// shardis-meta works on the job, so this one stops.
func (r *run) save() error {
	ctx, cancel := context.WithTimeout(r.ctx, stepSlack)
	defer cancel()
	j, err := r.a.Topo.SaveReshard(ctx, r.j)
	if err != nil {
		return err
	}
	r.j, r.saved = j, time.Now()
	return nil
}

func (r *run) progress() {
	if r.o.Progress == nil {
		return
	}
	p := Progress{
		Job: r.j.ID, Step: r.step, Batches: len(r.j.Plan), Index: min(r.j.Current+1, len(r.j.Plan)),
		SlotsDone: r.j.SlotsDone() + r.copied, SlotsTotal: r.j.SlotsTotal(), KeysMoved: r.j.KeysMoved,
		RunSlots: r.runSlots + r.copied, RunKeys: r.runKeys, Elapsed: time.Since(r.started),
	}
	if r.j.Current < len(r.j.Plan) {
		p.Batch = r.j.Plan[r.j.Current]
	}
	r.o.Progress(p)
}

// batchState is where a batch's slots are in their move, as the slot map
// says.
type batchState int

const (
	unmarked batchState = iota // owned by the source, not migrating
	marked                     // owned by the source, migrating to the target
	finished                   // owned by the target
	reversed                   // owned by the target, migrating back (abort)
)

var stateNames = [...]string{"not marked", "migrating", "moved", "migrating back"}

// stateOf returns the state of mv's slots in m. It fails when they are in
// different states or in one the job cannot have left them in: somebody
// changed the map outside the job.
func stateOf(m *topology.SlotMap, mv topology.Move) (batchState, error) {
	var st batchState
	for s := mv.First; s <= mv.Last; s++ {
		mg, migrating := m.Migrations[s]
		var cur batchState
		switch owner := m.Owner[s]; {
		case owner == mv.From && !migrating:
			cur = unmarked
		case owner == mv.From && mg.To == mv.To:
			cur = marked
		case owner == mv.To && !migrating:
			cur = finished
		case owner == mv.To && mg.To == mv.From:
			cur = reversed
		default:
			to := ""
			if migrating {
				to = ", migrating to " + mg.To
			}
			return 0, fmt.Errorf("slot %d (of batch %d-%d from %s to %s) is owned by %s%s: the slot map was changed outside the job",
				s, mv.First, mv.Last, mv.From, mv.To, owner, to)
		}
		if s > mv.First && cur != st {
			return 0, fmt.Errorf("slots %d and %d of batch %d-%d are %s and %s: the slot map was changed outside the job",
				mv.First, s, mv.First, mv.Last, stateNames[st], stateNames[cur])
		}
		st = cur
	}
	return st, nil
}

// transition brings mv's slots, which must be in one of the states from,
// to owner, migrating to migrateTo when it is not "": it pushes the slot
// tables of the next map version to every shard, writes that map and
// waits for the proxies. When the map already says so (a step repeated
// after a crash) it pushes the tables of the current version again and
// waits for the proxies.
func (r *run) transition(mv topology.Move, owner, migrateTo string, from ...batchState) error {
	r.progress()
	ctx, cancel := context.WithTimeout(r.ctx, r.o.BarrierTimeout+stepSlack)
	defer cancel()
	for attempt := 0; ; attempt++ {
		reg, m, err := r.a.Topo.Load(ctx)
		if err != nil {
			return err
		}
		st, err := stateOf(m, mv)
		if err != nil {
			return err
		}
		if !slices.Contains(from, st) {
			return fmt.Errorf("slots %d-%d are %s, which the job cannot take to its next step: the slot map was changed outside the job",
				mv.First, mv.Last, stateNames[st])
		}
		next := m.Clone()
		for s := mv.First; s <= mv.Last; s++ {
			next.Owner[s] = owner
			if migrateTo == "" {
				delete(next.Migrations, s)
			} else {
				next.Migrations[s] = topology.Migration{From: owner, To: migrateTo, State: topology.Migrating}
			}
		}
		if next.SameAssignment(m) {
			err := r.a.pushTables(ctx, reg.Shards, m, m.Version)
			if err == nil {
				return r.barrier(ctx, m.Version)
			}
			if !errors.Is(err, probe.ErrStaleTable) {
				return err
			}
			// A shard has a newer table: a run died after pushing the
			// tables of the next version and before writing its map.
			// Writing this map again as that version replaces them.
		}
		if err := r.a.pushTables(ctx, reg.Shards, next, m.Version+1); err != nil {
			return err
		}
		stored, err := r.a.Topo.SwapSlotMap(ctx, m, reg, next)
		if errors.Is(err, topology.ErrConflict) && attempt < maxConflicts {
			continue
		}
		if err != nil {
			return err
		}
		return r.barrier(ctx, stored.Version)
	}
}

func (r *run) barrier(ctx context.Context, v uint64) error {
	if err := r.a.Topo.Barrier(ctx, v, r.o.BarrierTimeout); err != nil {
		return fmt.Errorf("%w; once the proxies are back or their leases expired, 'shardis-meta rebalance --resume' continues", err)
	}
	return nil
}

// copy moves the keys of mv's slots from mv.From to mv.To with
// SHARDIS.MIGRATESLOT on the source until none is left, throttled to the
// journal's rate. A stop request interrupts it between two calls: the
// calls are idempotent, so a resumed job simply copies again.
func (r *run) copy(mv topology.Move) error {
	reg, err := r.a.Topo.Registry(r.ctx)
	if err != nil {
		return err
	}
	src, ok1 := reg.Shard(mv.From)
	dst, ok2 := reg.Shard(mv.To)
	if !ok1 || !ok2 {
		return fmt.Errorf("shard %s or %s of batch %d-%d is no longer registered", mv.From, mv.To, mv.First, mv.Last)
	}
	po := r.a.Probe
	po.Timeout = max(po.Timeout, copyTimeout)
	conn := probe.Dial(src.Addr, po)
	defer conn.Close()

	rate := r.j.MaxKeysPerSec
	count := keysPerCall
	if rate > 0 {
		// About ten calls a second, so the throttle is smooth.
		count = int(min(max(rate/10, 1), keysPerCall))
	}
	var throttled int64 // keys moved since start, for the throttle
	start := time.Now()
	r.copied = 0
	for s := mv.First; s <= mv.Last; s++ {
		for {
			if r.stop.Err() != nil {
				return errors.Join(r.interrupted(), r.save())
			}
			moved, left, err := conn.MigrateSlot(r.ctx, s, dst.Addr, count)
			if err != nil {
				return errors.Join(err, r.save())
			}
			r.runKeys += moved
			r.j.KeysMoved += moved
			throttled += moved
			if left == 0 {
				r.copied = s - mv.First + 1
			}
			r.progress()
			if time.Since(r.saved) >= saveEvery {
				if err := r.save(); err != nil {
					return err
				}
			}
			var wait time.Duration
			if rate > 0 {
				wait = time.Until(start.Add(time.Duration(throttled) * time.Second / time.Duration(rate)))
			}
			if moved == 0 && left > 0 {
				wait = max(wait, idleWait)
			}
			if wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-r.stop.Done():
					t.Stop()
				}
			}
			if left == 0 {
				break
			}
		}
	}
	return nil
}

// tableOf returns shard id's slot table for map m at version v: the slots
// it owns, except those migrating away, and the slots migrating to it.
func tableOf(m *topology.SlotMap, id string, v uint64) *migrate.Table {
	t := &migrate.Table{Version: v}
	for s := range slot.Count {
		mg, migrating := m.Migrations[s]
		switch {
		case m.Owner[s] == id && migrating:
			t.Slots[s] = migrate.Migrating
		case m.Owner[s] == id:
			t.Slots[s] = migrate.Owned
		case migrating && mg.To == id:
			t.Slots[s] = migrate.Importing
		}
	}
	return t
}

// pushTables sends every shard its table for map m at version v, in
// parallel, and reports every shard that did not take it.
func (a *Admin) pushTables(ctx context.Context, shards []topology.Shard, m *topology.SlotMap, v uint64) error {
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, s := range shards {
		wg.Go(func() {
			c := probe.Dial(s.Addr, a.Probe)
			defer c.Close()
			errs[i] = c.SetSlots(ctx, tableOf(m, s.ID, v))
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
