package oapif

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// properties of every feature; absent values are null so that every
// feature has the same fields (clients such as GDAL derive a schema from
// the first features).
type properties struct {
	Code        string   `json:"code"`
	Name        string   `json:"name"`
	Parent      *string  `json:"parent"`
	ParentLevel *string  `json:"parent_level"`
	ValidFrom   *string  `json:"valid_from"`
	ValidTo     *string  `json:"valid_to"`
	AreaKm2     *float64 `json:"area_km2"`
}

func propertiesOf(a geo.Area) properties {
	p := properties{Code: a.Code, Name: a.Name, ValidFrom: day(a.ValidFrom), ValidTo: day(a.ValidTo), AreaKm2: a.AreaKm2}
	if a.ParentCode != "" {
		p.Parent, p.ParentLevel = &a.ParentCode, &a.ParentLevel
	}
	return p
}

func day(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

// writeFeature writes a GeoJSON Feature; the geometry is PostGIS's GeoJSON
// text as is. extra, when not nil, adds its properties after the area's.
func writeFeature(w *bufio.Writer, f geo.Feature, extra Properties, links []Link) error {
	id, err := json.Marshal(f.Code)
	if err != nil {
		return err
	}
	props, err := json.Marshal(propertiesOf(f.Area))
	if err != nil {
		return err
	}
	_, _ = w.WriteString(`{"type":"Feature","id":`)
	_, _ = w.Write(id)
	_, _ = w.WriteString(`,"geometry":`)
	if f.Geometry == nil {
		_, _ = w.WriteString("null")
	} else {
		_, _ = w.Write(f.Geometry)
	}
	_, _ = w.WriteString(`,"properties":`)
	if extra != nil {
		props = extra.AppendJSON(props[:len(props)-1], f.ID) // reopen the object
		props = append(props, '}')
	}
	_, _ = w.Write(props)
	if links != nil {
		l, err := json.Marshal(links)
		if err != nil {
			return err
		}
		_, _ = w.WriteString(`,"links":`)
		_, _ = w.Write(l)
	}
	return w.WriteByte('}')
}

func (h *Handler) items(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := h.parseItems(q)
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	mt := format(w, r, mediaGeoJSON, mediaJSON, mediaCSV)
	if mt == "" {
		return
	}
	l, ok := h.level(w, r)
	if !ok {
		return
	}
	extra, err := h.extraProperties(r.Context(), PropertyRequest{Level: l.Name, Period: p.period, Query: q})
	if err != nil {
		h.failExtra(w, r, err)
		return
	}
	filter, err := h.selection(r.Context(), PropertyRequest{Level: l.Name, Period: p.period, Query: q, Reserved: baseProperties})
	if err != nil {
		h.failExtra(w, r, err)
		return
	}
	query := geo.ItemsQuery{Level: l.Name, BBox: p.bbox, Period: p.period,
		Limit: p.limit, Offset: p.offset, Geometry: p.geom, Filter: filter}
	if mt == mediaCSV {
		h.itemsCSV(w, r, query, extra)
		return
	}
	now := time.Now().UTC().Format(time.RFC3339)

	var bw *bufio.Writer
	returned := 0
	start := func(matched int64) error {
		var err error
		bw, err = h.startFeatures(w, r, q, p, now, matched)
		return err
	}
	each := func(f geo.Feature) error {
		if returned > 0 {
			_ = bw.WriteByte(',')
		}
		returned++
		return writeFeature(bw, f, extra, nil)
	}
	if err := h.store.Items(r.Context(), query, start, each); err != nil {
		h.itemsFailed(w, r, bw != nil, err)
		return
	}
	_, _ = bw.WriteString("]}\n")
	if err := bw.Flush(); err != nil {
		h.log.InfoContext(r.Context(), "items not delivered",
			"request_id", web.RequestIDFrom(r.Context()), "error", err.Error())
	}
}

// startFeatures writes the status, headers and the head of a
// FeatureCollection up to its open features array, once the number of
// matches is known, and returns the writer the features go to.
func (h *Handler) startFeatures(w http.ResponseWriter, r *http.Request, q url.Values, p itemsParams, now string, matched int64) (*bufio.Writer, error) {
	n := max(0, min(int64(p.limit), matched-int64(p.offset)))
	head, err := json.Marshal(struct {
		Type           string `json:"type"`
		NumberMatched  int64  `json:"numberMatched"`
		NumberReturned int64  `json:"numberReturned"`
		TimeStamp      string `json:"timeStamp"`
		Links          []Link `json:"links"`
	}{"FeatureCollection", matched, n, now, h.itemsLinks(r, q, p, matched, n)})
	if err != nil {
		return nil, err
	}
	hd := w.Header()
	hd.Set("Content-Type", mediaGeoJSON)
	hd.Set("Content-Crs", "<"+p.out.URI()+">")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	_, _ = bw.Write(head[:len(head)-1]) // reopen the object for "features"
	_, err = bw.WriteString(`,"features":[`)
	return bw, err
}

// itemsFailed answers an error of Items. Once the answer is under way it
// is logged and the response cut off, so the client cannot take a
// truncated collection for a complete one.
func (h *Handler) itemsFailed(w http.ResponseWriter, r *http.Request, started bool, err error) {
	if !started {
		h.fail(w, r, err)
		return
	}
	h.log.ErrorContext(r.Context(), "items aborted",
		"request_id", web.RequestIDFrom(r.Context()), "error", err.Error())
	panic(http.ErrAbortHandler)
}

// itemsLinks: self and the collection (GeoJSON is the only representation,
// so there is no alternate), and next/prev pages carrying every other
// query parameter of the request.
func (h *Handler) itemsLinks(r *http.Request, q url.Values, p itemsParams, matched, returned int64) []Link {
	links := []Link{
		{Href: h.selfURL(r, q), Rel: "self", Type: mediaGeoJSON, Title: "this page"},
		{Href: h.root(r) + "/collections/" + chi.URLParam(r, "level"), Rel: "collection", Type: mediaJSON, Title: "the collection"},
	}
	page := func(offset int) url.Values {
		v := withParam(q, "offset", strconv.Itoa(offset))
		return withParam(v, "limit", strconv.Itoa(p.limit))
	}
	if int64(p.offset)+returned < matched {
		links = append(links, Link{Href: h.selfURL(r, page(p.offset+p.limit)), Rel: "next", Type: mediaGeoJSON, Title: "next page"})
	}
	if p.offset > 0 {
		links = append(links, Link{Href: h.selfURL(r, page(max(0, p.offset-p.limit))), Rel: "prev", Type: mediaGeoJSON, Title: "previous page"})
	}
	return links
}

func withParam(q url.Values, k, v string) url.Values {
	c := url.Values{}
	for key, vs := range q {
		c[key] = vs
	}
	c.Set(k, v)
	return c
}

func (h *Handler) item(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := h.checkParams(q, paramsItem); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	period, err := parseDatetime(q.Get("datetime"))
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	out, g, err := h.parseGeometry(q)
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	if format(w, r, mediaGeoJSON, mediaJSON) == "" {
		return
	}
	l, ok := h.level(w, r)
	if !ok {
		return
	}
	code := chi.URLParam(r, "code")
	f, err := h.store.Feature(r.Context(), l.Name, code, period, g)
	if errors.Is(err, geo.ErrNotFound) {
		web.NotFound(w, r, fmt.Sprintf("collection %q has no feature %q valid %s", l.Name, code, describePeriod(period)))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	extra, err := h.extraProperties(r.Context(), PropertyRequest{Level: l.Name, Period: period, AreaID: f.ID, Query: q})
	if err != nil {
		h.failExtra(w, r, err)
		return
	}
	coll := h.root(r) + "/collections/" + l.Name
	links := []Link{
		{Href: h.selfURL(r, q), Rel: "self", Type: mediaGeoJSON, Title: "this feature"},
		{Href: coll, Rel: "collection", Type: mediaJSON, Title: "the collection"},
		{Href: h.root(r) + "/areas/" + l.Name + "/" + url.PathEscape(code), Rel: "related", Type: mediaJSON, Title: "the area with its parents and children"},
	}
	w.Header().Set("Content-Type", mediaGeoJSON)
	w.Header().Set("Content-Crs", "<"+out.URI()+">")
	bw := bufio.NewWriter(w)
	if err := writeFeature(bw, f, extra, links); err != nil {
		h.fail(w, r, err)
		return
	}
	_ = bw.WriteByte('\n')
	_ = bw.Flush()
}

func describePeriod(p geo.Period) string {
	if !p.Explicit {
		return "today"
	}
	s := func(t *time.Time) string {
		if t == nil {
			return ".."
		}
		return t.Format(time.DateOnly)
	}
	if p.From != nil && p.To != nil && p.From.Equal(*p.To) {
		return "on " + s(p.From)
	}
	return "in " + s(p.From) + "/" + s(p.To)
}
