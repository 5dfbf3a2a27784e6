package table

import (
	"testing"
)

func ptr(v float64) *float64 { return &v }

func TestReadValue(t *testing.T) {
	placeholders := []string{"-9999", "k.A."}
	tests := []struct {
		name    string
		decimal byte
		typed   bool
		in      string
		want    *float64
		status  Status
		bad     bool
	}{
		{"integer", ',', false, "338", ptr(338), Measured, false},
		{"grouped by point", ',', false, "1.234", ptr(1234), Measured, false},
		{"grouped twice", ',', false, "1.234.567", ptr(1234567), Measured, false},
		{"decimal comma", ',', false, "12,5", ptr(12.5), Measured, false},
		{"grouped with decimal comma", ',', false, "1.234,56", ptr(1234.56), Measured, false},
		{"leading comma", ',', false, ",5", ptr(0.5), Measured, false},
		{"space groups", ',', false, "1 234 567,5", ptr(1234567.5), Measured, false},
		{"no-break space groups", ',', false, "1\u00a0234", ptr(1234), Measured, false},
		{"narrow no-break space groups", '.', false, "1\u202f234.25", ptr(1234.25), Measured, false},
		{"thin space groups", ',', false, "12\u2009345", ptr(12345), Measured, false},
		{"surrounding spaces", ',', false, "  17 ", ptr(17), Measured, false},
		{"decimal point", '.', false, "1036.03", ptr(1036.03), Measured, false},
		{"grouped by comma", '.', false, "1,234,567.5", ptr(1234567.5), Measured, false},
		{"hyphen-minus negative", ',', false, "-3,5", ptr(-3.5), Measured, false},
		{"minus sign negative", ',', false, "−12", ptr(-12), Measured, false},
		{"plus sign", ',', false, "+4", ptr(4), Measured, false},
		{"en dash is zero", ',', false, "–", ptr(0), Measured, false},
		{"em dash is zero", ',', false, "—", ptr(0), Measured, false},
		{"hyphen alone is zero", ',', false, "-", ptr(0), Measured, false},
		{"dash with spaces is zero", ',', false, " – ", ptr(0), Measured, false},
		{"point is secret", ',', false, ".", nil, Suppressed, false},
		{"x is no value", ',', false, "x", nil, Missing, false},
		{"X is no value", ',', false, "X", nil, Missing, false},
		{"slash is no value", ',', false, "/", nil, Missing, false},
		{"ellipsis is no value", ',', false, "…", nil, Missing, false},
		{"three points are no value", ',', false, "...", nil, Missing, false},
		{"empty is missing", ',', false, "", nil, Missing, false},
		{"blank is missing", ',', false, "   ", nil, Missing, false},
		{"placeholder", ',', false, "-9999", nil, Missing, false},
		{"placeholder grouped", ',', false, "-9.999", nil, Missing, false},
		{"placeholder with decimals", ',', false, "-9999,0", nil, Missing, false},
		{"placeholder text", ',', false, "k.A.", nil, Missing, false},
		{"placeholder typed", ',', true, "-9999", nil, Missing, false},
		{"provisional", ',', false, "123 p", ptr(123), Provisional, false},
		{"provisional without space", ',', false, "123p", ptr(123), Provisional, false},
		{"estimated e", ',', false, "12,5 e", ptr(12.5), Estimated, false},
		{"estimated s", ',', false, "1.234 s", ptr(1234), Estimated, false},
		{"corrected", ',', false, "77 r", ptr(77), Measured, false},
		{"typed number ignores the text convention", ',', true, "1234.5", ptr(1234.5), Measured, false},
		{"typed exponent", ',', true, "1.5E-3", ptr(0.0015), Measured, false},
		{"typed text sign", ',', true, ".", nil, Suppressed, false},
		{"letters", ',', false, "12a", nil, "", true},
		{"word", ',', false, "keine Angabe", nil, "", true},
		{"bad groups", ',', false, "1.23,4", nil, "", true},
		{"two decimal commas", ',', false, "1,2,3", nil, "", true},
		{"decimal point in a comma file", ',', false, "12.5", nil, "", true},
		{"decimal comma in a point file", '.', false, "12,5", nil, "", true},
		{"unknown footnote", ',', false, "12 q", nil, "", true},
		{"footnote alone", ',', false, "p", nil, "", true},
		{"sign alone with footnote", ',', false, "- p", nil, "", true},
		{"trailing decimal", ',', false, "12,", nil, "", true},
		{"exponent as text", ',', false, "1e5", nil, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vr := newValueReader(tc.decimal, placeholders)
			n, has, status, reason := vr.read(tc.in, tc.typed)
			var got *float64
			if has {
				got = &n
			}
			if tc.bad {
				if reason == "" {
					t.Fatalf("read(%q) = %v, %s; want an error", tc.in, deref(got), status)
				}
				return
			}
			if reason != "" {
				t.Fatalf("read(%q): %s", tc.in, reason)
			}
			if status != tc.status || (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("read(%q) = %v, %s; want %v, %s", tc.in, deref(got), status, deref(tc.want), tc.status)
			}
		})
	}
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

func TestNotANumberHintsAtTheOtherConvention(t *testing.T) {
	_, _, _, reason := newValueReader(',', nil).read("12.5", false)
	want := `not a number: "12.5" (this file is read with the decimal comma; set the decimal separator if that is wrong)`
	if reason != want {
		t.Fatalf("reason = %q, want %q", reason, want)
	}
	_, _, _, reason = newValueReader(',', nil).read("zwölf", false)
	if reason != `not a number: "zwölf"` {
		t.Fatalf("reason = %q", reason)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		in   string
		want vote
	}{
		{"338", noVote},
		{".", noVote},
		{"–", noVote},
		{"...", noVote},
		{"x", noVote},
		{"12,5", commaDecimal},
		{"0,123", commaDecimal},
		{"-0,123", commaDecimal},
		{",5", commaDecimal},
		{"1234,567", commaDecimal},
		{"1.234,5", commaDecimal},
		{"1.234.567", commaDecimal},
		{"1 234,5", commaDecimal},
		{"12,5 p", commaDecimal},
		{"12.5", pointDecimal},
		{"1,234.5", pointDecimal},
		{"1,234,567", pointDecimal},
		{"0.123", pointDecimal},
		{"1.234", ambiguousPoint},
		{"123.456 p", ambiguousPoint},
		{"1,234", ambiguousComma},
		{"-12,345", ambiguousComma},
	}
	for _, tc := range tests {
		if got := classify(tc.in); got != tc.want {
			t.Errorf("classify(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
