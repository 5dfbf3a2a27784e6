-- Supply analysis: facility counts, capacities, carried population and the
-- catchment measures are written as observations of status 'derived' (they
-- are computed from the facility register and other observations, not
-- measured), so that publish sums, divides and withholds them like every
-- imported count. supply_result keeps how each was made.

-- +goose Up
ALTER TABLE observation DROP CONSTRAINT observation_status_check;
ALTER TABLE observation ADD CONSTRAINT observation_status_check
    CHECK (status IN ('measured', 'derived', 'estimated', 'provisional', 'suppressed', 'missing'));

-- One row per indicator and period a supply definition wrote: the batch
-- that holds its observations and the metadata (facility type and period,
-- the population and its period, method and parameters of a catchment
-- measure, the target and its source).
CREATE TABLE supply_result (
    indicator text NOT NULL REFERENCES indicator (key) ON UPDATE CASCADE ON DELETE CASCADE,
    period    date NOT NULL,
    batch_id  bigint NOT NULL REFERENCES import_batch (id) ON DELETE CASCADE,
    meta      jsonb NOT NULL,
    PRIMARY KEY (indicator, period)
);

-- +goose Down
DROP TABLE supply_result;
DELETE FROM observation WHERE status = 'derived';
ALTER TABLE observation DROP CONSTRAINT observation_status_check;
ALTER TABLE observation ADD CONSTRAINT observation_status_check
    CHECK (status IN ('measured', 'estimated', 'provisional', 'suppressed', 'missing'));
