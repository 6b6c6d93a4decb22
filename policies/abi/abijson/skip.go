package abijson

// maxDepth bounds the nesting Skip accepts, so hostile input cannot exhaust the stack.
const maxDepth = 256

// Skip consumes one value of any type.
func (d *Decoder) Skip() error { return d.skip(0) }

// Raw consumes one value and returns its bytes (without surrounding white space).
// The result aliases the decoder's input.
func (d *Decoder) Raw() ([]byte, error) {
	d.skipSpace()
	start := d.pos
	if err := d.skip(0); err != nil {
		return nil, err
	}
	return d.data[start:d.pos], nil
}

func (d *Decoder) skip(depth int) error {
	if depth > maxDepth {
		return d.errorf("nesting deeper than %d", maxDepth)
	}
	switch c := d.peek(); {
	case c == '{':
		return d.Object(func(d *Decoder, _ string) error { return d.skip(depth + 1) })
	case c == '[':
		return d.Array(func(d *Decoder) error { return d.skip(depth + 1) })
	case c == '"':
		return d.skipString()
	case c == 't' || c == 'f':
		_, err := d.Bool()
		return err
	case c == 'n':
		if d.Null() {
			return nil
		}
		return d.errorf("want null")
	default:
		_, _, err := d.number()
		return err
	}
}

// skipString consumes a string without building it.
func (d *Decoder) skipString() error {
	start := d.pos + 1
	for p := start; p < len(d.data); p++ {
		switch c := d.data[p]; {
		case c == '"':
			d.pos = p + 1
			return nil
		case c == '\\':
			d.pos = start - 1
			_, err := d.String() // validates escapes
			return err
		case c < 0x20:
			d.pos = p
			return d.errorf("control character in string")
		}
	}
	d.pos = len(d.data)
	return d.errorf("unterminated string")
}
