package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sozialatlas/sozialatlas/geo/facility"
)

// mapFlag collects --map KEY=FIELD lists; later pairs win.
type mapFlag struct{ pairs []string }

func (m *mapFlag) String() string { return fmt.Sprint(m.pairs) }

func (m *mapFlag) Set(s string) error {
	m.pairs = append(m.pairs, s)
	return nil
}

func importFacilitiesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var in facility.Import
	var from, to dateFlag
	var mapping string
	var maps mapFlag
	var asJSON bool
	fs := newFlagSet("import facilities FILE", stderr)
	db.register(fs)
	fs.StringVar(&in.Type, "type", "", "facility type: kita, schule, pflege, jugend, beratung (required)")
	fs.StringVar(&mapping, "mapping", "", "built-in field mapping: berlin-kita, berlin-jugend, berlin-pflege, berlin-schule")
	fs.Var(&maps, "map", "field mapping KEY=FIELD[,KEY=FIELD…] (keys: id, name, street, house_number, postcode, place, carrier, carrier_type, target_group, capacity, x, y); overrides --mapping")
	fs.Var(&from, "valid-from", "first day of validity (YYYY-MM-DD); closes open versions of the same ids")
	fs.Var(&to, "valid-to", "last day of validity (YYYY-MM-DD)")
	fs.StringVar(&in.CRS, "crs", "", "coordinate reference system of the file, overriding what it says (e.g. EPSG:25833)")
	fs.StringVar(&in.Layer, "layer", "", "GeoPackage layer")
	fs.StringVar(&in.Encoding, "encoding", "", "attribute encoding (UTF-8, windows-1252, ISO-8859-1), overriding the file's")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	path, err := parseOne(fs, args, "import facilities: give exactly one FILE")
	if err != nil {
		return err
	}
	if mapping != "" {
		if in.Mapping, err = facility.Builtin(mapping); err != nil {
			return usageError{"import facilities: --mapping: " + err.Error()}
		}
	}
	for _, list := range maps.pairs {
		if err := in.Mapping.Apply(list); err != nil {
			return usageError{"import facilities: --map: " + err.Error()}
		}
	}
	in.Path, in.ValidFrom, in.ValidTo = path, from.t, to.t
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		rep, err := auditedCLI(ctx, d, "import facilities", path, func() (facility.Report, error) {
			return facility.NewStore(d.pool).Import(ctx, in)
		})
		if err != nil {
			return err
		}
		return printReport(stdout, rep, asJSON)
	})
}
