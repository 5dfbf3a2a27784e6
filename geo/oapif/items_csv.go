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
	var cw *csvTable
	cells := make([]string, 0, len(header))
	start := func(matched int64) (err error) {
		cw, err = startCSV(w, query.Level, header, matched)
		return err
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
		h.itemsFailed(w, r, cw != nil, err)
		return
	}
	h.finishCSV(r, cw)
}

// csvTable is a table under way to the client.
type csvTable struct {
	*csv.Writer
	bw *bufio.Writer
}

// startCSV writes the status, the headers and the table's header row, once
// the number of matches is known: UTF-8 with a byte order mark, ';' and
// CRLF, as German spreadsheet programs open it without an import dialogue.
func startCSV(w http.ResponseWriter, name string, header []string, matched int64) (*csvTable, error) {
	hd := w.Header()
	hd.Set("Content-Type", "text/csv; charset=utf-8; header=present")
	hd.Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	hd.Set("OGC-NumberMatched", strconv.FormatInt(matched, 10))
	w.WriteHeader(http.StatusOK)
	t := &csvTable{bw: bufio.NewWriterSize(w, 64<<10)}
	_, _ = t.bw.WriteString("\uFEFF")
	t.Writer = csv.NewWriter(t.bw)
	t.Comma, t.UseCRLF = ';', true
	return t, t.Write(header)
}

// finishCSV sends the rest of the table; a client gone by then is only
// logged, as the status is sent.
func (h *Handler) finishCSV(r *http.Request, t *csvTable) {
	t.Flush()
	if err := t.Error(); err == nil {
		err = t.bw.Flush()
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
