package coverage

import (
	"reflect"
	"testing"
)

// ring closes the listed points.
func ring(xy ...float64) Ring {
	r := make(Ring, 0, len(xy)/2+1)
	for i := 0; i+1 < len(xy); i += 2 {
		r = append(r, Point{xy[i], xy[i+1]})
	}
	return append(r, r[0])
}

func poly(rings ...Ring) MultiPolygon { return MultiPolygon{Polygon(rings)} }

func TestSimplify(t *testing.T) {
	// Two squares sharing a zig-zag edge (deviation 3 from x = 100).
	zigA := ring(0, 0, 100, 0, 103, 25, 97, 50, 103, 75, 100, 100, 0, 100)
	zigB := ring(100, 0, 200, 0, 200, 100, 100, 100, 103, 75, 97, 50, 103, 25)
	// A T-junction: A on the left, B and C on the right meet A at (100, 100);
	// the B–C border is wavy, so is A's right edge.
	tA := ring(0, 0, 100, 0, 102, 50, 100, 100, 98, 150, 100, 200, 0, 200)
	tB := ring(100, 0, 200, 0, 200, 100, 150, 104, 100, 100, 102, 50)
	tC := ring(100, 100, 150, 104, 200, 100, 200, 200, 100, 200, 98, 150)
	// A square with a wavy hole filled by another polygon (no node at all).
	outer := ring(0, 0, 300, 0, 300, 300, 0, 300)
	hole := ring(100, 100, 100, 200, 150, 203, 200, 200, 200, 100, 150, 97) // clockwise
	fill := ring(100, 100, 150, 97, 200, 100, 200, 200, 150, 203, 100, 200)
	// A thin polygon between A and B whose sides both simplify to x = 100.
	sliverA := ring(0, 0, 100, 0, 100, 100, 0, 100)
	sliver := ring(100, 0, 102, 50, 100, 100)
	sliverB := ring(100, 0, 200, 0, 200, 100, 100, 100, 102, 50)
	// An island of two parts: a square and a small triangle.
	island := MultiPolygon{{ring(0, 0, 10, 0, 10, 10, 0, 10)}, {ring(50, 50, 52, 50, 51, 51)}}

	tests := []struct {
		name      string
		in        []MultiPolygon
		tolerance float64
		want      []MultiPolygon
	}{
		{"zig-zag kept below its deviation", []MultiPolygon{poly(zigA), poly(zigB)}, 2, []MultiPolygon{
			// Rings start at their first node.
			poly(ring(100, 0, 103, 25, 97, 50, 103, 75, 100, 100, 0, 100, 0, 0)),
			poly(ring(100, 0, 200, 0, 200, 100, 100, 100, 103, 75, 97, 50, 103, 25)),
		}},
		{"zig-zag straightened once for both", []MultiPolygon{poly(zigA), poly(zigB)}, 5, []MultiPolygon{
			poly(ring(100, 0, 100, 100, 0, 100, 0, 0)),
			poly(ring(100, 0, 200, 0, 200, 100, 100, 100)),
		}},
		{"zero tolerance keeps every vertex", []MultiPolygon{poly(zigA), poly(zigB)}, 0, []MultiPolygon{
			poly(ring(100, 0, 103, 25, 97, 50, 103, 75, 100, 100, 0, 100, 0, 0)),
			poly(ring(100, 0, 200, 0, 200, 100, 100, 100, 103, 75, 97, 50, 103, 25)),
		}},
		{"T-junction keeps the node of three polygons", []MultiPolygon{poly(tA), poly(tB), poly(tC)}, 5, []MultiPolygon{
			poly(ring(100, 0, 100, 100, 100, 200, 0, 200, 0, 0)),
			poly(ring(100, 0, 200, 0, 200, 100, 100, 100)),
			poly(ring(100, 100, 200, 100, 200, 200, 100, 200)),
		}},
		{"hole and its filling simplified alike", []MultiPolygon{poly(outer, hole), poly(fill)}, 5, []MultiPolygon{
			poly(ring(0, 0, 300, 0, 300, 300, 0, 300), ring(100, 100, 100, 200, 200, 200, 200, 100)),
			poly(ring(100, 100, 200, 100, 200, 200, 100, 200)),
		}},
		{"hole and its filling collapse together", []MultiPolygon{poly(outer, hole), poly(fill)}, 200, []MultiPolygon{
			// The hole reaches 141 from its start, the square 424.
			poly(ring(0, 0, 300, 0, 300, 300, 0, 300)),
			nil,
		}},
		{"sliver between two polygons dropped", []MultiPolygon{poly(sliverA), poly(sliver), poly(sliverB)}, 5, []MultiPolygon{
			poly(ring(100, 0, 100, 100, 0, 100, 0, 0)),
			nil,
			poly(ring(100, 0, 200, 0, 200, 100, 100, 100)),
		}},
		{"island keeps a triangle", []MultiPolygon{island}, 8, []MultiPolygon{
			poly(ring(0, 0, 10, 0, 10, 10)),
		}},
		{"island whole below its extent", []MultiPolygon{island}, 5, []MultiPolygon{
			{{ring(0, 0, 10, 0, 10, 10, 0, 10)}},
		}},
		{"island vanishes within the tolerance", []MultiPolygon{island}, 20, []MultiPolygon{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New(tt.in, nil).Simplify(tt.tolerance)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestChainsSharedOnce(t *testing.T) {
	tests := []struct {
		name string
		in   []MultiPolygon
		want int
	}{
		// Shared edge, A's other three sides, B's other three sides.
		{"two squares", []MultiPolygon{
			poly(ring(0, 0, 100, 0, 100, 100, 0, 100)),
			poly(ring(100, 0, 200, 0, 200, 100, 100, 100)),
		}, 3},
		// A hole and its filling are one chain; the outer ring another.
		{"filled hole", []MultiPolygon{
			poly(ring(0, 0, 300, 0, 300, 300, 0, 300), ring(100, 100, 100, 200, 200, 200, 200, 100)),
			poly(ring(100, 100, 200, 100, 200, 200, 100, 200)),
		}, 2},
		// Repeated points and a closing point do not add chains; a ring of
		// two distinct points is left out.
		{"degenerate input", []MultiPolygon{
			poly(Ring{{0, 0}, {0, 0}, {10, 0}, {10, 10}, {0, 0}}),
			poly(Ring{{50, 50}, {60, 60}, {50, 50}}),
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(tt.in, nil).Chains(); got != tt.want {
				t.Errorf("%d chains, want %d", got, tt.want)
			}
		})
	}
}

func TestSimplifyUncrosses(t *testing.T) {
	// A above, B below a border X with a bump of 4 at x = 50; in B an
	// island I (a hole of B filled by I) reaches up to y = 2. Straightened
	// at tolerance 5, X would cut through I.
	a := poly(ring(0, 0, 50, 4, 100, 0, 100, 10, 0, 10))
	b := poly(ring(0, -10, 100, -10, 100, 0, 50, 4, 0, 0), ring(40, -1, 50, 2, 60, -1))
	bWhole := poly(ring(0, -10, 100, -10, 100, 0, 50, 4, 0, 0))
	i := poly(ring(40, -1, 60, -1, 50, 2))
	tests := []struct {
		name    string
		in      []MultiPolygon
		periods []Period
		want    []MultiPolygon
	}{
		{"border keeps its bump to pass the island", []MultiPolygon{a, b, i}, nil, []MultiPolygon{
			poly(ring(0, 0, 50, 4, 100, 0, 100, 10, 0, 10)),
			poly(ring(100, 0, 50, 4, 0, 0, 0, -10, 100, -10), ring(40, -1, 50, 2, 60, -1)),
			poly(ring(40, -1, 60, -1, 50, 2)),
		}},
		{"an island of another time may be crossed", []MultiPolygon{a, bWhole, i}, []Period{{0, 10}, {0, 10}, {20, 30}}, []MultiPolygon{
			poly(ring(0, 0, 100, 0, 100, 10, 0, 10)),
			poly(ring(100, 0, 0, 0, 0, -10, 100, -10)),
			poly(ring(40, -1, 60, -1, 50, 2)),
		}},
		{"an island of the same time may not", []MultiPolygon{a, bWhole, i}, []Period{{0, 10}, {0, 10}, {5, 30}}, []MultiPolygon{
			poly(ring(0, 0, 50, 4, 100, 0, 100, 10, 0, 10)),
			poly(ring(100, 0, 50, 4, 0, 0, 0, -10, 100, -10)),
			poly(ring(40, -1, 60, -1, 50, 2)),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New(tt.in, tt.periods).Simplify(5)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestConflict(t *testing.T) {
	tests := []struct {
		name           string
		p1, p2, q1, q2 Point
		want           bool
	}{
		{"crossing", Point{0, 0}, Point{10, 10}, Point{0, 10}, Point{10, 0}, true},
		{"apart", Point{0, 0}, Point{10, 0}, Point{0, 1}, Point{10, 1}, false},
		{"common end point", Point{0, 0}, Point{10, 0}, Point{10, 0}, Point{10, 10}, false},
		{"same segment reversed", Point{0, 0}, Point{10, 0}, Point{10, 0}, Point{0, 0}, false},
		{"end point on the other's inside", Point{0, 0}, Point{10, 0}, Point{5, 0}, Point{5, 5}, true},
		{"collinear overlap", Point{0, 0}, Point{10, 0}, Point{5, 0}, Point{15, 0}, true},
		{"collinear apart", Point{0, 0}, Point{10, 0}, Point{11, 0}, Point{15, 0}, false},
		{"common end, folded back", Point{0, 0}, Point{10, 0}, Point{10, 0}, Point{4, 0}, true},
		{"common end, straight on", Point{0, 0}, Point{10, 0}, Point{10, 0}, Point{14, 0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := conflict(tt.p1, tt.p2, tt.q1, tt.q2); got != tt.want {
				t.Errorf("conflict = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSimplifyKeepsRingsOnTheirSide(t *testing.T) {
	// As in TestSimplifyUncrosses, but the island lies wholly under the
	// bump (y 1 to 2): straightened, the border would pass below it and
	// put it into A without crossing it.
	a := poly(ring(0, 0, 50, 4, 100, 0, 100, 10, 0, 10))
	b := poly(ring(0, -10, 100, -10, 100, 0, 50, 4, 0, 0), ring(44, 1, 50, 2, 56, 1))
	i := poly(ring(44, 1, 56, 1, 50, 2))
	want := []MultiPolygon{
		poly(ring(0, 0, 50, 4, 100, 0, 100, 10, 0, 10)),
		poly(ring(100, 0, 50, 4, 0, 0, 0, -10, 100, -10), ring(44, 1, 50, 2, 56, 1)),
		poly(ring(44, 1, 56, 1, 50, 2)),
	}
	if got := New([]MultiPolygon{a, b, i}, nil).Simplify(5); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestWinding(t *testing.T) {
	square := []Point{{0, 0}, {10, 0}, {10, 10}, {0, 10}}
	tests := []struct {
		p    Point
		want int
	}{{Point{5, 5}, 1}, {Point{15, 5}, 0}, {Point{5, -1}, 0}}
	for _, tt := range tests {
		if got := winding(square, tt.p); got != tt.want {
			t.Errorf("winding around %v = %d, want %d", tt.p, got, tt.want)
		}
	}
	if got := winding([]Point{{0, 0}, {0, 10}, {10, 10}, {10, 0}}, Point{5, 5}); got != -1 {
		t.Errorf("clockwise winding = %d, want -1", got)
	}
}
