package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/indicators"
	"github.com/sozialatlas/sozialatlas/tiles"
)

// The tile benchmark's layer: the Gemeinden with three indicators.
var benchTileIndicators = []string{"einwohner", "anteil_weiblich", "dichte"}

// tileXYZ is a tile address.
type tileXYZ struct{ z, x, y int }

// lonLatTile is the Web Mercator tile holding a point.
func lonLatTile(lon, lat float64, z int) tileXYZ {
	n := float64(int(1) << z)
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	return tileXYZ{z, x, y}
}

// panningTiles is what a planner panning over Germany asks for: every tile
// of zoom 5 to 8 over the country, and at zoom 9 to 14 around towns (a
// Gemeinde of 20,000 residents or more, drawn at random with a fixed seed)
// the tile there and a neighbour.
func panningTiles(ctx context.Context, b *testing.B, pool *pgxpool.Pool) []tileXYZ {
	b.Helper()
	var w, s, e, n float64
	if err := pool.QueryRow(ctx, `SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x)
		FROM (SELECT ST_Extent(geom) AS x FROM area WHERE level = 'staat') q`).Scan(&w, &s, &e, &n); err != nil {
		b.Fatal(err)
	}
	var list []tileXYZ
	for z := 5; z <= 8; z++ {
		lo, hi := lonLatTile(w, n, z), lonLatTile(e, s, z)
		for x := lo.x; x <= hi.x; x++ {
			for y := lo.y; y <= hi.y; y++ {
				list = append(list, tileXYZ{z, x, y})
			}
		}
	}
	rows, err := pool.Query(ctx, `SELECT ST_X(a.label_point), ST_Y(a.label_point)
		FROM area a JOIN published_cell c ON c.area_id = a.id AND c.indicator = 'einwohner'
		WHERE a.level = 'gemeinde' AND a.label_point IS NOT NULL AND c.value >= 20000
		  AND daterange(a.valid_from, a.valid_to, '[]') @> current_date
		ORDER BY a.code, c.period DESC`)
	if err != nil {
		b.Fatal(err)
	}
	var towns [][2]float64
	var lon, lat float64
	if _, err := pgx.ForEachRow(rows, []any{&lon, &lat}, func() error {
		towns = append(towns, [2]float64{lon, lat})
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	for z := 9; z <= 14; z++ {
		for range 100 {
			t := towns[rng.IntN(len(towns))]
			at := lonLatTile(t[0], t[1], z)
			list = append(list, at, tileXYZ{z, at.x + rng.IntN(3) - 1, at.y + rng.IntN(3) - 1})
		}
	}
	return list
}

// loadFigures is what one load run measured.
type loadFigures struct {
	requests  int
	wall      time.Duration
	latencies []time.Duration
	wire, mvt int64 // bytes transferred (gzip) and of the tiles themselves
	status    map[int]int
}

func (f loadFigures) perSecond() float64 { return float64(f.requests) / f.wall.Seconds() }

func (f loadFigures) quantile(q float64) time.Duration {
	l := slices.Clone(f.latencies)
	slices.Sort(l)
	return l[min(len(l)-1, int(q*float64(len(l))))]
}

func (f loadFigures) meanMVT() float64 {
	tiles := f.status[http.StatusOK]
	if tiles == 0 {
		return 0
	}
	return float64(f.mvt) / float64(tiles)
}

// load requests every path passes times over conns connections, as a
// browser does (gzip accepted), and keeps what came back in keep.
func load(b *testing.B, base string, paths []string, conns, passes int, keep map[string][]byte) loadFigures {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	total := len(paths) * passes
	lat := make([]time.Duration, total)
	var next atomic.Int64
	var wire, mvt atomic.Int64
	var mu sync.Mutex
	status := map[int]int{}
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				path := paths[i%len(paths)]
				req, _ := http.NewRequest("GET", base+path, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Store(err)
					return
				}
				wire.Add(int64(len(body)))
				if res.StatusCode == http.StatusOK {
					raw := body
					if res.Header.Get("Content-Encoding") == "gzip" {
						zr, err := gzip.NewReader(bytes.NewReader(body))
						if err == nil {
							raw, err = io.ReadAll(zr)
						}
						if err != nil {
							failed.Store(err)
							return
						}
					}
					mvt.Add(int64(len(raw)))
				}
				mu.Lock()
				status[res.StatusCode]++
				if keep != nil && i < len(paths) {
					if res.StatusCode == http.StatusOK {
						keep[path] = body
					} else {
						keep[path] = nil
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	return loadFigures{requests: total, wall: time.Since(start), latencies: lat, wire: wire.Load(), mvt: mvt.Load(), status: status}
}

// sqlNaiveTile is what general-purpose PostGIS tile servers run: the stored
// geometry of every area in the tile, transformed, clipped and quantized
// by ST_AsMVTGeom per request, with the same attributes and label layer as
// the service's tiles.
func sqlNaiveTile(inds []string) string {
	var cols, joins strings.Builder
	for i, k := range inds {
		fmt.Fprintf(&cols, ", v%d.value AS %s, v%d.status AS %s, v%d.suppressed AS %s", i,
			pgx.Identifier{k}.Sanitize(), i, pgx.Identifier{k + "_status"}.Sanitize(), i, pgx.Identifier{k + "_suppressed"}.Sanitize())
		fmt.Fprintf(&joins, " LEFT JOIN %s v%d ON v%d.area_id = a.id AND v%d.indicator = $%d AND v%d.period = $%d",
			indicators.TileCellsSQL, i, i, i, 4+2*i, i, 5+2*i)
	}
	return `
SELECT coalesce((SELECT ST_AsMVT(m, 'gemeinde', 4096, 'geom', 'id') FROM (
	SELECT a.id, a.code, a.name` + cols.String() + `,
		ST_AsMVTGeom(a.geom_3857, ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
	FROM area a` + joins.String() + `
	WHERE a.level = 'gemeinde' AND daterange(a.valid_from, a.valid_to, '[]') @> current_date
	  AND a.geom_3857 && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)) m
	WHERE m.geom IS NOT NULL), ''::bytea)
	|| coalesce((SELECT ST_AsMVT(l, 'gemeinde_labels', 4096, 'geom', 'id') FROM (
	SELECT a.id, a.code, a.name,
		ST_AsMVTGeom(ST_Transform(a.label_point, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
	FROM area a
	WHERE a.level = 'gemeinde' AND daterange(a.valid_from, a.valid_to, '[]') @> current_date
	  AND a.geom_3857 && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)) l
	WHERE l.geom IS NOT NULL), ''::bytea)`
}

// naiveServer answers /{z}/{x}/{y} with sqlNaiveTile, gzipped as the
// service's tiles are, 204 for an empty tile.
func naiveServer(b *testing.B, pool *pgxpool.Pool, periods []time.Time) *httptest.Server {
	b.Helper()
	sql := sqlNaiveTile(benchTileIndicators)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
		var zxy [3]int
		for i := range zxy {
			zxy[i], _ = strconv.Atoi(strings.TrimSuffix(parts[i], ".mvt"))
		}
		args := []any{zxy[0], zxy[1], zxy[2]}
		for i, k := range benchTileIndicators {
			args = append(args, k, periods[i])
		}
		var mvt []byte
		if err := pool.QueryRow(r.Context(), sql, args...).Scan(&mvt); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if len(mvt) == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(mvt) //nolint:errcheck // a bytes.Buffer does not fail
		zw.Close()    //nolint:errcheck // as above
		w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(buf.Bytes()) //nolint:errcheck // the client's loss
	}))
	b.Cleanup(srv.Close)
	return srv
}

// memoryServer serves tiles from memory: the floor of any tile server.
func memoryServer(b *testing.B, tiles map[string][]byte) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := tiles[r.URL.RequestURI()]
		switch {
		case !ok:
			http.NotFound(w, r)
		case body == nil:
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(body) //nolint:errcheck // the client's loss
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkTiles drives the service's tiles with a panning user's requests
// at 8 and 64 connections, cold (a fresh service, empty cache) and warm,
// next to two floors measured in the same run: the naive per-request query
// of general PostGIS tile servers, and the same tile bytes served from
// memory. It prints tiles/s, p50/p99 latency and mean tile bytes for each,
// and the ratios the targets are stated in: cold ≥ 2× naive with tiles no
// larger, warm ≥ 0.5× memory, warm p99 < 10 ms at 64 connections.
func BenchmarkTiles(b *testing.B) {
	ctx := context.Background()
	pool := demoDB(b)
	list := panningTiles(ctx, b, pool)
	query := "?indicators=" + strings.Join(benchTileIndicators, ",")
	paths := make([]string, len(list))
	naivePaths := make([]string, len(list))
	for i, t := range list {
		paths[i] = fmt.Sprintf("/tiles/gemeinde/%d/%d/%d.mvt%s", t.z, t.x, t.y, query)
		naivePaths[i] = fmt.Sprintf("/%d/%d/%d.mvt", t.z, t.x, t.y)
	}
	_, ind := stores(pool)
	latest, err := ind.LatestPeriods(ctx, "gemeinde", benchTileIndicators, nil, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	periods := make([]time.Time, len(benchTileIndicators))
	for i, k := range benchTileIndicators {
		periods[i] = latest[k]
	}
	naive := naiveServer(b, pool, periods)

	overview := 0
	for _, t := range list {
		if t.z <= 8 {
			overview++
		}
	}
	log := slog.New(slog.DiscardHandler)
	var lastKept map[string][]byte
	for b.Loop() {
		fmt.Fprintf(os.Stderr, "%d requests: %d tiles of z5–z8 over Germany, %d around towns at z9–z14\n",
			len(list), overview, len(list)-overview)
		fmt.Fprintf(os.Stderr, "%-28s %10s %9s %9s %10s %10s\n", "", "tiles/s", "p50 ms", "p99 ms", "MVT B", "wire B")
		row := func(name string, f loadFigures) {
			fmt.Fprintf(os.Stderr, "%-28s %10.0f %9.2f %9.2f %10.0f %10.0f  %v\n", name, f.perSecond(),
				float64(f.quantile(0.5).Microseconds())/1000, float64(f.quantile(0.99).Microseconds())/1000,
				f.meanMVT(), float64(f.wire)/float64(f.requests), f.status)
		}
		for _, conns := range []int{8, 64} {
			// a fresh service with serve's defaults: an empty cache
			flags := serveFlags{maxLimit: 20000, tileCacheMiB: tiles.DefaultCacheBytes >> 20, tileVersionAge: time.Second}
			srv := httptest.NewServer(newRouterOn(pool, flags, log))
			kept := map[string][]byte{}
			cold := load(b, srv.URL, paths, conns, 1, kept)
			warm := load(b, srv.URL, paths, conns, 3, nil)
			srv.Close()
			naiveF := load(b, naive.URL, naivePaths, conns, 1, nil)
			mem := memoryServer(b, kept)
			memF := load(b, mem.URL, paths, conns, 3, nil)
			mem.Close()
			row(fmt.Sprintf("service cold, %d conns", conns), cold)
			row(fmt.Sprintf("service warm, %d conns", conns), warm)
			row(fmt.Sprintf("naive query, %d conns", conns), naiveF)
			row(fmt.Sprintf("from memory, %d conns", conns), memF)
			fmt.Fprintf(os.Stderr, "ratios at %d conns: cold/naive %.2f× (target ≥ 2), MVT bytes cold/naive %.2f (target ≤ 1), warm/memory %.2f× (target ≥ 0.5), warm p99 %.2f ms (target < 10 at 64)\n",
				conns, cold.perSecond()/naiveF.perSecond(), cold.meanMVT()/naiveF.meanMVT(), warm.perSecond()/memF.perSecond(),
				float64(warm.quantile(0.99).Microseconds())/1000)
			b.ReportMetric(cold.perSecond()/naiveF.perSecond(), fmt.Sprintf("cold/naive-%dc", conns))
			b.ReportMetric(warm.perSecond()/memF.perSecond(), fmt.Sprintf("warm/memory-%dc", conns))
			b.ReportMetric(float64(warm.quantile(0.99).Microseconds())/1000, fmt.Sprintf("warm-p99-ms-%dc", conns))
			lastKept = kept
		}
		wrkWarmAndMemory(b, pool, paths, lastKept, log)
	}
}

// wrkWarmAndMemory measures warm tiles and the memory floor again with wrk,
// a load generator in a process of its own: in this process 64 client
// goroutines share the two cores' scheduler with the server, so the
// latencies above include waiting for the client's own turn (the memory
// floor's p99 among them). Without wrk on the PATH it says so and returns.
func wrkWarmAndMemory(b *testing.B, pool *pgxpool.Pool, paths []string, kept map[string][]byte, log *slog.Logger) {
	b.Helper()
	if _, err := exec.LookPath("wrk"); err != nil {
		fmt.Fprintln(os.Stderr, "wrk is not installed (make bench installs it): no out-of-process latencies")
		return
	}
	script := wrkScript(b, paths)
	flags := serveFlags{maxLimit: 20000, tileCacheMiB: tiles.DefaultCacheBytes >> 20, tileVersionAge: time.Second}
	srv := httptest.NewServer(newRouterOn(pool, flags, log))
	defer srv.Close()
	load(b, srv.URL, paths, 8, 1, nil) // warm the cache
	mem := memoryServer(b, kept)
	defer mem.Close()
	warm := runWrk(b, script, srv.URL, 15*time.Second)
	floor := runWrk(b, script, mem.URL, 15*time.Second)
	for _, r := range []struct {
		name string
		f    wrkFigures
	}{{"service warm, 64 conns (wrk)", warm}, {"from memory, 64 conns (wrk)", floor}} {
		fmt.Fprintf(os.Stderr, "%-28s %10.0f %9.2f %9.2f\n", r.name, r.f.perSecond, r.f.p50ms, r.f.p99ms)
	}
	fmt.Fprintf(os.Stderr, "wrk at 64 conns: warm/memory %.2f× (target ≥ 0.5), warm p99 %.2f ms against the memory floor's %.2f ms (target < 10)\n",
		warm.perSecond/floor.perSecond, warm.p99ms, floor.p99ms)
	b.ReportMetric(warm.perSecond/floor.perSecond, "wrk-warm/memory-64c")
	b.ReportMetric(warm.p99ms, "wrk-warm-p99-ms-64c")
	b.ReportMetric(floor.p99ms, "wrk-memory-p99-ms-64c")
}

// wrkScript writes a wrk script that asks for the paths in turn, with
// gzip as browsers do, and returns its file.
func wrkScript(b *testing.B, paths []string) string {
	b.Helper()
	dir := b.TempDir()
	list := filepath.Join(dir, "paths.txt")
	if err := os.WriteFile(list, []byte(strings.Join(paths, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	script := filepath.Join(dir, "paths.lua")
	lua := `local paths = {}
for line in io.lines("` + list + `") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {["Accept-Encoding"] = "gzip"})
end
`
	if err := os.WriteFile(script, []byte(lua), 0o644); err != nil {
		b.Fatal(err)
	}
	return script
}

// wrkFigures is what wrk reported: requests per second, latency
// quantiles, and the answers that were not 2xx or 3xx and the socket
// errors (connect, read, write, timeout).
type wrkFigures struct {
	perSecond, p50ms, p99ms float64
	requests, non2xx, errs  int
}

// runWrk runs wrk for d at 64 connections over the script's paths and
// reads its summary; extra are more of wrk's flags.
func runWrk(b *testing.B, script, base string, d time.Duration, extra ...string) wrkFigures {
	b.Helper()
	args := append([]string{"-t2", "-c64", fmt.Sprintf("-d%ds", int(d.Seconds())), "--latency"}, extra...)
	out, err := exec.Command("wrk", append(args, "-s", script, base)...).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	var f wrkFigures
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) == 2 && fields[0] == "Requests/sec:":
			f.perSecond, _ = strconv.ParseFloat(fields[1], 64)
		case len(fields) == 2 && fields[0] == "50%":
			f.p50ms = wrkMillis(b, fields[1])
		case len(fields) == 2 && fields[0] == "99%":
			f.p99ms = wrkMillis(b, fields[1])
		case len(fields) >= 3 && fields[1] == "requests" && fields[2] == "in":
			f.requests, _ = strconv.Atoi(fields[0])
		case strings.HasPrefix(line, "  Non-2xx or 3xx responses:"):
			f.non2xx, _ = strconv.Atoi(fields[len(fields)-1])
		case len(fields) > 0 && fields[0] == "Socket" && fields[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 2; i+1 < len(fields); i += 2 {
				n, _ := strconv.Atoi(strings.TrimSuffix(fields[i+1], ","))
				f.errs += n
			}
		}
	}
	if f.perSecond == 0 || f.p99ms == 0 {
		b.Fatalf("wrk said nothing readable:\n%s", out)
	}
	return f
}

// wrkMillis reads a wrk duration such as 850.00us, 2.75ms or 1.03s.
func wrkMillis(b *testing.B, s string) float64 {
	b.Helper()
	for _, u := range []struct {
		suffix string
		ms     float64
	}{{"us", 0.001}, {"ms", 1}, {"s", 1000}, {"m", 60000}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatalf("wrk duration %q: %v", s, err)
			}
			return f * u.ms
		}
	}
	b.Fatalf("wrk duration %q has no unit", s)
	return 0
}
