package abijson

import "github.com/ccgateway/ccgateway/policies/abi"

// UnmarshalOutput decodes the JSON of an abi.Output into out.
func UnmarshalOutput(data []byte, out *abi.Output) error {
	d := NewDecoder(data)
	for k, ok := d.firstKeyHash(); ok; k, ok = d.nextKeyHash() {
		switch k {
		case keyAllow:
			out.Allow = d.Bool()
		case keyCode:
			out.Code = d.String()
		case keyReason:
			out.Reason = d.String()
		case keyRetryAfterS:
			out.RetryAfterS = d.Int()
		case keyRewrite:
			out.Rewrite = decodeRewrite(d)
		default:
			d.Skip()
		}
	}
	return d.End()
}

func decodeRewrite(d *Decoder) *abi.Rewrite {
	if d.Null() {
		return nil
	}
	rw := &abi.Rewrite{}
	for k, ok := d.firstKeyHash(); ok; k, ok = d.nextKeyHash() {
		switch k {
		case keyMaxTokens:
			rw.MaxTokens = nil
			if !d.Null() {
				n := d.Int()
				rw.MaxTokens = &n
			}
		case keyModel:
			rw.Model = nil
			if !d.Null() {
				s := d.String()
				rw.Model = &s
			}
		default:
			d.Skip()
		}
	}
	return rw
}

// AppendOutput appends the JSON of out to dst, following the json tags of abi.Output.
func AppendOutput(dst []byte, out *abi.Output) []byte {
	dst = append(dst, '{')
	dst = AppendBool(member(dst, "allow"), out.Allow)
	if out.Code != "" {
		dst = AppendString(member(dst, "code"), out.Code)
	}
	if out.Reason != "" {
		dst = AppendString(member(dst, "reason"), out.Reason)
	}
	if out.RetryAfterS != 0 {
		dst = AppendInt(member(dst, "retry_after_s"), out.RetryAfterS)
	}
	if rw := out.Rewrite; rw != nil {
		dst = append(member(dst, "rewrite"), '{')
		if rw.MaxTokens != nil {
			dst = AppendInt(member(dst, "max_tokens"), *rw.MaxTokens)
		}
		if rw.Model != nil {
			dst = AppendString(member(dst, "model"), *rw.Model)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}
