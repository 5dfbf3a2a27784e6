-- Areas: levels, area versions, area schemes, import batches.
--
-- Geometry is stored twice, both precomputed at import:
--   geom       EPSG:4326, what GeoJSON (CRS84) serves without a transform;
--   geom_3857  Web Mercator, what vector tiles are cut from.
-- The source CRS is not kept: every import reprojects once, in PostGIS.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- A level is either a rung of the administrative hierarchy (rank orders it,
-- lower is coarser) or an area scheme: a county's own grouping of areas of
-- one member level (Sozialräume), outside the hierarchy (rank NULL).
CREATE TABLE level (
    name         text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    title        text NOT NULL,
    rank         integer UNIQUE,
    member_level text REFERENCES level (name) ON UPDATE CASCADE,
    CHECK ((rank IS NULL) = (member_level IS NOT NULL))
);

INSERT INTO level (name, title, rank) VALUES
    ('staat', 'Staat', 10),
    ('land', 'Länder', 20),
    ('kreis', 'Kreise und kreisfreie Städte', 30),
    ('gemeinde', 'Gemeinden', 40),
    ('bezirk', 'Bezirke', 50),
    ('prognoseraum', 'Prognoseräume', 60),
    ('bezirksregion', 'Bezirksregionen', 70),
    ('planungsraum', 'Planungsräume', 80);

CREATE TABLE import_batch (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    source      text NOT NULL,
    options     jsonb NOT NULL DEFAULT '{}',
    report      jsonb NOT NULL DEFAULT '{}',
    imported_at timestamptz NOT NULL DEFAULT now()
);

-- One row per area version. valid_from and valid_to are inclusive; NULL is
-- unbounded. Versions of one (level, code) never overlap in time.
CREATE TABLE area (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    level       text NOT NULL REFERENCES level (name) ON UPDATE CASCADE,
    code        text NOT NULL CHECK (code <> ''),
    name        text NOT NULL,
    parent_id   bigint REFERENCES area (id),
    valid_from  date,
    valid_to    date,
    geom        geometry(MultiPolygon, 4326),
    geom_3857   geometry(MultiPolygon, 3857),
    area_km2    double precision,
    label_point geometry(Point, 4326),
    batch_id    bigint REFERENCES import_batch (id),
    CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to),
    CHECK ((geom IS NULL) = (geom_3857 IS NULL)),
    EXCLUDE USING gist (level WITH =, code WITH =,
                        daterange(valid_from, valid_to, '[]') WITH &&)
);

CREATE INDEX area_level_code_idx ON area (level, code);
CREATE INDEX area_parent_idx ON area (parent_id);
CREATE INDEX area_geom_idx ON area USING gist (geom);
CREATE INDEX area_geom_3857_idx ON area USING gist (geom_3857);

-- Members of a scheme area (a Sozialraum): areas of the scheme's member level.
CREATE TABLE area_member (
    group_id  bigint NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    member_id bigint NOT NULL REFERENCES area (id),
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX area_member_member_idx ON area_member (member_id);

-- +goose Down
DROP TABLE area_member;
DROP TABLE area;
DROP TABLE import_batch;
DROP TABLE level;
