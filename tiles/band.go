package tiles

// Bands are the zoom bands of precomputed tile geometry, each named by its
// highest zoom; tile_geom.band holds one of them. Band 14 is the stored
// geometry unsimplified, for every zoom from 13 on.
var Bands = []int{4, 6, 8, 10, 12, 14}

// maxBand is the band of the stored, unsimplified geometry.
const maxBand = 14

// Band returns the band whose geometry serves tiles of zoom z: each band
// covers two zooms, z ≤ 4 and z ≥ 13 share the outer ones.
func Band(z int) int {
	switch {
	case z <= 4:
		return 4
	case z >= 13:
		return maxBand
	}
	return z + z%2
}

// webMercatorSize is the width of the Web Mercator plane in metres
// (2π × 6378137, the sphere radius of EPSG:3857).
const webMercatorSize = 40075016.685578488

// tileExtent is the number of units across a tile (MVT's default extent).
const tileExtent = 4096

// TileUnit returns the width of one tile unit at zoom z in Web Mercator metres.
func TileUnit(z int) float64 {
	return webMercatorSize / float64(int64(1)<<z) / tileExtent
}

// Tolerance returns the simplification tolerance of a band in Web Mercator
// metres: half a tile unit at the band's highest zoom, so that a dropped
// vertex moves the border by less than what the tile grid resolves; 0 for
// the unsimplified top band.
func Tolerance(band int) float64 {
	if band >= maxBand {
		return 0
	}
	return 0.5 * TileUnit(band)
}
