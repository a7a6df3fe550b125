package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shardis/shardis/meta/internal/admin"
	"github.com/shardis/shardis/pkg/topology"
)

// jobFlags are the flags of the commands that move slots.
type jobFlags struct {
	batch   int
	rate    int64
	barrier time.Duration
}

func (f *jobFlags) register(fs *flag.FlagSet) {
	f.batch = admin.DefaultBatchSlots
	f.barrier = admin.DefaultBarrierTimeout
	fs.IntVar(&f.batch, "batch-slots", f.batch, "slots marked, copied and finished together")
	fs.Int64Var(&f.rate, "max-keys-per-sec", 0, "copy throttle in keys per second (0: none; --resume keeps the job's unless given)")
	fs.DurationVar(&f.barrier, "barrier-timeout", f.barrier, "limit of each wait for the proxies; keep it above their lease TTL")
}

// options returns the job options; fs tells whether the throttle was
// given, which a resumed job needs to know.
func (f *jobFlags) options(fs *flag.FlagSet, progress func(admin.Progress)) (admin.ReshardOptions, error) {
	if f.batch < 1 {
		return admin.ReshardOptions{}, usagef("--batch-slots must be at least 1")
	}
	if f.rate < 0 {
		return admin.ReshardOptions{}, usagef("--max-keys-per-sec must not be negative")
	}
	if f.barrier <= 0 {
		return admin.ReshardOptions{}, usagef("--barrier-timeout must be positive")
	}
	o := admin.ReshardOptions{MaxKeysPerSec: f.rate, BarrierTimeout: f.barrier, Progress: progress}
	fs.Visit(func(fl *flag.Flag) { o.SetThrottle = o.SetThrottle || fl.Name == "max-keys-per-sec" })
	return o, nil
}

func (r *runner) slotsMove(ctx context.Context, args []string) error {
	fs := r.newFlagSet("slots move")
	to := fs.String("to", "", "the shard ID that gets the slots")
	dry := fs.Bool("dry-run", false, "print the plan and change nothing")
	var jf jobFlags
	jf.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *to == "" {
		return usagef("slots move: want FIRST-LAST[,...] --to SHARD")
	}
	rs, err := admin.ParseSlotRanges(pos[0])
	if err != nil {
		return usagef("slots move: %v", err)
	}
	return r.job(ctx, fs, &jf, *dry, func(a *admin.Admin) ([]topology.Move, error) {
		plan, err := a.PlanMove(ctx, rs, *to, jf.batch)
		if err == nil && len(plan) == 0 {
			fmt.Fprintf(r.stdout, "shard %s owns these slots already; nothing to move\n", *to)
		}
		return plan, err
	}, nil)
}

func (r *runner) rebalance(ctx context.Context, args []string) error {
	fs := r.newFlagSet("rebalance")
	dry := fs.Bool("dry-run", false, "print the plan and change nothing")
	resume := fs.Bool("resume", false, "continue the job in progress")
	abort := fs.Bool("abort", false, "end the job in progress, moving its current batch back")
	var jf jobFlags
	jf.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("rebalance", pos); err != nil {
		return err
	}
	if (*resume || *abort) && (*dry || *resume == *abort) {
		return usagef("rebalance: --resume, --abort and --dry-run exclude one another")
	}
	if *resume || *abort {
		view, o, a, done, err := r.startJob(ctx, fs, &jf)
		if err != nil {
			return err
		}
		defer done()
		if *resume {
			sum, err := a.ResumeReshard(ctx, o)
			view.end()
			if err != nil {
				return err
			}
			r.printSummary(sum)
			return nil
		}
		sum, err := a.AbortReshard(ctx, o)
		view.end()
		if err != nil {
			return err
		}
		fmt.Fprintf(r.stdout, "job %s aborted in %s: its current batch is back at its source (%d keys copied back)\n",
			sum.Job, sum.Elapsed.Round(time.Millisecond), sum.Keys)
		return nil
	}
	return r.job(ctx, fs, &jf, *dry, func(a *admin.Admin) ([]topology.Move, error) {
		plan, err := a.PlanRebalance(ctx, "", jf.batch)
		if err == nil && len(plan) == 0 {
			fmt.Fprintln(r.stdout, "the slots are spread evenly already; nothing to move")
		}
		return plan, err
	}, nil)
}

// startJob makes what every job command needs: the progress view, the
// job's options from its flags, and the admin connection (done closes it).
func (r *runner) startJob(ctx context.Context, fs *flag.FlagSet, jf *jobFlags) (view *progressView, o admin.ReshardOptions, a *admin.Admin, done func(), err error) {
	view = r.newProgressView()
	if o, err = jf.options(fs, view.show); err != nil {
		return nil, o, nil, nil, err
	}
	if a, done, err = r.connect(ctx); err != nil {
		return nil, o, nil, nil, err
	}
	return view, o, a, done, nil
}

// job plans a job with plan and, unless dry, runs it, then runs after
// (when not nil) once the job is done.
func (r *runner) job(ctx context.Context, fs *flag.FlagSet, jf *jobFlags, dry bool,
	plan func(*admin.Admin) ([]topology.Move, error), after func(*admin.Admin) error) error {
	view, o, a, done, err := r.startJob(ctx, fs, jf)
	if err != nil {
		return err
	}
	defer done()
	moves, err := plan(a)
	if err != nil {
		return err
	}
	if dry {
		if len(moves) > 0 {
			return r.printPlan(ctx, a, moves, jf.batch)
		}
		return nil
	}
	if len(moves) > 0 {
		sum, err := a.Reshard(ctx, moves, o)
		view.end()
		if err != nil {
			return err
		}
		r.printSummary(sum)
	}
	if after != nil {
		return after(a)
	}
	return nil
}

func (r *runner) printPlan(ctx context.Context, a *admin.Admin, plan []topology.Move, batch int) error {
	rep, err := a.Slots(ctx)
	if err != nil {
		return err
	}
	total := 0
	after := map[string]int{}
	for _, s := range rep.Shards {
		after[s.ID] = s.Slots
	}
	for _, mv := range plan {
		total += mv.Count()
		after[mv.From] -= mv.Count()
		after[mv.To] += mv.Count()
	}
	fmt.Fprintf(r.stdout, "plan: move %d slots in %d batches of up to %d slots (dry run: nothing changed)\n", total, len(plan), batch)
	w := r.table()
	fmt.Fprintln(w, "SLOTS\tCOUNT\tFROM\tTO")
	for _, mv := range admin.MergeMoves(plan) {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", ranges([][2]int{{mv.First, mv.Last}}), mv.Count(), mv.From, mv.To)
	}
	w.Flush()
	w = r.table()
	fmt.Fprintln(w, "SHARD\tSLOTS NOW\tAFTER")
	for _, s := range rep.Shards {
		fmt.Fprintf(w, "%s\t%d\t%d\n", s.ID, s.Slots, after[s.ID])
	}
	return w.Flush()
}

func (r *runner) printSummary(sum *admin.ReshardSummary) {
	secs := sum.Elapsed.Seconds()
	fmt.Fprintf(r.stdout, "job %s done: moved %d slots and %d keys in %s (%.0f keys/s)\n",
		sum.Job, sum.Slots, sum.Keys, sum.Elapsed.Round(time.Millisecond), float64(sum.Keys)/max(secs, 1e-3))
}

// progressView shows a job's progress on stderr: one line refreshed in
// place on a terminal, else a line every few seconds (for logs).
type progressView struct {
	w     io.Writer
	tty   bool
	every time.Duration
	last  time.Time
	shown bool // a line is on the terminal, to be cleared at the end
}

func (r *runner) newProgressView() *progressView {
	v := &progressView{w: r.stderr, every: 5 * time.Second}
	if f, ok := r.stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			v.tty, v.every = true, 200*time.Millisecond
		}
	}
	return v
}

func (v *progressView) show(p admin.Progress) {
	if now := time.Now(); now.Sub(v.last) >= v.every {
		v.last = now
		if v.tty {
			fmt.Fprintf(v.w, "\r\033[K%s", progressLine(p))
			v.shown = true
		} else {
			fmt.Fprintln(v.w, progressLine(p))
		}
	}
}

func (v *progressView) end() {
	if v.shown {
		fmt.Fprint(v.w, "\r\033[K")
	}
}

// progressLine is for example "batch 3/22 s1->s3 512-767 copying:
// 600/5461 slots (10%), 1234 keys, 1010 keys/s, ETA 1m2s".
func progressLine(p admin.Progress) string {
	secs := p.Elapsed.Seconds()
	eta := "?"
	if p.RunSlots > 0 {
		eta = (time.Duration(float64(p.Elapsed) * float64(p.SlotsTotal-p.SlotsDone) / float64(p.RunSlots))).Round(time.Second).String()
	}
	return fmt.Sprintf("batch %d/%d %s->%s %s %s: %d/%d slots (%d%%), %d keys, %.0f keys/s, ETA %s",
		p.Index, p.Batches, p.Batch.From, p.Batch.To, ranges([][2]int{{p.Batch.First, p.Batch.Last}}), p.Step,
		p.SlotsDone, p.SlotsTotal, p.SlotsDone*100/max(p.SlotsTotal, 1), p.KeysMoved, float64(p.RunKeys)/max(secs, 1e-3), eta)
}

// errDrainInterrupted adds the last step of a drain to an interruption.
func errDrainInterrupted(err error, id string) error {
	if errors.Is(err, admin.ErrInterrupted) {
		return fmt.Errorf("%w; then 'shardis-meta shard remove %s' removes the drained shard", err, id)
	}
	return err
}
