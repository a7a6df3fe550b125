package migrate

import (
	"slices"
	"testing"
)

func TestTableRoundTrip(t *testing.T) {
	var tb Table
	tb.Version = 7
	for s := 0; s <= 99; s++ {
		tb.Slots[s] = Owned
	}
	tb.Slots[100] = Migrating
	for s := 200; s <= 300; s++ {
		tb.Slots[s] = Importing
	}
	specs := tb.Specs()
	if want := []string{"0-99:o", "100:m", "200-300:i"}; !slices.Equal(specs, want) {
		t.Fatalf("Specs = %v; want %v", specs, want)
	}
	back, err := ParseTable("7", specs)
	if err != nil || *back != tb {
		t.Fatalf("ParseTable = %v", err)
	}
	for _, bad := range []string{"1-0:o", "0-16384:o", "5:x", "5", "a-b:o", "-1:o"} {
		if _, err := ParseTable("1", []string{bad}); err == nil {
			t.Errorf("ParseTable(%q) accepted", bad)
		}
	}
	if _, err := ParseTable("x", nil); err == nil {
		t.Error("bad version accepted")
	}
}

func TestWrongShard(t *testing.T) {
	v, ok := ParseWrongShard(WrongShard(42, 9))
	if !ok || v != 42 {
		t.Fatalf("ParseWrongShard = %d, %v", v, ok)
	}
	if !IsWrongShardReply([]byte("-"+WrongShard(42, 9)+"\r\n")) || IsWrongShardReply([]byte("-ERR nope\r\n")) || IsWrongShardReply([]byte("+WRONGSHARD 1\r\n")) {
		t.Error("IsWrongShardReply")
	}
	if _, ok := ParseWrongShard("ERR nope"); ok {
		t.Error("ParseWrongShard accepted another error")
	}
	if !Owned.Serves() || !Importing.Serves() || Migrating.Serves() || NotServed.Serves() {
		t.Error("Serves")
	}
}
