package web

import (
	"net/http"
	"strings"
)

// BaseURL is where links in responses point to.
type BaseURL struct {
	// Public, when set, is the service's externally visible URL (with any
	// path prefix), used as is for every request.
	Public string
	// TrustProxy honours X-Forwarded-Proto and X-Forwarded-Host. Only for a
	// service behind a proxy that sets them: otherwise any client could make
	// the service emit links to a host of its choosing.
	TrustProxy bool
}

// For returns the base URL for links in the answer to r, without a trailing
// slash.
func (b BaseURL) For(r *http.Request) string {
	if b.Public != "" {
		return strings.TrimRight(b.Public, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if b.TrustProxy {
		if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
			host = h
		}
	}
	return scheme + "://" + host
}

// firstValue returns the first of a comma-separated header's values: the one
// the outermost proxy set.
func firstValue(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}
