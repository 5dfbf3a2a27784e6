package tiles

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/indicators"
)

// sqlStaleLevels finds the levels whose tile geometry lags behind their
// areas: a version with a geometry but no top-band row (new versions), or
// one whose top-band row is no longer its stored geometry. Rows of deleted
// versions go by the foreign key's cascade.
const sqlStaleLevels = `
SELECT DISTINCT a.level
FROM area a
LEFT JOIN tile_geom t ON t.area_id = a.id AND t.band = $1
WHERE a.geom_3857 IS NOT NULL AND (t.area_id IS NULL OR NOT ST_OrderingEquals(t.geom, a.geom_3857))
ORDER BY a.level`

// StaleLevels lists the levels whose tile geometry must be rebuilt.
func StaleLevels(ctx context.Context, db pgx.Tx) ([]string, error) {
	rows, err := db.Query(ctx, sqlStaleLevels, Bands[len(Bands)-1])
	if err != nil {
		return nil, fmt.Errorf("tile geometry: stale levels: %w", err)
	}
	levels, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("tile geometry: stale levels: %w", err)
	}
	return levels, nil
}

// GeneralizeChanged rebuilds, inside the caller's transaction, the tile
// geometry of the levels whose areas changed (StaleLevels), and only
// those: an import of Berlin's Prognoseräume leaves the Gemeinden alone.
// It is the area store's change hook's part for tiles.
func GeneralizeChanged(ctx context.Context, tx pgx.Tx) ([]string, error) {
	levels, err := StaleLevels(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, l := range levels {
		if err := Generalize(ctx, tx, l); err != nil {
			return nil, err
		}
	}
	return levels, nil
}

// EnsureGeometry brings the tile geometry up to date in a writing
// transaction of its own, for a database whose areas were imported before
// tile geometry existed. It writes nothing, and takes no lock, when nothing
// is stale.
func EnsureGeometry(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("tile geometry: %w", err)
	}
	stale, err := StaleLevels(ctx, tx)
	_ = tx.Rollback(ctx)
	if err != nil || len(stale) == 0 {
		return nil, err
	}
	tx, err = geo.BeginWrite(ctx, pool)
	if err != nil {
		return nil, fmt.Errorf("tile geometry: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	levels, err := GeneralizeChanged(ctx, tx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, sqlBumpVersion); err != nil {
		return nil, fmt.Errorf("tile geometry: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("tile geometry: commit: %w", err)
	}
	return levels, nil
}

// sqlBumpVersion tells caches that tiles changed, and other instances
// through a NOTIFY on indicators.VersionChannel sent at commit.
const sqlBumpVersion = `WITH bumped AS (
	UPDATE data_version SET version = version + 1, changed = now() RETURNING version)
SELECT pg_notify('` + indicators.VersionChannel + `', version::text) FROM bumped`
