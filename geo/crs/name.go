// Package crs names and identifies coordinate reference systems: it parses
// the references that files and web requests use ("EPSG:25832", OGC URNs and
// URIs, CRS84) and finds the EPSG code of a WKT definition such as a
// shapefile's .prj by comparing it with PostGIS' spatial_ref_sys catalog.
package crs

import (
	"fmt"
	"strconv"
	"strings"
)

// Ref is a parsed CRS reference.
type Ref struct {
	SRID int // EPSG code
	// LonLat is true for OGC CRS84: the EPSG:4326 datum with longitude
	// first. EPSG:4326 itself is latitude first by its authority's
	// definition, which OGC API Features Part 2 requires clients to honour.
	LonLat bool
}

const (
	uriCRS84    = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	uriEPSG     = "http://www.opengis.net/def/crs/EPSG/0/"
	urnPrefix   = "urn:ogc:def:crs:"
	urnPrefixX  = "urn:x-ogc:def:crs:"
	httpPrefix  = "http://www.opengis.net/def/crs/"
	httpsPrefix = "https://www.opengis.net/def/crs/"
	// GML 2 and early WFS wrote EPSG codes in this form.
	gmlPrefix = "http://www.opengis.net/gml/srs/epsg.xml#"
)

// ParseName parses a CRS reference: "EPSG:25832" (any case),
// "urn:ogc:def:crs:EPSG::25832", "urn:ogc:def:crs:EPSG:9.8.1:25832",
// "http://www.opengis.net/def/crs/EPSG/0/25832" (also https),
// "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84"
// or "CRS84". CRS84 is returned as SRID 4326 with LonLat true, EPSG:4326 as
// SRID 4326 with LonLat false.
func ParseName(s string) (Ref, error) {
	name := strings.TrimSpace(s)
	lower := strings.ToLower(name)
	var authority, code string
	switch {
	case lower == "crs84" || lower == "ogc:crs84":
		return crs84(), nil
	case strings.HasPrefix(lower, "epsg:"):
		authority, code = "epsg", name[len("epsg:"):]
	case strings.HasPrefix(lower, urnPrefix), strings.HasPrefix(lower, urnPrefixX):
		// urn:ogc:def:crs:{authority}:{version}:{code}; the version may be empty.
		rest := name[strings.Index(lower, "crs:")+len("crs:"):]
		parts := strings.Split(rest, ":")
		if len(parts) != 3 {
			return Ref{}, fmt.Errorf("CRS name %q: expected urn:ogc:def:crs:AUTHORITY:VERSION:CODE", s)
		}
		authority, code = strings.ToLower(parts[0]), parts[2]
	case strings.HasPrefix(lower, httpPrefix), strings.HasPrefix(lower, httpsPrefix):
		// http://www.opengis.net/def/crs/{authority}/{version}/{code}
		rest := name[strings.Index(lower, "/def/crs/")+len("/def/crs/"):]
		parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
		if len(parts) != 3 {
			return Ref{}, fmt.Errorf("CRS name %q: expected http://www.opengis.net/def/crs/AUTHORITY/VERSION/CODE", s)
		}
		authority, code = strings.ToLower(parts[0]), parts[2]
	case strings.HasPrefix(lower, gmlPrefix):
		authority, code = "epsg", name[len(gmlPrefix):]
	default:
		return Ref{}, fmt.Errorf("CRS name %q: not an EPSG code, OGC URN or URI, or CRS84", s)
	}
	switch authority {
	case "epsg":
		n, err := strconv.Atoi(code)
		if err != nil || n <= 0 {
			return Ref{}, fmt.Errorf("CRS name %q: EPSG code %q is not a positive number", s, code)
		}
		return Ref{SRID: n}, nil
	case "ogc":
		if strings.EqualFold(code, "CRS84") {
			return crs84(), nil
		}
		return Ref{}, fmt.Errorf("CRS name %q: OGC CRS %q is not supported (only CRS84)", s, code)
	}
	return Ref{}, fmt.Errorf("CRS name %q: authority %q is not supported (only EPSG and OGC)", s, authority)
}

// crs84 is OGC's longitude-first WGS 84, the CRS of RFC 7946 GeoJSON.
func crs84() Ref { return Ref{SRID: 4326, LonLat: true} }

// URI returns the OGC http URI of the reference, the form OGC API Features
// uses: http://www.opengis.net/def/crs/OGC/1.3/CRS84 or
// http://www.opengis.net/def/crs/EPSG/0/N.
func (r Ref) URI() string {
	if r.LonLat && r.SRID == 4326 {
		return uriCRS84
	}
	return uriEPSG + strconv.Itoa(r.SRID)
}

// String returns "CRS84" or "EPSG:N".
func (r Ref) String() string {
	if r.LonLat && r.SRID == 4326 {
		return "CRS84"
	}
	return "EPSG:" + strconv.Itoa(r.SRID)
}
