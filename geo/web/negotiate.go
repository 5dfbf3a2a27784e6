package web

import (
	"mime"
	"strconv"
	"strings"
)

// Negotiate picks from offers (media types, in the server's order of
// preference) the one the Accept header rates highest; ties go to the more
// specific range, then to the earlier offer. A missing Accept header takes
// the first offer. It returns "" when the header accepts none of them.
func Negotiate(accept string, offers ...string) string {
	if strings.TrimSpace(accept) == "" {
		if len(offers) == 0 {
			return ""
		}
		return offers[0]
	}
	ranges := parseAccept(accept)
	best, bestQ, bestSpec := "", 0.0, -1
	for _, offer := range offers {
		typ := offerType(offer)
		q, spec := -1.0, -1
		for _, ar := range ranges {
			s := ar.matches(typ)
			if s > spec {
				q, spec = ar.q, s
			}
		}
		if spec < 0 || q <= 0 {
			continue
		}
		if q > bestQ || (q == bestQ && spec > bestSpec) {
			best, bestQ, bestSpec = offer, q, spec
		}
	}
	return best
}

type acceptRange struct {
	typ, sub string
	q        float64
}

// matches returns how specific the range matches typ ("type/sub"): 2 exact,
// 1 type/*, 0 */*, -1 no match.
func (a acceptRange) matches(typ string) int {
	t, s, _ := strings.Cut(typ, "/")
	switch {
	case a.typ == t && a.sub == s:
		return 2
	case a.typ == t && a.sub == "*":
		return 1
	case a.typ == "*" && a.sub == "*":
		return 0
	}
	return -1
}

func parseAccept(h string) []acceptRange {
	var out []acceptRange
	for _, part := range strings.Split(h, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if mt == "*" {
			mt = "*/*" // sent by some old clients
		}
		t, s, ok := strings.Cut(mt, "/")
		if !ok {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		out = append(out, acceptRange{typ: t, sub: s, q: q})
	}
	return out
}

// offerType strips parameters: "application/vnd.oai.openapi+json;version=3.0"
// is matched as "application/vnd.oai.openapi+json".
func offerType(offer string) string {
	t, _, _ := strings.Cut(offer, ";")
	return strings.ToLower(strings.TrimSpace(t))
}
