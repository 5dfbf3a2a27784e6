package table

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The long table of the indicator import benchmark: every Gemeinde of
// Germany (10,997) with 10 indicators over 10 years.
const (
	longAreas      = 10997
	longIndicators = 10
	longPeriods    = 10
)

func longArea(i int) string      { return fmt.Sprintf("%02d%03d%07d", i%16+1, i%401, i) }
func longIndicator(i int) string { return fmt.Sprintf("anzahl_%02d", i+1) }
func longPeriod(i int) time.Time { return time.Date(2013+i, 12, 31, 0, 0, 0, 0, time.UTC) }
func longValue(a, ind, p int) int {
	return (a*7919 + ind*104729 + p*1299709) % 50000
}

// writeLongTable writes the table for the first areas as an office would:
// semicolons, German dates, thousands grouped by a point.
func writeLongTable(tb testing.TB, dir string, areas int) string {
	tb.Helper()
	p := filepath.Join(dir, "long.csv")
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "area;indicator;period;value")
	for a := range areas {
		code := longArea(a)
		for ind := range longIndicators {
			for per := range longPeriods {
				v := longValue(a, ind, per)
				val := fmt.Sprint(v)
				if v >= 1000 {
					val = fmt.Sprintf("%d.%03d", v/1000, v%1000)
				}
				fmt.Fprintf(w, "%s;%s;%s;%s\n", code, longIndicator(ind), longPeriod(per).Format("02.01.2006"), val)
			}
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return p
}

func BenchmarkReadLongTable(b *testing.B) {
	path := writeLongTable(b, b.TempDir(), longAreas)
	want := longAreas * longIndicators * longPeriods
	for b.Loop() {
		tab, err := Read(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(tab.Cells) != want {
			b.Fatalf("%d cells, want %d", len(tab.Cells), want)
		}
	}
}
