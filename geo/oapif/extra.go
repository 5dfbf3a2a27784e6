package oapif

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// PropertySource adds properties kept outside the area store (indicator
// values) to the features of /items and /items/{featureId}, chosen by query
// parameters of its own. The area store knows nothing of what they mean.
type PropertySource interface {
	// Parameters are the query parameters the source reads; the items
	// resources accept them and the OpenAPI document describes them.
	// Their names must differ from the parameters of OGC API Features.
	Parameters() []Parameter
	// Properties reads the source's parameters from req.Query and returns
	// the properties to add to every feature of the response, or nil when
	// the request asks for none. It is called once per response, before
	// the first feature is written. A bad parameter value is a
	// *ParameterError (answered 400); any other error is the server's.
	Properties(ctx context.Context, req PropertyRequest) (Properties, error)
}

// PropertyRequest is what a response needs extra properties for.
type PropertyRequest struct {
	Level string
	// Period selects the area versions of the response: those valid in it.
	Period geo.Period
	// AreaID, when not 0, is the one area version of a single feature.
	AreaID int64
	Query  url.Values
	// Reserved are the names of the features' own properties; extra
	// properties must not take them (a bad parameter value if asked for).
	Reserved []string
}

// Properties are the extra properties of one response.
type Properties interface {
	// Names of the properties, in order. Every feature gets every one of
	// them, null when it has no value, so that clients which derive a
	// schema from the first features (GDAL, QGIS) see the same fields with
	// the same types throughout.
	Names() []string
	// AppendJSON appends the properties of area version id to dst as JSON
	// object members, each preceded by a comma: `,"a":1,"a_status":"…"`.
	AppendJSON(dst []byte, id int64) []byte
	// AppendCells appends the properties of area version id to dst as the
	// cells of a German CSV table, in the order of Names: numbers with a
	// decimal comma, "" for null.
	AppendCells(dst []string, id int64) []string
}

// Parameter is a query parameter of a PropertySource.
type Parameter struct {
	Name        string
	Description string
	// Schema is the OpenAPI 3.0 schema object of the value.
	Schema map[string]any
}

// ParameterError is a bad value of a PropertySource's parameter.
type ParameterError struct {
	Param, Reason string
}

func (e *ParameterError) Error() string {
	return fmt.Sprintf("query parameter %s: %s", e.Param, e.Reason)
}

// extraParamNames are the source's parameter names. New panics when one of
// them is a parameter of OGC API Features: the source could never be asked.
func extraParamNames(src PropertySource) []string {
	if src == nil {
		return nil
	}
	var names []string
	for _, p := range src.Parameters() {
		if slices.Contains(paramsItems, p.Name) || slices.Contains(paramsItem, p.Name) || p.Name == "featureId" {
			panic(fmt.Sprintf("oapif: property source parameter %q is a parameter of OGC API Features", p.Name))
		}
		names = append(names, p.Name)
	}
	return names
}

// checkParams is the package's checkParams that also accepts the property
// source's parameters. They are accepted on every resource, not only on
// items: GDAL's OAPIF driver repeats the query of a layer URL
// ("OAPIF:…/collections/gemeinde?indicators=…") on every request it makes,
// the landing page, the API document and the collection included.
func (h *Handler) checkParams(q url.Values, allowed []string) error {
	if len(h.extraParams) == 0 {
		return checkParams(q, allowed)
	}
	return checkParams(q, slices.Concat(allowed, h.extraParams))
}

// baseProperties are the properties every feature has; extra ones must not
// take their names.
var baseProperties = []string{"code", "name", "parent", "parent_level", "valid_from", "valid_to", "area_km2"}

// extraProperties asks the source, if any, for the response's properties.
func (h *Handler) extraProperties(ctx context.Context, req PropertyRequest) (Properties, error) {
	if h.cfg.Properties == nil {
		return nil, nil
	}
	req.Reserved = baseProperties
	props, err := h.cfg.Properties.Properties(ctx, req)
	if err != nil || props == nil {
		return nil, err
	}
	for _, n := range props.Names() {
		if slices.Contains(baseProperties, n) {
			return nil, fmt.Errorf("property source returned the reserved property %q", n)
		}
	}
	return props, nil
}

// failExtra answers an error of the property source: 400 for a bad
// parameter, otherwise as any store error.
func (h *Handler) failExtra(w http.ResponseWriter, r *http.Request, err error) {
	var pe *ParameterError
	var own *paramError
	if errors.As(err, &pe) || errors.As(err, &own) {
		web.BadRequest(w, r, err.Error())
		return
	}
	h.fail(w, r, err)
}
