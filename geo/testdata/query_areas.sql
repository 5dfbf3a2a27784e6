-- Fixture for the read queries and the OGC API Features handlers: rectangles
-- with known corners (lon/lat), versions in time, an area without geometry,
-- an empty level (bezirk) and an area scheme. Areas are inserted in an order
-- unlike their codes so that ordering by code is visible.
INSERT INTO level (name, title, member_level) VALUES ('sozialraum', 'Sozialräume', 'gemeinde');

CREATE FUNCTION pg_temp.box(x0 float8, y0 float8, x1 float8, y1 float8)
RETURNS geometry LANGUAGE sql AS
$$ SELECT ST_Multi(ST_MakeEnvelope(x0, y0, x1, y1, 4326)) $$;

CREATE FUNCTION pg_temp.add(lvl text, c text, n text, parent_level text, parent_code text,
	parent_on date, vf date, vt date, g geometry)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO area (level, code, name, parent_level, parent_code, valid_from, valid_to, geom, geom_3857, area_km2, label_point)
	SELECT lvl, c, n, parent_level, parent_code,
		vf, vt, g, ST_Transform(g, 3857), ST_Area(g::geography) / 1e6, ST_PointOnSurface(g)
$$;

SELECT pg_temp.add('staat', 'DE', 'Deutschland', NULL, NULL, NULL, NULL, NULL, pg_temp.box(6, 47, 15, 55));
SELECT pg_temp.add('land', '02', 'Hamburg', 'staat', 'DE', '2000-01-01', NULL, NULL, pg_temp.box(9.7, 53.4, 10.3, 53.7));
SELECT pg_temp.add('land', '01', 'Schleswig-Holstein', 'staat', 'DE', '2000-01-01', NULL, NULL, pg_temp.box(8, 53.75, 11, 55));

SELECT pg_temp.add('kreis', '01003', 'Lübeck', 'land', '01', '2000-01-01', NULL, NULL, pg_temp.box(10.6, 53.8, 10.9, 53.95));
-- Kiel grows on 2021-01-01: two versions.
SELECT pg_temp.add('kreis', '01002', 'Kiel', 'land', '01', '2000-01-01', NULL, '2020-12-31', pg_temp.box(10.0, 54.25, 10.2, 54.4));
SELECT pg_temp.add('kreis', '01002', 'Kiel', 'land', '01', '2000-01-01', '2021-01-01', NULL, pg_temp.box(10.0, 54.25, 10.25, 54.4));
SELECT pg_temp.add('kreis', '01001', 'Flensburg', 'land', '01', '2000-01-01', NULL, NULL, pg_temp.box(9.4, 54.75, 9.5, 54.82));
-- Dissolved at the end of 2010.
SELECT pg_temp.add('kreis', '01004', 'Neumünster', 'land', '01', '2000-01-01', '1970-01-01', '2010-12-31', pg_temp.box(9.9, 54.0, 10.1, 54.15));
-- Known, but without a boundary.
SELECT pg_temp.add('kreis', '01099', 'Gemeindefreies Gebiet', 'land', '01', '2000-01-01', NULL, NULL, NULL);
SELECT pg_temp.add('kreis', '02000', 'Hamburg', 'land', '02', '2000-01-01', NULL, NULL, pg_temp.box(9.7, 53.4, 10.3, 53.7));

-- Twelve Gemeinden of Kiel (new version), a 4 x 3 grid of 0.05° x 0.05°
-- cells from (10.0, 54.25), codes 010020001 .. 010020012, inserted in
-- descending order.
SELECT pg_temp.add('gemeinde', format('01002%s', lpad(i::text, 4, '0')), format('Kiel %s', i),
	'kreis', '01002', '2021-01-01', '2021-01-01', NULL,
	pg_temp.box(10.0 + ((i - 1) % 4) * 0.05, 54.25 + ((i - 1) / 4) * 0.05,
	            10.05 + ((i - 1) % 4) * 0.05, 54.30 + ((i - 1) / 4) * 0.05))
FROM generate_series(12, 1, -1) AS i;
-- The one Gemeinde of old Kiel.
SELECT pg_temp.add('gemeinde', '010020000', 'Kiel (alt)', 'kreis', '01002', '2020-06-01', NULL, '2020-12-31',
	pg_temp.box(10.0, 54.25, 10.2, 54.4));

SELECT pg_temp.add('sozialraum', 'SR1', 'Sozialraum Nord', NULL, NULL, NULL, '2021-01-01', NULL,
	pg_temp.box(10.0, 54.25, 10.1, 54.30));
INSERT INTO area_member (group_id, member_id)
SELECT g.id, m.id FROM area g, area m
WHERE g.level = 'sozialraum' AND g.code = 'SR1'
	AND m.level = 'gemeinde' AND m.code IN ('010020001', '010020002');
