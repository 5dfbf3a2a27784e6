package source

import (
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// Feature tables and their geometry column (GeoPackage 1.3, clauses 1.1.3
// and 2.1.5). Table names are compared case-insensitively, as SQLite does.
const gpkgLayersSQL = `
SELECT c.table_name, g.column_name, g.srs_id
FROM gpkg_contents AS c
JOIN gpkg_geometry_columns AS g ON lower(g.table_name) = lower(c.table_name)
WHERE c.data_type = 'features'
ORDER BY c.table_name`

const gpkgSRSSQL = `
SELECT srs_name, organization, organization_coordsys_id, definition
FROM gpkg_spatial_ref_sys
WHERE srs_id = ?`

// The WKT 2 definition of the crs_wkt extension, used when the WKT 1
// column only says "undefined".
const gpkgSRSWKT2SQL = `SELECT definition_12_063 FROM gpkg_spatial_ref_sys WHERE srs_id = ?`

const gpkgColumnsSQL = `SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`

type gpkgLayer struct {
	table, geomColumn string
	srsID             int
}

type gpkgColumn struct {
	name, typ string
	pk        int
}

// readGeoPackage reads one feature table of a GeoPackage, opened read-only.
// The table's integer primary key is the feature id: it orders the features
// and is not an attribute.
func readGeoPackage(p string, opts Options) (*Dataset, error) {
	fail := func(reason string, args ...any) error {
		return &Error{Path: p, Reason: fmt.Sprintf(reason, args...)}
	}
	// Checked first: SQLite's own message for a missing file says little.
	if _, err := os.Stat(p); err != nil {
		return nil, fail("%v", err)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fail("%v", err)
	}
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + "?mode=ro"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fail("cannot open: %v", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	layer, err := gpkgPickLayer(db, p, opts.Layer)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Path: p, Layer: layer.table}
	if ds.CRS, err = gpkgCRS(db, layer.srsID); err != nil {
		return nil, fail("layer %q: %v", layer.table, err)
	}

	cols, err := gpkgColumns(db, layer.table)
	if err != nil {
		return nil, fail("layer %q: %v", layer.table, err)
	}
	fid := ""
	var pks []gpkgColumn
	for _, c := range cols {
		if c.pk > 0 {
			pks = append(pks, c)
		}
	}
	if len(pks) == 1 && strings.EqualFold(pks[0].typ, "INTEGER") {
		fid = pks[0].name
	}
	// Unary + yields the stored value without the column's declared type,
	// so the driver hands over the text of DATE and DATETIME columns as
	// written instead of parsing it into a time.
	var selects []string
	var attrCols []gpkgColumn
	geomIndex := -1
	for _, c := range cols {
		switch {
		case c.name == fid:
			continue
		case strings.EqualFold(c.name, layer.geomColumn):
			geomIndex = len(selects)
		default:
			attrCols = append(attrCols, c)
			ds.Fields = append(ds.Fields, c.name)
		}
		selects = append(selects, "+"+quoteIdent(c.name))
	}
	if geomIndex < 0 {
		return nil, fail("layer %q: geometry column %q not in the table", layer.table, layer.geomColumn)
	}
	query := "SELECT " + strings.Join(selects, ", ") + " FROM " + quoteIdent(layer.table)
	switch {
	case fid != "":
		query += " ORDER BY " + quoteIdent(fid)
	case len(pks) > 0:
		var order []string
		for _, c := range pks {
			order = append(order, quoteIdent(c.name))
		}
		query += " ORDER BY " + strings.Join(order, ", ")
	}

	rows, err := db.Query(query)
	if err != nil {
		return nil, fail("layer %q: %v", layer.table, err)
	}
	defer rows.Close()
	vals := make([]any, len(selects))
	ptrs := make([]any, len(selects))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for num := 1; rows.Next(); num++ {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, &Error{Path: p, Feature: num, Reason: err.Error()}
		}
		f := Feature{Number: num, Attrs: make(map[string]string, len(attrCols))}
		a := 0
		for i, v := range vals {
			if i == geomIndex {
				continue
			}
			f.Attrs[attrCols[a].name] = gpkgText(v, attrCols[a].typ)
			a++
		}
		switch g := vals[geomIndex].(type) {
		case nil:
		case []byte:
			if f.WKB, err = gpkgWKB(g); err != nil {
				return nil, &Error{Path: p, Feature: num, Field: layer.geomColumn, Reason: err.Error()}
			}
		default:
			return nil, &Error{Path: p, Feature: num, Field: layer.geomColumn, Reason: fmt.Sprintf("geometry is a %T, not a blob", g)}
		}
		ds.Features = append(ds.Features, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("layer %q: %v", layer.table, err)
	}
	return ds, nil
}

// gpkgPickLayer lists the feature tables and picks the one named (exactly,
// else ignoring case) or the only one.
func gpkgPickLayer(db *sql.DB, p, want string) (gpkgLayer, error) {
	rows, err := db.Query(gpkgLayersSQL)
	if err != nil {
		return gpkgLayer{}, &Error{Path: p, Reason: fmt.Sprintf("not a GeoPackage: %v", err)}
	}
	defer rows.Close()
	var layers []gpkgLayer
	for rows.Next() {
		var l gpkgLayer
		if err := rows.Scan(&l.table, &l.geomColumn, &l.srsID); err != nil {
			return gpkgLayer{}, &Error{Path: p, Reason: fmt.Sprintf("reading gpkg_contents: %v", err)}
		}
		layers = append(layers, l)
	}
	if err := rows.Err(); err != nil {
		return gpkgLayer{}, &Error{Path: p, Reason: fmt.Sprintf("not a GeoPackage: %v", err)}
	}
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.table
	}
	switch {
	case len(layers) == 0:
		return gpkgLayer{}, &Error{Path: p, Reason: "the GeoPackage has no feature table"}
	case want != "":
		for _, l := range layers {
			if l.table == want {
				return l, nil
			}
		}
		for _, l := range layers {
			if strings.EqualFold(l.table, want) {
				return l, nil
			}
		}
		return gpkgLayer{}, &Error{Path: p, Reason: fmt.Sprintf("no feature table %q; the GeoPackage has: %s", want, strings.Join(names, ", "))}
	case len(layers) > 1:
		return gpkgLayer{}, &Error{Path: p, Reason: fmt.Sprintf("the GeoPackage has %d feature tables (%s); choose one as the layer", len(layers), strings.Join(names, ", "))}
	}
	return layers[0], nil
}

// gpkgCRS describes srs_id from gpkg_spatial_ref_sys. The SRID is set only
// for an EPSG definition; the reserved "undefined" systems (srs_id 0 and -1)
// give no WKT.
func gpkgCRS(db *sql.DB, srsID int) (CRS, error) {
	var name, org, def sql.NullString
	var code sql.NullInt64
	err := db.QueryRow(gpkgSRSSQL, srsID).Scan(&name, &org, &code, &def)
	if errors.Is(err, sql.ErrNoRows) {
		return CRS{}, fmt.Errorf("srs_id %d is not in gpkg_spatial_ref_sys", srsID)
	}
	if err != nil {
		return CRS{}, fmt.Errorf("reading gpkg_spatial_ref_sys: %w", err)
	}
	crs := CRS{Name: name.String, WKT: strings.TrimSpace(def.String)}
	if strings.EqualFold(org.String, "EPSG") && code.Int64 > 0 {
		crs.SRID = int(code.Int64)
	}
	if strings.EqualFold(crs.WKT, "undefined") {
		crs.WKT = ""
		var wkt2 sql.NullString
		// The column exists only with the crs_wkt extension; without it the
		// query fails and there is simply no definition.
		if db.QueryRow(gpkgSRSWKT2SQL, srsID).Scan(&wkt2) == nil && !strings.EqualFold(strings.TrimSpace(wkt2.String), "undefined") {
			crs.WKT = strings.TrimSpace(wkt2.String)
		}
	}
	return crs, nil
}

func gpkgColumns(db *sql.DB, table string) ([]gpkgColumn, error) {
	rows, err := db.Query(gpkgColumnsSQL, table)
	if err != nil {
		return nil, fmt.Errorf("reading columns: %w", err)
	}
	defer rows.Close()
	var cols []gpkgColumn
	for rows.Next() {
		var c gpkgColumn
		if err := rows.Scan(&c.name, &c.typ, &c.pk); err != nil {
			return nil, fmt.Errorf("reading columns: %w", err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading columns: %w", err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table does not exist")
	}
	return cols, nil
}

// gpkgText renders an attribute as text: numbers in their shortest exact
// form, BOOLEAN as "true"/"false", NULL as "".
func gpkgText(v any, declared string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case int64:
		if strings.EqualFold(declared, "BOOLEAN") && (v == 0 || v == 1) {
			return strconv.FormatBool(v == 1)
		}
		return strconv.FormatInt(v, 10)
	case float64:
		return formatFloat(v)
	case string:
		return v
	case []byte:
		// A blob attribute has no text form of its own.
		return hex.EncodeToString(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(v)
}

// formatFloat writes the shortest text that reads back as v, without an
// exponent unless the number is very large or small (JavaScript's limits),
// so that 1234567.5 stays "1234567.5".
func formatFloat(v float64) string {
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
