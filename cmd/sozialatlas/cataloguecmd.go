package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sozialatlas/sozialatlas/indicators"
)

func catalogueCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "load" {
		return usageError{"catalogue: use 'catalogue load FILE'"}
	}
	var db dbFlags
	fs := newFlagSet("catalogue load FILE", stderr)
	db.register(fs)
	path, err := parseOne(fs, args[1:], "catalogue load: give exactly one FILE")
	if err != nil {
		return err
	}
	// The file is checked before any database is opened or started.
	cat, err := indicators.ReadCatalogue(path)
	if err != nil {
		return err
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		_, ind := stores(d.pool)
		rep, err := auditedCLI(ctx, d, "catalogue load", path, func() (indicators.SyncReport, error) {
			return ind.LoadCatalogue(ctx, cat)
		})
		if err != nil {
			return err
		}
		if !rep.Changed() {
			_, err = fmt.Fprintf(stdout, "%s: catalogue unchanged (%d indicators)\n", path, rep.Unchanged)
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s: added %s; changed %s; removed %s; unchanged %d\n", path,
			list(rep.Inserted), list(rep.Updated), list(rep.Deleted), rep.Unchanged)
		return err
	})
}

func list(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}
