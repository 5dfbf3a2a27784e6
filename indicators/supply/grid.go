package supply

import "math"

// grid is a uniform bucket grid over a set of points, stored compactly:
// the points of cell c are xs[start[c]:start[c+1]] (and ys, idx alike),
// so a scan of nearby cells reads memory in order. A grid rather than a
// k-d tree because the queries are all fixed-radius circles of one size,
// for which a grid with cells about that size touches a handful of cells.
type grid struct {
	minX, minY float64
	cell       float64
	nx, ny     int
	start      []int32
	idx        []int32
	xs, ys     []float64
}

// newGrid buckets the points with cells of at least the given size. The
// size is doubled until there are at most about four cells a point, so
// that a tiny radius over a wide extent (50 m across Germany) does not
// allocate millions of empty cells; queries stay exact whatever the size.
func newGrid(xs, ys []float64, cell float64) *grid {
	g := &grid{minX: math.Inf(1), minY: math.Inf(1)}
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for i := range xs {
		g.minX = math.Min(g.minX, xs[i])
		g.minY = math.Min(g.minY, ys[i])
		maxX = math.Max(maxX, xs[i])
		maxY = math.Max(maxY, ys[i])
	}
	if len(xs) == 0 {
		g.minX, g.minY, maxX, maxY = 0, 0, 0, 0
	}
	limit := 4*len(xs) + 64
	for {
		g.nx = int((maxX-g.minX)/cell) + 1
		g.ny = int((maxY-g.minY)/cell) + 1
		if float64(g.nx)*float64(g.ny) <= float64(limit) {
			break
		}
		cell *= 2
	}
	g.cell = cell

	cellOf := make([]int32, len(xs))
	g.start = make([]int32, g.nx*g.ny+1)
	for i := range xs {
		c := g.clampX(xs[i]) + g.nx*g.clampY(ys[i])
		cellOf[i] = int32(c)
		g.start[c+1]++
	}
	for c := 1; c < len(g.start); c++ {
		g.start[c] += g.start[c-1]
	}
	next := make([]int32, g.nx*g.ny)
	copy(next, g.start[:len(next)])
	g.idx = make([]int32, len(xs))
	g.xs = make([]float64, len(xs))
	g.ys = make([]float64, len(xs))
	for i := range xs {
		p := next[cellOf[i]]
		next[cellOf[i]]++
		g.idx[p] = int32(i)
		g.xs[p] = xs[i]
		g.ys[p] = ys[i]
	}
	return g
}

// cx is the (unclamped) column of x: points outside the grid's extent
// still get a column, which the nearest-neighbour ring search relies on.
func (g *grid) cx(x float64) int { return int(math.Floor((x - g.minX) / g.cell)) }
func (g *grid) cy(y float64) int { return int(math.Floor((y - g.minY) / g.cell)) }

func (g *grid) clampX(x float64) int { return min(max(g.cx(x), 0), g.nx-1) }
func (g *grid) clampY(y float64) int { return min(max(g.cy(y), 0), g.ny-1) }

// within calls visit with the position (in the grid's order) of every
// point that may lie within r of (x, y): a superset, the caller decides
// exactly. Cells whose rectangle is farther than r are skipped, which
// matters when r is large against the cell size.
func (g *grid) within(x, y, r float64, visit func(p int)) {
	x0, x1 := g.clampX(x-r), g.clampX(x+r)
	y0, y1 := g.clampY(y-r), g.clampY(y+r)
	// A small slack keeps the rectangle test from dropping a cell whose
	// point lies exactly at distance r through rounding.
	r2 := r * r * (1 + 1e-9)
	for cy := y0; cy <= y1; cy++ {
		dy := g.gap(y, g.minY+float64(cy)*g.cell)
		for cx := x0; cx <= x1; cx++ {
			dx := g.gap(x, g.minX+float64(cx)*g.cell)
			if dx*dx+dy*dy > r2 {
				continue
			}
			c := cx + g.nx*cy
			for p := g.start[c]; p < g.start[c+1]; p++ {
				visit(int(p))
			}
		}
	}
}

// gap is the distance along one axis from v to the cell interval
// [lo, lo+cell], 0 inside it.
func (g *grid) gap(v, lo float64) float64 {
	switch {
	case v < lo:
		return lo - v
	case v > lo+g.cell:
		return v - (lo + g.cell)
	}
	return 0
}
