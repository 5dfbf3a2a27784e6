package indicators

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// MetaConfig configures the catalogue endpoints.
type MetaConfig struct {
	// Base is where links in answers point to.
	Base   web.BaseURL
	Logger *slog.Logger
}

// MetaRoutes mounts the catalogue endpoints on r:
//
//	GET /indicators        every indicator by category, and the groups
//	GET /indicators/{key}  one indicator with the levels and periods that
//	                       have published cells, linking to their values
func (s *Store) MetaRoutes(r chi.Router, cfg MetaConfig) {
	h := &metaHandler{store: s, base: cfg.Base, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	r.Get("/indicators", h.catalogue)
	r.Get("/indicators/{key}", h.indicator)
}

type metaHandler struct {
	store *Store
	base  web.BaseURL
	log   *slog.Logger
}

const metaMediaJSON = "application/json"

// metaLink is a web link (RFC 8288) in the form the OGC API documents use.
type metaLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

type catalogueDoc struct {
	Categories []categoryDoc `json:"categories"`
	Groups     []Group       `json:"groups"`
	Links      []metaLink    `json:"links"`
}

type categoryDoc struct {
	Title      string         `json:"title"`
	Indicators []indicatorDoc `json:"indicators"`
}

type indicatorDoc struct {
	Indicator
	Links []metaLink `json:"links"`
}

type indicatorDetailDoc struct {
	Indicator
	// Groups are the keys of the groups the indicator is total or member of.
	Groups []string `json:"groups"`
	// Periods with published cells on any level, oldest first.
	Periods []string   `json:"periods"`
	Levels  []levelDoc `json:"levels"`
	// Derivations say, per period, how a derived indicator was made (a
	// supply definition: facility type and day, population and its day,
	// method and parameters of a catchment measure, target and source).
	Derivations []derivationDoc `json:"derivations,omitempty"`
	Links       []metaLink      `json:"links"`
}

type derivationDoc struct {
	Period string          `json:"period"`
	Meta   json.RawMessage `json:"meta"`
}

const sqlDerivations = `SELECT period, meta FROM supply_result WHERE indicator = $1 ORDER BY period`

type levelDoc struct {
	Level   string           `json:"level"`
	Title   string           `json:"title"`
	Periods []levelPeriodDoc `json:"periods"`
}

// levelPeriodDoc counts the published cells of one level and period:
// all of them, those shown with a value, and those withheld.
type levelPeriodDoc struct {
	Period    string     `json:"period"`
	Cells     int64      `json:"cells"`
	WithValue int64      `json:"with_value"`
	Withheld  int64      `json:"withheld"`
	Links     []metaLink `json:"links"`
}

func (h *metaHandler) catalogue(w http.ResponseWriter, r *http.Request) {
	if !h.acceptsJSON(w, r) {
		return
	}
	cat, err := h.store.Catalogue(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	root := h.root(r)
	doc := catalogueDoc{Categories: []categoryDoc{}, Groups: cat.Groups, Links: []metaLink{
		{Href: root + "/indicators", Rel: "self", Type: metaMediaJSON, Title: "Indikatorenkatalog"},
	}}
	for _, name := range cat.Categories {
		c := categoryDoc{Title: name, Indicators: []indicatorDoc{}}
		for _, ind := range cat.Indicators {
			if ind.Category == name {
				c.Indicators = append(c.Indicators, indicatorDoc{Indicator: ind, Links: []metaLink{
					{Href: root + "/indicators/" + url.PathEscape(ind.Key), Rel: "item", Type: metaMediaJSON, Title: ind.Title},
				}})
			}
		}
		doc.Categories = append(doc.Categories, c)
	}
	web.WriteJSON(w, r, h.log, http.StatusOK, metaMediaJSON, doc)
}

// sqlCellCounts counts published cells by level and period; hierarchy
// levels coarse to fine, then schemes.
const sqlCellCounts = `
SELECT a.level, l.title, c.period, count(*),
    count(*) FILTER (WHERE c.suppressed IS NULL AND c.value IS NOT NULL),
    count(*) FILTER (WHERE c.suppressed IS NOT NULL)
FROM published_cell c
JOIN area a ON a.id = c.area_id
JOIN level l ON l.name = a.level
WHERE c.indicator = $1
GROUP BY a.level, l.title, l.rank, c.period
ORDER BY l.rank NULLS LAST, a.level, c.period`

func (h *metaHandler) indicator(w http.ResponseWriter, r *http.Request) {
	if !h.acceptsJSON(w, r) {
		return
	}
	ctx := r.Context()
	key := chi.URLParam(r, "key")
	ind, err := h.store.Indicator(ctx, key)
	if errors.Is(err, geo.ErrNotFound) {
		web.NotFound(w, r, fmt.Sprintf("There is no indicator %q in the catalogue.", key))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	groups, err := h.store.Groups(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	root := h.root(r)
	self := root + "/indicators/" + url.PathEscape(key)
	doc := indicatorDetailDoc{Indicator: ind, Groups: []string{}, Periods: []string{}, Levels: []levelDoc{},
		Links: []metaLink{
			{Href: self, Rel: "self", Type: metaMediaJSON, Title: ind.Title},
			{Href: root + "/indicators", Rel: "collection", Type: metaMediaJSON, Title: "Indikatorenkatalog"},
		}}
	for _, g := range groups {
		if g.Total == key || slices.Contains(g.Members, key) {
			doc.Groups = append(doc.Groups, g.Key)
		}
	}

	rows, err := h.store.pool.Query(ctx, sqlCellCounts, key)
	if err != nil {
		h.fail(w, r, fmt.Errorf("indicator %q: count cells: %w", key, err))
		return
	}
	var level, title string
	var period time.Time
	var lp levelPeriodDoc
	_, err = pgx.ForEachRow(rows, []any{&level, &title, &period, &lp.Cells, &lp.WithValue, &lp.Withheld}, func() error {
		if n := len(doc.Levels); n == 0 || doc.Levels[n-1].Level != level {
			doc.Levels = append(doc.Levels, levelDoc{Level: level, Title: title, Periods: []levelPeriodDoc{}})
		}
		p := period.Format(time.DateOnly)
		if !slices.Contains(doc.Periods, p) {
			doc.Periods = append(doc.Periods, p)
		}
		q := url.Values{"level": {level}, "period": {p}}
		lpd := lp
		lpd.Period = p
		lpd.Links = []metaLink{{Href: self + "/values?" + q.Encode(), Rel: "data", Type: metaMediaJSON,
			Title: fmt.Sprintf("%s, %s, %s", ind.Title, title, period.Format("02.01.2006"))}}
		l := &doc.Levels[len(doc.Levels)-1]
		l.Periods = append(l.Periods, lpd)
		return nil
	})
	if err != nil {
		h.fail(w, r, fmt.Errorf("indicator %q: count cells: %w", key, err))
		return
	}
	slices.Sort(doc.Periods)
	rows, err = h.store.pool.Query(ctx, sqlDerivations, key)
	if err != nil {
		h.fail(w, r, fmt.Errorf("indicator %q: derivations: %w", key, err))
		return
	}
	var meta []byte
	_, err = pgx.ForEachRow(rows, []any{&period, &meta}, func() error {
		doc.Derivations = append(doc.Derivations, derivationDoc{Period: period.Format(time.DateOnly), Meta: meta})
		return nil
	})
	if err != nil {
		h.fail(w, r, fmt.Errorf("indicator %q: derivations: %w", key, err))
		return
	}
	web.WriteJSON(w, r, h.log, http.StatusOK, metaMediaJSON, doc)
}

// acceptsJSON answers 406 itself when the client takes no JSON.
func (h *metaHandler) acceptsJSON(w http.ResponseWriter, r *http.Request) bool {
	if web.Negotiate(r.Header.Get("Accept"), metaMediaJSON) == "" {
		web.NotAcceptable(w, r, "The catalogue is served as application/json only.")
		return false
	}
	return true
}

// fail answers a store error (see web.Fail): a timed-out or unreachable
// database is a 503 here as everywhere.
func (h *metaHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	web.Fail(w, r, h.log, err)
}

// root is the service's base URL plus the path these routes are mounted
// under, so links stay right behind a sub-router.
func (h *metaHandler) root(r *http.Request) string {
	prefix := ""
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath != "" {
		if p := r.URL.EscapedPath(); strings.HasSuffix(p, rctx.RoutePath) {
			prefix = strings.TrimSuffix(p, rctx.RoutePath)
		}
	}
	return h.base.For(r) + prefix
}
