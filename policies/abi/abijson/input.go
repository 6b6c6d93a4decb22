package abijson

import (
	"github.com/ccgateway/ccgateway/policies/abi"
)

// UnmarshalInput decodes the JSON of an abi.Input into in. Unknown keys are
// skipped; strings are copies, in.Config aliases data.
func UnmarshalInput(data []byte, in *abi.Input) error {
	return decodeInputFast(data, in, false)
}

// UnmarshalInputAliased is UnmarshalInput with strings that share memory with data,
// which must never change afterwards (guests decode a private copy of the input).
func UnmarshalInputAliased(data []byte, in *abi.Input) error {
	return decodeInputFast(data, in, true)
}

// AppendInput appends the JSON of in to dst, following the json tags of abi.Input.
// in.Config is copied verbatim and must be valid JSON.
func AppendInput(dst []byte, in *abi.Input) []byte {
	dst = append(dst, '{')
	dst = AppendInt(member(dst, "abi"), int64(in.ABI))

	r := &in.Request
	dst = append(member(dst, "request"), '{')
	dst = AppendString(member(dst, "endpoint"), r.Endpoint)
	dst = AppendString(member(dst, "model"), r.Model)
	dst = AppendInt(member(dst, "max_tokens"), r.MaxTokens)
	dst = AppendBool(member(dst, "stream"), r.Stream)
	if len(r.Tools) > 0 {
		dst = AppendStrings(member(dst, "tools"), r.Tools)
	}
	dst = AppendString(member(dst, "client_ip"), r.ClientIP)
	dst = AppendString(member(dst, "conversation_id"), r.ConversationID)
	dst = AppendInt(member(dst, "message_bytes"), r.MessageBytes)
	dst = append(dst, '}')

	k := &in.Key
	dst = append(member(dst, "key"), '{')
	dst = AppendString(member(dst, "id"), k.ID)
	dst = AppendString(member(dst, "status"), k.Status)
	dst = append(member(dst, "usage_limit"), '{')
	dst = AppendInt(member(dst, "requests_per_minute"), k.UsageLimit.RequestsPerMinute)
	dst = AppendInt(member(dst, "requests_per_day"), k.UsageLimit.RequestsPerDay)
	dst = AppendInt(member(dst, "tokens_per_day"), k.UsageLimit.TokensPerDay)
	dst = append(dst, '}')
	dst = append(member(dst, "permissions"), '{')
	if len(k.Permissions.Models) > 0 {
		dst = AppendStrings(member(dst, "models"), k.Permissions.Models)
	}
	dst = AppendInt(member(dst, "max_tokens"), k.Permissions.MaxTokens)
	dst = AppendBool(member(dst, "allow_streaming"), k.Permissions.AllowStreaming)
	dst = append(dst, '}')
	if len(k.Metadata) > 0 {
		dst = AppendStringMap(member(dst, "metadata"), k.Metadata)
	}
	dst = AppendInt(member(dst, "max_concurrent_requests"), k.MaxConcurrentRequests)
	dst = AppendFloat(member(dst, "cost_usd_per_day"), k.CostUSDPerDay)
	if len(k.Tools) > 0 {
		dst = AppendStrings(member(dst, "tools"), k.Tools)
	}
	dst = append(dst, '}')

	c := &in.Counters
	dst = append(member(dst, "counters"), '{')
	dst = AppendInt(member(dst, "requests_last_minute"), c.RequestsLastMinute)
	dst = AppendInt(member(dst, "requests_today"), c.RequestsToday)
	dst = AppendInt(member(dst, "tokens_today"), c.TokensToday)
	dst = AppendFloat(member(dst, "cost_today"), c.CostToday)
	dst = AppendInt(member(dst, "in_flight"), c.InFlight)
	dst = append(dst, '}')

	dst = AppendInt(member(dst, "now_ms"), in.NowMS)
	if len(in.Config) > 0 {
		dst = append(member(dst, "config"), in.Config...)
	}
	return append(dst, '}')
}
