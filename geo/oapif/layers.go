package oapif

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/cql2"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// Layers are collections beside the area levels: point layers such as the
// facilities, whose features are not areas. Their ids contain a hyphen
// ("facilities-kita"), which a level name cannot, so the two never collide
// and a level request never asks the layers.
type Layers interface {
	// Layers lists the layers that have features, in order.
	Layers(ctx context.Context) ([]LayerInfo, error)
	// Layer describes one layer; an unknown id is geo.ErrNotFound.
	Layer(ctx context.Context, id string) (LayerInfo, error)
	// LayerItems selects a page of a layer's features: start gets the
	// number of matches before the first feature goes to each.
	LayerItems(ctx context.Context, q LayerQuery, start func(matched int64) error, each func(LayerFeature) error) error
	// LayerFeature returns the feature featureID of a layer; a feature
	// the layer does not have is geo.ErrNotFound.
	LayerFeature(ctx context.Context, id string, featureID int64, g geo.GeometryOptions) (LayerFeature, error)
}

// LayerInfo describes a layer collection.
type LayerInfo struct {
	ID, Title, Description string
	BBox                   *[4]float64 // CRS84; nil without features
	From, To               *time.Time  // validity of all versions; nil is open
	// Queryables are the properties filters and sortby may use, each with
	// its SQL expression in the layer's query.
	Queryables []LayerQueryable
}

// LayerQueryable is a queryable with the SQL that reads it.
type LayerQueryable struct {
	Queryable
	SQL string
}

// LayerQuery selects a page of a layer's features. Where and Order come
// from the request's filter and sortby over the layer's queryables; Args
// are Where's named arguments.
type LayerQuery struct {
	ID       string
	BBox     *geo.BBox
	Period   geo.Period
	Limit    int
	Offset   int
	Geometry geo.GeometryOptions
	Where    string
	Args     map[string]any
	Order    []geo.OrderBy
}

// LayerFeature is one feature: its id, its geometry as GeoJSON text and
// its properties as a JSON object.
type LayerFeature struct {
	ID         int64
	Geometry   json.RawMessage
	Properties json.RawMessage
}

// layerOr serves a layer collection with layer, anything else with level.
func (h *Handler) layerOr(layer func(http.ResponseWriter, *http.Request, LayerInfo), level http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "level")
		if h.cfg.Layers == nil || !strings.Contains(id, "-") {
			level(w, r)
			return
		}
		l, err := h.cfg.Layers.Layer(r.Context(), id)
		switch {
		case errors.Is(err, geo.ErrNotFound):
			web.NotFound(w, r, fmt.Sprintf("collection %q does not exist; /collections lists them", id))
		case err != nil:
			h.fail(w, r, err)
		default:
			layer(w, r, l)
		}
	}
}

// layerCollections are the layers' entries of /collections.
func (h *Handler) layerCollections(ctx context.Context, r *http.Request) ([]collection, error) {
	if h.cfg.Layers == nil {
		return nil, nil
	}
	ls, err := h.cfg.Layers.Layers(ctx)
	if err != nil {
		return nil, err
	}
	cs := make([]collection, len(ls))
	for i, l := range ls {
		cs[i] = h.layerCollectionOf(r, l)
	}
	return cs, nil
}

func (h *Handler) layerCollectionOf(r *http.Request, l LayerInfo) collection {
	c := collection{
		ID: l.ID, Title: l.Title, Description: l.Description, Attribution: h.cfg.Attribution,
		ItemType: "feature", CRS: h.crsURIs(), StorageCRS: supportedCRS[0].URI(),
		// the tiles of a layer answer under the same names as a level's
		Links: h.collectionLinks(r, l.ID, "the features of "+l.Title),
		Extent: &extent{Temporal: &temporalExtent{
			Interval: [][2]*string{{instant(l.From, false), instant(l.To, true)}}, TRS: trsGregorian}},
	}
	if l.BBox != nil {
		c.Extent.Spatial = &spatialExtent{BBox: [][4]float64{*l.BBox}, CRS: supportedCRS[0].URI()}
	}
	return c
}

func (h *Handler) layerCollection(w http.ResponseWriter, r *http.Request, l LayerInfo) {
	if err := h.checkParams(r.URL.Query(), paramsPlain); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	if format(w, r, mediaJSON) == "" {
		return
	}
	web.WriteJSON(w, r, h.log, http.StatusOK, mediaJSON, h.layerCollectionOf(r, l))
}

func (h *Handler) layerSchema(what, description string) func(http.ResponseWriter, *http.Request, LayerInfo) {
	return func(w http.ResponseWriter, r *http.Request, l LayerInfo) {
		if err := h.checkParams(r.URL.Query(), paramsPlain); err != nil {
			web.BadRequest(w, r, err.Error())
			return
		}
		mt := format(w, r, mediaSchema, mediaJSON)
		if mt == "" {
			return
		}
		list := make([]Queryable, len(l.Queryables))
		for i, q := range l.Queryables {
			list[i] = q.Queryable
		}
		h.writeSchema(w, r, mt, schemaOf{id: l.ID, title: l.Title, what: what, description: description,
			geometry: "geometry-point"}, list)
	}
}

// layerResolver resolves filter and sortby properties to the layer's SQL.
type layerResolver []LayerQueryable

func (lr layerResolver) Property(name string) (string, cql2.Type, error) {
	for _, q := range lr {
		if q.Name == name {
			return q.SQL, q.Type, nil
		}
	}
	return "", 0, &cql2.UnknownPropertyError{Name: name}
}

// layerSelection compiles filter and sortby over the layer's queryables.
func layerSelection(l LayerInfo, q LayerQuery, v url.Values) (LayerQuery, error) {
	e, err := parseFilter(v)
	if err != nil {
		return q, err
	}
	r := layerResolver(l.Queryables)
	if e != nil {
		where, args, err := compileFilter(e, r, l.ID)
		if err != nil {
			return q, err
		}
		q.Where, q.Args = where, args
	}
	keys, err := parseSortby(v.Get("sortby"))
	if err != nil {
		return q, err
	}
	for _, k := range keys {
		sql, typ, err := r.Property(k.name)
		if err != nil || typ == cql2.TypeGeometry {
			return q, badParam("sortby", "%q is not a sortable of %s; /collections/%s/sortables lists them", k.name, l.ID, l.ID)
		}
		q.Order = append(q.Order, geo.OrderBy{Expr: sql, Desc: k.desc})
	}
	return q, nil
}

func (h *Handler) layerItems(w http.ResponseWriter, r *http.Request, l LayerInfo) {
	q := r.URL.Query()
	p, err := h.parseItems(q)
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	query, err := layerSelection(l, LayerQuery{ID: l.ID, BBox: p.bbox, Period: p.period, Limit: p.limit,
		Offset: p.offset, Geometry: p.geom}, q)
	if err != nil {
		h.failExtra(w, r, err)
		return
	}
	mt := format(w, r, mediaGeoJSON, mediaJSON, mediaCSV)
	if mt == "" {
		return
	}
	if mt == mediaCSV {
		h.layerItemsCSV(w, r, l, query)
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
	each := func(f LayerFeature) error {
		if returned > 0 {
			_ = bw.WriteByte(',')
		}
		returned++
		_, _ = fmt.Fprintf(bw, `{"type":"Feature","id":%d,"geometry":`, f.ID)
		_, _ = bw.Write(f.Geometry)
		_, _ = bw.WriteString(`,"properties":`)
		_, _ = bw.Write(f.Properties)
		return bw.WriteByte('}')
	}
	if err := h.cfg.Layers.LayerItems(r.Context(), query, start, each); err != nil {
		h.itemsFailed(w, r, bw != nil, err)
		return
	}
	_, _ = bw.WriteString("]}\n")
	if err := bw.Flush(); err != nil {
		h.log.InfoContext(r.Context(), "items not delivered",
			"request_id", web.RequestIDFrom(r.Context()), "error", err.Error())
	}
}

// layerPaths adds the layers' collections to the API document: GDAL
// sends a -where as filter only to items paths that offer filter-lang.
func (h *Handler) layerPaths(ctx context.Context, paths obj) error {
	if h.cfg.Layers == nil {
		return nil
	}
	ls, err := h.cfg.Layers.Layers(ctx)
	if err != nil {
		return err
	}
	schema := resp200(obj{mediaSchema: obj{"schema": obj{"type": "object"}}, mediaJSON: obj{"schema": obj{"type": "object"}}})
	for _, l := range ls {
		base := "/collections/" + l.ID
		paths[base] = obj{"get": op("describeCollection_"+l.ID, l.Title, "The collection "+l.ID+": extent and supported CRSs.",
			[]any{ref("parameters/f")}, resp200(obj{mediaJSON: obj{"schema": ref("schemas/collection")}}), l.Title)}
		paths[base+"/items"] = obj{"get": op("getFeatures_"+l.ID, l.Title+": features",
			"The facility versions of "+l.ID+" valid today, or in the period given by datetime.",
			[]any{ref("parameters/bbox"), ref("parameters/bbox-crs"), ref("parameters/crs"), ref("parameters/datetime"),
				ref("parameters/filter"), ref("parameters/filter-lang"), ref("parameters/filter-crs"),
				ref("parameters/sortby"), ref("parameters/limit"), ref("parameters/offset"), ref("parameters/precision"),
				ref("parameters/f_csv")},
			resp200Crs(obj{mediaGeoJSON: obj{"schema": ref("schemas/featureCollectionGeoJSON")},
				mediaCSV: obj{"schema": obj{"type": "string"}}}), l.Title)}
		paths[base+"/items/{featureId}"] = obj{"get": op("getFeature_"+l.ID, l.Title+": one feature",
			"One facility version of "+l.ID+" by its number, whatever its validity.",
			[]any{ref("parameters/featureId"), ref("parameters/crs"), ref("parameters/precision"), ref("parameters/f")},
			resp200Crs(obj{mediaGeoJSON: obj{"schema": ref("schemas/featureGeoJSON")}}), l.Title)}
		paths[base+"/queryables"] = obj{"get": op("getQueryables_"+l.ID, l.Title+": queryables",
			"The properties filters on "+l.ID+" may use, as a JSON Schema.", []any{ref("parameters/f")}, schema, l.Title)}
		paths[base+"/sortables"] = obj{"get": op("getSortables_"+l.ID, l.Title+": sortables",
			"The properties sortby on "+l.ID+" may use, as a JSON Schema.", []any{ref("parameters/f")}, schema, l.Title)}
	}
	return nil
}
