package gateway

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
)

// TestAdmissionTimeoutIsNotATurnTimeout: a tenant grain that does not answer in
// time is a retryable 503, not the 504 of a turn that ran past its deadline.
func TestAdmissionTimeoutIsNotATurnTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
	}{
		{"transport timeout", fmt.Errorf("%w: %w", actors.ErrAdmissionTimeout, context.DeadlineExceeded)},
		{"abandoned", actors.ErrAdmissionTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := api.ToProblem(tt.err)
			if p.Status != http.StatusServiceUnavailable || p.Code != api.CodeAdmissionTimeout || p.GetHeaders().Get("Retry-After") == "" {
				t.Fatalf("got %d %q, Retry-After %q", p.Status, p.Code, p.GetHeaders().Get("Retry-After"))
			}
		})
	}
}
