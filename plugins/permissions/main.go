// Command permissions is the bundled permission policy. It checks the requested
// model against the key's allowlist (resolving aliases from the configuration), the
// max_tokens cap (refused or clamped; a request without max_tokens gets the cap),
// streaming, and the requested CLI tools.
//
// Configuration:
//
//	{"aliases": {"sonnet": "claude-sonnet-4-5"}, "max_tokens_mode": "refuse" | "clamp"}
package main

import (
	"strconv"

	"github.com/ccgateway/ccgateway/plugins/sdk"
	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

func init() {
	sdk.Register(decide)
	sdk.Needs(abi.FieldRequestModel | abi.FieldRequestMaxTokens | abi.FieldRequestStream | abi.FieldRequestTools |
		abi.FieldKeyPermissions | abi.FieldKeyTools | abi.FieldConfig)
}

func main() {}

// config is the policy's parsed configuration.
type config struct {
	aliases map[string]string
	clamp   bool
}

var configs = sdk.NewCached(parseConfig)

func parseConfig(raw []byte) (config, error) {
	var c config
	if len(raw) == 0 {
		return c, nil
	}
	d := abijson.NewDecoder(raw)
	mode := ""
	for k, ok := d.FirstKey(); ok; k, ok = d.NextKey() {
		switch string(k) {
		case "aliases":
			c.aliases = d.StringMap()
		case "max_tokens_mode":
			mode = d.String()
		default:
			d.Skip()
		}
	}
	if err := d.End(); err != nil {
		return c, err
	}
	switch mode {
	case "", "refuse":
	case "clamp":
		c.clamp = true
	default:
		return c, &modeError{mode}
	}
	return c, nil
}

type modeError struct{ mode string }

func (e *modeError) Error() string {
	return "permissions: max_tokens_mode must be refuse or clamp, not " + strconv.Quote(e.mode)
}

func decide(in *abi.Input) abi.Output {
	cfg, err := configs.Get(in.Config)
	if err != nil {
		panic("permissions: bad config: " + err.Error()) // a trap: the failure mode applies
	}
	r, p := &in.Request, &in.Key.Permissions
	if len(p.Models) > 0 && !modelAllowed(r.Model, p.Models, cfg.aliases) {
		return abi.Denied(abi.CodeModelNotAllowed, "model "+strconv.Quote(r.Model)+" is not allowed for this key")
	}
	if r.Stream && !p.AllowStreaming {
		return abi.Denied(abi.CodeStreamingNotAllowed, "streaming is not allowed for this key")
	}
	for _, t := range r.Tools {
		if !contains(in.Key.Tools, t) {
			return abi.Denied(abi.CodeToolNotAllowed, "tool "+strconv.Quote(t)+" is not allowed for this key")
		}
	}
	if max := p.MaxTokens; max > 0 && r.MaxTokens <= 0 {
		// A request that names no max_tokens runs under the key's cap in either
		// mode: otherwise the CLI's own default (128000) would bypass it.
		return abi.Output{Allow: true, Rewrite: &abi.Rewrite{MaxTokens: &max}}
	}
	if max := p.MaxTokens; max > 0 && r.MaxTokens > max {
		if !cfg.clamp {
			return abi.Denied(abi.CodeMaxTokensExceeded, "max_tokens "+strconv.FormatInt(r.MaxTokens, 10)+
				" exceeds this key's limit of "+strconv.FormatInt(max, 10))
		}
		return abi.Output{Allow: true, Rewrite: &abi.Rewrite{MaxTokens: &max}}
	}
	return abi.Allowed()
}

// modelAllowed reports whether model, its alias resolution, or an allowed alias that
// resolves to it is in the allowlist.
func modelAllowed(model string, allowed []string, aliases map[string]string) bool {
	if model == "" {
		return false
	}
	resolved := aliases[model]
	for _, a := range allowed {
		if a == model || (resolved != "" && a == resolved) || aliases[a] == model {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
