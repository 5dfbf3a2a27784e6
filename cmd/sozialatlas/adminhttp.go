package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
	"github.com/sozialatlas/sozialatlas/geo/web/access"
	"github.com/sozialatlas/sozialatlas/indicators"
)

// Administration over HTTP: tokens, the catalogue and index definitions
// for admins, raw values for editors. Each endpoint calls what the
// command line calls, and writes the same audit entries.

func (h *importHandlers) adminRoutes(r chi.Router) {
	r.Route("/tokens", func(r chi.Router) {
		r.Use(access.Require(access.Admin))
		r.Get("/", h.listTokens)
		r.Post("/", h.createToken)
		r.Post("/{id}/revoke", h.revokeToken)
	})
	r.With(access.Require(access.Admin)).Post("/catalogue", h.loadCatalogue)
	r.With(access.Require(access.Admin)).Post("/indices", h.applyIndices)
	r.With(access.Require(access.Editor)).Get("/indicators/{key}/raw", h.rawValues)
}

// tokenRequest is the body of POST /tokens: the options of 'token create'.
type tokenRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// createdToken answers POST /tokens: the token's description and its
// secret, which is shown this once.
type createdToken struct {
	access.Token
	Secret string `json:"token"`
}

func (h *importHandlers) createToken(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		web.BadRequest(w, r, `the body must be one JSON object {"name": …, "role": …}: `+err.Error())
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		web.BadRequest(w, r, `the body must be one JSON object {"name": …, "role": …}, nothing after it`)
		return
	}
	if req.Name == "" {
		h.fieldProblem(w, r, "name", "missing: name the person or program holding the token")
		return
	}
	if req.Role == "" {
		req.Role = access.Viewer.String() // the command line's default, the weakest role
	}
	role, err := access.ParseRole(req.Role)
	if err != nil {
		h.fieldProblem(w, r, "role", err.Error())
		return
	}
	tok, secret, err := createToken(r.Context(), h.tokens, h.audit, access.From(r.Context()).Actor(), req.Name, role)
	switch {
	case err == nil:
	case errors.Is(err, access.ErrNameTaken):
		web.WriteProblem(w, r, web.Problem{Status: http.StatusConflict, Detail: err.Error()})
		return
	case storeFault(err):
		web.Fail(w, r, h.log, err)
		return
	default:
		// The name's form is the only other thing Create refuses.
		h.fieldProblem(w, r, "name", err.Error())
		return
	}
	// The secret must not stay in any cache between here and the client.
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, r, h.log, http.StatusCreated, "", createdToken{Token: tok, Secret: secret})
}

// fieldProblem answers 422 for a request body's field, in the form of a
// refused import's problem.
func (h *importHandlers) fieldProblem(w http.ResponseWriter, r *http.Request, field, reason string) {
	web.WriteJSON(w, r, h.log, http.StatusUnprocessableEntity, web.ProblemMediaType, importProblem{
		Problem: web.Problem{Type: "about:blank", Status: http.StatusUnprocessableEntity,
			Title: "The request was refused; nothing was changed", Detail: field + ": " + reason,
			Instance: r.URL.RequestURI(), RequestID: web.RequestIDFrom(r.Context())},
		Errors: []inputError{{Field: field, Reason: reason}}})
}

func (h *importHandlers) listTokens(w http.ResponseWriter, r *http.Request) {
	list, err := h.tokens.List(r.Context())
	writeList(w, r, h.log, list, err)
}

// errOwnToken refuses revoking the token a request is made with: an admin
// revoking the last admin token would lock everyone out of the API, and
// replacing a token is proven to work by revoking the old one with the
// new. The command line can revoke any token.
var errOwnToken = errors.New("this request is made with that token; revoke it with another admin token or 'sozialatlas token revoke'")

func (h *importHandlers) revokeToken(w http.ResponseWriter, r *http.Request) {
	arg := chi.URLParam(r, "id")
	p := access.From(r.Context())
	if id, err := strconv.ParseInt(arg, 10, 64); (err == nil && id == p.TokenID) || arg == p.Name {
		e := access.Entry{Actor: p.Actor(), Action: "token revoke"}
		err := record(r.Context(), h.audit, e, fmt.Errorf("revoke token %s: %w", arg, errOwnToken))
		if storeFault(err) {
			web.Fail(w, r, h.log, err)
			return
		}
		web.WriteProblem(w, r, web.Problem{Status: http.StatusConflict, Detail: err.Error()})
		return
	}
	tok, err := revokeToken(r.Context(), h.tokens, h.audit, p.Actor(), arg)
	switch {
	case err == nil:
		web.WriteJSON(w, r, h.log, http.StatusOK, "", tok)
	case errors.Is(err, access.ErrNoToken):
		web.NotFound(w, r, fmt.Sprintf("no active token %q; GET /tokens lists them", arg))
	default:
		web.Fail(w, r, h.log, err)
	}
}

// noOptions registers no options: the catalogue and index uploads take
// the file alone, as their commands take nothing but the file.
func noOptions(*flag.FlagSet) {}

func (h *importHandlers) loadCatalogue(w http.ResponseWriter, r *http.Request) {
	up, ok := h.receive(w, r, "catalogue load", noOptions)
	if !ok {
		return
	}
	defer up.remove()
	rep, err := audited(r.Context(), h.audit, up.entry, func() (indicators.SyncReport, error) {
		cat, err := indicators.ReadCatalogue(up.path)
		if err != nil {
			return indicators.SyncReport{}, err
		}
		return h.ind.LoadCatalogue(r.Context(), cat)
	})
	if err != nil {
		h.importFailed(w, r, up, err)
		return
	}
	web.WriteJSON(w, r, h.log, http.StatusOK, "", rep)
}

func (h *importHandlers) applyIndices(w http.ResponseWriter, r *http.Request) {
	up, ok := h.receive(w, r, "index apply", noOptions)
	if !ok {
		return
	}
	defer up.remove()
	rep, err := audited(r.Context(), h.audit, up.entry, func() (indicators.IndexApplyReport, error) {
		f, err := indicators.ReadIndexFile(up.path)
		if err != nil {
			return indicators.IndexApplyReport{}, err
		}
		// The stored versions name the file as the client knows it, not
		// by the upload's temporary path.
		f.Path = up.entry.File
		return h.ind.ApplyIndices(r.Context(), f)
	})
	if err != nil {
		h.importFailed(w, r, up, err)
		return
	}
	status := http.StatusCreated
	if len(rep.New) == 0 {
		status = http.StatusOK // every definition was in force already
	}
	web.WriteJSON(w, r, h.log, status, "", rep)
}

// rawValues answers GET /indicators/{key}/raw?level=&period=: what
// 'sozialatlas export' prints, withheld values included. It is the only
// route that serves them, to editors and admins, and every read is in the
// audit log.
func (h *importHandlers) rawValues(w http.ResponseWriter, r *http.Request) {
	key, q := chi.URLParam(r, "key"), r.URL.Query()
	level, periodText := q.Get("level"), q.Get("period")
	if level == "" || periodText == "" {
		web.BadRequest(w, r, "give level and period, e.g. ?level=kreis&period=2022-12-31")
		return
	}
	period, err := time.Parse(time.DateOnly, periodText)
	if err != nil {
		web.BadRequest(w, r, "period: give a date as YYYY-MM-DD")
		return
	}
	if f := q.Get("f"); f != "" && f != "csv" {
		web.BadRequest(w, r, "f: raw values are CSV only")
		return
	}
	e := access.Entry{Actor: access.From(r.Context()).Actor(), Action: "raw values",
		Detail: fmt.Sprintf("indicator %s, level %s, period %s", key, level, periodText)}
	vals, err := audited(r.Context(), h.audit, e, func() ([]indicators.RawValue, error) {
		return h.ind.RawValues(r.Context(), key, level, period)
	})
	switch {
	case errors.Is(err, geo.ErrNotFound) && !storeFault(err):
		web.NotFound(w, r, err.Error())
		return
	case err != nil:
		web.Fail(w, r, h.log, err)
		return
	}
	// Withheld values must stay out of shared caches and out of the
	// client's cache alike.
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	// key and level exist in the database, so their form is known safe.
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s-roh.csv"`, key, level, periodText))
	if err := writeRawCSV(w, vals); err != nil {
		h.log.InfoContext(r.Context(), "raw values: writing the answer", "request_id", web.RequestIDFrom(r.Context()), "error", err.Error())
	}
}

// lineOf finds a YAML line number in a problem's text, as the YAML parser
// ("yaml: line 3: …", "line 3: …") and the field check ("(line 3)") give it.
var lineOf = regexp.MustCompile(`^(?:yaml: )?line (\d+): |\s*\(line (\d+)\)`)

// definitionErrors locates the problems of a catalogue or index file. Its
// readers report one problem per line, "… FILE: WHERE: FIELD: REASON";
// this splits them into file, line, field and reason.
func definitionErrors(detail, file string) []inputError {
	var out []inputError
	for _, l := range strings.Split(detail, "\n") {
		_, rest, ok := strings.Cut(l, " "+file+": ")
		if !ok {
			continue
		}
		ie := inputError{File: file}
		if m := lineOf.FindStringSubmatchIndex(rest); m != nil {
			at := m[4:6] // the "(line N)" form
			if m[2] >= 0 {
				at = m[2:4]
			}
			ie.Line, _ = strconv.Atoi(rest[at[0]:at[1]])
			rest = rest[:m[0]] + rest[m[1]:]
		}
		if i := strings.LastIndex(rest, ": "); i >= 0 {
			ie.Field, rest = rest[:i], rest[i+2:]
		}
		ie.Reason = rest
		out = append(out, ie)
	}
	return out
}
