package source

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/sozialatlas/sozialatlas/geo/crs"
)

// prjCRS reads a .prj: its WKT as found, the outermost CRS's name, and its
// EPSG code when the outermost CRS carries AUTHORITY["EPSG",n] (WKT 1) or
// ID["EPSG",n] (WKT 2). Authorities of nested elements (datum, base CRS)
// do not identify the CRS and are ignored.
func prjCRS(data []byte) CRS {
	text := string(data)
	if !utf8.ValidString(text) {
		// .prj files are ASCII in practice; a stray Latin-1 byte in a name
		// must not make the text unusable.
		var sb strings.Builder
		for _, b := range data {
			sb.WriteRune(charmap.Windows1252.DecodeByte(b))
		}
		text = sb.String()
	}
	text = strings.TrimSpace(strings.TrimPrefix(text, "\ufeff"))
	c := CRS{WKT: text}
	if name, srid, err := crs.Declared(text); err == nil {
		c.Name, c.SRID = name, srid
	}
	return c
}
