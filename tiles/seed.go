package tiles

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// SeedConfig says which tiles Seed requests.
type SeedConfig struct {
	// BaseURL is the running service's root, e.g. http://127.0.0.1:8080.
	BaseURL string
	Level   string
	MinZoom int
	MaxZoom int
	// Query is kept on every request: indicators, period, datetime.
	Query url.Values
	// Workers request tiles concurrently; default 2.
	Workers int
	Client  *http.Client
}

// SeedReport says what Seed did.
type SeedReport struct {
	Tiles    int     `json:"tiles"`     // requested
	Filled   int     `json:"filled"`    // with features (200)
	Empty    int     `json:"empty"`     // without (204)
	Bytes    int64   `json:"bytes"`     // gzip-compressed, as cached
	Skipped  int     `json:"skipped"`   // below an empty tile, not requested
	Seconds  float64 `json:"seconds"`   // wall time
	PerLevel []int   `json:"per_level"` // requested per zoom, from MinZoom
}

// Seed warms the tile cache of a running service by requesting, zoom by
// zoom, every tile over the level's extent (from its TileJSON), as a map
// would. The cache lives in the service's memory, so seeding goes through
// its HTTP interface; it holds until the next import changes the data
// version. A tile that is empty (204) has only empty tiles below it, so
// those are not requested.
func Seed(ctx context.Context, cfg SeedConfig) (SeedReport, error) {
	start := time.Now()
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.MaxZoom < cfg.MinZoom || cfg.MinZoom < 0 || cfg.MaxZoom > MaxZoom {
		return SeedReport{}, fmt.Errorf("seed: zooms %d to %d: give 0 ≤ minzoom ≤ maxzoom ≤ %d", cfg.MinZoom, cfg.MaxZoom, MaxZoom)
	}
	root := strings.TrimRight(cfg.BaseURL, "/")
	query := ""
	if len(cfg.Query) > 0 {
		query = "?" + cfg.Query.Encode()
	}
	var tj struct {
		Bounds []float64 `json:"bounds"`
	}
	if err := getJSON(ctx, cfg.Client, root+"/tiles/"+url.PathEscape(cfg.Level)+".json"+query, &tj); err != nil {
		return SeedReport{}, fmt.Errorf("seed %s: %w", cfg.Level, err)
	}
	rep := SeedReport{PerLevel: make([]int, cfg.MaxZoom-cfg.MinZoom+1)}
	if len(tj.Bounds) != 4 {
		rep.Seconds = time.Since(start).Seconds()
		return rep, nil // a level without geometry has no tiles
	}
	b := [4]float64{tj.Bounds[0], tj.Bounds[1], tj.Bounds[2], tj.Bounds[3]}

	// empty holds the empty tiles of the previous zoom.
	empty := map[TileID]bool{}
	for z := cfg.MinZoom; z <= cfg.MaxZoom; z++ {
		todo, skipped := zoomTiles(b, z, z > cfg.MinZoom, empty)
		rep.Skipped += skipped
		results, err := fetchTiles(ctx, cfg.Client, cfg.Workers, root, cfg.Level, query, todo)
		if err != nil {
			return rep, err
		}
		for i, n := range results {
			rep.Tiles++
			rep.PerLevel[z-cfg.MinZoom]++
			if n < 0 {
				rep.Empty++
				empty[todo[i]] = true
				continue
			}
			rep.Filled++
			rep.Bytes += n
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// fetchTiles requests tiles with workers in parallel; each result is the
// tile's compressed size, -1 for an empty tile.
func fetchTiles(ctx context.Context, client *http.Client, workers int, root, level, query string, todo []TileID) ([]int64, error) {
	out := make([]int64, len(todo))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := todo[i]
				u := fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt%s", root, url.PathEscape(level), t.Z, t.X, t.Y, query)
				n, err := fetchTile(ctx, client, u)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				out[i] = n
			}
		}()
	}
	for i := range todo {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, ctx.Err()
}

func fetchTile(ctx context.Context, client *http.Client, u string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	// Asked for explicitly, Go's transport leaves the body compressed: the
	// bytes counted are those cached.
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil {
		return 0, fmt.Errorf("seed: GET %s: %w", u, err)
	}
	switch res.StatusCode {
	case http.StatusOK:
		return n, nil
	case http.StatusNoContent:
		return -1, nil
	}
	return 0, fmt.Errorf("seed: GET %s: %s", u, res.Status)
}

func getJSON(ctx context.Context, client *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", mediaJSON)
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if res.StatusCode != http.StatusOK {
		var p struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(body, &p)
		return fmt.Errorf("GET %s: %s: %s", u, res.Status, p.Detail)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// zoomTiles lists the tiles of zoom z over the lon/lat box, leaving out
// (and marking empty) those below a tile of the zoom before that was empty
// when below is set: what lies under an empty tile is empty too.
func zoomTiles(b [4]float64, z int, below bool, empty map[TileID]bool) (todo []TileID, skipped int) {
	minX, minY, maxX, maxY := tileRange(b, z)
	for x := minX; x <= maxX; x++ {
		for y := minY; y <= maxY; y++ {
			t := TileID{z, x, y}
			if below && empty[TileID{z - 1, x / 2, y / 2}] {
				skipped++
				empty[t] = true
				continue
			}
			todo = append(todo, t)
		}
	}
	return todo, skipped
}
