package oapif

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/cql2"
	"github.com/sozialatlas/sozialatlas/geo/crs"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// paramsLayerItem are the parameters of one layer feature: its number
// names one version, so there is no datetime to choose one by.
var paramsLayerItem = []string{"crs", "f", "precision"}

// layerItemsCSV writes a page of a layer's features as a table, like the
// areas' (UTF-8 with a byte order mark, ';', decimal comma, CRLF): the
// feature id, the properties in the order of the queryables, and the
// point's coordinates as x and y in the output CRS's axis order, so that a
// spreadsheet of facilities can still be put on a map.
func (h *Handler) layerItemsCSV(w http.ResponseWriter, r *http.Request, l LayerInfo, query LayerQuery) {
	header := []string{"id"}
	for _, q := range l.Queryables {
		if q.Type != cql2.TypeGeometry {
			header = append(header, q.Name)
		}
	}
	names := header[1:]
	header = append(header, "x", "y")
	var cw *csvTable
	cells := make([]string, 0, len(header))
	start := func(matched int64) (err error) {
		cw, err = startCSV(w, l.ID, header, matched)
		return err
	}
	each := func(f LayerFeature) error {
		var props map[string]any
		d := json.NewDecoder(bytes.NewReader(f.Properties))
		d.UseNumber()
		if err := d.Decode(&props); err != nil {
			return fmt.Errorf("feature %d of %s: properties: %w", f.ID, l.ID, err)
		}
		var g struct{ Coordinates []json.Number }
		if err := json.Unmarshal(f.Geometry, &g); err != nil || len(g.Coordinates) != 2 {
			return fmt.Errorf("feature %d of %s: not a point: %s", f.ID, l.ID, f.Geometry)
		}
		cells = append(cells[:0], strconv.FormatInt(f.ID, 10))
		for _, n := range names {
			cells = append(cells, csvCell(props[n]))
		}
		cells = append(cells, csvCell(g.Coordinates[0]), csvCell(g.Coordinates[1]))
		return cw.Write(cells)
	}
	if err := h.cfg.Layers.LayerItems(r.Context(), query, start, each); err != nil {
		h.itemsFailed(w, r, cw != nil, err)
		return
	}
	h.finishCSV(r, cw)
}

// csvCell writes a JSON value for German spreadsheets: numbers with a
// decimal comma, null as an empty cell.
func csvCell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return strings.Replace(v.String(), ".", ",", 1)
	default:
		return fmt.Sprint(v)
	}
}

// layerItem answers one feature of a layer by its number.
func (h *Handler) layerItem(w http.ResponseWriter, r *http.Request, l LayerInfo) {
	q := r.URL.Query()
	// parsed only once all parameters are known: an unknown one is the
	// likelier mistake
	var out crs.Ref
	var g geo.GeometryOptions
	err := h.checkParams(q, paramsLayerItem)
	if err == nil {
		out, g, err = h.parseGeometry(q)
	}
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	if format(w, r, mediaGeoJSON, mediaJSON) == "" {
		return
	}
	code := chi.URLParam(r, "code")
	var f LayerFeature
	id, err := strconv.ParseInt(code, 10, 64)
	if err != nil {
		err = geo.ErrNotFound // every feature id is a number
	} else {
		f, err = h.cfg.Layers.LayerFeature(r.Context(), l.ID, id, g)
	}
	switch {
	case errors.Is(err, geo.ErrNotFound):
		web.NotFound(w, r, fmt.Sprintf("collection %q has no feature %q; a feature's id is the number of its version", l.ID, code))
	case err != nil:
		h.fail(w, r, err)
	default:
		h.writeLayerFeature(w, r, l, f, out.URI())
	}
}

func (h *Handler) writeLayerFeature(w http.ResponseWriter, r *http.Request, l LayerInfo, f LayerFeature, crsURI string) {
	links, err := json.Marshal([]Link{
		{Href: h.selfURL(r, r.URL.Query()), Rel: "self", Type: mediaGeoJSON, Title: "this feature"},
		{Href: h.root(r) + "/collections/" + l.ID, Rel: "collection", Type: mediaJSON, Title: "the collection"},
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", mediaGeoJSON)
	w.Header().Set("Content-Crs", "<"+crsURI+">")
	bw := bufio.NewWriter(w)
	_, _ = fmt.Fprintf(bw, `{"type":"Feature","id":%d,"geometry":`, f.ID)
	_, _ = bw.Write(f.Geometry)
	_, _ = bw.WriteString(`,"properties":`)
	_, _ = bw.Write(f.Properties)
	_, _ = bw.WriteString(`,"links":`)
	_, _ = bw.Write(links)
	_, _ = bw.WriteString("}\n")
	_ = bw.Flush()
}
