package tiles_test

import (
	"context"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/tiles"
)

// The package's TestMain (main_test.go) starts the test cluster.

// generalize runs Generalize for the levels in one committed transaction.
func generalize(t testing.TB, pool *pgxpool.Pool, levels ...string) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	for _, level := range levels {
		if err := tiles.Generalize(ctx, tx, level); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func queryFloat(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) float64 {
	t.Helper()
	var f *float64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&f); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if f == nil {
		return 0
	}
	return *f
}

func queryInt(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// sqlBandGeom is the band's geometry of one level's areas, as g(code, geom).
const sqlBandGeom = `g AS (SELECT a.code, t.geom FROM tile_geom t JOIN area a ON a.id = t.area_id
	WHERE a.level = $1 AND t.band = $2)`

// sqlUnsharedVertices counts the vertices that lie on a neighbour's
// geometry but are not among the neighbour's vertices: zero when every pair
// of neighbours walks its common border through the same points.
const sqlUnsharedVertices = `WITH ` + sqlBandGeom + `,
pairs AS (SELECT x.code AS a, y.code AS b, x.geom AS ga, y.geom AS gb
	FROM g x JOIN g y ON x.code < y.code AND ST_Intersects(x.geom, y.geom)),
pa AS (SELECT a, b, ST_X(d.geom) AS x, ST_Y(d.geom) AS y FROM pairs, ST_DumpPoints(ga) d WHERE ST_Intersects(d.geom, gb)),
pb AS (SELECT a, b, ST_X(d.geom) AS x, ST_Y(d.geom) AS y FROM pairs, ST_DumpPoints(gb) d WHERE ST_Intersects(d.geom, ga))
SELECT count(*) FROM ((SELECT * FROM pa EXCEPT SELECT * FROM pb) UNION ALL (SELECT * FROM pb EXCEPT SELECT * FROM pa)) d`

// sqlOverlapArea sums the areas that two areas of the band both cover.
const sqlOverlapArea = `WITH ` + sqlBandGeom + `
SELECT coalesce(sum(ST_Area(ST_Intersection(x.geom, y.geom))), 0) FROM g x JOIN g y
	ON x.code < y.code AND ST_Intersects(x.geom, y.geom)`

// Synthetic coverages in Web Mercator metres near Jena, each group apart
// from the others. Borders between neighbours wiggle by 10 m: straightened
// at bands up to 8 (tolerance 19.1 m), kept from band 10 (4.8 m) on.
var synthetic = []struct{ code, wkt string }{
	// Two squares sharing a zig-zag edge.
	{"z1", "MULTIPOLYGON(((0 0,1000 0,1010 250,990 500,1010 750,1000 1000,0 1000,0 0)))"},
	{"z2", "MULTIPOLYGON(((1000 0,2000 0,2000 1000,1000 1000,1010 750,990 500,1010 250,1000 0)))"},
	// A T-junction: t1 on the left, t2 and t3 on the right meet it at (1000, 1000).
	{"t1", "MULTIPOLYGON(((0 0,1000 0,1010 500,1000 1000,990 1500,1000 2000,0 2000,0 0)))"},
	{"t2", "MULTIPOLYGON(((1000 0,2000 0,2000 1000,1500 1010,1000 1000,1010 500,1000 0)))"},
	{"t3", "MULTIPOLYGON(((1000 1000,1500 1010,2000 1000,2000 2000,1000 2000,990 1500,1000 1000)))"},
	// A square with a hole that another polygon fills: no node at all.
	{"h1", "MULTIPOLYGON(((0 0,3000 0,3000 3000,0 3000,0 0),(1000 1000,1000 2000,1500 2010,2000 2000,2000 1000,1500 990,1000 1000)))"},
	{"h2", "MULTIPOLYGON(((1000 1000,1500 990,2000 1000,2000 2000,1500 2010,1000 2000,1000 1000)))"},
	// An island of 200 m: gone at band 4 (tolerance 306 m), whole from band 6 (76 m).
	{"i1", "MULTIPOLYGON(((0 0,200 0,200 200,0 200,0 0)))"},
}

// syntheticOrigin places group g (its code's letter) on the map.
func syntheticOrigin(code string) (x, y float64) {
	return 1290000 + 10000*float64(strings.Index("zthi", code[:1])), 6580000
}

func TestGeneralizeSynthetic(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	for _, a := range synthetic {
		x, y := syntheticOrigin(a.code)
		if _, err := pool.Exec(ctx, `
			WITH s AS (SELECT ST_Translate(ST_GeomFromText($2, 3857), $3, $4) AS g)
			INSERT INTO area (level, code, name, geom, geom_3857) SELECT 'gemeinde', $1, $1, ST_Transform(g, 4326), g FROM s`,
			a.code, a.wkt, x, y); err != nil {
			t.Fatalf("%s: %v", a.code, err)
		}
	}
	generalize(t, pool, "gemeinde")

	// Points per area and band (rings closed): the wiggles go below band 10,
	// the island below band 6.
	want := map[int]string{
		4:  "h1 10, h2 5, t1 6, t2 5, t3 5, z1 5, z2 5",
		6:  "h1 10, h2 5, i1 5, t1 6, t2 5, t3 5, z1 5, z2 5",
		8:  "h1 10, h2 5, i1 5, t1 6, t2 5, t3 5, z1 5, z2 5",
		10: "h1 12, h2 7, i1 5, t1 8, t2 7, t3 7, z1 8, z2 8",
		12: "h1 12, h2 7, i1 5, t1 8, t2 7, t3 7, z1 8, z2 8",
		14: "h1 12, h2 7, i1 5, t1 8, t2 7, t3 7, z1 8, z2 8",
	}
	for _, band := range tiles.Bands {
		var got string
		if err := pool.QueryRow(ctx, `WITH `+sqlBandGeom+`
			SELECT string_agg(code || ' ' || ST_NPoints(geom), ', ' ORDER BY code) FROM g`, "gemeinde", band).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want[band] {
			t.Errorf("band %d: points %s, want %s", band, got, want[band])
		}
		if n := queryInt(t, pool, sqlUnsharedVertices, "gemeinde", band); n != 0 {
			t.Errorf("band %d: %d vertices on a neighbour that the neighbour does not have", band, n)
		}
		if n := queryInt(t, pool, `WITH `+sqlBandGeom+` SELECT count(*) FROM g WHERE NOT ST_IsValid(geom)`, "gemeinde", band); n != 0 {
			t.Errorf("band %d: %d invalid geometries", band, n)
		}
		// Per group: the union's area is the sum of the areas (no overlap),
		// and, since the groups' outer borders are straight, the area of the
		// unsimplified union (no gap).
		rows, err := pool.Query(ctx, `WITH `+sqlBandGeom+`,
			o AS (SELECT left(code, 1) AS grp, ST_Area(ST_Union(geom_3857)) AS area FROM area WHERE level = $1 GROUP BY 1)
			SELECT left(g.code, 1), sum(ST_Area(g.geom)), ST_Area(ST_Union(g.geom)), min(o.area)
			FROM g JOIN o ON o.grp = left(g.code, 1) GROUP BY 1 ORDER BY 1`, "gemeinde", band)
		if err != nil {
			t.Fatal(err)
		}
		type sums struct {
			Group             string
			Sum, Union, Whole float64
		}
		got2, err := pgx.CollectRows(rows, pgx.RowToStructByPos[sums])
		if err != nil {
			t.Fatal(err)
		}
		if len(got2) != 3+min(1, band/6) {
			t.Errorf("band %d: %d groups", band, len(got2))
		}
		for _, s := range got2 {
			if math.Abs(s.Union-s.Sum) > 1e-6*s.Sum || math.Abs(s.Union-s.Whole) > 1e-6*s.Whole {
				t.Errorf("band %d group %s: Σ area %.3f, union %.3f, unsimplified union %.3f", band, s.Group, s.Sum, s.Union, s.Whole)
			}
		}
	}
}

func TestGeneralizeUnknownLevel(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	err = tiles.Generalize(ctx, tx, "dorf")
	if err == nil || err.Error() != `generalize: unknown level "dorf"` {
		t.Errorf("err = %v", err)
	}
}

func vg5000(layer string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "data", "demo", "vg5000-2021", "VG5000_"+layer+".shp")
}

// importKreise imports the Kreise and their Gemeinden (land parts) without
// parents.
func importKreise(t testing.TB, pool *pgxpool.Pool, kreise ...string) {
	t.Helper()
	s := geo.NewStore(pool)
	for _, k := range kreise {
		for _, in := range []geo.AreaImport{
			{Path: vg5000("KRS"), Level: "kreis", CodeField: "ARS", NameField: "GEN", Where: map[string]string{"ARS": k}},
			{Path: vg5000("GEM"), Level: "gemeinde", CodeField: "ARS", NameField: "GEN",
				Where: map[string]string{"GF": "9", "SN_L": k[:2], "SN_R": k[2:3], "SN_K": k[3:]}},
		} {
			if _, err := s.ImportAreas(context.Background(), in); err != nil {
				t.Fatalf("import %s %s: %v", in.Level, k, err)
			}
		}
	}
}

// Saalfeld-Rudolstadt and its neighbour Saale-Orla-Kreis: 26 + 59 Gemeinden.
func TestGeneralizeVG5000(t *testing.T) {
	pool := pgtest.NewDB(t)
	importKreise(t, pool, "16073", "16075")
	start := time.Now()
	generalize(t, pool, "gemeinde", "kreis")
	t.Logf("generalized in %v", time.Since(start))

	const level = "gemeinde"
	// Neighbours: pairs of Gemeinden with a common border (not just a point).
	pairs := queryInt(t, pool, `SELECT count(*) FROM area x JOIN area y ON x.level = $1 AND y.level = $1
		AND x.code < y.code AND ST_Relate(x.geom_3857, y.geom_3857, 'F***1****')`, level)
	if pairs != 213 {
		t.Errorf("%d neighbouring pairs, want 213", pairs)
	}
	holes := func(union string) string {
		return `SELECT sum(ST_Area(ST_MakePolygon(ST_ExteriorRing(d.geom))) - ST_Area(d.geom)) FROM ST_Dump((` + union + `)) d`
	}
	if h := queryFloat(t, pool, holes(`SELECT ST_Union(geom_3857) FROM area WHERE level = $1`), level); h != 0 {
		t.Fatalf("the unsimplified Gemeinden leave holes of %.1f m²", h)
	}

	points := make(map[int]int)
	for _, band := range tiles.Bands {
		points[band] = queryInt(t, pool, `WITH `+sqlBandGeom+` SELECT sum(ST_NPoints(geom)) FROM g`, level, band)
	}
	// VG5000 is drawn for 1:5,000,000: its vertices lie about a kilometre
	// apart, so only the lowest bands drop many.
	want := map[int]int{4: 1318, 6: 1335, 8: 1337, 10: 1338, 12: 1338, 14: 1338}
	for i, band := range tiles.Bands {
		if points[band] != want[band] {
			t.Errorf("band %d: %d points, want %d", band, points[band], want[band])
		}
		if i > 0 && points[tiles.Bands[i-1]] > points[band] {
			t.Errorf("band %d has more points than band %d", tiles.Bands[i-1], band)
		}
	}

	for _, band := range []int{6, 8, 10, 12} {
		unit := tiles.TileUnit(band)
		limit := float64(pairs) * unit * unit
		overlap := queryFloat(t, pool, sqlOverlapArea, level, band)
		gaps := queryFloat(t, pool, holes(`WITH `+sqlBandGeom+` SELECT ST_Union(geom) FROM g`), level, band)
		// Each Kreis against the union of its generalized Gemeinden: they
		// differ where the Kreis' outer border was simplified, by up to the
		// tolerance along it, never inside.
		moved := queryFloat(t, pool, `WITH `+sqlBandGeom+`
			SELECT sum(ST_Area(ST_SymDifference(k.geom_3857,
				(SELECT ST_Union(g.geom) FROM g WHERE left(g.code, 5) = k.code))))
			FROM area k WHERE k.level = 'kreis'`, level, band)
		perimeter := queryFloat(t, pool, `SELECT sum(ST_Perimeter(geom_3857)) FROM area WHERE level = 'kreis'`)
		t.Logf("band %d: unit %.1f m, overlap %.3f m², gaps %.3f m², outer border moved %.0f m² (limit %.0f m²)",
			band, unit, overlap, gaps, moved, limit)
		// Borders are shared by construction: not a square metre apart,
		// well below the limit of a tile unit squared per pair.
		if overlap != 0 || gaps != 0 {
			t.Errorf("band %d: overlap %.3f m², gaps %.3f m², want none (and at most %.0f m²)", band, overlap, gaps, limit)
		}
		// From band 10 on, no vertex of these Gemeinden is dropped.
		if moved > unit*perimeter || band >= 10 && moved != 0 {
			t.Errorf("band %d: outer border moved %.0f m², want below %.0f m²", band, moved, unit*perimeter)
		}
		if n := queryInt(t, pool, sqlUnsharedVertices, level, band); n != 0 {
			t.Errorf("band %d: %d vertices on a neighbour that the neighbour does not have", band, n)
		}
		for _, lvl := range []string{"gemeinde", "kreis"} {
			if n := queryInt(t, pool, `WITH `+sqlBandGeom+` SELECT count(*) FROM g WHERE NOT ST_IsValid(geom)`, lvl, band); n != 0 {
				t.Errorf("band %d: %d invalid %s geometries", band, n, lvl)
			}
		}
	}

	// GeneralizeAll rebuilds both levels to the same rows, byte for byte.
	const sqlDigest = `SELECT count(*) || ' ' || md5(string_agg(t.band || ' ' || a.code || ' ' || encode(ST_AsBinary(t.geom), 'hex'), ',' ORDER BY t.band, a.code))
		FROM tile_geom t JOIN area a ON a.id = t.area_id`
	var before, after string
	ctx := context.Background()
	if err := pool.QueryRow(ctx, sqlDigest).Scan(&before); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	if err := tiles.GeneralizeAll(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, sqlDigest).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(before, "522 ") || after != before {
		t.Errorf("tile_geom before GeneralizeAll: %s, after: %s; want 522 rows (87 areas × 6 bands) alike", before, after)
	}
}

// sqlBandGeomOn is sqlBandGeom for the area versions valid on day $3.
const sqlBandGeomOn = `g AS (SELECT a.code, t.geom FROM tile_geom t JOIN area a ON a.id = t.area_id
	WHERE a.level = $1 AND t.band = $2 AND daterange(a.valid_from, a.valid_to, '[]') @> $3::date)`

// onDay narrows a query over sqlBandGeom to the versions valid on a day.
func onDay(sql string) string { return strings.Replace(sql, sqlBandGeom, sqlBandGeomOn, 1) }

// Berlin's Prognoseräume before and after the 2021 reform, generalized
// together: on either day, the versions valid then form a coverage.
func TestGeneralizeBerlinVersions(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	lor := func(file string) string {
		_, src, _, _ := runtime.Caller(0)
		return filepath.Join(filepath.Dir(src), "..", "data", "demo", "berlin-lor", file)
	}
	end2020, start2021 := time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, in := range []geo.AreaImport{
		{Path: lor("forecast-areas-until-2020.geojson"), Level: "prognoseraum", CodeField: "id", NameField: "name", ValidTo: &end2020},
		{Path: lor("forecast-areas-from-2021.geojson"), Level: "prognoseraum", CodeField: "id", NameField: "name", ValidFrom: &start2021},
	} {
		if _, err := s.ImportAreas(context.Background(), in); err != nil {
			t.Fatalf("import %s: %v", filepath.Base(in.Path), err)
		}
	}
	start := time.Now()
	generalize(t, pool, "prognoseraum")
	t.Logf("generalized in %v", time.Since(start))

	const level = "prognoseraum"
	holes := onDay(`WITH ` + sqlBandGeom + `, u AS (SELECT ST_Union(geom) AS geom FROM g)
		SELECT sum(ST_Area(ST_MakePolygon(ST_ExteriorRing(d.geom))) - ST_Area(d.geom)) FROM u, ST_Dump(u.geom) d`)
	for _, tc := range []struct {
		day    string
		areas  int
		points map[int]int
	}{
		{"2020-06-30", 60, map[int]int{}},
		{"2022-06-30", 58, map[int]int{}},
	} {
		// What the source has at full detail: the old Prognoseräume overlap
		// a little where two of them disagree about their border.
		sourceOverlap := queryFloat(t, pool, onDay(sqlOverlapArea), level, tiles.Bands[len(tiles.Bands)-1], tc.day)
		sourceHoles := queryFloat(t, pool, holes, level, tiles.Bands[len(tiles.Bands)-1], tc.day)
		for _, band := range tiles.Bands {
			n := queryInt(t, pool, onDay(`WITH `+sqlBandGeom+` SELECT count(*) FROM g`), level, band, tc.day)
			points := queryInt(t, pool, onDay(`WITH `+sqlBandGeom+` SELECT sum(ST_NPoints(geom)) FROM g`), level, band, tc.day)
			overlap := queryFloat(t, pool, onDay(sqlOverlapArea), level, band, tc.day)
			gaps := queryFloat(t, pool, holes, level, band, tc.day)
			unshared := queryInt(t, pool, onDay(sqlUnsharedVertices), level, band, tc.day)
			invalid := queryInt(t, pool, onDay(`WITH `+sqlBandGeom+` SELECT count(*) FROM g WHERE NOT ST_IsValid(geom)`), level, band, tc.day)
			t.Logf("%s band %d: %d areas, %d points, overlap %.3f m², holes %.3f m²", tc.day, band, n, points, overlap, gaps)
			if n != tc.areas || unshared != 0 || invalid != 0 {
				t.Errorf("%s band %d: %d areas, %d unshared vertices, %d invalid; want %d, 0, 0", tc.day, band, n, unshared, invalid, tc.areas)
			}
			if math.Abs(overlap-sourceOverlap) > 1e-6 || math.Abs(gaps-sourceHoles) > 1e-6 {
				t.Errorf("%s band %d: overlap %.6f m², holes %.6f m²; want the source's %.6f and %.6f",
					tc.day, band, overlap, gaps, sourceOverlap, sourceHoles)
			}
			tc.points[band] = points
		}
		for i := 1; i < len(tiles.Bands); i++ {
			if lo, hi := tiles.Bands[i-1], tiles.Bands[i]; tc.points[lo] >= tc.points[hi] {
				t.Errorf("%s: band %d has %d points, band %d %d; want fewer at the lower band", tc.day, lo, tc.points[lo], hi, tc.points[hi])
			}
		}
	}
}
