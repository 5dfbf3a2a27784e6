package supply

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// NearestFacility is the facility nearest to an area's demand point.
type NearestFacility struct {
	AreaID     string
	FacilityID string
	// Facility is the index of that facility in the slice given.
	Facility int
	// Distance in metres, straight line.
	Distance float64
}

// Nearest finds for every demand point the nearest facility, in the
// order of the demand points. Of facilities at the same distance the one
// with the smallest ID wins, so that the answer does not depend on the
// order in which they were imported.
func Nearest(ctx context.Context, facilities []Facility, demand []Demand) ([]NearestFacility, error) {
	if len(facilities) == 0 {
		return nil, errors.New("nearest facility: no facilities")
	}
	if err := checkFacilities(facilities); err != nil {
		return nil, fmt.Errorf("nearest facility: %w", err)
	}
	if err := checkDemand(demand); err != nil {
		return nil, fmt.Errorf("nearest facility: %w", err)
	}
	xs := make([]float64, len(facilities))
	ys := make([]float64, len(facilities))
	for j, f := range facilities {
		xs[j], ys[j] = f.X, f.Y
	}
	g := newGrid(xs, ys, nearestCell(xs, ys))

	out := make([]NearestFacility, len(demand))
	for i, d := range demand {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("nearest facility: %w", err)
			}
		}
		j, dist := g.nearest(d.X, d.Y, facilities)
		out[i] = NearestFacility{AreaID: d.AreaID, FacilityID: facilities[j].ID, Facility: j, Distance: dist}
	}
	return out, nil
}

// nearestCell sizes the cells so that there is about one facility a
// cell: the ring search then looks at a few cells per query.
func nearestCell(xs, ys []float64) float64 {
	minX, maxX := math.Inf(1), math.Inf(-1)
	minY, maxY := math.Inf(1), math.Inf(-1)
	for i := range xs {
		minX, maxX = math.Min(minX, xs[i]), math.Max(maxX, xs[i])
		minY, maxY = math.Min(minY, ys[i]), math.Max(maxY, ys[i])
	}
	w, h := maxX-minX, maxY-minY
	n := float64(len(xs))
	switch {
	case w > 0 && h > 0:
		return math.Sqrt(w * h / n)
	case w+h > 0:
		// All on one line: spread the cells along it.
		return (w + h) / n
	}
	return 1
}

// nearest searches rings of cells around the query's cell, outward,
// until no unvisited cell can hold a point as near as the best found.
// It returns the facility's index in fs and the distance.
func (g *grid) nearest(x, y float64, fs []Facility) (int, float64) {
	cx, cy := g.cx(x), g.cy(y)
	best, bestJ := math.Inf(1), -1
	consider := func(c int) {
		for p := g.start[c]; p < g.start[c+1]; p++ {
			dx, dy := g.xs[p]-x, g.ys[p]-y
			d := math.Sqrt(dx*dx + dy*dy)
			j := int(g.idx[p])
			if d < best || (d == best && fs[j].ID < fs[bestJ].ID) {
				best, bestJ = d, j
			}
		}
	}
	// A query outside the grid starts at the first ring that touches it.
	r0 := max(0, -cx, cx-(g.nx-1), -cy, cy-(g.ny-1))
	for r := r0; ; r++ {
		for iy := cy - r; iy <= cy+r; iy++ {
			if iy < 0 || iy >= g.ny {
				continue
			}
			edge := iy == cy-r || iy == cy+r
			for ix := cx - r; ix <= cx+r; ix++ {
				if !edge && ix != cx-r && ix != cx+r {
					// Inside the ring: jump to its right edge.
					ix = cx + r - 1
					continue
				}
				if ix >= 0 && ix < g.nx {
					consider(ix + g.nx*iy)
				}
			}
		}
		// Every point not yet seen lies in a cell at least r+1 cells away
		// along some axis, so farther than r cells; a best within r−1
		// cells leaves a cell's width of margin against rounding.
		if bestJ >= 0 && best <= float64(r-1)*g.cell {
			break
		}
		if cx-r <= 0 && cy-r <= 0 && cx+r >= g.nx-1 && cy+r >= g.ny-1 {
			break
		}
	}
	return bestJ, best
}
