package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sozialatlas/sozialatlas/geo"
)

var updateSpdep = flag.Bool("update-spdep", false,
	"rewrite the inputs of the spdep reference (indicators/testdata/spdep/*.input.tsv) from the demo atlas")

// spdepCases are real indicators of the demo atlas whose spatial
// statistics are compared with R's spdep: the published values and the
// neighbour lists the service uses are stored (NAME.input.tsv), next to
// what spdep.R computed from them (NAME.spdep.tsv per area,
// NAME.global.tsv). That those are spdep's own for the stored inputs is
// checked in indicators/spatial (TestSpdepReference, which runs R where
// it is installed); here, that the stored inputs are the demo's and that
// the service answers spdep's figures.
var spdepCases = []struct {
	name, key, query, weights string
	k                         int
}{
	// population density of the Gemeinden, whole numbers: 10,979 with a
	// value, 18 sea islands without neighbours
	{"dichte_gemeinde_queen", "dichte", "level=gemeinde&period=2022-12-31&datetime=2024-01-01", geo.Queen, 0},
	// the same over the 6 nearest label points
	{"dichte_gemeinde_knn6", "dichte", "level=gemeinde&period=2022-12-31&datetime=2024-01-01", geo.KNearest, 6},
}

type localAnswer struct {
	N            int       `json:"n"`
	I            float64   `json:"I"`
	Expectation  float64   `json:"expectation"`
	Variance     float64   `json:"variance"`
	Z            float64   `json:"z"`
	PNormal      float64   `json:"p_normal"`
	PPermutation float64   `json:"p_permutation"`
	Islands      []areaRef `json:"islands"`
	WithoutValue []areaRef `json:"without_value"`
	Areas        []struct {
		Code     string   `json:"code"`
		Ii       float64  `json:"Ii"`
		EIi      float64  `json:"E_Ii"`
		VarIi    float64  `json:"Var_Ii"`
		ZIi      *float64 `json:"Z_Ii"`
		P        float64  `json:"p"`
		Quadrant string   `json:"quadrant"`
		Cluster  string   `json:"cluster"`
		GiStar   float64  `json:"gi_star"`
	} `json:"areas"`
}

type areaRef struct{ Code, Name string }

// TestSpatialDemoMatchSpdep: /indicators/{key}/local on the demo atlas
// gives spdep's Moran's I, its expectation, variance and z, and per area
// Ii, E(Ii), Var(Ii), Z(Ii), the quadrant and Gi* to 1e-6; the
// permutation p-values, which depend on the random numbers, agree in
// distribution.
func TestSpatialDemoMatchSpdep(t *testing.T) {
	pool := demoDB(t)
	srv := httptest.NewServer(newRouterOn(pool, serveFlags{maxLimit: 20000}, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	areas := geo.NewStore(pool)
	dir := filepath.Join(repoDir(), "indicators", "testdata", "spdep")
	for _, bad := range []struct{ query, param string }{
		{"level=gemeinde&weights=hex", "weights"},
		{"level=gemeinde&k=4", "k"},
		{"level=gemeinde&weights=knn&k=0", "k"},
		{"level=gemeinde&permutations=-1", "permutations"},
		{"level=gemeinde&seed=x", "seed"},
		{"level=gemeinde&alpha=1.5", "alpha"},
		{"level=gemeinde&perod=2022-12-31", "perod"},
		{"weights=queen", "level"},
	} {
		res, err := http.Get(srv.URL + "/indicators/dichte/local?" + bad.query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), bad.param) {
			t.Errorf("%s: %d %s, want 400 naming %s", bad.query, res.StatusCode, body, bad.param)
		}
	}
	for _, c := range spdepCases {
		t.Run(c.name, func(t *testing.T) {
			input := spdepInput(t, srv.URL, areas, c.key, c.query, c.weights, c.k)
			path := filepath.Join(dir, c.name+".input.tsv")
			if *updateSpdep {
				head := fmt.Sprintf("# %s of the demo atlas at %s, weights %s k %d: published value (NA: none) and neighbours\n", c.key, c.query, c.weights, c.k)
				if err := os.WriteFile(path, []byte(head+input), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			stored, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, body, _ := strings.Cut(string(stored), "\n"); body != input {
				t.Fatalf("%s: the demo now has other values or neighbours; rerun with -update-spdep and then spdep.R", path)
			}
			q := c.query + "&weights=" + c.weights + "&permutations=999&seed=1"
			if c.k > 0 {
				q += "&k=" + strconv.Itoa(c.k)
			}
			var got localAnswer
			getJSON(t, srv.URL+"/indicators/"+c.key+"/local?"+q, &got)
			compareSpdep(t, dir, c.name, got)
		})
	}
}

// spdepInput is the reference's input: every area with a geometry by
// code, its published value (NA for none or withheld) and its neighbours
// as 1-based positions; for k nearest neighbours those among the areas
// with a value, as the service finds them.
func spdepInput(t *testing.T, base string, areas *geo.Store, key, query, weights string, k int) string {
	t.Helper()
	d := values(t, base, key, query)
	byCode := map[string]*float64{}
	for _, r := range d.Rows {
		byCode[r.Code] = r.Value
	}
	nb, err := areas.Neighbourhood(context.Background(), "gemeinde", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), weights)
	if err != nil {
		t.Fatal(err)
	}
	lists := nb.Lists
	if weights == geo.KNearest {
		var with []int
		var pts [][2]float64
		for i, a := range nb.Areas {
			if byCode[a.Code] != nil {
				with = append(with, i)
				pts = append(pts, nb.Points[i])
			}
		}
		lists = make([][]int32, len(nb.Areas))
		for m, l := range geo.NearestNeighbours(pts, k) {
			for _, j := range l {
				lists[with[m]] = append(lists[with[m]], int32(with[j]))
			}
		}
	}
	var b strings.Builder
	b.WriteString("code\tvalue\tneighbours\n")
	for i, a := range nb.Areas {
		v := "NA"
		if p := byCode[a.Code]; p != nil {
			v = strconv.FormatFloat(*p, 'f', -1, 64)
		}
		ns := make([]string, len(lists[i]))
		for m, j := range lists[i] {
			ns[m] = strconv.Itoa(int(j) + 1)
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\n", a.Code, v, strings.Join(ns, ","))
	}
	return b.String()
}

func compareSpdep(t *testing.T, dir, name string, got localAnswer) {
	t.Helper()
	global := map[string]string{}
	for _, l := range readLines(t, filepath.Join(dir, name+".global.tsv")) {
		k, v, _ := strings.Cut(l, "\t")
		global[k] = v
	}
	num := func(s string) float64 {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", name, s, err)
		}
		return f
	}
	close := func(what string, a, b float64) {
		t.Helper()
		if math.Abs(a-b) > 1e-6*max(1, math.Abs(b)) {
			t.Errorf("%s: %s is %.12g, spdep %.12g", name, what, a, b)
		}
	}
	if strconv.Itoa(got.N) != global["n"] {
		t.Errorf("n = %d, spdep %s", got.N, global["n"])
	}
	close("I", got.I, num(global["I"]))
	close("E(I)", got.Expectation, num(global["expectation"]))
	close("Var(I)", got.Variance, num(global["variance"]))
	close("z", got.Z, num(global["z"]))
	close("p (normal)", got.PNormal, num(global["p_normal"]))
	codes := func(a []areaRef) string {
		s := make([]string, len(a))
		for i, r := range a {
			s[i] = r.Code
		}
		return strings.Join(s, ",")
	}
	if codes(got.Islands) != global["islands"] || codes(got.WithoutValue) != global["without_value"] {
		t.Errorf("islands %s, without value %s; spdep %s and %s", codes(got.Islands), codes(got.WithoutValue), global["islands"], global["without_value"])
	}
	// moran.mc counts max(k, 1) where the service counts k+1 of 1000
	if pm := num(global["p_mc"]); math.Abs(got.PPermutation-pm) > 0.02 && (got.PPermutation > 0.01 || pm > 0.01) {
		t.Errorf("permutation p %.4f, moran.mc %.4f", got.PPermutation, pm)
	}

	rows := readLines(t, filepath.Join(dir, name+".spdep.tsv"))[1:]
	if len(rows) != len(got.Areas) {
		t.Fatalf("%d areas, spdep %d", len(got.Areas), len(rows))
	}
	sigGo, sigR, agree := 0, 0, 0
	for i, line := range rows {
		f := strings.Split(line, "\t")
		a := got.Areas[i]
		if strings.TrimSpace(f[0]) != a.Code {
			t.Fatalf("area %d is %s, spdep %s", i, a.Code, f[0])
		}
		close(a.Code+" Ii", a.Ii, num(f[1]))
		close(a.Code+" E(Ii)", a.EIi, num(f[2]))
		close(a.Code+" Var(Ii)", a.VarIi, num(f[3]))
		if zs := strings.TrimSpace(f[4]); zs == "NaN" {
			if a.ZIi != nil {
				t.Errorf("%s: Z(Ii) %v, spdep NaN", a.Code, *a.ZIi)
			}
		} else if a.ZIi == nil {
			t.Errorf("%s: Z(Ii) null, spdep %s", a.Code, zs)
		} else {
			close(a.Code+" Z(Ii)", *a.ZIi, num(zs))
		}
		if strings.TrimSpace(f[5]) != a.Quadrant {
			t.Errorf("%s: quadrant %s, spdep %s", a.Code, a.Quadrant, f[5])
		}
		close(a.Code+" Gi*", a.GiStar, num(f[6]))
		pr := num(f[7])
		if a.P < 0.05 {
			sigGo++
		}
		if pr < 0.05 {
			sigR++
		}
		if (a.P < 0.05) == (pr < 0.05) {
			agree++
		}
	}
	// the conditional permutations draw other random numbers: the areas
	// called significant must be nearly the same, and as many
	n := float64(len(rows))
	if float64(agree)/n < 0.97 || math.Abs(float64(sigGo-sigR))/n > 0.01 {
		t.Errorf("p < 0.05 at %d areas, spdep %d; same verdict at %d of %d", sigGo, sigR, agree, len(rows))
	}
	t.Logf("%s: n %d, I %.9f (spdep %s), z %.6f (spdep %s); p < 0.05 at %d areas, spdep %d, same verdict at %d",
		name, got.N, got.I, global["I"], got.Z, global["z"], sigGo, sigR, agree)
}

// TestLISAProperty: KEY_lisa carries the clusters of /indicators/{key}/local
// as a feature property, for maps, filters and sorts alike.
func TestLISAProperty(t *testing.T) {
	pool := demoDB(t)
	srv := httptest.NewServer(newRouterOn(pool, serveFlags{maxLimit: 20000}, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	var local struct {
		Areas []struct{ Code, Cluster string }
	}
	getJSON(t, srv.URL+"/indicators/dichte/local?level=kreis", &local)
	want := map[string]string{}
	hh := 0
	for _, a := range local.Areas {
		want[a.Code] = a.Cluster
		if a.Cluster == "hh" {
			hh++
		}
	}
	var fc struct {
		NumberMatched int
		Features      []struct {
			ID         string
			Properties struct {
				Lisa *string `json:"dichte_lisa"`
			}
		}
	}
	getJSON(t, srv.URL+"/collections/kreis/items?indicators=dichte_lisa&limit=1000", &fc)
	for _, f := range fc.Features {
		got := ""
		if f.Properties.Lisa != nil {
			got = *f.Properties.Lisa
		}
		if got != want[f.ID] {
			t.Errorf("%s: dichte_lisa %q, /local %q", f.ID, got, want[f.ID])
		}
	}
	// the demo's 400 Kreise: 25 hh, 76 ll, 7 hl, 1 lh, 291 not significant
	if len(fc.Features) != 400 || len(local.Areas) != 400 || hh != 25 {
		t.Errorf("%d features, %d areas with a cluster, %d hh", len(fc.Features), len(local.Areas), hh)
	}
	getJSON(t, srv.URL+"/collections/kreis/items?filter=dichte_lisa%3D%27hh%27&limit=1000", &fc)
	if fc.NumberMatched != hh {
		t.Errorf("filter dichte_lisa = 'hh': %d, /local has %d", fc.NumberMatched, hh)
	}

	// The vector tiles carry the same property, as GDAL's MVT driver reads
	// it: the tile over the Ruhr holds 24 of the 25 hh Kreise.
	res, err := http.Get(srv.URL + "/tiles/kreis/6/33/21.mvt?indicators=dichte_lisa")
	if err != nil {
		t.Fatal(err)
	}
	mvt, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("tile: %s %v", res.Status, err)
	}
	path := filepath.Join(t.TempDir(), "21.mvt")
	if err := os.WriteFile(path, mvt, 0o644); err != nil {
		t.Fatal(err)
	}
	out := runTool(t, tool(t, "ogrinfo"), "-q", "-al", path)
	code, seen, tileHH := "", 0, 0
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "code (String) = "); ok {
			code = v
		}
		if v, ok := strings.CutPrefix(line, "dichte_lisa (String) = "); ok {
			seen++
			if v == "hh" {
				tileHH++
			}
			if v != want[code] {
				t.Errorf("tile: %s has dichte_lisa %q, /local %q", code, v, want[code])
			}
		}
	}
	if seen < 50 || tileHH != 24 {
		t.Errorf("tile: %d features with dichte_lisa, %d hh; want at least 50 and 24", seen, tileHH)
	}
}
