package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/tiles"
)

// BenchmarkSoak runs the service under a mixed load for a long time and
// watches whether it stays the same: wrk, in a process of its own, keeps
// 64 connections busy with vector tiles, GeoJSON pages, filters, value
// tables, classifications and area profiles, in rounds (default 10 of
// 60 s: SOAK_ROUNDS, SOAK_ROUND), and after each round the service's heap,
// resident memory and goroutines are read. Stable means the last round's
// throughput, p99 and heap are those of the first within noise. The
// first round starts with an empty tile cache.
// Run: make soak, or go run ./data/pgtest/run -- go test -run '^$' -bench Soak -benchtime 1x -timeout 60m ./cmd/sozialatlas/
func BenchmarkSoak(b *testing.B) {
	rounds, round := 10, 60*time.Second
	if v, err := strconv.Atoi(os.Getenv("SOAK_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	if v, err := time.ParseDuration(os.Getenv("SOAK_ROUND")); err == nil && v > 0 {
		round = v
	}
	tool(b, "wrk")
	ctx := context.Background()
	pool := demoDB(b)
	paths := soakPaths(ctx, b, pool)
	script := wrkScript(b, paths)
	flags := serveFlags{maxLimit: 20000, tileCacheMiB: tiles.DefaultCacheBytes >> 20, tileVersionAge: time.Second}
	srv := httptest.NewServer(newRouterOn(servingPoolOf(b, pool), flags, slog.New(slog.DiscardHandler)))
	defer srv.Close()

	fmt.Fprintf(os.Stderr, "soak: %d paths (%d tiles), %d rounds of %s at 64 connections\n", len(paths), countPrefix(paths, "/tiles/"), rounds, round)
	fmt.Fprintf(os.Stderr, "%5s %10s %9s %9s %8s %6s %9s %9s %10s\n", "round", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors", "heap MiB", "RSS MiB", "goroutines")
	var first, last wrkFigures
	var firstHeap, lastHeap float64
	for i := range rounds {
		// a request counts as failed when it fails, not when it waits
		// longer than wrk's 2 s default behind 63 others
		f := runWrk(b, script, srv.URL, round, "--timeout", "30s")
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		heap := float64(m.HeapInuse) / (1 << 20)
		fmt.Fprintf(os.Stderr, "%5d %10.0f %9.2f %9.2f %8d %6d %9.1f %9.1f %10d\n", i+1, f.perSecond, f.p50ms, f.p99ms, f.non2xx, f.errs,
			heap, rssMiB(b), runtime.NumGoroutine())
		if f.non2xx > 0 || f.errs > 0 {
			b.Errorf("round %d: %d answers not 2xx/3xx, %d socket errors", i+1, f.non2xx, f.errs)
		}
		if i == 0 {
			first, firstHeap = f, heap
		}
		last, lastHeap = f, heap
	}
	fmt.Fprintf(os.Stderr, "last/first round: req/s %.2f×, p99 %.2f×, heap %.2f×\n",
		last.perSecond/first.perSecond, last.p99ms/first.p99ms, lastHeap/firstHeap)
	b.ReportMetric(last.perSecond/first.perSecond, "last/first-req/s")
	b.ReportMetric(last.p99ms/first.p99ms, "last/first-p99")
	b.ReportMetric(lastHeap/firstHeap, "last/first-heap")
}

// soakPaths mixes what a county's users ask for: two in three requests are
// tiles of a planner panning (Gemeinden with three indicators, Kreise by
// density), the rest GeoJSON pages of the Kreise and Gemeinden, bounding
// boxes, CQL2 filters, value tables, classifications and area profiles.
func soakPaths(ctx context.Context, b *testing.B, pool *pgxpool.Pool) []string {
	b.Helper()
	var kreise []string
	rows, err := pool.Query(ctx, `SELECT code FROM area WHERE level = 'kreis' AND valid_to IS NULL ORDER BY code`)
	if err != nil {
		b.Fatal(err)
	}
	var code string
	if _, err := pgx.ForEachRow(rows, []any{&code}, func() error {
		kreise = append(kreise, code)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2026, 7))
	others := []func() string{
		func() string {
			return fmt.Sprintf("/collections/kreis/items?limit=50&offset=%d&indicators=dichte,einwohner", rng.IntN(8)*50)
		},
		func() string {
			lon, lat := 6+rng.Float64()*8, 48+rng.Float64()*5
			return fmt.Sprintf("/collections/gemeinde/items?bbox=%.2f,%.2f,%.2f,%.2f&limit=100&indicators=dichte", lon, lat, lon+0.3, lat+0.2)
		},
		func() string {
			return fmt.Sprintf("/collections/gemeinde/items?filter=dichte%%20%%3E%%20%d&limit=20&sortby=-dichte", 500+rng.IntN(2000))
		},
		func() string { return "/indicators/dichte/values?level=kreis" },
		func() string {
			return "/indicators/einwohner/classes?level=gemeinde&method=" + []string{"quantile", "jenks", "equal"}[rng.IntN(3)]
		},
		func() string { return "/areas/kreis/" + kreise[rng.IntN(len(kreise))] + "/profile?series=true" },
		func() string {
			return "/collections/kreis/items/" + kreise[rng.IntN(len(kreise))] + "?indicators=dichte"
		},
	}
	var out []string
	tilesQuery := "?indicators=" + strings.Join(benchTileIndicators, ",")
	for i, t := range panningTiles(ctx, b, pool) {
		if i%2 == 0 {
			out = append(out, fmt.Sprintf("/tiles/gemeinde/%d/%d/%d.mvt%s", t.z, t.x, t.y, tilesQuery))
		} else {
			out = append(out, fmt.Sprintf("/tiles/kreis/%d/%d/%d.mvt?indicators=dichte", t.z, t.x, t.y))
		}
		if i%2 == 1 {
			out = append(out, others[rng.IntN(len(others))]())
		}
	}
	return out
}

func countPrefix(paths []string, prefix string) int {
	n := 0
	for _, p := range paths {
		if strings.HasPrefix(p, prefix) {
			n++
		}
	}
	return n
}

// rssMiB is this process's resident memory (the service runs in it).
func rssMiB(b *testing.B) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
