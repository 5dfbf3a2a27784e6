package pmtiles

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// entry is one directory entry (spec 4.1). RunLength 0 marks a leaf
// directory whose first tile is TileID; Offset then counts from the start
// of the leaf section, otherwise from the start of the tile data.
type entry struct {
	TileID    uint64
	Offset    uint64
	Length    uint32
	RunLength uint32
}

// encodeDirectory serializes entries column by column as varints, tile IDs
// delta-encoded and an offset that continues the previous blob written as
// 0, any other as offset+1 (spec 4.2 and appendix A.1), then gzips it.
func encodeDirectory(entries []entry) ([]byte, error) {
	raw := make([]byte, 0, 8+len(entries)*8)
	raw = binary.AppendUvarint(raw, uint64(len(entries)))
	var last uint64
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, e.TileID-last)
		last = e.TileID
	}
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, uint64(e.RunLength))
	}
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, uint64(e.Length))
	}
	var next uint64
	for i, e := range entries {
		if i > 0 && e.Offset == next {
			raw = binary.AppendUvarint(raw, 0)
		} else {
			raw = binary.AppendUvarint(raw, e.Offset+1)
		}
		next = e.Offset + uint64(e.Length)
	}
	return Gzip(raw, gzip.BestCompression)
}

// decodeDirectory reverses encodeDirectory (spec 4.3 and appendix A.2).
func decodeDirectory(compressed []byte) ([]entry, error) {
	raw, err := Gunzip(compressed)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	r := bytes.NewReader(raw)
	next := func(what string, i int) (uint64, error) {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return 0, fmt.Errorf("directory: %s of entry %d: %w", what, i, err)
		}
		return v, nil
	}
	n, err := next("entry count", 0)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("directory: no entries")
	}
	// Every entry takes at least four bytes, one per varint; a larger count
	// is corrupt and must not size an allocation.
	if n > uint64(len(raw))/4 {
		return nil, fmt.Errorf("directory: %d entries in %d bytes", n, len(raw))
	}
	entries := make([]entry, n)
	var id uint64
	for i := range entries {
		d, err := next("tile id", i)
		if err != nil {
			return nil, err
		}
		id += d
		entries[i].TileID = id
	}
	for i := range entries {
		v, err := next("run length", i)
		if err != nil {
			return nil, err
		}
		entries[i].RunLength = uint32(v)
	}
	for i := range entries {
		v, err := next("length", i)
		if err != nil {
			return nil, err
		}
		if v == 0 || v > 1<<32-1 {
			return nil, fmt.Errorf("directory: entry %d: length %d", i, v)
		}
		entries[i].Length = uint32(v)
	}
	for i := range entries {
		v, err := next("offset", i)
		if err != nil {
			return nil, err
		}
		if v == 0 && i > 0 {
			entries[i].Offset = entries[i-1].Offset + uint64(entries[i-1].Length)
		} else {
			if v == 0 {
				return nil, errors.New("directory: first entry continues no blob")
			}
			entries[i].Offset = v - 1
		}
	}
	return entries, nil
}

// Gzip compresses b at level (compress/gzip's levels): the compression
// PMTiles uses for directories, metadata and tiles, and the tile server
// for what it sends.
func Gzip(b []byte, level int) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// Gunzip reverses Gzip.
func Gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	return out, nil
}
