package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func writeAOF(t *testing.T, incr string) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "appendonly.aof.manifest"), []byte("file appendonly.aof.1.incr.aof seq 1 type i\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "appendonly.aof.1.incr.aof"), []byte(incr), 0o644)
	return dir
}

func TestAOFCheck(t *testing.T) {
	good := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
	torn := good + "*3\r\n$3\r\nSET\r\n$1\r\nb"
	tests := []struct {
		name     string
		content  string
		args     []string
		code     int
		out, err string
		size     int
	}{
		{"valid", good, nil, 0, "is valid: 2 commands", "", len(good)},
		{"torn tail reported", torn, nil, 1, "", "offset " + strconv.Itoa(len(good)), len(torn)},
		{"torn tail fixed", torn, []string{"--fix"}, 0, "is valid: 2 commands", "truncated", len(good)},
		{"corrupt middle", "*1\r\n:x\r\n" + good, []string{"--fix"}, 1, "", "offset 0", 0},
	}
	for _, tt := range tests {
		dir := writeAOF(t, tt.content)
		var out, errb bytes.Buffer
		code := run(append(tt.args, dir), &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.Contains(errb.String(), tt.err) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d, %q, %q", tt.name, code, out.String(), errb.String(), tt.code, tt.out, tt.err)
		}
		if tt.size > 0 {
			if st, _ := os.Stat(filepath.Join(dir, "appendonly.aof.1.incr.aof")); st.Size() != int64(tt.size) {
				t.Errorf("%s: file is %d bytes; want %d", tt.name, st.Size(), tt.size)
			}
		}
	}
	var errb bytes.Buffer
	if code := run(nil, &bytes.Buffer{}, &errb); code != 2 {
		t.Errorf("no arguments: exit %d; want 2", code)
	}
}
