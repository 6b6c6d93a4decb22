// Package models is the gateway's default model catalogue: the models it offers
// when none are configured, their aliases, and the default model. It is a leaf
// (stdlib only) so that the configuration, the bundled permissions policy and
// the spec's examples name the same models.
package models

import (
	"slices"
	"strings"
)

// Model is a model id the CLI accepts, with the short aliases that resolve to it.
type Model struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases"`
}

// List is the models a gateway offers.
type List []Model

// Resolve returns the model id that name (an id or an alias) stands for, or name
// itself when it is neither.
func (l List) Resolve(name string) string {
	if m, ok := l.find(name); ok {
		return m.ID
	}
	return name
}

// Known reports whether name is one of the ids or aliases of l.
func (l List) Known(name string) bool {
	_, ok := l.find(name)
	return ok
}

func (l List) find(name string) (Model, bool) {
	for _, m := range l {
		if m.ID == name || slices.Contains(m.Aliases, name) {
			return m, true
		}
	}
	return Model{}, false
}

// Default is the model a request that names none runs on.
const Default = "claude-sonnet-5-5"

// Catalogue returns the default models, a fresh copy each call.
func Catalogue() []Model {
	return []Model{
		{ID: Default, Aliases: []string{"sonnet"}},
		{ID: "claude-opus-5-5", Aliases: []string{"opus"}},
		{ID: "claude-haiku-5-5", Aliases: []string{"haiku"}},
	}
}

// Aliases maps every alias of the catalogue to its model id.
func Aliases() map[string]string {
	out := map[string]string{}
	for _, m := range Catalogue() {
		for _, a := range m.Aliases {
			out[a] = m.ID
		}
	}
	return out
}

// Setting is the catalogue in the models setting's syntax: id=alias|alias,
// comma-separated.
func Setting() string {
	var parts []string
	for _, m := range Catalogue() {
		p := m.ID
		if len(m.Aliases) > 0 {
			p += "=" + strings.Join(m.Aliases, "|")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ",")
}
