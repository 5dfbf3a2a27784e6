package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// readGeoJSON reads an RFC 7946 FeatureCollection, or a single Feature.
// The features array is decoded one feature at a time, so a file of tens of
// megabytes never exists twice in memory.
//
// Attributes are the members of "properties" as text: strings as they are,
// numbers in their JSON spelling, booleans as "true"/"false", null as "",
// objects and arrays as compact JSON. Fields are the property names in the
// order first seen. A feature's "id" member becomes the attribute "id" when
// its properties have no "id" of their own.
//
// The CRS is CRS84 (SRID 4326) unless the legacy "crs" member names
// another; see geojsonCRS. Coordinates are passed on in file order.
func readGeoJSON(path string, _ Options) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Path: path, Reason: err.Error()}
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	// RFC 8259 §8.1 lets parsers ignore a byte order mark; editors on
	// Windows add one.
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	r := &geojsonReader{
		path: path,
		dec:  json.NewDecoder(br),
		ds:   &Dataset{Path: path, Layer: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))},
		seen: map[string]bool{},
	}
	if err := r.read(); err != nil {
		return nil, err
	}
	// Every feature carries every field, "" where it had none.
	for i := range r.ds.Features {
		attrs := r.ds.Features[i].Attrs
		for _, name := range r.ds.Fields {
			if _, ok := attrs[name]; !ok {
				attrs[name] = ""
			}
		}
	}
	return r.ds, nil
}

type geojsonReader struct {
	path string
	dec  *json.Decoder
	ds   *Dataset
	seen map[string]bool // field names already in ds.Fields
}

// geojsonFeature is a Feature object with its members still encoded.
type geojsonFeature struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id"`
	Properties json.RawMessage `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

// read walks the top-level object member by member, streaming "features".
func (r *geojsonReader) read() error {
	if err := r.expectDelim('{', "a GeoJSON object"); err != nil {
		return err
	}
	var (
		typ         string
		crsMember   json.RawMessage
		hasFeatures bool
		single      geojsonFeature // members of a top-level Feature
	)
	for r.dec.More() {
		key, err := r.key()
		if err != nil {
			return err
		}
		switch key {
		case "type":
			err = r.dec.Decode(&typ)
		case "features":
			hasFeatures = true
			err = r.readFeatures()
		case "crs":
			err = r.dec.Decode(&crsMember)
		case "id":
			err = r.dec.Decode(&single.ID)
		case "properties":
			err = r.dec.Decode(&single.Properties)
		case "geometry":
			err = r.dec.Decode(&single.Geometry)
		default:
			var skip json.RawMessage
			err = r.dec.Decode(&skip)
		}
		if err != nil {
			return r.syntaxError(err, fmt.Sprintf("member %q", key))
		}
	}
	if _, err := r.dec.Token(); err != nil { // the closing brace
		return r.syntaxError(err, "top-level object")
	}
	if _, err := r.dec.Token(); err != io.EOF {
		return &Error{Path: r.path, Reason: fmt.Sprintf("unexpected data after the GeoJSON object at byte %d", r.dec.InputOffset())}
	}

	switch typ {
	case "FeatureCollection":
		if !hasFeatures {
			return &Error{Path: r.path, Reason: `FeatureCollection has no "features" member`}
		}
	case "Feature":
		single.Type = typ
		f, err := r.feature(1, single)
		if err != nil {
			return err
		}
		r.ds.Features = append(r.ds.Features, f)
	default:
		return &Error{Path: r.path, Reason: fmt.Sprintf("GeoJSON type %q: expected a FeatureCollection or a Feature", typ)}
	}

	crs, err := geojsonCRS(crsMember)
	if err != nil {
		return &Error{Path: r.path, Field: "crs", Reason: err.Error()}
	}
	r.ds.CRS = crs
	return nil
}

// readFeatures decodes the features array element by element.
func (r *geojsonReader) readFeatures() error {
	if err := r.expectDelim('[', `"features" as an array`); err != nil {
		return err
	}
	for n := 1; r.dec.More(); n++ {
		var raw geojsonFeature
		if err := r.dec.Decode(&raw); err != nil {
			var syn *json.SyntaxError
			switch {
			case errors.Is(err, io.ErrUnexpectedEOF):
				return &Error{Path: r.path, Feature: n, Reason: "file ends inside the feature (truncated?)"}
			case errors.As(err, &syn):
				return &Error{Path: r.path, Feature: n, Reason: fmt.Sprintf("invalid JSON: %v", err)}
			}
			return &Error{Path: r.path, Feature: n, Reason: "not a Feature object"}
		}
		f, err := r.feature(n, raw)
		if err != nil {
			return err
		}
		r.ds.Features = append(r.ds.Features, f)
	}
	_, err := r.dec.Token() // the closing bracket
	return err
}

// feature converts feature n.
func (r *geojsonReader) feature(n int, raw geojsonFeature) (Feature, error) {
	fail := func(field, reason string) (Feature, error) {
		return Feature{}, &Error{Path: r.path, Feature: n, Field: field, Reason: reason}
	}
	if raw.Type != "Feature" {
		return fail("", fmt.Sprintf("type %q: expected \"Feature\"", raw.Type))
	}
	names, values, err := geojsonProperties(raw.Properties)
	if err != nil {
		return fail("", err.Error())
	}
	f := Feature{Number: n, Attrs: make(map[string]string, len(names)+1)}
	if !geojsonIsNull(raw.ID) {
		if _, own := geojsonIndex(names, "id"); !own {
			id, err := geojsonText(raw.ID)
			if err != nil {
				return fail("id", err.Error())
			}
			r.addField("id")
			f.Attrs["id"] = id
		}
	}
	for i, name := range names {
		r.addField(name)
		f.Attrs[name] = values[i]
	}
	if f.WKB, err = geojsonWKB(raw.Geometry); err != nil {
		return fail("", "geometry: "+err.Error())
	}
	return f, nil
}

func (r *geojsonReader) addField(name string) {
	if !r.seen[name] {
		r.seen[name] = true
		r.ds.Fields = append(r.ds.Fields, name)
	}
}

func (r *geojsonReader) expectDelim(d json.Delim, what string) error {
	tok, err := r.dec.Token()
	if err != nil {
		return r.syntaxError(err, "expected "+what)
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return &Error{Path: r.path, Reason: fmt.Sprintf("expected %s at byte %d, found %v", what, r.dec.InputOffset(), tok)}
	}
	return nil
}

func (r *geojsonReader) key() (string, error) {
	tok, err := r.dec.Token()
	if err != nil {
		return "", r.syntaxError(err, "top-level object")
	}
	key, ok := tok.(string)
	if !ok {
		return "", &Error{Path: r.path, Reason: fmt.Sprintf("expected a member name at byte %d", r.dec.InputOffset())}
	}
	return key, nil
}

// syntaxError turns a decoder error into an *Error, passing ours through.
func (r *geojsonReader) syntaxError(err error, where string) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Path: r.path, Reason: fmt.Sprintf("%s: file ends too early (truncated?)", where)}
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return &Error{Path: r.path, Reason: fmt.Sprintf("%s: invalid JSON: %v", where, err)}
	}
	return &Error{Path: r.path, Reason: fmt.Sprintf("%s: %v", where, err)}
}

// geojsonProperties decodes a properties object keeping its member order.
func geojsonProperties(raw json.RawMessage) (names, values []string, err error) {
	if geojsonIsNull(raw) {
		return nil, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("properties is not an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("properties: %w", err)
		}
		name := tok.(string) // object keys are always strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("property %q: %w", name, err)
		}
		text, err := geojsonText(v)
		if err != nil {
			return nil, nil, fmt.Errorf("property %q: %w", name, err)
		}
		// A repeated name keeps its first position and its last value, as
		// JSON decoders commonly do.
		if i, dup := geojsonIndex(names, name); dup {
			values[i] = text
			continue
		}
		names = append(names, name)
		values = append(values, text)
	}
	return names, values, nil
}

// geojsonText renders a JSON value as attribute text.
func geojsonText(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", nil
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		return s, nil
	case 'n':
		return "", nil
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	// Numbers keep their spelling (no float round trip: "0101" cannot
	// occur, but 15844742.357640002 must stay as written); true, false.
	return string(v), nil
}

func geojsonIsNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || string(v) == "null"
}

func geojsonIndex(list []string, s string) (int, bool) {
	for i, x := range list {
		if x == s {
			return i, true
		}
	}
	return -1, false
}
