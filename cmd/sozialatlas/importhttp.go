package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/source"
	"github.com/sozialatlas/sozialatlas/geo/web"
	"github.com/sozialatlas/sozialatlas/geo/web/access"
	"github.com/sozialatlas/sozialatlas/indicators"
	"github.com/sozialatlas/sozialatlas/indicators/table"
)

// Import uploads: POST /imports/areas and /imports/indicators take a
// multipart/form-data body whose "file" part is the file to import (more
// "file" parts lie beside it, as a shapefile's .dbf and .prj), and whose
// other fields are the command line's options by their flag names
// (level=gemeinde, code-field=ARS, where=GF=9 repeated, …). The importers
// are the command line's, in one transaction each, and their reports are
// the answer.

// importHandlers serves the import endpoints.
type importHandlers struct {
	areas  *geo.Store
	ind    *indicators.Store
	audit  *access.Audit
	tokens *access.Tokens
	// maxBody bounds an upload's whole request body.
	maxBody int64
	log     *slog.Logger
}

// formSlack is what an upload's body may hold beyond the file: the form
// fields and the multipart framing.
const formSlack = 1 << 20

// Limits of the form's option fields: flags are short, and a form of
// thousands of fields is no import.
const (
	maxFieldBytes = 64 << 10
	maxFields     = 100
)

// uploadRoutes are the paths whose body limit is the upload limit rather
// than the service's general one.
var uploadRoutes = map[string]bool{"/imports/areas": true, "/imports/indicators": true, "/catalogue": true, "/indices": true}

// ownBodyLimit reports whether the request is an upload, which its
// handler limits itself.
func ownBodyLimit(r *http.Request) bool {
	return r.Method == http.MethodPost && uploadRoutes[r.URL.Path]
}

func (h *importHandlers) routes(r chi.Router) {
	r.Route("/imports", func(r chi.Router) {
		r.Use(access.Require(access.Editor))
		r.Get("/", h.list)
		r.Post("/areas", h.importAreas)
		r.Post("/indicators", h.importIndicators)
		r.Post("/{id}/revert", h.revert)
	})
	r.With(access.Require(access.Admin)).Get("/audit", h.auditLog)
	h.adminRoutes(r)
}

func (h *importHandlers) importAreas(w http.ResponseWriter, r *http.Request) {
	var opts areaOptions
	up, ok := h.receive(w, r, "import areas", opts.register)
	if !ok {
		return
	}
	defer up.remove()
	rep, err := audited(r.Context(), h.audit, up.entry, func() (geo.ImportReport, error) {
		return h.areas.ImportAreas(r.Context(), opts.result(up.path))
	})
	if err != nil {
		h.importFailed(w, r, up, err)
		return
	}
	web.WriteJSON(w, r, h.log, http.StatusCreated, "", rep)
}

func (h *importHandlers) importIndicators(w http.ResponseWriter, r *http.Request) {
	var opts tableOptions
	up, ok := h.receive(w, r, "import indicators", opts.register)
	if !ok {
		return
	}
	defer up.remove()
	if opts.in.Level == "" {
		web.BadRequest(w, r, "level: give the level of the area codes, e.g. gemeinde")
		return
	}
	in, err := opts.result(up.path, nil)
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	rep, err := audited(r.Context(), h.audit, up.entry, func() (indicators.TableReport, error) {
		return h.ind.ImportTable(r.Context(), in)
	})
	if err != nil {
		h.importFailed(w, r, up, err)
		return
	}
	status := http.StatusCreated
	if rep.Batch == 0 {
		status = http.StatusOK // checked only, or imported before: nothing new
	}
	web.WriteJSON(w, r, h.log, status, "", rep)
}

func (h *importHandlers) list(w http.ResponseWriter, r *http.Request) {
	list, err := h.ind.ListBatches(r.Context())
	writeList(w, r, h.log, list, err)
}

// writeList answers a list from a store as a JSON array ([] when empty),
// or the store's failure.
func writeList[T any](w http.ResponseWriter, r *http.Request, log *slog.Logger, list []T, err error) {
	if err != nil {
		web.Fail(w, r, log, err)
		return
	}
	if list == nil {
		list = []T{}
	}
	web.WriteJSON(w, r, log, http.StatusOK, "", list)
}

func (h *importHandlers) revert(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		web.NotFound(w, r, "no import with this id; GET /imports lists them")
		return
	}
	e := access.Entry{Actor: access.From(r.Context()).Actor(), Action: "revert", Detail: fmt.Sprintf("batch %d", id)}
	rep, err := audited(r.Context(), h.audit, e, func() (indicators.RevertReport, error) {
		return h.ind.RevertBatch(r.Context(), id)
	})
	switch {
	case err == nil:
		web.WriteJSON(w, r, h.log, http.StatusOK, "", rep)
	case errors.Is(err, geo.ErrNotFound):
		web.NotFound(w, r, fmt.Sprintf("no import %d; GET /imports lists them", id))
	case storeFault(err):
		web.Fail(w, r, h.log, err)
	default:
		// Reverted already, an area import, or areas still in use.
		web.WriteProblem(w, r, web.Problem{Status: http.StatusConflict, Detail: err.Error()})
	}
}

func (h *importHandlers) auditLog(w http.ResponseWriter, r *http.Request) {
	after, limit := int64(0), 1000
	q := r.URL.Query()
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			web.BadRequest(w, r, "after: give the id of an entry (a whole number ≥ 0)")
			return
		}
		after = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			web.BadRequest(w, r, "limit: give a whole number from 1 to 10000")
			return
		}
		limit = n
	}
	list, err := h.audit.List(r.Context(), after, limit)
	writeList(w, r, h.log, list, err)
}

// upload is a received multipart upload, saved in a directory of its own.
type upload struct {
	dir   string
	path  string       // the first file, the one to import
	entry access.Entry // its audit entry: who, what, size and SHA-256
}

func (u *upload) remove() { _ = os.RemoveAll(u.dir) }

// fieldName is what a form field must look like: a flag's name.
var fieldName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}$`)

// receive saves the upload's files and parses its other fields with the
// options register defines, answering the problem itself when it fails.
func (h *importHandlers) receive(w http.ResponseWriter, r *http.Request, action string, register func(*flag.FlagSet)) (*upload, bool) {
	if r.ContentLength > h.maxBody {
		tooLarge(w, r, h.maxBody)
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		web.WriteProblem(w, r, web.Problem{Status: http.StatusUnsupportedMediaType,
			Detail: "send the file as multipart/form-data, in a part named \"file\""})
		return nil, false
	}
	mr, err := r.MultipartReader()
	if err != nil {
		web.BadRequest(w, r, "the multipart body cannot be read: "+err.Error())
		return nil, false
	}
	dir, err := os.MkdirTemp("", "sozialatlas-upload-")
	if err != nil {
		web.InternalError(w, r, h.log, fmt.Errorf("%s: %w", action, err))
		return nil, false
	}
	up := &upload{dir: dir, entry: access.Entry{Actor: access.From(r.Context()).Actor(), Action: action}}
	var args []string
	fail := func(status int, detail string) (*upload, bool) {
		up.remove()
		if status == http.StatusRequestEntityTooLarge {
			tooLarge(w, r, h.maxBody)
		} else {
			web.WriteProblem(w, r, web.Problem{Status: status, Detail: detail})
		}
		return nil, false
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(readStatus(err), "the multipart body cannot be read: "+err.Error())
		}
		name := part.FormName()
		if name == "file" {
			status, err := up.save(part)
			if err != nil {
				if status == http.StatusInternalServerError {
					up.remove()
					web.InternalError(w, r, h.log, fmt.Errorf("%s: %w", action, err))
					return nil, false
				}
				return fail(status, err.Error())
			}
			continue
		}
		if !fieldName.MatchString(name) || len(args) >= maxFields {
			return fail(http.StatusBadRequest, fmt.Sprintf("form field %q: not an option of %s", name, action))
		}
		value, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			return fail(readStatus(err), "the multipart body cannot be read: "+err.Error())
		}
		if len(value) > maxFieldBytes {
			return fail(http.StatusBadRequest, fmt.Sprintf("form field %q: longer than %d bytes", name, maxFieldBytes))
		}
		args = append(args, "-"+name+"="+string(value))
	}
	if up.path == "" {
		return fail(http.StatusBadRequest, "no file: send it in a multipart part named \"file\", with its file name")
	}
	fs := flag.NewFlagSet(action, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	register(fs)
	if err := fs.Parse(args); err != nil {
		return fail(http.StatusBadRequest, "form field: "+strings.TrimPrefix(err.Error(), "flag provided but not defined: -"))
	}
	return up, true
}

// save writes one file part into the upload's directory; the first is the
// file to import, and its size and SHA-256 go into the audit entry. The
// status says whose fault an error is.
func (up *upload) save(part *multipart.Part) (int, error) {
	name := part.FileName() // its base name only (mime/multipart strips directories)
	if !safeFileName(name) {
		return http.StatusBadRequest, fmt.Errorf("file name %q: give the plain name of the file, e.g. gemeinden.geojson", name)
	}
	path := filepath.Join(up.dir, name)
	// O_EXCL: two parts of one name are a mistake, not a replacement.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return http.StatusBadRequest, fmt.Errorf("file %q is sent twice", name)
	}
	if err != nil {
		return http.StatusInternalServerError, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), part)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return readStatus(err), fmt.Errorf("file %q: %w", name, err)
	}
	if up.path == "" {
		up.path = path
		up.entry.File, up.entry.Size, up.entry.SHA256 = name, &n, hex.EncodeToString(h.Sum(nil))
	}
	return 0, nil
}

// safeFileName accepts a plain file name: no directories, nothing hidden,
// no control characters, so that it can only name a file in the upload's
// own directory.
func safeFileName(name string) bool {
	if name == "" || len(name) > 255 || name[0] == '.' || filepath.Base(name) != name {
		return false
	}
	return !strings.ContainsFunc(name, func(c rune) bool { return c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == ':' })
}

// readStatus is the status for an error reading the request body: 413 when
// it passed the limit, else the client sent something broken.
func readStatus(err error) int {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func tooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	web.WriteProblem(w, r, web.Problem{Status: http.StatusRequestEntityTooLarge,
		Detail: fmt.Sprintf("an upload may have at most %d bytes (--max-upload)", limit)})
}

// inputError is one problem with an uploaded file, located as precisely as
// the reader knows.
type inputError struct {
	File    string `json:"file,omitempty"`
	Sheet   string `json:"sheet,omitempty"`
	Line    int    `json:"line,omitempty"`
	Feature int    `json:"feature,omitempty"`
	Field   string `json:"field,omitempty"`
	Reason  string `json:"reason"`
}

// importProblem is the problem of a refused import: RFC 9457 with the
// extension member "errors" listing the problems of the file.
type importProblem struct {
	web.Problem
	Errors []inputError `json:"errors,omitempty"`
}

// importFailed answers a failed import: 422 naming file, row, field and
// reason for problems with the upload, 503 or 500 (with nothing of the
// cause) for the database's.
func (h *importHandlers) importFailed(w http.ResponseWriter, r *http.Request, up *upload, err error) {
	if storeFault(err) {
		web.Fail(w, r, h.log, err)
		return
	}
	// The importers name files by their path, which here is the upload's
	// temporary directory: the client knows them by their names.
	detail := strings.ReplaceAll(err.Error(), up.dir+string(filepath.Separator), "")
	p := importProblem{Problem: web.Problem{Type: "about:blank", Status: http.StatusUnprocessableEntity,
		Title: "The import was refused; nothing was changed", Detail: detail,
		Instance: r.URL.RequestURI(), RequestID: web.RequestIDFrom(r.Context())}}
	p.Errors = inputErrors(err)
	if p.Errors == nil {
		// Catalogues and index definitions report their problems as text.
		p.Errors = definitionErrors(detail, up.entry.File)
	}
	web.WriteJSON(w, r, h.log, p.Status, web.ProblemMediaType, p)
}

// inputErrors lists the located problems in err's tree.
func inputErrors(err error) []inputError {
	var out []inputError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case *source.Error:
			ie := inputError{File: filepath.Base(e.Path), Field: e.Field, Reason: e.Reason}
			if e.Line {
				ie.Line = e.Feature
			} else {
				ie.Feature = e.Feature
			}
			out = append(out, ie)
			return
		case *table.Error:
			out = append(out, inputError{File: filepath.Base(e.Path), Sheet: e.Sheet, Line: e.Line, Field: e.Column, Reason: e.Reason})
			return
		case interface{ Unwrap() []error }:
			for _, c := range e.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// storeFault reports whether err is the database's fault rather than the
// input's: unreachable, timed out, or failing otherwise than on the
// data's constraints (SQLSTATE classes 22 data exception, 23 integrity).
func storeFault(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return !strings.HasPrefix(pgErr.Code, "22") && !strings.HasPrefix(pgErr.Code, "23")
	}
	var netErr net.Error
	var connErr *pgconn.ConnectError
	return errors.As(err, &connErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
