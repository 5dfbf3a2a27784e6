package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sozialatlas/sozialatlas/geo"
)

// dateFlag is an optional YYYY-MM-DD flag.
type dateFlag struct{ t *time.Time }

func (d *dateFlag) String() string {
	if d.t == nil {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

func (d *dateFlag) Set(s string) error {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("want a date like 2021-01-01")
	}
	d.t = &t
	return nil
}

// whereFlag collects FIELD=VALUE filters.
type whereFlag map[string]string

func (w whereFlag) String() string { return fmt.Sprint(map[string]string(w)) }

func (w whereFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want FIELD=VALUE")
	}
	w[k] = v
	return nil
}

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"import what? 'import areas FILE …' or 'import scheme FILE …'"}
	}
	switch args[0] {
	case "areas":
		return importAreasCmd(ctx, args[1:], stdout, stderr)
	case "scheme":
		return importSchemeCmd(ctx, args[1:], stdout, stderr)
	case "facilities":
		return importFacilitiesCmd(ctx, args[1:], stdout, stderr)
	case "changes":
		return importChangesCmd(ctx, args[1:], stdout, stderr)
	case "crosswalk":
		return importCrosswalkCmd(ctx, args[1:], stdout, stderr)
	case "indicators":
		return importIndicatorsCmd(ctx, args[1:], stdout, stderr)
	case "list":
		return importListCmd(ctx, args[1:], stdout, stderr)
	case "revert":
		return importRevertCmd(ctx, args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("import %q: use 'import areas' or 'import scheme'", args[0])}
}

// areaOptions are the options of an area import, the same on the command
// line and as form fields of POST /imports/areas.
type areaOptions struct {
	in       geo.AreaImport
	from, to dateFlag
	where    whereFlag
}

func (o *areaOptions) register(fs *flag.FlagSet) {
	o.where = whereFlag{}
	fs.StringVar(&o.in.Level, "level", "", "level of the areas, e.g. gemeinde (required)")
	fs.StringVar(&o.in.CodeField, "code-field", "", "attribute with the area code, e.g. ARS (required)")
	fs.StringVar(&o.in.NameField, "name-field", "", "attribute with the area name, e.g. GEN (required)")
	fs.StringVar(&o.in.Parent.Field, "parent-field", "", "parent: attribute with the parent's code")
	fs.IntVar(&o.in.Parent.Prefix, "parent-prefix", 0, "parent: the first N characters of the code (ARS: Kreis 5, Land 2)")
	fs.StringVar(&o.in.Parent.Code, "parent-code", "", "parent: this code for every area")
	fs.BoolVar(&o.in.Parent.Overlap, "parent-overlap", false, "parent: the area of the parent level with the largest overlap")
	fs.StringVar(&o.in.Parent.Level, "parent-level", "", "level of the parent (default: the next coarser level)")
	fs.Var(&o.from, "valid-from", "first day of validity (YYYY-MM-DD); closes open versions under the same parents")
	fs.Var(&o.to, "valid-to", "last day of validity (YYYY-MM-DD)")
	fs.BoolVar(&o.in.Strict, "strict", false, "reject invalid geometries instead of repairing them")
	fs.BoolVar(&o.in.Distinct, "distinct", false, "collapse rows repeating a code with the same name and parent (hierarchy tables)")
	fs.StringVar(&o.in.CRS, "crs", "", "coordinate reference system of the file, overriding what it says (e.g. EPSG:25832)")
	fs.Var(o.where, "where", "import only features with FIELD=VALUE (repeatable)")
	fs.StringVar(&o.in.Layer, "layer", "", "GeoPackage layer or shapefile in a zip")
	fs.StringVar(&o.in.Encoding, "encoding", "", "attribute encoding (UTF-8, windows-1252, ISO-8859-1), overriding the file's")
}

// result is the import of the file at path with the parsed options.
func (o *areaOptions) result(path string) geo.AreaImport {
	in := o.in
	in.Path, in.ValidFrom, in.ValidTo = path, o.from.t, o.to.t
	if len(o.where) > 0 {
		in.Where = o.where
	}
	return in
}

func importAreasCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var opts areaOptions
	var asJSON bool
	fs := newFlagSet("import areas FILE", stderr)
	db.register(fs)
	opts.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	path, err := parseOne(fs, args, "import areas: give exactly one FILE")
	if err != nil {
		return err
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		rep, err := auditedCLI(ctx, d, "import areas", path, func() (geo.ImportReport, error) {
			return areaStore(d.pool).ImportAreas(ctx, opts.result(path))
		})
		if err != nil {
			return err
		}
		return printReport(stdout, rep, asJSON)
	})
}

func importSchemeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var in geo.SchemeImport
	var from, to dateFlag
	var asJSON bool
	fs := newFlagSet("import scheme FILE", stderr)
	db.register(fs)
	fs.StringVar(&in.Scheme, "scheme", "", "name of the scheme, e.g. sozialraum (required)")
	fs.StringVar(&in.Title, "title", "", "German title of a new scheme, e.g. Sozialräume")
	fs.StringVar(&in.MemberLevel, "member-level", "", "level of the member areas (required for a new scheme)")
	fs.StringVar(&in.MemberField, "member-field", "", "column with the member area's code (required)")
	fs.StringVar(&in.CodeField, "code-field", "", "column with the scheme area's code (required)")
	fs.StringVar(&in.NameField, "name-field", "", "column with the scheme area's name (required)")
	fs.Var(&from, "valid-from", "first day of validity; closes the scheme's open versions")
	fs.Var(&to, "valid-to", "last day of validity")
	fs.StringVar(&in.Encoding, "encoding", "", "file encoding, overriding detection")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	path, err := parseOne(fs, args, "import scheme: give exactly one FILE")
	if err != nil {
		return err
	}
	in.Path, in.ValidFrom, in.ValidTo = path, from.t, to.t
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		rep, err := auditedCLI(ctx, d, "import scheme", path, func() (geo.ImportReport, error) {
			return areaStore(d.pool).ImportScheme(ctx, in)
		})
		if err != nil {
			return err
		}
		return printReport(stdout, rep, asJSON)
	})
}

// printReport prints an import's report as its one-line text or as JSON.
func printReport(w io.Writer, rep fmt.Stringer, asJSON bool) error {
	if asJSON {
		return printJSON(w, rep)
	}
	_, err := fmt.Fprintln(w, rep.String())
	return err
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func importChangesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var asJSON bool
	fs := newFlagSet("import changes FILE", stderr)
	db.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	path, err := parseOne(fs, args, "import changes: give exactly one FILE")
	if err != nil {
		return err
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		rep, err := auditedCLI(ctx, d, "import changes", path, func() (geo.ChangeReport, error) {
			return areaStore(d.pool).ImportChanges(ctx, path)
		})
		if err != nil {
			return err
		}
		return printReport(stdout, rep, asJSON)
	})
}

func importCrosswalkCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	fs := newFlagSet("import crosswalk FILE", stderr)
	db.register(fs)
	path, err := parseOne(fs, args, "import crosswalk: give exactly one FILE")
	if err != nil {
		return err
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		rep, err := auditedCLI(ctx, d, "import crosswalk", path, func() (geo.CrosswalkReport, error) {
			return areaStore(d.pool).ImportCrosswalk(ctx, path)
		})
		if err != nil {
			return err
		}
		return printReport(stdout, rep, false)
	})
}
