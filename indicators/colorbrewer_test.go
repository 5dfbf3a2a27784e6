package indicators

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestColorBrewerReference: every scheme of the table has, for 3 to 9
// classes, exactly the colours R's RColorBrewer gives (brewer.pal). Where
// R and RColorBrewer are installed (make test installs Debian's
// r-cran-rcolorbrewer) the test asks R again and checks that the stored
// list testdata/colorbrewer/brewer_pal.tsv is still R's; elsewhere it uses
// the stored list.
func TestColorBrewerReference(t *testing.T) {
	const dir = "testdata/colorbrewer"
	stored := readDataLines(t, filepath.Join(dir, "brewer_pal.tsv"))
	ref := stored
	live := false
	if _, err := exec.LookPath("Rscript"); err == nil {
		live = exec.Command("Rscript", "-e", "suppressPackageStartupMessages(library(RColorBrewer))").Run() == nil
	}
	switch {
	case live:
		out := filepath.Join(t.TempDir(), "brewer_pal.tsv")
		if b, err := exec.Command("Rscript", filepath.Join(dir, "brewer_pal.R"), out).CombinedOutput(); err != nil {
			t.Fatalf("brewer_pal.R: %v\n%s", err, b)
		}
		ref = readDataLines(t, out)
		if !slices.Equal(ref, stored) {
			t.Errorf("RColorBrewer now gives other colours than %s/brewer_pal.tsv: rerun brewer_pal.R", dir)
		}
	case os.Getenv("CI") != "":
		t.Fatal("R's RColorBrewer is not installed (Debian: r-cran-rcolorbrewer); make test installs it")
	default:
		t.Log("R's RColorBrewer is not installed: comparing with the colours it gave before")
	}
	want := map[string][]string{}
	for _, line := range ref {
		f := strings.Split(line, "\t")
		want[f[0]+"/"+f[1]] = f[2:]
	}
	for _, s := range brewerSchemes {
		for n := 3; n <= 9; n++ {
			key := s.name + "/" + strconv.Itoa(n)
			if got := s.colours[n-3]; !slices.Equal(got, want[key]) {
				t.Errorf("%s: %v, RColorBrewer %v", key, got, want[key])
			}
		}
	}
	if len(brewerSchemes) < 18 {
		t.Errorf("%d schemes", len(brewerSchemes))
	}
}
