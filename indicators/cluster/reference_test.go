package cluster

import (
	"bufio"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The reference of standardisation, Ward's clustering and k-means is R:
// scale(), hclust(dist(z), method = "ward.D2") with cutree, and kmeans
// (Hartigan–Wong, 25 starts). testdata holds real profiles of the demo
// atlas (NAME.tsv, written by cmd/sozialatlas's TestTypesDemoMatchR
// -update-types, which also checks that the service types exactly them)
// and what reference.R computed from them (NAME.R.tsv). Where R is
// installed the test runs reference.R again and checks that the stored
// reference is still R's; elsewhere it uses the stored one.

const refDir = "testdata"

// rAvailable tells whether Rscript can run; under CI its absence fails
// the test, as for the other reference clients.
func rAvailable(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("Rscript"); err == nil {
		if err := exec.Command("Rscript", "-e", "invisible(hclust)").Run(); err == nil {
			return true
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("R is not installed (Debian: r-base-core); make test installs it")
	}
	t.Log("R is not installed: comparing with what it computed before")
	return false
}

func TestReferenceR(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join(refDir, "*.R.tsv"))
	if err != nil || len(cases) < 2 {
		t.Fatalf("references: %v %v", cases, err)
	}
	live := rAvailable(t)
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".R.tsv")
		t.Run(name, func(t *testing.T) {
			input := filepath.Join(refDir, name+".tsv")
			d := readProfiles(t, input)
			stored := readLines(t, path)
			if live {
				out := filepath.Join(t.TempDir(), name+".R.tsv")
				if b, err := exec.Command("Rscript", filepath.Join(refDir, "reference.R"), input, out).CombinedOutput(); err != nil {
					t.Fatalf("reference.R: %v\n%s", err, b)
				}
				if now := readLines(t, out); !slices.Equal(now, stored) {
					t.Fatalf("R now computes something else than %s: rerun reference.R", path)
				}
			}
			ref := parseReference(t, stored)
			z, mean, sd, err := Standardise(d)
			if err != nil {
				t.Fatal(err)
			}
			for j := range mean {
				if relDiff(mean[j], ref["center"][0][j]) > 1e-13 || relDiff(sd[j], ref["scale"][0][j]) > 1e-13 {
					t.Errorf("column %d: mean %v sd %v, R's scale() %v %v", j, mean[j], sd[j], ref["center"][0][j], ref["scale"][0][j])
				}
			}
			merges := Ward(z)
			heights := ref["height"][0]
			if len(merges) != len(heights) {
				t.Fatalf("%d merges, R %d", len(merges), len(heights))
			}
			worst := 0.0
			for i, m := range merges {
				diff := math.Abs(m.Height - heights[i])
				if heights[i] > 1e-3 {
					diff /= heights[i]
				}
				worst = max(worst, diff)
				if diff > 1e-9 {
					t.Errorf("merge %d at %v, R's at %v", i, m.Height, heights[i])
				}
			}
			for _, cut := range ref["cut"] {
				k := int(cut[0])
				group, err := Cut(merges, d.N, k)
				if err != nil {
					t.Fatal(err)
				}
				want := make([]int, len(cut)-1)
				for i, g := range cut[1:] {
					want[i] = int(g)
				}
				if !samePartition(group, want) {
					t.Errorf("k=%d: the partition differs from R's cutree", k)
				}
			}
			for _, km := range ref["kmeans"] {
				k := int(km[0])
				res, err := KMeans(z, KMeansOptions{K: k, Seed: 1, NStart: 25})
				if err != nil {
					t.Fatal(err)
				}
				if !res.Converged || res.TotalWithinSS() > km[1]*(1+1e-9) {
					t.Errorf("k=%d: within-SS %v (converged %v), R's kmeans %v", k, res.TotalWithinSS(), res.Converged, km[1])
				}
				checkFixedPoint(t, z, res.Partition)
				t.Logf("k=%d: k-means within-SS %.9g, R's %.9g", k, res.TotalWithinSS(), km[1])
			}
			t.Logf("%d rows of %d columns; Ward heights within %.3g of R's", d.N, d.P, worst)
		})
	}
}

// readProfiles reads a NAME.tsv: a header, then a code and the values of
// each row.
func readProfiles(t *testing.T, path string) Data {
	t.Helper()
	lines := readLines(t, path)
	d := Data{P: len(strings.Split(lines[0], "\t")) - 1}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) != d.P+1 {
			t.Fatalf("%s: %q", path, l)
		}
		for _, s := range f[1:] {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			d.X = append(d.X, x)
		}
		d.N++
	}
	return d
}

// parseReference groups reference.R's lines by their first field, the
// numbers after it.
func parseReference(t *testing.T, lines []string) map[string][][]float64 {
	t.Helper()
	ref := map[string][][]float64{}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		var v []float64
		for _, s := range f[1:] {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("reference: %v", err)
			}
			v = append(v, x)
		}
		ref[f[0]] = append(ref[f[0]], v)
	}
	for _, k := range []string{"center", "scale", "height", "cut", "kmeans"} {
		if len(ref[k]) == 0 {
			t.Fatalf("reference without %s", k)
		}
	}
	return ref
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
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

func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / max(math.Abs(a), math.Abs(b))
}
