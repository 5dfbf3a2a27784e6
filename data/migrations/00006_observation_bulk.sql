-- Observations are written in bulk: a statistical table brings a million of
-- them at once. Through a staging table, three per-row foreign key triggers
-- and three indexes, 1.1 million took 18 s to write. One COPY in key order
-- into a table whose only index is the primary key takes 1.7 s (3.0 s in
-- file order); checking the keys in a statement trigger over the new rows
-- would add 1.1 s, an index on area_id another 1.0 s. So:
--
--  * observation keeps one index, its primary key, ordered (indicator,
--    period, area_id) as every reader asks: one indicator in one period, or
--    one area probed indicator by indicator. The import writes the rows in
--    that order, so the index grows at its right edge.
--  * The keys of new rows are checked by their only writer, the table
--    import, which takes area ids, indicator keys and its batch from the
--    same transaction under the writers' lock (geo.BeginWrite). What could
--    break a key later — deleting or renaming an area, an indicator or a
--    batch — is still refused (or cascaded) by the database, by statement
--    triggers that check all changed rows at once.
--  * Own counts are no longer copied into cell. The view published_cell
--    reads them from observation, with their primary and source
--    suppression; cell holds the computed cells, own observations of rates,
--    means and values, and own counts withheld by secondary suppression.
--    (A reverted batch has no observations left: the revert deletes them.)
--  * observation_extent says which indicators and periods each batch
--    brought at which level, and cell_extent which exist in the published
--    cells, so that the cells of one area are found by probing the primary
--    keys instead of an index on area_id.

-- +goose Up
ALTER TABLE observation
    DROP CONSTRAINT observation_indicator_fkey,
    DROP CONSTRAINT observation_area_id_fkey,
    DROP CONSTRAINT observation_batch_id_fkey,
    DROP CONSTRAINT observation_pkey;
DROP INDEX observation_batch_idx;
DROP INDEX observation_period_idx;
ALTER TABLE observation ADD PRIMARY KEY (indicator, period, area_id);

-- +goose StatementBegin
CREATE FUNCTION observation_keep_areas() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT o.area_id, o.indicator INTO bad
    FROM old_rows r JOIN observation o ON o.area_id = r.id
    WHERE NOT EXISTS (SELECT FROM area a WHERE a.id = r.id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'area % still has observations of %', bad.area_id, bad.indicator
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER observation_keep_areas AFTER DELETE ON area
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION observation_keep_areas();

-- +goose StatementBegin
CREATE FUNCTION observation_keep_indicators() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad text;
BEGIN
    SELECT r.key INTO bad
    FROM old_rows r
    WHERE NOT EXISTS (SELECT FROM indicator i WHERE i.key = r.key)
      AND EXISTS (SELECT FROM observation o WHERE o.indicator = r.key)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'indicator % still has observations', bad
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER observation_keep_indicators_delete AFTER DELETE ON indicator
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION observation_keep_indicators();
CREATE TRIGGER observation_keep_indicators_update AFTER UPDATE ON indicator
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION observation_keep_indicators();

-- +goose StatementBegin
CREATE FUNCTION observation_drop_batches() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM observation o USING old_rows r WHERE o.batch_id = r.id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER observation_drop_batches AFTER DELETE ON import_batch
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION observation_drop_batches();

CREATE TABLE observation_extent (
    batch_id  bigint NOT NULL REFERENCES import_batch (id) ON DELETE CASCADE,
    indicator text NOT NULL REFERENCES indicator (key),
    period    date NOT NULL,
    level     text NOT NULL REFERENCES level (name),
    rows      integer NOT NULL,
    PRIMARY KEY (batch_id, indicator, period, level)
);
INSERT INTO observation_extent (batch_id, indicator, period, level, rows)
SELECT o.batch_id, o.indicator, o.period, a.level, count(*)
FROM observation o JOIN area a ON a.id = o.area_id
GROUP BY 1, 2, 3, 4;

CREATE TABLE cell_extent (
    indicator text NOT NULL REFERENCES indicator (key) ON DELETE CASCADE,
    level     text NOT NULL,
    period    date NOT NULL,
    PRIMARY KEY (indicator, level, period)
);

-- Own counts leave cell; published_cell shows them from observation.
DELETE FROM cell c
USING observation o, indicator i
WHERE o.indicator = c.indicator AND o.period = c.period AND o.area_id = c.area_id
  AND i.key = c.indicator AND i.kind = 'count'
  AND c.suppressed IS DISTINCT FROM 'secondary';

CREATE VIEW published_cell AS
SELECT c.indicator, c.area_id, c.period, c.value, c.numerator, c.denominator, c.status,
       c.incomplete, c.suppressed
FROM cell c
UNION ALL
SELECT o.indicator, o.area_id, o.period, o.value, NULL::double precision, NULL::double precision,
       o.status, false,
       CASE WHEN o.status = 'suppressed' THEN 'source'
            WHEN o.value > 0 AND o.value < i.min_count THEN 'primary' END
FROM observation o
JOIN indicator i ON i.key = o.indicator AND i.kind = 'count'
WHERE NOT EXISTS (
    SELECT FROM cell c WHERE c.indicator = o.indicator AND c.period = o.period AND c.area_id = o.area_id);

INSERT INTO cell_extent (indicator, level, period)
SELECT DISTINCT c.indicator, a.level, c.period
FROM published_cell c JOIN area a ON a.id = c.area_id;

-- +goose Down
DROP TABLE cell_extent;
INSERT INTO cell (indicator, area_id, period, value, numerator, denominator, status, incomplete, suppressed)
SELECT indicator, area_id, period, value, numerator, denominator, status, incomplete, suppressed
FROM published_cell p
WHERE NOT EXISTS (
    SELECT FROM cell c WHERE c.indicator = p.indicator AND c.period = p.period AND c.area_id = p.area_id);
DROP VIEW published_cell;
DROP TABLE observation_extent;
DROP TRIGGER observation_drop_batches ON import_batch;
DROP FUNCTION observation_drop_batches();
DROP TRIGGER observation_keep_indicators_update ON indicator;
DROP TRIGGER observation_keep_indicators_delete ON indicator;
DROP FUNCTION observation_keep_indicators();
DROP TRIGGER observation_keep_areas ON area;
DROP FUNCTION observation_keep_areas();
ALTER TABLE observation DROP CONSTRAINT observation_pkey;
ALTER TABLE observation ADD PRIMARY KEY (indicator, area_id, period);
CREATE INDEX observation_period_idx ON observation (indicator, period);
CREATE INDEX observation_batch_idx ON observation (batch_id);
ALTER TABLE observation
    ADD CONSTRAINT observation_indicator_fkey FOREIGN KEY (indicator) REFERENCES indicator (key) ON UPDATE CASCADE,
    ADD CONSTRAINT observation_area_id_fkey FOREIGN KEY (area_id) REFERENCES area (id),
    ADD CONSTRAINT observation_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES import_batch (id) ON DELETE CASCADE;
