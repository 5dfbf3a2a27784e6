package spatial

import (
	"bufio"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The reference is R's spdep 1.2 (Debian's r-cran-spdep):
// ../testdata/spdep holds real inputs of the demo atlas (NAME.input.tsv,
// written by cmd/sozialatlas's TestSpatialDemoMatchSpdep -update-spdep)
// and what spdep.R computed from them. Where R and spdep are installed
// the test runs spdep.R again and compares with its fresh output; under
// CI their absence fails the test; elsewhere the stored outputs serve.

const spdepDir = "../testdata/spdep"

func spdepAvailable(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("Rscript"); err == nil {
		if exec.Command("Rscript", "-e", "suppressPackageStartupMessages(library(spdep))").Run() == nil {
			return true
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("R's spdep is not installed (Debian: r-cran-spdep); make test installs it")
	}
	t.Log("R's spdep is not installed: comparing with what it computed before")
	return false
}

func TestSpdepReference(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join(spdepDir, "*.input.tsv"))
	if err != nil || len(cases) < 2 {
		t.Fatalf("reference inputs: %v %v", cases, err)
	}
	live := spdepAvailable(t)
	for _, in := range cases {
		name := strings.TrimSuffix(filepath.Base(in), ".input.tsv")
		t.Run(name, func(t *testing.T) {
			local, global := filepath.Join(spdepDir, name+".spdep.tsv"), filepath.Join(spdepDir, name+".global.tsv")
			if live {
				dir := t.TempDir()
				local, global = filepath.Join(dir, "local.tsv"), filepath.Join(dir, "global.tsv")
				if b, err := exec.Command("Rscript", filepath.Join(spdepDir, "spdep.R"), in, local, global).CombinedOutput(); err != nil {
					t.Fatalf("spdep.R: %v\n%s", err, b)
				}
			}
			codes, lists, values := readInput(t, in)
			p, err := Prepare(lists, values)
			if err != nil {
				t.Fatal(err)
			}
			g, err := Moran(p.W, p.X)
			if err != nil {
				t.Fatal(err)
			}
			perm, err := MoranPermutation(p.W, p.X, 999, 1)
			if err != nil {
				t.Fatal(err)
			}
			locals, err := LocalMoran(p.W, p.X, 999, 1)
			if err != nil {
				t.Fatal(err)
			}
			ref := map[string]string{}
			for _, l := range lines(t, global) {
				k, v, _ := strings.Cut(l, "\t")
				ref[k] = v
			}
			worst := 0.0
			near := func(what string, a float64, s string) {
				t.Helper()
				b, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
				if err != nil {
					t.Fatalf("%s: %q", what, s)
				}
				d := math.Abs(a-b) / max(1, math.Abs(b))
				if math.IsNaN(a) && math.IsNaN(b) {
					d = 0
				}
				worst = max(worst, d)
				if !(d <= 1e-6) {
					t.Errorf("%s is %.12g, spdep %s", what, a, s)
				}
			}
			near("n", float64(g.N), ref["n"])
			near("I", g.I, ref["I"])
			near("E(I)", g.Expectation, ref["expectation"])
			near("Var(I)", g.Variance, ref["variance"])
			near("z", g.Z, ref["z"])
			join := func(idx []int) string {
				s := make([]string, len(idx))
				for i, j := range idx {
					s[i] = codes[j]
				}
				return strings.Join(s, ",")
			}
			if join(p.Islands) != ref["islands"] || join(p.WithoutValue) != ref["without_value"] {
				t.Errorf("islands %s, without value %s; spdep %s, %s", join(p.Islands), join(p.WithoutValue), ref["islands"], ref["without_value"])
			}
			if pm, _ := strconv.ParseFloat(ref["p_mc"], 64); math.Abs(perm.P-pm) > 0.02 && (perm.P > 0.01 || pm > 0.01) {
				t.Errorf("permutation p %.4f, moran.mc %.4f", perm.P, pm)
			}
			rows := lines(t, local)[1:]
			if len(rows) != len(locals) {
				t.Fatalf("%d areas, spdep %d", len(locals), len(rows))
			}
			agree := 0
			for k, row := range rows {
				f := strings.Split(row, "\t")
				l, code := locals[k], codes[p.Index[k]]
				if f[0] != code {
					t.Fatalf("area %d is %s, spdep %s", k, code, f[0])
				}
				near(code+" Ii", l.Ii, f[1])
				near(code+" E(Ii)", l.EIi, f[2])
				near(code+" Var(Ii)", l.VarIi, f[3])
				near(code+" Z(Ii)", l.ZIi, f[4])
				if string(l.Quadrant) != f[5] {
					t.Errorf("%s: quadrant %s, spdep %s", code, l.Quadrant, f[5])
				}
				near(code+" Gi*", l.GiStar, f[6])
				if pr, _ := strconv.ParseFloat(f[7], 64); (pr < 0.05) == (l.P < 0.05) {
					agree++
				}
			}
			if float64(agree) < 0.97*float64(len(rows)) {
				t.Errorf("p < 0.05 agrees with localmoran_perm at %d of %d areas", agree, len(rows))
			}
			t.Logf("n %d, I %.9f, z %.6f, permutation p %.4f (moran.mc %s); largest relative difference %.3g; LISA verdict as spdep's at %d of %d areas",
				g.N, g.I, g.Z, perm.P, ref["p_mc"], worst, agree, len(rows))
		})
	}
}

// readInput reads NAME.input.tsv: code, value (NA), 1-based neighbours.
func readInput(t testing.TB, path string) (codes []string, lists [][]int32, values []float64) {
	t.Helper()
	for _, l := range lines(t, path)[1:] {
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			t.Fatalf("%s: %q", path, l)
		}
		v := math.NaN()
		if f[1] != "NA" {
			var err error
			if v, err = strconv.ParseFloat(f[1], 64); err != nil {
				t.Fatal(err)
			}
		}
		var nb []int32
		if f[2] != "" {
			for _, s := range strings.Split(f[2], ",") {
				j, err := strconv.Atoi(s)
				if err != nil {
					t.Fatal(err)
				}
				nb = append(nb, int32(j-1))
			}
		}
		codes, values, lists = append(codes, f[0]), append(values, v), append(lists, nb)
	}
	return codes, lists, values
}

// lines are a file's lines but empty ones and comments.
func lines(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
