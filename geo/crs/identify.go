package crs

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Entry is one row of PostGIS' spatial_ref_sys.
type Entry struct {
	SRID      int
	AuthName  string
	SRText    string
	Proj4Text string
}

// ErrUnknown is returned (wrapped) when no catalog entry matches a WKT.
var ErrUnknown = errors.New("unknown CRS")

// AmbiguousError is returned when several catalog entries match a WKT
// equally well and none is a CRS commonly used in Germany.
type AmbiguousError struct {
	Name       string // the WKT's own name
	Candidates []int  // EPSG codes, ascending
}

func (e *AmbiguousError) Error() string {
	codes := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		codes[i] = "EPSG:" + strconv.Itoa(c)
	}
	return fmt.Sprintf("ambiguous CRS %q, candidates %s; pass --crs", e.Name, strings.Join(codes, ", "))
}

// Identify finds the EPSG code of a WKT definition — WKT1 as OGC/GDAL or
// ESRI write it (shapefile .prj files) or WKT2 — among catalog, rows of
// spatial_ref_sys. An EPSG code the CRS itself states is taken when the
// catalog has it. Otherwise the definition is reduced to projection,
// ellipsoid, parameters and unit and compared with each entry's PROJ
// string; several equal candidates are narrowed by datum name, then by a
// list of CRSs in common use in Germany (lowest code first), then by
// dropping deprecated ones. Fails with ErrUnknown or *AmbiguousError.
func Identify(wkt string, catalog []Entry) (int, error) {
	root, err := parseWKT(wkt)
	if err != nil {
		return 0, err
	}
	h, err := horizontal(root)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnknown, err)
	}
	name := h.name()

	stated, hasCode := epsgCode(h)
	note := ""
	if hasCode {
		for _, e := range catalog {
			if e.SRID == stated && strings.EqualFold(e.AuthName, "EPSG") {
				return stated, nil
			}
		}
		note = fmt.Sprintf(" (its EPSG:%d is not in spatial_ref_sys)", stated)
	}

	want, datum, err := fromWKT(h)
	if err != nil {
		return 0, fmt.Errorf("%w: %s%s: %w", ErrUnknown, name, note, err)
	}
	cands := matching(want, catalog)
	if len(cands) == 0 {
		return 0, fmt.Errorf("%w: %s%s", ErrUnknown, name, note)
	}
	return choose(name, datum, cands)
}

// candidate is a catalog entry whose parameters match.
type candidate struct {
	srid  int
	name  string
	datum string
}

// matching returns the 2D EPSG entries of catalog with parameters equal
// to want.
func matching(want params, catalog []Entry) []candidate {
	var out []candidate
	for _, e := range catalog {
		if !strings.EqualFold(e.AuthName, "EPSG") {
			continue
		}
		p, compound, err := fromProj4(e.Proj4Text)
		if err != nil || compound || !want.same(p) {
			continue
		}
		c := candidate{srid: e.SRID}
		if t, err := parseWKT(e.SRText); err == nil {
			if vertical(t) {
				continue
			}
			if h, err := horizontal(t); err == nil {
				c.name = h.name()
				c.datum = datumOf(h)
			}
		}
		out = append(out, c)
	}
	return out
}

// vertical reports whether a catalog definition has a height axis (a
// compound or 3D CRS), which a 2D boundary file never means.
func vertical(t *wktNode) bool {
	if t.key == "COMPD_CS" || t.key == "COMPOUNDCRS" {
		return true
	}
	h, err := horizontal(t)
	if err != nil {
		return false
	}
	cs := h.child("CS")
	return cs != nil && strings.TrimSpace(cs.text(1)) == "3"
}

// datumOf returns the datum name of a horizontal CRS node.
func datumOf(h *wktNode) string {
	geog := h
	if g := h.child("GEOGCS", "BASEGEOGCRS", "BASEGEODCRS", "GEOGCRS", "GEODCRS", "BASEGEOGRAPHICCRS"); g != nil {
		geog = g
	}
	if d := geog.child("DATUM", "GEODETICDATUM", "TRF", "ENSEMBLE"); d != nil {
		return d.name()
	}
	return ""
}

// choose narrows equal candidates down to one.
func choose(name, datum string, cands []candidate) (int, error) {
	if len(cands) > 1 {
		want := datumKey(datum)
		same := slices.DeleteFunc(slices.Clone(cands), func(c candidate) bool { return datumKey(c.datum) != want })
		if len(same) > 0 {
			cands = same
		}
	}
	if len(cands) == 1 {
		return cands[0].srid, nil
	}
	slices.SortFunc(cands, func(a, b candidate) int { return a.srid - b.srid })
	for _, c := range cands {
		if preferred(c.srid) {
			return c.srid, nil
		}
	}
	current := slices.DeleteFunc(slices.Clone(cands), func(c candidate) bool {
		return strings.Contains(strings.ToLower(c.name), "deprecated")
	})
	if len(current) == 1 {
		return current[0].srid, nil
	}
	codes := make([]int, len(cands))
	for i, c := range cands {
		codes[i] = c.srid
	}
	return 0, &AmbiguousError{Name: name, Candidates: codes}
}

// preferred lists the CRSs German planning data comes in. 5677/5678 (DHDN
// Gauss-Krüger with easting first) are left out on purpose: they equal
// 31467/31468 but have lower codes and would win every tie.
func preferred(srid int) bool {
	switch srid {
	case 4326, 4258, 3857, 3035,
		25832, 25833, 4647, 5650, 32632, 32633,
		31466, 31467, 31468, 31469:
		return true
	}
	return false
}

// datumKey normalises a datum name so that ESRI's, GDAL's and EPSG's
// spellings of the same datum compare equal.
func datumKey(name string) string {
	if len(name) > 2 && strings.EqualFold(name[:2], "D_") {
		name = name[2:]
	}
	k := normKey(name)
	switch k {
	case "etrs1989", "etrs89", "europeanterrestrialreferencesystem1989",
		"europeanterrestrialreferencesystem1989ensemble":
		return "etrs89"
	case "wgs1984", "wgs84", "worldgeodeticsystem1984", "worldgeodeticsystem1984ensemble":
		return "wgs84"
	case "deutscheshauptdreiecksnetz", "dhdn":
		return "dhdn"
	case "northamerican1983", "northamericandatum1983", "nad1983", "nad83":
		return "nad83"
	case "europeandatum1950", "european1950", "ed1950", "ed50":
		return "ed50"
	case "potsdamdatum83", "pd83":
		return "pd83"
	case "militargeographischeinstitut", "mgi":
		return "mgi"
	}
	return k
}
