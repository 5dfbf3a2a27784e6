-- Facilities: the social infrastructure (Kitas, schools, nursing homes, youth
-- leisure centres, counselling centres) as points of a type, each a version
-- with a validity interval, as facilities open and close.
--
-- Every facility is counted once, in the finest area with geometry that
-- contains it on its first day of validity (area_id, computed at import);
-- area schemes do not count, their areas are groupings of others.

-- +goose Up
CREATE TABLE facility_type (
    key           text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    title         text NOT NULL,
    -- what a capacity counts ('Plätze', 'Betten'); NULL where none is kept
    capacity_unit text
);

INSERT INTO facility_type (key, title, capacity_unit) VALUES
    ('kita', 'Kindertagesstätten', 'Plätze'),
    ('schule', 'Schulen', NULL),
    ('pflege', 'Pflegeheime', 'Plätze'),
    ('jugend', 'Jugendfreizeiteinrichtungen', 'Plätze'),
    ('beratung', 'Beratungsstellen', NULL);

-- One row per facility version; valid_from and valid_to are inclusive, NULL
-- unbounded. A source's own id never has overlapping versions of one type.
CREATE TABLE facility (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type          text NOT NULL REFERENCES facility_type (key) ON UPDATE CASCADE,
    source_id     text NOT NULL CHECK (source_id <> ''),
    name          text NOT NULL CHECK (name <> ''),
    street        text,
    house_number  text,
    postcode      text,
    place         text,
    carrier       text,
    carrier_type  text,
    target_group  text,
    capacity      numeric CHECK (capacity >= 0),
    capacity_unit text,
    valid_from    date,
    valid_to      date,
    -- the source's other fields, as text
    attributes    jsonb NOT NULL DEFAULT '{}',
    geom          geometry(Point, 4326) NOT NULL,
    -- what vector tiles are cut from, kept in step with geom
    geom_3857     geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    area_id       bigint REFERENCES area (id),
    batch_id      bigint NOT NULL REFERENCES import_batch (id),
    -- the import that ended this version by a newer one of the same
    -- source id, so that reverting that import reopens it
    closed_by     bigint REFERENCES import_batch (id),
    CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to),
    EXCLUDE USING gist (type WITH =, source_id WITH =,
                        daterange(valid_from, valid_to, '[]') WITH &&)
);

CREATE INDEX facility_type_idx ON facility (type);
CREATE INDEX facility_area_idx ON facility (area_id);
CREATE INDEX facility_batch_idx ON facility (batch_id);
CREATE INDEX facility_geom_idx ON facility USING gist (geom);
CREATE INDEX facility_geom_3857_idx ON facility USING gist (geom_3857);

-- +goose Down
DROP TABLE facility;
DROP TABLE facility_type;
