package oapif

import (
	"math"

	"github.com/sozialatlas/sozialatlas/geo"
)

// earthRadiusKm is the radius of the sphere of equal area to the GRS 80
// ellipsoid: a bbox's area is needed only to tell large from small.
const earthRadiusKm = 6371.0072

// bboxKm2 is the area of a bbox of the supported CRSs in km², computed
// without the database. Geographic and Web Mercator boxes are measured on
// the sphere; a UTM box (EPSG:25832, 25833) by its metres, which UTM's
// scale (0.9996 to about 1.001 in Germany) keeps within half a percent.
func bboxKm2(b geo.BBox) float64 {
	switch b.SRID {
	case 4326:
		lonMin, latMin, lonMax, latMax := b.MinX, b.MinY, b.MaxX, b.MaxY
		if b.LatLon {
			lonMin, latMin, lonMax, latMax = b.MinY, b.MinX, b.MaxY, b.MaxX
		}
		return sphereBoxKm2(lonMin, latMin, lonMax, latMax)
	case 3857:
		// Web Mercator's inverse on its sphere of 6378137 m; latitudes
		// beyond its square clamp to the poles.
		const r = 6378137.0
		lon := func(x float64) float64 { return x / r * 180 / math.Pi }
		lat := func(y float64) float64 { return (2*math.Atan(math.Exp(y/r)) - math.Pi/2) * 180 / math.Pi }
		return sphereBoxKm2(lon(b.MinX), lat(b.MinY), lon(b.MaxX), lat(b.MaxY))
	}
	dx, dy := b.MaxX-b.MinX, b.MaxY-b.MinY
	if dx == 0 || dy == 0 {
		// a line or a point, however long: an infinite width times zero
		// would be NaN, which no limit compares against
		return 0
	}
	return dx / 1e3 * (dy / 1e3)
}

// sphereBoxKm2 is the area between two meridians and two parallels.
func sphereBoxKm2(lonMin, latMin, lonMax, latMax float64) float64 {
	rad := math.Pi / 180
	dLon := math.Min(lonMax-lonMin, 360) * rad
	return earthRadiusKm * earthRadiusKm * dLon * math.Abs(math.Sin(latMax*rad)-math.Sin(latMin*rad))
}
