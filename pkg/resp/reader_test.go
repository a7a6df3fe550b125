package resp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// oneByteReader returns its data one byte per Read, to exercise every
// partial-request path.
type oneByteReader struct{ data []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

func readAll(t *testing.T, rd *Reader) ([]string, error) {
	t.Helper()
	var got []string
	for {
		args, err := rd.ReadCommand()
		if err != nil {
			return got, err
		}
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = string(a)
		}
		got = append(got, strings.Join(parts, "|"))
	}
}

func TestReadCommand(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      error
	}{
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", []string{"GET|k"}, io.EOF},
		{"pipeline", "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", []string{"PING", "ECHO|"}, io.EOF},
		{"binary", "*2\r\n$3\r\nSET\r\n$4\r\n\r\n\x00\xff\r\n", []string{"SET|\r\n\x00\xff"}, io.EOF},
		{"empty multibulk skipped", "*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", []string{"PING"}, io.EOF},
		{"inline", "PING\r\nSET a \"b c\"\n  \r\n", []string{"PING", "SET|a|b c"}, io.EOF},
		{"inline escapes", "ECHO \"\\x41\\n\" 'it\\'s'\r\n", []string{"ECHO|A\n|it's"}, io.EOF},
		{"unbalanced", "ECHO \"abc\r\n", nil, ErrUnbalancedQuotes},
		{"bad count", "*x\r\n", nil, ErrInvalidMultibulk},
		{"leading plus", "*+1\r\n", nil, ErrInvalidMultibulk},
		{"bad bulk", "*1\r\n$-1\r\n", nil, ErrInvalidBulk},
		{"too big bulk", "*1\r\n$536870913\r\n", nil, ErrInvalidBulk},
		{"huge bulk", "*1\r\n$99999999999999999999999\r\n", nil, ErrInvalidBulk},
		{"no dollar", "*1\r\n:1\r\n", nil, &ProtocolError{"expected '$', got ':'"}},
		{"truncated", "*2\r\n$3\r\nGET\r\n$1\r\n", nil, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		for _, slow := range []bool{false, true} {
			var src io.Reader = strings.NewReader(tt.in)
			if slow {
				src = &oneByteReader{[]byte(tt.in)}
			}
			got, err := readAll(t, NewReader(src))
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("%s (slow=%v): got %q; want %q", tt.name, slow, got, tt.want)
			}
			if !sameErr(err, tt.err) {
				t.Errorf("%s (slow=%v): err %v; want %v", tt.name, slow, err, tt.err)
			}
		}
	}
}

func sameErr(a, b error) bool {
	var pa, pb *ProtocolError
	if errors.As(a, &pa) && errors.As(b, &pb) {
		return pa.msg == pb.msg
	}
	return errors.Is(a, b)
}

func TestHeaderTooLong(t *testing.T) {
	in := "*" + strings.Repeat("1", MaxInlineSize+10)
	_, err := readAll(t, NewReader(strings.NewReader(in)))
	if err != ErrBigMultibulkHeader {
		t.Errorf("got %v; want %v", err, ErrBigMultibulkHeader)
	}
	in = strings.Repeat("a", MaxInlineSize+10)
	_, err = readAll(t, NewReader(strings.NewReader(in)))
	if err != ErrBigInline {
		t.Errorf("got %v; want %v", err, ErrBigInline)
	}
}

// A header that claims a huge bulk must not allocate it up front.
func TestDeclaredSizeNotPreallocated(t *testing.T) {
	rd := NewReader(strings.NewReader("*1\r\n$500000000\r\nabc"))
	_, err := rd.ReadCommand()
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("got %v; want io.ErrUnexpectedEOF", err)
	}
	if len(rd.buf) > 1<<20 {
		t.Errorf("buffer grew to %d bytes for 19 bytes of input", len(rd.buf))
	}
}

func TestQueryBufferLimit(t *testing.T) {
	rd := NewReader(strings.NewReader("*1\r\n$100000\r\n" + strings.Repeat("x", 100002)))
	rd.MaxQueryBuffer = 50000
	if _, err := rd.ReadCommand(); err != ErrQueryBufferLimit {
		t.Errorf("got %v; want %v", err, ErrQueryBufferLimit)
	}
}

func TestLargeValue(t *testing.T) {
	val := bytes.Repeat([]byte("v"), 3<<20)
	var in []byte
	in = AppendArray(in, 2)
	in = AppendBulkString(in, "SET")
	in = AppendBulk(in, val)
	in = AppendArray(in, 1)
	in = AppendBulkString(in, "PING")
	rd := NewReader(bytes.NewReader(in))
	args, err := rd.ReadCommand()
	if err != nil || !bytes.Equal(args[1], val) {
		t.Fatalf("large value not read back: err %v", err)
	}
	args, err = rd.ReadCommand()
	if err != nil || string(args[0]) != "PING" {
		t.Fatalf("command after large value: %q, %v", args, err)
	}
}

func TestBeforeWaitCalledBeforeBlocking(t *testing.T) {
	rd := NewReader(&oneByteReader{[]byte("*1\r\n$4\r\nPING\r\n")})
	calls := 0
	rd.BeforeWait = func() error { calls++; return nil }
	if _, err := rd.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("BeforeWait never called")
	}
}

func TestParseInt(t *testing.T) {
	good := map[string]int64{"0": 0, "-1": -1, "123": 123, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63}
	for s, want := range good {
		if got, ok := ParseInt([]byte(s)); !ok || got != want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "-", "+1", "01", "-0", " 1", "1 ", "9223372036854775808", "1.0", "0x1"} {
		if _, ok := ParseInt([]byte(s)); ok {
			t.Errorf("ParseInt(%q) accepted", s)
		}
	}
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", "*0\r\n", "*-1\r\n", "*1\r\n$-1\r\n",
		"ECHO \"a\\x41\"\r\n", "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$0\r\n\r\n", "*1\r\n$1\r\n", "'\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rd := NewReader(bytes.NewReader(in))
		rd.MaxBulk = 1 << 20
		total := 0
		for {
			args, err := rd.ReadCommand()
			if err != nil {
				return
			}
			if len(args) == 0 {
				t.Fatal("empty request returned")
			}
			for _, a := range args {
				total += len(a)
			}
			if total > len(in) {
				t.Fatalf("more argument bytes (%d) than input (%d)", total, len(in))
			}
		}
	})
}

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{`a b`, `"a b" c`, `'x\'y'`, `"\x41\n"`, `"unbalanced`, `"a"b`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, ok := SplitArgs([]byte(line), nil)
		if !ok {
			return
		}
		for _, w := range words {
			if len(w) > len(line) {
				t.Fatalf("word longer than line")
			}
		}
	})
}

func TestOffsetAndTruncation(t *testing.T) {
	cmd := "*1\r\n$4\r\nPING\r\n"
	rd := NewReader(strings.NewReader(cmd + cmd + "*2\r\n$3\r\nGET"))
	rd.AOF = true
	for i := 0; i < 2; i++ {
		if _, err := rd.ReadCommand(); err != nil {
			t.Fatal(err)
		}
	}
	if got := rd.Offset(); got != int64(2*len(cmd)) {
		t.Errorf("Offset() = %d; want %d", got, 2*len(cmd))
	}
	if _, err := rd.ReadCommand(); err != io.ErrUnexpectedEOF {
		t.Errorf("truncated tail: got %v; want io.ErrUnexpectedEOF", err)
	}
}

func TestAOFMode(t *testing.T) {
	in := "#TS:1700000000\r\n*1\r\n$4\r\nPING\r\n"
	rd := NewReader(strings.NewReader(in))
	rd.AOF = true
	args, err := rd.ReadCommand()
	if err != nil || string(args[0]) != "PING" {
		t.Fatalf("got %q, %v", args, err)
	}
	if rd.Offset() != int64(len(in)) {
		t.Errorf("Offset() = %d; want %d", rd.Offset(), len(in))
	}
	rd = NewReader(strings.NewReader("PING\r\n"))
	rd.AOF = true
	if _, err := rd.ReadCommand(); err == nil {
		t.Error("inline command accepted in AOF mode")
	}
}

func TestFeed(t *testing.T) {
	rd := NewReader(strings.NewReader("*1\r\n$4\r\nPING\r\n"))
	args, err := rd.ReadCommand()
	if err != nil {
		t.Fatal(err)
	}
	rd.Feed([]byte("*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n"))
	if string(args[0]) != "PING" {
		t.Errorf("Feed invalidated the last request: %q", args[0])
	}
	args, err = rd.ReadCommand()
	if err != nil || string(args[1]) != "x" {
		t.Errorf("fed request: %q, %v", args, err)
	}
}
