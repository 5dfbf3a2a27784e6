package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// ProblemMediaType is the media type of an RFC 9457 problem details body.
const ProblemMediaType = "application/problem+json"

// Problem is an RFC 9457 problem details object. Type "about:blank" (the
// default when empty) means the status code says it all and Title is the
// status text.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// RequestID is an extension member (RFC 9457 section 3.2): the id a user
	// can quote so the logged cause of a server error can be found.
	RequestID string `json:"request_id,omitempty"`
}

// WriteProblem answers with the problem; empty Type, Title and Instance are
// filled in from the status and the request.
func WriteProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.RequestURI()
	}
	if p.RequestID == "" && r != nil {
		p.RequestID = RequestIDFrom(r.Context())
	}
	body, err := json.Marshal(p)
	if err != nil {
		// A Problem holds only strings and an int; marshalling cannot fail.
		body = []byte(`{"type":"about:blank","status":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", ProblemMediaType)
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}

// BadRequest answers 400; detail should name the offending parameter and why.
func BadRequest(w http.ResponseWriter, r *http.Request, detail string) {
	WriteProblem(w, r, Problem{Status: http.StatusBadRequest, Detail: detail})
}

// NotFound answers 404.
func NotFound(w http.ResponseWriter, r *http.Request, detail string) {
	WriteProblem(w, r, Problem{Status: http.StatusNotFound, Detail: detail})
}

// NotAcceptable answers 406, naming the media types that are offered.
func NotAcceptable(w http.ResponseWriter, r *http.Request, detail string) {
	WriteProblem(w, r, Problem{Status: http.StatusNotAcceptable, Detail: detail})
}

// Unavailable answers 503, for a store that cannot be reached right now.
func Unavailable(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("Retry-After", "30")
	WriteProblem(w, r, Problem{Status: http.StatusServiceUnavailable, Detail: detail})
}

// InternalError logs err with the request id and answers a 500 that tells
// the client nothing about the cause: SQL and internals stay in the log.
func InternalError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	if logger == nil {
		logger = slog.Default()
	}
	logger.ErrorContext(r.Context(), "request failed",
		"request_id", RequestIDFrom(r.Context()),
		"method", r.Method, "path", r.URL.Path, "error", err.Error())
	WriteProblem(w, r, Problem{
		Status: http.StatusInternalServerError,
		Detail: "The server could not answer this request; the request id identifies it in the server's log.",
	})
}
