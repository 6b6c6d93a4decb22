package abijson

import (
	"reflect"
	"strings"

	"github.com/ccgateway/ccgateway/policies/abi"
)

// KeyHash exposes keyHash to the tests.
var KeyHash = keyHash

// KnownKeys lists every json key of the ABI types, from their struct tags.
func KnownKeys() []string {
	var keys []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			keys = append(keys, strings.Split(f.Tag.Get("json"), ",")[0])
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(abi.Input{}))
	walk(reflect.TypeOf(abi.Output{}))
	return keys
}

// DecodeGeneric decodes with the general decoder only, and DecodeCanonical with
// the canonical one only (ok false when it gives up).
func DecodeGeneric(data []byte, in *abi.Input) error { return decodeInputFast(data, in, false) }

func DecodeCanonical(data []byte, in *abi.Input) bool {
	d := Decoder{data: data}
	return decodeCanonical(&d, in)
}
