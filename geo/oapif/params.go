package oapif

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/crs"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// paramError is a bad query parameter; its message names the parameter and
// says why, and becomes the detail of a 400 problem.
type paramError struct {
	param, reason string
}

func (e *paramError) Error() string { return fmt.Sprintf("query parameter %s: %s", e.param, e.reason) }

func badParam(param, format string, args ...any) error {
	return &paramError{param: param, reason: fmt.Sprintf(format, args...)}
}

// Query parameters of each resource. "f" is everywhere.
var (
	paramsPlain = []string{"f"}
	paramsItems = []string{"bbox", "bbox-crs", "crs", "datetime", "f", "filter", "filter-crs", "filter-lang", "limit", "offset", "precision", "simplify", "sortby"}
	paramsItem  = []string{"crs", "datetime", "f", "precision", "simplify"}
	paramsArea  = []string{"datetime", "f"}
)

// checkParams rejects unknown and repeated parameters: OGC API Features
// allows a 400 for unknown ones, and a misspelt "lmit" silently ignored
// would hand the client the wrong page size. A parameter repeated with the
// same value is taken once: GDAL appends the query of a layer URL to next
// links that already carry it.
func checkParams(q url.Values, allowed []string) error {
	for name, vs := range q {
		if !slices.Contains(allowed, name) {
			return badParam(strconv.Quote(name), "unknown; this resource takes %s", strings.Join(allowed, ", "))
		}
		if len(vs) > 1 && slices.ContainsFunc(vs, func(v string) bool { return v != vs[0] }) {
			return badParam(name, "given %d times; give it once", len(vs))
		}
	}
	return nil
}

// format returns the f parameter's media type: json and (where offered)
// html; without f the Accept header decides among offers. It returns "" when
// it has already answered (400 or 406).
func format(w http.ResponseWriter, r *http.Request, offers ...string) string {
	f := r.URL.Query().Get("f")
	switch {
	case f == "":
		mt := web.Negotiate(r.Header.Get("Accept"), offers...)
		if mt == "" {
			web.NotAcceptable(w, r, "this resource is available as "+strings.Join(offers, ", "))
		}
		return mt
	case f == "json":
		return offers[0]
	case f == "html" && slices.Contains(offers, mediaHTML):
		return mediaHTML
	case f == "csv" && slices.Contains(offers, mediaCSV):
		return mediaCSV
	}
	allowed := "json"
	if slices.Contains(offers, mediaHTML) {
		allowed = "json or html"
	}
	if slices.Contains(offers, mediaCSV) {
		allowed = "json or csv"
	}
	web.BadRequest(w, r, badParam("f", "%q is not a format of this resource; use %s", f, allowed).Error())
	return ""
}

// itemsParams are the parsed parameters of /items.
type itemsParams struct {
	limit, offset int
	bbox          *geo.BBox
	period        geo.Period
	out           crs.Ref
	geom          geo.GeometryOptions
}

func (h *Handler) parseItems(q url.Values) (itemsParams, error) {
	p := itemsParams{limit: h.cfg.DefaultLimit}
	if err := h.checkParams(q, paramsItems); err != nil {
		return p, err
	}
	var err error
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, badParam("limit", "%q is not a whole number of at least 1", v)
		}
		// OGC API Features 17-069r4, 7.15.3: a limit above the maximum is
		// clamped, not rejected.
		p.limit = min(n, h.cfg.MaxLimit)
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, badParam("offset", "%q is not a whole number of at least 0", v)
		}
		p.offset = n
	}
	bboxCRS := supportedCRS[0]
	if v := q.Get("bbox-crs"); v != "" {
		if bboxCRS, err = h.parseCRS("bbox-crs", v); err != nil {
			return p, err
		}
	}
	if v := q.Get("bbox"); v != "" {
		if p.bbox, err = parseBBox(v, bboxCRS); err != nil {
			return p, err
		}
		if km2 := bboxKm2(*p.bbox); h.cfg.MaxBBoxKm2 > 0 && km2 > h.cfg.MaxBBoxKm2 {
			return p, badParam("bbox", "%q covers about %.0f km², more than the %.0f km² this service allows; ask for a smaller area, or leave bbox out and page through the collection",
				v, km2, h.cfg.MaxBBoxKm2)
		}
	}
	if p.period, err = parseDatetime(q.Get("datetime")); err != nil {
		return p, err
	}
	if p.out, p.geom, err = h.parseGeometry(q); err != nil {
		return p, err
	}
	return p, nil
}

// parseGeometry reads crs, precision and simplify.
func (h *Handler) parseGeometry(q url.Values) (crs.Ref, geo.GeometryOptions, error) {
	out := supportedCRS[0]
	if v := q.Get("crs"); v != "" {
		var err error
		if out, err = h.parseCRS("crs", v); err != nil {
			return out, geo.GeometryOptions{}, err
		}
	}
	g := geo.GeometryOptions{SRID: out.SRID, LatLon: latLon(out), Precision: defaultPrecision(out)}
	if v := q.Get("precision"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxPrecision {
			return out, g, badParam("precision", "%q is not a whole number from 0 to %d (decimal digits of coordinates)", v, maxPrecision)
		}
		g.Precision = n
	}
	if v := q.Get("simplify"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > maxSimplify {
			return out, g, badParam("simplify", "%q is not a number of metres from 0 to %d", v, maxSimplify)
		}
		g.SimplifyMetres = f
	}
	return out, g, nil
}

const (
	maxPrecision = 15
	maxSimplify  = 100000
)

// defaultPrecision: 7 decimal digits of a degree are about a centimetre,
// 2 of a metre are one; finer is noise for boundaries at this scale.
func defaultPrecision(r crs.Ref) int {
	if r.SRID == 4326 {
		return 7
	}
	return 2
}

// latLon reports whether coordinates in r are written latitude first: of
// the supported CRSs only EPSG:4326, whose authority defines that order
// (OGC API Features Part 2 requires honouring it); the projected ones are
// easting first.
func latLon(r crs.Ref) bool { return r.SRID == 4326 && !r.LonLat }

func (h *Handler) parseCRS(param, v string) (crs.Ref, error) {
	ref, err := crs.ParseName(v)
	if err == nil && slices.Contains(h.crses, ref) {
		return ref, nil
	}
	uris := make([]string, len(h.crses))
	for i, c := range h.crses {
		uris[i] = c.URI()
	}
	return crs.Ref{}, badParam(param, "%q is not a supported CRS; use one of %s", v, strings.Join(uris, ", "))
}

// parseBBox reads 4 or 6 numbers (OGC API Features 17-069r4, 7.15.4); of
// 6 the heights are ignored, areas being flat.
func parseBBox(v string, c crs.Ref) (*geo.BBox, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return nil, badParam("bbox", "%q has %d numbers; give 4 (minx,miny,maxx,maxy) or 6", v, len(parts))
	}
	n := make([]float64, len(parts))
	for i, s := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, badParam("bbox", "%q is not a number", s)
		}
		n[i] = f
	}
	if len(n) == 6 {
		n = []float64{n[0], n[1], n[3], n[4]}
	}
	b := &geo.BBox{MinX: n[0], MinY: n[1], MaxX: n[2], MaxY: n[3], SRID: c.SRID, LatLon: latLon(c)}
	if b.MinX > b.MaxX || b.MinY > b.MaxY {
		return nil, badParam("bbox", "%q: the lower corner comes first, each of its values at most the upper corner's", v)
	}
	if c.SRID == 4326 {
		lonMin, latMin, lonMax, latMax := b.MinX, b.MinY, b.MaxX, b.MaxY
		if b.LatLon {
			lonMin, latMin, lonMax, latMax = b.MinY, b.MinX, b.MaxY, b.MaxX
		}
		if lonMin < -180 || lonMax > 180 || latMin < -90 || latMax > 90 {
			return nil, badParam("bbox", "%q lies outside longitude -180..180, latitude -90..90 (%s order: %s)",
				v, c, map[bool]string{false: "longitude, latitude", true: "latitude, longitude"}[b.LatLon])
		}
	}
	return b, nil
}

// parseDatetime reads an instant or an interval (RFC 3339 date or
// date-time; ".." or nothing for an open end). Area versions are valid on
// whole days, so a date-time counts as its date in its own offset.
func parseDatetime(v string) (geo.Period, error) {
	if v == "" {
		return geo.Period{}, nil
	}
	start, end, interval := strings.Cut(v, "/")
	if !interval {
		d, err := parseDay(v)
		if err != nil || d == nil {
			return geo.Period{}, badParam("datetime", "%q is not a date (2021-12-31), a date-time (2021-12-31T00:00:00Z) or an interval (start/end, '..' for open)", v)
		}
		return geo.On(*d), nil
	}
	from, err1 := parseDay(start)
	to, err2 := parseDay(end)
	if err1 != nil || err2 != nil {
		return geo.Period{}, badParam("datetime", "%q is not an interval of dates or date-times (start/end, '..' for open)", v)
	}
	if from != nil && to != nil && from.After(*to) {
		return geo.Period{}, badParam("datetime", "%q ends before it starts", v)
	}
	return geo.Between(from, to), nil
}

// parseDay returns nil for an open end.
func parseDay(s string) (*time.Time, error) {
	if s == "" || s == ".." {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, err
		}
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return &d, nil
}
