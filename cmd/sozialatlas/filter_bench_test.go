package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// benchFilter is a planner's question over all Gemeinden: two indicators
// and a property of the areas.
const benchFilter = "dichte > 1000 AND einwohner >= 5000 AND name LIKE '%a%'"

// sqlBenchFilterFloor answers benchFilter by hand, as bare PostGIS: the
// same Gemeinden with the same geometry as GeoJSON, the values read
// straight from the published cells of their latest period.
const sqlBenchFilterFloor = `
WITH d AS (SELECT max(period) AS p FROM cell_extent WHERE indicator = 'dichte' AND level = 'gemeinde'),
	e AS (SELECT max(period) AS p FROM cell_extent WHERE indicator = 'einwohner' AND level = 'gemeinde')
SELECT a.code, ST_AsGeoJSON(a.geom, 7, 0)
FROM area a
JOIN published_cell cd ON cd.area_id = a.id AND cd.indicator = 'dichte' AND cd.period = (SELECT p FROM d)
JOIN published_cell ce ON ce.area_id = a.id AND ce.indicator = 'einwohner' AND ce.period = (SELECT p FROM e)
WHERE a.level = 'gemeinde' AND (a.valid_to IS NULL OR a.valid_to >= current_date)
	AND (a.valid_from IS NULL OR a.valid_from <= current_date)
	AND cd.suppressed IS NULL AND cd.value > 1000 AND ce.suppressed IS NULL AND ce.value >= 5000 AND a.name LIKE '%a%'
ORDER BY a.code`

// BenchmarkFilterGemeinden runs a CQL2 filter over all 10,997 Gemeinden
// through /items (target: p50 under 50 ms) next to the hand-written query
// over the same rows, interleaved, and reports both medians and their
// ratio.
func BenchmarkFilterGemeinden(b *testing.B) {
	pool := servingPoolOf(b, demoDB(b))
	srv := httptest.NewServer(newRouterOn(pool, serveFlags{maxLimit: 20000}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	ctx := context.Background()
	u := srv.URL + "/collections/gemeinde/items?" + url.Values{"filter": {benchFilter}, "limit": {"20000"}}.Encode()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	var apiT, floorT []time.Duration
	var matched int
	for b.Loop() {
		t0 := time.Now()
		rows, err := pool.Query(ctx, sqlBenchFilterFloor)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if rows.Close(); rows.Err() != nil {
			b.Fatal(rows.Err())
		}
		floorT = append(floorT, time.Since(t0))
		matched = n

		t0 = time.Now()
		res, err := client.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("%s", res.Status)
		}
		apiT = append(apiT, time.Since(t0))
	}
	slices.Sort(apiT)
	slices.Sort(floorT)
	api, floor := apiT[len(apiT)/2], floorT[len(floorT)/2]
	b.ReportMetric(float64(matched), "gemeinden")
	b.ReportMetric(float64(api.Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(floor.Microseconds())/1000, "floor_ms")
	b.ReportMetric(float64(api)/float64(floor), "x_floor")
}

// servingPoolOf opens a pool on the database of pool with the settings
// the service answers requests with (servingConfig).
func servingPoolOf(tb testing.TB, pool *pgxpool.Pool) *pgxpool.Pool {
	p, err := pgxpool.NewWithConfig(context.Background(), servingConfig(pool.Config(), 0))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}
