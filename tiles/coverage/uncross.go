package coverage

import (
	"cmp"
	"math"
	"slices"
)

// refineSteps bounds how often a crossing chain's tolerance is halved
// before it gets every vertex back.
const refineSteps = 6

// uncross simplifies chains that cross other chains (or themselves), or
// jump over a whole ring, again with half their tolerance, until no
// refinable chain does.
func (c *Coverage) uncross(simple [][]Point, tolerance float64) {
	if tolerance <= 0 {
		return
	}
	tol := make([]float64, len(simple))
	for i := range tol {
		tol[i] = tolerance
	}
	// Chains that kept every vertex cross nothing that also kept every
	// vertex (or the input did already): only pairs with a simplified
	// chain need a test.
	dirty := make([]bool, len(simple))
	changed := false
	for id, pts := range simple {
		dirty[id] = len(pts) != len(c.chains[id])
		changed = changed || dirty[id]
	}
	if !changed {
		return
	}
	for {
		crossing := c.crossings(simple, dirty)
		c.sweeps(simple, dirty, crossing)
		dirty = make([]bool, len(simple))
		refined := false
		for id, bad := range crossing {
			if !bad || tol[id] == 0 {
				continue
			}
			tol[id] /= 2
			if tol[id] < tolerance/(1<<refineSteps) {
				tol[id] = 0
			}
			simple[id] = c.simplifyChain(c.chains[id], tol[id])
			dirty[id] = true
			refined = true
		}
		if !refined {
			return
		}
	}
}

// segment is segment k of a simplified chain.
type segment struct {
	chain int32
	a, b  Point
}

// cellEntry files a segment under a grid cell its bounding box touches.
type cellEntry struct {
	cell uint64
	seg  int32
}

// crossings reports, per chain, whether one of its segments crosses or
// touches a segment of a chain valid at the same time other than at a
// shared end point. Only pairs with a dirty chain are tested. Segments are bucketed in a grid.
func (c *Coverage) crossings(simple [][]Point, dirty []bool) []bool {
	var segs []segment
	minX, minY := math.Inf(1), math.Inf(1)
	var length, longest float64
	for id, pts := range simple {
		for k := 0; k+1 < len(pts); k++ {
			a, b := pts[k], pts[k+1]
			if a == b {
				continue
			}
			segs = append(segs, segment{int32(id), a, b})
			minX, minY = min(minX, a[0], b[0]), min(minY, a[1], b[1])
			l := math.Sqrt(dist2(a, b))
			length += l
			longest = max(longest, l)
		}
	}
	out := make([]bool, len(simple))
	if len(segs) < 2 {
		return out
	}
	// Cells of the mean length; a long segment files itself under at most
	// about 33 × 33 of them.
	size := max(length/float64(len(segs)), longest/32)
	cellOf := func(x, y float64) (uint64, uint64) {
		return uint64((x - minX) / size), uint64((y - minY) / size)
	}
	eachCell := func(s segment, fn func(cell uint64)) {
		x0, y0 := cellOf(min(s.a[0], s.b[0]), min(s.a[1], s.b[1]))
		x1, y1 := cellOf(max(s.a[0], s.b[0]), max(s.a[1], s.b[1]))
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				fn(x<<32 | y)
			}
		}
	}
	// Only the cells of dirty segments can hold a pair to test.
	var cells []cellEntry
	near := make(map[uint64]struct{})
	for i, s := range segs {
		if dirty[s.chain] {
			eachCell(s, func(cell uint64) {
				cells = append(cells, cellEntry{cell, int32(i)})
				near[cell] = struct{}{}
			})
		}
	}
	for i, s := range segs {
		if !dirty[s.chain] {
			eachCell(s, func(cell uint64) {
				if _, ok := near[cell]; ok {
					cells = append(cells, cellEntry{cell, int32(i)})
				}
			})
		}
	}
	slices.SortFunc(cells, func(p, q cellEntry) int { return cmp.Compare(p.cell, q.cell) })
	for lo := 0; lo < len(cells); {
		hi := lo + 1
		for hi < len(cells) && cells[hi].cell == cells[lo].cell {
			hi++
		}
		for i := lo; i < hi; i++ {
			s := segs[cells[i].seg]
			for j := i + 1; j < hi; j++ {
				t := segs[cells[j].seg]
				if !dirty[s.chain] && !dirty[t.chain] {
					continue
				}
				if out[s.chain] && out[t.chain] {
					continue
				}
				if !c.periods[s.chain].overlaps(c.periods[t.chain]) {
					continue
				}
				if conflict(s.a, s.b, t.a, t.b) {
					out[s.chain], out[t.chain] = true, true
				}
			}
		}
		lo = hi
	}
	return out
}

// conflict reports whether segments p and q meet anywhere but at a common
// end point. Segments that are the same (two chains straightened onto one
// line between the same nodes) do not conflict: the ring between them has
// collapsed and is dropped.
func conflict(p1, p2, q1, q2 Point) bool {
	if p1 == q1 && p2 == q2 || p1 == q2 && p2 == q1 {
		return false
	}
	// One common end point: they overlap only if collinear and pointing
	// the same way from it.
	var pt, a, b Point
	switch {
	case p1 == q1:
		pt, a, b = p1, p2, q2
	case p1 == q2:
		pt, a, b = p1, p2, q1
	case p2 == q1:
		pt, a, b = p2, p1, q2
	case p2 == q2:
		pt, a, b = p2, p1, q1
	default:
		o1, o2 := orient(p1, p2, q1), orient(p1, p2, q2)
		o3, o4 := orient(q1, q2, p1), orient(q1, q2, p2)
		if o1*o2 < 0 && o3*o4 < 0 {
			return true
		}
		return o1 == 0 && within(p1, p2, q1) || o2 == 0 && within(p1, p2, q2) ||
			o3 == 0 && within(q1, q2, p1) || o4 == 0 && within(q1, q2, p2)
	}
	return orient(pt, a, b) == 0 && (a[0]-pt[0])*(b[0]-pt[0])+(a[1]-pt[1])*(b[1]-pt[1]) > 0
}

// orient is the sign of the turn a → b → c: 1 left, -1 right, 0 collinear.
func orient(a, b, c Point) int {
	d := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case d > 0:
		return 1
	case d < 0:
		return -1
	}
	return 0
}

// within reports whether c, collinear with a–b, lies on the segment.
func within(a, b, c Point) bool {
	return min(a[0], b[0]) <= c[0] && c[0] <= max(a[0], b[0]) &&
		min(a[1], b[1]) <= c[1] && c[1] <= max(a[1], b[1])
}

// sweeps marks the dirty chains whose simplification jumps over a ring
// without crossing it: a ring of its own (an island, an enclave, a hole
// and its filling: a closed chain) that lies between the chain as it was
// and as it is now, and would change sides. One vertex of the ring tells,
// as the ring is not crossed.
func (c *Coverage) sweeps(simple [][]Point, dirty, out []bool) {
	type anchor struct {
		vertex int32
		chain  int32
	}
	var anchors []anchor
	for id, ch := range c.chains {
		if ch[0] == ch[len(ch)-1] && len(simple[id]) >= 4 { // a ring still there
			anchors = append(anchors, anchor{ch[0], int32(id)})
		}
	}
	if len(anchors) == 0 {
		return
	}
	slices.SortFunc(anchors, func(p, q anchor) int { return cmp.Compare(c.coords[p.vertex][0], c.coords[q.vertex][0]) })
	var loop []Point
	for id, ch := range c.chains {
		if !dirty[id] || out[id] {
			continue
		}
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, v := range ch {
			p := c.coords[v]
			minX, minY, maxX, maxY = min(minX, p[0]), min(minY, p[1]), max(maxX, p[0]), max(maxY, p[1])
		}
		first, _ := slices.BinarySearchFunc(anchors, minX, func(a anchor, x float64) int { return cmp.Compare(c.coords[a.vertex][0], x) })
		loop = loop[:0]
		for k := first; k < len(anchors) && c.coords[anchors[k].vertex][0] <= maxX; k++ {
			a := anchors[k]
			p := c.coords[a.vertex]
			if int(a.chain) == id || p[1] < minY || p[1] > maxY || slices.Contains(ch, a.vertex) ||
				!c.periods[a.chain].overlaps(c.periods[id]) {
				continue
			}
			if len(loop) == 0 {
				// The chain as it was, and back as it is now.
				for _, v := range ch {
					loop = append(loop, c.coords[v])
				}
				for k := len(simple[id]) - 1; k >= 0; k-- {
					loop = append(loop, simple[id][k])
				}
			}
			if winding(loop, p) != 0 {
				out[id] = true
				break
			}
		}
	}
}

// winding is the winding number of the closed path (its last point joined
// to its first) around p.
func winding(path []Point, p Point) int {
	w := 0
	for i, a := range path {
		b := path[(i+1)%len(path)]
		switch {
		case a[1] <= p[1] && b[1] > p[1] && orient(a, b, p) > 0:
			w++
		case a[1] > p[1] && b[1] <= p[1] && orient(a, b, p) < 0:
			w--
		}
	}
	return w
}
