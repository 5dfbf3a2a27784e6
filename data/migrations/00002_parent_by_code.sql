-- A parent is an area identity (level and code), not one of its versions:
-- when a Kreis gets a new version (a merger), its Gemeinden belong to
-- whichever version is valid on the day asked about, without new versions
-- of every child.

-- +goose Up
ALTER TABLE area
    ADD COLUMN parent_level text REFERENCES level (name) ON UPDATE CASCADE,
    ADD COLUMN parent_code text,
    ADD CHECK ((parent_level IS NULL) = (parent_code IS NULL));

UPDATE area a SET parent_level = p.level, parent_code = p.code
FROM area p WHERE p.id = a.parent_id;

ALTER TABLE area DROP COLUMN parent_id;

CREATE INDEX area_parent_code_idx ON area (parent_level, parent_code);

-- Successors of area versions that ended: a merger or a re-keying passes a
-- predecessor whole (share 1, exact); a boundary shift passes a share of it,
-- estimated from area overlap or an imported weight.
CREATE TABLE area_succession (
    predecessor_id bigint NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    successor_id   bigint NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    share          double precision NOT NULL CHECK (share > 0 AND share <= 1),
    exact          boolean NOT NULL,
    method         text NOT NULL CHECK (method IN ('change', 'overlap', 'weight')),
    batch_id       bigint REFERENCES import_batch (id) ON DELETE CASCADE,
    PRIMARY KEY (predecessor_id, successor_id),
    CHECK (predecessor_id <> successor_id)
);
CREATE INDEX area_succession_successor_idx ON area_succession (successor_id);

-- +goose Down
DROP TABLE area_succession;
ALTER TABLE area ADD COLUMN parent_id bigint REFERENCES area (id);
UPDATE area a SET parent_id = (
    SELECT p.id FROM area p
    WHERE p.level = a.parent_level AND p.code = a.parent_code
    ORDER BY p.valid_from NULLS FIRST LIMIT 1);
ALTER TABLE area DROP COLUMN parent_level, DROP COLUMN parent_code;
