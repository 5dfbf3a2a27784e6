package oapif

import (
	"errors"
	"math"
	"net/url"
	"testing"
)

// FuzzParseItems feeds any query to the parsing of /items, bbox and its
// CRS first of all. It must not panic, must refuse with a parameter error
// (a 400 naming the parameter), and what it accepts must keep the limits:
// a page within MaxLimit and a finite, ordered bbox within MaxBBoxKm2.
func FuzzParseItems(f *testing.F) {
	for _, s := range []string{
		"bbox=11.0,50.45,11.65,50.8",
		"bbox=50.45,11.0,50.8,11.65&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326",
		"bbox=600000,5600000,650000,5650000&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/25832&limit=50000",
		"bbox=1224514,6574807,1294514,6644807,0,100&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857",
		"bbox=-180,-90,180,90&datetime=2021-01-01/..&offset=10",
		"bbox=1e308,0,-1e308,0",
		"bbox=-1e308,0,1e308,0&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/25833",
		"bbox=NaN,0,1,1",
		"limit=0&crs=EPSG:4326&precision=3&simplify=10",
		"lmit=10",
	} {
		f.Add(s)
	}
	h := &Handler{cfg: Config{DefaultLimit: 100, MaxLimit: 1000, MaxBBoxKm2: 5000}, crses: supportedCRS}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return // not a query a client could send
		}
		p, err := h.parseItems(q)
		if err != nil {
			var pe *paramError
			if !errors.As(err, &pe) {
				t.Fatalf("parseItems(%q): error %T %v", query, err, err)
			}
			return
		}
		if p.limit < 1 || p.limit > 1000 || p.offset < 0 {
			t.Fatalf("parseItems(%q): limit %d, offset %d", query, p.limit, p.offset)
		}
		if b := p.bbox; b != nil {
			for _, v := range []float64{b.MinX, b.MinY, b.MaxX, b.MaxY} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("parseItems(%q): bbox %+v", query, *b)
				}
			}
			if km2 := bboxKm2(*b); b.MinX > b.MaxX || b.MinY > b.MaxY || !(km2 >= 0 && km2 <= 5000) {
				t.Fatalf("parseItems(%q): bbox %+v of %v km²", query, *b, km2)
			}
		}
	})
}
