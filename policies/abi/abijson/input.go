package abijson

import (
	"github.com/ccgateway/ccgateway/policies/abi"
)

// UnmarshalInput decodes the JSON of an abi.Input into in. Unknown keys are
// skipped; strings are copies, in.Config aliases data.
func UnmarshalInput(data []byte, in *abi.Input) error {
	return decodeInput(data, in, false)
}

// UnmarshalInputAliased is UnmarshalInput with strings that share memory with data,
// which must never change afterwards (guests decode a private copy of the input).
func UnmarshalInputAliased(data []byte, in *abi.Input) error {
	return decodeInput(data, in, true)
}

// decodeInput tries the canonical decoder, which expects the host's member order,
// and falls back to the general one.
func decodeInput(data []byte, in *abi.Input, alias bool) error {
	d := Decoder{data: data, alias: alias}
	if decodeCanonical(&d, in) {
		return nil
	}
	*in = abi.Input{}
	return decodeInputFast(data, in, alias)
}

// AppendInput appends the JSON of in to dst, following the json tags of abi.Input.
// in.Config is copied verbatim and must be valid JSON.
func AppendInput(dst []byte, in *abi.Input) []byte {
	return AppendInputFields(dst, in, abi.FieldsAll)
}

// AppendInputFields is AppendInput leaving out the members not in fields (and
// objects left without members), which a decoder reads as zero values.
func AppendInputFields(dst []byte, in *abi.Input, fields abi.Fields) []byte {
	has := func(f abi.Fields) bool { return fields&f != 0 }
	dst = append(dst, '{')
	dst = AppendInt(member(dst, "abi"), int64(in.ABI))

	const requestFields = abi.FieldRequestEndpoint | abi.FieldRequestModel | abi.FieldRequestMaxTokens |
		abi.FieldRequestStream | abi.FieldRequestTools | abi.FieldRequestClientIP |
		abi.FieldRequestConversationID | abi.FieldRequestMessageBytes
	if has(requestFields) {
		r := &in.Request
		dst = append(member(dst, "request"), '{')
		if has(abi.FieldRequestEndpoint) {
			dst = AppendString(member(dst, "endpoint"), r.Endpoint)
		}
		if has(abi.FieldRequestModel) {
			dst = AppendString(member(dst, "model"), r.Model)
		}
		if has(abi.FieldRequestMaxTokens) {
			dst = AppendInt(member(dst, "max_tokens"), r.MaxTokens)
		}
		if has(abi.FieldRequestStream) {
			dst = AppendBool(member(dst, "stream"), r.Stream)
		}
		if has(abi.FieldRequestTools) && len(r.Tools) > 0 {
			dst = AppendStrings(member(dst, "tools"), r.Tools)
		}
		if has(abi.FieldRequestClientIP) {
			dst = AppendString(member(dst, "client_ip"), r.ClientIP)
		}
		if has(abi.FieldRequestConversationID) {
			dst = AppendString(member(dst, "conversation_id"), r.ConversationID)
		}
		if has(abi.FieldRequestMessageBytes) {
			dst = AppendInt(member(dst, "message_bytes"), r.MessageBytes)
		}
		dst = append(dst, '}')
	}

	const keyFields = abi.FieldKeyID | abi.FieldKeyStatus | abi.FieldKeyUsageLimit | abi.FieldKeyPermissions |
		abi.FieldKeyMetadata | abi.FieldKeyMaxConcurrentRequests | abi.FieldKeyCostUSDPerDay | abi.FieldKeyTools
	if has(keyFields) {
		k := &in.Key
		dst = append(member(dst, "key"), '{')
		if has(abi.FieldKeyID) {
			dst = AppendString(member(dst, "id"), k.ID)
		}
		if has(abi.FieldKeyStatus) {
			dst = AppendString(member(dst, "status"), k.Status)
		}
		if has(abi.FieldKeyUsageLimit) {
			dst = append(member(dst, "usage_limit"), '{')
			dst = AppendInt(member(dst, "requests_per_minute"), k.UsageLimit.RequestsPerMinute)
			dst = AppendInt(member(dst, "requests_per_day"), k.UsageLimit.RequestsPerDay)
			dst = AppendInt(member(dst, "tokens_per_day"), k.UsageLimit.TokensPerDay)
			dst = append(dst, '}')
		}
		if has(abi.FieldKeyPermissions) {
			dst = append(member(dst, "permissions"), '{')
			if len(k.Permissions.Models) > 0 {
				dst = AppendStrings(member(dst, "models"), k.Permissions.Models)
			}
			dst = AppendInt(member(dst, "max_tokens"), k.Permissions.MaxTokens)
			dst = AppendBool(member(dst, "allow_streaming"), k.Permissions.AllowStreaming)
			dst = append(dst, '}')
		}
		if has(abi.FieldKeyMetadata) && len(k.Metadata) > 0 {
			dst = AppendStringMap(member(dst, "metadata"), k.Metadata)
		}
		if has(abi.FieldKeyMaxConcurrentRequests) {
			dst = AppendInt(member(dst, "max_concurrent_requests"), k.MaxConcurrentRequests)
		}
		if has(abi.FieldKeyCostUSDPerDay) {
			dst = AppendFloat(member(dst, "cost_usd_per_day"), k.CostUSDPerDay)
		}
		if has(abi.FieldKeyTools) && len(k.Tools) > 0 {
			dst = AppendStrings(member(dst, "tools"), k.Tools)
		}
		dst = append(dst, '}')
	}

	if has(abi.FieldCounters) {
		c := &in.Counters
		dst = append(member(dst, "counters"), '{')
		dst = AppendInt(member(dst, "requests_last_minute"), c.RequestsLastMinute)
		dst = AppendInt(member(dst, "requests_today"), c.RequestsToday)
		dst = AppendInt(member(dst, "tokens_today"), c.TokensToday)
		dst = AppendFloat(member(dst, "cost_today"), c.CostToday)
		dst = AppendInt(member(dst, "in_flight"), c.InFlight)
		dst = append(dst, '}')
	}
	if has(abi.FieldNowMS) {
		dst = AppendInt(member(dst, "now_ms"), in.NowMS)
	}
	if has(abi.FieldConfig) && len(in.Config) > 0 {
		dst = append(member(dst, "config"), in.Config...)
	}
	return append(dst, '}')
}
