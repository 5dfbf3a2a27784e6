package source

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
)

func ringCoords(r [][2]float64) []geom.Coord {
	out := make([]geom.Coord, len(r))
	for i, p := range r {
		out[i] = geom.Coord{p[0], p[1]}
	}
	return out
}

// wantMultiPolygon is the WKB of a MultiPolygon with the given polygons,
// each a list of rings, outer first.
func wantMultiPolygon(t *testing.T, polys ...[][][2]float64) []byte {
	t.Helper()
	var cs [][][]geom.Coord
	for _, p := range polys {
		var rings [][]geom.Coord
		for _, r := range p {
			rings = append(rings, ringCoords(r))
		}
		cs = append(cs, rings)
	}
	b, err := wkb.Marshal(geom.NewMultiPolygon(geom.XY).MustSetCoords(cs), wkb.NDR)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWKB(t *testing.T, g geom.T) []byte {
	t.Helper()
	b, err := wkb.Marshal(g, wkb.NDR)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestShapeWKB(t *testing.T) {
	a := square(0, 0, 100, true)   // outer
	h1 := square(0, 0, 50, false)  // lake in a
	b := square(0, 0, 20, true)    // island in the lake
	h2 := square(0, 0, 5, false)   // pond on the island
	c := square(300, 0, 10, true)  // a second, separate outer ring
	hc := square(300, 0, 2, false) // its hole
	orphan := square(-500, 0, 3, false)
	// A triangular hole touching its outer ring at (-100, 0).
	touching := [][2]float64{{-100, 0}, {-50, -10}, {-50, 10}, {-100, 0}}

	tests := []struct {
		name     string
		fileType int
		content  []byte
		want     []byte
	}{
		{"one outer ring", shpPolygon, polygonShape(shpPolygon, a), wantMultiPolygon(t, [][][2]float64{a})},
		{"outer ring with hole", shpPolygon, polygonShape(shpPolygon, a, h1), wantMultiPolygon(t, [][][2]float64{a, h1})},
		{"holes listed before their outer rings", shpPolygon, polygonShape(shpPolygon, hc, a, c, h1),
			wantMultiPolygon(t, [][][2]float64{a, h1}, [][][2]float64{c, hc})},
		{"island in a lake: the smallest enclosing outer ring takes the hole", shpPolygon, polygonShape(shpPolygon, a, b, h2, h1),
			wantMultiPolygon(t, [][][2]float64{a, h1}, [][][2]float64{b, h2})},
		{"hole touching its outer ring", shpPolygon, polygonShape(shpPolygon, a, touching),
			wantMultiPolygon(t, [][][2]float64{a, touching})},
		{"hole without outer ring stays a polygon", shpPolygon, polygonShape(shpPolygon, a, orphan),
			wantMultiPolygon(t, [][][2]float64{a}, [][][2]float64{orphan})},
		{"PolygonZ drops Z and M", shpPolygonZ, polygonShape(shpPolygonZ, a, h1), wantMultiPolygon(t, [][][2]float64{a, h1})},
		{"PolygonM drops M", shpPolygonM, polygonShape(shpPolygonM, a, h1), wantMultiPolygon(t, [][][2]float64{a, h1})},
		{"polygon without parts", shpPolygon, polygonShape(shpPolygon), nil},
		{"null shape in a polygon file", shpPolygon, le32(shpNull), nil},
		{"point", shpPoint, pointShape(shpPoint, 3.5, -7.25), mustWKB(t, geom.NewPointFlat(geom.XY, []float64{3.5, -7.25}))},
		{"PointZ", shpPointZ, pointShape(shpPointZ, 3.5, -7.25), mustWKB(t, geom.NewPointFlat(geom.XY, []float64{3.5, -7.25}))},
		{"PointM", shpPointM, pointShape(shpPointM, 3.5, -7.25), mustWKB(t, geom.NewPointFlat(geom.XY, []float64{3.5, -7.25}))},
		{"multipoint", shpMultiPoint, multiPointShape(shpMultiPoint, [2]float64{1, 2}, [2]float64{3, 4}),
			mustWKB(t, geom.NewMultiPointFlat(geom.XY, []float64{1, 2, 3, 4}))},
		{"MultiPointZ", shpMultiPointZ, multiPointShape(shpMultiPointZ, [2]float64{1, 2}, [2]float64{3, 4}),
			mustWKB(t, geom.NewMultiPointFlat(geom.XY, []float64{1, 2, 3, 4}))},
		{"multipoint without points", shpMultiPoint, multiPointShape(shpMultiPoint), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := shapeWKB(tt.content, tt.fileType)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("WKB\n got %x\nwant %x", got, tt.want)
			}
		})
	}
}

func TestShapeWKBErrors(t *testing.T) {
	open := [][2]float64{{0, 0}, {0, 1}, {1, 1}, {1, 0}}
	short := [][2]float64{{0, 0}, {0, 1}, {0, 0}}
	truncated := polygonShape(shpPolygon, square(0, 0, 1, true))
	truncated = truncated[:len(truncated)-8]
	tests := []struct {
		name     string
		fileType int
		content  []byte
		want     string
	}{
		{"ring not closed", shpPolygon, polygonShape(shpPolygon, square(0, 0, 9, true), open), "ring 2 is not closed"},
		{"ring too short", shpPolygon, polygonShape(shpPolygon, short), "ring 1 has 3 points; a ring needs at least 4"},
		{"other shape type than the file's", shpPolygon, pointShape(shpPoint, 1, 2), "shape type Point in a file of type Polygon"},
		{"points missing", shpPolygon, truncated, "polygon record of 120 bytes cannot hold 1 parts with 5 points"},
		{"point too short", shpPoint, pointShape(shpPoint, 1, 2)[:12], "point record of 12 bytes is too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := shapeWKB(tt.content, tt.fileType)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestShapefileRecords reads written files end to end: deleted records are
// skipped but the others keep their record numbers, Null shapes have no
// geometry, and a bad record is named.
func TestShapefileRecords(t *testing.T) {
	dir := t.TempDir()
	sq := square(10, 10, 1, true)
	s := testShapefile{
		shapeType: shpPolygon,
		fields:    []testField{{"ID", 'C', 4, 0}},
		records: []testRecord{
			{values: []string{"a"}, shape: polygonShape(shpPolygon, sq)},
			{values: []string{"b"}, shape: polygonShape(shpPolygon, sq), deleted: true},
			{values: []string{"c"}},
			{values: []string{"d"}, shape: polygonShape(shpPolygon, sq)},
		},
	}
	ds, err := Open(s.write(t, dir, "records"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	sqWKB := wantMultiPolygon(t, [][][2]float64{sq})
	want := []Feature{
		{Number: 1, Attrs: map[string]string{"ID": "a"}, WKB: sqWKB},
		{Number: 3, Attrs: map[string]string{"ID": "c"}},
		{Number: 4, Attrs: map[string]string{"ID": "d"}, WKB: sqWKB},
	}
	assertFeatures(t, ds.Features, want)
	if ds.Layer != "records" || ds.CRS != (CRS{}) {
		t.Errorf("layer %q, CRS %+v; want records and no CRS", ds.Layer, ds.CRS)
	}

	s.records[2].shape = polygonShape(shpPolygon, sq[:4])
	p := s.write(t, dir, "broken")
	_, err = Open(p, Options{})
	var e *Error
	if !errors.As(err, &e) || e.Path != p || e.Feature != 3 || e.Reason != "ring 1 is not closed" {
		t.Errorf("error %v, want %s: feature 3: ring 1 is not closed", err, p)
	}
}

func assertFeatures(t *testing.T, got, want []Feature) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d features, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Number != w.Number || !bytes.Equal(g.WKB, w.WKB) || !sameAttrs(g.Attrs, w.Attrs) {
			t.Errorf("feature %d:\n got %d %v %x\nwant %d %v %x", i, g.Number, g.Attrs, g.WKB, w.Number, w.Attrs, w.WKB)
		}
	}
}

func sameAttrs(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestUnsupportedShapeType(t *testing.T) {
	s := testShapefile{shapeType: shpPolyLine, fields: []testField{{"ID", 'C', 4, 0}}}
	p := s.write(t, t.TempDir(), "lines")
	_, err := Open(p, Options{})
	if err == nil || !strings.HasSuffix(err.Error(), "shape type PolyLine is not supported (only polygons and points)") {
		t.Errorf("error %v", err)
	}
}
