package crs

import (
	"fmt"
	"math"
	"strings"
)

// params is a CRS reduced to what decides where coordinates lie: the
// projection method with its parameters, the ellipsoid, the prime meridian
// and the linear unit. Both WKT and PROJ strings are reduced to it so that
// they can be compared. The datum is not part of it: PROJ strings only
// carry it as a transformation, so candidates with equal params are told
// apart by datum name afterwards.
type params struct {
	proj string  // longlat, tmerc, merc, laea, lcc, aea
	a    float64 // semi-major axis, metres
	rf   float64 // inverse flattening, 0 for a sphere
	pm   float64 // prime meridian, degrees east of Greenwich

	lat0, lon0 float64 // origin, degrees
	lat1, lat2 float64 // standard parallels (lcc, aea), degrees
	k          float64 // scale factor at the origin
	x0, y0     float64 // false easting and northing, metres
	unit       float64 // metres per coordinate unit; 0 for longlat
}

// Tolerances: angles to 1e-8° (about a millimetre), false origins to a
// centimetre (feet definitions convert with rounding), inverse flattening
// tight enough to tell GRS 80 (298.257222101) from WGS 84 (298.257223563).
const (
	tolAngle = 1e-8
	tolScale = 1e-9
	tolMetre = 1e-2
	tolAxis  = 1e-3
	tolRF    = 5e-7
	tolUnit  = 1e-9
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// same reports whether p and q describe the same coordinates.
func (p params) same(q params) bool {
	return p.proj == q.proj &&
		near(p.a, q.a, tolAxis) && near(p.rf, q.rf, tolRF) && near(p.pm, q.pm, tolAngle) &&
		near(p.lat0, q.lat0, tolAngle) && near(p.lon0, q.lon0, tolAngle) &&
		near(p.lat1, q.lat1, tolAngle) && near(p.lat2, q.lat2, tolAngle) &&
		near(p.k, q.k, tolScale) &&
		near(p.x0, q.x0, tolMetre) && near(p.y0, q.y0, tolMetre) &&
		near(p.unit, q.unit, tolUnit*math.Max(1, p.unit))
}

// Keys of the raw parameter map both readers fill before finish.
const (
	pLat0  = "lat0"
	pLon0  = "lon0"
	pLat1  = "lat1"
	pLat2  = "lat2"
	pLatTS = "lat_ts"
	pK     = "k"
	pX0    = "x0"
	pY0    = "y0"
)

// finish fills p's projection parameters from raw, applying each method's
// defaults and reducing equivalent forms (Mercator's latitude of true scale
// to a scale factor, LCC 1SP to equal standard parallels) to one.
func (p *params) finish(raw map[string]float64) error {
	get := func(key string, def float64) float64 {
		if v, ok := raw[key]; ok {
			return v
		}
		return def
	}
	switch p.proj {
	case "longlat":
		p.unit = 0
		return nil
	case "tmerc":
		p.lat0, p.lon0, p.k = get(pLat0, 0), get(pLon0, 0), get(pK, 1)
	case "merc":
		p.lon0, p.k = get(pLon0, 0), get(pK, 1)
		if ts, ok := raw[pLatTS]; ok {
			p.k = mercatorScale(ts, p.rf)
		}
	case "laea":
		p.lat0, p.lon0 = get(pLat0, 0), get(pLon0, 0)
	case "lcc":
		p.lat0, p.lon0, p.k = get(pLat0, 0), get(pLon0, 0), get(pK, 1)
		p.lat1 = get(pLat1, p.lat0)
		p.lat2 = get(pLat2, p.lat1)
		p.lat1, p.lat2 = math.Min(p.lat1, p.lat2), math.Max(p.lat1, p.lat2)
	case "aea":
		p.lat0, p.lon0 = get(pLat0, 0), get(pLon0, 0)
		p.lat1 = get(pLat1, 0)
		p.lat2 = get(pLat2, p.lat1)
		p.lat1, p.lat2 = math.Min(p.lat1, p.lat2), math.Max(p.lat1, p.lat2)
	default:
		return fmt.Errorf("projection %q is not supported", p.proj)
	}
	p.x0, p.y0 = get(pX0, 0), get(pY0, 0)
	if p.unit == 0 {
		p.unit = 1
	}
	return nil
}

// mercatorScale is the scale factor at the equator of a Mercator projection
// true to scale at latitude ts (EPSG Guidance Note 7-2, Mercator variant B).
func mercatorScale(ts, rf float64) float64 {
	phi := ts * math.Pi / 180
	e2 := 0.0
	if rf != 0 {
		f := 1 / rf
		e2 = 2*f - f*f
	}
	s := math.Sin(phi)
	return math.Cos(phi) / math.Sqrt(1-e2*s*s)
}

// normKey lowercases s and drops everything but letters and digits, so that
// "False_Easting", "false easting" and "falseeasting" compare equal.
func normKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// projectionMethod maps WKT projection names (OGC WKT1 as GDAL writes it,
// ESRI, and WKT2/EPSG method names) to the PROJ name used in params.
// sphere reports the pseudo-Mercator family, which projects the ellipsoid's
// coordinates as if on a sphere of its semi-major axis.
func projectionMethod(name string) (proj string, sphere bool) {
	switch normKey(name) {
	case "transversemercator", "gausskruger", "gausskrueger":
		return "tmerc", false
	case "mercator", "mercator1sp", "mercator2sp", "mercatorvarianta", "mercatorvariantb":
		return "merc", false
	case "mercatorauxiliarysphere", "popularvisualisationpseudomercator", "popularvisualizationpseudomercator":
		return "merc", true
	case "lambertazimuthalequalarea":
		return "laea", false
	case "lambertconformalconic", "lambertconformalconic1sp", "lambertconformalconic2sp",
		"lambertconicconformal1sp", "lambertconicconformal2sp":
		return "lcc", false
	case "albersconicequalarea", "albers", "albersequalarea":
		return "aea", false
	}
	return name, false
}

// parameterKey maps WKT parameter names to raw keys; ignore is true for
// parameters that do not change coordinates, "" for unknown ones.
func parameterKey(name string, proj string) (key string, ignore bool) {
	switch normKey(name) {
	case "latitudeoforigin", "latitudeofnaturalorigin", "latitudeofcenter", "latitudeofcentre",
		"latitudeoffalseorigin", "latitudeofprojectioncentre", "latitudeofprojectioncenter":
		return pLat0, false
	case "centralmeridian", "longitudeofnaturalorigin", "longitudeofcenter", "longitudeofcentre",
		"longitudeoffalseorigin", "longitudeoforigin", "longitudeofprojectioncentre", "longitudeofprojectioncenter":
		return pLon0, false
	case "scalefactor", "scalefactoratnaturalorigin":
		return pK, false
	case "falseeasting", "eastingatfalseorigin":
		return pX0, false
	case "falsenorthing", "northingatfalseorigin":
		return pY0, false
	case "standardparallel1", "latitudeof1ststandardparallel":
		if proj == "merc" {
			return pLatTS, false
		}
		return pLat1, false
	case "standardparallel2", "latitudeof2ndstandardparallel":
		return pLat2, false
	case "auxiliaryspheretype":
		return "", true
	}
	return "", false
}

// isAngle reports whether a raw key holds an angle.
func isAngle(key string) bool {
	switch key {
	case pLat0, pLon0, pLat1, pLat2, pLatTS:
		return true
	}
	return false
}
