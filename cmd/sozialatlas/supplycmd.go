package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/sozialatlas/sozialatlas/indicators"
)

const supplyUsage = "supply: use 'supply apply FILE' or 'supply compute'"

func supplyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{supplyUsage}
	}
	switch args[0] {
	case "apply":
		return supplyApplyCmd(ctx, args[1:], stdout, stderr)
	case "compute":
		return supplyComputeCmd(ctx, args[1:], stdout, stderr)
	}
	return usageError{supplyUsage}
}

func supplyApplyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var asJSON bool
	fs := newFlagSet("supply apply FILE", stderr)
	db.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	path, err := parseOne(fs, args, "supply apply: give exactly one FILE")
	if err != nil {
		return err
	}
	// The file is checked before any database is opened or started.
	f, err := indicators.ReadSupplyFile(path)
	if err != nil {
		return err
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		rep, err := auditedCLI(ctx, d, "supply apply", path, func() (indicators.SupplyReport, error) {
			return indicatorStore(d.pool).ApplySupply(ctx, f)
		})
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(stdout, rep)
		}
		return printSupplyRuns(stdout, rep.Runs)
	})
}

func supplyComputeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var asJSON bool
	fs := newFlagSet("supply compute", stderr)
	db.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"supply compute takes no arguments"}
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		rep, err := indicatorStore(d.pool).ComputeSupply(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(stdout, rep)
		}
		return printSupplyRuns(stdout, rep.Runs)
	})
}

// printSupplyRuns prints one line per definition: the facilities counted,
// the population's period, the gap and what the catchment left out.
func printSupplyRuns(w io.Writer, runs []indicators.SupplyRun) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "type\tperiod\tfacilities\twithout capacity\tpopulation of\tareas with gap\tplaces missing\tunreached\tunserved")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%.0f\t%d\t%d\n", r.Type, r.Period, r.Facilities, r.WithoutCapacity,
			r.DemandPeriod, r.GapAreas, r.GapPlaces, r.Unreached, r.Unserved)
	}
	return tw.Flush()
}
