// Package coverage simplifies a polygon coverage edge by edge, so that
// polygons that share a boundary still share it exactly after
// simplification: no gaps, no overlaps by construction.
//
// Rings are split into chains at nodes, vertices where more or fewer than
// two distinct segments meet (where the set of polygons on either side of
// the boundary changes). A chain shared by two rings is one chain walked in
// opposite directions; it is simplified once (Douglas–Peucker with its end
// nodes fixed) and every ring is rebuilt from its simplified chains.
// Vertices are matched by exact coordinates: a coverage whose neighbours
// share identical vertices (as VG5000's do) comes out as a coverage.
//
// Douglas–Peucker alone may let a simplified chain cross another one, or
// itself, which would leave invalid or overlapping polygons. Chains caught
// crossing are simplified again with half the tolerance, until nothing
// crosses or they are back to every vertex. Chains of areas that are never
// valid together (versions of different dates) may cross freely.
package coverage

import (
	"math"
)

// Point is x, y.
type Point [2]float64

// Ring is a closed ring: its first and last points are equal.
type Ring []Point

// Polygon is an exterior ring followed by its holes.
type Polygon []Ring

// MultiPolygon is one area's geometry.
type MultiPolygon []Polygon

// Coverage holds the chains of a set of multipolygons, built once and
// simplified at as many tolerances as needed.
type Coverage struct {
	coords []Point   // by vertex id
	chains [][]int32 // vertex ids from node to node (equal ends for closed chains)
	// periods are the hulls of the validity periods of each chain's areas.
	periods []Period
	// shapes mirrors the input: per multipolygon, polygon and ring, the
	// chains the ring is made of, in ring order.
	shapes [][][][]chainUse
}

// chainUse is a chain as one ring walks it.
type chainUse struct {
	chain    int32
	reversed bool
}

// Period is when an area is valid: days (or any other unit) from and to,
// inclusive; math.MinInt64 and math.MaxInt64 stand for no bound.
type Period struct{ From, To int64 }

func (p Period) overlaps(q Period) bool { return max(p.From, q.From) <= min(p.To, q.To) }

func (p Period) hull(q Period) Period { return Period{min(p.From, q.From), max(p.To, q.To)} }

// New splits the rings of polys into shared chains. periods holds each
// multipolygon's validity, or is nil when all are valid together; its
// length must otherwise be that of polys. Repeated consecutive points are
// ignored; rings with fewer than three distinct points are left out.
func New(polys []MultiPolygon, periods []Period) *Coverage {
	if periods != nil && len(periods) != len(polys) {
		panic("coverage.New: one period per multipolygon")
	}
	b := builder{ids: make(map[Point]int32), edges: make(map[uint64]struct{})}
	rings := make([][][][]int32, len(polys))
	for i, mp := range polys {
		rings[i] = make([][][]int32, len(mp))
		for j, p := range mp {
			rings[i][j] = make([][]int32, len(p))
			for k, r := range p {
				rings[i][j][k] = b.ring(r)
			}
		}
	}
	c := &Coverage{coords: b.coords, shapes: make([][][][]chainUse, len(polys))}
	firstEdge := make(map[uint64]chainUse) // directed first edge of a chain → chain
	for i, mp := range rings {
		period := Period{math.MinInt64, math.MaxInt64}
		if periods != nil {
			period = periods[i]
		}
		c.shapes[i] = make([][][]chainUse, len(mp))
		for j, p := range mp {
			c.shapes[i][j] = make([][]chainUse, len(p))
			for k, r := range p {
				if r != nil {
					c.shapes[i][j][k] = c.split(r, b.degree, firstEdge, period)
				}
			}
		}
	}
	return c
}

// builder numbers vertices and counts each vertex's distinct neighbours.
type builder struct {
	ids    map[Point]int32
	coords []Point
	degree []int32
	edges  map[uint64]struct{}
}

// ring returns the ring's vertex ids, without the closing repetition, or
// nil when fewer than three distinct vertices remain.
func (b *builder) ring(r Ring) []int32 {
	out := make([]int32, 0, len(r))
	for _, p := range r {
		id, ok := b.ids[p]
		if !ok {
			id = int32(len(b.coords))
			b.ids[p] = id
			b.coords = append(b.coords, p)
			b.degree = append(b.degree, 0)
		}
		if len(out) == 0 || out[len(out)-1] != id {
			out = append(out, id)
		}
	}
	for len(out) > 1 && out[len(out)-1] == out[0] {
		out = out[:len(out)-1]
	}
	if len(out) < 3 {
		return nil
	}
	for i, u := range out {
		v := out[(i+1)%len(out)]
		key := edgeKey(min(u, v), max(u, v))
		if _, seen := b.edges[key]; !seen {
			b.edges[key] = struct{}{}
			b.degree[u]++
			b.degree[v]++
		}
	}
	return out
}

func edgeKey(u, v int32) uint64 { return uint64(uint32(u))<<32 | uint64(uint32(v)) }

// split cuts a ring (vertex ids, not closed) into chains at its nodes,
// reusing the chains other rings already walked. A ring without a node
// (an island, or a hole filled by exactly one other polygon) is one closed
// chain that starts at its smallest vertex id, so that every ring around
// the same cycle picks the same start.
func (c *Coverage) split(ring []int32, degree []int32, firstEdge map[uint64]chainUse, period Period) []chainUse {
	n := len(ring)
	start := -1
	for i, v := range ring {
		if degree[v] != 2 {
			start = i
			break
		}
	}
	if start < 0 {
		start = 0
		for i, v := range ring {
			if v < ring[start] {
				start = i
			}
		}
	}
	isNode := func(i int) bool { return i == start || degree[ring[i%n]] != 2 }

	var uses []chainUse
	for i := start; i < start+n; {
		j := i + 1
		for !isNode(j % n) {
			j++
		}
		// The chain runs from ring[i] to ring[j] (j may be start+n: back to the start).
		a, second := ring[i%n], ring[(i+1)%n]
		use, ok := firstEdge[edgeKey(a, second)]
		if !ok {
			chain := make([]int32, 0, j-i+1)
			for k := i; k <= j; k++ {
				chain = append(chain, ring[k%n])
			}
			id := int32(len(c.chains))
			c.chains = append(c.chains, chain)
			c.periods = append(c.periods, period)
			use = chainUse{chain: id}
			firstEdge[edgeKey(a, second)] = use
			last := len(chain) - 1
			firstEdge[edgeKey(chain[last], chain[last-1])] = chainUse{chain: id, reversed: true}
		}
		c.periods[use.chain] = c.periods[use.chain].hull(period)
		uses = append(uses, use)
		i = j
	}
	return uses
}

// Chains returns the number of distinct chains.
func (c *Coverage) Chains() int { return len(c.chains) }

// Simplify returns every multipolygon rebuilt from its chains simplified
// with the given tolerance (same units as the coordinates), in input order.
// A ring that collapses (fewer than four points or zero area) is dropped,
// and with an exterior ring its holes; a multipolygon of which nothing
// remains is nil. A tolerance of zero or less keeps every vertex.
func (c *Coverage) Simplify(tolerance float64) []MultiPolygon {
	simple := make([][]Point, len(c.chains))
	for i, ch := range c.chains {
		simple[i] = c.simplifyChain(ch, tolerance)
	}
	c.uncross(simple, tolerance)
	out := make([]MultiPolygon, len(c.shapes))
	for i, mp := range c.shapes {
		var polys MultiPolygon
		for _, p := range mp {
			var poly Polygon
			for k, uses := range p {
				r := assemble(uses, simple)
				if r == nil {
					if k == 0 {
						break // the exterior collapsed, and its holes with it
					}
					continue
				}
				poly = append(poly, r)
			}
			if len(poly) > 0 {
				polys = append(polys, poly)
			}
		}
		out[i] = polys
	}
	return out
}

// assemble concatenates a ring's simplified chains; nil if the ring
// collapsed.
func assemble(uses []chainUse, simple [][]Point) Ring {
	if len(uses) == 0 {
		return nil
	}
	var r Ring
	// Consecutive chains meet at a node, and a collapsed closed chain is
	// its node twice: skip repetitions.
	add := func(p Point) {
		if len(r) == 0 || r[len(r)-1] != p {
			r = append(r, p)
		}
	}
	for _, u := range uses {
		pts := simple[u.chain]
		if u.reversed {
			for k := len(pts) - 1; k >= 0; k-- {
				add(pts[k])
			}
		} else {
			for _, p := range pts {
				add(p)
			}
		}
	}
	if len(r) < 4 || r[0] != r[len(r)-1] || signedArea(r) == 0 {
		return nil
	}
	return r
}

// signedArea is the shoelace sum (twice the area, signed by orientation).
func signedArea(r Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s
}

// simplifyChain runs Douglas–Peucker over one chain with its end points
// fixed. A closed chain (a whole ring with at most one node) is cut at its
// vertex farthest from the start, and keeps a triangle as long as it
// reaches farther than the tolerance, so that small islands disappear
// rather than turn into slivers.
func (c *Coverage) simplifyChain(chain []int32, tolerance float64) []Point {
	pts := make([]Point, len(chain))
	for i, v := range chain {
		pts[i] = c.coords[v]
	}
	if tolerance <= 0 {
		return pts
	}
	last := len(pts) - 1
	if pts[0] != pts[last] {
		return douglasPeucker(pts, tolerance)
	}
	far, farDist := 0, 0.0
	for i, p := range pts {
		if d := dist2(p, pts[0]); d > farDist {
			far, farDist = i, d
		}
	}
	if math.Sqrt(farDist) <= tolerance {
		return []Point{pts[0], pts[last]}
	}
	out := douglasPeucker(pts[:far+1], tolerance)
	out = append(out, douglasPeucker(pts[far:], tolerance)[1:]...)
	if len(out) >= 4 {
		return out
	}
	// Only the start, the far vertex and the start again: add the vertex
	// farthest from the line between them to keep an area.
	apex, apexDist := 0, 0.0
	for i, p := range pts {
		if d := segmentDist2(p, pts[0], pts[far]); d > apexDist {
			apex, apexDist = i, d
		}
	}
	if apexDist == 0 {
		return []Point{pts[0], pts[last]}
	}
	if apex < far {
		return []Point{pts[0], pts[apex], pts[far], pts[last]}
	}
	return []Point{pts[0], pts[far], pts[apex], pts[last]}
}

// douglasPeucker keeps the end points and every vertex farther than
// tolerance from the segment of the kept vertices around it.
func douglasPeucker(pts []Point, tolerance float64) []Point {
	n := len(pts)
	if n <= 2 {
		return append([]Point(nil), pts...)
	}
	keep := make([]bool, n)
	keep[0], keep[n-1] = true, true
	tol2 := tolerance * tolerance
	type span struct{ from, to int }
	stack := []span{{0, n - 1}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		far, farDist := -1, tol2
		for i := s.from + 1; i < s.to; i++ {
			if d := segmentDist2(pts[i], pts[s.from], pts[s.to]); d > farDist {
				far, farDist = i, d
			}
		}
		if far < 0 {
			continue
		}
		keep[far] = true
		stack = append(stack, span{s.from, far}, span{far, s.to})
	}
	out := make([]Point, 0, n)
	for i, k := range keep {
		if k {
			out = append(out, pts[i])
		}
	}
	return out
}

func dist2(p, q Point) float64 {
	dx, dy := p[0]-q[0], p[1]-q[1]
	return dx*dx + dy*dy
}

// segmentDist2 is the squared distance from p to the segment a–b.
func segmentDist2(p, a, b Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return dist2(p, a)
	}
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
	t = max(0, min(1, t))
	return dist2(p, Point{a[0] + t*dx, a[1] + t*dy})
}
