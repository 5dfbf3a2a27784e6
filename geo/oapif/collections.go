package oapif

import (
	"html/template"
	"net/http"
	"time"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// Conformance classes implemented (17-069r4 annex A, 18-058r1 annex A).
var conformsTo = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
}

// trsGregorian is the temporal reference system of all temporal extents.
const trsGregorian = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

type landingPage struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Attribution string `json:"attribution,omitempty"`
	Links       []Link `json:"links"`
}

func (h *Handler) landing(w http.ResponseWriter, r *http.Request) {
	if err := h.checkParams(r.URL.Query(), paramsPlain); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	mt := format(w, r, mediaJSON, mediaHTML)
	switch mt {
	case "":
		return
	case mediaHTML:
		if h.cfg.LandingHTML != nil {
			h.cfg.LandingHTML(w, r)
			return
		}
		h.landingHTML(w, r)
		return
	}
	root := h.root(r)
	web.WriteJSON(w, r, h.log, http.StatusOK, mediaJSON, landingPage{
		Title:       h.cfg.Title,
		Description: h.cfg.Description,
		Attribution: h.cfg.Attribution,
		Links: []Link{
			{Href: root + "/?f=json", Rel: "self", Type: mediaJSON, Title: "this document"},
			{Href: root + "/?f=html", Rel: "alternate", Type: mediaHTML, Title: "this document as HTML"},
			{Href: root + "/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "the API definition"},
			{Href: root + "/conformance", Rel: "conformance", Type: mediaJSON, Title: "OGC API conformance classes implemented"},
			{Href: root + "/collections", Rel: "data", Type: mediaJSON, Title: "the collections: one per level"},
		},
	})
}

var landingTemplate = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body>
<h1>{{.Title}}</h1>
{{if .Description}}<p>{{.Description}}</p>{{end}}
<h2>Gebietsebenen</h2>
<ul>
{{range .Levels}}<li><a href="{{$.Root}}/collections/{{.Name}}/items?f=json">{{.Title}}</a> ({{.Current}} aktuell gültige Gebiete)</li>
{{end}}</ul>
<p><a href="{{.Root}}/api">API-Beschreibung (OpenAPI)</a> · <a href="{{.Root}}/collections">Sammlungen (JSON)</a></p>
{{if .Attribution}}<p><small>{{.Attribution}}</small></p>{{end}}
</body>
</html>
`))

func (h *Handler) landingHTML(w http.ResponseWriter, r *http.Request) {
	levels, err := h.store.LevelSummaries(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err = landingTemplate.Execute(w, struct {
		Title, Description, Attribution, Root string
		Levels                                []geo.LevelSummary
	}{h.cfg.Title, h.cfg.Description, h.cfg.Attribution, h.root(r), levels})
	if err != nil {
		h.log.ErrorContext(r.Context(), "landing page", "request_id", web.RequestIDFrom(r.Context()), "error", err.Error())
	}
}

func (h *Handler) conformance(w http.ResponseWriter, r *http.Request) {
	if err := h.checkParams(r.URL.Query(), paramsPlain); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	if format(w, r, mediaJSON) == "" {
		return
	}
	web.WriteJSON(w, r, h.log, http.StatusOK, mediaJSON, struct {
		ConformsTo []string `json:"conformsTo"`
	}{conformsTo})
}

type collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Attribution string   `json:"attribution,omitempty"`
	Extent      *extent  `json:"extent,omitempty"`
	ItemType    string   `json:"itemType"`
	CRS         []string `json:"crs"`
	StorageCRS  string   `json:"storageCrs"`
	Links       []Link   `json:"links"`
}

type extent struct {
	Spatial  *spatialExtent  `json:"spatial,omitempty"`
	Temporal *temporalExtent `json:"temporal,omitempty"`
}

type spatialExtent struct {
	BBox [][4]float64 `json:"bbox"`
	CRS  string       `json:"crs"`
}

type temporalExtent struct {
	Interval [][2]*string `json:"interval"`
	TRS      string       `json:"trs"`
}

// collectionLinks are the links of collection id, a level's or a layer's:
// itself, its items, queryables and sortables, and those the
// configuration adds (the vector tiles).
func (h *Handler) collectionLinks(r *http.Request, id, itemsTitle string) []Link {
	href := h.root(r) + "/collections/" + id
	links := []Link{
		{Href: href, Rel: "self", Type: mediaJSON, Title: "this collection"},
		{Href: href + "/items", Rel: "items", Type: mediaGeoJSON, Title: itemsTitle},
		{Href: href + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: mediaSchema,
			Title: "the properties filters may use"},
		// the relation GDAL up to 3.6 looks for
		{Href: href + "/queryables", Rel: "queryables", Type: mediaJSON, Title: "the properties filters may use"},
		{Href: href + "/sortables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/sortables", Type: mediaSchema,
			Title: "the properties sortby may use"},
	}
	if h.cfg.CollectionLinks != nil {
		links = append(links, h.cfg.CollectionLinks(h.root(r), id)...)
	}
	return links
}

func (h *Handler) collectionOf(r *http.Request, l geo.LevelSummary) collection {
	c := collection{
		ID:          l.Name,
		Title:       l.Title,
		Description: describeLevel(l),
		Attribution: h.cfg.Attribution,
		ItemType:    "feature",
		CRS:         h.crsURIs(),
		StorageCRS:  supportedCRS[0].URI(),
		Links:       h.collectionLinks(r, l.Name, "the areas of "+l.Title),
	}
	if l.Versions > 0 {
		c.Extent = &extent{Temporal: &temporalExtent{
			Interval: [][2]*string{{instant(l.From, false), instant(l.To, true)}},
			TRS:      trsGregorian,
		}}
		if l.BBox != nil {
			c.Extent.Spatial = &spatialExtent{BBox: [][4]float64{*l.BBox}, CRS: supportedCRS[0].URI()}
		}
	}
	return c
}

// instant writes a validity bound as a date-time: valid_to is inclusive, so
// it ends the day.
func instant(d *time.Time, end bool) *string {
	if d == nil {
		return nil
	}
	s := d.Format(time.DateOnly) + "T00:00:00Z"
	if end {
		s = d.Format(time.DateOnly) + "T23:59:59Z"
	}
	return &s
}

func describeLevel(l geo.LevelSummary) string {
	kind := "Ebene der Verwaltungsgliederung"
	if l.IsScheme() {
		kind = "Gebietsschema aus Gebieten der Ebene " + l.MemberLevel
	}
	return kind + "; " + itoa(l.Current) + " heute gültige Gebiete, " + itoa(l.Versions) + " Gebietsstände insgesamt"
}

func (h *Handler) crsURIs() []string {
	uris := make([]string, len(h.crses))
	for i, c := range h.crses {
		uris[i] = c.URI()
	}
	return uris
}

func (h *Handler) collections(w http.ResponseWriter, r *http.Request) {
	if err := h.checkParams(r.URL.Query(), paramsPlain); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	if format(w, r, mediaJSON) == "" {
		return
	}
	levels, err := h.store.LevelSummaries(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cs := make([]collection, len(levels))
	for i, l := range levels {
		cs[i] = h.collectionOf(r, l)
	}
	layers, err := h.layerCollections(r.Context(), r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cs = append(cs, layers...)
	web.WriteJSON(w, r, h.log, http.StatusOK, mediaJSON, struct {
		Links       []Link       `json:"links"`
		CRS         []string     `json:"crs"`
		Collections []collection `json:"collections"`
	}{
		Links: []Link{{Href: h.root(r) + "/collections", Rel: "self", Type: mediaJSON, Title: "this document"}},
		// Part 2 (18-058r1, 6.2): a global list the collections may refer to.
		CRS:         h.crsURIs(),
		Collections: cs,
	})
}

func (h *Handler) collection(w http.ResponseWriter, r *http.Request) {
	if err := h.checkParams(r.URL.Query(), paramsPlain); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	if format(w, r, mediaJSON) == "" {
		return
	}
	l, ok := h.level(w, r)
	if !ok {
		return
	}
	s, err := h.store.LevelSummary(r.Context(), l.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, r, h.log, http.StatusOK, mediaJSON, h.collectionOf(r, s))
}
