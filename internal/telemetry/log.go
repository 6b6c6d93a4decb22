// Package telemetry sets up ccgateway's structured logging (slog JSON) and, later,
// its OpenTelemetry traces and metrics.
package telemetry

import (
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// secretAttr matches attribute names whose values must never be logged.
var secretAttr = regexp.MustCompile(`(?i)(authorization|api[_-]?key|secret|password|token|cookie)`)

// keyLike matches API keys and bearer tokens inside free text.
var keyLike = regexp.MustCompile(`sk-(ccg|ant)-[A-Za-z0-9_\-]{8,}|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*`)

// NewLogger returns a JSON logger at level (debug, info, warn, error) that
// redacts secret-looking attributes and key-looking substrings as a last line of
// defense; code should never pass secrets to it in the first place.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv, ReplaceAttr: redact}))
}

func redact(_ []string, a slog.Attr) slog.Attr {
	if a.Key == "api_key_id" || a.Key == "request_id" {
		return a
	}
	if secretAttr.MatchString(a.Key) {
		return slog.String(a.Key, "[redacted]")
	}
	if a.Value.Kind() == slog.KindString {
		if s := a.Value.String(); strings.Contains(s, "sk-") || strings.Contains(s, "eyJ") {
			return slog.String(a.Key, keyLike.ReplaceAllString(s, "[redacted]"))
		}
	}
	return a
}
