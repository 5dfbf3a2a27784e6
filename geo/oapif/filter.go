package oapif

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/cql2"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// QueryableSource is a PropertySource whose properties can also be used in
// the filters of /items (OGC API – Features Part 3). The area store knows
// nothing of them: the source lists them and gives the SQL that reads them.
type QueryableSource interface {
	PropertySource
	// Queryables lists the source's properties usable in filters at a
	// level, in order.
	Queryables(ctx context.Context, level string) ([]Queryable, error)
	// FilterColumns makes the named properties available to a filter over
	// the area versions "a" of req.Level: LEFT JOINs yielding at most one
	// row per area version, the SQL expression of each property, and the
	// joins' named arguments, whose names must start with "q_". A name the
	// source does not know is left out of Exprs. A withheld value must be
	// NULL in its expression, so that no condition on it holds.
	FilterColumns(ctx context.Context, req PropertyRequest, names []string) (FilterColumns, error)
}

// Queryable is a property usable in filters.
type Queryable struct {
	Name, Title, Description string
	Type                     cql2.Type
}

// FilterColumns is what a QueryableSource adds to a filtered query.
type FilterColumns struct {
	Joins string
	Exprs map[string]string
	Args  map[string]any
}

// baseQueryables are the features' own properties as filters see them.
var baseQueryables = []struct {
	Queryable
	sql string
}{
	{Queryable{Name: "code", Title: "Schlüssel", Type: cql2.TypeString}, "a.code"},
	{Queryable{Name: "name", Title: "Name", Type: cql2.TypeString}, "a.name"},
	{Queryable{Name: "parent", Title: "Schlüssel des übergeordneten Gebiets", Type: cql2.TypeString}, "a.parent_code"},
	{Queryable{Name: "parent_level", Title: "Ebene des übergeordneten Gebiets", Type: cql2.TypeString}, "a.parent_level"},
	{Queryable{Name: "valid_from", Title: "gültig ab", Type: cql2.TypeDate}, "a.valid_from"},
	{Queryable{Name: "valid_to", Title: "gültig bis", Type: cql2.TypeDate}, "a.valid_to"},
	{Queryable{Name: "area_km2", Title: "Fläche (km²)", Type: cql2.TypeNumber}, "a.area_km2"},
	{Queryable{Name: "geometry", Title: "Geometrie", Type: cql2.TypeGeometry}, "a.geom"},
}

func isBaseQueryable(name string) bool {
	for _, b := range baseQueryables {
		if b.Name == name {
			return true
		}
	}
	return false
}

// Filter languages: CQL2 Text and JSON, and "cql-text", the name GDAL up
// to 3.6 looks for in the API document before it sends -where as a filter.
const (
	langText       = "cql2-text"
	langJSON       = "cql2-json"
	langLegacyText = "cql-text"
)

// resolver resolves filter properties: the features' own, then the
// source's.
type resolver struct {
	extra map[string]string
	types map[string]cql2.Type
}

func (r resolver) Property(name string) (string, cql2.Type, error) {
	for _, b := range baseQueryables {
		if b.Name == name {
			return b.sql, b.Type, nil
		}
	}
	if sql, ok := r.extra[name]; ok {
		return sql, r.types[name], nil
	}
	return "", 0, &cql2.UnknownPropertyError{Name: name}
}

// selection reads filter, filter-lang, filter-crs and sortby into a
// condition on and an order of the level's area versions, nil with
// neither. A bad filter or sort key is a *paramError (400).
func (h *Handler) selection(ctx context.Context, req PropertyRequest) (*geo.Filter, error) {
	q := req.Query
	e, err := parseFilter(q)
	if err != nil {
		return nil, err
	}
	keys, err := parseSortby(q.Get("sortby"))
	if err != nil {
		return nil, err
	}
	if e == nil && keys == nil {
		return nil, nil
	}

	r := resolver{extra: map[string]string{}, types: map[string]cql2.Type{}}
	var foreign []string
	if e != nil {
		for _, name := range cql2.Properties(e) {
			if !isBaseQueryable(name) {
				foreign = append(foreign, name)
			}
		}
	}
	for _, k := range keys {
		if !isBaseQueryable(k.name) && !slices.Contains(foreign, k.name) {
			foreign = append(foreign, k.name)
		}
	}
	var joins string
	var joinArgs map[string]any
	src, _ := h.cfg.Properties.(QueryableSource)
	if len(foreign) > 0 && src != nil {
		qs, err := src.Queryables(ctx, req.Level)
		if err != nil {
			return nil, err
		}
		var known []string
		for _, name := range foreign {
			if i := slices.IndexFunc(qs, func(q Queryable) bool { return q.Name == name }); i >= 0 {
				known = append(known, name)
				r.types[name] = qs[i].Type
			}
		}
		if len(known) > 0 {
			cols, err := src.FilterColumns(ctx, req, known)
			if err != nil {
				return nil, err
			}
			for k := range cols.Args {
				if !strings.HasPrefix(k, "q_") {
					return nil, fmt.Errorf("filter: argument %q of the property source lacks the prefix q_", k)
				}
			}
			joins, joinArgs, r.extra = cols.Joins, cols.Args, cols.Exprs
		}
	}
	f := &geo.Filter{Joins: joins, Args: map[string]any{}}
	if e != nil {
		where, args, err := compileFilter(e, r, req.Level)
		if err != nil {
			return nil, err
		}
		f.Where, f.Args = where, args
	}
	for _, k := range keys {
		sql, typ, err := r.Property(k.name)
		if err != nil || typ == cql2.TypeGeometry {
			return nil, badParam("sortby", "%q is not a sortable of %s; /collections/%s/sortables lists them", k.name, req.Level, req.Level)
		}
		f.Order = append(f.Order, geo.OrderBy{Expr: sql, Desc: k.desc})
	}
	for k, v := range joinArgs {
		f.Args[k] = v
	}
	return f, nil
}

// compileFilter compiles a filter on a collection's properties; an unknown
// property or a type mismatch is a *paramError (400).
func compileFilter(e cql2.Expr, r cql2.Resolver, collection string) (string, map[string]any, error) {
	where, args, err := cql2.CompileNamed(e, r, "f_")
	var unknown *cql2.UnknownPropertyError
	var typeErr *cql2.TypeError
	switch {
	case errors.As(err, &unknown):
		return "", nil, badParam("filter", "%q is not a queryable of %s; /collections/%s/queryables lists them", unknown.Name, collection, collection)
	case errors.As(err, &typeErr):
		return "", nil, badParam("filter", "%s", strings.TrimPrefix(typeErr.Error(), "filter: "))
	}
	return where, args, err
}

// parseFilter reads filter, filter-lang and filter-crs; nil without a
// filter.
func parseFilter(q url.Values) (cql2.Expr, error) {
	text, lang := q.Get("filter"), q.Get("filter-lang")
	if c := q.Get("filter-crs"); c != "" && c != supportedCRS[0].URI() {
		return nil, badParam("filter-crs", "%q is not supported; filters are in %s (longitude, latitude)", c, supportedCRS[0].URI())
	}
	if text == "" {
		if lang != "" {
			return nil, badParam("filter-lang", "only with filter")
		}
		return nil, nil
	}
	var e cql2.Expr
	var err error
	switch lang {
	case "", langText, langLegacyText:
		e, err = cql2.ParseText(text) // within cql2's default limits; beyond them a 400
	case langJSON:
		e, err = cql2.ParseJSON([]byte(text))
	default:
		return nil, badParam("filter-lang", "%q is not %s or %s", lang, langText, langJSON)
	}
	if err != nil {
		return nil, badParam("filter", "%s", strings.TrimPrefix(err.Error(), "filter: "))
	}
	return e, nil
}

// sortKey is one key of sortby.
type sortKey struct {
	name string
	desc bool
}

// maxSortKeys bounds sortby; every key is a join and a sort column.
const maxSortKeys = 8

// parseSortby reads sortby as the OGC API draft "Sorting" (and OGC API –
// Records) write it: comma-separated property names, each optionally
// prefixed with + (ascending, the default) or - (descending). A "+" that
// arrives unescaped in a query string reads as a space, so a leading space
// counts as "+".
func parseSortby(v string) ([]sortKey, error) {
	if v == "" {
		return nil, nil
	}
	var keys []sortKey
	for i, part := range strings.Split(v, ",") {
		k := sortKey{name: strings.TrimLeft(part, " ")}
		switch {
		case strings.HasPrefix(k.name, "-"):
			k.name, k.desc = k.name[1:], true
		case strings.HasPrefix(k.name, "+"):
			k.name = k.name[1:]
		}
		if k.name == "" || strings.ContainsAny(k.name, " +-") {
			return nil, badParam("sortby", "key %d (%q) is not a property name with an optional + or -", i+1, part)
		}
		if slices.ContainsFunc(keys, func(o sortKey) bool { return o.name == k.name }) {
			return nil, badParam("sortby", "%q is named twice", k.name)
		}
		keys = append(keys, k)
	}
	if len(keys) > maxSortKeys {
		return nil, badParam("sortby", "%d keys; at most %d", len(keys), maxSortKeys)
	}
	return keys, nil
}

// queryablesDoc is /collections/{level}/queryables: a JSON Schema of the
// properties filters may use (OGC API – Features Part 3). "queryables"
// lists them once more in the form of the drafts that GDAL up to 3.6 reads
// to decide which conditions of -where it sends to the server.
type queryablesDoc struct {
	Schema      string         `json:"$schema"`
	ID          string         `json:"$id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Properties  map[string]any `json:"properties"`
	Additional  bool           `json:"additionalProperties"`
	Queryables  []legacyQ      `json:"queryables"`
	Description string         `json:"description,omitempty"`
}

type legacyQ struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

const mediaSchema = "application/schema+json"

func (h *Handler) queryables(w http.ResponseWriter, r *http.Request) {
	h.propertySchema(w, r, "queryables", "Eigenschaften für Filter (filter, CQL2 Text oder JSON); "+
		"ein gesperrter Wert erfüllt keine Bedingung.")
}

// sortables is /collections/{level}/sortables: the queryables sortby may
// use, every one but the geometry.
func (h *Handler) sortables(w http.ResponseWriter, r *http.Request) {
	h.propertySchema(w, r, "sortables", "Eigenschaften für die Sortierung (sortby, z. B. -dichte,name); "+
		"Gebiete ohne Wert oder mit gesperrtem Wert stehen am Ende.")
}

func (h *Handler) propertySchema(w http.ResponseWriter, r *http.Request, what, description string) {
	if err := h.checkParams(r.URL.Query(), paramsPlain); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	mt := format(w, r, mediaSchema, mediaJSON)
	if mt == "" {
		return
	}
	l, ok := h.level(w, r)
	if !ok {
		return
	}
	list := make([]Queryable, 0, len(baseQueryables))
	for _, b := range baseQueryables {
		list = append(list, b.Queryable)
	}
	if src, ok := h.cfg.Properties.(QueryableSource); ok {
		qs, err := src.Queryables(r.Context(), l.Name)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		list = append(list, qs...)
	}
	h.writeSchema(w, r, mt, schemaOf{id: l.Name, title: l.Title, what: what, description: description,
		geometry: "geometry-multipolygon"}, list)
}

// schemaOf says which collection a queryables or sortables document
// describes, and the format its geometry has.
type schemaOf struct {
	id, title, what, description, geometry string
}

// writeSchema writes the queryables or sortables of a collection as JSON
// Schema, with the list the CQL drafts (and GDAL up to 3.6) read.
func (h *Handler) writeSchema(w http.ResponseWriter, r *http.Request, mt string, c schemaOf, list []Queryable) {
	what := c.what
	doc := queryablesDoc{
		Schema:      "https://json-schema.org/draft/2020-12/schema",
		ID:          h.root(r) + "/collections/" + c.id + "/" + what,
		Type:        "object",
		Title:       c.title,
		Properties:  map[string]any{},
		Description: c.description,
	}
	for _, q := range list {
		if what == "sortables" && q.Type == cql2.TypeGeometry {
			continue
		}
		p := map[string]any{"title": q.Title}
		if q.Description != "" {
			p["description"] = q.Description
		}
		legacy := "string"
		switch q.Type {
		case cql2.TypeNumber:
			p["type"], legacy = "number", "number"
		case cql2.TypeBoolean:
			p["type"], legacy = "boolean", "boolean"
		case cql2.TypeDate:
			p["type"], p["format"], legacy = "string", "date", "date"
		case cql2.TypeTimestamp:
			p["type"], p["format"], legacy = "string", "date-time", "dateTime"
		case cql2.TypeGeometry:
			p["format"], legacy = c.geometry, "geometry"
		default:
			p["type"] = "string"
		}
		doc.Properties[q.Name] = p
		doc.Queryables = append(doc.Queryables, legacyQ{ID: q.Name, Type: legacy})
	}
	web.WriteJSON(w, r, h.log, http.StatusOK, mt, doc)
}
