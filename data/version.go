package data

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// LatestVersion is the version of the newest embedded migration: the
// schema version this build expects.
func LatestVersion() int64 {
	var latest int64
	entries, err := fs.ReadDir(Migrations(), ".")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok {
			continue
		}
		if v, err := strconv.ParseInt(num, 10, 64); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}

// SchemaVersion is the version of the newest migration applied to the
// database, read from goose's table in one cheap query (a readiness probe
// runs it every few seconds). 0 means none.
func SchemaVersion(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var v *int64
	err := pool.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}
