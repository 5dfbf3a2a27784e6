package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/sozialatlas/sozialatlas/indicators"
)

const indexUsage = "index: use 'index apply FILE', 'index list' or 'index compute'"

func indexCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{indexUsage}
	}
	switch args[0] {
	case "apply":
		return indexApplyCmd(ctx, args[1:], stdout, stderr)
	case "list":
		return indexListCmd(ctx, args[1:], stdout, stderr)
	case "compute":
		return indexComputeCmd(ctx, args[1:], stdout, stderr)
	}
	return usageError{indexUsage}
}

func indexApplyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var asJSON bool
	fs := newFlagSet("index apply FILE", stderr)
	db.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	path, err := parseOne(fs, args, "index apply: give exactly one FILE")
	if err != nil {
		return err
	}
	// The file is checked before any database is opened or started.
	f, err := indicators.ReadIndexFile(path)
	if err != nil {
		return err
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		rep, err := auditedCLI(ctx, d, "index apply", path, func() (indicators.IndexApplyReport, error) {
			return indicatorStore(d.pool).ApplyIndices(ctx, f)
		})
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(stdout, rep)
		}
		for _, v := range rep.Versions {
			state := "unchanged"
			if slices.Contains(rep.New, v.Key) {
				state = "new version"
			}
			if _, err := fmt.Fprintf(stdout, "%s: version %d (%s)\n", v.Key, v.Version, state); err != nil {
				return err
			}
		}
		return printRuns(stdout, rep.Computed)
	})
}

func indexListCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var asJSON bool
	fs := newFlagSet("index list", stderr)
	db.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the definitions in force as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"index list takes no arguments"}
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		list, err := indicatorStore(d.pool).Indices(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			if list == nil {
				list = []indicators.IndexVersion{}
			}
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tVERSION\tLEVEL\tINDICATORS\tAPPLIED\tFILE")
		for _, v := range list {
			level := v.Definition.Level
			if m := v.Definition.Matrix; m != nil {
				level = "(" + m.Rows + " × " + m.Columns + ")"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", v.Key, v.Version, level,
				strings.Join(v.Definition.ResultKeys(), ", "), v.CreatedAt.Format("2006-01-02 15:04"), v.File)
		}
		return tw.Flush()
	})
}

func indexComputeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var asJSON bool
	fs := newFlagSet("index compute", stderr)
	db.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the computations as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"index compute takes no arguments"}
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		runs, err := indicatorStore(d.pool).ComputeIndices(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			if runs == nil {
				runs = []indicators.IndexRun{}
			}
			return printJSON(stdout, runs)
		}
		return printRuns(stdout, runs)
	})
}

// printRuns prints one line per index and period: areas scored and
// excluded, the count per class, or why it could not be computed.
func printRuns(w io.Writer, runs []indicators.IndexRun) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range runs {
		detail := fmt.Sprintf("classes %s", joinInts(r.Classes))
		if r.Problem != "" {
			detail = "not computed: " + r.Problem
		}
		fmt.Fprintf(tw, "%s\tv%d\t%s\t%s\tscored %d\texcluded %d\t%s\n", r.Key, r.Version, r.Period, r.Level,
			r.Scored, r.Excluded, detail)
	}
	return tw.Flush()
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, " / ")
}
