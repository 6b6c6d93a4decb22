package storetest

import (
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

func testAudit(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	var entries []*store.AuditEntry
	for i := range 6 {
		e := &store.AuditEntry{
			Time: at(time.Duration(i) * time.Second), Actor: []string{"alice", "bob"}[i%2],
			Action: []string{"key.create", "key.update", "policy.activate"}[i%3], Target: "key/1",
			IP: "10.0.0.1", Before: `{"a":1}`, After: `{"a":2}`,
		}
		noErr(t, s.InsertAudit(ctx, e))
		entries = append(entries, e)
	}
	t.Run("ids and round trip", func(t *testing.T) {
		got, total, err := s.ListAudit(ctx, store.AuditFilter{})
		noErr(t, err)
		equal(t, "total", total, 6)
		equal(t, "newest first", got[0], entries[5])
		equal(t, "oldest last", got[5], entries[0])
		isUTC(t, got[0].Time)
		if entries[0].ID == 0 || entries[0].ID == entries[1].ID {
			t.Fatalf("ids not assigned: %d, %d", entries[0].ID, entries[1].ID)
		}
	})
	checkPages(t, []pageCase[store.AuditFilter]{
		{"actor", store.AuditFilter{Actor: "alice"}, 3, 3},
		{"action", store.AuditFilter{Action: "key.update"}, 2, 2},
		{"target", store.AuditFilter{Target: "key/1"}, 6, 6},
		{"range", store.AuditFilter{From: at(time.Second), To: at(3 * time.Second)}, 2, 2},
		{"page", store.AuditFilter{Target: "key/1", Limit: 4, Offset: 4}, 2, 6},
		{"nothing", store.AuditFilter{Actor: "mallory"}, 0, 0},
	}, s.ListAudit)
	t.Run("delete before", func(t *testing.T) {
		n, err := s.DeleteAuditBefore(ctx, at(2*time.Second))
		noErr(t, err)
		equal(t, "deleted", n, int64(2))
	})
	t.Run("time defaults to now", func(t *testing.T) {
		e := &store.AuditEntry{Actor: "carol", Action: "login"}
		noErr(t, s.InsertAudit(ctx, e))
		if time.Since(e.Time) > time.Minute {
			t.Fatalf("time %v", e.Time)
		}
	})
}
