package supply

import (
	"context"
	"math"
	"strings"
	"testing"
)

// bruteNearest looks at every facility; of equal distances it keeps the
// smallest id.
func bruteNearest(fs []Facility, d Demand) (string, float64) {
	id, best := "", math.Inf(1)
	for _, f := range fs {
		dist := math.Sqrt((f.X-d.X)*(f.X-d.X) + (f.Y-d.Y)*(f.Y-d.Y))
		if dist < best || (dist == best && f.ID < id) {
			id, best = f.ID, dist
		}
	}
	return id, best
}

func TestNearestMatchesBruteForce(t *testing.T) {
	tests := []struct {
		name       string
		seed       uint64
		n, m       int
		side       float64
		facilities func([]Facility) []Facility
		demand     func([]Demand) []Demand
	}{
		{name: "dense", seed: 3, n: 2000, m: 500, side: 40000},
		{name: "sparse", seed: 4, n: 5, m: 500, side: 40000},
		{name: "one facility", seed: 5, n: 1, m: 200, side: 40000},
		// Areas far outside the facilities' extent start the ring search
		// outside the grid.
		{name: "areas outside", seed: 6, n: 300, m: 300, side: 10000, demand: func(ds []Demand) []Demand {
			for i := range ds {
				ds[i].X += float64(i%7-3) * 50000
				ds[i].Y -= float64(i%5-2) * 80000
			}
			return ds
		}},
		// All facilities on one line: a degenerate extent.
		{name: "facilities on a line", seed: 8, n: 200, m: 300, side: 20000, facilities: func(fs []Facility) []Facility {
			for j := range fs {
				fs[j].Y = 5800000
			}
			return fs
		}},
		// Every facility duplicated at the same place under another id,
		// in reverse order: ties must go to the smaller id.
		{name: "ties", seed: 9, n: 100, m: 300, side: 20000, facilities: func(fs []Facility) []Facility {
			out := make([]Facility, 0, 2*len(fs))
			for j := len(fs) - 1; j >= 0; j-- {
				twin := fs[j]
				twin.ID = "z" + twin.ID
				out = append(out, twin, fs[j])
			}
			return out
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, ds := randomPoints(tc.seed, tc.n, tc.m, tc.side)
			if tc.facilities != nil {
				fs = tc.facilities(fs)
			}
			if tc.demand != nil {
				ds = tc.demand(ds)
			}
			got, err := Nearest(context.Background(), fs, ds)
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range ds {
				id, dist := bruteNearest(fs, d)
				g := got[i]
				if g.AreaID != d.AreaID || g.FacilityID != id || g.Distance != dist || fs[g.Facility].ID != id {
					t.Errorf("area %s: nearest %s (index %d) at %v m, brute force %s at %v m", d.AreaID, g.FacilityID, g.Facility, g.Distance, id, dist)
				}
			}
		})
	}
}

func TestNearestBadInput(t *testing.T) {
	fs, ds := handCase()
	tests := []struct {
		name string
		fs   []Facility
		ds   []Demand
		want string
	}{
		{"no facilities", nil, ds, "no facilities"},
		{"NaN facility", []Facility{{ID: "F", X: math.NaN()}}, ds, `facility "F": coordinates`},
		{"NaN area", fs, []Demand{{AreaID: "a", Y: math.NaN()}}, `area "a": coordinates`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Nearest(context.Background(), tc.fs, tc.ds)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// Facilities at the same distance in different directions, and so in
// different cells: the smallest id wins, not the first found.
func TestNearestTieAcrossCells(t *testing.T) {
	fs := []Facility{
		{ID: "c", X: 0, Y: 1000},
		{ID: "b", X: 1000, Y: 0},
		{ID: "d", X: 0, Y: -1000},
		{ID: "a", X: -1000, Y: 0},
		{ID: "far", X: 9000, Y: 9000},
	}
	got, err := Nearest(context.Background(), fs, []Demand{{AreaID: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].FacilityID != "a" || got[0].Facility != 3 || got[0].Distance != 1000 {
		t.Errorf("nearest %+v, want a (index 3) at 1000 m", got[0])
	}
}
