package indicators

import (
	"slices"
	"testing"

	"github.com/sozialatlas/sozialatlas/indicators/table"
)

func TestExcludeAreas(t *testing.T) {
	tab := &table.Table{Cells: []table.Cell{
		{Area: "010010000000", Indicator: "einwohner"},
		{Area: "070009999999", Indicator: "einwohner"},
		{Area: "070009999999", Indicator: "flaeche_km2"},
		{Area: "130009999999", Indicator: "einwohner"},
	}}
	got := excludeAreas(tab, []string{"130009999999", "070009999999", "999999999999"})
	if !slices.Equal(got, []string{"070009999999", "130009999999"}) {
		t.Errorf("excluded %v", got)
	}
	if len(tab.Cells) != 1 || tab.Cells[0].Area != "010010000000" {
		t.Errorf("cells left %+v", tab.Cells)
	}
	if got := excludeAreas(tab, nil); got != nil || len(tab.Cells) != 1 {
		t.Errorf("no exclusions changed the table: %v", got)
	}
}
