package table

import (
	"os"
	"path/filepath"
	"testing"
)

// A delimiter that detection does not know ('|') reads right when it is
// given for the file.
func TestReadWithGivenDelimiter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "werte.csv")
	if err := os.WriteFile(path, []byte("Schluessel|Einwohner\n01001|89504\n01002|247548\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := Read(path, Options{Delimiter: '|', Layout: Layout{
		AreaColumn: "Schluessel", Columns: map[string]string{"Einwohner": "einwohner"}, Period: day2022}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Cells) != 2 || tab.Cells[1].Area != "01002" || tab.Cells[1].Value == nil || *tab.Cells[1].Value != 247548 {
		t.Errorf("cells %+v", tab.Cells)
	}
	// Without it the file is one column and the mapping finds no area column.
	if _, err := Read(path, Options{Layout: Layout{AreaColumn: "Schluessel",
		Columns: map[string]string{"Einwohner": "einwohner"}, Period: day2022}}); err == nil {
		t.Error("a '|' file read without its delimiter")
	}
}
