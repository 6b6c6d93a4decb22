package store

import (
	"testing"
	"time"
)

func TestSQLitePragmas(t *testing.T) {
	s, err := Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := s.(*sqlStore)
	tests := []struct {
		name, pragma, want string
		reader             bool
	}{
		{"wal", "journal_mode", "wal", false},
		{"foreign keys", "foreign_keys", "1", false},
		{"busy timeout", "busy_timeout", "10000", false},
		{"reader is read-only", "query_only", "1", true},
		{"reader waits too", "busy_timeout", "10000", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := st.w
			if tc.reader {
				db = st.r
			}
			var got string
			if err := db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("%s = %q, want %q", tc.pragma, got, tc.want)
			}
		})
	}
	if st.w.Stats().MaxOpenConnections != 1 {
		t.Fatalf("writer pool allows %d connections", st.w.Stats().MaxOpenConnections)
	}
}

func TestRebind(t *testing.T) {
	tests := []struct {
		name, in, sqlite, postgres string
	}{
		{"none", "SELECT 1", "SELECT 1", "SELECT 1"},
		{"several", "a = ? AND b IN (?, ?)", "a = ? AND b IN (?, ?)", "a = $1 AND b IN ($2, $3)"},
		{"two digits", "?,?,?,?,?,?,?,?,?,?", "?,?,?,?,?,?,?,?,?,?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sqliteDialect().rebind(tc.in); got != tc.sqlite {
				t.Errorf("sqlite: %q", got)
			}
			if got := postgresDialect().rebind(tc.in); got != tc.postgres {
				t.Errorf("postgres: %q", got)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:secret@h/db", "postgres://u:***@h/db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"mysql:x", "mysql:x"},
	}
	for _, tc := range tests {
		if got := redact(tc.in); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBucketStart(t *testing.T) {
	origin := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		t    time.Time
		want time.Time
	}{
		{"at origin", origin, origin},
		{"inside first", origin.Add(59 * time.Second), origin},
		{"second bucket", origin.Add(61 * time.Second), origin.Add(time.Minute)},
		{"before origin", origin.Add(-time.Second), origin.Add(-time.Minute)},
		{"exactly one before", origin.Add(-time.Minute), origin.Add(-time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := bucketStart(origin, tc.t, time.Minute); !got.Equal(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		values []int64
		p      float64
		want   int64
	}{
		{"empty", nil, 0.5, 0},
		{"one", []int64{7}, 0.95, 7},
		{"median of four", []int64{1, 2, 3, 4}, 0.5, 2},
		{"p95 of twenty", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 0.95, 19},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.values, tc.p); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}
