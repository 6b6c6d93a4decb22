package abijson

import (
	"encoding/binary"
	"unsafe"

	"github.com/ccgateway/ccgateway/policies/abi"
)

// The host writes members in one order (AppendInputFields), leaving some out. The
// canonical decoder predicts that order: it matches each key against the next
// expected literal with four masked word comparisons — no hashing, lookup or state
// dispatch — which roughly halves the branches, and so the cancellation checks, per
// member. Anything unexpected (another order, unknown keys, escapes, nulls) makes it
// give up, and decodeInputFast decodes the input from scratch.

// canonEntry is one member in host order.
type canonEntry struct {
	lit     [4]uint64 // `"name":`, little endian, zero padded
	mask    [4]uint64
	n       int // length of the literal
	field   field
	sibling int // index of the next member of the same object
}

var canon []canonEntry

func init() {
	type spec struct {
		name     string
		f        field
		children []spec
	}
	tree := []spec{
		{"abi", fABI, nil},
		{"request", fRequest, []spec{
			{"endpoint", fEndpoint, nil}, {"model", fModel, nil}, {"max_tokens", fReqMaxTokens, nil},
			{"stream", fStream, nil}, {"tools", fReqTools, nil}, {"client_ip", fClientIP, nil},
			{"conversation_id", fConversationID, nil}, {"message_bytes", fMessageBytes, nil},
		}},
		{"key", fKey, []spec{
			{"id", fID, nil}, {"status", fStatus, nil},
			{"usage_limit", fUsage, []spec{{"requests_per_minute", fRPM, nil}, {"requests_per_day", fRPD, nil}, {"tokens_per_day", fTPD, nil}}},
			{"permissions", fPerms, []spec{{"models", fModels, nil}, {"max_tokens", fPermMaxTokens, nil}, {"allow_streaming", fAllowStreaming, nil}}},
			{"metadata", fMetadata, nil}, {"max_concurrent_requests", fMaxConcurrent, nil},
			{"cost_usd_per_day", fCostPerDay, nil}, {"tools", fKeyTools, nil},
		}},
		{"counters", fCounters, []spec{
			{"requests_last_minute", fRequestsLastMinute, nil}, {"requests_today", fRequestsToday, nil},
			{"tokens_today", fTokensToday, nil}, {"cost_today", fCostToday, nil}, {"in_flight", fInFlight, nil},
		}},
		{"now_ms", fNowMS, nil},
		{"config", fConfig, nil},
	}
	var add func(specs []spec)
	add = func(specs []spec) {
		for _, s := range specs {
			var buf [32]byte
			lit := `"` + s.name + `":`
			copy(buf[:], lit)
			e := canonEntry{field: s.f, n: len(lit)}
			for w := 0; w < 4; w++ {
				e.lit[w] = binary.LittleEndian.Uint64(buf[w*8:])
				if n := len(lit) - w*8; n >= 8 {
					e.mask[w] = ^uint64(0)
				} else if n > 0 {
					e.mask[w] = 1<<(8*uint(n)) - 1
				}
			}
			i := len(canon)
			canon = append(canon, e)
			add(s.children)
			canon[i].sibling = len(canon)
		}
	}
	add(tree)
}

// decodeCanonical decodes in host order; false means "use decodeInputFast".
func decodeCanonical(d *Decoder, in *abi.Input) bool {
	data := d.data
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	var (
		parents [4]int // canon index of each open object
		end     [4]int // first index past each open object's members
		depth   = 0
		i       = 0
		first   = true
	)
	end[0] = len(canon)
	d.pos = 1
	for {
		if d.pos >= len(data) {
			return false
		}
		c := data[d.pos]
		if c == '}' {
			d.pos++
			if depth == 0 {
				return d.End() == nil
			}
			depth--
			i, first = canon[parents[depth]].sibling, false
			continue
		}
		if !first {
			if c != ',' {
				return false
			}
			d.pos++
		}
		first = false
		words := data[d.pos:]
		if len(words) < 32 { // near the end: pad with zeros, which no literal contains
			var buf [32]byte
			copy(buf[:], words)
			words = buf[:]
		}
		w0 := binary.LittleEndian.Uint64(words)
		w1 := binary.LittleEndian.Uint64(words[8:])
		w2 := binary.LittleEndian.Uint64(words[16:])
		w3 := binary.LittleEndian.Uint64(words[24:])
		for ; i < end[depth]; i = canon[i].sibling {
			e := &canon[i]
			if (w0^e.lit[0])&e.mask[0]|(w1^e.lit[1])&e.mask[1]|(w2^e.lit[2])&e.mask[2]|(w3^e.lit[3])&e.mask[3] == 0 {
				break
			}
		}
		if i >= end[depth] {
			return false
		}
		e := &canon[i]
		if d.pos += e.n; d.pos >= len(data) {
			return false
		}
		at := unsafe.Add(unsafe.Pointer(in), fieldOffset[e.field])
		switch fieldKind[e.field] {
		case kindInt:
			*(*int64)(at) = d.quickInt()
		case kindString:
			if data[d.pos] != '"' {
				return false
			}
			*(*string)(at) = d.quickString('"')
		case kindObject:
			if data[d.pos] != '{' || depth == len(parents)-1 {
				return false
			}
			d.pos++
			parents[depth] = i
			depth++
			end[depth] = e.sibling
			i, first = i+1, true
			continue
		case kindList:
			if data[d.pos] != '[' {
				return false
			}
			d.pos++
			list := make([]string, 0, 4)
			for d.pos < len(data) && data[d.pos] != ']' {
				if len(list) > 0 {
					if data[d.pos] != ',' || d.pos+1 >= len(data) {
						return false
					}
					d.pos++
				}
				if data[d.pos] != '"' {
					return false
				}
				list = append(list, d.quickString('"'))
				if d.err != nil || d.pos >= len(data) {
					return false
				}
			}
			if d.pos >= len(data) {
				return false
			}
			d.pos++
			*(*[]string)(at) = list
		case kindBool:
			*(*bool)(at) = d.Bool()
		case kindFloat:
			*(*float64)(at) = d.quickFloat()
		case kindABI:
			in.ABI = int(d.quickInt())
		case kindMetadata:
			if data[d.pos] != '{' {
				return false
			}
			in.Key.Metadata = d.StringMap()
		case kindConfig:
			in.Config = d.Raw()
		default:
			return false
		}
		if d.err != nil {
			return false
		}
		i = e.sibling
	}
}
