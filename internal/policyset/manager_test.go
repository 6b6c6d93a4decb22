package policyset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// cacheDir is a wazero compilation cache shared by the tests of one run, so each
// module compiles once.
var cacheDir string

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "policyset-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		cacheDir = filepath.Join(dir, "cache")
		return m.Run()
	}()
	os.Exit(code)
}

func newStore(t testing.TB) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// newManager starts a Manager on st; its log goes to the returned buffer.
func newManager(t testing.TB, st store.Store) (*Manager, *testkit.SyncBuffer) {
	t.Helper()
	logs := &testkit.SyncBuffer{}
	// A generous call deadline: this is about the chain, not about timeouts, and
	// -race on a loaded host stretches calls.
	m, err := New(context.Background(), st, Config{Engine: policies.Config{CacheDir: cacheDir, CallTimeout: 5 * time.Second}},
		slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return m, logs
}

func timewindowWasm(t testing.TB) []byte {
	t.Helper()
	// The example policy is built beside the bundled ones but not embedded.
	b, err := os.ReadFile(filepath.Join("..", "..", "policies", "bundled", policies.TimeWindow+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Times of day the timewindow tests use.
var (
	at0930 = time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC).UnixMilli()
	at1200 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).UnixMilli()
)

// windowUpload is a timewindow upload allowing only the given UTC hours, with
// self-tests that hold for hours "9".
func windowUpload(t testing.TB, name, hours string, activate bool) *Upload {
	t.Helper()
	u := &Upload{Name: name, Wasm: timewindowWasm(t), Activate: activate, CreatedBy: "test",
		Config: json.RawMessage(fmt.Sprintf(`{"allowed_hours_utc":%q}`, hours))}
	if hours == "9" {
		u.Tests = []policies.TestCase{
			{Name: "inside", Input: abi.Input{NowMS: at0930}, Allow: true},
			{Name: "outside", Input: abi.Input{NowMS: at1200}, Code: abi.CodeOutsideTimeWindow},
		}
	}
	return u
}

func create(t *testing.T, m *Manager, u *Upload) *store.PolicyVersion {
	t.Helper()
	pv, err := m.Create(context.Background(), u)
	if err != nil {
		t.Fatalf("upload %s: %v", u.Name, err)
	}
	return pv
}

// chainString describes Chain() as "name@version[b]/mode ...", b for bundled.
func chainString(es []Entry) string {
	var parts []string
	for _, e := range es {
		s := fmt.Sprintf("%s@%d", e.Name, e.Version)
		if e.Bundled {
			s += "b"
		}
		parts = append(parts, s+"/"+e.FailureMode)
	}
	return strings.Join(parts, " ")
}

// loadedString describes the chain the Registry actually evaluates, as "name@version ...".
func loadedString(t *testing.T, m *Manager) string {
	t.Helper()
	c, release, err := m.Registry().Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var parts []string
	for _, p := range c.Policies() {
		parts = append(parts, fmt.Sprintf("%s@%d", p.Name(), p.Version()))
	}
	return strings.Join(parts, " ")
}

// checkChain checks both the Manager's description and the Registry's chain.
func checkChain(t *testing.T, m *Manager, want string) {
	t.Helper()
	if got := chainString(m.Chain()); got != want {
		t.Fatalf("Chain() = %q, want %q", got, want)
	}
	var loaded []string
	for _, part := range strings.Fields(want) {
		nv, _, _ := strings.Cut(part, "/")
		loaded = append(loaded, strings.TrimSuffix(nv, "b"))
	}
	if got, want := loadedString(t, m), strings.Join(loaded, " "); got != want {
		t.Fatalf("registry chain = %q, want %q", got, want)
	}
}

func evaluate(t *testing.T, m *Manager, in abi.Input) policies.Decision {
	t.Helper()
	d, err := m.Registry().Evaluate(context.Background(), &in)
	if err != nil {
		t.Fatalf("evaluate: %v (decision %+v)", err, d)
	}
	return d
}

// denial returns "allow" or "deny:<policy>@<version>:<code>".
func denial(d policies.Decision) string {
	if d.Allow {
		return "allow"
	}
	return fmt.Sprintf("deny:%s@%d:%s", d.Policy, d.Version, d.Code)
}

const bundledChain = "ratelimit@0b/closed permissions@0b/closed"

// Inputs that only the ratelimit policy, only the permissions policy, or both deny.
var (
	rateLimited = abi.Input{Key: abi.Key{UsageLimit: abi.UsageLimit{RequestsPerMinute: 1}},
		Counters: abi.Counters{RequestsLastMinute: 1}, Request: abi.Request{Model: "sonnet"}}
	modelRefused = abi.Input{Key: abi.Key{Permissions: abi.Permissions{Models: []string{"claude-sonnet-4-5"}}},
		Request: abi.Request{Model: "opus"}}
	bothRefuse = abi.Input{Key: abi.Key{UsageLimit: abi.UsageLimit{RequestsPerMinute: 1},
		Permissions: abi.Permissions{Models: []string{"claude-sonnet-4-5"}}},
		Counters: abi.Counters{RequestsLastMinute: 1}, Request: abi.Request{Model: "opus"}}
)

func TestNewEmptyStoreServesBundledChain(t *testing.T) {
	m, _ := newManager(t, newStore(t))
	checkChain(t, m, bundledChain)
	for _, tc := range []struct {
		name string
		in   abi.Input
		want string
	}{
		{"allowed", abi.Input{Request: abi.Request{Model: "sonnet"}}, "allow"},
		{"ratelimit denies", rateLimited, "deny:ratelimit@0:" + abi.CodeRateLimitMinute},
		{"permissions denies", modelRefused, "deny:permissions@0:" + abi.CodeModelNotAllowed},
		{"ratelimit runs first", bothRefuse, "deny:ratelimit@0:" + abi.CodeRateLimitMinute},
		{"timewindow is not in the chain", abi.Input{NowMS: at1200}, "allow"},
	} {
		if got := denial(evaluate(t, m, tc.in)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestNewLeavesOutStoredVersionsThatDoNotLoad: a stored active version whose module
// no longer loads is logged and left out; for a bundled name the bundled version
// serves instead; other stored versions still load.
func TestNewLeavesOutStoredVersionsThatDoNotLoad(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	store1 := func(name string, wasm []byte, config string) {
		t.Helper()
		pv := &store.PolicyVersion{Name: name, Wasm: wasm, Config: config, FailureMode: FailClosed}
		if err := st.CreatePolicyVersion(ctx, pv); err != nil {
			t.Fatal(err)
		}
		if err := st.ActivatePolicyVersion(ctx, name, pv.Version); err != nil {
			t.Fatal(err)
		}
	}
	store1("broken", []byte("\x00asm but not really"), "")
	store1(policies.RateLimit, []byte("corrupt"), "")
	store1("window", timewindowWasm(t), `{"allowed_hours_utc":"9"}`)

	m, logs := newManager(t, st)
	checkChain(t, m, "ratelimit@0b/closed permissions@0b/closed window@1/closed")
	for _, name := range []string{"broken", policies.RateLimit} {
		if !strings.Contains(logs.String(), "policy="+name+" ") {
			t.Errorf("no log line names the left-out policy %s; log:\n%s", name, logs)
		}
	}
	if strings.Contains(logs.String(), "policy=window") {
		t.Errorf("the loadable policy was logged as left out:\n%s", logs)
	}
	if got := denial(evaluate(t, m, rateLimited)); got != "deny:ratelimit@0:"+abi.CodeRateLimitMinute {
		t.Errorf("bundled ratelimit does not serve in place of the broken one: %s", got)
	}
	if got := denial(evaluate(t, m, abi.Input{NowMS: at1200})); got != "deny:window@1:"+abi.CodeOutsideTimeWindow {
		t.Errorf("stored window policy: %s", got)
	}
	// The store is left as it was: leaving a version out is not deactivating it.
	active, err := st.ListActivePolicies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 3 {
		t.Errorf("%d active versions in the store after New, want 3", len(active))
	}
}

func TestUploadAddsCustomPolicyAfterBundled(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	m, _ := newManager(t, st)
	if got := denial(evaluate(t, m, abi.Input{NowMS: at1200})); got != "allow" {
		t.Fatalf("before the upload: %s", got)
	}

	// Stored without activation: nothing changes.
	pv := create(t, m, windowUpload(t, "aaa-window", "9", false))
	if pv.Version != 1 || pv.Active {
		t.Fatalf("inactive upload stored as %+v", pv)
	}
	checkChain(t, m, bundledChain)
	if got := denial(evaluate(t, m, abi.Input{NowMS: at1200})); got != "allow" {
		t.Fatalf("an inactive upload changed the decision: %s", got)
	}

	// Version 2, activated: after the bundled ones although its name sorts first.
	pv = create(t, m, windowUpload(t, "aaa-window", "9", true))
	if pv.Version != 2 || !pv.Active {
		t.Fatalf("activated upload: %+v", pv)
	}
	checkChain(t, m, bundledChain+" aaa-window@2/closed")
	if got := denial(evaluate(t, m, abi.Input{NowMS: at1200})); got != "deny:aaa-window@2:"+abi.CodeOutsideTimeWindow {
		t.Fatalf("the registry does not see the upload: %s", got)
	}
	if got := denial(evaluate(t, m, abi.Input{NowMS: at0930})); got != "allow" {
		t.Fatalf("inside the window: %s", got)
	}
	if got := denial(evaluate(t, m, rateLimited)); got != "deny:ratelimit@0:"+abi.CodeRateLimitMinute {
		t.Fatalf("bundled policies no longer first: %s", got)
	}
	stored, err := st.GetPolicyVersion(ctx, "aaa-window", 2)
	if err != nil || !stored.Active || stored.FailureMode != FailClosed || stored.CreatedBy != "test" {
		t.Fatalf("stored version: %+v, %v", stored, err)
	}
	tests, err := policies.ParseTests([]byte(stored.Tests))
	if err != nil || len(tests) != 2 {
		t.Fatalf("stored tests %q: %v", stored.Tests, err)
	}
}

// TestRefusedUploadChangesNothing: an upload that does not validate is neither
// stored nor put in the chain, and an active version of its name stays active.
func TestRefusedUploadChangesNothing(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	m, _ := newManager(t, st)
	create(t, m, windowUpload(t, "window", "9", true))
	const want = bundledChain + " window@1/closed"
	checkChain(t, m, want)

	failing := windowUpload(t, "window", "9", true)
	failing.Tests = append(failing.Tests, policies.TestCase{Name: "noon", Input: abi.Input{NowMS: at1200}, Allow: true})
	badMode := windowUpload(t, "window", "9", true)
	badMode.FailureMode = "sideways"
	badName := windowUpload(t, "Window!", "9", true)
	badConfig := windowUpload(t, "window", "9", true)
	badConfig.Config = json.RawMessage(`{"allowed_hours_utc":`)

	for _, tc := range []struct {
		name   string
		u      *Upload
		isWant func(error) bool
	}{
		{"not wasm", &Upload{Name: "window", Wasm: []byte("not wasm"), Activate: true},
			func(err error) bool { return errors.Is(err, ErrInvalid) }},
		{"failing self-test", failing,
			func(err error) bool { var st *policies.ErrSelfTest; return errors.As(err, &st) && st.Case == "noon" }},
		{"bad failure mode", badMode, func(err error) bool { return errors.Is(err, ErrInvalid) }},
		{"bad name", badName, func(err error) bool { return errors.Is(err, ErrInvalid) }},
		{"bad config", badConfig, func(err error) bool { return errors.Is(err, ErrInvalid) }},
		{"new name, not wasm", &Upload{Name: "other", Wasm: []byte("\x00asm\x01\x00\x00\x00garbage"), Activate: true},
			func(err error) bool { return errors.Is(err, ErrInvalid) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pv, err := m.Create(ctx, tc.u)
			if err == nil || !tc.isWant(err) {
				t.Fatalf("Create = %+v, %v; want a refusal of the right type", pv, err)
			}
			checkChain(t, m, want)
			if got := denial(evaluate(t, m, abi.Input{NowMS: at0930})); got != "allow" {
				t.Fatalf("decision changed: %s", got)
			}
			for _, name := range []string{"window", "other", "Window!"} {
				vs, err := st.ListPolicyVersions(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				wantN := 0
				if name == "window" {
					wantN = 1
				}
				if len(vs) != wantN || wantN == 1 && !vs[0].Active {
					t.Fatalf("stored versions of %s after a refused upload: %d (want %d, active)", name, len(vs), wantN)
				}
			}
		})
	}

	// A stored version that does not load is refused at activation: the store keeps
	// the previous active version and the chain is unchanged.
	t.Run("activate a broken version", func(t *testing.T) {
		pv := &store.PolicyVersion{Name: "window", Wasm: []byte("corrupt"), FailureMode: FailClosed}
		if err := st.CreatePolicyVersion(ctx, pv); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Activate(ctx, "window", pv.Version); err == nil {
			t.Fatal("activating a module that does not load succeeded")
		}
		checkChain(t, m, want)
		v1, err := st.GetPolicyVersion(ctx, "window", 1)
		if err != nil || !v1.Active {
			t.Fatalf("v1 after a refused activation: %+v, %v", v1, err)
		}
	})
}

func TestActivateRollbackDelete(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	m, _ := newManager(t, st)
	decide := func(now int64) string { return denial(evaluate(t, m, abi.Input{NowMS: now})) }
	outside := func(v int) string { return fmt.Sprintf("deny:window@%d:%s", v, abi.CodeOutsideTimeWindow) }

	create(t, m, windowUpload(t, "window", "9", true))  // v1: 09:00-09:59 only
	create(t, m, windowUpload(t, "window", "12", true)) // v2: 12:00-12:59 only
	checkChain(t, m, bundledChain+" window@2/closed")
	if got := decide(at0930); got != outside(2) {
		t.Fatalf("v2 active at 09:30: %s", got)
	}

	pv, err := m.Activate(ctx, "window", 1)
	if err != nil || pv.Version != 1 || !pv.Active {
		t.Fatalf("Activate v1: %+v, %v", pv, err)
	}
	checkChain(t, m, bundledChain+" window@1/closed")
	if got := decide(at1200); got != outside(1) {
		t.Fatalf("v1 active at 12:00: %s", got)
	}
	if _, err := m.Activate(ctx, "window", 7); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Activate of a missing version: %v", err)
	}

	if _, err := m.Activate(ctx, "window", 2); err != nil {
		t.Fatal(err)
	}
	pv, err = m.Rollback(ctx, "window")
	if err != nil || pv == nil || pv.Version != 1 {
		t.Fatalf("Rollback from v2: %+v, %v; want v1", pv, err)
	}
	checkChain(t, m, bundledChain+" window@1/closed")
	if got := decide(at1200); got != outside(1) {
		t.Fatalf("after rollback to v1 at 12:00: %s", got)
	}

	// Rolling back past the first version takes the policy out of the chain and
	// keeps its versions.
	pv, err = m.Rollback(ctx, "window")
	if err != nil || pv != nil {
		t.Fatalf("Rollback from v1: %+v, %v; want nil, nil", pv, err)
	}
	checkChain(t, m, bundledChain)
	if got := decide(at1200); got != "allow" {
		t.Fatalf("after rollback past the first version: %s", got)
	}
	vs, err := st.ListPolicyVersions(ctx, "window")
	if err != nil || len(vs) != 2 || vs[0].Active || vs[1].Active {
		t.Fatalf("stored versions after the last rollback: %d, %v", len(vs), err)
	}
	if _, err := m.Rollback(ctx, "window"); !errors.Is(err, ErrNoActive) {
		t.Fatalf("Rollback with no active version: %v, want ErrNoActive", err)
	}
	if _, err := m.Rollback(ctx, "nothing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Rollback of an unknown policy: %v, want ErrNotFound", err)
	}

	if _, err := m.Activate(ctx, "window", 2); err != nil {
		t.Fatal(err)
	}
	checkChain(t, m, bundledChain+" window@2/closed")
	if err := m.Delete(ctx, "window"); err != nil {
		t.Fatal(err)
	}
	checkChain(t, m, bundledChain)
	if got := decide(at0930); got != "allow" {
		t.Fatalf("after delete: %s", got)
	}
	if vs, err := st.ListPolicyVersions(ctx, "window"); err != nil || len(vs) != 0 {
		t.Fatalf("versions after delete: %d, %v", len(vs), err)
	}
	if err := m.Delete(ctx, "window"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	checkChain(t, m, bundledChain)
}

// TestChainOrder: ratelimit, then permissions, then the other policies by name,
// whatever the upload order, including stored versions of the bundled names; a
// restart builds the same chain.
func TestChainOrder(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	m, _ := newManager(t, st)
	create(t, m, windowUpload(t, "zeta", "9", true))
	create(t, m, windowUpload(t, "alpha", "9", true))
	openUp := windowUpload(t, "mid", "0-24", true)
	openUp.FailureMode = FailOpen
	create(t, m, openUp)
	// A stored "permissions" (here a timewindow module) takes the bundled one's place.
	create(t, m, windowUpload(t, policies.Permissions, "0-24", true))
	const want = "ratelimit@0b/closed permissions@1/closed alpha@1/closed mid@1/open zeta@1/closed"
	checkChain(t, m, want)
	// alpha and zeta both deny at noon: alpha decides, after ratelimit.
	if got := denial(evaluate(t, m, abi.Input{NowMS: at1200})); got != "deny:alpha@1:"+abi.CodeOutsideTimeWindow {
		t.Fatalf("at noon: %s", got)
	}
	rl := rateLimited
	rl.NowMS = at1200
	if got := denial(evaluate(t, m, rl)); got != "deny:ratelimit@0:"+abi.CodeRateLimitMinute {
		t.Fatalf("rate limited at noon: %s", got)
	}
	// The bundled permissions policy is replaced: a refused model passes.
	mr := modelRefused
	mr.NowMS = at0930
	if got := denial(evaluate(t, m, mr)); got != "allow" {
		t.Fatalf("with a stored permissions policy: %s", got)
	}

	m2, _ := newManager(t, st)
	checkChain(t, m2, want)

	// Rolling the stored permissions back past its first version restores the
	// bundled one in second place.
	if pv, err := m.Rollback(ctx, policies.Permissions); err != nil || pv != nil {
		t.Fatalf("rollback of permissions: %+v, %v", pv, err)
	}
	checkChain(t, m, "ratelimit@0b/closed permissions@0b/closed alpha@1/closed mid@1/open zeta@1/closed")
	if got := denial(evaluate(t, m, mr)); got != "deny:permissions@0:"+abi.CodeModelNotAllowed {
		t.Fatalf("bundled permissions after rollback: %s", got)
	}
}

// failingStore fails ActivatePolicyVersion on demand.
type failingStore struct {
	store.Store
	fail bool
}

var errStoreDown = errors.New("store down")

func (s *failingStore) ActivatePolicyVersion(ctx context.Context, name string, version int64) error {
	if s.fail {
		return errStoreDown
	}
	return s.Store.ActivatePolicyVersion(ctx, name, version)
}

// TestFailedStoreWriteKeepsChain: the chain is swapped only after the store write
// succeeded, so a failed write leaves the evaluated chain as it was.
func TestFailedStoreWriteKeepsChain(t *testing.T) {
	ctx := context.Background()
	st := &failingStore{Store: newStore(t)}
	m, _ := newManager(t, st)
	create(t, m, windowUpload(t, "window", "9", true))
	st.fail = true
	if _, err := m.Create(ctx, windowUpload(t, "window", "12", true)); !errors.Is(err, errStoreDown) {
		t.Fatalf("upload with a failing store: %v", err)
	}
	checkChain(t, m, bundledChain+" window@1/closed")
	if got := denial(evaluate(t, m, abi.Input{NowMS: at0930})); got != "allow" {
		t.Fatalf("decision after a failed activation: %s", got)
	}
	if _, err := m.Activate(ctx, "window", 1); !errors.Is(err, errStoreDown) {
		t.Fatalf("activate with a failing store: %v", err)
	}
	st.fail = false
	if _, err := m.Activate(ctx, "window", 2); err != nil {
		t.Fatal(err)
	}
	checkChain(t, m, bundledChain+" window@2/closed")
}
