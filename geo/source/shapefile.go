package source

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// shapefileParts holds the member files of one shapefile, read into memory.
// The names are for messages: real paths, or paths inside a zip.
type shapefileParts struct {
	layer            string
	shpName, dbfName string
	shp, dbf         []byte
	prj, cpg         []byte
	hasPrj, hasCPG   bool
	prjName, cpgName string
}

// readShapefile reads path (.shp) with the .dbf, .prj and .cpg beside it,
// matched by base name regardless of the extension's case.
func readShapefile(p string, opts Options) (*Dataset, error) {
	dir, file := filepath.Split(p)
	base := strings.TrimSuffix(file, filepath.Ext(file))
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &Error{Path: p, Reason: err.Error()}
	}
	names := make(map[string]string) // lower-case name -> name, exact base preferred
	for _, e := range entries {
		n := e.Name()
		key := strings.ToLower(n)
		if _, seen := names[key]; !seen || strings.HasPrefix(n, base+".") {
			names[key] = n
		}
	}
	sibling := func(ext string) (string, bool) {
		n, ok := names[strings.ToLower(base+ext)]
		if !ok {
			return "", false
		}
		return filepath.Join(filepath.Dir(p), n), true
	}

	parts := shapefileParts{layer: base, shpName: p}
	if parts.shp, err = os.ReadFile(p); err != nil {
		return nil, &Error{Path: p, Reason: err.Error()}
	}
	dbf, ok := sibling(".dbf")
	if !ok {
		return nil, &Error{Path: p, Reason: "no .dbf file beside it; a shapefile needs its attribute table"}
	}
	parts.dbfName = dbf
	if parts.dbf, err = os.ReadFile(dbf); err != nil {
		return nil, &Error{Path: dbf, Reason: err.Error()}
	}
	if prj, ok := sibling(".prj"); ok {
		parts.prjName, parts.hasPrj = prj, true
		if parts.prj, err = os.ReadFile(prj); err != nil {
			return nil, &Error{Path: prj, Reason: err.Error()}
		}
	}
	if cpg, ok := sibling(".cpg"); ok {
		parts.cpgName, parts.hasCPG = cpg, true
		if parts.cpg, err = os.ReadFile(cpg); err != nil {
			return nil, &Error{Path: cpg, Reason: err.Error()}
		}
	}
	ds, err := decodeShapefile(parts, opts)
	if err != nil {
		return nil, err
	}
	ds.Path = p
	return ds, nil
}

// zipMaxMember bounds the size of one member read from a zip, so that a
// damaged or hostile archive cannot claim unbounded memory.
const zipMaxMember = 1 << 31

// readZip reads the shapefile held by a zip archive, in memory. Members may
// sit in a folder; .shp, .dbf, .prj and .cpg are grouped by their path
// without extension, case-insensitively. With several shapefiles,
// Options.Layer names the one to read by its base name.
func readZip(p string, opts Options) (*Dataset, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, &Error{Path: p, Reason: fmt.Sprintf("cannot open zip: %v", err)}
	}
	defer zr.Close()

	type group struct {
		layer   string
		members map[string]*zip.File // by lower-case extension
	}
	groups := make(map[string]*group)
	for _, f := range zr.File {
		name := f.Name
		// Folders and the resource forks macOS adds to archives are not data.
		if f.FileInfo().IsDir() || strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(path.Base(name), "._") {
			continue
		}
		ext := strings.ToLower(path.Ext(name))
		switch ext {
		case ".shp", ".dbf", ".prj", ".cpg":
		default:
			continue
		}
		stem := strings.TrimSuffix(name, path.Ext(name))
		key := strings.ToLower(stem)
		g := groups[key]
		if g == nil {
			g = &group{members: make(map[string]*zip.File)}
			groups[key] = g
		}
		if ext == ".shp" {
			g.layer = path.Base(stem)
		}
		g.members[ext] = f
	}
	var shapes []*group
	for _, g := range groups {
		if g.layer != "" {
			shapes = append(shapes, g)
		}
	}
	sort.Slice(shapes, func(i, j int) bool {
		return shapes[i].members[".shp"].Name < shapes[j].members[".shp"].Name
	})
	list := func() string {
		var names []string
		for _, g := range shapes {
			names = append(names, g.layer)
		}
		return strings.Join(names, ", ")
	}

	var pick []*group
	switch {
	case len(shapes) == 0:
		return nil, &Error{Path: p, Reason: "the zip holds no shapefile (.shp)"}
	case opts.Layer != "":
		for _, g := range shapes {
			if g.layer == opts.Layer {
				pick = append(pick, g)
			}
		}
		if len(pick) == 0 {
			for _, g := range shapes {
				if strings.EqualFold(g.layer, opts.Layer) {
					pick = append(pick, g)
				}
			}
		}
		if len(pick) == 0 {
			return nil, &Error{Path: p, Reason: fmt.Sprintf("no shapefile %q in the zip; it holds: %s", opts.Layer, list())}
		}
		if len(pick) > 1 {
			var where []string
			for _, g := range pick {
				where = append(where, g.members[".shp"].Name)
			}
			return nil, &Error{Path: p, Reason: fmt.Sprintf("shapefile %q occurs %d times in the zip: %s", opts.Layer, len(pick), strings.Join(where, ", "))}
		}
	case len(shapes) > 1:
		return nil, &Error{Path: p, Reason: fmt.Sprintf("the zip holds %d shapefiles (%s); choose one as the layer", len(shapes), list())}
	default:
		pick = shapes
	}
	g := pick[0]

	read := func(f *zip.File) ([]byte, string, error) {
		name := p + "/" + f.Name
		if f.UncompressedSize64 > zipMaxMember {
			return nil, name, &Error{Path: name, Reason: fmt.Sprintf("member of %d bytes is too large", f.UncompressedSize64)}
		}
		rc, err := f.Open()
		if err != nil {
			return nil, name, &Error{Path: name, Reason: err.Error()}
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, zipMaxMember))
		if err != nil {
			return nil, name, &Error{Path: name, Reason: fmt.Sprintf("cannot read from zip: %v", err)}
		}
		return data, name, nil
	}
	parts := shapefileParts{layer: g.layer}
	if parts.shp, parts.shpName, err = read(g.members[".shp"]); err != nil {
		return nil, err
	}
	dbf, ok := g.members[".dbf"]
	if !ok {
		return nil, &Error{Path: parts.shpName, Reason: "no .dbf file beside it in the zip; a shapefile needs its attribute table"}
	}
	if parts.dbf, parts.dbfName, err = read(dbf); err != nil {
		return nil, err
	}
	if f, ok := g.members[".prj"]; ok {
		parts.hasPrj = true
		if parts.prj, parts.prjName, err = read(f); err != nil {
			return nil, err
		}
	}
	if f, ok := g.members[".cpg"]; ok {
		parts.hasCPG = true
		if parts.cpg, parts.cpgName, err = read(f); err != nil {
			return nil, err
		}
	}
	ds, err := decodeShapefile(parts, opts)
	if err != nil {
		return nil, err
	}
	ds.Path = p
	return ds, nil
}

// decodeShapefile joins the geometry records of the .shp with the rows of
// the .dbf, record by record. Records deleted in the .dbf are skipped; the
// others keep their record number as Feature.Number.
func decodeShapefile(parts shapefileParts, opts Options) (*Dataset, error) {
	shp, err := parseSHP(parts.shpName, parts.shp)
	if err != nil {
		return nil, err
	}
	tbl, rawNames, err := parseDBF(parts.dbfName, parts.dbf)
	if err != nil {
		return nil, err
	}
	if tbl.numRecords != len(shp.records) {
		return nil, &Error{Path: parts.dbfName, Reason: fmt.Sprintf(
			"has %d records, but %s has %d; the two files do not belong together", tbl.numRecords, parts.shpName, len(shp.records))}
	}
	cs, err := chooseCharset(opts, tbl, parts.cpgName, parts.cpg, parts.hasCPG)
	if err != nil {
		return nil, err
	}

	ds := &Dataset{Layer: parts.layer}
	seen := make(map[string]bool)
	for i, raw := range rawNames {
		name, err := cs.decode(trimDBF(raw))
		if err != nil || name == "" {
			return nil, &Error{Path: parts.dbfName, Reason: fmt.Sprintf("field %d has an unreadable name %q", i+1, raw)}
		}
		tbl.fields[i].name = name
		if !tbl.fields[i].readable() {
			continue
		}
		if seen[name] {
			return nil, &Error{Path: parts.dbfName, Field: name, Reason: "field name occurs twice"}
		}
		seen[name] = true
		ds.Fields = append(ds.Fields, name)
	}
	if err := tbl.checkFieldTypes(); err != nil {
		return nil, err
	}
	if parts.hasPrj {
		ds.CRS = prjCRS(parts.prj)
	}

	ds.Features = make([]Feature, 0, len(shp.records))
	for i, rec := range shp.records {
		deleted, err := tbl.deleted(i)
		if err != nil {
			return nil, err
		}
		if deleted {
			continue
		}
		wkb, err := shapeWKB(rec.content, shp.shapeType)
		if err != nil {
			return nil, &Error{Path: parts.shpName, Feature: rec.number, Reason: err.Error()}
		}
		row := tbl.record(i)
		attrs := make(map[string]string, len(ds.Fields))
		for _, f := range tbl.fields {
			if !f.readable() {
				continue
			}
			v, err := tbl.value(row, rec.number, f, cs)
			if err != nil {
				return nil, err
			}
			attrs[f.name] = v
		}
		ds.Features = append(ds.Features, Feature{Number: rec.number, Attrs: attrs, WKB: wkb})
	}
	return ds, nil
}
