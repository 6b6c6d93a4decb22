package abijson

import (
	"math/bits"
	"unsafe"

	"github.com/ccgateway/ccgateway/policies/abi"
)

// decodeInputFast decodes an abi.Input; see fast.go. alias makes strings share
// memory with data.
func decodeInputFast(data []byte, in *abi.Input, alias bool) error {
	d := Decoder{data: data, alias: alias}
	var (
		stack [8]int // contexts of the open objects and arrays
		depth = 0
		state = stValue
		f     field
		list  []string
	)
	for {
		if d.err != nil {
			return d.err
		}
		c := d.peek()
		if d.pos >= len(data) {
			d.fail("unexpected end of input")
			return d.err
		}
		switch state {
		case stValue:
			if c == 'n' && d.literal("null") {
				return d.End()
			}
			if c != '{' {
				d.fail("want an object")
				continue
			}
			d.pos++
			stack[0], depth, state = cxRoot, 1, stFirstKey

		case stFirstElem, stElem:
			if c == ']' && state == stFirstElem {
				d.pos++
				depth--
				setList(in, stack[depth], list)
				state = stAfter
				break
			}
			list = append(list, d.quickString(c))
			state = stAfter

		case stFirstKey, stKey:
			if c == '}' && state == stFirstKey {
				d.pos++
				if depth--; depth == 0 {
					return d.End()
				}
				state = stAfter
				break
			}
			if c != '"' {
				d.fail("want a string key")
				continue
			}
			start := d.pos + 1
			end, h, ok := scanKey(data, start)
			if ok {
				d.pos = end + 1
			} else {
				end, _ = scanString(data, start)
				h = keyHash(string(d.slowString(start, end)))
			}
			if d.peek() != ':' {
				d.fail("want ':' after key")
				continue
			}
			d.pos++
			f = lookup(stack[depth-1], h)
			state = stFieldVal
			if c = d.peek(); d.err != nil || d.pos >= len(data) {
				break // the loop reports it
			}
			fallthrough // straight on to the value: one loop iteration less

		case stFieldVal:
			state = stAfter // scalars fall through to stAfter
			if c == 'n' && f != fConfig && d.literal("null") {
				continue // null leaves the zero value
			}
			switch at := unsafe.Add(unsafe.Pointer(in), fieldOffset[f]); fieldKind[f] {
			case kindInt:
				*(*int64)(at) = d.quickInt()
			case kindString:
				*(*string)(at) = d.quickString(c)
			case kindObject, kindList:
				want := byte('{')
				if fieldKind[f] == kindList {
					want = '['
				}
				if c != want {
					d.fail("want an object or array")
					continue
				}
				d.pos++
				stack[depth] = contextOf(f)
				depth++
				state = stFirstKey
				if fieldKind[f] == kindList {
					list = make([]string, 0, 4)
					state = stFirstElem
				}
			case kindBool:
				*(*bool)(at) = d.Bool()
			case kindFloat:
				*(*float64)(at) = d.quickFloat()
			case kindABI:
				in.ABI = int(d.quickInt())
			case kindMetadata:
				in.Key.Metadata = d.StringMap()
			case kindConfig:
				in.Config = d.Raw()
			default:
				d.Skip()
			}
			if state != stAfter || d.err != nil {
				break
			}
			c = d.peek() // go straight on to the separator: one loop iteration less
			fallthrough

		case stAfter:
			cx := stack[depth-1]
			isArray := cx >= cxReqTools
			switch {
			case c == ',':
				d.pos++
				state = stKey
				if isArray {
					state = stElem
				}
			case c == '}' && !isArray, c == ']' && isArray:
				d.pos++
				depth--
				if isArray {
					setList(in, cx, list)
				}
				if depth == 0 {
					return d.End()
				}
			default:
				d.fail("want ',' or the end of the object or array")
			}
		}
	}
}

// quickString reads a string value whose first byte is c (null gives "").
func (d *Decoder) quickString(c byte) string {
	if c != '"' {
		return d.String() // null or an error
	}
	start := d.pos + 1
	end, closed := scanString(d.data, start)
	if !closed {
		return d.str(d.slowString(start, end))
	}
	d.pos = end + 1
	if d.alias {
		return unsafeString(d.data[start:end])
	}
	return string(d.data[start:end])
}

// quickInt reads an integer of up to 16 digits with two SWAR steps; other numbers
// go through Int.
func (d *Decoder) quickInt() int64 {
	p := d.pos
	if p+17 > len(d.data) {
		return d.Int()
	}
	neg := d.data[p] == '-'
	if neg {
		p++
	}
	hi, n := parseDigits(d.data, p)
	if n == 0 || (d.data[p] == '0' && n > 1) {
		return d.Int() // not a number, or a leading zero: let Int report it
	}
	v := hi
	if n == 8 {
		lo, m := parseDigits(d.data, p+8)
		if m == 8 {
			return d.Int()
		}
		v = hi*uint64(pow10[m]) + lo
		n += m
	}
	if q := p + n; q < len(d.data) && (d.data[q] == '.' || d.data[q] == 'e' || d.data[q] == 'E') {
		return d.Int() // a fraction or exponent: Int reports it
	}
	d.pos = p + n
	if neg {
		return -int64(v)
	}
	return int64(v)
}

// quickFloat reads a decimal without exponent exactly when its digits fit in 53
// bits (the mantissa and a power of ten are then exact, and one division rounds
// correctly); anything else goes through Float.
func (d *Decoder) quickFloat() float64 {
	p := d.pos
	if p+34 > len(d.data) {
		return d.Float()
	}
	neg := d.data[p] == '-'
	if neg {
		p++
	}
	ip, n := parseDigits(d.data, p)
	if n == 0 || n == 8 || (d.data[p] == '0' && n > 1) {
		return d.Float()
	}
	p += n
	m, k := ip, 0
	if d.data[p] == '.' {
		fp, fn := parseDigits(d.data, p+1)
		if fn == 0 || fn == 8 {
			return d.Float()
		}
		m, k = ip*uint64(pow10[fn])+fp, fn
		p += 1 + fn
	}
	if c := d.data[p]; c == 'e' || c == 'E' || bits.Len64(m) > 53 {
		return d.Float()
	}
	d.pos = p
	f := float64(m) / pow10[k]
	if neg {
		f = -f
	}
	return f
}
