// Package telemetry sets up ccgateway's structured logging (slog JSON) and its
// OpenTelemetry traces and metrics (a Prometheus exporter serves the metrics).
package telemetry

import (
	"context"
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

// AtLeast wraps h so that records below min are dropped, whatever h's own level.
// Libraries that log message contents at debug level (protoactor logs whole
// messages) get a handler that never passes those on.
func AtLeast(h slog.Handler, min slog.Level) slog.Handler {
	return &minLevel{Handler: h, min: min}
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (m *minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.Handler.Enabled(ctx, l)
}

func (m *minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return &minLevel{Handler: m.Handler.WithAttrs(as), min: m.min}
}

func (m *minLevel) WithGroup(name string) slog.Handler {
	return &minLevel{Handler: m.Handler.WithGroup(name), min: m.min}
}
