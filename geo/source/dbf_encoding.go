package source

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// charset decodes the text of a dBase table; a nil charmap means UTF-8.
type charset struct {
	name string
	cm   *charmap.Charmap
}

var errNotUTF8 = errors.New("not valid UTF-8 (set the encoding if the file uses another character set)")

func (c charset) decode(b []byte) (string, error) {
	if isASCII(b) {
		return string(b), nil
	}
	if c.cm != nil {
		var sb strings.Builder
		sb.Grow(len(b) + len(b)/2)
		for _, x := range b {
			sb.WriteRune(c.cm.DecodeByte(x))
		}
		return sb.String(), nil
	}
	if utf8.Valid(b) {
		return string(b), nil
	}
	// Writers cut values at the field width in bytes, which can split the
	// last multi-byte character; that character is lost, the rest is fine.
	if k := lastRuneStart(b); k >= 0 && !utf8.FullRune(b[k:]) && utf8.Valid(b[:k]) {
		return string(b[:k]), nil
	}
	return "", errNotUTF8
}

// lastRuneStart returns the index of the last byte that is not a UTF-8
// continuation byte, or -1.
func lastRuneStart(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			return i
		}
	}
	return -1
}

var utf8Charset = charset{name: "UTF-8"}

// chooseCharset decides the table's character set: Options.Encoding if set,
// else the .cpg file, else the header's language driver id, else UTF-8 when
// every text value is valid UTF-8, else windows-1252 (what most German
// desktop GIS wrote before UTF-8).
func chooseCharset(opts Options, t *dbfTable, cpgPath string, cpg []byte, hasCPG bool) (charset, error) {
	if opts.Encoding != "" {
		cs, ok := parseCharsetName(opts.Encoding)
		if !ok {
			return charset{}, &Error{Path: t.path, Reason: fmt.Sprintf("unknown encoding %q", opts.Encoding)}
		}
		return cs, nil
	}
	if name := strings.TrimSpace(strings.TrimPrefix(string(cpg), "\ufeff")); hasCPG && name != "" {
		cs, ok := parseCharsetName(name)
		if !ok {
			return charset{}, &Error{Path: cpgPath, Reason: fmt.Sprintf("unknown code page %q; set the encoding explicitly", name)}
		}
		return cs, nil
	}
	if cm, ok := ldidCharmap(t.ldid); ok {
		return cm, nil
	}
	for i := 0; i < t.numRecords; i++ {
		rec := t.record(i)
		for _, f := range t.fields {
			if f.typ != 'C' {
				continue
			}
			if _, err := utf8Charset.decode(trimDBF(rec[f.offset : f.offset+f.length])); err != nil {
				return charset{name: "windows-1252", cm: charmap.Windows1252}, nil
			}
		}
	}
	return utf8Charset, nil
}

// parseCharsetName understands the spellings found in .cpg files and
// settings: "UTF-8", "utf8", "65001", "ISO-8859-1", "88591", "8859_15",
// "1252", "CP1252", "windows-1252", "ANSI 1252", "OEM 437", "latin1", …
func parseCharsetName(s string) (charset, bool) {
	n := strings.ToLower(strings.TrimSpace(s))
	n = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', '.':
			return -1
		}
		return r
	}, n)
	switch n {
	case "utf8", "65001":
		return utf8Charset, true
	case "latin1", "l1":
		n = "88591"
	case "koi8r":
		return charset{name: "KOI8-R", cm: charmap.KOI8R}, true
	case "koi8u":
		return charset{name: "KOI8-U", cm: charmap.KOI8U}, true
	}
	n = strings.TrimPrefix(n, "iso")
	if part, ok := strings.CutPrefix(n, "8859"); ok {
		num, err := strconv.Atoi(part)
		if err != nil {
			return charset{}, false
		}
		return iso8859(num)
	}
	for _, prefix := range []string{"windows", "win", "cp", "ansi", "oem", "ibm", "dos"} {
		if rest, ok := strings.CutPrefix(n, prefix); ok {
			n = rest
			break
		}
	}
	num, err := strconv.Atoi(n)
	if err != nil {
		return charset{}, false
	}
	return codePage(num)
}

func iso8859(part int) (charset, bool) {
	var cm *charmap.Charmap
	switch part {
	case 1:
		// Bytes 0x80–0x9F are control codes in ISO 8859-1 and never occur in
		// text; files labelled Latin-1 that use them were written as
		// windows-1252 (the WHATWG Encoding Standard maps the label alike).
		return charset{name: "windows-1252", cm: charmap.Windows1252}, true
	case 2:
		cm = charmap.ISO8859_2
	case 3:
		cm = charmap.ISO8859_3
	case 4:
		cm = charmap.ISO8859_4
	case 5:
		cm = charmap.ISO8859_5
	case 6:
		cm = charmap.ISO8859_6
	case 7:
		cm = charmap.ISO8859_7
	case 8:
		cm = charmap.ISO8859_8
	case 9:
		cm = charmap.ISO8859_9
	case 10:
		cm = charmap.ISO8859_10
	case 13:
		cm = charmap.ISO8859_13
	case 14:
		cm = charmap.ISO8859_14
	case 15:
		cm = charmap.ISO8859_15
	case 16:
		cm = charmap.ISO8859_16
	default:
		return charset{}, false
	}
	return charset{name: fmt.Sprintf("ISO-8859-%d", part), cm: cm}, true
}

// codePage maps a Windows or DOS code page number to its charmap.
func codePage(n int) (charset, bool) {
	var cm *charmap.Charmap
	switch n {
	case 437:
		cm = charmap.CodePage437
	case 850:
		cm = charmap.CodePage850
	case 852:
		cm = charmap.CodePage852
	case 855:
		cm = charmap.CodePage855
	case 858:
		cm = charmap.CodePage858
	case 860:
		cm = charmap.CodePage860
	case 862:
		cm = charmap.CodePage862
	case 863:
		cm = charmap.CodePage863
	case 865:
		cm = charmap.CodePage865
	case 866:
		cm = charmap.CodePage866
	case 874:
		cm = charmap.Windows874
	case 1250:
		cm = charmap.Windows1250
	case 1251:
		cm = charmap.Windows1251
	case 1252:
		cm = charmap.Windows1252
	case 1253:
		cm = charmap.Windows1253
	case 1254:
		cm = charmap.Windows1254
	case 1255:
		cm = charmap.Windows1255
	case 1256:
		cm = charmap.Windows1256
	case 1257:
		cm = charmap.Windows1257
	case 1258:
		cm = charmap.Windows1258
	case 65001:
		return utf8Charset, true
	default:
		return charset{}, false
	}
	if n >= 1250 || n == 874 {
		return charset{name: fmt.Sprintf("windows-%d", n), cm: cm}, true
	}
	return charset{name: fmt.Sprintf("CP%d", n), cm: cm}, true
}

// ldidCharmap maps the dBase language driver id (header byte 29) to a code
// page, after the table of driver ids in the dBase and ESRI documentation.
// Ids for code pages without a single-byte charmap (CJK) are not mapped.
func ldidCharmap(id byte) (charset, bool) {
	var cp int
	switch id {
	case 0x01, 0x09, 0x0B, 0x0D, 0x0F, 0x11, 0x15, 0x18, 0x19, 0x1B:
		cp = 437
	case 0x02, 0x0A, 0x0E, 0x10, 0x12, 0x14, 0x16, 0x1A, 0x1D, 0x25, 0x37:
		cp = 850
	case 0x1F, 0x22, 0x23, 0x40, 0x64, 0x87:
		cp = 852
	case 0x24:
		cp = 860
	case 0x1C, 0x6C:
		cp = 863
	case 0x08, 0x17, 0x66:
		cp = 865
	case 0x26, 0x65:
		cp = 866
	case 0x50, 0x7C:
		cp = 874
	case 0x03, 0x57, 0x58, 0x59:
		// 0x57 is "ANSI": the writer's Windows code page, in practice 1252.
		cp = 1252
	case 0xC8:
		cp = 1250
	case 0xC9:
		cp = 1251
	case 0xCB:
		cp = 1253
	case 0xCA:
		cp = 1254
	case 0x7D:
		cp = 1255
	case 0x7E:
		cp = 1256
	case 0xCC:
		cp = 1257
	default:
		return charset{}, false
	}
	return codePage(cp)
}
