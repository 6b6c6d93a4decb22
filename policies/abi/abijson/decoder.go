// Package abijson encodes and decodes the policy ABI's JSON (package abi) without
// reflection. Guests built for wasip1 pay dearly for reflection-based encoding/json
// (about 250µs a call under wazero's WithCloseOnContextDone, which makes every loop
// iteration and Go function call in a guest check for cancellation); this package
// keeps loops tight, allocates little and never uses reflection. It imports only the
// standard library, so the host and guests share it and it is tested natively
// against encoding/json.
//
// Differences from encoding/json: object keys match exactly (encoding/json also
// accepts other letter cases), and JSON null decodes to the zero value.
package abijson

import (
	"strconv"
	"unsafe"
)

// Decoder reads JSON values from a byte slice. Errors are sticky: after the first
// one every method returns a zero value and Err reports it, so a decoding function
// checks Err once at the end. Objects and arrays are iterated without callbacks:
//
//	for key, ok := d.FirstKey(); ok; key, ok = d.NextKey() {
//		switch string(key) {
//		case "name":
//			name = d.String()
//		default:
//			d.Skip()
//		}
//	}
//	if err := d.Err(); err != nil { ... }
type Decoder struct {
	data  []byte
	pos   int
	err   error
	alias bool
	depth int
}

// NewDecoder returns a Decoder reading data. Strings it returns are copies.
func NewDecoder(data []byte) *Decoder { return &Decoder{data: data} }

// NewAliasingDecoder returns a Decoder whose strings share memory with data where
// possible, saving an allocation per string. data must never change afterwards.
func NewAliasingDecoder(data []byte) *Decoder { return &Decoder{data: data, alias: true} }

// SyntaxError reports malformed JSON and where it was found.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return "abijson: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// Err returns the first error met, if any.
func (d *Decoder) Err() error { return d.err }

// fail records msg as the error unless one is already recorded.
func (d *Decoder) fail(msg string) {
	if d.err == nil {
		d.err = &SyntaxError{Offset: d.pos, Msg: msg}
	}
	d.pos = len(d.data)
}

// peek skips white space and returns the next byte without consuming it, or 0 at
// the end (check d.pos to tell a 0 byte from the end). The common case, no white
// space, has no loop so that it inlines.
func (d *Decoder) peek() byte {
	if d.pos < len(d.data) && d.data[d.pos] > ' ' {
		return d.data[d.pos]
	}
	return d.skipSpace()
}

func (d *Decoder) skipSpace() byte {
	for d.pos < len(d.data) {
		switch c := d.data[d.pos]; c {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return c
		}
	}
	return 0
}

func (d *Decoder) literal(lit string) bool {
	if len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return true
	}
	return false
}

// Null consumes a JSON null and reports whether there was one.
func (d *Decoder) Null() bool {
	return d.err == nil && d.peek() == 'n' && d.literal("null")
}

// End records an error unless only white space remains, and returns Err.
func (d *Decoder) End() error {
	if d.peek(); d.err == nil && d.pos < len(d.data) {
		d.fail("unexpected data after the value")
	}
	return d.err
}

// FirstKey starts an object (null counts as an empty one) and returns its first
// key; ok is false for an empty object or after an error. The key may alias the
// input. Decode or Skip the value, then call NextKey.
func (d *Decoder) FirstKey() (key []byte, ok bool) {
	if d.err != nil || d.Null() {
		return nil, false
	}
	if d.peek() != '{' {
		d.fail("want an object")
		return nil, false
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		return nil, false
	}
	return d.key()
}

// NextKey moves past ',' to the next key, or past '}' (ok is false).
func (d *Decoder) NextKey() (key []byte, ok bool) {
	if d.err != nil {
		return nil, false
	}
	switch d.peek() {
	case ',':
		d.pos++
		return d.key()
	case '}':
		d.pos++
		return nil, false
	}
	d.fail("want ',' or '}' in object")
	return nil, false
}

func (d *Decoder) key() ([]byte, bool) {
	if d.peek() != '"' {
		d.fail("want a string key")
		return nil, false
	}
	k := d.rawString()
	if d.peek() != ':' {
		d.fail("want ':' after key")
		return nil, false
	}
	d.pos++
	return k, d.err == nil
}

// firstKeyHash and nextKeyHash are FirstKey and NextKey returning the key's hash
// (see keyHash), which the ABI decoders switch on.
func (d *Decoder) firstKeyHash() (uint64, bool) {
	if d.err != nil || d.Null() {
		return 0, false
	}
	if d.peek() != '{' {
		d.fail("want an object")
		return 0, false
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		return 0, false
	}
	return d.keyHash()
}

func (d *Decoder) nextKeyHash() (uint64, bool) {
	if d.err != nil {
		return 0, false
	}
	switch d.peek() {
	case ',':
		d.pos++
		return d.keyHash()
	case '}':
		d.pos++
		return 0, false
	}
	d.fail("want ',' or '}' in object")
	return 0, false
}

func (d *Decoder) keyHash() (uint64, bool) {
	if d.peek() != '"' {
		d.fail("want a string key")
		return 0, false
	}
	start := d.pos + 1
	end, closed := scanString(d.data, start)
	var h uint64
	if n := end - start; closed && start+max(n, 8) <= len(d.data) {
		h = hashWords(d.data, start, n)
		d.pos = end + 1
	} else {
		h = keyHash(string(d.slowString(start, end)))
	}
	if d.peek() != ':' {
		d.fail("want ':' after key")
		return 0, false
	}
	d.pos++
	return h, d.err == nil
}

// FirstElem starts an array (null counts as an empty one) and reports whether an
// element follows; decode it, then call NextElem.
func (d *Decoder) FirstElem() bool {
	if d.err != nil || d.Null() {
		return false
	}
	if d.peek() != '[' {
		d.fail("want an array")
		return false
	}
	d.pos++
	if d.peek() == ']' {
		d.pos++
		return false
	}
	return true
}

// NextElem moves past ',' (true) or past ']' (false).
func (d *Decoder) NextElem() bool {
	if d.err != nil {
		return false
	}
	switch d.peek() {
	case ',':
		d.pos++
		return true
	case ']':
		d.pos++
		return false
	}
	d.fail("want ',' or ']' in array")
	return false
}

// Strings reads an array of strings; null gives nil.
func (d *Decoder) Strings() []string {
	if d.Null() {
		return nil
	}
	out := []string{}
	for ok := d.FirstElem(); ok; ok = d.NextElem() {
		out = append(out, d.String())
	}
	return out
}

// StringMap reads an object of string values; null gives nil.
func (d *Decoder) StringMap() map[string]string {
	if d.Null() {
		return nil
	}
	out := map[string]string{}
	for k, ok := d.FirstKey(); ok; k, ok = d.NextKey() {
		out[d.str(k)] = d.String()
	}
	return out
}

// Bool reads true, false or null (false).
func (d *Decoder) Bool() bool {
	if d.err != nil {
		return false
	}
	switch d.peek() {
	case 't':
		if d.literal("true") {
			return true
		}
	case 'f':
		if d.literal("false") {
			return false
		}
	case 'n':
		if d.literal("null") {
			return false
		}
	}
	d.fail("want a boolean")
	return false
}

// str turns b, a slice of the input or a fresh buffer, into a string.
func (d *Decoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if d.alias {
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

// String reads a string, or null (""). Invalid UTF-8 and lone surrogates become
// U+FFFD, as in encoding/json.
func (d *Decoder) String() string {
	if d.err != nil || d.Null() {
		return ""
	}
	if d.peek() != '"' {
		d.fail("want a string")
		return ""
	}
	return d.str(d.rawString())
}
