package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/policies/abi"
)

func TestPolicyTestPrintsTheDecision(t *testing.T) {
	wasm := filepath.Join("..", "..", "policies", "bundled", "timewindow.wasm")
	cases := []struct {
		name  string
		input string
		want  abi.Output
	}{
		{"inside the window", `{"now_ms":1699963230000,"config":{"allowed_hours_utc":"9-17"}}`, abi.Output{Allow: true}},
		{"outside", `{"now_ms":1699920000000,"config":{"allowed_hours_utc":"9-17"}}`,
			abi.Output{Code: abi.CodeOutsideTimeWindow, RetryAfterS: 32400}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := filepath.Join(t.TempDir(), "req.json")
			if err := os.WriteFile(in, []byte(tc.input), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			if err := run(context.Background(), []string{"policy", "test", wasm, "--input", in}, nil, nil, &out, &errOut); err != nil {
				t.Fatalf("%v\n%s", err, errOut.String())
			}
			var got abi.Output
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output %q: %v", out.String(), err)
			}
			got.Reason = ""
			if got.Allow != tc.want.Allow || got.Code != tc.want.Code || got.RetryAfterS != tc.want.RetryAfterS {
				t.Fatalf("decision %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("a module that fails validation", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.wasm")
		if err := os.WriteFile(bad, []byte("\x00asm\x01\x00\x00\x00"), 0o600); err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(t.TempDir(), "req.json")
		if err := os.WriteFile(in, []byte(`{}`), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"policy", "test", bad, "--input", in}, nil, nil, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "missing export") {
			t.Fatalf("error %v, want a missing export (printed %s)", err, out.String())
		}
	})
}
