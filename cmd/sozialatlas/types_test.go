package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updateTypes = flag.Bool("update-types", false,
	"rewrite the inputs of the R reference of the area types (indicators/cluster/testdata/*.tsv) from the demo atlas")

// typeCases are real indicator profiles of the demo atlas whose typology
// is compared with R (indicators/cluster/testdata: NAME.tsv the published
// values of the areas with all of them, NAME.R.tsv what reference.R
// computed from them: scale()'s means and standard deviations, the heights
// of hclust(dist(z), "ward.D2"), its cutree for k = 2 to 8, and the least
// total within-group sum of squares of kmeans with 25 starts).
var typeCases = []struct{ name, level, keys, query string }{
	// Berlin's 542 Planungsräume, three shares of residents, one
	// decimal; those with withheld counts take no part
	{"planungsraum", "planungsraum", "anteil_65plus,jugendquotient,anteil_auslaender", "period=2022-06-30&datetime=2024-01-01"},
	// the 400 Kreise of 2022: density, share of women, residents
	{"kreis", "kreis", "dichte,anteil_weiblich,einwohner", "period=2022-12-31&datetime=2024-01-01"},
}

// typesAnswer is the part of /areas/{level}/types the tests read.
type typesAnswer struct {
	Method     string `json:"method"`
	K          int    `json:"k"`
	Seed       *uint64
	NStart     int   `json:"nstart"`
	Converged  *bool `json:"converged"`
	Typed      int   `json:"typed"`
	Indicators []struct {
		Key  string  `json:"key"`
		Mean float64 `json:"mean"`
		SD   float64 `json:"sd"`
	} `json:"indicators"`
	TotalSS      float64 `json:"total_ss"`
	WithinSS     float64 `json:"within_ss"`
	BetweenShare float64 `json:"between_ss_share"`
	Types        []struct {
		Type    int    `json:"type"`
		Label   string `json:"label"`
		Size    int    `json:"size"`
		Profile []struct {
			Indicator string  `json:"indicator"`
			Mean      float64 `json:"mean"`
			Z         float64 `json:"z"`
		} `json:"profile"`
	} `json:"types"`
	Areas []struct {
		Code     string  `json:"code"`
		Type     int     `json:"type"`
		Distance float64 `json:"distance"`
	} `json:"areas"`
	Excluded []struct {
		Code    string `json:"code"`
		Without []struct{ Indicator, Reason string }
	} `json:"excluded"`
}

// TestTypesDemoMatchR: /areas/{level}/types with method=ward gives R's
// partition (cutree of hclust ward.D2 on the standardised values, up to
// the numbering of the groups) for k = 2 to 8, standardised by R's
// scale()'s means and deviations; kmeans with 25 starts reaches a total
// within-group sum of squares no larger than R's kmeans (Hartigan–Wong,
// 25 starts). That the stored reference is R's own output for the stored
// values is checked in indicators/cluster (TestReferenceR, which runs R
// where it is installed); here, that the stored values are what the demo
// publishes and that the service types exactly them.
func TestTypesDemoMatchR(t *testing.T) {
	srv, _ := demoServer(t)
	dir := filepath.Join(repoDir(), "indicators", "cluster", "testdata")
	for _, c := range typeCases {
		t.Run(c.name, func(t *testing.T) {
			keys := strings.Split(c.keys, ",")
			// the published values, by code, of the areas with all of them
			var codes []string
			var rows [][]string
			excluded := map[string]bool{}
			for j, key := range keys {
				d := values(t, srv.URL, key, "level="+c.level+"&"+c.query)
				if j == 0 {
					rows = make([][]string, len(d.Rows))
				}
				for i, r := range d.Rows {
					if j == 0 {
						codes = append(codes, r.Code)
					}
					if r.Code != codes[i] {
						t.Fatalf("%s row %d: %s, %s has %s", key, i, r.Code, keys[0], codes[i])
					}
					if r.Value == nil {
						excluded[r.Code] = true
						continue
					}
					rows[i] = append(rows[i], strconv.FormatFloat(*r.Value, 'f', -1, 64))
				}
			}
			lines := []string{"code\t" + strings.Join(keys, "\t")}
			for i, code := range codes {
				if !excluded[code] {
					lines = append(lines, code+"\t"+strings.Join(rows[i], "\t"))
				}
			}
			path := filepath.Join(dir, c.name+".tsv")
			if *updateTypes {
				head := fmt.Sprintf("# %s of the demo atlas's %s at %s: the published values of the areas with all of them, by code\n",
					c.keys, c.level, c.query)
				if err := os.WriteFile(path, []byte(head+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if stored := readLines(t, path); strings.Join(stored, "\n") != strings.Join(lines, "\n") {
				t.Fatalf("%s: the demo now publishes other values (%d areas, stored %d); rerun with -update-types and then reference.R",
					path, len(lines)-1, len(stored)-1)
			}
			typedCodes := codes[:0:0]
			for _, l := range lines[1:] {
				typedCodes = append(typedCodes, strings.SplitN(l, "\t", 2)[0])
			}
			ref := readRReference(t, filepath.Join(dir, c.name+".R.tsv"))
			base := srv.URL + "/areas/" + c.level + "/types?indicators=" + c.keys + "&" + c.query
			for k := 2; k <= 8; k++ {
				var doc typesAnswer
				getJSON(t, base+"&method=ward&k="+strconv.Itoa(k), &doc)
				if doc.Typed != len(typedCodes) || len(doc.Areas) != len(typedCodes) || len(doc.Excluded) != len(excluded) ||
					doc.Typed+len(doc.Excluded) != len(codes) {
					t.Fatalf("k=%d: %d typed, %d excluded; want %d and %d of %d", k, doc.Typed, len(doc.Excluded),
						len(typedCodes), len(excluded), len(codes))
				}
				for j, ind := range doc.Indicators {
					if relDiff(ind.Mean, ref.center[j]) > 1e-12 || relDiff(ind.SD, ref.scale[j]) > 1e-12 {
						t.Errorf("%s: mean %v sd %v, R's scale() %v %v", ind.Key, ind.Mean, ind.SD, ref.center[j], ref.scale[j])
					}
				}
				got := make([]int, len(doc.Areas))
				for i, a := range doc.Areas {
					if a.Code != typedCodes[i] {
						t.Fatalf("k=%d: area %d is %s, want %s", k, i, a.Code, typedCodes[i])
					}
					got[i] = a.Type
				}
				if !samePartition(got, ref.cut[k]) {
					t.Errorf("k=%d: ward partition differs from R's cutree", k)
				}
				checkTypeSizes(t, k, &doc)
			}
			for k := 2; k <= 8; k++ {
				var doc typesAnswer
				getJSON(t, base+"&method=kmeans&nstart=25&k="+strconv.Itoa(k), &doc)
				if doc.WithinSS > ref.kmeans[k]*(1+1e-9) || doc.Converged == nil || !*doc.Converged {
					t.Errorf("k=%d: k-means within-SS %v (converged %v), R's kmeans %v", k, doc.WithinSS, doc.Converged, ref.kmeans[k])
				}
				checkTypeSizes(t, k, &doc)
				t.Logf("k=%d: k-means within-SS %.6f, R %.6f; between share %.4f", k, doc.WithinSS, ref.kmeans[k], doc.BetweenShare)
			}
		})
	}
}

// checkTypeSizes: the types are numbered 1 to k, largest first, their
// sizes are the areas typed so, and the sums of squares add up.
func checkTypeSizes(t *testing.T, k int, doc *typesAnswer) {
	t.Helper()
	count := map[int]int{}
	for _, a := range doc.Areas {
		count[a.Type]++
	}
	if len(doc.Types) != k || doc.K != k {
		t.Fatalf("k=%d: %d types", k, len(doc.Types))
	}
	for i, ty := range doc.Types {
		if ty.Type != i+1 || ty.Label != "Typ "+strconv.Itoa(i+1) || ty.Size != count[ty.Type] ||
			(i > 0 && ty.Size > doc.Types[i-1].Size) {
			t.Errorf("k=%d: type %+v, %d areas typed so", k, ty, count[ty.Type])
		}
	}
	if d := math.Abs(doc.BetweenShare - (1 - doc.WithinSS/doc.TotalSS)); d > 1e-12 {
		t.Errorf("k=%d: between share %v, within %v of %v", k, doc.BetweenShare, doc.WithinSS, doc.TotalSS)
	}
	// the total sum of squares of z-scores is (n − 1) per indicator
	if want := float64((doc.Typed - 1) * len(doc.Indicators)); relDiff(doc.TotalSS, want) > 1e-12 {
		t.Errorf("k=%d: total SS %v, want %v", k, doc.TotalSS, want)
	}
}

// samePartition tells whether a and b group the same rows together,
// whatever their numbers.
func samePartition(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	ab, ba := map[int]int{}, map[int]int{}
	for i := range a {
		if x, ok := ab[a[i]]; ok && x != b[i] {
			return false
		}
		if x, ok := ba[b[i]]; ok && x != a[i] {
			return false
		}
		ab[a[i]], ba[b[i]] = b[i], a[i]
	}
	return true
}

// rReference is reference.R's output.
type rReference struct {
	center, scale, height []float64
	cut                   map[int][]int
	kmeans                map[int]float64
}

func readRReference(t *testing.T, path string) rReference {
	t.Helper()
	ref := rReference{cut: map[int][]int{}, kmeans: map[int]float64{}}
	floats := func(fs []string) []float64 {
		var v []float64
		for _, f := range fs {
			x, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			v = append(v, x)
		}
		return v
	}
	for _, line := range readLines(t, path) {
		f := strings.Split(line, "\t")
		switch f[0] {
		case "center":
			ref.center = floats(f[1:])
		case "scale":
			ref.scale = floats(f[1:])
		case "height":
			ref.height = floats(f[1:])
		case "cut", "kmeans":
			k, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("%s: %q", path, line)
			}
			if f[0] == "kmeans" {
				ref.kmeans[k] = floats(f[2:3])[0]
				continue
			}
			for _, x := range floats(f[2:]) {
				ref.cut[k] = append(ref.cut[k], int(x))
			}
		}
	}
	if len(ref.cut) == 0 || len(ref.kmeans) == 0 || !slices.IsSorted(ref.height) {
		t.Fatalf("%s: incomplete", path)
	}
	return ref
}
