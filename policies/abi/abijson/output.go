package abijson

import "github.com/ccgateway/ccgateway/policies/abi"

// UnmarshalOutput decodes the JSON of an abi.Output into out.
func UnmarshalOutput(data []byte, out *abi.Output) error {
	d := NewDecoder(data)
	err := d.Object(func(d *Decoder, key string) (err error) {
		switch key {
		case "allow":
			out.Allow, err = d.Bool()
		case "code":
			out.Code, err = d.String()
		case "reason":
			out.Reason, err = d.String()
		case "retry_after_s":
			out.RetryAfterS, err = d.Int()
		case "rewrite":
			if d.Null() {
				out.Rewrite = nil
				return nil
			}
			rw := &abi.Rewrite{}
			out.Rewrite = rw
			err = d.Object(func(d *Decoder, key string) (err error) {
				switch key {
				case "max_tokens":
					if d.Null() {
						rw.MaxTokens = nil
						return nil
					}
					n, err := d.Int()
					rw.MaxTokens = &n
					return err
				case "model":
					if d.Null() {
						rw.Model = nil
						return nil
					}
					s, err := d.String()
					rw.Model = &s
					return err
				default:
					return d.Skip()
				}
			})
		default:
			err = d.Skip()
		}
		return err
	})
	if err != nil {
		return err
	}
	return d.End()
}

// AppendOutput appends the JSON of out to dst, following the json tags of abi.Output.
func AppendOutput(dst []byte, out *abi.Output) []byte {
	dst = append(dst, '{')
	dst = AppendBool(field(dst, "allow"), out.Allow)
	if out.Code != "" {
		dst = AppendString(field(dst, "code"), out.Code)
	}
	if out.Reason != "" {
		dst = AppendString(field(dst, "reason"), out.Reason)
	}
	if out.RetryAfterS != 0 {
		dst = AppendInt(field(dst, "retry_after_s"), out.RetryAfterS)
	}
	if rw := out.Rewrite; rw != nil {
		dst = append(field(dst, "rewrite"), '{')
		if rw.MaxTokens != nil {
			dst = AppendInt(field(dst, "max_tokens"), *rw.MaxTokens)
		}
		if rw.Model != nil {
			dst = AppendString(field(dst, "model"), *rw.Model)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}
