package abijson_test

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

func sampleInput() abi.Input {
	mt := int64(1)
	_ = mt
	return abi.Input{
		ABI: 1,
		Request: abi.Request{Endpoint: "/v1/messages", Model: "sonnet", MaxTokens: 4096, Stream: true,
			Tools: []string{"Read", "Bash"}, ClientIP: "10.0.0.1", ConversationID: "c-1", MessageBytes: 1234},
		Key: abi.Key{ID: "k1", Status: "active",
			UsageLimit:            abi.UsageLimit{RequestsPerMinute: 10, RequestsPerDay: 1000, TokensPerDay: 100000},
			Permissions:           abi.Permissions{Models: []string{"claude-sonnet-4-5"}, MaxTokens: 8192, AllowStreaming: true},
			Metadata:              map[string]string{"user_id": "u\"1", "project": "π ✓ \u2028", "description": "tab\there"},
			MaxConcurrentRequests: 3, CostUSDPerDay: 12.5, Tools: []string{"Read"}},
		Counters: abi.Counters{RequestsLastMinute: 2, RequestsToday: 20, TokensToday: 500, CostToday: 0.125, InFlight: 1},
		NowMS:    1_700_000_000_000,
		Config:   json.RawMessage(`{"aliases":{"sonnet":"claude-sonnet-4-5"},"mode":"clamp"}`),
	}
}

func TestInputMatchesEncodingJSON(t *testing.T) {
	in := sampleInput()
	std, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var got abi.Input
	if err := abijson.UnmarshalInput(std, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Fatalf("decode mismatch:\n got %+v\nwant %+v", got, in)
	}
	var back abi.Input
	if err := json.Unmarshal(abijson.AppendInput(nil, &in), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, in) {
		t.Fatalf("encode mismatch:\n got %+v\nwant %+v", back, in)
	}
}

func TestOutputRoundTrip(t *testing.T) {
	n, m := int64(100), "claude-haiku"
	tests := []struct {
		name string
		out  abi.Output
	}{
		{"allow", abi.Output{Allow: true}},
		{"deny", abi.Output{Code: "rate_limit_day", Reason: "quota \"used\" <up>", RetryAfterS: 3600}},
		{"rewrite", abi.Output{Allow: true, Rewrite: &abi.Rewrite{MaxTokens: &n, Model: &m}}},
		{"empty rewrite", abi.Output{Allow: true, Rewrite: &abi.Rewrite{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var std, ours abi.Output
			if err := json.Unmarshal(abijson.AppendOutput(nil, &tt.out), &std); err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(tt.out)
			if err := abijson.UnmarshalOutput(raw, &ours); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(std, tt.out) || !reflect.DeepEqual(ours, tt.out) {
				t.Fatalf("got %+v and %+v, want %+v", std, ours, tt.out)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	bad := []string{``, `{`, `{"abi":1.5}`, `{"abi":"1"}`, `{"request":{"model":"x}}`, `{"now_ms":01}`,
		`{"key":{"tools":[1]}}`, `{} x`, `{"a":tru}`, `{"config":{"a":[1,}}`, `{"request":{"model":"\x"}}`,
		`{"abi":99999999999999999999}`, `{"request":{"model":"a` + "\x01" + `"}}`, strings.Repeat("[", 1000)}
	for _, s := range bad {
		var in abi.Input
		if err := abijson.UnmarshalInput([]byte(s), &in); err == nil {
			t.Errorf("UnmarshalInput(%q) succeeded", s)
		}
		if json.Valid([]byte(s)) && !strings.Contains(s, "abi") && !strings.Contains(s, "tools") {
			t.Errorf("%q is valid JSON; the test case is wrong", s)
		}
	}
}

func TestStringEscapes(t *testing.T) {
	for _, s := range []string{`"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\u00e9\n\/"`, "\"\xff\xfe\"", `"\uDC00\uD800"`} {
		var want string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatal(err)
		}
		d := abijson.NewDecoder([]byte(s))
		got := d.String()
		if err := d.Err(); err != nil || got != want {
			t.Errorf("String(%s) = %q, %v; want %q", s, got, err, want)
		}
	}
}

// FuzzInputRoundTrip checks both directions against encoding/json.
func FuzzInputRoundTrip(f *testing.F) {
	f.Add("/v1/messages", "sonnet", int64(4096), true, "Read", "k1", "u1", 12.5, int64(3), 0.25, `{"a":1}`)
	f.Add("", "\xff\"\\\u2028<", int64(-1), false, "", "", "", 1e300, int64(math.MaxInt64), -0.0, ``)
	f.Fuzz(func(t *testing.T, endpoint, model string, maxTokens int64, stream bool, tool, keyID, meta string,
		cost float64, inFlight int64, costToday float64, config string) {
		if math.IsNaN(cost) || math.IsInf(cost, 0) || math.IsNaN(costToday) || math.IsInf(costToday, 0) {
			t.Skip()
		}
		in := abi.Input{ABI: 1, NowMS: maxTokens ^ 0x5555,
			Request:  abi.Request{Endpoint: endpoint, Model: model, MaxTokens: maxTokens, Stream: stream, Tools: []string{tool, model}},
			Key:      abi.Key{ID: keyID, Status: meta, Metadata: map[string]string{meta: tool, "x": keyID}, CostUSDPerDay: cost, Tools: []string{endpoint}},
			Counters: abi.Counters{InFlight: inFlight, CostToday: costToday, TokensToday: -inFlight},
		}
		if json.Valid([]byte(config)) {
			var buf bytes.Buffer
			_ = json.Compact(&buf, []byte(config))
			in.Config = buf.Bytes()
		}
		std, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var want abi.Input
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		var got, canonical abi.Input
		if err := abijson.UnmarshalInput(std, &got); err != nil {
			t.Fatalf("UnmarshalInput(%s): %v", std, err)
		}
		if !abijson.DecodeCanonical(abijson.AppendInput(nil, &in), &canonical) {
			t.Fatalf("the canonical decoder gave up on %s", abijson.AppendInput(nil, &in))
		}
		if !sameInput(got, want) {
			t.Fatalf("decode mismatch:\n got %+v\nwant %+v", got, want)
		}
		var back abi.Input
		ours := abijson.AppendInput(nil, &in)
		if err := json.Unmarshal(ours, &back); err != nil {
			t.Fatalf("encoding/json rejects %s: %v", ours, err)
		}
		if !sameInput(back, want) {
			t.Fatalf("encode mismatch:\n got %+v\nwant %+v", back, want)
		}
	})
}

// FuzzDecodeArbitrary checks that arbitrary bytes never panic and that whatever
// both decoders accept decodes alike.
func FuzzDecodeArbitrary(f *testing.F) {
	in := sampleInput()
	std, _ := json.Marshal(in)
	f.Add(std)
	f.Add([]byte(`{"abi":1,"request":null,"key":{"metadata":{"a":"\u00e9"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got, aliased, generic, canonical abi.Input
		err := abijson.UnmarshalInput(data, &got)
		if abijson.DecodeCanonical(data, &canonical) {
			if err := abijson.DecodeGeneric(data, &generic); err != nil || !sameInput(canonical, generic) {
				t.Fatalf("canonical decode of %q differs from the general one (%v)", data, err)
			}
		}
		if err2 := abijson.UnmarshalInputAliased(append([]byte(nil), data...), &aliased); (err == nil) != (err2 == nil) || !sameInput(got, aliased) {
			t.Fatalf("aliasing decode differs: %v vs %v", err, err2)
		}
		if err != nil || bytes.ContainsAny(data, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || bytes.Contains(data, []byte("null")) {
			return // encoding/json matches keys case-insensitively and keeps values on null
		}
		var want abi.Input
		if json.Unmarshal(data, &want) != nil {
			t.Fatalf("abijson accepted %q, encoding/json did not", data)
		}
		if !sameInput(got, want) {
			t.Fatalf("mismatch for %q:\n got %+v\nwant %+v", data, got, want)
		}
	})
}

// sameInput compares inputs, Config by meaning: encoding/json HTML-escapes raw
// messages and keeps their white space.
func sameInput(a, b abi.Input) bool {
	var ca, cb any
	if (a.Config == nil) != (b.Config == nil) {
		return false
	}
	if a.Config != nil && (json.Unmarshal(a.Config, &ca) != nil || json.Unmarshal(b.Config, &cb) != nil) {
		return false
	}
	a.Config, b.Config = nil, nil
	return reflect.DeepEqual(ca, cb) && reflect.DeepEqual(a, b)
}

func TestKeyHashesAreDistinct(t *testing.T) {
	seen := map[uint64]string{}
	for _, k := range abijson.KnownKeys() {
		h := abijson.KeyHash(k)
		if other, dup := seen[h]; dup && other != k {
			t.Fatalf("keys %q and %q share hash %#x", k, other, h)
		}
		seen[h] = k
	}
}

func TestNumbersMatchEncodingJSON(t *testing.T) {
	ints := []string{"0", "-0", "7", "-7", "12345678", "123456789", "1234567890123456", "12345678901234567",
		"-9223372036854775808", "9223372036854775807", "1699963230000"}
	floats := []string{"0", "0.1", "1.5", "-2.25", "12.345678", "1234567.1234567", "12345678.5", "0.30000000000000004",
		"1e3", "1E-7", "123456789012345678901234567890", "5e-324", "3.14159"}
	for _, n := range ints {
		for _, f := range floats {
			for _, pad := range []string{"", `,"key":{"id":"` + strings.Repeat("x", 40) + `"}`} {
				data := []byte(`{"now_ms":` + n + `,"counters":{"cost_today":` + f + `,"in_flight":` + n + `}` + pad + `}`)
				var want, got abi.Input
				errWant := json.Unmarshal(data, &want)
				errGot := abijson.UnmarshalInput(data, &got)
				if (errWant == nil) != (errGot == nil) || !reflect.DeepEqual(want, got) {
					t.Fatalf("%s: got %+v (%v), want %+v (%v)", data, got, errGot, want, errWant)
				}
			}
		}
	}
}

func TestCanonicalDecodesEveryMask(t *testing.T) {
	in := sampleInput()
	for mask := abi.Fields(0); mask <= abi.FieldsAll; mask = mask*3 + 1 {
		data := abijson.AppendInputFields(nil, &in, mask)
		var canonical, generic abi.Input
		if !abijson.DecodeCanonical(data, &canonical) {
			t.Fatalf("mask %#x: the canonical decoder gave up on %s", mask, data)
		}
		if err := abijson.DecodeGeneric(data, &generic); err != nil || !sameInput(canonical, generic) {
			t.Fatalf("mask %#x: canonical %+v, general %+v (%v)", mask, canonical, generic, err)
		}
	}
}
