package web

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
)

// WriteJSON answers status with v encoded as JSON in the given media type
// (application/json when empty). v is encoded before anything is sent, so
// an encoding failure still becomes a proper 500 problem.
func WriteJSON(w http.ResponseWriter, r *http.Request, logger *slog.Logger, status int, mediaType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		InternalError(w, r, logger, fmt.Errorf("encode %T: %w", v, err))
		return
	}
	body = append(body, '\n')
	if mediaType == "" {
		mediaType = "application/json"
	}
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}
