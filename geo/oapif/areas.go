package oapif

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// areaJSON is an area version in /areas answers.
type areaJSON struct {
	Level       string   `json:"level"`
	Code        string   `json:"code"`
	Name        string   `json:"name"`
	Parent      *string  `json:"parent"`
	ParentLevel *string  `json:"parent_level"`
	ValidFrom   *string  `json:"valid_from"`
	ValidTo     *string  `json:"valid_to"`
	AreaKm2     *float64 `json:"area_km2"`
	HasGeometry bool     `json:"has_geometry"`
	Href        string   `json:"href"`
}

func (h *Handler) areaJSON(r *http.Request, a geo.Area) areaJSON {
	p := propertiesOf(a)
	return areaJSON{
		Level: a.Level, Code: a.Code, Name: a.Name, Parent: p.Parent, ParentLevel: p.ParentLevel,
		ValidFrom: p.ValidFrom, ValidTo: p.ValidTo, AreaKm2: a.AreaKm2, HasGeometry: a.HasGeometry,
		Href: h.root(r) + "/areas/" + a.Level + "/" + url.PathEscape(a.Code),
	}
}

func (h *Handler) areaList(r *http.Request, as []geo.Area) []areaJSON {
	out := make([]areaJSON, len(as))
	for i, a := range as {
		out[i] = h.areaJSON(r, a)
	}
	return out
}

// area answers the area version with its parent chain (nearest first), its
// children valid in the same period and, for a scheme area, its members.
func (h *Handler) area(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := h.checkParams(q, paramsArea); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	period, err := parseDatetime(q.Get("datetime"))
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	if format(w, r, mediaJSON) == "" {
		return
	}
	l, ok := h.level(w, r)
	if !ok {
		return
	}
	code := chi.URLParam(r, "code")
	ctx := r.Context()
	a, err := h.store.AreaAt(ctx, l.Name, code, period)
	if errors.Is(err, geo.ErrNotFound) {
		web.NotFound(w, r, fmt.Sprintf("level %q has no area %q valid %s", l.Name, code, describePeriod(period)))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	parents, err := h.store.Parents(ctx, a.ID, period)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	children, err := h.store.Children(ctx, a.ID, period)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var members []areaJSON
	if l.IsScheme() {
		ms, err := h.store.Members(ctx, a.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		members = h.areaList(r, ms)
	}
	feature := h.root(r) + "/collections/" + l.Name + "/items/" + url.PathEscape(code)
	if period.Explicit {
		feature += "?datetime=" + url.QueryEscape(q.Get("datetime"))
	}
	web.WriteJSON(w, r, h.log, http.StatusOK, mediaJSON, struct {
		Area     areaJSON   `json:"area"`
		Parents  []areaJSON `json:"parents"`
		Children []areaJSON `json:"children"`
		Members  []areaJSON `json:"members,omitempty"`
		Links    []Link     `json:"links"`
	}{
		Area: h.areaJSON(r, a), Parents: h.areaList(r, parents), Children: h.areaList(r, children), Members: members,
		Links: []Link{
			{Href: h.selfURL(r, q), Rel: "self", Type: mediaJSON, Title: "this document"},
			{Href: feature, Rel: "related", Type: mediaGeoJSON, Title: "the area as a GeoJSON feature"},
		},
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
