package data_test

import (
	"context"
	"testing"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// Migration 9 adds the token and audit tables; down and up again leaves
// them empty and working, and nothing of them behind in between.
func TestAccessDownAndUp(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	p := provider(t, pool)
	if _, err := p.DownTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_class WHERE relname IN ('api_token', 'audit_log'))
		+ (SELECT count(*) FROM pg_proc WHERE proname = 'audit_log_append_only')`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("after down: %d left (%v)", left, err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`INSERT INTO api_token (name, role, hash) VALUES ('planung', 'editor', sha256('x'))`,
		`INSERT INTO audit_log (actor, action, outcome) VALUES ('cli:planer', 'token create', 'ok')`,
	} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{
		`INSERT INTO api_token (name, role, hash) VALUES ('planung', 'viewer', sha256('y'))`, // a second active name
		`INSERT INTO api_token (name, role, hash) VALUES ('root', 'superuser', sha256('z'))`,
		`INSERT INTO api_token (name, role, hash) VALUES ('kurz', 'viewer', 'abc')`,
		`DELETE FROM audit_log`,
	} {
		if _, err := pool.Exec(ctx, s); err == nil {
			t.Errorf("%s: accepted", s)
		}
	}
}
