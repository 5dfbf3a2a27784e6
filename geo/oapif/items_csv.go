package oapif

import (
	"bufio"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// itemsCSV writes the page of features as a table for spreadsheets and
// reports: the properties of the GeoJSON features, one row each, without
// geometry, as German spreadsheet programs open it without an import
// dialogue (UTF-8 with a byte order mark, ';', decimal comma, CRLF).
// numberMatched and the paging links go into headers, as a table has no
// place for them.
func (h *Handler) itemsCSV(w http.ResponseWriter, r *http.Request, query geo.ItemsQuery, extra Properties) {
	header := append([]string(nil), baseProperties...)
	if extra != nil {
		header = append(header, extra.Names()...)
	}
	var bw *bufio.Writer
	var cw *csv.Writer
	cells := make([]string, 0, len(header))
	start := func(matched int64) error {
		hd := w.Header()
		hd.Set("Content-Type", "text/csv; charset=utf-8; header=present")
		hd.Set("Content-Disposition", `attachment; filename="`+query.Level+`.csv"`)
		hd.Set("OGC-NumberMatched", strconv.FormatInt(matched, 10))
		w.WriteHeader(http.StatusOK)
		bw = bufio.NewWriterSize(w, 64<<10)
		_, _ = bw.WriteString("\uFEFF")
		cw = csv.NewWriter(bw)
		cw.Comma, cw.UseCRLF = ';', true
		return cw.Write(header)
	}
	each := func(f geo.Feature) error {
		p := propertiesOf(f.Area)
		cells = append(cells[:0], p.Code, p.Name, deref(p.Parent), deref(p.ParentLevel), deref(p.ValidFrom), deref(p.ValidTo), "")
		if p.AreaKm2 != nil {
			cells[6] = strings.Replace(strconv.FormatFloat(*p.AreaKm2, 'f', -1, 64), ".", ",", 1)
		}
		if extra != nil {
			cells = extra.AppendCells(cells, f.ID)
		}
		return cw.Write(cells)
	}
	if err := h.store.Items(r.Context(), query, start, each); err != nil {
		h.itemsFailed(w, r, bw != nil, err)
		return
	}
	cw.Flush()
	if err := cw.Error(); err == nil {
		err = bw.Flush()
		if err != nil {
			h.log.InfoContext(r.Context(), "items not delivered",
				"request_id", web.RequestIDFrom(r.Context()), "error", err.Error())
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
