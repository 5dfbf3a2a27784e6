package oapif

import (
	"math"
	"testing"

	"github.com/sozialatlas/sozialatlas/geo"
)

func TestBBoxKm2(t *testing.T) {
	for _, c := range []struct {
		name string
		b    geo.BBox
		want float64
	}{
		// the whole sphere: 4πR²
		{"world", geo.BBox{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90, SRID: 4326}, 4 * math.Pi * earthRadiusKm * earthRadiusKm},
		// one degree square at the equator: R² · π/180 · sin 1°
		{"degree at the equator", geo.BBox{MinX: 0, MinY: 0, MaxX: 1, MaxY: 1, SRID: 4326}, 12363.71},
		// the same in EPSG:4326 order, latitude first
		{"latitude first", geo.BBox{MinX: 0, MinY: 0, MaxX: 1, MaxY: 1, SRID: 4326, LatLon: true}, 12363.71},
		// a 10 km UTM square
		{"utm", geo.BBox{MinX: 500000, MinY: 5600000, MaxX: 510000, MaxY: 5610000, SRID: 25832}, 100},
		// Web Mercator's northern half of its square reaches 85.0511°
		{"mercator", geo.BBox{MinX: 0, MinY: 0, MaxX: 20037508.342789244, MaxY: 20037508.342789244, SRID: 3857},
			earthRadiusKm * earthRadiusKm * math.Pi * math.Sin(85.0511287798*math.Pi/180)},
	} {
		if got := bboxKm2(c.b); math.Abs(got-c.want) > 0.05+1e-6*c.want {
			t.Errorf("%s: %.2f km², want %.2f", c.name, got, c.want)
		}
	}
}
