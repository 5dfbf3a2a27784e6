package source

import (
	"fmt"
	"math"
)

// shpRing is one part of a polygon record, as a range of its points.
type shpRing struct {
	coords                 []float64 // flat XY, closed
	area                   float64   // signed: negative for clockwise
	minX, minY, maxX, maxY float64
}

// assemblePolygons groups the parts of a polygon record into polygons. The
// specification orders outer rings clockwise and holes counter-clockwise;
// each hole belongs to the smallest outer ring that contains it. A hole no
// outer ring contains is kept as a polygon of its own rather than lost.
// It returns flat coordinates and ends for a go-geom MultiPolygon.
func assemblePolygons(coords []float64, parts []int) ([]float64, [][]int, error) {
	rings := make([]shpRing, len(parts)-1)
	for i := range rings {
		c := coords[2*parts[i] : 2*parts[i+1]]
		n := len(c) / 2
		if n < 4 {
			return nil, nil, fmt.Errorf("ring %d has %d points; a ring needs at least 4", i+1, n)
		}
		if c[0] != c[len(c)-2] || c[1] != c[len(c)-1] {
			return nil, nil, fmt.Errorf("ring %d is not closed", i+1)
		}
		rings[i] = newRing(c)
	}

	type polygon struct{ rings []int }
	var polys []polygon
	outerOf := make([]int, len(rings)) // polygon index of each outer ring
	var holes []int
	for i, r := range rings {
		// A ring of zero area has no orientation; it is kept as an outer
		// ring so that nothing is dropped.
		if r.area <= 0 {
			outerOf[i] = len(polys)
			polys = append(polys, polygon{rings: []int{i}})
		} else {
			holes = append(holes, i)
		}
	}
	for _, h := range holes {
		best := -1
		for _, p := range polys {
			o := p.rings[0]
			if rings[o].area > 0 || !rings[o].encloses(&rings[h]) {
				continue
			}
			if best < 0 || math.Abs(rings[o].area) < math.Abs(rings[best].area) {
				best = o
			}
		}
		if best < 0 {
			polys = append(polys, polygon{rings: []int{h}})
			continue
		}
		p := &polys[outerOf[best]]
		p.rings = append(p.rings, h)
	}

	flat := make([]float64, 0, len(coords))
	endss := make([][]int, len(polys))
	for i, p := range polys {
		ends := make([]int, len(p.rings))
		for j, r := range p.rings {
			flat = append(flat, rings[r].coords...)
			ends[j] = len(flat)
		}
		endss[i] = ends
	}
	return flat, endss, nil
}

func newRing(c []float64) shpRing {
	r := shpRing{coords: c, minX: c[0], minY: c[1], maxX: c[0], maxY: c[1]}
	// Shoelace formula relative to the first point, which keeps the
	// products small for large projected coordinates.
	x0, y0 := c[0], c[1]
	var sum float64
	for i := 0; i+3 < len(c); i += 2 {
		x1, y1 := c[i]-x0, c[i+1]-y0
		x2, y2 := c[i+2]-x0, c[i+3]-y0
		sum += x1*y2 - x2*y1
	}
	r.area = sum / 2
	for i := 2; i < len(c); i += 2 {
		r.minX = math.Min(r.minX, c[i])
		r.maxX = math.Max(r.maxX, c[i])
		r.minY = math.Min(r.minY, c[i+1])
		r.maxY = math.Max(r.maxY, c[i+1])
	}
	return r
}

// encloses reports whether ring h lies inside r, judged by the first vertex
// of h that is not on r's boundary (holes may touch their outer ring).
func (r *shpRing) encloses(h *shpRing) bool {
	if h.minX < r.minX || h.maxX > r.maxX || h.minY < r.minY || h.maxY > r.maxY {
		return false
	}
	for i := 0; i < len(h.coords); i += 2 {
		switch pointInRing(h.coords[i], h.coords[i+1], r.coords) {
		case 1:
			return true
		case -1:
			return false
		}
	}
	return true // every vertex on the boundary: the same ring traced backwards
}

// pointInRing returns 1 if (x, y) is inside the closed ring, -1 if outside
// and 0 if on its boundary (even-odd crossing rule).
func pointInRing(x, y float64, ring []float64) int {
	inside := false
	for i := 0; i+3 < len(ring); i += 2 {
		x1, y1, x2, y2 := ring[i], ring[i+1], ring[i+2], ring[i+3]
		if (x2-x1)*(y-y1)-(x-x1)*(y2-y1) == 0 &&
			x >= math.Min(x1, x2) && x <= math.Max(x1, x2) &&
			y >= math.Min(y1, y2) && y <= math.Max(y1, y2) {
			return 0
		}
		if (y1 > y) != (y2 > y) {
			if x < x1+(y-y1)*(x2-x1)/(y2-y1) {
				inside = !inside
			}
		}
	}
	if inside {
		return 1
	}
	return -1
}
