-- Composite indices (e.g. the status and dynamics indices of Berlin's
-- Monitoring Soziale Stadtentwicklung): definitions, versioned, and the
-- results of each computation. The results themselves are published cells
-- of ordinary indicators, so that an index is shown like any indicator.

-- +goose Up

-- Every change of a definition is a new version; old versions are kept, so
-- that a result can always be traced to the definition it was computed
-- with. The latest version of a key is the one in force.
CREATE TABLE composite_index (
    key        text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    version    integer NOT NULL CHECK (version > 0),
    definition jsonb NOT NULL,
    -- the file the definition was applied from, as given
    file       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, version)
);

-- The indicators holding an index's results name it; the catalogue sync
-- leaves them alone and the publisher does not recompute them from
-- observations (the index is computed after it, from its cells).
-- value_labels names the values of class indicators: [{"value": 1,
-- "label": "hoch"}, …].
ALTER TABLE indicator
    ADD COLUMN composite_index text,
    ADD COLUMN value_labels jsonb;

-- One row per index and period computed: the version used, the number of
-- areas scored and the statistics of the standardisation, so that the
-- method can be checked against the published one.
CREATE TABLE composite_index_result (
    key         text NOT NULL,
    period      date NOT NULL,
    version     integer NOT NULL,
    level       text NOT NULL,
    scored      integer NOT NULL,
    stats       jsonb NOT NULL,
    -- why the index could not be computed for the period (scored 0)
    problem     text,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, period),
    FOREIGN KEY (key, version) REFERENCES composite_index (key, version) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE composite_index_result;
DELETE FROM indicator WHERE composite_index IS NOT NULL;
ALTER TABLE indicator
    DROP COLUMN value_labels,
    DROP COLUMN composite_index;
DROP TABLE composite_index;
