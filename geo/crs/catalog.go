package crs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Querier is what LoadCatalog needs of a connection: *pgx.Conn,
// *pgxpool.Pool and pgx.Tx all have it.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

const sqlCatalog = `
SELECT srid, auth_name, coalesce(srtext, ''), coalesce(proj4text, '')
FROM spatial_ref_sys
WHERE auth_name = 'EPSG'
ORDER BY srid`

// LoadCatalog reads the EPSG rows of PostGIS' spatial_ref_sys.
func LoadCatalog(ctx context.Context, q Querier) ([]Entry, error) {
	rows, err := q.Query(ctx, sqlCatalog)
	if err != nil {
		return nil, fmt.Errorf("load CRS catalog: %w", err)
	}
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Entry])
	if err != nil {
		return nil, fmt.Errorf("load CRS catalog: %w", err)
	}
	return entries, nil
}
