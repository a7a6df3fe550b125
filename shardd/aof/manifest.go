package aof

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/shardis/shardis/pkg/resp"
)

// FileType is a manifest entry's role.
type FileType byte

const (
	Base        FileType = 'b'
	History     FileType = 'h'
	Incremental FileType = 'i'
)

// FileInfo is one manifest line.
type FileInfo struct {
	Name string
	Seq  int64
	Type FileType
}

// Manifest lists the files of an AOF directory in replay order.
type Manifest struct {
	Base  *FileInfo
	Incrs []FileInfo
	// History are files of a finished rewrite not yet deleted.
	History []FileInfo
}

// ErrCorruptManifest is returned for a manifest that cannot be parsed.
var ErrCorruptManifest = errors.New("aof: corrupt manifest")

// parseManifest reads a manifest's text.
func parseManifest(data []byte) (*Manifest, error) {
	m := &Manifest{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 || line[0] == '#' {
			continue
		}
		words, ok := resp.SplitArgs(line, nil)
		if !ok || len(words)%2 != 0 {
			return nil, fmt.Errorf("%w: line %d: %q", ErrCorruptManifest, i+1, line)
		}
		var fi FileInfo
		for j := 0; j < len(words); j += 2 {
			k, v := string(words[j]), string(words[j+1])
			switch k {
			case "file":
				fi.Name = v
			case "seq":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 1 {
					return nil, fmt.Errorf("%w: line %d: bad seq %q", ErrCorruptManifest, i+1, v)
				}
				fi.Seq = n
			case "type":
				if len(v) != 1 {
					return nil, fmt.Errorf("%w: line %d: bad type %q", ErrCorruptManifest, i+1, v)
				}
				fi.Type = FileType(v[0])
			}
			// Unknown keys are ignored, as Redis does, for newer versions.
		}
		if fi.Name == "" || fi.Seq == 0 || filepath.Base(fi.Name) != fi.Name {
			return nil, fmt.Errorf("%w: line %d: %q", ErrCorruptManifest, i+1, line)
		}
		switch fi.Type {
		case Base:
			if m.Base != nil {
				return nil, fmt.Errorf("%w: line %d: second base file", ErrCorruptManifest, i+1)
			}
			b := fi
			m.Base = &b
		case Incremental:
			m.Incrs = append(m.Incrs, fi)
		case History:
			m.History = append(m.History, fi)
		default:
			return nil, fmt.Errorf("%w: line %d: unknown type %q", ErrCorruptManifest, i+1, string(fi.Type))
		}
	}
	return m, nil
}

// format renders the manifest as Redis writes it.
func (m *Manifest) format() []byte {
	var b bytes.Buffer
	line := func(fi FileInfo) {
		fmt.Fprintf(&b, "file %s seq %d type %c\n", quoteName(fi.Name), fi.Seq, fi.Type)
	}
	if m.Base != nil {
		line(*m.Base)
	}
	for _, fi := range m.History {
		line(fi)
	}
	for _, fi := range m.Incrs {
		line(fi)
	}
	return b.Bytes()
}

// quoteName quotes a file name that contains spaces or quotes.
func quoteName(s string) string {
	if s != "" && !bytes.ContainsAny([]byte(s), " \t\r\n\"'\\") {
		return s
	}
	return strconv.Quote(s)
}

// files returns the files to replay, in order.
func (m *Manifest) files() []FileInfo {
	var out []FileInfo
	if m.Base != nil {
		out = append(out, *m.Base)
	}
	return append(out, m.Incrs...)
}

// lastIncrSeq is the highest incremental sequence number.
func (m *Manifest) lastIncrSeq() int64 {
	var n int64
	for _, fi := range m.Incrs {
		n = max(n, fi.Seq)
	}
	return n
}
