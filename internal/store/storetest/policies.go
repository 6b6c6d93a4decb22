package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"

	"github.com/ccgateway/ccgateway/internal/store"
)

// newPolicy stores a version of name with the given wasm bytes.
func newPolicy(t testing.TB, s store.Store, name, wasm string) *store.PolicyVersion {
	t.Helper()
	p := &store.PolicyVersion{Name: name, Wasm: []byte(wasm), Config: `{"rpm":60}`, Tests: `[]`, FailureMode: "open", CreatedBy: "alice"}
	noErr(t, s.CreatePolicyVersion(t.Context(), p))
	return p
}

// activeVersions maps every policy name to its active version.
func activeVersions(t testing.TB, s store.Store) map[string]int64 {
	t.Helper()
	ps, err := s.ListActivePolicies(t.Context())
	noErr(t, err)
	out := map[string]int64{}
	for _, p := range ps {
		if _, dup := out[p.Name]; dup {
			t.Fatalf("two active versions of %s", p.Name)
		}
		out[p.Name] = p.Version
	}
	return out
}

func testPolicies(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	v1 := newPolicy(t, s, "ratelimit", "\x00asm-1")
	v2 := newPolicy(t, s, "ratelimit", "\x00asm-2")
	other := newPolicy(t, s, "permissions", "\x00asm-p")
	t.Run("versions numbered per name", func(t *testing.T) {
		equal(t, "versions", [3]int64{v1.Version, v2.Version, other.Version}, [3]int64{1, 2, 1})
		sum := sha256.Sum256(v1.Wasm)
		equal(t, "sha256", v1.SHA256, hex.EncodeToString(sum[:]))
	})
	t.Run("get and list", func(t *testing.T) {
		got, err := s.GetPolicyVersion(ctx, "ratelimit", 2)
		noErr(t, err)
		equal(t, "version", got, v2)
		isUTC(t, got.CreatedAt)
		list, err := s.ListPolicyVersions(ctx, "ratelimit")
		noErr(t, err)
		equal(t, "list", list, []*store.PolicyVersion{v1, v2})
		none, err := s.ListPolicyVersions(ctx, "nope")
		noErr(t, err)
		equal(t, "unknown name", len(none), 0)
	})
	t.Run("names", func(t *testing.T) {
		names, err := s.ListPolicyNames(ctx)
		noErr(t, err)
		equal(t, "names", names, []string{"permissions", "ratelimit"})
	})
	steps := []struct {
		name string
		do   func() error
		err  error
		want map[string]int64
	}{
		{"activate v1", func() error { return s.ActivatePolicyVersion(ctx, "ratelimit", 1) }, nil, map[string]int64{"ratelimit": 1}},
		{"activate v2 deactivates v1", func() error { return s.ActivatePolicyVersion(ctx, "ratelimit", 2) }, nil, map[string]int64{"ratelimit": 2}},
		{"activate again", func() error { return s.ActivatePolicyVersion(ctx, "ratelimit", 2) }, nil, map[string]int64{"ratelimit": 2}},
		{"other name independent", func() error { return s.ActivatePolicyVersion(ctx, "permissions", 1) }, nil, map[string]int64{"ratelimit": 2, "permissions": 1}},
		{"unknown version keeps active", func() error { return s.ActivatePolicyVersion(ctx, "ratelimit", 9) }, store.ErrNotFound, map[string]int64{"ratelimit": 2, "permissions": 1}},
		{"deactivate", func() error { return s.DeactivatePolicy(ctx, "ratelimit") }, nil, map[string]int64{"permissions": 1}},
		{"deactivate unknown", func() error { return s.DeactivatePolicy(ctx, "nope") }, store.ErrNotFound, map[string]int64{"permissions": 1}},
		{"create active", func() error {
			return s.CreatePolicyVersion(ctx, &store.PolicyVersion{Name: "permissions", Wasm: []byte("x"), Active: true})
		}, nil, map[string]int64{"permissions": 2}},
		{"delete", func() error { return s.DeletePolicy(ctx, "permissions") }, nil, map[string]int64{}},
		{"delete unknown", func() error { return s.DeletePolicy(ctx, "permissions") }, store.ErrNotFound, map[string]int64{}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); st.err != nil {
				isErr(t, err, st.err)
			} else {
				noErr(t, err)
			}
			equal(t, "active", activeVersions(t, s), st.want)
		})
	}
	t.Run("get unknown", func(t *testing.T) {
		_, err := s.GetPolicyVersion(ctx, "permissions", 1)
		isErr(t, err, store.ErrNotFound)
	})
	t.Run("concurrent uploads get distinct versions", func(t *testing.T) {
		const n = 6
		var wg sync.WaitGroup
		versions := make(chan int64, n)
		for range n {
			wg.Go(func() {
				p := &store.PolicyVersion{Name: "racy", Wasm: []byte("w")}
				if err := s.CreatePolicyVersion(ctx, p); err != nil {
					t.Error(err)
				}
				versions <- p.Version
			})
		}
		wg.Wait()
		close(versions)
		seen := map[int64]bool{}
		for v := range versions {
			seen[v] = true
		}
		for v := int64(1); v <= n; v++ {
			if !seen[v] {
				t.Fatalf("version %d missing: %v", v, seen)
			}
		}
	})
}
