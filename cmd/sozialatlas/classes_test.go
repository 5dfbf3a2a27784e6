package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updateClassInt = flag.Bool("update-classint", false,
	"rewrite the inputs of the classInt reference (indicators/testdata/classint/*.values) from the demo atlas")

// classIntCases are real indicators of the demo atlas whose class breaks
// are compared with R's classInt: the values published for a level are
// stored next to the breaks R computed from them
// (indicators/testdata/classint: NAME.values, NAME.classint.tsv, and
// classint.R that made the latter). Period and boundaries are fixed, so
// the cases do not move with today's date.
var classIntCases = []struct{ name, key, query string }{
	// 10,979 Gemeinden with a density (of 11,023 today), whole numbers:
	// many ties among 1,084 distinct values
	{"dichte_gemeinde", "dichte", "level=gemeinde&period=2022-12-31&datetime=2024-01-01"},
	// Berlin's Planungsräume, one decimal
	{"anteil_65plus_planungsraum", "anteil_65plus", "level=planungsraum&period=2022-06-30&datetime=2024-01-01"},
	// the share of women in every Gemeinde, one decimal: 10,979 values
	// on a few hundred distinct ones, almost all tied
	{"anteil_weiblich_gemeinde", "anteil_weiblich", "level=gemeinde&period=2022-12-31&datetime=2024-01-01"},
	// residents of the Kreise in 2018, a count
	{"einwohner_kreis", "einwohner", "level=kreis&period=2018-12-31&datetime=2024-01-01"},
}

// TestClassesDemoMatchClassInt: /indicators/{key}/classes on the demo
// atlas gives R's classInt breaks ("fisher" for jenks, "quantile",
// "equal") to 1e-9 relative, for k = 2 to 9. That the stored breaks are
// R's own for the stored values is checked in the indicators package
// (TestClassIntReference, which runs R where it is installed); here, that
// the stored values are the demo's published ones and that the service
// classifies exactly them.
func TestClassesDemoMatchClassInt(t *testing.T) {
	srv, _ := demoServer(t)
	dir := filepath.Join(repoDir(), "indicators", "testdata", "classint")
	for _, c := range classIntCases {
		t.Run(c.name, func(t *testing.T) {
			d := values(t, srv.URL, c.key, c.query)
			var published []string
			withheld := 0
			for _, r := range d.Rows {
				switch {
				case r.Value != nil:
					published = append(published, strconv.FormatFloat(*r.Value, 'f', -1, 64))
				case r.Status == "suppressed":
					withheld++
				}
			}
			path := filepath.Join(dir, c.name+".values")
			if *updateClassInt {
				head := fmt.Sprintf("# %s of the demo atlas at %s: the published value of each area, by code\n", c.key, c.query)
				if err := os.WriteFile(path, []byte(head+strings.Join(published, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			stored := readLines(t, path)
			if strings.Join(stored, "\n") != strings.Join(published, "\n") {
				t.Fatalf("%s: the demo now publishes other values (%d, stored %d); rerun with -update-classint and then classint.R",
					path, len(published), len(stored))
			}
			ref := readLines(t, filepath.Join(dir, c.name+".classint.tsv"))
			if len(ref) == 0 {
				t.Fatal("no reference breaks")
			}
			worst := 0.0
			for _, line := range ref {
				f := strings.Split(line, "\t")
				style, k, want := f[0], f[1], mergeTies(t, f[2:])
				method := map[string]string{"fisher": "jenks", "quantile": "quantile", "equal": "equal"}[style]
				var doc struct {
					K       int       `json:"k"`
					Breaks  []float64 `json:"breaks"`
					Classes []struct {
						Count int `json:"count"`
					} `json:"classes"`
					Suppressed, Missing struct{ Count int }
				}
				getJSON(t, srv.URL+"/indicators/"+c.key+"/classes?"+c.query+"&method="+method+"&k="+k, &doc)
				if len(doc.Breaks) != len(want) {
					t.Errorf("%s k=%s: breaks %v, classInt %v", style, k, doc.Breaks, want)
					continue
				}
				for i := range want {
					diff := relDiff(doc.Breaks[i], want[i])
					worst = max(worst, diff)
					if diff > 1e-9 {
						t.Errorf("%s k=%s: break %d is %v, classInt %v", style, k, i, doc.Breaks[i], want[i])
					}
				}
				n := doc.Suppressed.Count + doc.Missing.Count
				for _, cl := range doc.Classes {
					n += cl.Count
				}
				if n != len(d.Rows) || doc.Suppressed.Count != withheld {
					t.Errorf("%s k=%s: classes, withheld and missing count %d areas (withheld %d), the level has %d (withheld %d)",
						style, k, n, doc.Suppressed.Count, len(d.Rows), withheld)
				}
			}
			t.Logf("%d values, %d classifications, largest relative difference to classInt %.3g", len(published), len(ref), worst)
		})
	}
}

// readLines returns the lines of a file without comments.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// mergeTies parses classInt's breaks and merges equal neighbours, as the
// service does: classInt's quantiles of tied values repeat a break.
func mergeTies(t *testing.T, fields []string) []float64 {
	t.Helper()
	var b []float64
	for _, f := range fields {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 || v > b[len(b)-1] {
			b = append(b, v)
		}
	}
	return b
}

func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / max(math.Abs(a), math.Abs(b))
}

// TestClassesDemoWithheld: the demo withholds the male residents of two
// small Gemeinden; the classes count only published values, and the
// withheld ones apart.
func TestClassesDemoWithheld(t *testing.T) {
	srv, _ := demoServer(t)
	const query = "level=gemeinde&period=2022-12-31&datetime=2024-01-01"
	d := values(t, srv.URL, "einwohner_maennlich", query)
	withheld, published := 0, 0
	for _, r := range d.Rows {
		switch {
		case r.Status == "suppressed":
			withheld++
		case r.Value != nil:
			published++
		}
	}
	if withheld == 0 {
		t.Fatal("no withheld count among the Gemeinden: the test needs one")
	}
	var doc struct {
		Classes []struct {
			Count int `json:"count"`
		} `json:"classes"`
		Suppressed, Missing struct{ Count int }
	}
	getJSON(t, srv.URL+"/indicators/einwohner_maennlich/classes?"+query+"&method=jenks", &doc)
	n := 0
	for _, c := range doc.Classes {
		n += c.Count
	}
	if n != published || doc.Suppressed.Count != withheld || n+doc.Suppressed.Count+doc.Missing.Count != len(d.Rows) {
		t.Errorf("classes hold %d, withheld %d, missing %d; want %d published, %d withheld of %d areas",
			n, doc.Suppressed.Count, doc.Missing.Count, published, withheld, len(d.Rows))
	}
	res, err := http.Get(srv.URL + "/indicators/einwohner_maennlich/classes?level=gemeinde&method=kmeans")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("method=kmeans: %s", res.Status)
	}
}

// TestClassesMapLibre: MapLibre's own expression evaluator (its
// style-spec package, pinned with maplibre-gl in testdata/browser) colours
// the areas, given the properties the vector tiles carry, exactly as the
// answer counts them: each class's colour as many times as its count, the
// withheld and the missing colours as often as those.
func TestClassesMapLibre(t *testing.T) {
	node := tool(t, "node")
	if _, err := os.Stat(filepath.Join(browserDir, "node_modules/@maplibre/maplibre-gl-style-spec/package.json")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("MapLibre's style-spec is missing; make test runs npm ci in %s", browserDir)
		}
		t.Skipf("MapLibre's style-spec is missing (npm ci --prefix %s)", browserDir)
	}
	srv, _ := demoServer(t)
	for _, c := range []struct{ key, query, method string }{
		{"dichte", "level=gemeinde&period=2022-12-31&datetime=2024-01-01", "method=jenks&k=9"},
		{"einwohner_maennlich", "level=gemeinde&period=2022-12-31&datetime=2024-01-01", "method=stddev&k=7"},
		{"anteil_65plus", "level=planungsraum&period=2022-06-30", "method=quantile&k=4"},
		{"anteil_weiblich", "level=gemeinde&period=2022-12-31", "method=manual&breaks=49,50,51"},
	} {
		var doc struct {
			Property string `json:"property"`
			Classes  []struct {
				Count  int    `json:"count"`
				Colour string `json:"colour"`
			} `json:"classes"`
			Suppressed, Missing struct {
				Count  int
				Colour string
			}
			MapLibre json.RawMessage `json:"maplibre"`
		}
		getJSON(t, srv.URL+"/indicators/"+c.key+"/classes?"+c.query+"&"+c.method, &doc)
		d := values(t, srv.URL, c.key, c.query)
		// the properties of each area in the tiles: the value where it is
		// published, the status where there is a cell
		var features []map[string]any
		for _, r := range d.Rows {
			p := map[string]any{}
			if r.Value != nil {
				p[doc.Property] = *r.Value
			}
			if r.Status != "" {
				p[doc.Property+"_status"] = r.Status
			}
			if r.Suppressed != nil {
				p[doc.Property+"_suppressed"] = *r.Suppressed
			}
			features = append(features, p)
		}
		var colours []string
		want := map[int]int{}
		for i, cl := range doc.Classes {
			colours = append(colours, cl.Colour)
			want[i] = cl.Count
		}
		colours = append(colours, doc.Suppressed.Colour, doc.Missing.Colour)
		want[len(doc.Classes)], want[len(doc.Classes)+1] = doc.Suppressed.Count, doc.Missing.Count
		in, err := json.Marshal(map[string]any{"expression": doc.MapLibre, "features": features, "colours": colours})
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(node, "classes.mjs")
		cmd.Dir = browserDir
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s\nexpression %s", c.key, err, stderr.String(), doc.MapLibre)
		}
		var res struct{ Out, Named []string }
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatal(err)
		}
		got := map[int]int{}
		for i, colour := range res.Out {
			j := slices.Index(res.Named, colour)
			if j < 0 {
				t.Fatalf("%s: area %s coloured %s, which is none of the answer's %v", c.key, d.Rows[i].Code, colour, colours)
			}
			got[j]++
		}
		for j := range colours {
			if got[j] != want[j] {
				t.Errorf("%s %s: MapLibre colours %d areas %s, the answer counts %d", c.key, c.method, got[j], colours[j], want[j])
			}
		}
		t.Logf("%s %s: %d areas, %d classes, colours as counted", c.key, c.method, len(features), len(doc.Classes))
	}
}
