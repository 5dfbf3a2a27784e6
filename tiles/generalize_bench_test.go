package tiles_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/tiles"
)

// All 10,997 Gemeinden of VG5000 (land parts), without parents.
func allGemeinden(b testing.TB) *pgxpool.Pool {
	return pgtest.NewDBWith(b, "generalize-gemeinden-v1", func(ctx context.Context, pool *pgxpool.Pool) error {
		_, err := geo.NewStore(pool).ImportAreas(ctx, geo.AreaImport{Path: vg5000("GEM"), Level: "gemeinde",
			CodeField: "ARS", NameField: "GEN", Where: map[string]string{"GF": "9"}})
		return err
	})
}

// BenchmarkGeneralizeGemeinden rebuilds every band of Germany's Gemeinden,
// reading and writing included.
func BenchmarkGeneralizeGemeinden(b *testing.B) {
	ctx := context.Background()
	pool := allGemeinden(b)
	for b.Loop() {
		tx, err := pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := tiles.Generalize(ctx, tx, "gemeinde"); err != nil {
			b.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
