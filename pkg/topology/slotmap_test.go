package topology

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shardis/shardis/pkg/slot"
)

func TestSpread(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 7, 100} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = "s" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		}
		m := Spread(ids)
		rs := m.Ranges()
		if len(rs) != n {
			t.Fatalf("n=%d: got %d ranges; want %d", n, len(rs), n)
		}
		next := 0
		for i, r := range rs {
			if r.First != next || r.Shard != ids[i] {
				t.Fatalf("n=%d: range %d is %+v; want it to start at %d for %s", n, i, r, next, ids[i])
			}
			if want := slot.Count / n; r.Count() != want && r.Count() != want+1 {
				t.Fatalf("n=%d: range %d has %d slots; want %d or %d", n, i, r.Count(), want, want+1)
			}
			next = r.Last + 1
		}
		if next != slot.Count {
			t.Fatalf("n=%d: ranges end at %d; want %d", n, next, slot.Count)
		}
	}
	m := Spread([]string{"s1", "s2", "s3"})
	got := m.Counts()
	if got["s1"] != 5462 || got["s2"] != 5461 || got["s3"] != 5461 {
		t.Fatalf("Spread of 3: got counts %v; want 5462, 5461, 5461", got)
	}
}

func TestSlotMapJSONRoundTrip(t *testing.T) {
	m := Spread([]string{"s1", "s2", "s3"})
	m.Version = 42
	m.Owner[7] = "s3"
	for s := 100; s < 200; s++ {
		m.Migrations[s] = Migration{From: "s1", To: "s2", State: Migrating}
	}
	m.Migrations[300] = Migration{From: "s1", To: "s3", State: Migrating}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 1000 {
		t.Errorf("encoded map is %d bytes; want it compact (< 1000): %s", len(b), b)
	}
	var got SlotMap
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	if got.Version != 42 || !got.SameAssignment(m) {
		t.Fatalf("round trip changed the map: %s", b)
	}
	if err := got.Validate(nil); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if rs := got.MigrationRanges(); len(rs) != 2 || rs[0].First != 100 || rs[0].Last != 199 || rs[1].To != "s3" {
		t.Fatalf("MigrationRanges = %+v; want 100-199 s1->s2 and 300 s1->s3", rs)
	}
}

func TestSlotMapJSONRejects(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"not json", `{`},
		{"newer format", `{"format":2,"version":1,"slots":[{"first":0,"last":16383,"shard":"s1"}]}`},
		{"no format", `{"version":1,"slots":[{"first":0,"last":16383,"shard":"s1"}]}`},
		{"out of range", `{"format":1,"version":1,"slots":[{"first":0,"last":16384,"shard":"s1"}]}`},
		{"negative", `{"format":1,"version":1,"slots":[{"first":-1,"last":3,"shard":"s1"}]}`},
		{"reversed", `{"format":1,"version":1,"slots":[{"first":5,"last":3,"shard":"s1"}]}`},
		{"overlap", `{"format":1,"version":1,"slots":[{"first":0,"last":10,"shard":"s1"},{"first":10,"last":16383,"shard":"s2"}]}`},
		{"no shard", `{"format":1,"version":1,"slots":[{"first":0,"last":16383,"shard":""}]}`},
		{"migration twice", `{"format":1,"version":1,"slots":[{"first":0,"last":16383,"shard":"s1"}],"migrations":[{"first":1,"last":2,"from":"s1","to":"s2","state":"migrating"},{"first":2,"last":2,"from":"s1","to":"s2","state":"migrating"}]}`},
	} {
		_, err := decodeSlotMap([]byte(tc.doc), 1)
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: Unmarshal(%s) = %v; want ErrFormat", tc.name, tc.doc, err)
		}
	}
}

func TestSlotMapValidate(t *testing.T) {
	reg := &Registry{Shards: []Shard{{ID: "s1", Addr: "h:1"}, {ID: "s2", Addr: "h:2"}}}
	for _, tc := range []struct {
		name   string
		change func(m *SlotMap)
		want   string // "" for valid
	}{
		{"valid", func(m *SlotMap) {}, ""},
		{"valid migration", func(m *SlotMap) { m.Migrations[0] = Migration{From: "s1", To: "s2", State: Migrating} }, ""},
		{"unowned", func(m *SlotMap) { m.Owner[5] = "" }, "slot 5 has no owner"},
		{"unknown owner", func(m *SlotMap) { m.Owner[5] = "s9" }, `unregistered shard "s9"`},
		{"migration not from owner", func(m *SlotMap) { m.Migrations[0] = Migration{From: "s2", To: "s1", State: Migrating} }, "owned by"},
		{"migration to itself", func(m *SlotMap) { m.Migrations[0] = Migration{From: "s1", To: "s1", State: Migrating} }, "to itself"},
		{"migration to unknown", func(m *SlotMap) { m.Migrations[0] = Migration{From: "s1", To: "s3", State: Migrating} }, `unregistered shard "s3"`},
		{"migration without state", func(m *SlotMap) { m.Migrations[0] = Migration{From: "s1", To: "s2"} }, "without a state"},
		{"migration out of range", func(m *SlotMap) { m.Migrations[slot.Count] = Migration{From: "s1", To: "s2", State: Migrating} }, "out of range"},
	} {
		m := Spread([]string{"s1", "s2"})
		tc.change(m)
		err := m.Validate(reg)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Validate = %v; want nil", tc.name, err)
		case tc.want != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: Validate = %v; want ErrInvalid containing %q", tc.name, err, tc.want)
		}
	}
}

func TestValidateAddrAndID(t *testing.T) {
	for _, a := range []string{"127.0.0.1:7000", "host:1", "[::1]:65535"} {
		if err := ValidateAddr(a); err != nil {
			t.Errorf("ValidateAddr(%q) = %v; want nil", a, err)
		}
	}
	for _, a := range []string{"", "host", ":7000", "host:0", "host:65536", "host:x", "a:b:c"} {
		if err := ValidateAddr(a); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateAddr(%q) = %v; want ErrInvalid", a, err)
		}
	}
	for _, id := range []string{"s1", "shard-A_1.b"} {
		if err := ValidateID(id); err != nil {
			t.Errorf("ValidateID(%q) = %v; want nil", id, err)
		}
	}
	for _, id := range []string{"", "a/b", "a b", "..", strings.Repeat("x", 65)} {
		if err := ValidateID(id); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateID(%q) = %v; want ErrInvalid", id, err)
		}
	}
}
