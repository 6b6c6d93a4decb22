package models_test

import (
	"fmt"
	"testing"

	"github.com/ccgateway/ccgateway/internal/models"
)

func ExampleSetting() {
	fmt.Println(models.Setting())
	// Output: claude-sonnet-5-5=sonnet,claude-opus-5-5=opus,claude-haiku-5-5=haiku
}

func TestDefaultIsInTheCatalogueAndAliasesAreUnique(t *testing.T) {
	seen := map[string]string{}
	found := false
	for _, m := range models.Catalogue() {
		found = found || m.ID == models.Default
		for _, a := range m.Aliases {
			if other, dup := seen[a]; dup {
				t.Errorf("alias %q names %s and %s", a, other, m.ID)
			}
			seen[a] = m.ID
		}
	}
	if !found {
		t.Errorf("the default model %s is not in the catalogue", models.Default)
	}
	if got := models.Aliases()["sonnet"]; got != models.Default {
		t.Errorf("sonnet resolves to %q, want %s", got, models.Default)
	}
}
