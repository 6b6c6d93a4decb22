package abijson

import (
	"github.com/ccgateway/ccgateway/policies/abi"
)

// UnmarshalInput decodes the JSON of an abi.Input into in. Unknown keys are skipped;
// in.Config aliases data.
func UnmarshalInput(data []byte, in *abi.Input) error {
	d := NewDecoder(data)
	err := d.Object(func(d *Decoder, key string) (err error) {
		switch key {
		case "abi":
			var n int64
			n, err = d.Int()
			in.ABI = int(n)
		case "request":
			err = decodeRequest(d, &in.Request)
		case "key":
			err = decodeKey(d, &in.Key)
		case "counters":
			err = decodeCounters(d, &in.Counters)
		case "now_ms":
			in.NowMS, err = d.Int()
		case "config":
			in.Config, err = d.Raw()
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

func decodeRequest(d *Decoder, r *abi.Request) error {
	return d.Object(func(d *Decoder, key string) (err error) {
		switch key {
		case "endpoint":
			r.Endpoint, err = d.String()
		case "model":
			r.Model, err = d.String()
		case "max_tokens":
			r.MaxTokens, err = d.Int()
		case "stream":
			r.Stream, err = d.Bool()
		case "tools":
			r.Tools, err = d.Strings()
		case "client_ip":
			r.ClientIP, err = d.String()
		case "conversation_id":
			r.ConversationID, err = d.String()
		case "message_bytes":
			r.MessageBytes, err = d.Int()
		default:
			err = d.Skip()
		}
		return err
	})
}

func decodeKey(d *Decoder, k *abi.Key) error {
	return d.Object(func(d *Decoder, key string) (err error) {
		switch key {
		case "id":
			k.ID, err = d.String()
		case "status":
			k.Status, err = d.String()
		case "usage_limit":
			err = d.Object(func(d *Decoder, key string) (err error) {
				switch key {
				case "requests_per_minute":
					k.UsageLimit.RequestsPerMinute, err = d.Int()
				case "requests_per_day":
					k.UsageLimit.RequestsPerDay, err = d.Int()
				case "tokens_per_day":
					k.UsageLimit.TokensPerDay, err = d.Int()
				default:
					err = d.Skip()
				}
				return err
			})
		case "permissions":
			err = d.Object(func(d *Decoder, key string) (err error) {
				switch key {
				case "models":
					k.Permissions.Models, err = d.Strings()
				case "max_tokens":
					k.Permissions.MaxTokens, err = d.Int()
				case "allow_streaming":
					k.Permissions.AllowStreaming, err = d.Bool()
				default:
					err = d.Skip()
				}
				return err
			})
		case "metadata":
			k.Metadata, err = d.StringMap()
		case "max_concurrent_requests":
			k.MaxConcurrentRequests, err = d.Int()
		case "cost_usd_per_day":
			k.CostUSDPerDay, err = d.Float()
		case "tools":
			k.Tools, err = d.Strings()
		default:
			err = d.Skip()
		}
		return err
	})
}

func decodeCounters(d *Decoder, c *abi.Counters) error {
	return d.Object(func(d *Decoder, key string) (err error) {
		switch key {
		case "requests_last_minute":
			c.RequestsLastMinute, err = d.Int()
		case "requests_today":
			c.RequestsToday, err = d.Int()
		case "tokens_today":
			c.TokensToday, err = d.Int()
		case "cost_today":
			c.CostToday, err = d.Float()
		case "in_flight":
			c.InFlight, err = d.Int()
		default:
			err = d.Skip()
		}
		return err
	})
}

// AppendInput appends the JSON of in to dst, following the json tags of abi.Input.
// in.Config is copied verbatim and must be valid JSON.
func AppendInput(dst []byte, in *abi.Input) []byte {
	dst = append(dst, '{')
	dst = AppendInt(field(dst, "abi"), int64(in.ABI))

	r := &in.Request
	dst = append(field(dst, "request"), '{')
	dst = AppendString(field(dst, "endpoint"), r.Endpoint)
	dst = AppendString(field(dst, "model"), r.Model)
	dst = AppendInt(field(dst, "max_tokens"), r.MaxTokens)
	dst = AppendBool(field(dst, "stream"), r.Stream)
	if len(r.Tools) > 0 {
		dst = AppendStrings(field(dst, "tools"), r.Tools)
	}
	dst = AppendString(field(dst, "client_ip"), r.ClientIP)
	dst = AppendString(field(dst, "conversation_id"), r.ConversationID)
	dst = AppendInt(field(dst, "message_bytes"), r.MessageBytes)
	dst = append(dst, '}')

	k := &in.Key
	dst = append(field(dst, "key"), '{')
	dst = AppendString(field(dst, "id"), k.ID)
	dst = AppendString(field(dst, "status"), k.Status)
	dst = append(field(dst, "usage_limit"), '{')
	dst = AppendInt(field(dst, "requests_per_minute"), k.UsageLimit.RequestsPerMinute)
	dst = AppendInt(field(dst, "requests_per_day"), k.UsageLimit.RequestsPerDay)
	dst = AppendInt(field(dst, "tokens_per_day"), k.UsageLimit.TokensPerDay)
	dst = append(dst, '}')
	dst = append(field(dst, "permissions"), '{')
	if len(k.Permissions.Models) > 0 {
		dst = AppendStrings(field(dst, "models"), k.Permissions.Models)
	}
	dst = AppendInt(field(dst, "max_tokens"), k.Permissions.MaxTokens)
	dst = AppendBool(field(dst, "allow_streaming"), k.Permissions.AllowStreaming)
	dst = append(dst, '}')
	if len(k.Metadata) > 0 {
		dst = AppendStringMap(field(dst, "metadata"), k.Metadata)
	}
	dst = AppendInt(field(dst, "max_concurrent_requests"), k.MaxConcurrentRequests)
	dst = AppendFloat(field(dst, "cost_usd_per_day"), k.CostUSDPerDay)
	if len(k.Tools) > 0 {
		dst = AppendStrings(field(dst, "tools"), k.Tools)
	}
	dst = append(dst, '}')

	c := &in.Counters
	dst = append(field(dst, "counters"), '{')
	dst = AppendInt(field(dst, "requests_last_minute"), c.RequestsLastMinute)
	dst = AppendInt(field(dst, "requests_today"), c.RequestsToday)
	dst = AppendInt(field(dst, "tokens_today"), c.TokensToday)
	dst = AppendFloat(field(dst, "cost_today"), c.CostToday)
	dst = AppendInt(field(dst, "in_flight"), c.InFlight)
	dst = append(dst, '}')

	dst = AppendInt(field(dst, "now_ms"), in.NowMS)
	if len(in.Config) > 0 {
		dst = append(field(dst, "config"), in.Config...)
	}
	return append(dst, '}')
}
