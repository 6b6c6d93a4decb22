package gateway

import (
	"errors"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
)

// TestCompatGetModel retrieves models with both SDKs: an id, an alias that
// resolves to its model, and an unknown id that is each SDK's own 404.
func TestCompatGetModel(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	sonnet := g.cfg.ResolveModel("sonnet")
	if sonnet == "sonnet" {
		t.Fatal("the default config has no sonnet alias")
	}
	oc, ac := g.openAIClient(key), g.anthropicClient(key)
	for _, tc := range []struct{ name, id string }{{"id", sonnet}, {"alias", "sonnet"}} {
		t.Run("OpenAI "+tc.name, func(t *testing.T) {
			m, err := oc.Models.Get(t.Context(), tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if m.ID != sonnet || m.Object != "model" || m.OwnedBy != "anthropic" {
				t.Errorf("model %+v", m)
			}
		})
		t.Run("Anthropic "+tc.name, func(t *testing.T) {
			m, err := ac.Models.Get(t.Context(), tc.id, anthropic.ModelGetParams{})
			if err != nil {
				t.Fatal(err)
			}
			if m.ID != sonnet || m.Type != "model" || m.DisplayName != sonnet || m.CreatedAt.Unix() != 0 {
				t.Errorf("model %+v", m)
			}
		})
	}
	t.Run("unknown id", func(t *testing.T) {
		_, err := oc.Models.Get(t.Context(), "gpt-4o")
		var oe *openai.Error
		if !errors.As(err, &oe) || oe.StatusCode != 404 || oe.Type != "not_found_error" || oe.Code != api.CodeModelUnknown {
			t.Errorf("OpenAI: %v", err)
		}
		_, err = ac.Models.Get(t.Context(), "gpt-4o", anthropic.ModelGetParams{})
		var ae *anthropic.Error
		if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Type() != "not_found_error" {
			t.Errorf("Anthropic: %v", err)
		}
	})
	t.Run("no key", func(t *testing.T) {
		_, err := g.openAIClient("").Models.Get(t.Context(), sonnet)
		var oe *openai.Error
		if !errors.As(err, &oe) || oe.StatusCode != 401 {
			t.Errorf("OpenAI without a key: %v", err)
		}
	})
}
