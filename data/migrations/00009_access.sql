-- Access control and the audit log: API tokens with a role, and a record of
-- every import, revert and token change, by whom and with what outcome.

-- +goose Up

-- A token is shown once when created; only its SHA-256 is kept, so a copy
-- of the database does not hand out working tokens. Names identify tokens
-- in the audit log and on the command line; they start with a letter so
-- that 'token revoke 12' can only mean an id. A revoked token's name may be
-- given again, to its successor.
CREATE TABLE api_token (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (name ~ '^[A-Za-z][A-Za-z0-9._@-]{0,63}$'),
    role         text NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    hash         bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE UNIQUE INDEX api_token_active_name ON api_token (name) WHERE revoked_at IS NULL;

-- The audit log refers to batches and tokens by value, not by foreign key:
-- it must outlive what it describes.
CREATE TABLE audit_log (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    -- 'token:NAME' for a request, 'cli:USER' for the command line
    actor    text NOT NULL,
    -- 'import areas', 'import indicators', 'revert', 'token create', …
    action   text NOT NULL,
    file     text NOT NULL DEFAULT '',
    size     bigint,
    sha256   text NOT NULL DEFAULT '',
    batch_id bigint,
    rows     bigint,
    outcome  text NOT NULL CHECK (outcome IN ('ok', 'failed')),
    detail   text NOT NULL DEFAULT ''
);

-- The log is append-only: a statement that would change or remove an entry
-- fails, so that even the service's own database role cannot cover tracks
-- by mistake.
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE api_token;
