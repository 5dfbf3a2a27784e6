-- Fixture for the HTTP outputs: a few areas with published cells as
-- indicators.Publish would leave them, written directly. Kiel-Süd's SGB II
-- count is 2 (withheld, primary), Kiel-Ost's 7 (withheld, secondary); the
-- quotas of both are withheld because their numerators are. Eisenach
-- (16056) joined the Wartburgkreis (16063) on 2021-07-01: the new version
-- carries 2018 over.

CREATE FUNCTION pg_temp.area(lvl text, c text, n text, pl text, pc text, vf date, vt date)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO area (level, code, name, parent_level, parent_code, valid_from, valid_to)
	VALUES (lvl, c, n, pl, pc, vf, vt)
$$;

-- cell of the version of lvl/c valid on day on
CREATE FUNCTION pg_temp.cell(k text, lvl text, c text, on_day date, p date, v float8, st text,
	sup text DEFAULT NULL, num float8 DEFAULT NULL, den float8 DEFAULT NULL, inc boolean DEFAULT false)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO cell (indicator, area_id, period, value, numerator, denominator, status, incomplete, suppressed)
	SELECT k, a.id, p, v, num, den, st, inc, sup FROM area a
	WHERE a.level = lvl AND a.code = c AND daterange(a.valid_from, a.valid_to, '[]') @> on_day
$$;

SELECT pg_temp.area('staat', 'DE', 'Deutschland', NULL, NULL, NULL, NULL);
SELECT pg_temp.area('land', '01', 'Schleswig-Holstein', 'staat', 'DE', NULL, NULL);
SELECT pg_temp.area('land', '16', 'Thüringen', 'staat', 'DE', NULL, NULL);
-- without any cells
SELECT pg_temp.area('land', '02', 'Hamburg', 'staat', 'DE', NULL, NULL);
SELECT pg_temp.area('kreis', '01002', 'Kiel', 'land', '01', NULL, NULL);
SELECT pg_temp.area('kreis', '01003', 'Lübeck', 'land', '01', NULL, NULL);
SELECT pg_temp.area('kreis', '16056', 'Eisenach', 'land', '16', NULL, '2021-06-30');
SELECT pg_temp.area('kreis', '16063', 'Wartburgkreis', 'land', '16', NULL, '2021-06-30');
SELECT pg_temp.area('kreis', '16063', 'Wartburgkreis', 'land', '16', '2021-07-01', NULL);
SELECT pg_temp.area('gemeinde', '010020001', 'Kiel-Nord', 'kreis', '01002', NULL, NULL);
SELECT pg_temp.area('gemeinde', '010020002', 'Kiel-Mitte', 'kreis', '01002', NULL, NULL);
SELECT pg_temp.area('gemeinde', '010020003', 'Kiel-Süd', 'kreis', '01002', NULL, NULL);
SELECT pg_temp.area('gemeinde', '010020004', 'Kiel-Ost "Hafen"; Gaarden', 'kreis', '01002', NULL, NULL);
SELECT pg_temp.area('gemeinde', '010030001', 'Lübeck-Altstadt', 'kreis', '01003', NULL, NULL);

INSERT INTO indicator (key, position, title, description, unit, category, polarity, source, licence, decimals, kind,
	numerator, denominator, scale) VALUES
	('einwohner', 0, 'Einwohnerinnen und Einwohner', 'Bevölkerung am Ort der Hauptwohnung', 'Personen', 'Demografie',
		'neutral', 'Statistikamt Nord', 'dl-de/by-2-0', 0, 'count', NULL, NULL, NULL),
	('sgb2', 1, 'Personen in SGB II', '', 'Personen', 'Arbeit/Armut',
		'higher_worse', 'Bundesagentur für Arbeit', 'dl-de/by-2-0', 0, 'count', NULL, NULL, NULL),
	('sgb2_quote', 2, 'SGB-II-Quote', 'Anteil der Personen in SGB II an den Einwohnern', '%', 'Arbeit/Armut',
		'higher_worse', 'Bundesagentur für Arbeit; Statistikamt Nord', 'dl-de/by-2-0', 1, 'rate', 'sgb2', 'einwohner', 100);

-- 2022
SELECT pg_temp.cell('einwohner', 'gemeinde', '010020001', '2022-12-31', '2022-12-31', 1000, 'measured');
SELECT pg_temp.cell('einwohner', 'gemeinde', '010020002', '2022-12-31', '2022-12-31', 1500, 'measured');
SELECT pg_temp.cell('einwohner', 'gemeinde', '010020003', '2022-12-31', '2022-12-31', 50, 'measured');
SELECT pg_temp.cell('einwohner', 'gemeinde', '010020004', '2022-12-31', '2022-12-31', 1000, 'measured');
SELECT pg_temp.cell('einwohner', 'gemeinde', '010030001', '2022-12-31', '2022-12-31', 800, 'measured');
SELECT pg_temp.cell('einwohner', 'kreis', '01002', '2022-12-31', '2022-12-31', 3550, 'derived');
SELECT pg_temp.cell('einwohner', 'kreis', '01003', '2022-12-31', '2022-12-31', 800, 'derived');
SELECT pg_temp.cell('einwohner', 'kreis', '16063', '2022-12-31', '2022-12-31', 158000, 'measured');
SELECT pg_temp.cell('einwohner', 'land', '01', '2022-12-31', '2022-12-31', 4350, 'derived');
SELECT pg_temp.cell('einwohner', 'land', '16', '2022-12-31', '2022-12-31', 158000, 'derived');
SELECT pg_temp.cell('einwohner', 'staat', 'DE', '2022-12-31', '2022-12-31', 162350, 'derived');

SELECT pg_temp.cell('sgb2', 'gemeinde', '010020001', '2022-12-31', '2022-12-31', 100, 'measured');
SELECT pg_temp.cell('sgb2', 'gemeinde', '010020002', '2022-12-31', '2022-12-31', 120, 'measured');
SELECT pg_temp.cell('sgb2', 'gemeinde', '010020003', '2022-12-31', '2022-12-31', 2, 'measured', 'primary');
SELECT pg_temp.cell('sgb2', 'gemeinde', '010020004', '2022-12-31', '2022-12-31', 7, 'measured', 'secondary');
SELECT pg_temp.cell('sgb2', 'gemeinde', '010030001', '2022-12-31', '2022-12-31', 40, 'measured');
SELECT pg_temp.cell('sgb2', 'kreis', '01002', '2022-12-31', '2022-12-31', 229, 'derived');
SELECT pg_temp.cell('sgb2', 'kreis', '01003', '2022-12-31', '2022-12-31', 40, 'derived');
SELECT pg_temp.cell('sgb2', 'kreis', '16063', '2022-12-31', '2022-12-31', 9000, 'measured');
SELECT pg_temp.cell('sgb2', 'land', '01', '2022-12-31', '2022-12-31', 269, 'derived');
SELECT pg_temp.cell('sgb2', 'land', '16', '2022-12-31', '2022-12-31', 9000, 'derived');
SELECT pg_temp.cell('sgb2', 'staat', 'DE', '2022-12-31', '2022-12-31', 9269, 'derived');

SELECT pg_temp.cell('sgb2_quote', 'gemeinde', '010020001', '2022-12-31', '2022-12-31', 10, 'derived', NULL, 100, 1000);
SELECT pg_temp.cell('sgb2_quote', 'gemeinde', '010020002', '2022-12-31', '2022-12-31', 8, 'derived', NULL, 120, 1500);
SELECT pg_temp.cell('sgb2_quote', 'gemeinde', '010020003', '2022-12-31', '2022-12-31', 4, 'derived', 'primary', 2, 50);
SELECT pg_temp.cell('sgb2_quote', 'gemeinde', '010020004', '2022-12-31', '2022-12-31', 0.7, 'derived', 'primary', 7, 1000);
SELECT pg_temp.cell('sgb2_quote', 'gemeinde', '010030001', '2022-12-31', '2022-12-31', 5, 'derived', NULL, 40, 800);
SELECT pg_temp.cell('sgb2_quote', 'kreis', '01002', '2022-12-31', '2022-12-31', 229.0 / 3550 * 100, 'derived', NULL, 229, 3550);
SELECT pg_temp.cell('sgb2_quote', 'kreis', '01003', '2022-12-31', '2022-12-31', 5, 'derived', NULL, 40, 800);
SELECT pg_temp.cell('sgb2_quote', 'kreis', '16063', '2022-12-31', '2022-12-31', 9000.0 / 158000 * 100, 'derived', NULL, 9000, 158000);
SELECT pg_temp.cell('sgb2_quote', 'land', '01', '2022-12-31', '2022-12-31', 269.0 / 4350 * 100, 'derived', NULL, 269, 4350);
SELECT pg_temp.cell('sgb2_quote', 'land', '16', '2022-12-31', '2022-12-31', 9000.0 / 158000 * 100, 'derived', NULL, 9000, 158000);
SELECT pg_temp.cell('sgb2_quote', 'staat', 'DE', '2022-12-31', '2022-12-31', 9269.0 / 162350 * 100, 'derived', NULL, 9269, 162350);

-- 2018, on the boundaries of then; Lübeck-Altstadt's count is missing,
-- so Schleswig-Holstein's sum is incomplete.
SELECT pg_temp.cell('einwohner', 'gemeinde', '010020001', '2018-12-31', '2018-12-31', 990, 'measured');
SELECT pg_temp.cell('einwohner', 'gemeinde', '010020002', '2018-12-31', '2018-12-31', 1480, 'measured');
SELECT pg_temp.cell('einwohner', 'gemeinde', '010020003', '2018-12-31', '2018-12-31', 55, 'measured');
SELECT pg_temp.cell('einwohner', 'gemeinde', '010020004', '2018-12-31', '2018-12-31', 1010, 'measured');
SELECT pg_temp.cell('einwohner', 'gemeinde', '010030001', '2018-12-31', '2018-12-31', NULL, 'missing');
SELECT pg_temp.cell('einwohner', 'kreis', '01002', '2018-12-31', '2018-12-31', 3535, 'derived');
SELECT pg_temp.cell('einwohner', 'land', '01', '2018-12-31', '2018-12-31', 3535, 'derived', NULL, NULL, NULL, true);
SELECT pg_temp.cell('einwohner', 'kreis', '16056', '2018-12-31', '2018-12-31', 42000, 'measured');
SELECT pg_temp.cell('einwohner', 'kreis', '16063', '2018-12-31', '2018-12-31', 120000, 'measured');
-- carried over to the Wartburgkreis of today: Eisenach + Wartburgkreis
SELECT pg_temp.cell('einwohner', 'kreis', '16063', '2022-12-31', '2018-12-31', 162000, 'derived');

SELECT pg_temp.cell('sgb2', 'gemeinde', '010020001', '2018-12-31', '2018-12-31', 90, 'measured');
SELECT pg_temp.cell('sgb2', 'gemeinde', '010020002', '2018-12-31', '2018-12-31', 130, 'measured');
SELECT pg_temp.cell('sgb2', 'gemeinde', '010020003', '2018-12-31', '2018-12-31', 3, 'measured');
SELECT pg_temp.cell('sgb2', 'gemeinde', '010020004', '2018-12-31', '2018-12-31', 9, 'measured');
SELECT pg_temp.cell('sgb2', 'kreis', '01002', '2018-12-31', '2018-12-31', 232, 'derived');

SELECT pg_temp.cell('sgb2_quote', 'gemeinde', '010020001', '2018-12-31', '2018-12-31', 90.0 / 990 * 100, 'derived', NULL, 90, 990);
SELECT pg_temp.cell('sgb2_quote', 'gemeinde', '010020002', '2018-12-31', '2018-12-31', 130.0 / 1480 * 100, 'derived', NULL, 130, 1480);
SELECT pg_temp.cell('sgb2_quote', 'gemeinde', '010020003', '2018-12-31', '2018-12-31', 3.0 / 55 * 100, 'derived', NULL, 3, 55);
SELECT pg_temp.cell('sgb2_quote', 'gemeinde', '010020004', '2018-12-31', '2018-12-31', 9.0 / 1010 * 100, 'derived', NULL, 9, 1010);
SELECT pg_temp.cell('sgb2_quote', 'kreis', '01002', '2018-12-31', '2018-12-31', 232.0 / 3535 * 100, 'derived', NULL, 232, 3535);

-- what Publish records of the cells' extent
INSERT INTO cell_extent (indicator, level, period)
SELECT DISTINCT c.indicator, a.level, c.period FROM cell c JOIN area a ON a.id = c.area_id;
