-- Indicators: the catalogue, observations as imported, and the published
-- cells computed from them at every level.

-- +goose Up

-- The catalogue is loaded from a versioned file (catalogue.yaml); these
-- tables mirror it.
CREATE TABLE indicator (
    key             text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    position        integer NOT NULL,
    title           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    unit            text NOT NULL DEFAULT '',
    category        text NOT NULL,
    polarity        text NOT NULL CHECK (polarity IN ('higher_better', 'higher_worse', 'neutral')),
    source          text NOT NULL DEFAULT '',
    licence         text NOT NULL DEFAULT '',
    decimals        integer NOT NULL DEFAULT 0 CHECK (decimals BETWEEN 0 AND 6),
    kind            text NOT NULL CHECK (kind IN ('count', 'rate', 'mean', 'value')),
    -- count: a linear combination of other counts of the same area and
    -- period, used where the count itself was not imported
    -- (e.g. {"einwohner": 1, "maennlich": -1} for female residents).
    combine         jsonb,
    -- rate: numerator / denominator * scale, both counts
    numerator       text REFERENCES indicator (key) DEFERRABLE INITIALLY DEFERRED,
    denominator     text REFERENCES indicator (key) DEFERRABLE INITIALLY DEFERRED,
    scale           double precision,
    -- mean: weighted by a count
    weight          text REFERENCES indicator (key) DEFERRABLE INITIALLY DEFERRED,
    -- disclosure control: counts 0 < n < min_count and rates or means whose
    -- denominator or weight is below min_denominator are not published
    min_count       integer NOT NULL DEFAULT 3 CHECK (min_count >= 0),
    min_denominator integer NOT NULL DEFAULT 10 CHECK (min_denominator >= 0),
    CHECK ((kind = 'rate') = (numerator IS NOT NULL AND denominator IS NOT NULL AND scale IS NOT NULL)),
    CHECK ((kind = 'mean') = (weight IS NOT NULL)),
    CHECK (combine IS NULL OR kind = 'count')
);

-- Additive groups: the members sum to the total (age bands to residents).
CREATE TABLE indicator_group (
    key   text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    title text NOT NULL,
    total text NOT NULL REFERENCES indicator (key) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE indicator_group_member (
    group_key text NOT NULL REFERENCES indicator_group (key) ON DELETE CASCADE,
    indicator text NOT NULL REFERENCES indicator (key) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (group_key, indicator)
);

-- Observations as imported, on the area version valid on the table's
-- Gebietsstand. value is NULL when the source has none: kept secret
-- ('.', status suppressed) or not available ('x', '/', '…', placeholders,
-- status missing).
CREATE TABLE observation (
    indicator text NOT NULL REFERENCES indicator (key) ON UPDATE CASCADE,
    area_id   bigint NOT NULL REFERENCES area (id),
    period    date NOT NULL,
    value     double precision,
    status    text NOT NULL CHECK (status IN ('measured', 'estimated', 'provisional', 'suppressed', 'missing')),
    batch_id  bigint NOT NULL REFERENCES import_batch (id) ON DELETE CASCADE,
    PRIMARY KEY (indicator, area_id, period),
    CHECK ((value IS NULL) = (status IN ('suppressed', 'missing')))
);
CREATE INDEX observation_batch_idx ON observation (batch_id);
CREATE INDEX observation_period_idx ON observation (indicator, period);

-- Published cells: every indicator at every area version and period where
-- it has a value, imported or computed. value is the true value, which only
-- the command line and privileged roles may see; suppressed says why a cell
-- is withheld from everyone else ('primary', 'secondary', 'source'), NULL
-- when it may be shown.
CREATE TABLE cell (
    indicator   text NOT NULL REFERENCES indicator (key) ON UPDATE CASCADE ON DELETE CASCADE,
    area_id     bigint NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    period      date NOT NULL,
    value       double precision,
    numerator   double precision,
    denominator double precision,
    status      text NOT NULL CHECK (status IN ('measured', 'derived', 'estimated', 'provisional', 'suppressed', 'missing')),
    incomplete  boolean NOT NULL DEFAULT false,
    suppressed  text CHECK (suppressed IN ('primary', 'secondary', 'source')),
    PRIMARY KEY (indicator, period, area_id)
);
CREATE INDEX cell_area_idx ON cell (area_id, period);

-- Bumped by every change of published data; caches key on it.
CREATE TABLE data_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint NOT NULL,
    changed  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_version (version) VALUES (1);

ALTER TABLE import_batch ADD COLUMN reverted_at timestamptz;

-- +goose Down
ALTER TABLE import_batch DROP COLUMN reverted_at;
DROP TABLE data_version;
DROP TABLE cell;
DROP TABLE observation;
DROP TABLE indicator_group_member;
DROP TABLE indicator_group;
DROP TABLE indicator;
