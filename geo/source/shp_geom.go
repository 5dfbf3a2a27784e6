package source

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
)

// shapeWKB turns one record's content into 2D WKB: polygons always as a
// MultiPolygon, points as Point or MultiPoint. Z and M values, stored after
// the XY coordinates, are not read. A Null shape or one without points gives
// nil. The returned error's reason is completed with the record by the caller.
func shapeWKB(content []byte, fileType int) ([]byte, error) {
	le := binary.LittleEndian
	typ := int(int32(le.Uint32(content[0:4])))
	if typ == shpNull {
		return nil, nil
	}
	if typ != fileType {
		return nil, fmt.Errorf("shape type %s in a file of type %s", shapeTypeName(typ), shapeTypeName(fileType))
	}
	body := content[4:]
	switch typ {
	case shpPoint, shpPointZ, shpPointM:
		if len(body) < 16 {
			return nil, fmt.Errorf("point record of %d bytes is too short", len(content))
		}
		p := geom.NewPointFlat(geom.XY, []float64{readFloat(body, 0), readFloat(body, 8)})
		return wkb.Marshal(p, wkb.NDR)

	case shpMultiPoint, shpMultiPointZ, shpMultiPointM:
		// box (32 bytes), number of points, points
		if len(body) < 36 {
			return nil, fmt.Errorf("multipoint record of %d bytes is too short", len(content))
		}
		n := int64(int32(le.Uint32(body[32:36])))
		if n < 0 || 36+16*n > int64(len(body)) {
			return nil, fmt.Errorf("multipoint record of %d bytes cannot hold %d points", len(content), n)
		}
		if n == 0 {
			return nil, nil
		}
		coords := readCoords(body[36:], int(n))
		return wkb.Marshal(geom.NewMultiPointFlat(geom.XY, coords), wkb.NDR)

	case shpPolygon, shpPolygonZ, shpPolygonM:
		// box (32 bytes), number of parts, number of points, part starts, points
		if len(body) < 40 {
			return nil, fmt.Errorf("polygon record of %d bytes is too short", len(content))
		}
		numParts := int64(int32(le.Uint32(body[32:36])))
		numPoints := int64(int32(le.Uint32(body[36:40])))
		if numParts < 0 || numPoints < 0 || 40+4*numParts+16*numPoints > int64(len(body)) {
			return nil, fmt.Errorf("polygon record of %d bytes cannot hold %d parts with %d points", len(content), numParts, numPoints)
		}
		if numParts == 0 || numPoints == 0 {
			return nil, nil
		}
		parts := make([]int, numParts+1)
		for i := range numParts {
			parts[i] = int(int32(le.Uint32(body[40+4*i:])))
		}
		parts[numParts] = int(numPoints)
		if parts[0] != 0 {
			return nil, fmt.Errorf("first part starts at point %d, not 0", parts[0])
		}
		for i := 1; i < len(parts); i++ {
			if parts[i] <= parts[i-1] {
				return nil, fmt.Errorf("part %d starts at point %d, not after part %d at %d", i+1, parts[i], i, parts[i-1])
			}
		}
		coords := readCoords(body[40+4*numParts:], int(numPoints))
		flat, endss, err := assemblePolygons(coords, parts)
		if err != nil {
			return nil, err
		}
		return wkb.Marshal(geom.NewMultiPolygonFlat(geom.XY, flat, endss), wkb.NDR)
	}
	return nil, fmt.Errorf("shape type %s is not supported", shapeTypeName(typ))
}

func readFloat(b []byte, off int) float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(b[off:]))
}

// readCoords reads n XY pairs into a flat coordinate slice.
func readCoords(b []byte, n int) []float64 {
	coords := make([]float64, 2*n)
	for i := range coords {
		coords[i] = readFloat(b, 8*i)
	}
	return coords
}
