package indicators

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/indicators/spatial"
)

// SpatialQuery selects what the spatial statistics run on: the values
// of an indicator at the areas of a level valid on Day, in Period (the
// latest with values when nil), with neighbours by Weights (geo.Queen,
// geo.Rook or geo.KNearest with K).
type SpatialQuery struct {
	Level        string
	Period       *time.Time
	Day          time.Time
	Weights      string
	K            int
	Permutations int
	Seed         uint64
}

// AreaRef names an area version.
type AreaRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// SpatialArea is one area the statistics ran on.
type SpatialArea struct {
	AreaRef
	Value float64
	spatial.Local
}

// SpatialResult are the statistics of one indicator over one level.
type SpatialResult struct {
	Period time.Time
	Global spatial.Global
	// Permutation is the permutation test (Permutations 0: none ran).
	Permutation spatial.Permutation
	// Areas have a value and a neighbour with a value, by code.
	Areas []SpatialArea
	// Links is the number of neighbour links among Areas (each pair
	// of contiguous areas twice).
	Links int
	// Islands have a value but no neighbour with one; WithoutValue have
	// no published value (none, or withheld); NoGeometry cannot have
	// neighbours.
	Islands, WithoutValue, NoGeometry []AreaRef
}

// ErrNoValues: the indicator has no values at the level on that day's
// boundaries (in that period).
var ErrNoValues = errors.New("no values")

// Autocorrelation computes global Moran's I of the indicator's published
// values over the level, with Permutations shuffles for its pseudo
// p-value, and when local is true local Moran, its conditional
// permutations and Gi* for every area. Withheld values count as missing.
func (s *Store) Autocorrelation(ctx context.Context, ind Indicator, q SpatialQuery, local bool) (SpatialResult, error) {
	var res SpatialResult
	o := &outputs{store: s}
	table := &valueRows{}
	p, found, err := o.levelCells(ctx, ind, q.Level, q.Period, q.Day, false, table)
	if err != nil {
		return res, fmt.Errorf("spatial statistics of %s: %w", ind.Key, err)
	}
	if !found {
		return res, fmt.Errorf("spatial statistics of %s at %s: %w", ind.Key, q.Level, ErrNoValues)
	}
	res.Period = p
	byID := make(map[int64]float64, len(table.recs))
	for i := range table.recs {
		r := &table.recs[i]
		v := math.NaN()
		if shown := table.span(r.shown[0]); shown != nil {
			// the published figure, rounded as every output shows it
			if v, err = strconv.ParseFloat(string(shown), 64); err != nil {
				return res, fmt.Errorf("published value %q: %w", shown, err)
			}
		}
		byID[r.id] = v
	}

	nb, err := s.spatial.neighbourhood(ctx, s, q.Level, q.Day, q.Weights)
	if err != nil {
		return res, fmt.Errorf("spatial statistics of %s: %w", ind.Key, err)
	}
	for _, a := range nb.Excluded {
		res.NoGeometry = append(res.NoGeometry, AreaRef{Code: a.Code, Name: a.Name})
	}
	values := make([]float64, len(nb.Areas))
	for i, a := range nb.Areas {
		v, ok := byID[a.ID]
		if !ok {
			v = math.NaN()
		}
		values[i] = v
	}
	lists := nb.Lists
	if q.Weights == geo.KNearest {
		// the k nearest among the areas with a value: every area then
		// has k neighbours, none is an island
		var with []int
		var pts [][2]float64
		for i, v := range values {
			if !math.IsNaN(v) {
				with = append(with, i)
				pts = append(pts, nb.Points[i])
			}
		}
		lists = make([][]int32, len(values))
		for k, l := range geo.NearestNeighbours(pts, q.K) {
			full := make([]int32, len(l))
			for m, j := range l {
				full[m] = int32(with[j])
			}
			lists[with[k]] = full
		}
	}
	prep, err := spatial.Prepare(lists, values)
	if err != nil {
		return res, fmt.Errorf("spatial statistics of %s: %w", ind.Key, err)
	}
	ref := func(i int) AreaRef { return AreaRef{Code: nb.Areas[i].Code, Name: nb.Areas[i].Name} }
	for _, i := range prep.Islands {
		res.Islands = append(res.Islands, ref(i))
	}
	for _, i := range prep.WithoutValue {
		res.WithoutValue = append(res.WithoutValue, ref(i))
	}
	res.Links = prep.W.Links()
	if res.Global, err = spatial.Moran(prep.W, prep.X); err != nil {
		return res, fmt.Errorf("spatial statistics of %s: %w", ind.Key, err)
	}
	if q.Permutations > 0 {
		if res.Permutation, err = spatial.MoranPermutation(prep.W, prep.X, q.Permutations, q.Seed); err != nil {
			return res, fmt.Errorf("spatial statistics of %s: %w", ind.Key, err)
		}
	}
	if !local {
		return res, nil
	}
	locals, err := spatial.LocalMoran(prep.W, prep.X, q.Permutations, q.Seed)
	if err != nil {
		return res, fmt.Errorf("spatial statistics of %s: %w", ind.Key, err)
	}
	res.Areas = make([]SpatialArea, len(locals))
	for k, l := range locals {
		res.Areas[k] = SpatialArea{AreaRef: ref(prep.Index[k]), Value: prep.X[k], Local: l}
	}
	return res, nil
}

// LocalCluster is what a map shows of an area's local statistics.
type LocalCluster struct {
	// Cluster is the quadrant (hh, ll, hl, lh) where the pseudo p-value
	// is below alpha, else "ns".
	Cluster string
	Ii, P   float64
	GiStar  float64
}

// ClusterNotSignificant is the cluster of an area whose pseudo p-value
// is not below alpha.
const ClusterNotSignificant = "ns"

// LocalClusters are the local statistics of the indicator over the level
// by area code, for the properties of map features. Areas left out
// (islands, without value or geometry) are absent.
func (s *Store) LocalClusters(ctx context.Context, ind Indicator, q SpatialQuery, alpha float64) (map[string]LocalCluster, error) {
	res, err := s.Autocorrelation(ctx, ind, q, true)
	if err != nil {
		return nil, err
	}
	out := make(map[string]LocalCluster, len(res.Areas))
	for _, a := range res.Areas {
		out[a.Code] = LocalCluster{Cluster: lisaCluster(a.Local, alpha), Ii: a.Ii, P: a.P, GiStar: a.GiStar}
	}
	return out, nil
}

// lisaCluster is the quadrant of a significant area, else "ns".
func lisaCluster(l spatial.Local, alpha float64) string {
	if l.P < alpha {
		return string(l.Quadrant)
	}
	return ClusterNotSignificant
}

// neighbourCache keeps the neighbourhoods computed last: the contiguity
// of the Gemeinden takes PostGIS 0.4 s (rook 0.9 s), the statistics on
// them a tenth of that. Entries are keyed by the data version, which
// every change of areas or cells bumps, so a stale one is never used; it
// holds a few levels and rules, the oldest going first.
type neighbourCache struct {
	mu      sync.Mutex
	entries []neighbourEntry
}

type neighbourEntry struct {
	level   string
	day     time.Time
	rule    string
	version int64
	nb      geo.Neighbours
}

const neighbourCacheSize = 8

const sqlDataVersion = `SELECT version FROM data_version`

func (c *neighbourCache) neighbourhood(ctx context.Context, s *Store, level string, day time.Time, rule string) (geo.Neighbours, error) {
	var version int64
	if err := s.pool.QueryRow(ctx, sqlDataVersion).Scan(&version); err != nil {
		return geo.Neighbours{}, fmt.Errorf("data version: %w", err)
	}
	c.mu.Lock()
	for _, e := range c.entries {
		if e.level == level && e.day.Equal(day) && e.rule == rule && e.version == version {
			c.mu.Unlock()
			return e.nb, nil
		}
	}
	c.mu.Unlock()
	nb, err := s.areas.Neighbourhood(ctx, level, day, rule)
	if err != nil {
		return nb, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) == neighbourCacheSize {
		c.entries = c.entries[1:]
	}
	c.entries = append(c.entries, neighbourEntry{level: level, day: day, rule: rule, version: version, nb: nb})
	return nb, nil
}
