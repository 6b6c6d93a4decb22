package abijson

import (
	"encoding/binary"
	"math/bits"
)

// Under wazero's WithCloseOnContextDone every loop iteration and every non-inlined
// Go call in a guest leaves native code to check for cancellation (tens of
// nanoseconds each), so the hot paths here look at eight bytes per iteration and
// identify keys by a hash of whole words instead of comparing strings byte by byte.

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// special flags, in each byte's top bit, bytes that end the fast string scan: '"',
// '\\', control characters and non-ASCII. The lowest flag is exact.
func special(w uint64) uint64 {
	q := w ^ (lsb * '"')
	b := w ^ (lsb * '\\')
	return ((q-lsb)&^q | (b-lsb)&^b | (w-lsb*0x20)&^w | w) & msb
}

// scanString returns the index of the first special byte at or after p and whether
// it is the closing quote.
func scanString(data []byte, p int) (int, bool) {
	for p+8 <= len(data) {
		if m := special(binary.LittleEndian.Uint64(data[p:])); m != 0 {
			p += bits.TrailingZeros64(m) >> 3
			return p, data[p] == '"'
		}
		p += 8
	}
	for ; p < len(data); p++ {
		if c := data[p]; c == '"' {
			return p, true
		} else if c == '\\' || c < 0x20 || c >= 0x80 {
			return p, false
		}
	}
	return p, false
}

// hashWords hashes data[start:start+n] a word at a time. It reads up to
// max(n, 8) bytes from start, so the caller guarantees they exist.
func hashWords(data []byte, start, n int) uint64 {
	const prime = 0x100000001b3
	h := uint64(n) * 0x9e3779b97f4a7c15
	if n < 8 {
		w := binary.LittleEndian.Uint64(data[start:])
		w &= 1<<(8*uint(n)) - 1
		return (h ^ w) * prime
	}
	p := start
	for ; p+8 < start+n; p += 8 {
		h = (h ^ binary.LittleEndian.Uint64(data[p:])) * prime
		h ^= h >> 29
	}
	h = (h ^ binary.LittleEndian.Uint64(data[start+n-8:])) * prime // last word, may overlap
	return h ^ h>>32
}

// keyHash returns the hash of a known key, as the decoder computes it for keys it
// reads.
func keyHash(key string) uint64 {
	buf := make([]byte, len(key)+8)
	copy(buf, key)
	return hashWords(buf, 0, len(key))
}

// scanKey scans the key string starting at p (after its opening quote) and hashes
// it as hashWords does, in one pass: keys of up to seven bytes take no loop at all.
// ok is false when the key needs the slow path (escapes, non-ASCII, near the end).
func scanKey(data []byte, p int) (end int, h uint64, ok bool) {
	if p+8 > len(data) {
		return 0, 0, false
	}
	w := binary.LittleEndian.Uint64(data[p:])
	if m := special(w); m != 0 {
		n := bits.TrailingZeros64(m) >> 3
		if data[p+n] != '"' {
			return 0, 0, false
		}
		return p + n, hashWords(data, p, n), true
	}
	end, closed := scanString(data, p+8)
	if !closed {
		return 0, 0, false
	}
	return end, hashWords(data, p, end-p), true
}
