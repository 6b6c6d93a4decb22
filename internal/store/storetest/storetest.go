// Package storetest is the conformance suite every store.Store implementation
// must pass. Implementations call Run from their own tests with a function that
// opens a fresh, migrated, empty store.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// Open returns a fresh, migrated and empty store and arranges (t.Cleanup) for it
// to be closed and removed.
type Open func(t *testing.T) store.Store

// Run runs the conformance suite; every subtest opens its own store with open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := []struct {
		name string
		run  func(t *testing.T, open Open)
	}{
		{"Migrate", testMigrate},
		{"Admins", testAdmins},
		{"APIKeys", testAPIKeys},
		{"Conversations", testConversations},
		{"Messages", testMessages},
		{"MessagesPage", testMessagesPage},
		{"HistoryHashes", testHistoryHashes},
		{"Responses", testResponses},
		{"Idempotency", testIdempotency},
		{"Transcripts", testTranscripts},
		{"CommitTurn", testCommitTurn},
		{"TranscriptAppend", testTranscriptAppend},
		{"Usage", testUsage},
		{"UsageAggregates", testUsageAggregates},
		{"UsageTurns", testUsageTurns},
		{"Audit", testAudit},
		{"Policies", testPolicies},
		{"Leases", testLeases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, open) })
	}
}

func testMigrate(t *testing.T, open Open) {
	s := open(t)
	t.Run("idempotent", func(t *testing.T) {
		for range 2 {
			noErr(t, s.Migrate(t.Context()))
		}
		noErr(t, s.Ping(t.Context()))
	})
}

// noErr fails the test now on a non-nil error.
func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// isErr fails the test unless err wraps target and carries the package prefix.
func isErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
	if msg := err.Error(); len(msg) < 7 || msg[:7] != "store: " {
		t.Fatalf("error %q lacks the \"store: \" prefix", msg)
	}
}

// equal fails the test unless got and want are deeply equal.
func equal[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// isUTC fails the test unless every time is in UTC.
func isUTC(t testing.TB, ts ...time.Time) {
	t.Helper()
	for _, x := range ts {
		if x.Location() != time.UTC {
			t.Fatalf("time %v is in %v, want UTC", x, x.Location())
		}
	}
}

// at returns a fixed, millisecond-precise instant in 2030 plus d; the suite's
// data hangs off it so that tests never depend on the wall clock.
func at(d time.Duration) time.Time {
	return time.Date(2030, 1, 2, 3, 4, 5, 123_000_000, time.UTC).Add(d)
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// pageCase is one list query with the page length and total it must give.
type pageCase[F any] struct {
	name      string
	f         F
	wantLen   int
	wantTotal int
}

// checkPages runs every case through list as a subtest.
func checkPages[F, T any](t *testing.T, cases []pageCase[F], list func(context.Context, F) ([]T, int, error)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := list(t.Context(), tc.f)
			noErr(t, err)
			equal(t, "len", len(got), tc.wantLen)
			equal(t, "total", total, tc.wantTotal)
		})
	}
}

// storeCase is a subtest that needs a store of its own.
type storeCase struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// eachFresh runs every case as a subtest on a freshly opened store.
func eachFresh(t *testing.T, open Open, cases []storeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}
