package indicators

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// csvTable writes a table as German spreadsheet programs open it without
// an import dialogue: UTF-8 with a byte order mark (without it Excel reads
// Windows-1252), ';' between fields, a decimal comma, CRLF line ends
// (RFC 4180). Numbers carry no thousands separators, which Excel would
// take for text in other locales.
type csvTable struct {
	bw   *bufio.Writer
	w    *csv.Writer
	cols []outColumn
	buf  []string
}

func newCSVTable(w io.Writer, t outTable) (*csvTable, error) {
	// Buffered, so the response starts with its first 64 KiB rather than
	// with the byte order mark: an error before then can still be answered
	// as one.
	bw := bufio.NewWriterSize(w, 64<<10)
	_, _ = bw.WriteString("\uFEFF")
	cw := csv.NewWriter(bw)
	cw.Comma = ';'
	cw.UseCRLF = true
	header := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = c.Title
	}
	if err := cw.Write(header); err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	return &csvTable{bw: bw, w: cw, cols: t.Columns, buf: make([]string, len(t.Columns))}, nil
}

func (t *csvTable) Row(cells []string) error {
	for i, c := range cells {
		if t.cols[i].Numeric {
			c = strings.Replace(c, ".", ",", 1)
		}
		t.buf[i] = c
	}
	return t.w.Write(t.buf[:len(cells)])
}

func (t *csvTable) Close() error {
	t.w.Flush()
	if err := t.w.Error(); err != nil {
		return err
	}
	return t.bw.Flush()
}
