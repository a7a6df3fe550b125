package cli

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shardis/shardis/meta/internal/admin"
	"github.com/shardis/shardis/pkg/topology"
)

func (r *runner) table() *tabwriter.Writer {
	return tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
}

func (r *runner) printShards(shards []admin.ShardEntry) {
	w := r.table()
	fmt.Fprintln(w, "SHARD\tADDR\tSLOTS\tRANGES")
	for _, s := range shards {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", s.ID, s.Addr, s.Slots, ranges(s.Ranges))
	}
	w.Flush()
}

func ranges(rs [][2]int) string {
	if len(rs) == 0 {
		return "-"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		if r[0] == r[1] {
			parts[i] = strconv.Itoa(r[0])
		} else {
			parts[i] = strconv.Itoa(r[0]) + "-" + strconv.Itoa(r[1])
		}
	}
	return strings.Join(parts, ",")
}

func (r *runner) printMigrations(ms []topology.MigrationRange) {
	if len(ms) == 0 {
		fmt.Fprintln(r.stdout, "no migrations in progress")
		return
	}
	w := r.table()
	fmt.Fprintln(w, "MIGRATING\tFROM\tTO\tSTATE")
	for _, m := range ms {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", ranges([][2]int{{m.First, m.Last}}), m.From, m.To, m.State)
	}
	w.Flush()
}

func (r *runner) printStatus(rep *admin.StatusReport) {
	fmt.Fprintf(r.stdout, "cluster %q, slot map version %d\n\n", rep.Cluster, rep.Version)
	w := r.table()
	fmt.Fprintln(w, "SHARD\tADDR\tSTATE\tSLOTS\tKEYS\tMEMORY")
	var down []admin.ShardStatus
	for _, s := range rep.Shards {
		state, keys, mem := "up", "?", "?"
		if !s.Up {
			state = "DOWN"
			down = append(down, s)
		}
		if s.Keys != nil {
			keys = strconv.FormatInt(*s.Keys, 10)
		}
		if s.Memory != nil {
			mem = bytes(*s.Memory)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", s.ID, s.Addr, state, s.Slots, keys, mem)
	}
	w.Flush()
	for _, s := range down {
		fmt.Fprintf(r.stdout, "  %s: %s\n", s.ID, s.Error)
	}
	fmt.Fprintln(r.stdout)
	if len(rep.Proxies) == 0 {
		fmt.Fprintln(r.stdout, "no proxies registered")
	} else {
		w = r.table()
		fmt.Fprintln(w, "PROXY\tADDR\tVERSION")
		for _, p := range rep.Proxies {
			v := strconv.FormatUint(p.Version, 10)
			if p.Behind {
				v += " (behind)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", p.ID, p.Addr, v)
		}
		w.Flush()
	}
	fmt.Fprintln(r.stdout)
	r.printMigrations(rep.Migrations)
	fmt.Fprintln(r.stdout)
	r.printJob(rep.Reshard)
	fmt.Fprintln(r.stdout)
	if len(rep.InDoubt) == 0 {
		fmt.Fprintln(r.stdout, "no in-doubt transactions")
		return
	}
	w = r.table()
	fmt.Fprintln(w, "IN-DOUBT TX\tSHARD\tROLE\tAGE\tOP\tKEYS")
	for _, tx := range rep.InDoubt {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", tx.ID, tx.Shard, tx.Role, tx.Age.Round(time.Millisecond), tx.Op, tx.Keys)
	}
	w.Flush()
}

// printJob shows the resharding job in progress, for example
//
//	resharding job r-1a2b3c4d (started 2026-11-29T12:40:43Z, throttle none)
//	  batch 3/22: 512-767 s1 -> s3, marked (keys being copied)
//	  done 512/5461 slots, 1234 keys moved
//	  plan: 5462-8191 s1 -> s3, 13653-16383 s2 -> s3
func (r *runner) printJob(j *admin.ReshardStatus) {
	if j == nil {
		fmt.Fprintln(r.stdout, "no resharding job in progress")
		return
	}
	throttle := "none"
	if j.MaxKeysPerSec > 0 {
		throttle = strconv.FormatInt(j.MaxKeysPerSec, 10) + " keys/s"
	}
	fmt.Fprintf(r.stdout, "resharding job %s (started %s, throttle %s)\n", j.ID, j.Created.Format(time.RFC3339), throttle)
	if b := j.Batch; b != nil {
		state := "not marked yet"
		switch {
		case j.Aborting:
			state = "being moved back (--abort)"
		case j.Marked:
			state = "marked (keys being copied)"
		}
		fmt.Fprintf(r.stdout, "  batch %d/%d: %s %s -> %s, %s\n", j.Index, j.Batches, ranges([][2]int{{b.First, b.Last}}), b.From, b.To, state)
	}
	fmt.Fprintf(r.stdout, "  done %d/%d slots, %d keys moved\n", j.SlotsDone, j.SlotsTotal, j.KeysMoved)
	plan := make([]string, len(j.Moves))
	for i, mv := range j.Moves {
		plan[i] = fmt.Sprintf("%s %s -> %s", ranges([][2]int{{mv.First, mv.Last}}), mv.From, mv.To)
	}
	fmt.Fprintf(r.stdout, "  plan: %s\n", strings.Join(plan, ", "))
	fmt.Fprintln(r.stdout, "  (if no shardis-meta works on it: 'shardis-meta rebalance --resume' or '--abort')")
}

// bytes formats n bytes as Redis's *_human fields do: 1.50M.
func bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + "B"
	}
	f, suffix := float64(n), ""
	for _, s := range []string{"K", "M", "G", "T", "P"} {
		f /= unit
		suffix = s
		if f < unit {
			break
		}
	}
	return fmt.Sprintf("%.2f%s", f, suffix)
}
