package source

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// The dBase table (.dbf) of a shapefile, as laid out by dBase III+ and
// dBase level 5: a 32-byte header, 32-byte field descriptors ended by 0x0D,
// then fixed-length records, each led by a deletion flag byte.
const (
	dbfHeaderSize     = 32
	dbfDescriptorSize = 32
	dbfDescriptorEnd  = 0x0D
	dbfLive           = ' '
	dbfDeleted        = '*'
)

type dbfField struct {
	name     string
	typ      byte
	offset   int // within the record, after the deletion flag
	length   int
	decimals int
}

// dbfTable is a parsed .dbf whose record bytes are decoded on demand, so the
// character set can be chosen after looking at the data.
type dbfTable struct {
	path       string
	ldid       byte // language driver id, 0 if none
	fields     []dbfField
	numRecords int
	recLen     int
	records    []byte // numRecords * recLen bytes
}

// parseDBF checks the header and field descriptors of a .dbf and that it
// holds as many records as its header announces. Field names are decoded
// later with the table's character set, so they are kept raw here.
func parseDBF(path string, data []byte) (*dbfTable, [][]byte, error) {
	if len(data) < dbfHeaderSize+1 {
		return nil, nil, &Error{Path: path, Reason: fmt.Sprintf("too short for a dBase table (%d bytes)", len(data))}
	}
	t := &dbfTable{
		path:       path,
		ldid:       data[29],
		numRecords: int(binary.LittleEndian.Uint32(data[4:8])),
		recLen:     int(binary.LittleEndian.Uint16(data[10:12])),
	}
	headerLen := int(binary.LittleEndian.Uint16(data[8:10]))
	if headerLen < dbfHeaderSize+1 || headerLen > len(data) {
		return nil, nil, &Error{Path: path, Reason: fmt.Sprintf("header length %d does not fit the file (%d bytes)", headerLen, len(data))}
	}

	var rawNames [][]byte
	offset := 1 // the deletion flag comes first
	for pos := dbfHeaderSize; pos < headerLen && data[pos] != dbfDescriptorEnd; pos += dbfDescriptorSize {
		if pos+dbfDescriptorSize > headerLen {
			return nil, nil, &Error{Path: path, Reason: "field descriptors run past the header"}
		}
		d := data[pos : pos+dbfDescriptorSize]
		name := d[:11]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		f := dbfField{typ: d[11], offset: offset, length: int(d[16]), decimals: int(d[17])}
		offset += f.length
		t.fields = append(t.fields, f)
		rawNames = append(rawNames, name)
	}
	if len(t.fields) == 0 {
		return nil, nil, &Error{Path: path, Reason: "no field descriptors"}
	}
	if offset != t.recLen {
		return nil, nil, &Error{Path: path, Reason: fmt.Sprintf("record length %d in the header, but the fields add up to %d", t.recLen, offset)}
	}

	body := data[headerLen:]
	if need := t.numRecords * t.recLen; len(body) < need {
		complete := len(body) / t.recLen
		return nil, nil, &Error{Path: path, Feature: complete + 1, Reason: fmt.Sprintf(
			"file is truncated: the header announces %d records, the file ends within record %d", t.numRecords, complete+1)}
	}
	t.records = body[:t.numRecords*t.recLen]
	return t, rawNames, nil
}

// record returns the raw bytes of record i (0-based), deletion flag first.
func (t *dbfTable) record(i int) []byte {
	return t.records[i*t.recLen : (i+1)*t.recLen]
}

// deleted reports whether record i is marked deleted.
func (t *dbfTable) deleted(i int) (bool, error) {
	switch flag := t.record(i)[0]; flag {
	case dbfLive:
		return false, nil
	case dbfDeleted:
		return true, nil
	default:
		return false, &Error{Path: t.path, Feature: i + 1, Reason: fmt.Sprintf("invalid deletion flag 0x%02x (expected ' ' or '*')", flag)}
	}
}

// readable reports whether a field's values are read. Memo, binary and
// general fields only point into a .dbt/.fpt file, which is not read.
func (f dbfField) readable() bool {
	switch f.typ {
	case 'M', 'B', 'G', 'P':
		return false
	}
	return true
}

// checkFieldTypes rejects field types whose values could not be turned
// into text, before any record is read.
func (t *dbfTable) checkFieldTypes() error {
	for _, f := range t.fields {
		switch f.typ {
		case 'C', 'N', 'F', 'L', 'D', 'M', 'B', 'G', 'P':
		default:
			return &Error{Path: t.path, Field: f.name, Reason: fmt.Sprintf("unsupported dBase field type %q", f.typ)}
		}
	}
	return nil
}

// value renders field f of a record as text: C trimmed and decoded,
// N/F as written (trimmed), D as YYYY-MM-DD, L as "true"/"false", null as "".
func (t *dbfTable) value(rec []byte, num int, f dbfField, cs charset) (string, error) {
	raw := trimDBF(rec[f.offset : f.offset+f.length])
	bad := func(reason string) error {
		return &Error{Path: t.path, Feature: num, Field: f.name, Reason: reason}
	}
	switch f.typ {
	case 'C':
		s, err := cs.decode(raw)
		if err != nil {
			return "", bad(err.Error())
		}
		return s, nil
	case 'N', 'F':
		// A value of only '*' overflowed the field width when written; dBase
		// writers use it for "no value".
		if len(strings.Trim(string(raw), "*")) == 0 {
			return "", nil
		}
		if !isASCII(raw) {
			return "", bad(fmt.Sprintf("invalid number %q", raw))
		}
		return string(raw), nil
	case 'D':
		s := string(raw)
		if s == "" || s == "00000000" {
			return "", nil
		}
		if len(s) != 8 || !isDigits(s) {
			return "", bad(fmt.Sprintf("invalid date %q (expected YYYYMMDD)", raw))
		}
		return s[:4] + "-" + s[4:6] + "-" + s[6:], nil
	case 'L':
		if len(raw) == 0 {
			return "", nil
		}
		switch raw[0] {
		case 'T', 't', 'Y', 'y':
			return "true", nil
		case 'F', 'f', 'N', 'n':
			return "false", nil
		case '?':
			return "", nil
		}
		return "", bad(fmt.Sprintf("invalid logical value %q", raw))
	}
	return "", bad(fmt.Sprintf("unsupported dBase field type %q", f.typ))
}

// trimDBF drops the blank and NUL padding that writers put around values.
func trimDBF(b []byte) []byte {
	isPad := func(c byte) bool { return c == ' ' || c == 0 }
	for len(b) > 0 && isPad(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && isPad(b[0]) {
		b = b[1:]
	}
	return b
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
