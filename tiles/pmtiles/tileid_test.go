package pmtiles

import "testing"

func TestTileIDKnownValues(t *testing.T) {
	// The spec's table (4.1, "TileID"), the first and last tile of some
	// zooms, and the highest zoom that fits.
	tests := []struct {
		z, x, y uint32
		id      uint64
	}{
		{0, 0, 0, 0},
		{1, 0, 0, 1},
		{1, 0, 1, 2},
		{1, 1, 1, 3},
		{1, 1, 0, 4},
		{2, 0, 0, 5},
		{2, 3, 0, 20},
		{3, 0, 0, 21},
		{3, 7, 0, 84},
		{12, 3423, 1763, 19078479},
		{31, 0, 0, 1537228672809129301},
		{31, 1<<31 - 1, 0, 6148914691236517204},
	}
	for _, tt := range tests {
		id, err := TileID(tt.z, tt.x, tt.y)
		if err != nil {
			t.Fatalf("TileID(%d, %d, %d): %v", tt.z, tt.x, tt.y, err)
		}
		if id != tt.id {
			t.Errorf("TileID(%d, %d, %d) = %d, want %d", tt.z, tt.x, tt.y, id, tt.id)
		}
		z, x, y, err := TileZXY(tt.id)
		if err != nil {
			t.Fatalf("TileZXY(%d): %v", tt.id, err)
		}
		if z != tt.z || x != tt.x || y != tt.y {
			t.Errorf("TileZXY(%d) = %d/%d/%d, want %d/%d/%d", tt.id, z, x, y, tt.z, tt.x, tt.y)
		}
	}
}

// TestTileIDCurve checks, for every tile up to zoom 8, that the IDs are
// dense (zoom z owns exactly the IDs after those of zoom z-1), that they
// round-trip, and that consecutive IDs of a zoom are edge neighbours, the
// defining property of a Hilbert curve.
func TestTileIDCurve(t *testing.T) {
	var want uint64
	for z := uint32(0); z <= 8; z++ {
		n := uint32(1) << z
		cells := make([][2]uint32, uint64(n)*uint64(n))
		base := want
		for x := range n {
			for y := range n {
				id, err := TileID(z, x, y)
				if err != nil {
					t.Fatal(err)
				}
				if id < base || id-base >= uint64(len(cells)) {
					t.Fatalf("TileID(%d, %d, %d) = %d outside zoom %d's range [%d, %d)", z, x, y, id, z, base, base+uint64(len(cells)))
				}
				cells[id-base] = [2]uint32{x + 1, y + 1}
				gz, gx, gy, err := TileZXY(id)
				if err != nil || gz != z || gx != x || gy != y {
					t.Fatalf("TileZXY(%d) = %d/%d/%d, %v; want %d/%d/%d", id, gz, gx, gy, err, z, x, y)
				}
			}
		}
		for i, c := range cells {
			if c == [2]uint32{} {
				t.Fatalf("zoom %d: no tile has id %d", z, base+uint64(i))
			}
			if i == 0 {
				continue
			}
			p := cells[i-1]
			if d := absDiff(c[0], p[0]) + absDiff(c[1], p[1]); d != 1 {
				t.Fatalf("zoom %d: ids %d and %d are tiles %v and %v, %d steps apart", z, base+uint64(i-1), base+uint64(i), p, c, d)
			}
		}
		want += uint64(len(cells))
	}
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestTileIDErrors(t *testing.T) {
	tests := []struct {
		z, x, y uint32
		want    string
	}{
		{32, 0, 0, "tile 32/0/0: zoom above 31"},
		{0, 1, 0, "tile 0/1/0: x and y must be below 1 at zoom 0"},
		{3, 0, 8, "tile 3/0/8: x and y must be below 8 at zoom 3"},
	}
	for _, tt := range tests {
		_, err := TileID(tt.z, tt.x, tt.y)
		if err == nil || err.Error() != tt.want {
			t.Errorf("TileID(%d, %d, %d) error = %v, want %q", tt.z, tt.x, tt.y, err, tt.want)
		}
	}
	if _, _, _, err := TileZXY(6148914691236517205); err == nil || err.Error() != "tile id 6148914691236517205: beyond zoom 31" {
		t.Errorf("TileZXY beyond zoom 31: error = %v", err)
	}
}
