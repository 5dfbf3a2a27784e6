package tiles

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/go-chi/chi/v5"
)

// FuzzTileParams feeds any path values and query to the tile request
// parsing. It must not panic, must refuse with a parameter or range error
// (400, or 404 for OGC API – Tiles), and what it accepts must be a tile of
// the tiling and a request whose cache key it can form.
func FuzzTileParams(f *testing.F) {
	for _, s := range [][4]string{
		{"6", "33", "21", "indicators=einwohner,dichte&period=2022-12-31"},
		{"0", "0", "0", ""},
		{"22", "4194303", "4194303", "datetime=2021-06-30T12:00:00Z"},
		{"23", "0", "0", "indicators=einwohner_change&period=2022-12-31&period2=2018-12-31"},
		{"-1", "+1", "0x10", "indicators=a,,b"},
		{"9", "270", "173", "indicators=a&indicators=b&x=1"},
		{"3", "8", "1", "period=2022-02-30"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, z, x, y, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return // not a query a client could send
		}
		r := httptest.NewRequest("GET", "/tiles/kreis/0/0/0.mvt", nil)
		r.URL.RawQuery = q.Encode()
		rc := chi.NewRouteContext()
		rc.URLParams.Add("z", z)
		rc.URLParams.Add("x", x)
		rc.URLParams.Add("y", y)
		r = r.WithContext(context.WithValue(r.Context(), chi.RouteCtxKey, rc))

		tile, err := parseTile(r)
		var pe *paramError
		var re *rangeError
		switch {
		case err == nil:
			if !tile.Valid() || tile.Z > MaxZoom {
				t.Fatalf("parseTile(%q, %q, %q) accepted %v", z, x, y, tile)
			}
		case !errors.As(err, &pe) && !errors.As(err, &re):
			t.Fatalf("parseTile(%q, %q, %q): error %T %v", z, x, y, err, err)
		}

		req, err := parseRequest(r, "kreis")
		if err != nil {
			if !errors.As(err, &pe) {
				t.Fatalf("parseRequest(%q): error %T %v", query, err, err)
			}
			return
		}
		if req.key() == "" || (req.period2 != nil && req.period == nil && len(req.indicators) == 0) {
			t.Fatalf("parseRequest(%q) = %+v", query, req)
		}
	})
}
