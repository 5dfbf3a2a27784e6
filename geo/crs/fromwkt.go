package crs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

const radPerDegree = math.Pi / 180

// horizontal returns the horizontal CRS of a definition: the definition
// itself, the horizontal part of a compound CRS or the source of a WKT2
// bound CRS.
func horizontal(n *wktNode) (*wktNode, error) {
	switch n.key {
	case "PROJCS", "PROJCRS", "PROJECTEDCRS", "GEOGCS", "GEOGCRS", "GEOGRAPHICCRS", "GEODCRS", "GEODETICCRS":
		return n, nil
	case "COMPD_CS", "COMPOUNDCRS":
		for _, a := range n.args {
			if a.node == nil {
				continue
			}
			if h, err := horizontal(a.node); err == nil {
				return h, nil
			}
		}
		return nil, fmt.Errorf("compound CRS %q has no horizontal part", n.name())
	case "BOUNDCRS":
		if src := n.child("SOURCECRS"); src != nil {
			for _, a := range src.args {
				if a.node != nil {
					return horizontal(a.node)
				}
			}
		}
		return nil, fmt.Errorf("bound CRS without SOURCECRS")
	}
	return nil, fmt.Errorf("%s is not a horizontal CRS", n.key)
}

// epsgCode returns the EPSG code n itself carries (WKT1 AUTHORITY, WKT2
// ID); nested codes of its datum or base CRS do not count.
func epsgCode(n *wktNode) (int, bool) {
	for _, key := range []string{"AUTHORITY", "ID"} {
		for _, c := range n.children(key) {
			if !strings.EqualFold(c.name(), "EPSG") {
				continue
			}
			code, err := strconv.Atoi(strings.TrimSpace(c.text(1)))
			if err == nil && code > 0 {
				return code, true
			}
		}
	}
	return 0, false
}

// geodetic is what a geographic CRS contributes.
type geodetic struct {
	datum   string
	a, rf   float64
	pm      float64 // degrees
	angUnit float64 // radians per unit of the CRS's angles
}

// fromWKT reduces a horizontal CRS node; it also returns the datum name.
func fromWKT(h *wktNode) (params, string, error) {
	var geog *wktNode
	projected := false
	switch h.key {
	case "PROJCS":
		geog, projected = h.child("GEOGCS"), true
	case "PROJCRS", "PROJECTEDCRS":
		geog, projected = h.child("BASEGEOGCRS", "BASEGEODCRS", "GEOGCRS", "GEODCRS", "BASEGEOGRAPHICCRS"), true
	default:
		geog = h
		if cs := h.child("CS"); cs != nil && !strings.EqualFold(cs.text(0), "ellipsoidal") {
			return params{}, "", fmt.Errorf("%s coordinate system is not supported", cs.text(0))
		}
	}
	if geog == nil {
		return params{}, "", fmt.Errorf("%s has no geographic base CRS", h.key)
	}
	g, err := readGeodetic(geog)
	if err != nil {
		return params{}, "", err
	}

	// GDAL's WKT1 for pseudo-Mercator carries the exact PROJ string, which
	// says more than the WKT1 Mercator_1SP it pretends to be.
	if ext := h.child("EXTENSION"); ext != nil && strings.EqualFold(ext.name(), "PROJ4") {
		p, _, err := fromProj4(ext.text(1))
		return p, g.datum, err
	}

	p := params{a: g.a, rf: g.rf, pm: g.pm}
	if !projected {
		p.proj = "longlat"
		return p, g.datum, p.finish(nil)
	}

	var method *wktNode
	var paramNodes []*wktNode
	linearUnit := 1.0
	wkt2 := h.key != "PROJCS"
	if wkt2 {
		conv := h.child("CONVERSION")
		if conv == nil {
			return params{}, "", fmt.Errorf("%s has no CONVERSION", h.key)
		}
		method = conv.child("METHOD", "PROJECTION")
		paramNodes = conv.children("PARAMETER")
		if u := projectedUnit(h); u > 0 {
			linearUnit = u
		}
	} else {
		method = h.child("PROJECTION")
		paramNodes = h.children("PARAMETER")
		if u := h.child("UNIT"); u != nil {
			if f, err := u.number(1); err == nil && f > 0 {
				linearUnit = f
			}
		}
	}
	if method == nil {
		return params{}, "", fmt.Errorf("%s has no projection method", h.key)
	}
	proj, sphere := projectionMethod(method.name())
	p.proj = proj
	if sphere {
		p.rf = 0
	}
	p.unit = linearUnit

	raw := map[string]float64{}
	for _, pn := range paramNodes {
		key, ignore := parameterKey(pn.name(), proj)
		if ignore {
			continue
		}
		if key == "" {
			return params{}, "", fmt.Errorf("projection parameter %q is not supported", pn.name())
		}
		v, err := pn.number(1)
		if err != nil {
			return params{}, "", err
		}
		raw[key] = paramValue(v, key, pn, wkt2, g.angUnit, linearUnit)
	}
	return p, g.datum, p.finish(raw)
}

// paramValue converts a parameter to degrees or metres. WKT2 parameters
// carry their unit; WKT1 angles are in the geographic CRS's angular unit
// and lengths in the projected CRS's linear unit.
func paramValue(v float64, key string, pn *wktNode, wkt2 bool, angUnit, linearUnit float64) float64 {
	if wkt2 {
		if u := pn.child("ANGLEUNIT", "LENGTHUNIT", "SCALEUNIT", "UNIT"); u != nil {
			if f, err := u.number(1); err == nil && f > 0 {
				if isAngle(key) {
					return v * f / radPerDegree
				}
				return v * f
			}
		}
		return v
	}
	switch {
	case isAngle(key):
		return v * angUnit / radPerDegree
	case key == pX0 || key == pY0:
		return v * linearUnit
	}
	return v
}

// projectedUnit finds a WKT2 projected CRS's linear unit: a UNIT or
// LENGTHUNIT of the CRS itself or of its first axis.
func projectedUnit(h *wktNode) float64 {
	u := h.child("LENGTHUNIT", "UNIT")
	if u == nil {
		for _, ax := range h.children("AXIS") {
			if u = ax.child("LENGTHUNIT", "UNIT"); u != nil {
				break
			}
		}
	}
	if u == nil {
		return 0
	}
	f, err := u.number(1)
	if err != nil {
		return 0
	}
	return f
}

// readGeodetic reads datum, ellipsoid, prime meridian and angular unit.
func readGeodetic(geog *wktNode) (geodetic, error) {
	g := geodetic{angUnit: radPerDegree}
	datum := geog.child("DATUM", "GEODETICDATUM", "TRF", "ENSEMBLE")
	if datum == nil {
		return g, fmt.Errorf("%s[%q] has no DATUM", geog.key, geog.name())
	}
	g.datum = datum.name()
	ell := datum.child("SPHEROID", "ELLIPSOID")
	if ell == nil {
		return g, fmt.Errorf("DATUM[%q] has no SPHEROID", datum.name())
	}
	var err error
	if g.a, err = ell.number(1); err != nil {
		return g, err
	}
	if g.rf, err = ell.number(2); err != nil {
		return g, err
	}
	if u := ell.child("LENGTHUNIT", "UNIT"); u != nil {
		if f, err := u.number(1); err == nil && f > 0 {
			g.a *= f
		}
	}
	if u := geog.child("UNIT", "ANGLEUNIT"); u != nil {
		if f, err := u.number(1); err == nil && f > 0 {
			g.angUnit = f
		}
	}
	if pm := geog.child("PRIMEM", "PRIMEMERIDIAN"); pm != nil {
		v, err := pm.number(1)
		if err != nil {
			return g, err
		}
		// WKT1 writers (GDAL, ESRI) give the prime meridian in degrees;
		// WKT2 states its unit.
		if u := pm.child("ANGLEUNIT", "UNIT"); u != nil {
			if f, err := u.number(1); err == nil && f > 0 {
				v = v * f / radPerDegree
			}
		}
		g.pm = v
	}
	return g, nil
}

// Declared reads what a WKT definition says of itself: the name of its
// outermost CRS and the EPSG code that CRS states (0 if none). Codes of
// nested elements (datum, base CRS) do not identify the CRS and are ignored.
func Declared(wkt string) (name string, srid int, err error) {
	root, err := parseWKT(wkt)
	if err != nil {
		return "", 0, err
	}
	code, _ := epsgCode(root)
	return root.name(), code, nil
}
