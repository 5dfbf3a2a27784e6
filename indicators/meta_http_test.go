package indicators

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// metaFixture loads testdata/catalogue/http.yaml and a few published cells
// of "einwohner": two Kreise in 2018, one of them withheld in 2022, their
// Land in 2022 and Germany without a value in 2022.
func metaFixture(t *testing.T) (*pgxpool.Pool, *Store) {
	t.Helper()
	pool := pgtest.NewDB(t)
	s := NewStore(pool, geo.NewStore(pool))
	cat, err := ReadCatalogue("testdata/catalogue/http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := syncFile(t, pool, s, cat); err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(context.Background(), `
INSERT INTO area (level, code, name, parent_level, parent_code) VALUES
    ('staat', 'DE', 'Deutschland', NULL, NULL),
    ('land', '16', 'Thüringen', 'staat', 'DE'),
    ('kreis', '16063', 'Wartburgkreis', 'land', '16'),
    ('kreis', '16065', 'Kyffhäuserkreis', 'land', '16');
INSERT INTO cell (indicator, area_id, period, value, status, suppressed)
SELECT 'einwohner', a.id, c.period::date, c.value, c.status, c.suppressed
FROM (VALUES
    ('16063', '2018-12-31', 123025, 'measured', NULL),
    ('16065', '2018-12-31', 75009, 'measured', NULL),
    ('16063', '2022-12-31', 2, 'measured', 'primary'),
    ('16065', '2022-12-31', 73749, 'measured', NULL),
    ('16', '2022-12-31', 2108863, 'derived', NULL),
    ('DE', '2022-12-31', NULL, 'missing', NULL)
) AS c (code, period, value, status, suppressed)
JOIN area a ON a.code = c.code`)
	if err != nil {
		t.Fatal(err)
	}
	return pool, s
}

func TestMetaHTTP(t *testing.T) {
	_, s := metaFixture(t)
	r := chi.NewRouter()
	s.MetaRoutes(r, MetaConfig{Base: web.BaseURL{Public: "https://atlas.example/"}})
	r.Route("/api", func(r chi.Router) {
		s.MetaRoutes(r, MetaConfig{Base: web.BaseURL{Public: "https://atlas.example"}})
	})

	const einwohnerMeta = `"key":"einwohner","title":"Einwohner","description":"Bevölkerung am Stichtag.",
		"unit":"Personen","category":"Demografie","polarity":"neutral","source":"Testamt",
		"licence":"dl-de/by-2-0","decimals":0,"kind":"count","min_count":3,"min_denominator":10`
	tests := []struct {
		name, path, accept string
		status             int
		mediaType, body    string
	}{
		{"catalogue", "/indicators", "", http.StatusOK, "application/json", `{
  "categories": [
    {"title": "Demografie", "indicators": [
      {` + einwohnerMeta + `,
       "links": [{"href": "https://atlas.example/indicators/einwohner", "rel": "item", "type": "application/json", "title": "Einwohner"}]},
      {"key": "weiblich", "title": "Einwohnerinnen", "description": "", "unit": "Personen", "category": "Demografie",
       "polarity": "neutral", "source": "", "licence": "", "decimals": 0, "kind": "count",
       "combine": {"einwohner": 1, "maennlich": -1}, "min_count": 3, "min_denominator": 10,
       "links": [{"href": "https://atlas.example/indicators/weiblich", "rel": "item", "type": "application/json", "title": "Einwohnerinnen"}]},
      {"key": "maennlich", "title": "Einwohner, männlich", "description": "", "unit": "Personen", "category": "Demografie",
       "polarity": "neutral", "source": "", "licence": "", "decimals": 0, "kind": "count", "min_count": 3, "min_denominator": 10,
       "links": [{"href": "https://atlas.example/indicators/maennlich", "rel": "item", "type": "application/json", "title": "Einwohner, männlich"}]}
    ]},
    {"title": "Arbeit/Armut", "indicators": [
      {"key": "sgb2", "title": "Leistungsberechtigte nach dem SGB II", "description": "", "unit": "Personen",
       "category": "Arbeit/Armut", "polarity": "higher_worse", "source": "", "licence": "", "decimals": 0, "kind": "count",
       "min_count": 3, "min_denominator": 10,
       "links": [{"href": "https://atlas.example/indicators/sgb2", "rel": "item", "type": "application/json", "title": "Leistungsberechtigte nach dem SGB II"}]},
      {"key": "sgb2_quote", "title": "SGB-II-Quote", "description": "", "unit": "%", "category": "Arbeit/Armut",
       "polarity": "higher_worse", "source": "", "licence": "", "decimals": 1, "kind": "rate",
       "numerator": "sgb2", "denominator": "einwohner", "scale": 100, "min_count": 3, "min_denominator": 10,
       "links": [{"href": "https://atlas.example/indicators/sgb2_quote", "rel": "item", "type": "application/json", "title": "SGB-II-Quote"}]}
    ]}
  ],
  "groups": [{"key": "geschlecht", "title": "Einwohner nach Geschlecht", "total": "einwohner", "members": ["weiblich", "maennlich"]}],
  "links": [{"href": "https://atlas.example/indicators", "rel": "self", "type": "application/json", "title": "Indikatorenkatalog"}]
}`},
		{"indicator with cells", "/indicators/einwohner", "application/json", http.StatusOK, "application/json", `{
  ` + einwohnerMeta + `,
  "groups": ["geschlecht"],
  "periods": ["2018-12-31", "2022-12-31"],
  "levels": [
    {"level": "staat", "title": "Staat", "periods": [
      {"period": "2022-12-31", "cells": 1, "with_value": 0, "withheld": 0, "links": [
        {"href": "https://atlas.example/indicators/einwohner/values?level=staat\u0026period=2022-12-31", "rel": "data",
         "type": "application/json", "title": "Einwohner, Staat, 31.12.2022"}]}]},
    {"level": "land", "title": "Länder", "periods": [
      {"period": "2022-12-31", "cells": 1, "with_value": 1, "withheld": 0, "links": [
        {"href": "https://atlas.example/indicators/einwohner/values?level=land\u0026period=2022-12-31", "rel": "data",
         "type": "application/json", "title": "Einwohner, Länder, 31.12.2022"}]}]},
    {"level": "kreis", "title": "Kreise und kreisfreie Städte", "periods": [
      {"period": "2018-12-31", "cells": 2, "with_value": 2, "withheld": 0, "links": [
        {"href": "https://atlas.example/indicators/einwohner/values?level=kreis\u0026period=2018-12-31", "rel": "data",
         "type": "application/json", "title": "Einwohner, Kreise und kreisfreie Städte, 31.12.2018"}]},
      {"period": "2022-12-31", "cells": 2, "with_value": 1, "withheld": 1, "links": [
        {"href": "https://atlas.example/indicators/einwohner/values?level=kreis\u0026period=2022-12-31", "rel": "data",
         "type": "application/json", "title": "Einwohner, Kreise und kreisfreie Städte, 31.12.2022"}]}]}
  ],
  "links": [
    {"href": "https://atlas.example/indicators/einwohner", "rel": "self", "type": "application/json", "title": "Einwohner"},
    {"href": "https://atlas.example/indicators", "rel": "collection", "type": "application/json", "title": "Indikatorenkatalog"}
  ]
}`},
		{"indicator without cells", "/indicators/sgb2_quote", "", http.StatusOK, "application/json", `{
  "key": "sgb2_quote", "title": "SGB-II-Quote", "description": "", "unit": "%", "category": "Arbeit/Armut",
  "polarity": "higher_worse", "source": "", "licence": "", "decimals": 1, "kind": "rate",
  "numerator": "sgb2", "denominator": "einwohner", "scale": 100, "min_count": 3, "min_denominator": 10,
  "groups": [], "periods": [], "levels": [],
  "links": [
    {"href": "https://atlas.example/indicators/sgb2_quote", "rel": "self", "type": "application/json", "title": "SGB-II-Quote"},
    {"href": "https://atlas.example/indicators", "rel": "collection", "type": "application/json", "title": "Indikatorenkatalog"}
  ]
}`},
		{"unknown indicator", "/indicators/armut", "", http.StatusNotFound, "application/problem+json", `{
  "type": "about:blank", "title": "Not Found", "status": 404,
  "detail": "There is no indicator \"armut\" in the catalogue.", "instance": "/indicators/armut"
}`},
		{"no JSON accepted", "/indicators", "text/csv", http.StatusNotAcceptable, "application/problem+json", `{
  "type": "about:blank", "title": "Not Acceptable", "status": 406,
  "detail": "The catalogue is served as application/json only.", "instance": "/indicators"
}`},
		{"mounted below a prefix", "/api/indicators/sgb2", "", http.StatusOK, "application/json", `{
  "key": "sgb2", "title": "Leistungsberechtigte nach dem SGB II", "description": "", "unit": "Personen",
  "category": "Arbeit/Armut", "polarity": "higher_worse", "source": "", "licence": "", "decimals": 0, "kind": "count",
  "min_count": 3, "min_denominator": 10, "groups": [], "periods": [], "levels": [],
  "links": [
    {"href": "https://atlas.example/api/indicators/sgb2", "rel": "self", "type": "application/json", "title": "Leistungsberechtigte nach dem SGB II"},
    {"href": "https://atlas.example/api/indicators", "rel": "collection", "type": "application/json", "title": "Indikatorenkatalog"}
  ]
}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != tt.mediaType {
				t.Errorf("Content-Type %q, want %q", ct, tt.mediaType)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, []byte(tt.body)); err != nil {
				t.Fatalf("expected body: %v", err)
			}
			if got := bytes.TrimSuffix(rec.Body.Bytes(), []byte("\n")); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("body\n%s\nwant\n%s", got, want.Bytes())
			}
		})
	}
}
