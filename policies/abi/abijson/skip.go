package abijson

// maxDepth bounds the nesting Skip accepts, so hostile input cannot exhaust the stack.
const maxDepth = 256

// Skip consumes one value of any type.
func (d *Decoder) Skip() {
	if d.err != nil {
		return
	}
	if d.depth++; d.depth > maxDepth {
		d.fail("nesting too deep")
		return
	}
	switch c := d.peek(); {
	case c == '{':
		for _, ok := d.FirstKey(); ok; _, ok = d.NextKey() {
			d.Skip()
		}
	case c == '[':
		for ok := d.FirstElem(); ok; ok = d.NextElem() {
			d.Skip()
		}
	case c == '"':
		d.rawString()
	case c == 't' || c == 'f':
		d.Bool()
	case c == 'n':
		if !d.Null() {
			d.fail("want null")
		}
	default:
		d.number()
	}
	d.depth--
}

// Raw consumes one value and returns its bytes (without surrounding white space).
// The result aliases the decoder's input.
func (d *Decoder) Raw() []byte {
	d.peek()
	start := d.pos
	d.Skip()
	if d.err != nil {
		return nil
	}
	return d.data[start:d.pos]
}
