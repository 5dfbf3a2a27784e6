package pmtiles

import (
	"encoding/json"
	"fmt"
)

// Metadata is the archive's JSON metadata (spec 5) together with the
// header's bounds and center. The JSON keys follow TileJSON 3.0, so a
// viewer builds the same source from the archive as from the live
// TileJSON.
type Metadata struct {
	Name         string
	Description  string
	Attribution  string
	Version      string
	Type         string // "overlay" or "baselayer"
	VectorLayers []VectorLayer
	// Extra holds further top-level keys; it may not repeat the keys
	// above.
	Extra map[string]any

	// Bounds is west, south, east, north in degrees. The zero value means
	// the extent of the tiles written.
	Bounds [4]float64
	// Center is longitude, latitude and zoom. The zero value means the
	// middle of Bounds at the lowest zoom written.
	Center [3]float64
}

// VectorLayer describes one MVT layer (TileJSON 3.0, section 3.3).
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	Fields      map[string]string `json:"fields"`
	// MinZoom and MaxZoom both zero mean the archive's zoom range.
	MinZoom int `json:"minzoom"`
	MaxZoom int `json:"maxzoom"`
}

// ownKey tells the keys Metadata owns in the JSON object.
func ownKey(k string) bool {
	switch k {
	case "name", "description", "attribution", "version", "type", "vector_layers":
		return true
	}
	return false
}

// metadataJSON renders the JSON object; the layers' zero zoom ranges are
// filled with minZoom and maxZoom.
func metadataJSON(m Metadata, minZoom, maxZoom int) ([]byte, error) {
	obj := make(map[string]any, len(m.Extra)+6)
	for k, v := range m.Extra {
		if ownKey(k) {
			return nil, fmt.Errorf("metadata: extra key %q is a Metadata field", k)
		}
		obj[k] = v
	}
	put := func(k, v string) {
		if v != "" {
			obj[k] = v
		}
	}
	put("name", m.Name)
	put("description", m.Description)
	put("attribution", m.Attribution)
	put("version", m.Version)
	put("type", m.Type)
	if m.Type != "" && m.Type != "overlay" && m.Type != "baselayer" {
		return nil, fmt.Errorf("metadata: type %q, want overlay or baselayer", m.Type)
	}
	layers := make([]VectorLayer, len(m.VectorLayers))
	for i, l := range m.VectorLayers {
		if l.ID == "" {
			return nil, fmt.Errorf("metadata: vector layer %d: empty id", i)
		}
		if l.Fields == nil {
			l.Fields = map[string]string{}
		}
		if l.MinZoom == 0 && l.MaxZoom == 0 {
			l.MinZoom, l.MaxZoom = minZoom, maxZoom
		}
		layers[i] = l
	}
	obj["vector_layers"] = layers
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return b, nil
}

// parseMetadata reads the JSON object back into Metadata; keys it does not
// own land in Extra.
func parseMetadata(b []byte) (Metadata, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return Metadata{}, fmt.Errorf("metadata: %w", err)
	}
	var m Metadata
	for k, dst := range map[string]*string{
		"name": &m.Name, "description": &m.Description, "attribution": &m.Attribution,
		"version": &m.Version, "type": &m.Type,
	} {
		if raw, ok := obj[k]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return Metadata{}, fmt.Errorf("metadata: key %q: %w", k, err)
			}
			delete(obj, k)
		}
	}
	if raw, ok := obj["vector_layers"]; ok {
		if err := json.Unmarshal(raw, &m.VectorLayers); err != nil {
			return Metadata{}, fmt.Errorf("metadata: key \"vector_layers\": %w", err)
		}
		delete(obj, "vector_layers")
	}
	for k, raw := range obj {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return Metadata{}, fmt.Errorf("metadata: key %q: %w", k, err)
		}
		if m.Extra == nil {
			m.Extra = map[string]any{}
		}
		m.Extra[k] = v
	}
	return m, nil
}
