-- Published cells are derived data: indicators.Publish rebuilds them from
-- observation (whose own keys are checked) inside every transaction that
-- changes observations, the catalogue or areas, and removes cells whose
-- area version is gone. Checking the area key again for each of a million
-- written cells cost an index probe and a row lock on area per cell — more
-- than writing the cell. The indicator key stays: removing an indicator
-- from the catalogue removes its cells at once.

-- +goose Up
ALTER TABLE cell DROP CONSTRAINT cell_area_id_fkey;

-- +goose Down
DELETE FROM cell c WHERE NOT EXISTS (SELECT 1 FROM area a WHERE a.id = c.area_id);
ALTER TABLE cell ADD CONSTRAINT cell_area_id_fkey FOREIGN KEY (area_id)
    REFERENCES area (id) ON DELETE CASCADE;
