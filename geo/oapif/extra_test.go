package oapif

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// tagSource adds "probe" (the area version id) and "probe_tag" (the tag
// parameter) to features; tag=bad is a bad value, tag=code asks for a
// reserved name.
type tagSource struct {
	mu   sync.Mutex
	reqs []PropertyRequest
}

func (s *tagSource) Parameters() []Parameter {
	return []Parameter{{Name: "tag", Description: "A tag for every feature.", Schema: map[string]any{"type": "string"}}}
}

func (s *tagSource) Properties(_ context.Context, req PropertyRequest) (Properties, error) {
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	tag := req.Query.Get("tag")
	switch tag {
	case "":
		return nil, nil
	case "bad":
		return nil, &ParameterError{Param: "tag", Reason: `"bad" is no tag`}
	case "code":
		return tagProps{name: "code", tag: tag}, nil
	}
	return tagProps{name: "probe", tag: tag}, nil
}

type tagProps struct{ name, tag string }

func (p tagProps) Names() []string { return []string{p.name, p.name + "_tag"} }

func (p tagProps) AppendJSON(dst []byte, id int64) []byte {
	dst = append(dst, `,"`+p.name+`":`...)
	dst = strconv.AppendInt(dst, id, 10)
	dst = append(dst, `,"`+p.name+`_tag":`...)
	return strconv.AppendQuote(dst, p.tag)
}

func extraServer(t *testing.T) (*httptest.Server, *tagSource) {
	t.Helper()
	pool := pgtest.NewDB(t)
	sql, err := os.ReadFile("../testdata/query_areas.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), string(sql)); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	src := &tagSource{}
	logger := slog.New(slog.DiscardHandler)
	h := New(geo.NewStore(pool), Config{Title: "Testatlas", Logger: logger, Properties: src})
	r := chi.NewRouter()
	r.Use(web.RequestID, web.Recoverer(logger))
	r.Route("/features", h.Routes)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv, src
}

func TestExtraProperties(t *testing.T) {
	srv, src := extraServer(t)
	base := srv.URL + "/features"

	// Every feature gets the source's properties after its own, in order.
	res := get(t, base+"/collections/kreis/items?tag=a&limit=2", nil, nil)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("items?tag=a: %d %s", res.StatusCode, body)
	}
	var fc featureCollection
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 2 {
		t.Fatalf("%d features", len(fc.Features))
	}
	for _, f := range fc.Features {
		if f.Properties["probe_tag"] != "a" || f.Properties["probe"] == nil || len(f.Properties) != 9 {
			t.Errorf("feature %s properties %v", f.ID, f.Properties)
		}
	}
	if !strings.Contains(string(body), `"area_km2":`) || strings.Index(string(body), `"area_km2":`) > strings.Index(string(body), `"probe":`) {
		t.Errorf("extra properties do not follow the area's: %s", body)
	}
	// The next link carries the parameter; a client that appends it again
	// with the same value (GDAL) is served.
	next := link(fc.Links, "next")
	if !strings.Contains(next, "tag=a") {
		t.Fatalf("next link %s", next)
	}
	var page featureCollection
	if res := get(t, next+"&tag=a", nil, &page); res.StatusCode != 200 || page.Features[0].Properties["probe_tag"] != "a" {
		t.Errorf("next page with the tag repeated: %d %+v", res.StatusCode, page.Features)
	}
	src.mu.Lock()
	req := src.reqs[0]
	src.mu.Unlock()
	if req.Level != "kreis" || req.AreaID != 0 || req.Period.Explicit || !slices.Equal(req.Reserved, baseProperties) {
		t.Errorf("request to the source %+v", req)
	}

	// Without the parameter the features are as before.
	var plain featureCollection
	get(t, base+"/collections/kreis/items?limit=1", nil, &plain)
	if len(plain.Features[0].Properties) != 7 {
		t.Errorf("without tag: %v", plain.Features[0].Properties)
	}

	// One feature: the source is asked for that area version.
	var f struct {
		ID         string
		Properties map[string]any
	}
	get(t, base+"/collections/kreis/items/01002?datetime=2020-06-01&tag=b", nil, &f)
	src.mu.Lock()
	req = src.reqs[len(src.reqs)-1]
	src.mu.Unlock()
	if f.Properties["probe_tag"] != "b" || f.Properties["probe"] != float64(req.AreaID) || req.AreaID == 0 ||
		!req.Period.Explicit || req.Period.From.Format("2006-01-02") != "2020-06-01" {
		t.Errorf("feature %+v, request %+v", f, req)
	}

	// Clients repeat a layer URL's query on every request: every resource
	// takes the source's parameters.
	for _, path := range []string{"/?tag=a", "/conformance?tag=a", "/api?tag=a", "/collections?tag=a",
		"/collections/kreis?tag=a", "/areas/kreis/01002?tag=a"} {
		if res := get(t, base+path, nil, nil); res.StatusCode != 200 {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}

	for _, tt := range []struct {
		path   string
		status int
		detail string
	}{
		{"/collections/kreis/items?tag=bad", 400, `query parameter tag: "bad" is no tag`},
		{"/collections/kreis/items/01002?tag=bad", 400, `query parameter tag: "bad" is no tag`},
		{"/collections/kreis/items?tag=a&tag=b", 400, `query parameter tag: given 2 times; give it once`},
		{"/collections/kreis/items?tga=a", 400, `query parameter "tga": unknown; this resource takes bbox, bbox-crs, crs, datetime, f, filter, filter-crs, filter-lang, limit, offset, precision, simplify, sortby, tag`},
		{"/collections/kreis/items?tag=code", 500, `The server could not answer this request; the request id identifies it in the server's log.`},
	} {
		var p web.Problem
		res := get(t, base+tt.path, nil, &p)
		if res.StatusCode != tt.status || p.Detail != tt.detail {
			t.Errorf("%s: %d %+v\nwant %d %s", tt.path, res.StatusCode, p, tt.status, tt.detail)
		}
	}

	// The OpenAPI document describes the parameter on the items paths.
	var api struct {
		Paths      map[string]map[string]struct{ Parameters []map[string]any }
		Components struct{ Parameters map[string]map[string]any }
	}
	get(t, base+"/api", nil, &api)
	for _, p := range []string{"/collections/kreis/items", "/collections/kreis/items/{featureId}"} {
		params := api.Paths[p]["get"].Parameters
		if len(params) == 0 || params[len(params)-1]["$ref"] != "#/components/parameters/tag" {
			t.Errorf("%s parameters %v", p, params)
		}
	}
	if tag := api.Components.Parameters["tag"]; tag["in"] != "query" || tag["name"] != "tag" || tag["description"] != "A tag for every feature." {
		t.Errorf("tag parameter %v", tag)
	}
	validateOpenAPI(t, base+"/api")
}

func TestExtraParameterClash(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New took a property source with a parameter named limit")
		}
	}()
	New(nil, Config{Properties: clashSource{}})
}

type clashSource struct{}

func (clashSource) Parameters() []Parameter { return []Parameter{{Name: "limit"}} }
func (clashSource) Properties(context.Context, PropertyRequest) (Properties, error) {
	return nil, nil
}

func (p tagProps) AppendCells(dst []string, id int64) []string {
	return append(dst, strconv.FormatInt(id, 10), p.tag)
}
