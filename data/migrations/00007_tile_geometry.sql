-- Vector tiles are cut from precomputed Web Mercator geometry, one version
-- per zoom band (tiles.Bands), simplified border by border at import so
-- that neighbouring areas stay exactly adjacent at every zoom.

-- +goose Up
-- Web Mercator geometry per zoom band, generalized so that neighbours stay exactly adjacent.
CREATE TABLE tile_geom (
    area_id bigint   NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    band    smallint NOT NULL,             -- the band's highest zoom (see tiles.Band)
    geom    geometry(MultiPolygon, 3857) NOT NULL,
    PRIMARY KEY (band, area_id)
);
CREATE INDEX tile_geom_geom_idx ON tile_geom USING gist (geom);

-- +goose Down
DROP TABLE tile_geom;
