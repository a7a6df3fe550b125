package twopc

import (
	"bytes"
	"slices"
	"testing"

	"github.com/shardis/shardis/pkg/resp"
)

// split decodes one encoded command into its arguments.
func split(t *testing.T, b []byte) [][]byte {
	t.Helper()
	rd := resp.NewReader(bytes.NewReader(b))
	args, err := rd.ReadCommand()
	if err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	return args
}

func TestPrepareRoundTrip(t *testing.T) {
	for _, p := range []PrepareArgs{
		{TxID: "p-1", TimeoutMs: 3000, Secondaries: []string{"10.0.0.2:7001", "10.0.0.3:7001"}, Op: OpMSET, Args: [][]byte{[]byte("a"), []byte("1")}},
		{TxID: "p-2", TimeoutMs: 1, Primary: "10.0.0.1:7001", Op: OpDEL, Args: [][]byte{[]byte("a"), []byte("b")}},
	} {
		got, err := ParsePrepare(split(t, AppendPrepare(nil, &p)))
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		if got.TxID != p.TxID || got.TimeoutMs != p.TimeoutMs || got.Primary != p.Primary ||
			!slices.Equal(got.Secondaries, p.Secondaries) || got.Op != p.Op ||
			!slices.EqualFunc(got.Args, p.Args, bytes.Equal) {
			t.Errorf("round trip of %+v = %+v", p, got)
		}
	}
}

func TestParsePrepareRefuses(t *testing.T) {
	for _, args := range [][]string{
		{Prepare, "id", "100", "", "", "MSET"}, // too short
		{Prepare, "", "100", "", "", "DEL", "k"},
		{Prepare, "id", "0", "", "", "DEL", "k"},
		{Prepare, "id", "x", "", "", "DEL", "k"},
		{Prepare, "id", "100", "", "", "MSET", "k"},
		{Prepare, "id", "100", "", "", "INCR", "k"},
		{Prepare, "id", "100", "p:1", "s:1", "DEL", "k"}, // a secondary listing secondaries
	} {
		var b [][]byte
		for _, a := range args {
			b = append(b, []byte(a))
		}
		if _, err := ParsePrepare(b); err == nil {
			t.Errorf("ParsePrepare(%q) accepted it", args)
		}
	}
}

func TestTxBatch(t *testing.T) {
	got := split(t, AppendTxBatch(nil, Commit, []string{"a", "b"}))
	if len(got) != 3 || string(got[0]) != Commit || string(got[1]) != "a" || string(got[2]) != "b" {
		t.Errorf("AppendTxBatch = %q", got)
	}
}

func FuzzParsePrepare(f *testing.F) {
	f.Add([]byte("3000"), []byte(""), []byte("a:1,b:2"), []byte("mset"), []byte("k"))
	f.Add([]byte("1"), []byte("p:1"), []byte(""), []byte("DEL"), []byte(""))
	f.Fuzz(func(t *testing.T, timeout, primary, secondaries, op, arg []byte) {
		p, err := ParsePrepare([][]byte{[]byte(Prepare), []byte("id"), timeout, primary, secondaries, op, arg, arg})
		if err != nil {
			return
		}
		// What parses encodes back to the same command.
		again, err := ParsePrepare(split(t, AppendPrepare(nil, &p)))
		if err != nil || again.Op != p.Op || again.TimeoutMs != p.TimeoutMs || !slices.Equal(again.Secondaries, p.Secondaries) {
			t.Fatalf("re-encoded %+v parses as %+v, %v", p, again, err)
		}
	})
}
