// Command forbidden is a test guest that imports a host function outside the
// allowed modules; the engine must refuse it.
package main

import (
	"github.com/ccgateway/ccgateway/plugins/sdk"
	"github.com/ccgateway/ccgateway/policies/abi"
)

//go:wasmimport env evil
func evil() int32

func init() {
	sdk.Register(func(in *abi.Input) abi.Output {
		return abi.Output{Allow: evil() == 0}
	})
}

func main() {}
