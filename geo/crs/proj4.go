package crs

import (
	"fmt"
	"strconv"
	"strings"
)

// ellipsoid is a semi-major axis and inverse flattening (0 for a sphere).
type ellipsoid struct{ a, rf float64 }

// proj4Ellipsoid returns PROJ's named ellipsoids (+ellps=); values as in
// PROJ's ellipsoid list and the EPSG dataset. Clarke 1866 is defined by its
// semi-minor axis, so its inverse flattening is derived.
func proj4Ellipsoid(name string) (ellipsoid, bool) {
	switch name {
	case "GRS80":
		return ellipsoid{6378137, 298.257222101}, true
	case "WGS84":
		return ellipsoid{6378137, 298.257223563}, true
	case "WGS72":
		return ellipsoid{6378135, 298.26}, true
	case "bessel":
		return ellipsoid{6377397.155, 299.1528128}, true
	case "bess_nam":
		return ellipsoid{6377483.865280419, 299.1528128}, true
	case "intl":
		return ellipsoid{6378388, 297}, true
	case "krass":
		return ellipsoid{6378245, 298.3}, true
	case "clrk66":
		return ellipsoid{6378206.4, 6378206.4 / (6378206.4 - 6356583.8)}, true
	case "clrk80":
		return ellipsoid{6378249.145, 293.4663}, true
	case "clrk80ign":
		return ellipsoid{6378249.2, 293.4660212936269}, true
	case "airy":
		return ellipsoid{6377563.396, 299.3249646}, true
	case "mod_airy":
		return ellipsoid{6377340.189, 299.3249646}, true
	case "aust_SA":
		return ellipsoid{6378160, 298.25}, true
	case "GRS67":
		return ellipsoid{6378160, 298.247167427}, true
	case "helmert":
		return ellipsoid{6378200, 298.3}, true
	case "hough":
		return ellipsoid{6378270, 297}, true
	case "IAU76":
		return ellipsoid{6378140, 298.257}, true
	case "sphere":
		return ellipsoid{6370997, 0}, true
	}
	return ellipsoid{}, false
}

// proj4DatumEllipsoid returns the ellipsoid of PROJ's named datums (+datum=).
func proj4DatumEllipsoid(name string) (string, bool) {
	switch name {
	case "WGS84":
		return "WGS84", true
	case "GGRS87", "NAD83":
		return "GRS80", true
	case "NAD27":
		return "clrk66", true
	case "potsdam", "hermannskogel":
		return "bessel", true
	case "carthage":
		return "clrk80ign", true
	case "ire65":
		return "mod_airy", true
	case "nzgd49":
		return "intl", true
	case "OSGB36":
		return "airy", true
	}
	return "", false
}

// proj4PrimeMeridian returns PROJ's named prime meridians (+pm=), degrees.
func proj4PrimeMeridian(name string) (float64, bool) {
	switch strings.ToLower(name) {
	case "greenwich":
		return 0, true
	case "paris":
		return 2.33722917, true
	case "ferro":
		return -17.666666666666668, true
	case "madrid":
		return -3.687938888888889, true
	case "rome":
		return 12.452333333333334, true
	case "bern":
		return 7.439583333333333, true
	case "brussels":
		return 4.367975, true
	case "oslo":
		return 10.722916666666666, true
	case "lisbon":
		return -9.131906111111112, true
	case "athens":
		return 23.7163375, true
	case "stockholm":
		return 18.058277777777775, true
	case "jakarta":
		return 106.80771944444444, true
	case "bogota":
		return -74.08091666666667, true
	}
	v, err := strconv.ParseFloat(name, 64)
	return v, err == nil
}

// proj4Unit returns metres per unit for PROJ's unit names (+units=).
func proj4Unit(name string) (float64, bool) {
	switch name {
	case "m":
		return 1, true
	case "km":
		return 1000, true
	case "ft":
		return 0.3048, true
	case "us-ft":
		return 1200.0 / 3937, true
	case "yd":
		return 0.9144, true
	case "us-yd":
		return 3600.0 / 3937, true
	case "ind-ft":
		return 0.30479841, true
	case "ind-yd":
		return 0.91439523, true
	case "ch":
		return 20.1168, true
	case "us-ch":
		return 79200.0 / 3937, true
	case "link":
		return 0.201168, true
	case "mi":
		return 1609.344, true
	case "us-mi":
		return 6336000.0 / 3937, true
	}
	return 0, false
}

// fromProj4 reduces a PROJ string as stored in spatial_ref_sys.proj4text.
// compound is true when it carries a vertical part (+vunits, +geoidgrids).
func fromProj4(s string) (p params, compound bool, err error) {
	kv := map[string]string{}
	for _, tok := range strings.Fields(s) {
		tok = strings.TrimPrefix(tok, "+")
		k, v, _ := strings.Cut(tok, "=")
		kv[k] = v
	}
	_, vunits := kv["vunits"]
	_, geoid := kv["geoidgrids"]
	compound = vunits || geoid

	if err := p.proj4Ellipsoid(kv); err != nil {
		return p, compound, err
	}
	if pm, ok := kv["pm"]; ok {
		v, ok := proj4PrimeMeridian(pm)
		if !ok {
			return p, compound, fmt.Errorf("unknown prime meridian %q", pm)
		}
		p.pm = v
	}
	if u, ok := kv["units"]; ok {
		v, ok := proj4Unit(u)
		if !ok {
			return p, compound, fmt.Errorf("unknown unit %q", u)
		}
		p.unit = v
	}
	if tm, ok := kv["to_meter"]; ok {
		v, err := strconv.ParseFloat(tm, 64)
		if err != nil {
			return p, compound, fmt.Errorf("to_meter %q: %w", tm, err)
		}
		p.unit = v
	}

	raw := map[string]float64{}
	number := func(key, rawKey string) error {
		v, ok := kv[key]
		if !ok {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%s=%q is not a number", key, v)
		}
		raw[rawKey] = f
		return nil
	}
	for _, m := range []struct{ key, raw string }{
		{"lat_0", pLat0}, {"lon_0", pLon0}, {"lat_1", pLat1}, {"lat_2", pLat2}, {"lat_ts", pLatTS},
		{"k", pK}, {"k_0", pK}, {"x_0", pX0}, {"y_0", pY0},
	} {
		if err := number(m.key, m.raw); err != nil {
			return p, compound, err
		}
	}

	switch proj := kv["proj"]; proj {
	case "longlat", "latlong", "lonlat", "latlon":
		p.proj = "longlat"
	case "utm":
		zone, err := strconv.Atoi(kv["zone"])
		if err != nil || zone < 1 || zone > 60 {
			return p, compound, fmt.Errorf("utm zone %q", kv["zone"])
		}
		p.proj = "tmerc"
		raw = map[string]float64{pLat0: 0, pLon0: float64(zone*6 - 183), pK: 0.9996, pX0: 500000, pY0: 0}
		if _, south := kv["south"]; south {
			raw[pY0] = 10000000
		}
	default:
		p.proj = proj
	}
	return p, compound, p.finish(raw)
}

// proj4Ellipsoid sets p's ellipsoid from +ellps, +datum, +a/+b/+rf or +R.
func (p *params) proj4Ellipsoid(kv map[string]string) error {
	name := kv["ellps"]
	if name == "" && kv["datum"] != "" {
		e, ok := proj4DatumEllipsoid(kv["datum"])
		if !ok {
			return fmt.Errorf("unknown datum %q", kv["datum"])
		}
		name = e
	}
	if name != "" {
		e, ok := proj4Ellipsoid(name)
		if !ok {
			return fmt.Errorf("unknown ellipsoid %q", name)
		}
		p.a, p.rf = e.a, e.rf
	}
	num := func(key string) (float64, bool, error) {
		v, ok := kv[key]
		if !ok {
			return 0, false, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false, fmt.Errorf("%s=%q is not a number", key, v)
		}
		return f, true, nil
	}
	// Explicit axes override a named ellipsoid, as in PROJ.
	if r, ok, err := num("R"); err != nil {
		return err
	} else if ok {
		p.a, p.rf = r, 0
		return nil
	}
	a, hasA, err := num("a")
	if err != nil {
		return err
	}
	if hasA {
		p.a = a
	}
	if b, ok, err := num("b"); err != nil {
		return err
	} else if ok {
		if p.a == b {
			p.rf = 0
		} else {
			p.rf = p.a / (p.a - b)
		}
	}
	if rf, ok, err := num("rf"); err != nil {
		return err
	} else if ok {
		p.rf = rf
	}
	if p.a == 0 {
		return fmt.Errorf("no ellipsoid")
	}
	return nil
}
