package main

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// tileBounds is the lon/lat box of tile z/x/y widened by margin tile
// widths on every side: Web Mercator maps a box to a box, so a bbox query
// selects exactly the points a tile with that buffer holds.
func tileBounds(z, x, y int, margin float64) [4]float64 {
	n := float64(int(1) << z)
	lon := func(x float64) float64 { return x/n*360 - 180 }
	lat := func(y float64) float64 { return math.Atan(math.Sinh(math.Pi*(1-2*y/n))) * 180 / math.Pi }
	fx, fy := float64(x), float64(y)
	return [4]float64{lon(fx - margin), lat(fy + 1 + margin), lon(fx + 1 + margin), lat(fy - margin)}
}

// The Kitas as vector tiles: the tile at Kita 01010010 (Albrechtstraße 20,
// EPSG:25833 390387.4 5820383.1, i.e. 13.38439° E 52.52252° N) holds
// exactly the Kitas that the items API finds in the tile and its buffer,
// each with the properties of its collection.
func TestFacilityTiles(t *testing.T) {
	srv, _ := demoServer(t)
	const z, x, y = 14, 8801, 5373
	body := getBody(t, fmt.Sprintf("%s/tiles/facilities-kita/%d/%d/%d.mvt", srv.URL, z, x, y))
	layers, err := decodeMVT(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 || len(layers[0]) == 0 || layers[0][0][layerProp] != "facilities-kita" {
		t.Fatalf("tile %d/%d/%d: %d layers, want one named facilities-kita", z, x, y, len(layers))
	}
	features := layers[0]
	const want = 15
	b := tileBounds(z, x, y, 64.0/4096)
	var fc struct {
		NumberMatched int `json:"numberMatched"`
	}
	getJSON(t, srv.URL+"/collections/facilities-kita/items?limit=1000&bbox="+
		url.QueryEscape(fmt.Sprintf("%.9f,%.9f,%.9f,%.9f", b[0], b[1], b[2], b[3])), &fc)
	if len(features) != want || fc.NumberMatched != want {
		t.Errorf("tile %d/%d/%d: %d Kitas, items in its box %d, want %d", z, x, y, len(features), fc.NumberMatched, want)
	}
	var fair map[string]any
	for _, f := range features {
		if f["source_id"] == "01010010" {
			fair = f
		}
	}
	wantProps := map[string]any{layerProp: "facilities-kita", "source_id": "01010010", "name": "Kita F.A.I.R.play",
		"carrier":      "GFJ - gemeinnützige Gesellschaft für Familien- und Jugendhilfe mbH",
		"carrier_type": "Sonstiger freier Träger", "capacity": 69.0, "capacity_unit": "Plätze"}
	if len(fair) != len(wantProps) {
		t.Errorf("Kita 01010010 in the tile: %v, want %v", fair, wantProps)
	}
	for k, v := range wantProps {
		if fair[k] != v {
			t.Errorf("Kita 01010010 in the tile: %s = %#v, want %#v", k, fair[k], v)
		}
	}

	// Before the file's validity there are no Kitas: an empty tile.
	status, _, _ := call(t, http.MethodGet, fmt.Sprintf("%s/tiles/facilities-kita/%d/%d/%d.mvt?datetime=2021-06-30", srv.URL, z, x, y), "", "", nil)
	if status != http.StatusNoContent {
		t.Errorf("tile on 2021-06-30: %d, want 204", status)
	}
	for path, wantStatus := range map[string]int{
		"/tiles/facilities-kita/14/8801/5373.mvt?indicators=einwohner": 400,
		"/tiles/facilities-keine/14/8801/5373.mvt":                     404,
		"/tiles/facilities-kita.json?period=2022-12-31":                400,
		// the same tiles through OGC API – Tiles, row before column
		"/collections/facilities-kita/tiles/WebMercatorQuad/14/5373/8801": 200,
		"/collections/facilities-kita/tiles/WebMercatorQuad":              200,
	} {
		if status, body, _ := call(t, http.MethodGet, srv.URL+path, "", "", nil); status != wantStatus {
			t.Errorf("GET %s: %d, want %d: %.200s", path, status, wantStatus, body)
		}
	}

	// TileJSON: one point layer with the tile's properties, the Kitas'
	// bounds and a tile URL that MapLibre can use as it is.
	var tj struct {
		Tiles        []string `json:"tiles"`
		Bounds       []float64
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	getJSON(t, srv.URL+"/tiles/facilities-kita.json", &tj)
	if len(tj.Tiles) != 1 || tj.Tiles[0] != srv.URL+"/tiles/facilities-kita/{z}/{x}/{y}.mvt" {
		t.Errorf("TileJSON tiles %v", tj.Tiles)
	}
	if len(tj.VectorLayers) != 1 || tj.VectorLayers[0].ID != "facilities-kita" ||
		tj.VectorLayers[0].Fields["capacity"] != "Number" || tj.VectorLayers[0].Fields["name"] != "String" {
		t.Errorf("TileJSON vector_layers %+v", tj.VectorLayers)
	}
	if len(tj.Bounds) != 4 || tj.Bounds[0] < 13 || tj.Bounds[2] > 13.8 || tj.Bounds[1] < 52.3 || tj.Bounds[3] > 52.7 {
		t.Errorf("TileJSON bounds %v, want Berlin's", tj.Bounds)
	}

	// GDAL's MVT driver reads the tile: the same count, the name and the
	// capacity as a number.
	ogrinfo := tool(t, "ogrinfo")
	out := runTool(t, ogrinfo, "-q", "-al", fmt.Sprintf("MVT:%s/tiles/facilities-kita/%d/%d/%d.mvt", srv.URL, z, x, y))
	if n := strings.Count(out, "OGRFeature("); n != want {
		t.Errorf("GDAL read %d features, want %d:\n%s", n, want, out)
	}
	for _, s := range []string{"name (String) = Kita F.A.I.R.play", "capacity (Real) = 69", "OGRFeature(facilities-kita):"} {
		if !strings.Contains(out, s) {
			t.Errorf("GDAL's reading lacks %q:\n%s", s, out)
		}
	}
}
