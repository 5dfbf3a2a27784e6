package tiles

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/tiles/pmtiles"
)

// ExportConfig says which tiles go into a PMTiles archive: those a map of
// the level asks the live service for with Query (indicators, period,
// datetime), from MinZoom to MaxZoom.
type ExportConfig struct {
	Level            string
	MinZoom, MaxZoom int
	Query            url.Values
	Out              io.Writer
	// SpoolDir holds the tiles until the archive is written ("" = the
	// system's temporary directory).
	SpoolDir string
	// Workers build tiles at once (default 2).
	Workers int
}

// ExportReport says what an export wrote.
type ExportReport struct {
	Tiles       int     `json:"tiles"`   // tiles built
	Filled      int     `json:"filled"`  // with areas, in the archive
	Empty       int     `json:"empty"`   // without any area, left out
	Skipped     int     `json:"skipped"` // below an empty tile, not built
	Bytes       int64   `json:"bytes"`   // gzip-compressed tiles, before deduplication
	DataVersion int64   `json:"data_version"`
	Seconds     float64 `json:"seconds"`
}

// Export writes the level's tiles into a PMTiles archive for a static web
// server: the same bytes the live service answers (gzip-compressed MVT) and
// the same layers, fields, attribution, bounds and center as its TileJSON.
// The archive records the data version it was made of. Tiles below an
// empty tile are empty too and are not built.
func (s *Server) Export(ctx context.Context, cfg ExportConfig) (ExportReport, error) {
	start := time.Now()
	var rep ExportReport
	if cfg.MaxZoom < cfg.MinZoom || cfg.MinZoom < 0 || cfg.MaxZoom > MaxZoom {
		return rep, fmt.Errorf("export: zooms %d to %d: give 0 ≤ minzoom ≤ maxzoom ≤ %d", cfg.MinZoom, cfg.MaxZoom, MaxZoom)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	// The request a map would send: the same checks and the same layer.
	target := "/tiles/" + url.PathEscape(cfg.Level) + ".json"
	if len(cfg.Query) > 0 {
		target += "?" + cfg.Query.Encode()
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return rep, fmt.Errorf("export %s: %w", cfg.Level, err)
	}
	rctx := chi.NewRouteContext()
	rctx.URLParams.Add("level", cfg.Level)
	r = r.WithContext(context.WithValue(ctx, chi.RouteCtxKey, rctx))
	m, err := s.metaFor(ctx, r)
	if err != nil {
		return rep, fmt.Errorf("export %s: %w", cfg.Level, err)
	}
	if m.bbox == nil {
		return rep, fmt.Errorf("export %s: the level has no areas with geometry", cfg.Level)
	}
	req, err := parseRequest(r, cfg.Level)
	if err != nil {
		return rep, fmt.Errorf("export %s: %w", cfg.Level, err)
	}
	version := s.seenVersion()
	rep.DataVersion = version

	w, err := pmtiles.NewWriter(cfg.Out, pmtiles.Options{SpoolDir: cfg.SpoolDir})
	if err != nil {
		return rep, fmt.Errorf("export %s: %w", cfg.Level, err)
	}
	defer w.Close() //nolint:errcheck // removes the spool file; Finish reports the archive's errors

	empty := map[TileID]bool{}
	for z := cfg.MinZoom; z <= cfg.MaxZoom; z++ {
		todo, skipped := zoomTiles(*m.bbox, z, z > cfg.MinZoom, empty)
		rep.Skipped += skipped
		built, err := s.buildAll(ctx, version, req, todo, cfg.Workers)
		if err != nil {
			return rep, fmt.Errorf("export %s: %w", cfg.Level, err)
		}
		for i, e := range built {
			rep.Tiles++
			t := todo[i]
			if e.gz == nil {
				rep.Empty++
				empty[t] = true
				continue
			}
			rep.Filled++
			rep.Bytes += int64(len(e.gz))
			if err := w.Add(uint32(t.Z), uint32(t.X), uint32(t.Y), e.gz); err != nil {
				return rep, fmt.Errorf("export %s: %w", cfg.Level, err)
			}
		}
	}
	if rep.Filled == 0 {
		return rep, fmt.Errorf("export %s: no tile from zoom %d to %d has an area", cfg.Level, cfg.MinZoom, cfg.MaxZoom)
	}

	doc := tileJSONOf(m, "")
	meta := pmtiles.Metadata{
		Name:        doc.Name,
		Description: doc.Description,
		Attribution: doc.Attribution,
		Type:        "overlay",
		Version:     fmt.Sprint(version),
		Extra:       map[string]any{"data_version": version},
	}
	for _, vl := range doc.VectorLayers {
		meta.VectorLayers = append(meta.VectorLayers, pmtiles.VectorLayer{ID: vl.ID, Description: vl.Description,
			Fields: vl.Fields, MinZoom: cfg.MinZoom, MaxZoom: cfg.MaxZoom})
	}
	if len(doc.Bounds) == 4 {
		meta.Bounds = [4]float64{doc.Bounds[0], doc.Bounds[1], doc.Bounds[2], doc.Bounds[3]}
		meta.Center = [3]float64{doc.Center[0], doc.Center[1], float64(max(cfg.MinZoom, min(int(doc.Center[2]), cfg.MaxZoom)))}
	}
	if err := w.Finish(meta); err != nil {
		return rep, fmt.Errorf("export %s: %w", cfg.Level, err)
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// buildAll builds the tiles with a few workers, in the order given; the
// tiles go into the cache too, as if a map had asked for them.
func (s *Server) buildAll(ctx context.Context, version int64, req *request, list []TileID, workers int) ([]*entry, error) {
	out := make([]*entry, len(list))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := range workers {
		wg.Go(func() {
			for i := range next {
				if errs[w] != nil {
					continue
				}
				out[i], errs[w] = s.tileAt(ctx, version, req, list[i])
			}
		})
	}
	for i := range list {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tileKey is the cache key of a tile.
func tileKey(version int64, req *request, t TileID) string {
	return fmt.Sprint(version) + "|" + req.key() + "|" + t.String()
}
