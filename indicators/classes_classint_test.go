package indicators

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The reference of the classification methods is R's classInt
// (classIntervals with the styles "fisher", "quantile" and "equal").
// testdata/classint holds real values of the demo atlas (NAME.values,
// written by cmd/sozialatlas's TestClassesDemoMatchClassInt
// -update-classint, which also checks that the service classifies exactly
// them) and the breaks classint.R computed from them (NAME.classint.tsv).
// Where R and classInt are installed (make test installs Debian's
// r-cran-classint) the test runs classint.R again and checks that the
// stored breaks are still R's; elsewhere it uses the stored ones.

const classIntDir = "testdata/classint"

// classIntAvailable tells whether Rscript with classInt can run; under CI
// its absence fails the test, as for the other reference clients.
func classIntAvailable(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("Rscript"); err == nil {
		if err := exec.Command("Rscript", "-e", "suppressPackageStartupMessages(library(classInt))").Run(); err == nil {
			return true
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("R's classInt is not installed (Debian: r-cran-classint); make test installs it")
	}
	t.Log("R's classInt is not installed: comparing with the breaks it computed before")
	return false
}

func TestClassIntReference(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join(classIntDir, "*.values"))
	if err != nil || len(cases) < 3 {
		t.Fatalf("reference values: %v %v", cases, err)
	}
	live := classIntAvailable(t)
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".values")
		t.Run(name, func(t *testing.T) {
			values := readNumbers(t, path)
			slices.Sort(values)
			stored := readReference(t, filepath.Join(classIntDir, name+".classint.tsv"))
			ref := stored
			if live {
				out := filepath.Join(t.TempDir(), name+".tsv")
				cmd := exec.Command("Rscript", filepath.Join(classIntDir, "classint.R"), path, out)
				if b, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("classint.R: %v\n%s", err, b)
				}
				ref = readReference(t, out)
				if len(ref) != len(stored) {
					t.Fatalf("R gives %d classifications, the stored reference %d: rerun classint.R", len(ref), len(stored))
				}
				for i := range ref {
					if ref[i].style != stored[i].style || ref[i].k != stored[i].k || !slices.Equal(ref[i].breaks, stored[i].breaks) {
						t.Errorf("R now gives %v, the stored reference %v: rerun classint.R", ref[i], stored[i])
					}
				}
			}
			worst := 0.0
			for _, r := range ref {
				method := map[string]string{"fisher": methodJenks, "quantile": methodQuantile, "equal": methodEqual}[r.style]
				c, err := classify(method, values, r.k, nil)
				if err != nil {
					t.Fatal(err)
				}
				// classInt repeats the quantiles of tied values, which
				// classify merges
				want := mergeEqualBreaks(slices.Clone(r.breaks))
				if len(c.breaks) != len(want) {
					t.Errorf("%s k=%d: %v, classInt %v", r.style, r.k, c.breaks, want)
					continue
				}
				for i := range want {
					d := relativeDiff(c.breaks[i], want[i])
					worst = max(worst, d)
					if d > 1e-9 {
						t.Errorf("%s k=%d: break %d is %v, classInt %v", r.style, r.k, i, c.breaks[i], want[i])
					}
				}
			}
			t.Logf("%d values, %d classifications, largest relative difference %.3g", len(values), len(ref), worst)
		})
	}
}

// classIntRow is one line of classint.R's output.
type classIntRow struct {
	style  string
	k      int
	breaks []float64
}

func readReference(t *testing.T, path string) []classIntRow {
	t.Helper()
	var rows []classIntRow
	for _, line := range readDataLines(t, path) {
		f := strings.Split(line, "\t")
		k, err := strconv.Atoi(f[1])
		if err != nil || len(f) != k+3 {
			t.Fatalf("%s: %q", path, line)
		}
		r := classIntRow{style: f[0], k: k}
		for _, s := range f[2:] {
			b, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			r.breaks = append(r.breaks, b)
		}
		rows = append(rows, r)
	}
	return rows
}

func readNumbers(t testing.TB, path string) []float64 {
	t.Helper()
	var v []float64
	for _, line := range readDataLines(t, path) {
		x, err := strconv.ParseFloat(line, 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		v = append(v, x)
	}
	return v
}

// readDataLines returns a file's lines but empty ones and comments (#).
func readDataLines(t testing.TB, path string) []string {
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

func relativeDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / max(math.Abs(a), math.Abs(b))
}

// BenchmarkJenksGemeinden: the exact Fisher–Jenks breaks of the demo's
// population densities of all Gemeinden (10,979 published values, whole
// numbers, 1,084 distinct), and of 10,997 distinct values (every
// Gemeinde of VG5000 with a value of its own, the worst case: no ties to
// merge), in 5 and 9 classes. The time includes sorting and merging the
// ties, as a request does.
func BenchmarkJenksGemeinden(b *testing.B) {
	densities := readNumbers(b, filepath.Join(classIntDir, "dichte_gemeinde.values"))
	rnd := rand.New(rand.NewPCG(9, 10))
	distinct := make([]float64, 10997)
	for i := range distinct {
		distinct[i] = math.Exp(rnd.NormFloat64()*1.2+5) + float64(i)*1e-6
	}
	for _, data := range []struct {
		name   string
		values []float64
	}{{"densities", densities}, {"distinct", distinct}} {
		for _, k := range []int{5, 9} {
			b.Run(data.name+"/k="+strconv.Itoa(k), func(b *testing.B) {
				values := make([]float64, len(data.values))
				for b.Loop() {
					copy(values, data.values)
					slices.Sort(values)
					if _, err := classify(methodJenks, values, k, nil); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(values)), "values")
			})
		}
	}
}
