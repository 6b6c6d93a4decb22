package abijson_test

import (
	"encoding/json"
	"testing"

	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

func BenchmarkUnmarshalInput(b *testing.B) {
	in := sampleInput()
	data, _ := json.Marshal(in)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		var got abi.Input
		if err := abijson.UnmarshalInput(data, &got); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendOutput(b *testing.B) {
	n := int64(5)
	out := abi.Output{Allow: true, Reason: "fine", Rewrite: &abi.Rewrite{MaxTokens: &n}}
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for i := 0; i < b.N; i++ {
		buf = abijson.AppendOutput(buf[:0], &out)
	}
}
