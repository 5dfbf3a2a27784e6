package oapif

import (
	"net/http"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// obj is a JSON object of the OpenAPI document.
type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/" + name} }

func (h *Handler) api(w http.ResponseWriter, r *http.Request) {
	if err := h.checkParams(r.URL.Query(), paramsPlain); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	mt := format(w, r, mediaOpenAPI, mediaJSON)
	if mt == "" {
		return
	}
	levels, err := h.store.Levels(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	doc := h.openAPI(r, levels)
	if err := h.layerPaths(r.Context(), doc["paths"].(obj)); err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, r, h.log, http.StatusOK, mt, doc)
}

// openAPI describes the API as it stands: one set of paths per level, so
// clients see every collection with its own items path (OGC API Features
// 17-069r4, 7.3 and annex "oas30").
func (h *Handler) openAPI(r *http.Request, levels []geo.Level) obj {
	names := make([]string, len(levels))
	for i, l := range levels {
		names[i] = l.Name
	}
	paths := obj{
		"/": obj{"get": op("getLandingPage", "Landing page", "Links to the API definition, the conformance classes and the collections.",
			[]any{ref("parameters/f_html")}, resp200(obj{
				mediaJSON: obj{"schema": ref("schemas/landingPage")},
				mediaHTML: obj{"schema": obj{"type": "string"}},
			}), "Capabilities")},
		"/conformance": obj{"get": op("getConformanceDeclaration", "Conformance classes", "The OGC API conformance classes this server implements.",
			[]any{ref("parameters/f")}, resp200(obj{mediaJSON: obj{"schema": ref("schemas/confClasses")}}), "Capabilities")},
		"/api": obj{"get": op("getAPI", "API definition", "This document.",
			[]any{ref("parameters/f")}, resp200(obj{
				mediaOpenAPI: obj{"schema": obj{"type": "object"}},
				mediaJSON:    obj{"schema": obj{"type": "object"}},
			}), "Capabilities")},
		"/collections": obj{"get": op("getCollections", "Collections", "One collection per level of areas.",
			[]any{ref("parameters/f")}, resp200(obj{mediaJSON: obj{"schema": ref("schemas/collections")}}), "Capabilities")},
	}
	extra := h.extraParameterRefs()
	for _, l := range levels {
		base := "/collections/" + l.Name
		tag := l.Title
		paths[base] = obj{"get": op("describeCollection_"+l.Name, l.Title, "The collection "+l.Name+": extent and supported CRSs.",
			[]any{ref("parameters/f")}, resp200(obj{mediaJSON: obj{"schema": ref("schemas/collection")}}), tag)}
		paths[base+"/items"] = obj{"get": op("getFeatures_"+l.Name, l.Title+": features",
			"The area versions of "+l.Name+" valid today, or in the period given by datetime, by code.",
			append([]any{ref("parameters/bbox"), ref("parameters/bbox-crs"), ref("parameters/crs"), ref("parameters/datetime"),
				ref("parameters/filter"), ref("parameters/filter-lang"), ref("parameters/filter-crs"),
				ref("parameters/sortby"), ref("parameters/limit"), ref("parameters/offset"), ref("parameters/precision"),
				ref("parameters/simplify"), ref("parameters/f_csv")},
				extra...),
			resp200Crs(obj{mediaGeoJSON: obj{"schema": ref("schemas/featureCollectionGeoJSON")},
				mediaCSV: obj{"schema": obj{"type": "string"}}}), tag)}
		paths[base+"/queryables"] = obj{"get": op("getQueryables_"+l.Name, l.Title+": queryables",
			"The properties filters on "+l.Name+" may use, as a JSON Schema: the features' own and every indicator with values at the level.",
			[]any{ref("parameters/f")}, resp200(obj{mediaSchema: obj{"schema": obj{"type": "object"}}, mediaJSON: obj{"schema": obj{"type": "object"}}}), tag)}
		paths[base+"/sortables"] = obj{"get": op("getSortables_"+l.Name, l.Title+": sortables",
			"The properties sortby on "+l.Name+" may use, as a JSON Schema: the queryables without the geometry.",
			[]any{ref("parameters/f")}, resp200(obj{mediaSchema: obj{"schema": obj{"type": "object"}}, mediaJSON: obj{"schema": obj{"type": "object"}}}), tag)}
		paths[base+"/items/{featureId}"] = obj{"get": op("getFeature_"+l.Name, l.Title+": one feature",
			"The version of one area valid today, or the latest valid in the period given by datetime.",
			append([]any{ref("parameters/featureId"), ref("parameters/crs"), ref("parameters/datetime"),
				ref("parameters/precision"), ref("parameters/simplify"), ref("parameters/f")},
				extra...),
			resp200Crs(obj{mediaGeoJSON: obj{"schema": ref("schemas/featureGeoJSON")}}), tag)}
	}
	paths["/areas/{level}/{code}"] = obj{"get": op("getArea", "Area with parents and children",
		"One area version with its parent chain (nearest first), its children and, for area schemes, its members.",
		[]any{
			obj{"name": "level", "in": "path", "required": true, "description": "Level name.", "schema": obj{"type": "string", "enum": names}},
			obj{"name": "code", "in": "path", "required": true, "description": "Area code.", "schema": obj{"type": "string"}},
			ref("parameters/datetime"), ref("parameters/f"),
		}, resp200(obj{mediaJSON: obj{"schema": ref("schemas/areaDetail")}}), "Areas")}

	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       h.cfg.Title,
			"description": h.cfg.Description,
			"version":     "1.0.0",
		},
		"servers": []any{obj{"url": h.root(r)}},
		"paths":   paths,
		"components": obj{
			"parameters": h.parameters(),
			"schemas":    schemas(),
			"responses": obj{
				"problem": obj{"description": "An error, as RFC 9457 problem details.",
					"content": obj{web.ProblemMediaType: obj{"schema": ref("schemas/problem")}}},
			},
		},
	}
}

func op(id, summary, description string, params []any, ok obj, tag string) obj {
	responses := obj{"200": ok}
	for _, code := range []string{"400", "404", "406", "500", "503"} {
		responses[code] = ref("responses/problem")
	}
	return obj{
		"operationId": id, "summary": summary, "description": description, "tags": []string{tag},
		"parameters": params, "responses": responses,
	}
}

func resp200(content obj) obj {
	return obj{"description": "Success.", "content": content}
}

func resp200Crs(content obj) obj {
	r := resp200(content)
	r["headers"] = obj{"Content-Crs": obj{
		"description": "The CRS of the geometries, as a URI in angle brackets (OGC API Features Part 2).",
		"schema":      obj{"type": "string"},
	}}
	return r
}

func (h *Handler) parameters() obj {
	crsEnum := h.crsURIs()
	params := obj{
		"f": obj{"name": "f", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Format of the response; without it the Accept header decides.",
			"schema":      obj{"type": "string", "enum": []string{"json"}}},
		"f_html": obj{"name": "f", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Format of the response; without it the Accept header decides.",
			"schema":      obj{"type": "string", "enum": []string{"json", "html"}}},
		"f_csv": obj{"name": "f", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Format of the response: json (GeoJSON) or csv (the properties without geometry, ';' and decimal comma, UTF-8 with BOM); without it the Accept header decides.",
			"schema":      obj{"type": "string", "enum": []string{"json", "csv"}}},
		"sortby": obj{"name": "sortby", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Order of the features: comma-separated sortables (/collections/{level}/sortables), each with an optional + (ascending, default) or - (descending), e.g. -dichte,name. Areas without a value (or with a withheld one) come last; code breaks ties.",
			"schema":      obj{"type": "array", "items": obj{"type": "string", "pattern": "^[+-]?[a-z][a-z0-9_]*$"}}},
		"bbox": obj{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Only features whose geometry intersects the box: minx,miny,maxx,maxy (or 6 numbers with heights) in the CRS of bbox-crs. Features without geometry never match.",
			"schema":      obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}},
		"bbox-crs": obj{"name": "bbox-crs", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "CRS of bbox; EPSG:4326 is latitude first.",
			"schema":      obj{"type": "string", "format": "uri", "enum": crsEnum, "default": crsEnum[0]}},
		"crs": obj{"name": "crs", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "CRS of the geometries in the response; EPSG:4326 is latitude first.",
			"schema":      obj{"type": "string", "format": "uri", "enum": crsEnum, "default": crsEnum[0]}},
		"datetime": obj{"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Area versions valid on a date (2021-12-31 or a date-time) or on some day of an interval (start/end, '..' for an open end). Default: today.",
			"schema":      obj{"type": "string"}},
		"limit": obj{"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Features per page; larger values are reduced to the maximum.",
			"schema":      obj{"type": "integer", "minimum": 1, "maximum": h.cfg.MaxLimit, "default": h.cfg.DefaultLimit}},
		"offset": obj{"name": "offset", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Features to skip; the next and prev links carry it.",
			"schema":      obj{"type": "integer", "minimum": 0, "default": 0}},
		"precision": obj{"name": "precision", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Decimal digits of coordinates; default 7 for degrees, 2 for metres.",
			"schema":      obj{"type": "integer", "minimum": 0, "maximum": maxPrecision}},
		"simplify": obj{"name": "simplify", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Simplify geometries with this tolerance in metres on the ground; 0 keeps full detail.",
			"schema":      obj{"type": "number", "minimum": 0, "maximum": maxSimplify, "default": 0}},
		"filter": obj{"name": "filter", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Only features matching a CQL2 filter on the queryables (/collections/{level}/queryables), e.g. einwohner > 10000 AND parent = '16073'. A withheld value matches no condition.",
			"schema":      obj{"type": "string"}},
		"filter-lang": obj{"name": "filter-lang", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "Language of filter: cql2-text (default) or cql2-json; cql-text is taken as cql2-text.",
			"schema":      obj{"type": "string", "enum": []string{langText, langJSON, langLegacyText}, "default": langText}},
		"filter-crs": obj{"name": "filter-crs", "in": "query", "required": false, "style": "form", "explode": false,
			"description": "CRS of the geometries in filter; only CRS84.",
			"schema":      obj{"type": "string", "format": "uri", "enum": []string{crsEnum[0]}, "default": crsEnum[0]}},
		"featureId": obj{"name": "featureId", "in": "path", "required": true,
			"description": "The area's code.", "schema": obj{"type": "string"}},
	}
	if h.cfg.Properties != nil {
		for _, p := range h.cfg.Properties.Parameters() {
			params[p.Name] = obj{"name": p.Name, "in": "query", "required": false, "style": "form", "explode": false,
				"description": p.Description, "schema": p.Schema}
		}
	}
	return params
}

// extraParameterRefs refers to the property source's parameters, which
// the items paths take (GDAL and QGIS read the document for them).
func (h *Handler) extraParameterRefs() []any {
	var refs []any
	for _, name := range h.extraParams {
		refs = append(refs, ref("parameters/"+name))
	}
	return refs
}

func schemas() obj {
	str := obj{"type": "string"}
	nullable := func(s obj) obj {
		c := obj{"nullable": true}
		for k, v := range s {
			c[k] = v
		}
		return c
	}
	date := obj{"type": "string", "format": "date"}
	links := obj{"type": "array", "items": ref("schemas/link")}
	return obj{
		"link": obj{"type": "object", "required": []string{"href"}, "properties": obj{
			"href": str, "rel": str, "type": str, "title": str, "hreflang": str}},
		"landingPage": obj{"type": "object", "required": []string{"links"}, "properties": obj{
			"title": str, "description": str, "attribution": str, "links": links}},
		"confClasses": obj{"type": "object", "required": []string{"conformsTo"}, "properties": obj{
			"conformsTo": obj{"type": "array", "items": str}}},
		"extent": obj{"type": "object", "properties": obj{
			"spatial": obj{"type": "object", "properties": obj{
				"bbox": obj{"type": "array", "minItems": 1, "items": obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}},
				"crs":  str}},
			"temporal": obj{"type": "object", "properties": obj{
				"interval": obj{"type": "array", "minItems": 1, "items": obj{"type": "array", "minItems": 2, "maxItems": 2,
					"items": obj{"type": "string", "format": "date-time", "nullable": true}}},
				"trs": str}}}},
		"collection": obj{"type": "object", "required": []string{"id", "links"}, "properties": obj{
			"id": str, "title": str, "description": str, "attribution": str,
			"extent": ref("schemas/extent"), "itemType": str,
			"crs": obj{"type": "array", "items": str}, "storageCrs": str, "links": links}},
		"collections": obj{"type": "object", "required": []string{"links", "collections"}, "properties": obj{
			"links": links, "crs": obj{"type": "array", "items": str},
			"collections": obj{"type": "array", "items": ref("schemas/collection")}}},
		"geometryGeoJSON": obj{"type": "object", "required": []string{"type"}, "properties": obj{
			"type":        obj{"type": "string", "enum": []string{"Polygon", "MultiPolygon"}},
			"coordinates": obj{"type": "array"}}},
		"properties": obj{"type": "object", "properties": obj{
			"code": str, "name": str, "parent": nullable(str), "parent_level": nullable(str),
			"valid_from": nullable(date), "valid_to": nullable(date), "area_km2": obj{"type": "number", "nullable": true}}},
		"featureGeoJSON": obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
			"type":       obj{"type": "string", "enum": []string{"Feature"}},
			"id":         str,
			"geometry":   obj{"allOf": []any{ref("schemas/geometryGeoJSON")}, "nullable": true},
			"properties": ref("schemas/properties"),
			"links":      links}},
		"featureCollectionGeoJSON": obj{"type": "object", "required": []string{"type", "features"}, "properties": obj{
			"type":           obj{"type": "string", "enum": []string{"FeatureCollection"}},
			"features":       obj{"type": "array", "items": ref("schemas/featureGeoJSON")},
			"links":          links,
			"timeStamp":      obj{"type": "string", "format": "date-time"},
			"numberMatched":  obj{"type": "integer", "minimum": 0},
			"numberReturned": obj{"type": "integer", "minimum": 0}}},
		"area": obj{"type": "object", "properties": obj{
			"level": str, "code": str, "name": str, "parent": nullable(str), "parent_level": nullable(str),
			"valid_from": nullable(date), "valid_to": nullable(date), "area_km2": obj{"type": "number", "nullable": true},
			"has_geometry": obj{"type": "boolean"}, "href": str}},
		"areaDetail": obj{"type": "object", "required": []string{"area", "parents", "children", "links"}, "properties": obj{
			"area":     ref("schemas/area"),
			"parents":  obj{"type": "array", "items": ref("schemas/area")},
			"children": obj{"type": "array", "items": ref("schemas/area")},
			"members":  obj{"type": "array", "items": ref("schemas/area")},
			"links":    links}},
		"problem": obj{"type": "object", "properties": obj{
			"type": str, "title": str, "status": obj{"type": "integer"}, "detail": str, "instance": str, "request_id": str}},
	}
}
