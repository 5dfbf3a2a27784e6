package main

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// sqlDenseSaalfeld is the planner's question written by hand: the
// Gemeinden of the Kreis Saalfeld-Rudolstadt valid today whose published
// population density (latest period at the level, rounded as shown, not
// withheld) is above 150.
const sqlDenseSaalfeld = `
WITH p AS (SELECT max(period) AS period FROM cell_extent WHERE indicator = 'dichte' AND level = 'gemeinde')
SELECT a.code
FROM area a
JOIN published_cell c ON c.area_id = a.id AND c.indicator = 'dichte'
JOIN p ON c.period = p.period
JOIN indicator i ON i.key = c.indicator
WHERE a.level = 'gemeinde' AND a.parent_code = '16073'
	AND (a.valid_from IS NULL OR a.valid_from <= current_date) AND (a.valid_to IS NULL OR a.valid_to >= current_date)
	AND c.suppressed IS NULL AND round(c.value::numeric, i.decimals) > 150
ORDER BY a.code`

// TestFilterReachesTheServer: ogrinfo -where and a CQL2 filter over HTTP
// return exactly the Gemeinden the hand-written query returns, and GDAL
// sent its -where to the server as a filter rather than filtering the
// whole collection itself.
func TestFilterReachesTheServer(t *testing.T) {
	ogrinfo := tool(t, "ogrinfo")
	srv, logs := demoServer(t)
	rows, err := demoDB(t).Query(context.Background(), sqlDenseSaalfeld)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 2 {
		t.Fatalf("hand-written query: %v; the test needs a few Gemeinden", want)
	}

	var fc featureCollection
	q := url.Values{"filter": {"dichte > 150 AND parent = '16073'"}, "indicators": {"dichte"}}
	getJSON(t, srv.URL+"/collections/gemeinde/items?"+q.Encode(), &fc)
	var got []string
	for _, f := range fc.Features {
		got = append(got, f.ID)
	}
	if !slices.Equal(got, want) || fc.NumberMatched != len(want) {
		t.Errorf("HTTP filter: %v (numberMatched %d), hand-written SQL: %v", got, fc.NumberMatched, want)
	}

	out := runTool(t, ogrinfo, "-ro", "-q", "-al", "-where", "dichte > 150 AND parent = '16073'",
		"OAPIF:"+srv.URL+"/collections/gemeinde?indicators=dichte")
	got = nil
	for _, m := range regexp.MustCompile(`(?m)^\s+code \(String\) = (\S+)$`).FindAllStringSubmatch(out, -1) {
		got = append(got, m[1])
	}
	if !slices.Equal(got, want) {
		t.Errorf("ogrinfo -where: %v, hand-written SQL: %v\n%s", got, want, out)
	}
	sent := false
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"path":"/collections/gemeinde/items"`) && strings.Contains(line, "filter-lang=cql-text") &&
			strings.Contains(line, "parent") && strings.Contains(line, "dichte") {
			sent = true
		}
	}
	if !sent {
		t.Errorf("the server's log shows no filter from GDAL:\n%s", logs.String())
	}
}

// TestSpatialFilter: S_INTERSECTS with a point finds the Gemeinde there,
// and with a box the Gemeinden the bbox parameter finds.
func TestSpatialFilter(t *testing.T) {
	srv, _ := demoServer(t)
	var fc featureCollection
	q := url.Values{"filter": {"S_INTERSECTS(geometry, POINT(11.5863 50.9272))"}}
	getJSON(t, srv.URL+"/collections/gemeinde/items?"+q.Encode(), &fc)
	if fc.NumberMatched != 1 || len(fc.Features) != 1 || fc.Features[0].ID != jena {
		t.Errorf("point at Jena's market square: %d features, want Jena %s", fc.NumberMatched, jena)
	}
	var byFilter, byBBox featureCollection
	q = url.Values{"filter": {"S_INTERSECTS(geometry, BBOX(" + saalfeldBBox + "))"}, "limit": {"1000"}}
	getJSON(t, srv.URL+"/collections/gemeinde/items?"+q.Encode(), &byFilter)
	getJSON(t, srv.URL+"/collections/gemeinde/items?limit=1000&bbox="+saalfeldBBox, &byBBox)
	if byFilter.NumberMatched != byBBox.NumberMatched || byFilter.NumberMatched < 20 {
		t.Errorf("BBOX filter %d Gemeinden, bbox parameter %d", byFilter.NumberMatched, byBBox.NumberMatched)
	}
}
