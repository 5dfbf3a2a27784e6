package access

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/sozialatlas/sozialatlas/geo/web"
)

// Mode says what anonymous clients may do.
type Mode string

const (
	// Public serves the published data to anyone; tokens are needed only
	// for imports and administration.
	Public Mode = "public"
	// Login puts the whole service behind tokens, except the open paths.
	Login Mode = "login"
)

// ParseMode reads the --access setting.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case Public, Login:
		return Mode(s), nil
	}
	return "", fmt.Errorf("access %q: use public or login", s)
}

// Config configures the middleware.
type Config struct {
	Mode   Mode
	Tokens *Tokens
	// Open paths are answered without looking at credentials in either
	// mode: health checks of orchestrators, which hold no token.
	Open   []string
	Logger *slog.Logger
}

// realm names the protection space in WWW-Authenticate (RFC 6750).
const realm = `Bearer realm="sozialatlas"`

type principalKey struct{}

// From returns the principal a request acts as: anonymous without a token.
func From(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// WithPrincipal returns ctx acting as p, for handlers called outside the
// middleware (tests, the command line).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// Authenticate reads the bearer token of every request and puts its
// principal into the context. A token that is given must be valid, also
// where none is needed, so that a client learns at once that its token is
// wrong or revoked; in Login mode a request without one is refused.
func Authenticate(cfg Config) func(http.Handler) http.Handler {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	open := make(map[string]bool, len(cfg.Open))
	for _, p := range cfg.Open {
		open[p] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if open[r.URL.Path] {
				next.ServeHTTP(w, r)
				return
			}
			h := r.Header.Get("Authorization")
			if h == "" {
				if cfg.Mode == Login {
					unauthorized(w, r, "", "This service requires a token: send 'Authorization: Bearer <token>'.")
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			scheme, tok, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				unauthorized(w, r, "invalid_request", "Only bearer tokens are accepted: 'Authorization: Bearer <token>'.")
				return
			}
			p, ok, err := cfg.Tokens.Authenticate(r.Context(), strings.TrimSpace(tok))
			if err != nil {
				web.Fail(w, r, log, err)
				return
			}
			if !ok {
				unauthorized(w, r, "invalid_token", "The token is unknown or revoked.")
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

// Require refuses requests whose principal's role is below role: 401
// without a token (the client should authenticate), 403 with a token too
// weak (authenticating again will not help).
func Require(role Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := From(r.Context())
			switch {
			case p.Role >= role:
				next.ServeHTTP(w, r)
			case p.Role == Anonymous:
				unauthorized(w, r, "", fmt.Sprintf("This needs a token of role %s or higher.", role))
			default:
				w.Header().Set("WWW-Authenticate", realm+`, error="insufficient_scope"`)
				web.WriteProblem(w, r, web.Problem{Status: http.StatusForbidden,
					Detail: fmt.Sprintf("This needs role %s or higher; the token %q has role %s.", role, p.Name, p.Role)})
			}
		})
	}
}

// unauthorized answers 401 with the challenge of RFC 6750; code is its
// error attribute, empty when no credentials were given.
func unauthorized(w http.ResponseWriter, r *http.Request, code, detail string) {
	challenge := realm
	if code != "" {
		challenge += `, error="` + code + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	web.WriteProblem(w, r, web.Problem{Status: http.StatusUnauthorized, Detail: detail})
}
