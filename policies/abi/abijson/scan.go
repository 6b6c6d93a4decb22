package abijson

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// rawString consumes the string at d.pos (which is '"') and returns its content:
// a slice of the input when it has no escapes and is valid UTF-8, else a fresh
// unescaped buffer.
func (d *Decoder) rawString() []byte {
	start := d.pos + 1
	end, closed := scanString(d.data, start)
	if closed {
		d.pos = end + 1
		return d.data[start:end]
	}
	return d.slowString(start, end)
}

// slowString handles strings with non-ASCII bytes or escapes; p is the first such
// byte.
func (d *Decoder) slowString(start, p int) []byte {
	if p < len(d.data) && d.data[p] >= utf8.RuneSelf {
		// Still aliasable when valid UTF-8 without escapes.
		q := p
		for q < len(d.data) && d.data[q] != '"' && d.data[q] != '\\' && d.data[q] >= 0x20 {
			q++
		}
		if q < len(d.data) && d.data[q] == '"' && utf8.Valid(d.data[start:q]) {
			d.pos = q + 1
			return d.data[start:q]
		}
	}
	return d.unescape(start)
}

func (d *Decoder) unescape(start int) []byte {
	buf := make([]byte, 0, 32)
	p := start
	for p < len(d.data) {
		c := d.data[p]
		switch {
		case c == '"':
			d.pos = p + 1
			return buf
		case c < 0x20:
			d.pos = p
			d.fail("control character in string")
			return nil
		case c == '\\':
			if p+1 >= len(d.data) {
				d.pos = p
				d.fail("unterminated escape")
				return nil
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
					d.fail("bad \\u escape")
					return nil
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
				d.fail("bad escape")
				return nil
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
	d.fail("unterminated string")
	return nil
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

// number consumes a JSON number, checking its grammar, and returns its bytes and
// whether it is an integer (no fraction or exponent).
func (d *Decoder) number() ([]byte, bool) {
	d.peek()
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
		d.fail("want a number")
		return nil, false
	}
	if p < len(b) && b[p] == '.' {
		isInt = false
		p++
		q := p
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
		if p == q {
			d.fail("want a digit after '.'")
			return nil, false
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
			d.fail("want a digit in the exponent")
			return nil, false
		}
	}
	d.pos = p
	return b[start:p], isInt
}

// Int reads an integer that fits in int64, or null (0).
func (d *Decoder) Int() int64 {
	if d.err != nil || d.Null() {
		return 0
	}
	tok, isInt := d.number()
	if d.err != nil {
		return 0
	}
	if !isInt {
		d.fail("want an integer")
		return 0
	}
	if len(tok) <= 18 { // cannot overflow
		neg, n := tok[0] == '-', int64(0)
		if neg {
			tok = tok[1:]
		}
		for _, c := range tok {
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return n
	}
	n, err := strconv.ParseInt(string(tok), 10, 64)
	if err != nil {
		d.fail("integer out of range")
		return 0
	}
	return n
}

// Float reads a number as float64, or null (0).
func (d *Decoder) Float() float64 {
	if d.err != nil || d.Null() {
		return 0
	}
	tok, _ := d.number()
	if d.err != nil {
		return 0
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		d.fail("number out of range")
		return 0
	}
	return f
}
