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
