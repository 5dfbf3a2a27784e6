package oapif

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

// filter reads filter, filter-lang and filter-crs into a condition on the
// level's area versions, nil without a filter. A bad filter is a
// *paramError (400).
func (h *Handler) filter(ctx context.Context, req PropertyRequest) (*geo.Filter, error) {
	q := req.Query
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

	r := resolver{extra: map[string]string{}, types: map[string]cql2.Type{}}
	var foreign []string
	for _, name := range cql2.Properties(e) {
		if !isBaseQueryable(name) {
			foreign = append(foreign, name)
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
	where, args, err := cql2.CompileNamed(e, r, "f_")
	var unknown *cql2.UnknownPropertyError
	var typeErr *cql2.TypeError
	switch {
	case errors.As(err, &unknown):
		return nil, badParam("filter", "%q is not a queryable of %s; /collections/%s/queryables lists them", unknown.Name, req.Level, req.Level)
	case errors.As(err, &typeErr):
		return nil, badParam("filter", "%s", strings.TrimPrefix(typeErr.Error(), "filter: "))
	case err != nil:
		return nil, err
	}
	for k, v := range joinArgs {
		args[k] = v
	}
	return &geo.Filter{Joins: joins, Where: where, Args: args}, nil
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
	doc := queryablesDoc{
		Schema:     "https://json-schema.org/draft/2020-12/schema",
		ID:         h.root(r) + "/collections/" + l.Name + "/queryables",
		Type:       "object",
		Title:      l.Title,
		Properties: map[string]any{},
		Description: "Eigenschaften für Filter (filter, CQL2 Text oder JSON); " +
			"ein gesperrter Wert erfüllt keine Bedingung.",
	}
	for _, q := range list {
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
			p["format"], legacy = "geometry-multipolygon", "geometry"
		default:
			p["type"] = "string"
		}
		doc.Properties[q.Name] = p
		doc.Queryables = append(doc.Queryables, legacyQ{ID: q.Name, Type: legacy})
	}
	web.WriteJSON(w, r, h.log, http.StatusOK, mt, doc)
}
