// Package abijson encodes and decodes the policy ABI's JSON (package abi) without
// reflection. Guests built for wasip1 pay dearly for reflection-based encoding/json
// (about 250µs a call under wazero's WithCloseOnContextDone); this package does the
// same work in a few microseconds. It imports only the standard library, so the host
// and guests share it and it is tested natively against encoding/json.
//
// Differences from encoding/json: object keys match exactly (encoding/json also
// accepts other letter cases), and JSON null decodes to the zero value.
package abijson

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Decoder reads one JSON value at a time from a byte slice. Policies use it to parse
// their own configuration; the zero value is not usable, call NewDecoder.
type Decoder struct {
	data []byte
	pos  int
}

// NewDecoder returns a Decoder reading data.
func NewDecoder(data []byte) *Decoder { return &Decoder{data: data} }

// SyntaxError reports malformed JSON and where it was found.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("abijson: %s at offset %d", e.Msg, e.Offset)
}

func (d *Decoder) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: d.pos, Msg: fmt.Sprintf(format, args...)}
}

func (d *Decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it, or 0 at the end.
func (d *Decoder) peek() byte {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

func (d *Decoder) expect(c byte) error {
	if d.peek() != c {
		if d.pos >= len(d.data) {
			return d.errorf("unexpected end of input, want %q", c)
		}
		return d.errorf("unexpected %q, want %q", d.data[d.pos], c)
	}
	d.pos++
	return nil
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
	return d.peek() == 'n' && d.literal("null")
}

// End reports an error unless only white space remains.
func (d *Decoder) End() error {
	if d.skipSpace(); d.pos < len(d.data) {
		return d.errorf("unexpected data after the value")
	}
	return nil
}

// Object reads an object (or null), calling fn for each key with the decoder
// positioned on the value; fn must consume the value (Skip when unknown).
func (d *Decoder) Object(fn func(d *Decoder, key string) error) error {
	if d.Null() {
		return nil
	}
	if err := d.expect('{'); err != nil {
		return err
	}
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	for {
		key, err := d.String()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if err := fn(d, key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.errorf("want ',' or '}' in object")
		}
	}
}

// Array reads an array (or null), calling fn for each element; fn must consume it.
func (d *Decoder) Array(fn func(d *Decoder) error) error {
	if d.Null() {
		return nil
	}
	if err := d.expect('['); err != nil {
		return err
	}
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	for {
		if err := fn(d); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return d.errorf("want ',' or ']' in array")
		}
	}
}

// Strings reads an array of strings; null gives nil.
func (d *Decoder) Strings() ([]string, error) {
	var out []string
	if d.peek() == '[' {
		out = []string{}
	}
	err := d.Array(func(d *Decoder) error {
		s, err := d.String()
		out = append(out, s)
		return err
	})
	return out, err
}

// StringMap reads an object of string values; null gives nil.
func (d *Decoder) StringMap() (map[string]string, error) {
	var out map[string]string
	if d.peek() == '{' {
		out = map[string]string{}
	}
	err := d.Object(func(d *Decoder, key string) error {
		v, err := d.String()
		out[key] = v
		return err
	})
	return out, err
}

// Bool reads true, false or null (false).
func (d *Decoder) Bool() (bool, error) {
	switch d.peek() {
	case 't':
		if d.literal("true") {
			return true, nil
		}
	case 'f':
		if d.literal("false") {
			return false, nil
		}
	case 'n':
		if d.literal("null") {
			return false, nil
		}
	}
	return false, d.errorf("want a boolean")
}

// number returns the bytes of a JSON number, checking its grammar.
func (d *Decoder) number() ([]byte, bool, error) {
	d.skipSpace()
	start, p, b := d.pos, d.pos, d.data
	isInt := true
	if p < len(b) && b[p] == '-' {
		p++
	}
	switch {
	case p < len(b) && b[p] == '0':
		p++
	case p < len(b) && b[p] >= '1' && b[p] <= '9':
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
	default:
		return nil, false, d.errorf("want a number")
	}
	if p < len(b) && b[p] == '.' {
		isInt = false
		p++
		q := p
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
		if p == q {
			return nil, false, d.errorf("want a digit after '.'")
		}
	}
	if p < len(b) && (b[p] == 'e' || b[p] == 'E') {
		isInt = false
		p++
		if p < len(b) && (b[p] == '+' || b[p] == '-') {
			p++
		}
		q := p
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
		if p == q {
			return nil, false, d.errorf("want a digit in exponent")
		}
	}
	d.pos = p
	return b[start:p], isInt, nil
}

// Int reads an integer that fits in int64, or null (0).
func (d *Decoder) Int() (int64, error) {
	if d.Null() {
		return 0, nil
	}
	tok, isInt, err := d.number()
	if err != nil {
		return 0, err
	}
	if !isInt {
		return 0, d.errorf("want an integer, got %s", tok)
	}
	// Fast path for the common short case; strconv for the rest.
	if len(tok) <= 18 {
		neg, n := false, int64(0)
		for i, c := range tok {
			if i == 0 && c == '-' {
				neg = true
				continue
			}
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return n, nil
	}
	n, err := strconv.ParseInt(string(tok), 10, 64)
	if err != nil {
		return 0, d.errorf("integer %s out of range", tok)
	}
	return n, nil
}

// Float reads a number as float64, or null (0).
func (d *Decoder) Float() (float64, error) {
	if d.Null() {
		return 0, nil
	}
	tok, _, err := d.number()
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return 0, d.errorf("number %s out of range", tok)
	}
	return f, nil
}

var errNoString = errors.New("want a string")

// String reads a string, or null (""). Invalid UTF-8 and lone surrogates become
// U+FFFD, as in encoding/json.
func (d *Decoder) String() (string, error) {
	if d.Null() {
		return "", nil
	}
	if d.peek() != '"' {
		return "", d.errorf("%v", errNoString)
	}
	d.pos++
	start := d.pos
	// Fast path: no escapes, ASCII only.
	for p := start; p < len(d.data); p++ {
		c := d.data[p]
		if c == '"' {
			d.pos = p + 1
			return string(d.data[start:p]), nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	return d.slowString(start)
}

func (d *Decoder) slowString(start int) (string, error) {
	buf := make([]byte, 0, 32)
	p := start
	for p < len(d.data) {
		c := d.data[p]
		switch {
		case c == '"':
			d.pos = p + 1
			return string(buf), nil
		case c < 0x20:
			d.pos = p
			return "", d.errorf("control character in string")
		case c == '\\':
			if p+1 >= len(d.data) {
				d.pos = p
				return "", d.errorf("unterminated escape")
			}
			p++
			switch e := d.data[p]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(d.data, p+1)
				if !ok {
					d.pos = p
					return "", d.errorf("bad \\u escape")
				}
				p += 4
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(-1), false
					if p+2 < len(d.data) && d.data[p+1] == '\\' && d.data[p+2] == 'u' {
						r2, ok2 = hex4(d.data, p+3)
					}
					if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
						r = dec
						p += 6
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				d.pos = p
				return "", d.errorf("bad escape \\%c", e)
			}
			p++
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p++
		default:
			r, size := utf8.DecodeRune(d.data[p:])
			buf = utf8.AppendRune(buf, r) // RuneError for invalid bytes
			p += size
		}
	}
	d.pos = p
	return "", d.errorf("unterminated string")
}

func hex4(b []byte, p int) (rune, bool) {
	if p+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[p : p+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
