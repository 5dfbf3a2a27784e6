package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sozialatlas/sozialatlas/geo/facility"
	"github.com/sozialatlas/sozialatlas/geo/web/access"
	"github.com/sozialatlas/sozialatlas/indicators"
	"github.com/sozialatlas/sozialatlas/indicators/table"
)

// columnMapFlag collects COLUMN=INDICATOR pairs, comma-separated or repeated.
type columnMapFlag map[string]string

func (m columnMapFlag) String() string { return fmt.Sprint(map[string]string(m)) }

func (m columnMapFlag) Set(s string) error {
	for _, pair := range strings.Split(s, ",") {
		col, ind, ok := strings.Cut(pair, "=")
		col, ind = strings.TrimSpace(col), strings.TrimSpace(ind)
		if !ok || col == "" || ind == "" {
			return fmt.Errorf("want COLUMN=INDICATOR[,COLUMN=INDICATOR…], got %q", pair)
		}
		if _, dup := m[col]; dup {
			return fmt.Errorf("column %q is mapped twice", col)
		}
		m[col] = ind
	}
	return nil
}

// listFlag collects a repeatable flag's values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// tableOptions are the options of an indicator import, the same on the
// command line and as form fields of POST /imports/indicators (where the
// catalogue's table mappings, files on the server, are not offered).
type tableOptions struct {
	in                   indicators.TableImport
	period, gebietsstand dateFlag
	format               string
	columns              columnMapFlag
	placeholders         listFlag
}

func (o *tableOptions) register(fs *flag.FlagSet) {
	o.columns = columnMapFlag{}
	fs.StringVar(&o.format, "format", "", "csv, xlsx or gv100ad (default: by the file name)")
	fs.Var(o.columns, "map", "wide table: COLUMN=INDICATOR,… (repeatable); without it the table is long (area;indicator;period;value)")
	fs.StringVar(&o.in.Level, "level", "", "level of the area codes, e.g. gemeinde (required without --table)")
	fs.StringVar(&o.in.AreaColumn, "area-column", "", "column of the area codes (long default: area)")
	fs.StringVar(&o.in.NameColumn, "name-column", "", "column of the area names, used for areas created with --create-missing-areas")
	fs.StringVar(&o.in.IndicatorColumn, "indicator-column", "", "long table: column of the indicator keys (default indicator)")
	fs.StringVar(&o.in.PeriodColumn, "period-column", "", "long table: column of the periods (default period)")
	fs.StringVar(&o.in.ValueColumn, "value-column", "", "long table: column of the values (default value)")
	fs.Var(&o.period, "period", "reference date of the values (YYYY-MM-DD); wide tables need it")
	fs.Var(&o.gebietsstand, "gebietsstand", "boundary version the codes refer to (YYYY-MM-DD; default: the period)")
	fs.BoolVar(&o.in.Check, "check", false, "validate and report, write nothing")
	fs.BoolVar(&o.in.CreateMissingAreas, "create-missing-areas", false, "create areas without geometry for codes unknown on the Gebietsstand")
	fs.IntVar(&o.in.ParentPrefix, "parent-prefix", 0, "with --create-missing-areas: length of the code prefix naming the parent (default: land 2, kreis 5, …)")
	fs.Var(&o.placeholders, "placeholder", "a value meaning 'no value', e.g. -9999 (repeatable)")
	fs.StringVar(&o.in.Decimal, "decimal", "", "decimal separator , or . (default: detected)")
	fs.StringVar(&o.in.Encoding, "encoding", "", "text encoding (UTF-8, windows-1252; default: detected)")
	fs.StringVar(&o.in.Delimiter, "delimiter", "", "CSV delimiter, e.g. ';' (default: detected from the header)")
	fs.StringVar(&o.in.Sheet, "sheet", "", "XLSX sheet (default: the first)")
}

// result is the import of the file at path with the parsed options, under
// the catalogue's table mapping m if not nil.
func (o *tableOptions) result(path string, m *indicators.TableMapping) (indicators.TableImport, error) {
	in := o.in
	in.Path, in.Mapping = path, m
	if in.Level == "" && m == nil {
		return in, usageError{"import indicators: give --level (the level of the area codes) or --table KEY"}
	}
	switch table.Format(o.format) {
	case "", table.CSV, table.XLSX, table.GV100AD:
		in.Format = table.Format(o.format)
	default:
		return in, usageError{fmt.Sprintf("import indicators: --format %q: use csv, xlsx or gv100ad", o.format)}
	}
	if len(o.columns) > 0 {
		in.Columns = o.columns
	}
	in.Period, in.Gebietsstand, in.Placeholders = o.period.t, o.gebietsstand.t, o.placeholders
	return in, nil
}

func importIndicatorsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var opts tableOptions
	var catalogue, tableKey string
	var asJSON bool
	fs := newFlagSet("import indicators [FILE]", stderr)
	db.register(fs)
	fs.StringVar(&catalogue, "catalogue", envOr("SOZIALATLAS_CATALOGUE", "data/demo/catalogue.yaml"),
		"catalogue file holding the table mappings (env SOZIALATLAS_CATALOGUE)")
	fs.StringVar(&tableKey, "table", "", "read the table as the catalogue's table mapping KEY describes it (FILE defaults to the mapping's file)")
	opts.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{"import indicators: give at most one FILE"}
	}
	var path string
	var mapping *indicators.TableMapping
	if tableKey != "" {
		cat, err := indicators.ReadCatalogue(catalogue)
		if err != nil {
			return err
		}
		m, err := cat.Table(tableKey)
		if err != nil {
			return err
		}
		mapping, path = &m, cat.TablePath(m)
	}
	if len(pos) == 1 {
		path = pos[0]
	}
	switch {
	case path == "" && tableKey != "":
		return usageError{fmt.Sprintf("import indicators: table mapping %q names no file; give FILE", tableKey)}
	case path == "":
		return usageError{"import indicators: give FILE (or --table KEY)"}
	}
	in, err := opts.result(path, mapping)
	if err != nil {
		return err
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		rep, err := auditedCLI(ctx, d, "import indicators", path, func() (indicators.TableReport, error) {
			return indicatorStore(d.pool).ImportTable(ctx, in)
		})
		if err != nil {
			return err
		}
		return printReport(stdout, rep, asJSON)
	})
}

func importListCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var asJSON bool
	fs := newFlagSet("import list", stderr)
	db.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the imports as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"import list takes no arguments"}
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		list, err := indicatorStore(d.pool).ListBatches(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			if list == nil {
				list = []indicators.Batch{}
			}
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tIMPORTED\tREVERTED\tOBSERVATIONS\tAREAS\tSOURCE")
		for _, b := range list {
			reverted := "-"
			if b.RevertedAt != nil {
				reverted = b.RevertedAt.Local().Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\n", b.ID, b.Kind, b.ImportedAt.Local().Format(time.DateTime),
				reverted, b.Observations, b.Areas, b.Source)
		}
		return tw.Flush()
	})
}

func importRevertCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var asJSON bool
	fs := newFlagSet("import revert ID", stderr)
	db.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	arg, err := parseOne(fs, args, "import revert: give exactly one batch ID (see 'sozialatlas import list')")
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return usageError{fmt.Sprintf("import revert: %q is not a batch ID", arg)}
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		e := access.Entry{Actor: cliActor(), Action: "revert", Detail: fmt.Sprintf("batch %d", id)}
		// Facility imports have their own revert: they touch no indicator.
		fac := facility.NewStore(d.pool)
		if ok, err := fac.IsFacilityBatch(ctx, id); err != nil {
			return err
		} else if ok {
			rep, err := audited(ctx, access.NewAudit(d.pool), e, func() (facility.RevertReport, error) {
				return fac.Revert(ctx, id)
			})
			if err != nil {
				return err
			}
			return printReport(stdout, rep, asJSON)
		}
		rep, err := audited(ctx, access.NewAudit(d.pool), e, func() (indicators.RevertReport, error) {
			return indicatorStore(d.pool).RevertBatch(ctx, id)
		})
		if err != nil {
			return err
		}
		return printReport(stdout, rep, asJSON)
	})
}

func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var key, level, format string
	var period dateFlag
	fs := newFlagSet("export", stderr)
	db.register(fs)
	fs.StringVar(&key, "indicator", "", "indicator key (required)")
	fs.StringVar(&level, "level", "", "area level (required)")
	fs.Var(&period, "period", "period, YYYY-MM-DD (required)")
	fs.StringVar(&format, "format", "csv", "output format: csv (German Excel: ';', decimal comma, UTF-8 with BOM)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageError{"export takes no arguments, only flags"}
	case key == "" || level == "" || period.t == nil:
		return usageError{"export: give --indicator, --level and --period"}
	case format != "csv":
		return usageError{fmt.Sprintf("export: --format %q: only csv", format)}
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		vals, err := indicatorStore(d.pool).RawValues(ctx, key, level, *period.t)
		if err != nil {
			return err
		}
		return writeRawCSV(stdout, vals)
	})
}

// writeRawCSV writes raw values as German Excel reads CSV: semicolons,
// decimal comma, UTF-8 with byte order mark, CRLF. Withheld cells keep
// their value and say why in the column "gesperrt".
func writeRawCSV(w io.Writer, vals []indicators.RawValue) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	cw.Write([]string{"Schlüssel", "Name", "gültig ab", "gültig bis", "Wert", "Zähler", "Nenner", "Status", "unvollständig", "gesperrt"}) //nolint:errcheck // checked by Flush
	for _, v := range vals {
		suppressed, incomplete := "", ""
		if v.Suppressed != nil {
			suppressed = string(*v.Suppressed)
		}
		if v.Incomplete {
			incomplete = "ja"
		}
		cw.Write([]string{v.Code, v.Name, germanDate(v.ValidFrom), germanDate(v.ValidTo), //nolint:errcheck // checked by Flush
			germanNumber(v.Value), germanNumber(v.Numerator), germanNumber(v.Denominator),
			string(v.Status), incomplete, suppressed})
	}
	cw.Flush()
	return cw.Error()
}

func germanNumber(v *float64) string {
	if v == nil {
		return ""
	}
	return strings.Replace(strconv.FormatFloat(*v, 'f', -1, 64), ".", ",", 1)
}

func germanDate(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format("02.01.2006")
}
