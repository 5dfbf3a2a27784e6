package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// sqlGemeindeFloor is the least any GeoJSON service must do for the same
// response: PostGIS writes every current Gemeinde's geometry as GeoJSON at
// the API's default precision, and the client reads every byte.
const sqlGemeindeFloor = `
SELECT ST_AsGeoJSON(geom, 7) FROM area
WHERE level = 'gemeinde' AND daterange(valid_from, valid_to, '[]') @> current_date
ORDER BY code`

// BenchmarkGemeindeCollection fetches all 10,997 Gemeinden as one GeoJSON
// response through the service, next to the bare ST_AsGeoJSON query over
// the same rows in the same run (the floor), and reports both and their
// ratio.
func BenchmarkGemeindeCollection(b *testing.B) {
	pool := demoDB(b)
	srv := httptest.NewServer(newRouterOn(pool, serveFlags{maxLimit: 20000}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	ctx := context.Background()
	url := srv.URL + "/collections/gemeinde/items?limit=20000"

	floor := func() (int64, error) {
		rows, err := pool.Query(ctx, sqlGemeindeFloor)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		var n int64
		for rows.Next() {
			n += int64(len(rows.RawValues()[0]))
		}
		return n, rows.Err()
	}
	// The floor reads uncompressed text; so does this client, to compare
	// like with like (a browser would also get it gzipped).
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	api := func() (int64, error) {
		res, err := client.Get(url)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		return io.Copy(io.Discard, res.Body)
	}

	var floorTime, apiTime time.Duration
	var floorBytes, apiBytes int64
	for b.Loop() {
		t0 := time.Now()
		n, err := floor()
		if err != nil {
			b.Fatal(err)
		}
		floorTime += time.Since(t0)
		floorBytes = n

		t0 = time.Now()
		n, err = api()
		if err != nil {
			b.Fatal(err)
		}
		apiTime += time.Since(t0)
		apiBytes = n
	}
	runs := float64(b.N)
	b.ReportMetric(floorTime.Seconds()/runs, "floor-s")
	b.ReportMetric(apiTime.Seconds()/runs, "api-s")
	b.ReportMetric(apiTime.Seconds()/floorTime.Seconds(), "api/floor")
	b.ReportMetric(float64(floorBytes)/1e6, "floor-MB")
	b.ReportMetric(float64(apiBytes)/1e6, "api-MB")
}
