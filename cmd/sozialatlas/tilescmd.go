package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/sozialatlas/sozialatlas/tiles"
)

const tilesUsage = `usage: sozialatlas tiles <command> [flags]

commands:
  seed     warm the tile cache of a running service (sozialatlas serve)
  export   write a level's tiles into a PMTiles archive for a static web server`

func tilesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, tilesUsage)
		return usageError{"tiles: no command given"}
	}
	switch args[0] {
	case "seed":
		return tilesSeedCmd(ctx, args[1:], stdout, stderr)
	case "export":
		return tilesExportCmd(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, tilesUsage)
	return usageError{fmt.Sprintf("tiles: unknown command %q", args[0])}
}

// tilesSeedCmd requests every tile of a level up to a zoom from a running
// service, so that the first map users find them in its memory. The cache
// is the service's own, so seeding is a client of it: run it after
// starting the service and after each import.
func tilesSeedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		cfg    tiles.SeedConfig
		asJSON bool
	)
	fs := newFlagSet("tiles seed", stderr)
	fs.StringVar(&cfg.BaseURL, "url", envOr("SOZIALATLAS_BASE_URL", "http://"+envOr("SOZIALATLAS_ADDR", "127.0.0.1:8080")), "root URL of the running service")
	fs.StringVar(&cfg.Level, "level", "", "level whose tiles to request, e.g. gemeinde (required)")
	lf := registerLayerFlags(fs, &cfg.MinZoom, &cfg.MaxZoom)
	fs.IntVar(&cfg.Workers, "workers", 2, "tiles requested at once")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Level == "" {
		return usageError{"tiles seed: give --level"}
	}
	cfg.Query = lf.query()
	rep, err := tiles.Seed(ctx, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(stdout, rep)
	}
	_, err = fmt.Fprintf(stdout, "%s z%d–%d: %d tiles requested (%d with areas, %d empty), %d skipped below empty tiles, %.1f MB gzip, %.2f s\n",
		cfg.Level, cfg.MinZoom, cfg.MaxZoom, rep.Tiles, rep.Filled, rep.Empty, rep.Skipped, float64(rep.Bytes)/1e6, rep.Seconds)
	return err
}

// tilesExportCmd writes the tiles a map of a level asks for into a PMTiles
// archive: the same bytes and metadata as the live service, for hosting on
// a static web server. The archive appears under its name only when it is
// complete.
func tilesExportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		db     dbFlags
		cfg    tiles.ExportConfig
		out    string
		asJSON bool
	)
	fs := newFlagSet("tiles export", stderr)
	db.register(fs)
	fs.StringVar(&cfg.Level, "level", "", "level whose tiles to write, e.g. gemeinde (required)")
	lf := registerLayerFlags(fs, &cfg.MinZoom, &cfg.MaxZoom)
	fs.StringVar(&out, "out", "", "the archive to write, e.g. gemeinde.pmtiles (required)")
	fs.IntVar(&cfg.Workers, "workers", 2, "tiles built at once")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Level == "" || out == "" {
		return usageError{"tiles export: give --level and --out"}
	}
	cfg.Query = lf.query()
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		areas, ind := stores(d.pool)
		srv := tiles.New(areas, ind, tiles.Config{CacheBytes: -1, Attribution: attribution})
		f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
		if err != nil {
			return fmt.Errorf("tiles export: %w", err)
		}
		defer os.Remove(f.Name()) //nolint:errcheck // gone after the rename
		cfg.Out = f
		cfg.SpoolDir = filepath.Dir(out)
		rep, err := srv.Export(ctx, cfg)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("tiles export: %w", cerr)
		}
		if err != nil {
			return err
		}
		if err := os.Chmod(f.Name(), 0o644); err != nil {
			return fmt.Errorf("tiles export: %w", err)
		}
		if err := os.Rename(f.Name(), out); err != nil {
			return fmt.Errorf("tiles export: %w", err)
		}
		if asJSON {
			return printJSON(stdout, rep)
		}
		_, err = fmt.Fprintf(stdout, "%s z%d–%d: %d tiles written to %s (%d empty, %d skipped below empty tiles), %.1f MB gzip before deduplication, data version %d, %.2f s\n",
			cfg.Level, cfg.MinZoom, cfg.MaxZoom, rep.Filled, out, rep.Empty, rep.Skipped, float64(rep.Bytes)/1e6, rep.DataVersion, rep.Seconds)
		return err
	})
}

// layerFlags are the flags that say which tiles: those a map of the level
// requests with these parameters.
type layerFlags struct{ indicators, period, datetime string }

func registerLayerFlags(fs *flag.FlagSet, minZoom, maxZoom *int) *layerFlags {
	var f layerFlags
	fs.IntVar(minZoom, "minzoom", 0, "first zoom")
	fs.IntVar(maxZoom, "maxzoom", 10, fmt.Sprintf("last zoom (at most %d)", tiles.MaxZoom))
	fs.StringVar(&f.indicators, "indicators", "", "indicator keys, comma-separated, as a map requests them")
	fs.StringVar(&f.period, "period", "", "reference date of the values (default: each indicator's latest)")
	fs.StringVar(&f.datetime, "datetime", "", "boundary version (default: today)")
	return &f
}

// query is the tile request's query string.
func (f *layerFlags) query() url.Values {
	q := url.Values{}
	for name, v := range map[string]string{"indicators": f.indicators, "period": f.period, "datetime": f.datetime} {
		if v = strings.TrimSpace(v); v != "" {
			q.Set(name, v)
		}
	}
	return q
}
