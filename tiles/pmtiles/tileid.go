package pmtiles

import "fmt"

// MaxZoom is the highest zoom a tile ID can address: the IDs of all tiles
// up to zoom 31 fit into 64 bits, those of zoom 32 do not.
const MaxZoom = 31

// zoomBase is the first tile ID of zoom z: the number of tiles on all lower
// zooms, sum over i<z of 4^i = (4^z-1)/3.
func zoomBase(z uint32) uint64 {
	return (uint64(1)<<(2*z) - 1) / 3
}

// TileID is the tile's position on the series of Hilbert curves that
// starts at zoom 0 (spec 4.1, "TileID"): zoom z's tiles follow all tiles of
// lower zooms, ordered along the Hilbert curve of order z, so neighbouring
// tiles get nearby IDs and the tiles of one area cluster in the archive.
func TileID(z, x, y uint32) (uint64, error) {
	if z > MaxZoom {
		return 0, fmt.Errorf("tile %d/%d/%d: zoom above %d", z, x, y, MaxZoom)
	}
	n := uint64(1) << z
	if uint64(x) >= n || uint64(y) >= n {
		return 0, fmt.Errorf("tile %d/%d/%d: x and y must be below %d at zoom %d", z, x, y, n, z)
	}
	return zoomBase(z) + hilbertIndex(n, uint64(x), uint64(y)), nil
}

// hilbertIndex is the distance of (x, y) along the Hilbert curve filling an
// n×n grid, n a power of two: quadrant by quadrant from the largest, each
// step adding the cells of the quadrants passed and turning the remaining
// coordinates into the quadrant's own orientation. Quadrants are visited
// (0,0), (0,1), (1,1), (1,0), the order of the spec's zoom 1 IDs 1 to 4.
func hilbertIndex(n, x, y uint64) uint64 {
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint64
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		x, y = rotate(s, x, y, rx, ry)
	}
	return d
}

// hilbertCell inverts hilbertIndex, building the coordinates from the
// smallest quadrant up.
func hilbertCell(n, d uint64) (x, y uint64) {
	for s := uint64(1); s < n; s *= 2 {
		rx := 1 & (d / 2)
		ry := 1 & (d ^ rx)
		x, y = rotate(s, x, y, rx, ry)
		x += s * rx
		y += s * ry
		d /= 4
	}
	return x, y
}

// rotate turns the lower bits of (x, y) so that quadrant (rx, ry) of a
// 2s×2s square is traversed in the orientation of the whole curve: the
// first quadrant is mirrored on the diagonal, the last on the
// anti-diagonal.
func rotate(s, x, y, rx, ry uint64) (uint64, uint64) {
	if ry != 0 {
		return x, y
	}
	if rx == 1 {
		x = s - 1 - x&(s-1) + x&^(s-1)
		y = s - 1 - y&(s-1) + y&^(s-1)
	}
	return y, x
}

// TileZXY inverts TileID.
func TileZXY(id uint64) (z, x, y uint32, err error) {
	for z = 0; z <= MaxZoom; z++ {
		if id < zoomBase(z+1) {
			hx, hy := hilbertCell(uint64(1)<<z, id-zoomBase(z))
			return z, uint32(hx), uint32(hy), nil
		}
	}
	return 0, 0, 0, fmt.Errorf("tile id %d: beyond zoom %d", id, MaxZoom)
}
