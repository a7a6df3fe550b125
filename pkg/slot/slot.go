package slot

import (
	"bytes"

	"github.com/cespare/xxhash/v2"
)

// Count is the number of hash slots in a cluster.
const Count = 16384

// Tag returns the part of key that is hashed: the contents of the first
// non-empty {...} section, or the whole key when there is none.
func Tag(key []byte) []byte {
	open := bytes.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	closing := bytes.IndexByte(key[open+1:], '}')
	if closing <= 0 { // no '}' after '{', or "{}" with nothing inside
		return key
	}
	return key[open+1 : open+1+closing]
}

// Of returns the slot of key, in [0, Count).
func Of(key []byte) int {
	return int(xxhash.Sum64(Tag(key)) % Count)
}

// OfString is Of for a string key, without copying it.
func OfString(key string) int {
	open := -1
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			open = i
			break
		}
	}
	if open >= 0 {
		for j := open + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j > open+1 {
					key = key[open+1 : j]
				}
				break
			}
		}
	}
	return int(xxhash.Sum64String(key) % Count)
}
