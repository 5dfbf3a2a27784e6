package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/sozialatlas/sozialatlas/tiles"
)

const tilesUsage = `usage: sozialatlas tiles <command> [flags]

commands:
  seed   warm the tile cache of a running service (sozialatlas serve)`

func tilesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, tilesUsage)
		return usageError{"tiles: no command given"}
	}
	switch args[0] {
	case "seed":
		return tilesSeedCmd(ctx, args[1:], stdout, stderr)
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
		cfg                 tiles.SeedConfig
		inds, period, dtime string
		asJSON              bool
	)
	fs := newFlagSet("tiles seed", stderr)
	fs.StringVar(&cfg.BaseURL, "url", envOr("SOZIALATLAS_BASE_URL", "http://"+envOr("SOZIALATLAS_ADDR", "127.0.0.1:8080")), "root URL of the running service")
	fs.StringVar(&cfg.Level, "level", "", "level whose tiles to request, e.g. gemeinde (required)")
	fs.IntVar(&cfg.MinZoom, "minzoom", 0, "first zoom")
	fs.IntVar(&cfg.MaxZoom, "maxzoom", 10, fmt.Sprintf("last zoom (at most %d)", tiles.MaxZoom))
	fs.StringVar(&inds, "indicators", "", "indicator keys, comma-separated, as the map requests them")
	fs.StringVar(&period, "period", "", "reference date of the values (default: each indicator's latest)")
	fs.StringVar(&dtime, "datetime", "", "boundary version (default: today)")
	fs.IntVar(&cfg.Workers, "workers", 2, "tiles requested at once")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Level == "" {
		return usageError{"tiles seed: give --level"}
	}
	cfg.Query = url.Values{}
	for name, v := range map[string]string{"indicators": inds, "period": period, "datetime": dtime} {
		if v = strings.TrimSpace(v); v != "" {
			cfg.Query.Set(name, v)
		}
	}
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
