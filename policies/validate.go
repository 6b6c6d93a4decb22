package policies

import (
	"slices"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/ccgateway/ccgateway/policies/abi"
)

// exportSigs are the function exports ABI v1 requires, with their signatures.
var exportSigs = []struct {
	name            string
	params, results []api.ValueType
}{
	{abi.ExportBuffer, []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}},
	{abi.ExportEvaluate, []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI64}},
	{abi.ExportABIVersion, nil, []api.ValueType{api.ValueTypeI32}},
}

// validate checks a compiled module's imports and exports against ABI v1.
func validate(cm wazero.CompiledModule) error {
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		switch {
		case mod == abi.WASIModule:
		case mod == abi.ImportModule && (name == abi.ImportLog || name == abi.ImportNowMS):
		default:
			return &ErrForbiddenImport{Module: mod, Name: name}
		}
	}
	for _, m := range cm.ImportedMemories() {
		mod, name, _ := m.Import()
		return &ErrForbiddenImport{Module: mod, Name: name}
	}
	if _, ok := cm.ExportedMemories()[abi.ExportMemory]; !ok {
		return &ErrMissingExport{Name: abi.ExportMemory}
	}
	funcs := cm.ExportedFunctions()
	for _, want := range exportSigs {
		f, ok := funcs[want.name]
		if !ok {
			return &ErrMissingExport{Name: want.name}
		}
		if !slices.Equal(f.ParamTypes(), want.params) || !slices.Equal(f.ResultTypes(), want.results) {
			return &ErrMissingExport{Name: want.name, Reason: "wrong signature " + sig(f.ParamTypes(), f.ResultTypes()) +
				", want " + sig(want.params, want.results)}
		}
	}
	if f, ok := funcs[abi.ExportFields]; ok && (len(f.ParamTypes()) != 0 || !slices.Equal(f.ResultTypes(), []api.ValueType{api.ValueTypeI64})) {
		return &ErrMissingExport{Name: abi.ExportFields, Reason: "wrong signature " + sig(f.ParamTypes(), f.ResultTypes()) + ", want () -> (i64)"}
	}
	if _, ok := funcs["_initialize"]; !ok {
		return &ErrMissingExport{Name: "_initialize", Reason: "not a reactor; build with -buildmode=c-shared"}
	}
	return nil
}

func sig(params, results []api.ValueType) string {
	s := "("
	for i, p := range params {
		if i > 0 {
			s += ", "
		}
		s += api.ValueTypeName(p)
	}
	s += ") -> ("
	for i, r := range results {
		if i > 0 {
			s += ", "
		}
		s += api.ValueTypeName(r)
	}
	return s + ")"
}
