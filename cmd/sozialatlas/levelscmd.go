package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/sozialatlas/sozialatlas/data/demo"
	"github.com/sozialatlas/sozialatlas/geo"
)

func levelsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "add" {
		return levelsAddCmd(ctx, args[1:], stdout, stderr)
	}
	var db dbFlags
	fs := newFlagSet("levels", stderr)
	db.register(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		levels, err := areaStore(d.pool).Levels(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tRANK\tTITLE\tMEMBERS")
		for _, l := range levels {
			rank := "-"
			if l.Rank != nil {
				rank = fmt.Sprint(*l.Rank)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Name, rank, l.Title, l.MemberLevel)
		}
		return tw.Flush()
	})
}

func levelsAddCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var title string
	var rank int
	fs := newFlagSet("levels add NAME", stderr)
	db.register(fs)
	fs.StringVar(&title, "title", "", "German title, e.g. Ortsteile (required)")
	fs.IntVar(&rank, "rank", 0, "position in the hierarchy: coarser levels have lower ranks (staat 10 … planungsraum 80)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || title == "" || rank <= 0 {
		return usageError{"levels add: give NAME, --title and a positive --rank"}
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		if err := areaStore(d.pool).AddLevel(ctx, geo.Level{Name: pos[0], Title: title, Rank: &rank}); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "level %s added (rank %d)\n", pos[0], rank)
		return err
	})
}

func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var dir string
	fs := newFlagSet("demo", stderr)
	db.register(fs)
	fs.StringVar(&dir, "dir", "data/demo", "directory of the demo atlas")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return withDB(ctx, db, stderr, "info", func(d *database) error {
		areas, ind := stores(d.pool)
		if err := demo.Load(ctx, areas, ind, dir, d.log); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, "demo atlas loaded")
		return err
	})
}

func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var status bool
	fs := newFlagSet("migrate", stderr)
	db.register(fs)
	fs.BoolVar(&status, "status", false, "list migrations and whether they are applied")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	// withDB migrates; what is left is to report.
	return withDB(ctx, db, stderr, "info", func(d *database) error {
		if !status {
			_, err := fmt.Fprintln(stdout, "schema is up to date")
			return err
		}
		st, err := migrationStatus(ctx, d)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tSTATE\tAPPLIED\tFILE")
		for _, s := range st {
			applied := ""
			if !s.AppliedAt.IsZero() {
				applied = s.AppliedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Source.Version, s.State, applied, s.Source.Path)
		}
		return tw.Flush()
	})
}
