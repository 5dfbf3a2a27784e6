package facility

import (
	"regexp"
	"strconv"
	"strings"
)

// German tables group thousands with a dot and write a decimal comma
// ("1.250", "12,5"); a plain number with a decimal point ("12.5") is taken
// as written when it is not a thousands group.
var (
	germanGrouped = regexp.MustCompile(`^\d{1,3}(\.\d{3})+(,\d+)?$`)
	germanPlain   = regexp.MustCompile(`^\d+(,\d+)?$`)
	pointDecimal  = regexp.MustCompile(`^\d+\.\d+$`)
)

// parseCapacity reads a capacity: "" is unknown (ok, nil); anything but a
// non-negative number is not ok.
func parseCapacity(s string) (*float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	var norm string
	switch {
	case germanGrouped.MatchString(s), germanPlain.MatchString(s):
		norm = strings.ReplaceAll(strings.ReplaceAll(s, ".", ""), ",", ".")
	case pointDecimal.MatchString(s):
		norm = s
	default:
		return nil, false
	}
	v, err := strconv.ParseFloat(norm, 64)
	if err != nil {
		return nil, false
	}
	return &v, true
}

// parseCoordinate reads a CSV coordinate, with a decimal comma or point.
func parseCoordinate(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
