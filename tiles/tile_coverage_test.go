package tiles_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/tiles"
)

// sqlTileCoverage measures, in tile units, how decoded polygons of one
// tile overlap each other and which holes their union has inside the tile:
// neighbours that stay adjacent leave neither.
const sqlTileCoverage = `
WITH f AS (
	SELECT i, ST_BuildArea(ST_GeomFromText(w)) AS g FROM unnest($1::text[]) WITH ORDINALITY AS u (w, i)),
u AS (
	SELECT ST_Intersection(ST_Union(g), ST_MakeEnvelope(0, 0, 4096, 4096)) AS g FROM f),
p AS (SELECT (ST_Dump(g)).geom AS g FROM u)
SELECT
	(SELECT count(*) FROM f WHERE g IS NULL OR NOT ST_IsValid(g)),
	(SELECT coalesce(sum(ST_Area(ST_Intersection(a.g, b.g))), 0) FROM f a JOIN f b ON a.i < b.i AND a.g && b.g),
	(SELECT coalesce(sum(ST_Area(ST_MakePolygon(ST_InteriorRingN(g, n)))), 0)
	 FROM p, generate_series(1, ST_NumInteriorRings(g)) n)`

// TestDecodedTilesStayACoverage decodes the tiles over Saalfeld (the
// Gemeinden of Saalfeld-Rudolstadt and the Saale-Orla-Kreis) at zoom 5 to
// 12 and checks that the Gemeinden neither overlap nor leave gaps between
// them: less than one tile unit² in all, per tile.
func TestDecodedTilesStayACoverage(t *testing.T) {
	pool := pgtest.NewDB(t)
	importKreise(t, pool, "16073", "16075")
	generalize(t, pool, "gemeinde")
	ctx := context.Background()

	layer := &tiles.Layer{Level: "gemeinde", Day: time.Now().UTC().Truncate(24 * time.Hour)}
	for z := 5; z <= 12; z++ {
		// Saalfeld/Saale
		n := math.Exp2(float64(z))
		lon, lat := 11.37, 50.65
		x := int((lon + 180) / 360 * n)
		r := lat * math.Pi / 180
		y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
		tile := tiles.TileID{Z: z, X: x, Y: y}
		mvt, err := tiles.Render(ctx, pool, layer, tile)
		if err != nil {
			t.Fatal(err)
		}
		features, err := tiles.LayerRings(mvt, "gemeinde")
		if err != nil {
			t.Fatal(err)
		}
		var wkts []string
		for _, f := range features {
			var rings []string
			for _, ring := range f {
				pts := make([]string, 0, len(ring)+1)
				for _, p := range append(ring, ring[0]) {
					pts = append(pts, fmt.Sprintf("%d %d", p[0], p[1]))
				}
				rings = append(rings, "("+strings.Join(pts, ",")+")")
			}
			wkts = append(wkts, "MULTILINESTRING("+strings.Join(rings, ",")+")")
		}
		if len(wkts) < 2 {
			t.Fatalf("tile %s: %d Gemeinden", tile, len(wkts))
		}
		var invalid int
		var overlap, holes float64
		if err := pool.QueryRow(ctx, sqlTileCoverage, wkts).Scan(&invalid, &overlap, &holes); err != nil {
			t.Fatal(err)
		}
		t.Logf("tile %s: %d Gemeinden, overlap %.3f, holes %.3f tile units²", tile, len(wkts), overlap, holes)
		if invalid != 0 || overlap >= 1 || holes >= 1 {
			t.Errorf("tile %s: %d Gemeinden not valid polygons, overlap %.3f and gaps %.3f tile units² (want less than 1 each)",
				tile, invalid, overlap, holes)
		}
	}
}
