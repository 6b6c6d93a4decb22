package policies

import (
	"context"
	"fmt"

	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

// TryFile loads wasm with a throwaway engine, as an upload would be validated, and
// evaluates it once on input (the JSON of an abi.Input; its config is passed to the
// policy as its configuration). It backs `ccgateway policy test FILE.wasm --input
// req.json`.
func TryFile(ctx context.Context, wasm, input []byte) (abi.Output, error) {
	var in abi.Input
	if err := abijson.UnmarshalInput(input, &in); err != nil {
		return abi.Output{}, fmt.Errorf("policies: input: %w", err)
	}
	e, err := NewEngine(ctx, Config{})
	if err != nil {
		return abi.Output{}, err
	}
	defer e.Close(ctx)
	p, err := e.Load(ctx, Spec{Name: "test", Wasm: wasm, Config: in.Config})
	if err != nil {
		return abi.Output{}, err
	}
	defer p.Close()
	return p.Evaluate(ctx, &in)
}
