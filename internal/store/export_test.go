package store

import (
	"context"
	"time"
)

// MigrateTo applies the embedded migrations up to version only, as a store of an
// earlier release has them (for upgrade tests).
func MigrateTo(ctx context.Context, st Store, version int64) error {
	s := st.(*sqlStore)
	ms, err := loadMigrations(s.d.migrations)
	if err != nil {
		return err
	}
	var upTo []migration
	for _, m := range ms {
		if m.version <= version {
			upTo = append(upTo, m)
		}
	}
	return s.migrate(ctx, upTo)
}

// Exec runs one statement on the store's writer, placeholders written `?`.
func Exec(ctx context.Context, st Store, query string, args ...any) error {
	_, err := st.(*sqlStore).wr().exec(ctx, query, args...)
	return err
}

// TimeArg is t as the store's dialect stores a time column.
func TimeArg(st Store, t time.Time) any { return st.(*sqlStore).d.timeArg(t) }
