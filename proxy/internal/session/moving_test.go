package session

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shardis/shardis/pkg/migrate"
	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/pkg/topology"
	"github.com/shardis/shardis/proxy/internal/reply"
)

// Online resharding against two real shardd: s1 (A) serves slots
// 0-8191, s2 (B) 8192-16383, and the tests move some of A's slots to B
// the way shardis-meta does: slot tables pushed to the shards with
// SHARDIS.SETSLOTS, maps applied to the proxy's router.

// moveRig is a proxy in front of two shardd, with direct connections to
// the shards.
type moveRig struct {
	t    *testing.T
	p    *proxy
	a, b *client
	reg  *topology.Registry
}

func newMoveRig(t *testing.T) *moveRig {
	t.Helper()
	_, addrs := startShardd(t, 2)
	r := &moveRig{t: t, p: startProxy(t, addrs, setup{}), a: dial(t, addrs[0]), b: dial(t, addrs[1])}
	r.reg = &topology.Registry{Shards: []topology.Shard{{ID: "s1", Addr: addrs[0]}, {ID: "s2", Addr: addrs[1]}}}
	return r
}

// tables pushes slot tables of version v to both shards: A owns its half
// but migrating (m) slots, B owns its half and imports migrating slots;
// done slots belong to B.
func (r *moveRig) tables(v uint64, migrating, done []int) {
	r.t.Helper()
	var ta, tb migrate.Table
	ta.Version, tb.Version = v, v
	for s := range slot.Count {
		if s < slot.Count/2 {
			ta.Slots[s] = migrate.Owned
		} else {
			tb.Slots[s] = migrate.Owned
		}
	}
	for _, s := range migrating {
		ta.Slots[s], tb.Slots[s] = migrate.Migrating, migrate.Importing
	}
	for _, s := range done {
		ta.Slots[s], tb.Slots[s] = migrate.NotServed, migrate.Owned
	}
	for _, x := range []struct {
		c  *client
		tb *migrate.Table
	}{{r.a, &ta}, {r.b, &tb}} {
		if got := x.c.do(append([]string{migrate.SetSlots, strconv.FormatUint(v, 10)}, x.tb.Specs()...)...); got != "+OK\r\n" {
			r.t.Fatalf("SETSLOTS: %q", got)
		}
	}
}

// apply makes the router use map version v with the slots migrating from
// s1 to s2 and the done ones owned by s2.
func (r *moveRig) apply(v uint64, migrating, done []int) {
	m := topology.Spread([]string{"s1", "s2"})
	m.Version = v
	for _, s := range migrating {
		m.Migrations[s] = topology.Migration{From: "s1", To: "s2", State: topology.Migrating}
	}
	for _, s := range done {
		m.Owner[s] = "s2"
	}
	r.p.env.Router.Apply(m, r.reg)
}

// slotsOf returns the sorted distinct slots of keys.
func slotsOf(keys ...string) []int {
	var out []int
	for _, k := range keys {
		out = append(out, slot.OfString(k))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func expectReply(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %q; want %q", what, got, want)
	}
}

// Keys still at A in a migrating slot are moved to B by the commands that
// use them, values and TTLs intact, for single-key, multi-key and
// cross-shard commands; afterwards they are at B only.
func TestMigratingSlotsServedAtTarget(t *testing.T) {
	r := newMoveRig(t)
	c := dial(t, r.p.Addr)
	str, ctr, list := onS1("mv-str"), onS1("mv-ctr"), onS1("mv-list")
	m1, m2, still := onS1("mv-m1"), onS1("mv-m2"), onS1("mv-still")
	other := onS2("mv-other")
	gone, ghost := onS1("mv-gone"), onS1("mv-ghost")
	for _, cmd := range [][]string{
		{"SET", str, "hello", "EX", "1000"}, {"SET", ctr, "41"}, {"RPUSH", list, "a", "b"},
		{"SET", m1, "1"}, {"SET", m2, "2"}, {"SET", still, "s"}, {"SET", other, "o"}, {"SET", gone, "g"},
	} {
		if got := c.do(cmd...); strings.HasPrefix(got, "-") {
			t.Fatalf("%v: %q", cmd, got)
		}
	}
	moving := slotsOf(str, ctr, list, m1, m2, gone, ghost)
	r.tables(2, moving, nil)
	r.apply(2, moving, nil)

	expectReply(t, "GET", c.do("GET", str), bulk("hello"))
	if ttl := intOf(c.do("TTL", str)); ttl < 990 || ttl > 1000 {
		t.Errorf("TTL after the move: %d", ttl)
	}
	expectReply(t, "INCR", c.do("INCR", ctr), intr(42))
	expectReply(t, "LPUSH", c.do("LPUSH", list, "z"), intr(3))
	expectReply(t, "LRANGE", c.do("LRANGE", list, "0", "-1"), arr(bulk("z"), bulk("a"), bulk("b")))
	// A fan-out whose keys are partly in migrating slots, partly not.
	expectReply(t, "MGET", c.do("MGET", m1, still, other, ghost), arr(bulk("1"), bulk("s"), bulk("o"), nullBulk))
	// A cross-shard write (A and B) with keys in migrating slots.
	expectReply(t, "MSET", c.do("MSET", m2, "22", still, "s2", ghost, "boo"), "+OK\r\n")
	expectReply(t, "EXISTS", c.do("EXISTS", m2, other, ghost, still), intr(4))
	expectReply(t, "DEL", c.do("DEL", gone, other), intr(2))
	// In a pipeline, around commands on other slots, replies keep
	// their order.
	c.send([]string{"GET", other}, []string{"GET", m2}, []string{"ECHO", "x"}, []string{"GET", still})
	for i, want := range []string{nullBulk, bulk("22"), bulk("x"), bulk("s2")} {
		expectReply(t, "pipeline reply "+strconv.Itoa(i), c.read(), want)
	}

	// A refuses keyed commands on its migrating slots: KEYS looks.
	for _, k := range []string{str, ctr, list, m1, m2, ghost, gone} {
		expectReply(t, "at A "+k, r.a.do("KEYS", k), "*0\r\n")
	}
	for _, k := range []string{str, ctr, list, m1, m2, ghost} {
		expectReply(t, "EXISTS at B "+k, r.b.do("EXISTS", k), intr(1))
	}
	expectReply(t, "GET at B", r.b.do("GET", m2), bulk("22"))
	expectReply(t, "EXISTS deleted at B", r.b.do("EXISTS", gone), intr(0))
	expectReply(t, "still at A", r.a.do("GET", still), bulk("s2"))
	if ttl := intOf(r.b.do("PTTL", str)); ttl < 990_000 || ttl > 1_000_000 {
		t.Errorf("PTTL at B: %d", ttl)
	}
}

// WATCH, MULTI/EXEC and a plain MULTI/EXEC on keys of a migrating slot
// move them and run at the target; a watch on a key whose slot starts
// migrating fails the transaction.
func TestTransactionsOnMigratingSlot(t *testing.T) {
	r := newMoveRig(t)
	c := dial(t, r.p.Addr)
	w, x, y := onS1("tx-w"), onS1("tx-x"), onS1("tx-y")
	c.do("SET", w, "5")
	c.do("SET", x, "1")
	c.do("SET", y, "1")
	moving := slotsOf(w, x)
	r.tables(2, moving, nil)
	r.apply(2, moving, nil)
	expectReply(t, "WATCH", c.do("WATCH", w), "+OK\r\n")
	c.do("MULTI")
	c.do("INCR", w)
	expectReply(t, "EXEC", c.do("EXEC"), arr(intr(6)))
	c.do("MULTI")
	c.do("INCR", x)
	expectReply(t, "EXEC without WATCH", c.do("EXEC"), arr(intr(2)))
	expectReply(t, "at B", r.b.do("MGET", w, x), arr(bulk("6"), bulk("2")))

	// y is watched at A; then its slot starts moving.
	expectReply(t, "WATCH at A", c.do("WATCH", y), "+OK\r\n")
	moving = append(moving, slotsOf(y)...)
	r.tables(3, moving, nil)
	r.apply(3, moving, nil)
	c.do("MULTI")
	c.do("INCR", y)
	expectReply(t, "EXEC after the watched key's slot moved", c.do("EXEC"), "*-1\r\n")
	expectReply(t, "y unchanged", c.do("GET", y), bulk("1"))
}

func intOf(raw string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(raw, ":"), "\r\n"))
	return n
}

// A proxy whose map is stale sends commands to A, which refuses them: the
// commands wait for the map the shard names and then run by it, in the
// client's reply order; without a newer map the client gets the refusal.
func TestStaleMapRetriedAfterMapApplied(t *testing.T) {
	r := newMoveRig(t)
	c := dial(t, r.p.Addr)
	k, j, l, x := onS1("st-k"), onS1("st-j"), onS1("st-l"), onS1("st-x")
	other := onS2("st-other")
	c.do("SET", k, "v")
	c.do("RPUSH", l, "x")
	moving := slotsOf(k, j, l, x)
	r.tables(2, moving, nil)
	go func() {
		time.Sleep(300 * time.Millisecond)
		r.apply(2, moving, nil)
	}()
	start := time.Now()
	// The MSET is a cross-shard transaction whose PREPARE A refuses.
	c.send([]string{"MSET", x, "m", other, "0"}, []string{"GET", k}, []string{"SET", j, "1"}, []string{"INCR", other},
		[]string{"INCR", j}, []string{"MGET", k, j, other}, []string{"MSET", j, "7", other, "8"}, []string{"LLEN", l})
	for i, want := range []string{"+OK\r\n", bulk("v"), "+OK\r\n", intr(1), intr(2), arr(bulk("v"), bulk("2"), bulk("1")), "+OK\r\n", intr(1)} {
		expectReply(t, "reply "+strconv.Itoa(i), c.read(), want)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("answered after %v, before the map was applied", d)
	}
	for _, key := range []string{k, j, l, x} {
		expectReply(t, "at B "+key, r.b.do("EXISTS", key), intr(1))
	}
	expectReply(t, "GET at B", r.b.do("MGET", j, x), arr(bulk("7"), bulk("m")))

	// The move finishes at the shards only: the proxy still routes the
	// slots as migrating; MOVEKEYS is refused by A and the map never
	// comes, so the client gets the refusal after the wait.
	r.tables(3, nil, moving)
	start = time.Now()
	got := c.do("GET", k)
	if !strings.HasPrefix(got, "-WRONGSHARD 3 ") {
		t.Errorf("GET without a newer map: %q; want the refusal", got)
	}
	if d := time.Since(start); d < fenceWait {
		t.Errorf("refused after %v; want a wait of %v", d, fenceWait)
	}
	r.apply(3, nil, moving)
	expectReply(t, "GET after the map", c.do("GET", k), bulk("v"))
}

// A client blocked on a key whose slot starts migrating is woken by the
// shard with a refusal; the proxy runs the command again at the target,
// where a push then serves it.
func TestBlockedCommandFollowsSlot(t *testing.T) {
	r := newMoveRig(t)
	blocked := dial(t, r.p.Addr)
	c := dial(t, r.p.Addr)
	k := onS1("bl-k")
	start := time.Now()
	blocked.send([]string{"BLPOP", k, "20"})
	time.Sleep(100 * time.Millisecond) // blocked at A
	moving := slotsOf(k)
	go func() {
		time.Sleep(200 * time.Millisecond)
		r.apply(2, moving, nil)
	}()
	r.tables(2, moving, nil)
	time.Sleep(500 * time.Millisecond) // blocked again, at B
	expectReply(t, "LPUSH", c.do("LPUSH", k, "x"), intr(1))
	expectReply(t, "BLPOP", blocked.read(), arr(bulk(k), bulk("x")))
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("BLPOP took %v", d)
	}
	// What is left of the timeout runs out at the target.
	k2 := onS1("bl-k2")
	start = time.Now()
	blocked.send([]string{"BLPOP", k2, "1.5"})
	time.Sleep(100 * time.Millisecond)
	moving = append(moving, slotsOf(k2)...)
	go func() {
		time.Sleep(100 * time.Millisecond)
		r.apply(3, moving, nil)
	}()
	r.tables(3, moving, nil)
	expectReply(t, "BLPOP timed out", blocked.read(), "*-1\r\n")
	if d := time.Since(start); d < 1400*time.Millisecond || d > 2500*time.Millisecond {
		t.Errorf("timed out after %v; want the 1.5 s it asked for", d)
	}
}

// SCAN over a migrating slot whose keys are partly moved returns every
// key once.
func TestScanMigratingSlot(t *testing.T) {
	r := newMoveRig(t)
	c := dial(t, r.p.Addr)
	want := map[string]bool{}
	var inSlot []string
	for i := range 40 {
		k := "{scan}" + strconv.Itoa(i)
		inSlot = append(inSlot, k)
		want[k] = true
	}
	for i := range 40 {
		k := onS1("scan-a" + strconv.Itoa(i))
		want[k] = true
	}
	for i := range 40 {
		k := onS2("scan-b" + strconv.Itoa(i))
		want[k] = true
	}
	for k := range want {
		c.do("SET", k, "v")
	}
	moving := slotsOf(inSlot[0])
	if moving[0] >= slot.Count/2 {
		t.Fatalf("{scan} is in slot %d, not at A", moving[0])
	}
	r.tables(2, moving, nil)
	r.apply(2, moving, nil)
	got := r.a.do(append([]string{migrate.MoveKeys, r.reg.Shards[1].Addr}, inSlot[:25]...)...)
	expectReply(t, "MOVEKEYS", got, intr(25))
	seen := map[string]int{}
	cursor := "0"
	for {
		raw := c.do("SCAN", cursor, "COUNT", "7")
		el := scanElems(t, raw)
		cursor = el[0]
		for _, k := range el[1:] {
			seen[k]++
		}
		if cursor == "0" {
			break
		}
	}
	for k := range want {
		if seen[k] != 1 {
			t.Errorf("key %q returned %d times", k, seen[k])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("SCAN returned %d keys; want %d", len(seen), len(want))
	}
	// KEYS walks the slots the same way.
	el, err := reply.Elems([]byte(c.do("KEYS", "*")))
	if err != nil || len(el) != len(want) {
		t.Fatalf("KEYS * = %d keys, %v; want %d", len(el), err, len(want))
	}
	for _, e := range el {
		if k, _ := reply.Str(e); !want[string(k)] {
			t.Errorf("KEYS returned %q", k)
		}
	}
	if got := c.do("KEYS", "{scan}1?"); !strings.HasPrefix(got, "*10\r\n") {
		t.Errorf("KEYS {scan}1? = %q; want 10 keys", got)
	}
}

// scanElems parses a SCAN reply into the cursor followed by the keys.
func scanElems(t *testing.T, raw string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n")
	if len(lines) < 4 || lines[0] != "*2" {
		t.Fatalf("SCAN reply %q", raw)
	}
	out := []string{lines[2]}
	for i := 4; i+1 < len(lines); i += 2 {
		out = append(out, lines[i+1])
	}
	return out
}

// Subscriptions follow a channel's slot to its new owner: messages
// published there after the move reach the subscriber, and the old owner
// drops the subscription after the grace period.
func TestSubscriptionsFollowSlot(t *testing.T) {
	r := newMoveRig(t)
	sub := dial(t, r.p.Addr)
	c := dial(t, r.p.Addr)
	ch, sch := onS1("ps-ch"), onS1("ps-sch")
	expectReply(t, "SUBSCRIBE", sub.do("SUBSCRIBE", ch), arr(bulk("subscribe"), bulk(ch), intr(1)))
	expectReply(t, "SSUBSCRIBE", sub.do("SSUBSCRIBE", sch), arr(bulk("ssubscribe"), bulk(sch), intr(1)))
	done := slotsOf(ch, sch)
	r.tables(2, nil, done)
	r.apply(2, nil, done)
	deadline := time.Now().Add(5 * time.Second)
	for r.b.do("PUBSUB", "NUMSUB", ch) != arr(bulk(ch), intr(1)) {
		if time.Now().After(deadline) {
			t.Fatal("the subscription did not move to the new owner")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Within the grace period the old owner still delivers.
	expectReply(t, "PUBLISH at A", r.a.do("PUBLISH", ch, "old"), intr(1))
	expectReply(t, "message from A", sub.read(), arr(bulk("message"), bulk(ch), bulk("old")))
	expectReply(t, "PUBLISH", c.do("PUBLISH", ch, "new"), intr(1))
	expectReply(t, "message from B", sub.read(), arr(bulk("message"), bulk(ch), bulk("new")))
	expectReply(t, "SPUBLISH", c.do("SPUBLISH", sch, "snew"), intr(1))
	expectReply(t, "smessage from B", sub.read(), arr(bulk("smessage"), bulk(sch), bulk("snew")))
	deadline = time.Now().Add(moveGrace + 3*time.Second)
	for r.a.do("PUBSUB", "NUMSUB", ch) != arr(bulk(ch), intr(0)) {
		if time.Now().After(deadline) {
			t.Fatal("the old owner keeps the subscription")
		}
		time.Sleep(50 * time.Millisecond)
	}
	expectReply(t, "SHARDNUMSUB at A", r.a.do("PUBSUB", "SHARDNUMSUB", sch), arr(bulk(sch), intr(0)))
	expectReply(t, "UNSUBSCRIBE", sub.do("UNSUBSCRIBE", ch), arr(bulk("unsubscribe"), bulk(ch), intr(0)))
	expectReply(t, "NUMSUB at B", r.b.do("PUBSUB", "NUMSUB", ch), arr(bulk(ch), intr(0)))
}

// SCAN pages through a big slot, and when the slot moves to another shard
// mid-scan while the proxy's map is old, the old owner refuses it and the
// proxy goes on at the new owner once its map catches up: every key comes
// back (some twice, as SCAN allows).
func TestScanFollowsAMovedSlot(t *testing.T) {
	r := newMoveRig(t)
	c := dial(t, r.p.Addr)
	tag := "{" + onS1("big") + "}" // a hash tag whose slot is at A
	var big []string
	for i := range 700 {
		big = append(big, tag+strconv.Itoa(i))
	}
	moving := slotsOf(big[0])
	want := map[string]bool{}
	for _, k := range big {
		want[k] = true
	}
	for i := range 60 {
		want[onS1("scan-a"+strconv.Itoa(i))] = true
		want[onS2("scan-b"+strconv.Itoa(i))] = true
	}
	for k := range want {
		c.do("SET", k, "v")
	}
	r.tables(2, nil, nil)
	r.apply(2, nil, nil)

	seen := map[string]int{}
	cursor, moved, calls := "0", false, 0
	for {
		el := scanElems(t, c.do("SCAN", cursor, "COUNT", "50"))
		cursor = el[0]
		for _, k := range el[1:] {
			seen[k]++
		}
		calls++
		if n, _ := strconv.ParseUint(cursor, 10, 64); !moved && n >= slot.Count && int(n%slot.Count) == moving[0] {
			// In the middle of the big slot: move it whole to B behind
			// the proxy's back.
			moved = true
			r.tables(3, moving, nil)
			got := r.a.do(append([]string{migrate.MoveKeys, r.reg.Shards[1].Addr}, big...)...)
			expectReply(t, "MOVEKEYS", got, intr(len(big)))
			r.tables(4, nil, moving)
			go func() {
				time.Sleep(100 * time.Millisecond)
				r.apply(4, nil, moving)
			}()
		}
		if cursor == "0" {
			break
		}
	}
	if !moved {
		t.Fatal("the scan never stopped inside the big slot: it was not paged")
	}
	for k := range want {
		if seen[k] == 0 {
			t.Errorf("key %q not returned", k)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("SCAN returned %d distinct keys; want %d", len(seen), len(want))
	}
	if calls > 60 {
		t.Errorf("%d SCAN calls for %d keys with COUNT 50", calls, len(want))
	}
}
