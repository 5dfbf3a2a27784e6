package pmtiles

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// HeaderLen is the fixed length of the header (spec 3).
const HeaderLen = 127

// rootLimit bounds header plus compressed root directory, so that a client
// fetching the first 16 KiB has the whole root directory (spec 4).
const rootLimit = 16384

const magic = "PMTiles"

// Compression is the header's compression enum (spec 3.3).
type Compression uint8

// Compression values of spec 3.3.
const (
	CompressionUnknown Compression = 0
	CompressionNone    Compression = 1
	CompressionGzip    Compression = 2
	CompressionBrotli  Compression = 3
	CompressionZstd    Compression = 4
)

// TileType is the header's tile type enum (spec 3.2, "Tile Type").
type TileType uint8

// TileTypeMVT marks Mapbox Vector Tiles.
const TileTypeMVT TileType = 1

// Header is the decoded 127-byte header (spec 3.1 and 3.2). Offsets count
// from the start of the archive; positions are in degrees.
type Header struct {
	RootOffset, RootLength         uint64
	MetadataOffset, MetadataLength uint64
	LeafOffset, LeafLength         uint64
	DataOffset, DataLength         uint64
	AddressedTiles                 uint64 // tiles before run-length encoding
	TileEntries                    uint64 // entries with a run length above 0
	TileContents                   uint64 // distinct blobs in the tile data
	Clustered                      bool   // blobs ordered by tile ID
	InternalCompression            Compression
	TileCompression                Compression
	TileType                       TileType
	MinZoom, MaxZoom               uint8
	MinLon, MinLat, MaxLon, MaxLat float64
	CenterZoom                     uint8
	CenterLon, CenterLat           float64
}

// e7 encodes a longitude or latitude as the spec's signed 32-bit count of
// 1e-7 degrees (spec 3.4).
func e7(deg float64) int32 {
	return int32(math.Round(deg * 1e7))
}

func encodeHeader(h Header) []byte {
	b := make([]byte, HeaderLen)
	copy(b, magic)
	b[7] = 3
	le := binary.LittleEndian
	for i, v := range []uint64{
		h.RootOffset, h.RootLength, h.MetadataOffset, h.MetadataLength,
		h.LeafOffset, h.LeafLength, h.DataOffset, h.DataLength,
		h.AddressedTiles, h.TileEntries, h.TileContents,
	} {
		le.PutUint64(b[8+8*i:], v)
	}
	if h.Clustered {
		b[96] = 1
	}
	b[97] = byte(h.InternalCompression)
	b[98] = byte(h.TileCompression)
	b[99] = byte(h.TileType)
	b[100] = h.MinZoom
	b[101] = h.MaxZoom
	le.PutUint32(b[102:], uint32(e7(h.MinLon)))
	le.PutUint32(b[106:], uint32(e7(h.MinLat)))
	le.PutUint32(b[110:], uint32(e7(h.MaxLon)))
	le.PutUint32(b[114:], uint32(e7(h.MaxLat)))
	b[118] = h.CenterZoom
	le.PutUint32(b[119:], uint32(e7(h.CenterLon)))
	le.PutUint32(b[123:], uint32(e7(h.CenterLat)))
	return b
}

var errNotPMTiles = errors.New("not a PMTiles archive: magic number missing")

func decodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("header: %d bytes, want %d", len(b), HeaderLen)
	}
	if string(b[:7]) != magic {
		return Header{}, errNotPMTiles
	}
	if b[7] != 3 {
		return Header{}, fmt.Errorf("header: spec version %d, only 3 is supported", b[7])
	}
	le := binary.LittleEndian
	u := func(i int) uint64 { return le.Uint64(b[8+8*i:]) }
	deg := func(off int) float64 { return float64(int32(le.Uint32(b[off:]))) / 1e7 }
	return Header{
		RootOffset: u(0), RootLength: u(1),
		MetadataOffset: u(2), MetadataLength: u(3),
		LeafOffset: u(4), LeafLength: u(5),
		DataOffset: u(6), DataLength: u(7),
		AddressedTiles: u(8), TileEntries: u(9), TileContents: u(10),
		Clustered:           b[96] == 1,
		InternalCompression: Compression(b[97]),
		TileCompression:     Compression(b[98]),
		TileType:            TileType(b[99]),
		MinZoom:             b[100],
		MaxZoom:             b[101],
		MinLon:              deg(102),
		MinLat:              deg(106),
		MaxLon:              deg(110),
		MaxLat:              deg(114),
		CenterZoom:          b[118],
		CenterLon:           deg(119),
		CenterLat:           deg(123),
	}, nil
}
