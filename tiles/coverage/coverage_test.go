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
			got := New(tt.in).Simplify(tt.tolerance)
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
			if got := New(tt.in).Chains(); got != tt.want {
				t.Errorf("%d chains, want %d", got, tt.want)
			}
		})
	}
}
