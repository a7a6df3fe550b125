package reply

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

type oneByte struct{ b []byte }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	p[0] = o.b[0]
	o.b = o.b[1:]
	return 1, nil
}

func TestNext(t *testing.T) {
	replies := []string{
		"+OK\r\n", "-ERR x\r\n", ":12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n",
		"*2\r\n$1\r\na\r\n*2\r\n:1\r\n$0\r\n\r\n", "%1\r\n+k\r\n*1\r\n_\r\n", "_\r\n", ",1.5\r\n", "#t\r\n",
		"~2\r\n+a\r\n+b\r\n", ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n", "=8\r\ntxt:abcd\r\n",
		"|1\r\n+a\r\n+b\r\n:5\r\n", "*1\r\n*1\r\n*0\r\n",
	}
	in := strings.Join(replies, "")
	for _, slow := range []bool{false, true} {
		var src io.Reader = strings.NewReader(in)
		if slow {
			src = &oneByte{[]byte(in)}
		}
		rd := NewReader(src)
		for i, want := range replies {
			got, err := rd.Next()
			if err != nil || string(got) != want {
				t.Fatalf("slow=%v reply %d: got %q, %v; want %q", slow, i, got, err, want)
			}
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Errorf("slow=%v: at end got %v; want EOF", slow, err)
		}
	}
}

func TestBad(t *testing.T) {
	for _, in := range []string{"?x\r\n", "$abc\r\n", "*x\r\n", "\r\n"} {
		if _, err := NewReader(strings.NewReader(in)).Next(); err != ErrProtocol {
			t.Errorf("%q: got %v; want ErrProtocol", in, err)
		}
	}
}

func TestLargeArray(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("*100000\r\n")
	for range 100000 {
		b.WriteString("$5\r\nhello\r\n")
	}
	got, err := NewReader(&b).Next()
	if err != nil || len(got) != 9+100000*11 {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	el, err := Elems(got)
	if err != nil || len(el) != 100000 {
		t.Fatalf("Elems: %d, %v", len(el), err)
	}
	if s, ok := Str(el[7]); !ok || string(s) != "hello" {
		t.Errorf("Str = %q, %v", s, ok)
	}
}

func TestValues(t *testing.T) {
	if n, ok := Int([]byte(":-42\r\n")); !ok || n != -42 {
		t.Errorf("Int = %d, %v", n, ok)
	}
	if !IsNull([]byte("$-1\r\n")) || !IsNull([]byte("_\r\n")) || IsNull([]byte("$0\r\n\r\n")) {
		t.Error("IsNull wrong")
	}
	if s, ok := Str([]byte("=8\r\ntxt:abcd\r\n")); !ok || string(s) != "abcd" {
		t.Errorf("verbatim Str = %q", s)
	}
	el, err := Elems([]byte("%1\r\n+k\r\n*1\r\n_\r\n"))
	if err != nil || len(el) != 2 || string(el[1]) != "*1\r\n_\r\n" {
		t.Errorf("map Elems = %q, %v", el, err)
	}
}

// chunks hands out its pieces one per Read.
type chunks struct{ parts []string }

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.parts[0])
	c.parts[0] = c.parts[0][n:]
	if c.parts[0] == "" {
		c.parts = c.parts[1:]
	}
	return n, nil
}

// Ready tells whether Next can return without reading, and does not
// disturb what Next returns.
func TestReady(t *testing.T) {
	rd := NewReader(&chunks{[]string{"+OK\r\n*2\r\n$1\r\na\r\n", "$1\r\nb\r\n:7\r\n", "?bad\r\n"}})
	if rd.Ready() {
		t.Fatal("Ready before anything was read")
	}
	steps := []struct {
		want      string
		readyNext bool // Ready after this Next
	}{
		{"+OK\r\n", false},                     // the array is not complete yet
		{"*2\r\n$1\r\na\r\n$1\r\nb\r\n", true}, // :7 is buffered
		{":7\r\n", false},
	}
	for i, st := range steps {
		got, err := rd.Next()
		if err != nil || string(got) != st.want {
			t.Fatalf("step %d: got %q, %v; want %q", i, got, err, st.want)
		}
		if r := rd.Ready(); r != st.readyNext {
			t.Fatalf("step %d: Ready() = %v; want %v", i, r, st.readyNext)
		}
		if rd.Ready() != st.readyNext { // idempotent
			t.Fatalf("step %d: second Ready() differs", i)
		}
	}
	if _, err := rd.Next(); err != ErrProtocol {
		t.Fatalf("malformed reply: got %v; want ErrProtocol", err)
	}
	if !rd.Ready() {
		t.Error("Ready() = false on a malformed reply (Next would not block)")
	}
}

func TestArrayHeaderAndSkip(t *testing.T) {
	raw := []byte("*3\r\n$1\r\na\r\n$-1\r\n*1\r\n:1\r\n")
	n, hl, ok := ArrayHeader(raw)
	if !ok || n != 3 || hl != 4 {
		t.Fatalf("ArrayHeader: %d %d %v", n, hl, ok)
	}
	var got []string
	for pos := hl; pos < len(raw); {
		end, err := Skip(raw, pos)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(raw[pos:end]))
		pos = end
	}
	if want := []string{"$1\r\na\r\n", "$-1\r\n", "*1\r\n:1\r\n"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("elements %q; want %q", got, want)
	}
	for _, bad := range []string{"*-1\r\n", "%1\r\n+a\r\n+b\r\n", "+OK\r\n", "*"} {
		if _, _, ok := ArrayHeader([]byte(bad)); ok {
			t.Errorf("ArrayHeader(%q) ok", bad)
		}
	}
}
