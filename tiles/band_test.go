package tiles

import "testing"

func TestBand(t *testing.T) {
	want := map[int]int{0: 4, 3: 4, 4: 4, 5: 6, 6: 6, 7: 8, 8: 8, 9: 10, 10: 10, 11: 12, 12: 12, 13: 14, 14: 14, 15: 14, 22: 14}
	for z, b := range want {
		if got := Band(z); got != b {
			t.Errorf("Band(%d) = %d, want %d", z, got, b)
		}
	}
	for _, b := range Bands {
		if Band(b) != b {
			t.Errorf("band %d does not serve its own zoom", b)
		}
	}
}

func TestTolerance(t *testing.T) {
	tests := []struct {
		band int
		want float64
	}{
		{4, 305.748113140705},
		{8, 19.109257071294063},
		{12, 1.194328566955879},
		{14, 0},
	}
	for _, tt := range tests {
		if got := Tolerance(tt.band); got != tt.want {
			t.Errorf("Tolerance(%d) = %v, want %v", tt.band, got, tt.want)
		}
	}
}
