package source

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"
)

// GeoPackage geometry blob header (OGC GeoPackage Encoding Standard 1.3,
// clause 2.1.3): "GP", version, flags, srs_id (int32), envelope; then WKB.
const (
	gpkgBlobHeaderSize = 8
	gpkgFlagEmpty      = 1 << 4
	gpkgFlagExtended   = 1 << 5
)

// gpkgEnvelopeSize gives the envelope length for the flags' envelope
// contents indicator (bits 1–3): none, XY, XYZ, XYM, XYZM.
func gpkgEnvelopeSize(flags byte) (int, error) {
	switch ind := (flags >> 1) & 0x07; ind {
	case 0:
		return 0, nil
	case 1:
		return 32, nil
	case 2, 3:
		return 48, nil
	case 4:
		return 64, nil
	default:
		return 0, fmt.Errorf("invalid envelope indicator %d", ind)
	}
}

// gpkgWKB turns a GeoPackage geometry blob into 2D WKB, with a Polygon
// promoted to a MultiPolygon. An empty geometry gives nil: the caller
// treats it as a feature without geometry.
func gpkgWKB(blob []byte) ([]byte, error) {
	if len(blob) < gpkgBlobHeaderSize || blob[0] != 'G' || blob[1] != 'P' {
		return nil, fmt.Errorf("geometry is not a GeoPackage binary (no GP header)")
	}
	if v := blob[2]; v != 0 {
		return nil, fmt.Errorf("unsupported GeoPackage binary version %d", int(v)+1)
	}
	flags := blob[3]
	if flags&gpkgFlagExtended != 0 {
		return nil, fmt.Errorf("extended GeoPackage geometry types are not supported")
	}
	env, err := gpkgEnvelopeSize(flags)
	if err != nil {
		return nil, err
	}
	if flags&gpkgFlagEmpty != 0 {
		return nil, nil
	}
	if len(blob) < gpkgBlobHeaderSize+env {
		return nil, fmt.Errorf("geometry blob of %d bytes is shorter than its header", len(blob))
	}
	// GeoPackage writes an empty point as NaN coordinates.
	g, err := wkb.Unmarshal(blob[gpkgBlobHeaderSize+env:], wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN))
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("invalid WKB: the data ends early")
	}
	if err != nil {
		return nil, fmt.Errorf("invalid WKB: %w", err)
	}
	if g.Empty() {
		return nil, nil
	}
	if p, ok := g.(*geom.Point); ok && math.IsNaN(p.X()) && math.IsNaN(p.Y()) {
		return nil, nil
	}
	g, err = force2D(g)
	if err != nil {
		return nil, err
	}
	if p, ok := g.(*geom.Polygon); ok {
		mp := geom.NewMultiPolygon(geom.XY)
		if err := mp.Push(p); err != nil {
			return nil, err
		}
		g = mp
	}
	return wkb.Marshal(g, wkb.NDR)
}
