// Command misbehave is a test policy whose behaviour is chosen by the key's
// metadata user_id: "loop" never returns, "trap" panics, "alloc" allocates far past
// any memory cap; anything else allows.
package main

import (
	"github.com/ccgateway/ccgateway/plugins/sdk"
	"github.com/ccgateway/ccgateway/policies/abi"
)

var sink [][]byte

func init() {
	sdk.Register(func(in *abi.Input) abi.Output {
		switch in.Key.Metadata["user_id"] {
		case "loop":
			for in.Key.Metadata["user_id"] == "loop" {
			}
		case "trap":
			panic("misbehave: trap")
		case "alloc":
			for i := 0; i < 1<<12; i++ {
				b := make([]byte, 1<<20)
				b[len(b)-1] = 1
				sink = append(sink, b)
			}
		}
		return abi.Allowed()
	})
	sdk.Needs(abi.FieldKeyMetadata)
}

func main() {}
