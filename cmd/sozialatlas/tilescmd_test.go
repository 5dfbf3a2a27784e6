package main

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// jena is the Gemeinde in tile 8/136/85 (eastern Thuringia) that the
// tests look for.
const jena = "160530000000"

// jenaEinwohner is Jena's published population as /indicators/…/values
// gives it.
func jenaEinwohner(t *testing.T, root string) string {
	t.Helper()
	var vals struct {
		Rows []struct {
			Code  string `json:"code"`
			Value any    `json:"value"`
		} `json:"rows"`
	}
	getJSON(t, root+"/indicators/einwohner/values?level=gemeinde", &vals)
	for _, r := range vals.Rows {
		if r.Code == jena {
			if v, ok := r.Value.(float64); ok {
				return strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
	}
	t.Fatalf("no einwohner of Jena in /indicators/einwohner/values")
	return ""
}

// TestGDALReadsTiles decodes a live tile of the demo atlas with GDAL's MVT
// driver: layer gemeinde with Jena and the population the API publishes.
func TestGDALReadsTiles(t *testing.T) {
	ogrinfo := tool(t, "ogrinfo")
	srv, _ := demoServer(t)
	want := jenaEinwohner(t, srv.URL)

	url := srv.URL + "/tiles/gemeinde/8/136/85.mvt?indicators=einwohner"
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, res.Status, body)
	}
	out := runTool(t, ogrinfo, "-ro", "-al", "-geom=SUMMARY", "-where", "code = '"+jena+"'", "MVT:"+url)
	if !strings.Contains(out, "Layer name: gemeinde\n") {
		t.Fatalf("ogrinfo MVT: no layer gemeinde:\n%s", out)
	}
	for _, re := range []string{
		`code \(String\) = ` + jena,
		`name \(String\) = Jena`,
		`einwohner \(Integer\) = ` + regexp.QuoteMeta(want) + `\n`,
		`einwohner_status \(String\) = measured`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("ogrinfo MVT: no match for %s in\n%s", re, out)
		}
	}
}

// TestCollectionLinksTiles: every collection leads to its vector tilesets
// (OGC API – Tiles) and its TileJSON.
func TestCollectionLinksTiles(t *testing.T) {
	srv, _ := demoServer(t)
	var coll struct {
		Links []struct{ Href, Rel, Type string } `json:"links"`
	}
	getJSON(t, srv.URL+"/collections/gemeinde", &coll)
	want := map[string]string{
		"http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector": srv.URL + "/collections/gemeinde/tiles",
		"describedby": srv.URL + "/tiles/gemeinde.json",
	}
	for _, l := range coll.Links {
		if w, ok := want[l.Rel]; ok && l.Href == w && l.Type == "application/json" {
			delete(want, l.Rel)
		}
	}
	if len(want) > 0 {
		t.Errorf("collection gemeinde lacks links %v; has %+v", want, coll.Links)
	}
}
