// Package oapif serves the areas as OGC API – Features: Part 1 Core with
// GeoJSON and an OpenAPI 3.0 description (OGC 17-069r4), and Part 2
// Coordinate Reference Systems by Reference (OGC 18-058r1). Each level is a
// collection; a feature is an area version, its id the area's code.
package oapif

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/crs"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// Config configures the handler. Zero limits take the defaults.
type Config struct {
	Title, Description string
	Attribution        string
	DefaultLimit       int // page size without ?limit; default 100
	MaxLimit           int // larger ?limit values are clamped to it; default 20000
	// MaxBBoxKm2, when positive, bounds the area of an /items bbox: a
	// larger one is answered 400 before any query runs.
	MaxBBoxKm2 float64
	// BaseURL is the service's public root URL; empty takes scheme and host
	// from each request.
	BaseURL string
	// TrustProxy honours X-Forwarded-Proto/-Host when BaseURL is empty.
	TrustProxy bool
	Logger     *slog.Logger
	// Properties, when set, adds properties of its own to the features of
	// /items and /items/{featureId} (indicator values joined to areas).
	Properties PropertySource
	// CollectionLinks, when set, adds links of its own to each collection
	// (a level's vector tilesets); root is the API's root URL.
	CollectionLinks func(root, collection string) []Link
	// LandingHTML, when set, is the landing page's HTML representation:
	// the atlas's map viewer, which browsers get at the root while GDAL,
	// QGIS and scripts get the landing page as JSON.
	LandingHTML http.HandlerFunc
	// Layers, when set, adds collections that are not area levels (the
	// facilities' point layers).
	Layers Layers
}

const (
	defaultLimit = 100
	// maxLimit lets the 10,997 Gemeinden of Germany come in one response.
	maxLimit = 20000
)

// Handler answers the OGC API – Features requests.
type Handler struct {
	store *geo.Store
	cfg   Config
	base  web.BaseURL
	log   *slog.Logger
	crses []crs.Ref
	// extraParams are the query parameters of cfg.Properties.
	extraParams []string
}

// supportedCRS are the output and bbox CRSs: CRS84 first, the storage and
// default CRS.
var supportedCRS = []crs.Ref{
	{SRID: 4326, LonLat: true},
	{SRID: 4326},
	{SRID: 3857},
	{SRID: 25832},
	{SRID: 25833},
}

// New returns a handler over store. It panics when cfg.Properties takes a
// query parameter of OGC API Features.
func New(store *geo.Store, cfg Config) *Handler {
	if cfg.DefaultLimit <= 0 {
		cfg.DefaultLimit = defaultLimit
	}
	if cfg.MaxLimit <= 0 {
		cfg.MaxLimit = maxLimit
	}
	if cfg.DefaultLimit > cfg.MaxLimit {
		cfg.DefaultLimit = cfg.MaxLimit
	}
	if cfg.Title == "" {
		cfg.Title = "Sozialatlas"
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &Handler{
		store:       store,
		cfg:         cfg,
		base:        web.BaseURL{Public: cfg.BaseURL, TrustProxy: cfg.TrustProxy},
		log:         logger,
		crses:       supportedCRS,
		extraParams: extraParamNames(cfg.Properties),
	}
}

// Routes mounts the API's routes on r.
func (h *Handler) Routes(r chi.Router) {
	r.Get("/", h.landing)
	r.Get("/conformance", h.conformance)
	r.Get("/api", h.api)
	r.Get("/collections", h.collections)
	r.Get("/collections/{level}", h.layerOr(h.layerCollection, h.collection))
	r.Get("/collections/{level}/items", h.layerOr(h.layerItems, h.items))
	r.Get("/collections/{level}/queryables", h.layerOr(h.layerSchema("queryables",
		"Eigenschaften für Filter (filter, CQL2 Text oder JSON)."), h.queryables))
	r.Get("/collections/{level}/sortables", h.layerOr(h.layerSchema("sortables",
		"Eigenschaften für die Sortierung (sortby); Einrichtungen ohne Wert stehen am Ende."), h.sortables))
	r.Get("/collections/{level}/items/{code}", h.layerOr(h.layerItem, h.item))
	r.Get("/areas/{level}/{code}", h.area)
}

// Media types served.
const (
	mediaJSON    = "application/json"
	mediaGeoJSON = "application/geo+json"
	mediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	mediaHTML    = "text/html"
	mediaCSV     = "text/csv"
)

// root returns the absolute URL of the API's root, without trailing slash:
// the service's base URL plus the path the routes are mounted under.
func (h *Handler) root(r *http.Request) string {
	return h.base.For(r) + mountPrefix(r)
}

// mountPrefix is the part of the request path in front of the path chi
// routes inside the sub-router these routes were mounted on.
func mountPrefix(r *http.Request) string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil || rctx.RoutePath == "" {
		return ""
	}
	p := r.URL.EscapedPath()
	if !strings.HasSuffix(p, rctx.RoutePath) {
		return ""
	}
	return strings.TrimSuffix(p, rctx.RoutePath)
}

// selfURL is the request's own absolute URL.
func (h *Handler) selfURL(r *http.Request, q url.Values) string {
	u := h.base.For(r) + r.URL.EscapedPath()
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// Link is a web link (RFC 8288) as OGC API writes it.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// level looks the collection up; it answers 404 or 500 itself when it
// returns false.
func (h *Handler) level(w http.ResponseWriter, r *http.Request) (geo.Level, bool) {
	name := chi.URLParam(r, "level")
	l, err := h.store.Level(r.Context(), name)
	if errors.Is(err, geo.ErrNotFound) {
		web.NotFound(w, r, fmt.Sprintf("collection %q does not exist; /collections lists them", name))
		return geo.Level{}, false
	}
	if err != nil {
		h.fail(w, r, err)
		return geo.Level{}, false
	}
	return l, true
}

// fail answers a store error (see web.Fail).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	web.Fail(w, r, h.log, err)
}
