-- Published cells are derived data: indicators.Publish rebuilds them from
-- observation (whose own keys are checked) inside every transaction that
-- changes observations, the catalogue or areas. Checking the keys again
-- for each of a million written cells cost two index probes and a row lock
-- on area per cell — several times the work of writing the cells.

-- +goose Up
ALTER TABLE cell DROP CONSTRAINT cell_indicator_fkey;
ALTER TABLE cell DROP CONSTRAINT cell_area_id_fkey;

-- +goose Down
DELETE FROM cell c WHERE NOT EXISTS (SELECT 1 FROM indicator i WHERE i.key = c.indicator)
    OR NOT EXISTS (SELECT 1 FROM area a WHERE a.id = c.area_id);
ALTER TABLE cell ADD CONSTRAINT cell_indicator_fkey FOREIGN KEY (indicator)
    REFERENCES indicator (key) ON UPDATE CASCADE ON DELETE CASCADE;
ALTER TABLE cell ADD CONSTRAINT cell_area_id_fkey FOREIGN KEY (area_id)
    REFERENCES area (id) ON DELETE CASCADE;
