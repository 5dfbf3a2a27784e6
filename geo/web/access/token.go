package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// tokenPrefix marks Sozialatlas tokens, so that one pasted into the wrong
// place (a log, a chat, a repository) is recognisable for secret scanners.
const tokenPrefix = "sa_"

// secretBytes of randomness: 256 bits, beyond any guessing.
const secretBytes = 32

// tokenLen is the length of a token as handed out: the prefix and the
// secret in unpadded base64url.
var tokenLen = len(tokenPrefix) + base64.RawURLEncoding.EncodedLen(secretBytes)

// ErrNoToken is the error of Revoke for a token that does not exist or is
// revoked already.
var ErrNoToken = errors.New("no such active token")

// ErrNameTaken is the error of Create for a name an active token has.
var ErrNameTaken = errors.New("an active token has this name")

// Token describes a token; the secret itself is never stored.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Tokens stores API tokens.
type Tokens struct {
	pool *pgxpool.Pool
}

// NewTokens returns the token store on pool.
func NewTokens(pool *pgxpool.Pool) *Tokens { return &Tokens{pool: pool} }

var validName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._@-]{0,63}$`)

// hashSecret is what the database keeps of a token. A fast, unsalted hash
// is right here, unlike for passwords: the secret is 256 random bits, so
// there is no dictionary to try and nothing a slow hash would protect, and
// an unsalted hash lets a request find its token by one index lookup.
func hashSecret(secret []byte) []byte {
	h := sha256.Sum256(secret)
	return h[:]
}

// parseToken checks a token's form and returns its secret; anything that
// cannot be a token is refused before the database is asked.
func parseToken(tok string) ([]byte, bool) {
	if len(tok) != tokenLen || !strings.HasPrefix(tok, tokenPrefix) {
		return nil, false
	}
	secret, err := base64.RawURLEncoding.Strict().DecodeString(tok[len(tokenPrefix):])
	if err != nil || len(secret) != secretBytes {
		return nil, false
	}
	return secret, true
}

const sqlCreateToken = `
INSERT INTO api_token (name, role, hash) VALUES ($1, $2, $3)
RETURNING id, name, created_at`

// Create makes a token and returns it with the secret, which is shown this
// once and kept nowhere.
func (s *Tokens) Create(ctx context.Context, name string, role Role) (Token, string, error) {
	t := Token{Role: role}
	if !validName.MatchString(name) {
		return t, "", fmt.Errorf("create token: name %q: use a letter, then up to 63 letters, digits or . _ @ -", name)
	}
	if role < Viewer || role > Admin {
		return t, "", fmt.Errorf("create token: role %s: use viewer, editor or admin", role)
	}
	secret := make([]byte, secretBytes)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	err := s.pool.QueryRow(ctx, sqlCreateToken, name, role.String(), hashSecret(secret)).Scan(&t.ID, &t.Name, &t.CreatedAt)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return t, "", fmt.Errorf("create token %q: %w; revoke it first", name, ErrNameTaken)
	}
	if err != nil {
		return t, "", fmt.Errorf("create token %q: %w", name, err)
	}
	return t, tokenPrefix + base64.RawURLEncoding.EncodeToString(secret), nil
}

const sqlListTokens = `
SELECT id, name, role, created_at, revoked_at, last_used_at FROM api_token ORDER BY id`

// List returns every token, revoked ones too, oldest first.
func (s *Tokens) List(ctx context.Context) ([]Token, error) {
	rows, err := s.pool.Query(ctx, sqlListTokens)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanToken)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return list, nil
}

func scanToken(r pgx.CollectableRow) (Token, error) {
	var t Token
	var role string
	if err := r.Scan(&t.ID, &t.Name, &role, &t.CreatedAt, &t.RevokedAt, &t.LastUsedAt); err != nil {
		return t, err
	}
	var err error
	t.Role, err = ParseRole(role)
	return t, err
}

const sqlRevokeTokenByID = `
UPDATE api_token SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
RETURNING id, name, role, created_at, revoked_at, last_used_at`

const sqlRevokeTokenByName = `
UPDATE api_token SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL
RETURNING id, name, role, created_at, revoked_at, last_used_at`

// Revoke ends a token, named by its id or by its name (names start with a
// letter, so a number is always an id). It takes effect with the next
// request: tokens are checked against the database every time.
func (s *Tokens) Revoke(ctx context.Context, idOrName string) (Token, error) {
	query, arg := sqlRevokeTokenByName, any(idOrName)
	if id, err := strconv.ParseInt(idOrName, 10, 64); err == nil {
		query, arg = sqlRevokeTokenByID, id
	}
	rows, err := s.pool.Query(ctx, query, arg)
	if err != nil {
		return Token{}, fmt.Errorf("revoke token %s: %w", idOrName, err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanToken)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("revoke token %s: %w", idOrName, ErrNoToken)
	}
	if err != nil {
		return t, fmt.Errorf("revoke token %s: %w", idOrName, err)
	}
	return t, nil
}

// sqlAuthenticate finds an active token by its hash and notes its use. The
// note is written at most once a minute per token, so that a busy client
// does not turn every read into a write.
const sqlAuthenticate = `
WITH hit AS (
    SELECT id, name, role, last_used_at FROM api_token WHERE hash = $1 AND revoked_at IS NULL
), touch AS (
    UPDATE api_token t SET last_used_at = now() FROM hit
    WHERE t.id = hit.id AND (hit.last_used_at IS NULL OR hit.last_used_at < now() - interval '1 minute')
)
SELECT id, name, role FROM hit`

// Principal is who a request acts as.
type Principal struct {
	TokenID int64
	Name    string
	Role    Role
}

// Actor names the principal in the audit log.
func (p Principal) Actor() string {
	if p.Role == Anonymous {
		return "anonymous"
	}
	return "token:" + p.Name
}

// Authenticate returns the principal of an active token; ok is false for
// anything else: malformed, unknown or revoked.
func (s *Tokens) Authenticate(ctx context.Context, tok string) (p Principal, ok bool, err error) {
	secret, ok := parseToken(tok)
	if !ok {
		return p, false, nil
	}
	var role string
	err = s.pool.QueryRow(ctx, sqlAuthenticate, hashSecret(secret)).Scan(&p.TokenID, &p.Name, &role)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("authenticate: %w", err)
	}
	if p.Role, err = ParseRole(role); err != nil {
		return p, false, fmt.Errorf("authenticate: %w", err)
	}
	return p, true, nil
}
