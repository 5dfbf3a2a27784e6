package geo_test

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
)

// TestNeighbourhoodGemeinden: the contiguity of VG5000's 10,997
// Gemeinden. That queen contiguity is spdep's poly2nb(queen = TRUE) on
// the same boundaries is checked in cmd/sozialatlas (the spatial
// statistics reference); here: the counts, symmetry, rook within queen,
// the islands (the North and Baltic Sea islands without a bridge), and an
// area without geometry listed as excluded.
func TestNeighbourhoodGemeinden(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	importUpperLevels(t, s)
	mustImport(t, s, geo.AreaImport{Path: vg5000(t, "GEM"), Level: "gemeinde", CodeField: "ARS", NameField: "GEN",
		Where: map[string]string{"GF": "9"}, Parent: geo.ParentRule{Prefix: 5}})
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO area (level, code, name) VALUES ('gemeinde', '999999999999', 'Ohne Grenzen')`); err != nil {
		t.Fatal(err)
	}
	on := *day("2021-01-01")
	lists := map[string][][]int32{}
	for _, c := range []struct {
		rule           string
		links, islands int
	}{
		{geo.Queen, 67374, 18},
		{geo.Rook, 61986, 18},
	} {
		start := time.Now()
		nb, err := s.Neighbourhood(ctx, "gemeinde", on, c.rule)
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		if len(nb.Areas) != 10997 || len(nb.Lists) != 10997 {
			t.Fatalf("%s: %d areas, %d lists, want 10997", c.rule, len(nb.Areas), len(nb.Lists))
		}
		if len(nb.Excluded) != 1 || nb.Excluded[0].Code != "999999999999" || nb.Excluded[0].Reason != geo.ReasonNoGeometry {
			t.Errorf("%s: excluded %+v, want 999999999999 without geometry", c.rule, nb.Excluded)
		}
		if !slices.IsSortedFunc(nb.Areas, func(a, b geo.NeighbourArea) int { return cmp.Compare(a.Code, b.Code) }) {
			t.Errorf("%s: areas not ordered by code", c.rule)
		}
		links := 0
		var islands []string
		for i, l := range nb.Lists {
			links += len(l)
			if len(l) == 0 {
				islands = append(islands, nb.Areas[i].Code)
			}
			if !slices.IsSorted(l) || slices.Contains(l, int32(i)) {
				t.Errorf("%s: list of %s %v unsorted or with itself", c.rule, nb.Areas[i].Code, l)
			}
			for _, j := range l {
				if _, ok := slices.BinarySearch(nb.Lists[j], int32(i)); !ok {
					t.Errorf("%s: %s lists %s but not the reverse", c.rule, nb.Areas[i].Code, nb.Areas[j].Code)
				}
			}
		}
		if links != c.links || len(islands) != c.islands {
			t.Errorf("%s: %d links, %d islands, want %d and %d", c.rule, links, len(islands), c.links, c.islands)
		}
		t.Logf("%s: %d areas, %d links, islands %v, %v", c.rule, len(nb.Areas), links, islands, took)
		lists[c.rule] = nb.Lists
	}
	for i, l := range lists[geo.Rook] {
		for _, j := range l {
			if _, ok := slices.BinarySearch(lists[geo.Queen][i], j); !ok {
				t.Fatalf("rook neighbours %d, %d are not queen neighbours", i, j)
			}
		}
	}

	nb, err := s.Neighbourhood(ctx, "gemeinde", on, geo.KNearest)
	if err != nil {
		t.Fatal(err)
	}
	if len(nb.Points) != 10997 || len(nb.Excluded) != 1 {
		t.Fatalf("knn: %d points, %d excluded", len(nb.Points), len(nb.Excluded))
	}
	for _, k := range []int{1, 6} {
		got := geo.NearestNeighbours(nb.Points, k)
		want := bruteNearest(nb.Points, k, 97)
		for i := 0; i < len(want); i += 97 {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("k=%d: neighbours of %s %v, by brute force %v", k, nb.Areas[i].Code, got[i], want[i])
			}
		}
	}
	// EPSG:25832 is metres: Germany spans about 280 to 920 km east
	for _, p := range nb.Points {
		if p[0] < 250e3 || p[0] > 950e3 || p[1] < 5.2e6 || p[1] > 6.11e6 {
			t.Fatalf("label point %v outside Germany in EPSG:25832", p)
		}
	}
}

// TestNearestNeighboursTies: equal distances go to the lower index;
// fewer points than k+1 give every point all others.
func TestNearestNeighboursTies(t *testing.T) {
	square := [][2]float64{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {0.5, 0.5}}
	for _, c := range []struct {
		k    int
		want [][]int32
	}{
		{1, [][]int32{{4}, {4}, {4}, {4}, {0}}},
		{2, [][]int32{{1, 4}, {0, 4}, {0, 4}, {1, 4}, {0, 1}}},
		{9, [][]int32{{1, 2, 3, 4}, {0, 2, 3, 4}, {0, 1, 3, 4}, {0, 1, 2, 4}, {0, 1, 2, 3}}},
	} {
		got := geo.NearestNeighbours(square, c.k)
		for i := range c.want {
			if !slices.Equal(got[i], c.want[i]) {
				t.Errorf("k=%d: point %d has %v, want %v", c.k, i, got[i], c.want[i])
			}
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	pts := make([][2]float64, 2000)
	for i := range pts {
		// on a coarse grid: many equal distances
		pts[i] = [2]float64{float64(rnd.IntN(40)), float64(rnd.IntN(40))}
	}
	for _, k := range []int{1, 4, 8} {
		got, want := geo.NearestNeighbours(pts, k), bruteNearest(pts, k, 1)
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("k=%d: point %d has %v, by brute force %v", k, i, got[i], want[i])
			}
		}
	}
}

// bruteNearest sorts all others by distance for every step-th point.
func bruteNearest(pts [][2]float64, k, step int) [][]int32 {
	out := make([][]int32, len(pts))
	for i := 0; i < len(pts); i += step {
		p := pts[i]
		idx := make([]int32, 0, len(pts)-1)
		for j := range pts {
			if j != i {
				idx = append(idx, int32(j))
			}
		}
		d := func(j int32) float64 {
			dx, dy := pts[j][0]-p[0], pts[j][1]-p[1]
			return dx*dx + dy*dy
		}
		slices.SortFunc(idx, func(a, b int32) int { return cmp.Or(cmp.Compare(d(a), d(b)), cmp.Compare(a, b)) })
		l := slices.Clone(idx[:min(k, len(idx))])
		slices.Sort(l)
		out[i] = l
	}
	return out
}
