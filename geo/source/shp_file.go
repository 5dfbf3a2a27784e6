package source

import (
	"encoding/binary"
	"fmt"
)

// Layout of the main file (.shp) after the ESRI Shapefile Technical
// Description (July 1998): a 100-byte header, then records of an 8-byte
// big-endian header (record number, content length in 16-bit words) and
// little-endian content starting with the shape type.
const (
	shpHeaderSize       = 100
	shpRecordHeaderSize = 8
	shpFileCode         = 9994
	shpVersion          = 1000
)

// Shape types of the specification.
const (
	shpNull        = 0
	shpPoint       = 1
	shpPolyLine    = 3
	shpPolygon     = 5
	shpMultiPoint  = 8
	shpPointZ      = 11
	shpPolyLineZ   = 13
	shpPolygonZ    = 15
	shpMultiPointZ = 18
	shpPointM      = 21
	shpPolyLineM   = 23
	shpPolygonM    = 25
	shpMultiPointM = 28
	shpMultiPatch  = 31
)

func shapeTypeName(t int) string {
	switch t {
	case shpNull:
		return "Null"
	case shpPoint:
		return "Point"
	case shpPolyLine:
		return "PolyLine"
	case shpPolygon:
		return "Polygon"
	case shpMultiPoint:
		return "MultiPoint"
	case shpPointZ:
		return "PointZ"
	case shpPolyLineZ:
		return "PolyLineZ"
	case shpPolygonZ:
		return "PolygonZ"
	case shpMultiPointZ:
		return "MultiPointZ"
	case shpPointM:
		return "PointM"
	case shpPolyLineM:
		return "PolyLineM"
	case shpPolygonM:
		return "PolygonM"
	case shpMultiPointM:
		return "MultiPointM"
	case shpMultiPatch:
		return "MultiPatch"
	}
	return fmt.Sprintf("unknown shape type %d", t)
}

// shpRecord is one record's content: shape type and geometry bytes.
type shpRecord struct {
	number  int
	content []byte
}

// shpFile is a .shp split into its records.
type shpFile struct {
	shapeType int
	records   []shpRecord
}

// parseSHP checks the main file header and walks the records, checking
// their numbers and that each lies within the file.
func parseSHP(path string, data []byte) (*shpFile, error) {
	if len(data) < shpHeaderSize {
		return nil, &Error{Path: path, Reason: fmt.Sprintf("too short for a shapefile header (%d of %d bytes)", len(data), shpHeaderSize)}
	}
	if code := int32(binary.BigEndian.Uint32(data[0:4])); code != shpFileCode {
		return nil, &Error{Path: path, Reason: fmt.Sprintf("not a shapefile: file code %d, expected %d", code, shpFileCode)}
	}
	if v := int32(binary.LittleEndian.Uint32(data[28:32])); v != shpVersion {
		return nil, &Error{Path: path, Reason: fmt.Sprintf("unsupported shapefile version %d, expected %d", v, shpVersion)}
	}
	f := &shpFile{shapeType: int(int32(binary.LittleEndian.Uint32(data[32:36])))}
	switch f.shapeType {
	case shpNull, shpPoint, shpPointZ, shpPointM, shpMultiPoint, shpMultiPointZ, shpMultiPointM,
		shpPolygon, shpPolygonZ, shpPolygonM:
	default:
		return nil, &Error{Path: path, Reason: fmt.Sprintf("shape type %s is not supported (only polygons and points)", shapeTypeName(f.shapeType))}
	}

	declared := int64(binary.BigEndian.Uint32(data[24:28])) * 2
	if declared < shpHeaderSize {
		return nil, &Error{Path: path, Reason: fmt.Sprintf("file length %d bytes in the header is shorter than the header", declared)}
	}
	end := int64(len(data))
	truncated := end < declared
	if !truncated {
		end = declared // bytes past the declared length are not part of the file
	}
	pastEnd := func(num int) error {
		if truncated {
			return &Error{Path: path, Feature: num, Reason: fmt.Sprintf(
				"file is truncated: the header gives %d bytes, the file has %d; record %d runs past the end", declared, len(data), num)}
		}
		return &Error{Path: path, Feature: num, Reason: "record runs past the file length given in the header"}
	}

	pos := int64(shpHeaderSize)
	for pos < end {
		num := len(f.records) + 1
		if pos+shpRecordHeaderSize > end {
			return nil, pastEnd(num)
		}
		h := data[pos : pos+shpRecordHeaderSize]
		if got := int(int32(binary.BigEndian.Uint32(h[0:4]))); got != num {
			return nil, &Error{Path: path, Feature: num, Reason: fmt.Sprintf("record number %d where %d was expected", got, num)}
		}
		length := int64(binary.BigEndian.Uint32(h[4:8])) * 2
		start := pos + shpRecordHeaderSize
		if start+length > end {
			return nil, pastEnd(num)
		}
		if length < 4 {
			return nil, &Error{Path: path, Feature: num, Reason: fmt.Sprintf("record content of %d bytes has no shape type", length)}
		}
		f.records = append(f.records, shpRecord{number: num, content: data[start : start+length]})
		pos = start + length
	}
	if truncated {
		return nil, &Error{Path: path, Feature: len(f.records) + 1, Reason: fmt.Sprintf(
			"file is truncated: the header gives %d bytes, the file has %d; it ends before record %d", declared, len(data), len(f.records)+1)}
	}
	return f, nil
}
