package source

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// csvText decodes a CSV file. A UTF-16 byte order mark decides (Excel's
// "Unicode text" export); otherwise an explicit encoding wins; otherwise
// valid UTF-8 (byte order mark dropped) is UTF-8 and anything else is
// windows-1252, what German office software writes as "ANSI".
func csvText(data []byte, encoding string) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return csvUTF16(data, unicode.LittleEndian)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return csvUTF16(data, unicode.BigEndian)
	}
	bom := bytes.HasPrefix(data, []byte("\ufeff"))
	if encoding != "" {
		cs, ok := parseCharsetName(encoding)
		if !ok {
			return "", fmt.Errorf("unknown encoding %q", encoding)
		}
		if cs.cm != nil {
			return cs.decode(data)
		}
		return csvUTF8(bytes.TrimPrefix(data, []byte("\ufeff")))
	}
	if bom {
		return csvUTF8(data[3:])
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	var b strings.Builder
	b.Grow(len(data) + len(data)/8)
	for _, c := range data {
		b.WriteRune(charmap.Windows1252.DecodeByte(c))
	}
	return b.String(), nil
}

// csvUTF8 checks that data is UTF-8, naming the line of the first bad byte.
func csvUTF8(data []byte) (string, error) {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			line := 1 + bytes.Count(data[:i], []byte("\n"))
			return "", fmt.Errorf("line %d: byte 0x%02X is not valid UTF-8 (set the encoding, e.g. windows-1252)", line, data[i])
		}
		i += size
	}
	return string(data), nil
}

func csvUTF16(data []byte, order unicode.Endianness) (string, error) {
	b, err := unicode.UTF16(order, unicode.ExpectBOM).NewDecoder().Bytes(data)
	if err != nil {
		return "", fmt.Errorf("decode UTF-16: %w", err)
	}
	return string(b), nil
}

// csvSampleRows is how many rows after the header the delimiter must fit.
const csvSampleRows = 20

// csvDelimiter picks the delimiter that splits the header into the most
// fields while splitting the sampled rows into as many. A candidate giving
// a single column never wins over one giving several: a ragged row must
// be reported, not turn the file into one column. On a tie the character
// least likely inside a value wins: tab, then semicolon, then comma.
func csvDelimiter(text string) rune {
	best, bestN, bestFits := ';', 1, false
	for _, c := range []rune{'\t', ';', ','} {
		n, fits := csvDelimiterFit(text, c)
		if n < 2 {
			continue
		}
		if (fits && !bestFits) || (fits == bestFits && n > bestN) {
			best, bestN, bestFits = c, n, fits
		}
	}
	return best
}

// csvDelimiterFit returns the header's field count with delimiter c and
// whether the sampled rows have the same count.
func csvDelimiterFit(text string, c rune) (int, bool) {
	r := csvReader(text, c)
	header, err := r.Read()
	if err != nil {
		return 0, false
	}
	for i := 0; i < csvSampleRows; i++ {
		rec, err := r.Read()
		if err != nil {
			// End of file fits; a quoting error means c is not the delimiter
			// or the row is broken, which the real read reports.
			return len(header), err == io.EOF
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			return len(header), false
		}
	}
	return len(header), true
}

func csvDelimiterName(c rune) string {
	switch c {
	case ';':
		return "semicolon"
	case ',':
		return "comma"
	case '\t':
		return "tab"
	}
	return fmt.Sprintf("%q", c)
}
