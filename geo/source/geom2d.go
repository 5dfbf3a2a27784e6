package source

import (
	"fmt"

	"github.com/twpayne/go-geom"
)

// force2D drops Z and M values: every reader hands out 2D WKB.
func force2D(g geom.T) (geom.T, error) {
	if g.Layout() == geom.XY {
		return g, nil
	}
	stride := g.Stride()
	flat := func() []float64 {
		in := g.FlatCoords()
		out := make([]float64, 0, len(in)/stride*2)
		for i := 0; i < len(in); i += stride {
			out = append(out, in[i], in[i+1])
		}
		return out
	}
	scale := func(ends []int) []int {
		out := make([]int, len(ends))
		for i, e := range ends {
			out[i] = e / stride * 2
		}
		return out
	}
	switch g := g.(type) {
	case *geom.Point:
		return geom.NewPointFlat(geom.XY, flat()), nil
	case *geom.LineString:
		return geom.NewLineStringFlat(geom.XY, flat()), nil
	case *geom.Polygon:
		return geom.NewPolygonFlat(geom.XY, flat(), scale(g.Ends())), nil
	case *geom.MultiPoint:
		return geom.NewMultiPointFlat(geom.XY, flat()), nil
	case *geom.MultiLineString:
		return geom.NewMultiLineStringFlat(geom.XY, flat(), scale(g.Ends())), nil
	case *geom.MultiPolygon:
		endss := make([][]int, len(g.Endss()))
		for i, ends := range g.Endss() {
			endss[i] = scale(ends)
		}
		return geom.NewMultiPolygonFlat(geom.XY, flat(), endss), nil
	case *geom.GeometryCollection:
		out := geom.NewGeometryCollection()
		for _, member := range g.Geoms() {
			m, err := force2D(member)
			if err != nil {
				return nil, err
			}
			if err := out.Push(m); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported geometry type %T", g)
}
