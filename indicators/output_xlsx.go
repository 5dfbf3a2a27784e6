package indicators

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxTable writes a table as an Excel workbook of one sheet: a bold,
// frozen header row, numbers as numbers formatted with their column's
// decimals (Excel shows them in the reader's locale), the notes below.
// The workbook is built in memory and written on Close.
type xlsxTable struct {
	out    io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	t      outTable
	styles []int // per column: the number style, 0 for text
	row    int
	cells  []any
}

func newXLSXTable(w io.Writer, t outTable) (*xlsxTable, error) {
	f := excelize.NewFile()
	sheet := sheetName(t.Sheet)
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return nil, fmt.Errorf("xlsx sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, fmt.Errorf("xlsx sheet: %w", err)
	}
	x := &xlsxTable{out: w, f: f, sw: sw, t: t, styles: make([]int, len(t.Columns)), cells: make([]any, len(t.Columns))}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, fmt.Errorf("xlsx style: %w", err)
	}
	header := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = excelize.Cell{StyleID: bold, Value: c.Title}
		if c.Width > 0 {
			if err := sw.SetColWidth(i+1, i+1, c.Width); err != nil {
				return nil, fmt.Errorf("xlsx column width: %w", err)
			}
		}
		if c.Numeric && c.Decimals >= 0 {
			format := "#,##0"
			if c.Decimals > 0 {
				format += "." + strings.Repeat("0", c.Decimals)
			}
			if x.styles[i], err = f.NewStyle(&excelize.Style{CustomNumFmt: &format}); err != nil {
				return nil, fmt.Errorf("xlsx style: %w", err)
			}
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("xlsx panes: %w", err)
	}
	if err := x.setRow(header); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *xlsxTable) setRow(values []any) error {
	x.row++
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	if err := x.sw.SetRow(cell, values); err != nil {
		return fmt.Errorf("xlsx row %d: %w", x.row, err)
	}
	return nil
}

func (x *xlsxTable) Row(cells []string) error {
	for i, c := range cells {
		switch {
		case c == "":
			x.cells[i] = nil
		case x.t.Columns[i].Numeric:
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				return fmt.Errorf("xlsx row %d, column %q: %q is not a number", x.row+1, x.t.Columns[i].Title, c)
			}
			x.cells[i] = excelize.Cell{StyleID: x.styles[i], Value: v}
		default:
			x.cells[i] = c
		}
	}
	return x.setRow(x.cells[:len(cells)])
}

func (x *xlsxTable) Close() error {
	defer x.f.Close()
	x.row++ // an empty row between the table and the notes
	for _, n := range x.t.Notes {
		if err := x.setRow([]any{n}); err != nil {
			return err
		}
	}
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := x.f.Write(x.out); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}
