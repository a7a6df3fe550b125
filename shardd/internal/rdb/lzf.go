package rdb

import "sync"

// LZF compression as Redis applies it to strings longer than 20 bytes.
//
// The format: a control byte c below 32 starts a run of c+1 literal
// bytes; otherwise its top three bits are a match length minus 2 (7 means
// "plus the next byte"), its low five bits and the following byte the
// distance back minus 1, at most 8191. Decompression uses
// github.com/hdt3213/rdb/lzf; this compressor is separate so that it can
// reuse its hash table (the library's allocates 64 KB per call, which
// saving millions of short strings cannot afford).

const (
	lzfHashLog = 13
	lzfMaxOff  = 1 << 13 // distance limit
	lzfMaxRef  = 264     // longest match: 7 + 255 + 2
	lzfMaxLit  = 32      // longest literal run
)

// lzfCompressor holds the hash table of recent positions. Entries are
// positions plus one; a stale entry from an earlier input is harmless
// because every candidate is checked byte by byte and must lie before the
// current position.
type lzfCompressor struct {
	table [1 << lzfHashLog]uint32
}

var lzfPool = sync.Pool{New: func() any { return new(lzfCompressor) }}

func lzfHash(a, b, c byte) uint32 {
	v := uint32(a)<<16 | uint32(b)<<8 | uint32(c)
	return (v * 2654435761) >> (32 - lzfHashLog)
}

// compress appends in's compressed form to dst if it is at most limit
// bytes long; otherwise it returns dst unchanged and false.
func (z *lzfCompressor) compress(dst, in []byte, limit int) ([]byte, bool) {
	start := len(dst)
	n := len(in)
	lit := 0 // start of the pending literal run
	ip := 0
	for ip+2 < n {
		h := lzfHash(in[ip], in[ip+1], in[ip+2])
		ref := int(z.table[h]) - 1
		z.table[h] = uint32(ip + 1)
		if ref < 0 || ref >= ip || ip-ref-1 >= lzfMaxOff ||
			in[ref] != in[ip] || in[ref+1] != in[ip+1] || in[ref+2] != in[ip+2] {
			ip++
			continue
		}
		l := 3
		for maxl := min(lzfMaxRef, n-ip); l < maxl && in[ref+l] == in[ip+l]; l++ {
		}
		dst = lzfLiterals(dst, in[lit:ip])
		off := ip - ref - 1
		if l-2 < 7 {
			dst = append(dst, byte((l-2)<<5|off>>8), byte(off))
		} else {
			dst = append(dst, byte(7<<5|off>>8), byte(l-2-7), byte(off))
		}
		if len(dst)-start > limit {
			return dst[:start], false
		}
		ip += l
		lit = ip
	}
	dst = lzfLiterals(dst, in[lit:])
	if len(dst)-start > limit {
		return dst[:start], false
	}
	return dst, true
}

// lzfLiterals appends lit as literal runs of at most lzfMaxLit bytes.
func lzfLiterals(dst, lit []byte) []byte {
	for len(lit) > 0 {
		k := min(len(lit), lzfMaxLit)
		dst = append(dst, byte(k-1))
		dst = append(dst, lit[:k]...)
		lit = lit[k:]
	}
	return dst
}
