package indicators

// The work of Publish happens in temporary tables of the session, set-based:
//
//	pub_ind     the indicators in scope
//	pub_per     the periods in scope (empty: all)
//	pub_combine combined counts: one row per component and coefficient
//	pub_area    area versions (id, level, code)
//	pub_up      child version → parent version, with the days both were valid
//	pub_osum    own counts summed per parent version (one pass over observation)
//	pub_w       every cell that is not an own count: computed, carried, rates,
//	            and own observations of rates, means and values
//	pub_front, pub_head, pub_sec  secondary suppression (suppress.go)
//
// Own counts — the bulk of the data — are never copied: the view pub_own
// reads them from observation where needed.

const sqlDropWork = `
DROP VIEW IF EXISTS pub_new;
DROP VIEW IF EXISTS pub_cells;
DROP VIEW IF EXISTS pub_own;
DROP VIEW IF EXISTS pub_obs;
DROP TABLE IF EXISTS pub_ind, pub_per, pub_combine, pub_area, pub_up, pub_par, pub_osum, pub_w,
    pub_front, pub_head, pub_rc, pub_sec`

const sqlCreateWork = `
CREATE TEMP TABLE pub_ind (
    key text PRIMARY KEY, kind text NOT NULL, numerator text, denominator text,
    scale double precision, weight text, min_count integer NOT NULL, min_den integer NOT NULL);
CREATE TEMP TABLE pub_per (period date PRIMARY KEY);
CREATE TEMP TABLE pub_combine (key text NOT NULL, component text NOT NULL, coef double precision NOT NULL, ncomp integer NOT NULL);
CREATE TEMP TABLE pub_area (id bigint PRIMARY KEY, level text NOT NULL, code text NOT NULL);
CREATE TEMP TABLE pub_up (
    child_id bigint NOT NULL, parent_id bigint NOT NULL, parent_level text NOT NULL,
    days daterange NOT NULL, c_from date, c_to date, p_from date, p_to date,
    -- the parent version was valid all the time the child was: every day
    -- of the child belongs to it
    covers boolean NOT NULL);
CREATE TEMP TABLE pub_w (
    indicator text NOT NULL, area_id bigint NOT NULL, period date NOT NULL, lvl text NOT NULL,
    value double precision, num double precision, den double precision,
    status text NOT NULL, incomplete boolean NOT NULL DEFAULT false,
    origin text NOT NULL, suppressed text,
    PRIMARY KEY (indicator, area_id, period));
CREATE TEMP TABLE pub_front (indicator text NOT NULL, area_id bigint NOT NULL, period date NOT NULL);
CREATE TEMP TABLE pub_head (
    iter integer NOT NULL, kind text NOT NULL, rel text NOT NULL,
    indicator text NOT NULL, area_id bigint NOT NULL, period date NOT NULL,
    PRIMARY KEY (kind, rel, indicator, area_id, period));
CREATE TEMP TABLE pub_rc (
    iter integer, kind text NOT NULL, rel text NOT NULL,
    h_ind text NOT NULL, h_area bigint NOT NULL, h_period date NOT NULL, h_origin text NOT NULL,
    role integer NOT NULL, indicator text NOT NULL, area_id bigint NOT NULL, period date NOT NULL,
    value double precision);
CREATE TEMP TABLE pub_sec (indicator text NOT NULL, area_id bigint NOT NULL, period date NOT NULL,
    PRIMARY KEY (indicator, area_id, period))`

const sqlScopeIndicators = `
INSERT INTO pub_ind
SELECT key, kind, numerator, denominator, scale, weight, min_count, min_denominator
FROM indicator WHERE key = ANY($1::text[])`

const sqlScopePeriods = `INSERT INTO pub_per SELECT DISTINCT unnest($1::date[])`

// The views over observation are written with the scope as literals
// (see publisher.views): a filter the planner can estimate, and views
// simple enough to be flattened, so that lookups of single cells use
// observation's primary key.
//
// pub_obs: the observations that count (not of a reverted batch, in scope).
// pub_own: own count cells with their primary or source suppression.
const sqlObsView = `
CREATE TEMP VIEW pub_obs AS
SELECT o.indicator, o.area_id, o.period, o.value, o.status
FROM observation o
WHERE %s`

const sqlOwnView = `
CREATE TEMP VIEW pub_own AS
SELECT o.indicator, o.area_id, o.period, o.value, NULL::double precision AS num,
       NULL::double precision AS den, o.status, false AS incomplete, 'o'::text AS origin,
       CASE WHEN o.status = 'suppressed' THEN 'source'
            WHEN o.value > 0 AND o.value < %s THEN 'primary' END AS suppressed
FROM observation o
WHERE %s`

const sqlCellsView = `
CREATE TEMP VIEW pub_cells AS
SELECT indicator, area_id, period, value, num, den, status, incomplete, origin, suppressed FROM pub_own
UNION ALL
SELECT indicator, area_id, period, value, num, den, status, incomplete, origin, suppressed FROM pub_w`

const sqlScopeCombine = `
INSERT INTO pub_combine
SELECT s.key, c.key, c.value::double precision, count(*) OVER (PARTITION BY s.key)
FROM pub_ind s JOIN indicator i ON i.key = s.key, jsonb_each_text(i.combine) c
WHERE i.combine IS NOT NULL`

const sqlWorkAreas = `
INSERT INTO pub_area SELECT id, level, code FROM area;
INSERT INTO pub_up
SELECT c.id, p.id, p.level,
       daterange(c.valid_from, c.valid_to, '[]') * daterange(p.valid_from, p.valid_to, '[]'),
       c.valid_from, c.valid_to, p.valid_from, p.valid_to,
       daterange(p.valid_from, p.valid_to, '[]') @> daterange(c.valid_from, c.valid_to, '[]')
FROM area c JOIN area p ON p.level = c.parent_level AND p.code = c.parent_code
WHERE daterange(c.valid_from, c.valid_to, '[]') && daterange(p.valid_from, p.valid_to, '[]');
CREATE INDEX ON pub_up (child_id);
CREATE INDEX ON pub_up (parent_id);
-- Children per parent version; whole when every child was valid for all
-- of the parent version's time, so that the count of children valid on a
-- day of the parent needs no lookup.
CREATE TEMP TABLE pub_par AS
SELECT parent_id, count(*) AS n,
       bool_and(days = daterange(p_from, p_to, '[]')) AS whole
FROM pub_up GROUP BY parent_id;
CREATE INDEX ON pub_par (parent_id)`

const sqlOwnNonCounts = `
INSERT INTO pub_w (indicator, area_id, period, lvl, value, status, origin, suppressed)
SELECT o.indicator, o.area_id, o.period, a.level, o.value, o.status, 'o',
       CASE WHEN o.status = 'suppressed' THEN 'source' END
FROM pub_obs o
JOIN pub_ind i ON i.key = o.indicator AND i.kind <> 'count'
JOIN pub_area a ON a.id = o.area_id`

// sqlOwnSums sums the own counts per parent version in one pass; the day a
// child's cell refers to is the period clamped into the child's validity
// (see PublishScope).
const sqlOwnSums = `
CREATE TEMP TABLE pub_osum AS
SELECT indicator, parent_id, parent_level, period,
       sum(value) AS value, count(value) AS n, max(day) AS day,
       bool_or(status = 'estimated') AS est, bool_or(status = 'provisional') AS prov
FROM (
    -- children whose parent version covers them: no day to check (and an
    -- estimate the planner gets right)
    SELECT o.indicator, u.parent_id, u.parent_level, o.period, o.value, o.status,
           greatest(least(o.period, u.c_to), u.c_from) AS day
    FROM pub_own o JOIN pub_up u ON u.child_id = o.area_id AND u.covers
    UNION ALL
    SELECT o.indicator, u.parent_id, u.parent_level, o.period, o.value, o.status,
           greatest(least(o.period, u.c_to), u.c_from)
    FROM pub_own o JOIN pub_up u ON u.child_id = o.area_id AND NOT u.covers
     AND u.days @> greatest(least(o.period, u.c_to), u.c_from)
) x
GROUP BY indicator, parent_id, parent_level, period`

const sqlAnalyzeWork = `ANALYZE pub_ind, pub_area, pub_up, pub_par, pub_osum, pub_w`

// sqlStatus folds the statuses of summands: estimated wins over
// provisional, which wins over derived.
const sqlStatus = `CASE WHEN g.est THEN 'estimated' WHEN g.prov THEN 'provisional' ELSE 'derived' END`

// sqlNoOwnCell keeps a computed cell only where no own observation (of any
// status) or other cell exists.
const sqlNoOwnCell = `
  AND NOT EXISTS (SELECT 1 FROM pub_obs o WHERE o.indicator = g.indicator AND o.area_id = g.area_id AND o.period = g.period)
  AND (g.indicator, g.area_id, g.period) NOT IN (SELECT indicator, area_id, period FROM pub_w)`

// sqlLevelSums computes the counts and means of level $1 from its children:
// own counts (pub_osum) and computed cells of the children that are not
// carried. n counts the children with a complete value; fewer than the
// child versions valid on the data's day (the latest day of a summand)
// make the sum incomplete.
const sqlLevelSums = `
INSERT INTO pub_w (indicator, area_id, period, lvl, value, num, den, status, incomplete, origin)
SELECT g.indicator, g.area_id, g.period, $1,
       CASE WHEN g.kind = 'mean' THEN g.num / nullif(g.den, 0) ELSE g.value END,
       CASE WHEN g.kind = 'mean' THEN g.num END,
       CASE WHEN g.kind = 'mean' THEN g.den END,
       ` + sqlStatus + `,
       g.inc OR g.n < CASE WHEN pp.whole THEN pp.n
                           ELSE (SELECT count(*) FROM pub_up e WHERE e.parent_id = g.area_id AND e.days @> g.day) END,
       'h'
FROM pub_par pp JOIN (
    SELECT x.indicator, x.area_id, x.period, i.kind,
           sum(x.value) AS value, sum(x.num) AS num, sum(x.den) AS den,
           sum(x.n) AS n, sum(x.hv) AS hv, max(x.day) AS day,
           bool_or(x.est) AS est, bool_or(x.prov) AS prov, bool_or(x.inc) AS inc
    FROM (
        SELECT indicator, parent_id AS area_id, period, value,
               NULL::double precision AS num, NULL::double precision AS den,
               n, n AS hv, day, est, prov, false AS inc
        FROM pub_osum WHERE parent_level = $1
        UNION ALL
        SELECT w.indicator, u.parent_id, w.period, w.value, w.num, w.den,
               CASE WHEN w.incomplete THEN 0
                    WHEN i.kind = 'mean' THEN (w.den IS NOT NULL)::int
                    ELSE (w.value IS NOT NULL)::int END,
               CASE WHEN i.kind = 'mean' THEN (w.den IS NOT NULL)::int
                    ELSE (w.value IS NOT NULL)::int END,
               greatest(least(w.period, u.c_to), u.c_from),
               w.status = 'estimated', w.status = 'provisional', w.incomplete
        FROM pub_w w
        JOIN pub_ind i ON i.key = w.indicator AND i.kind IN ('count', 'mean')
        JOIN pub_up u ON u.child_id = w.area_id AND u.parent_level = $1
             AND u.days @> greatest(least(w.period, u.c_to), u.c_from)
        WHERE w.origin <> 'k'
    ) x
    JOIN pub_ind i ON i.key = x.indicator
    GROUP BY x.indicator, x.area_id, x.period, i.kind
) g ON g.area_id = pp.parent_id
WHERE g.hv > 0` + sqlNoOwnCell

// sqlSchemeSums computes the counts and means of the scheme areas of level
// $1 from their listed members; incomplete when a member has no complete
// value.
const sqlSchemeSums = `
INSERT INTO pub_w (indicator, area_id, period, lvl, value, num, den, status, incomplete, origin)
SELECT g.indicator, g.area_id, g.period, $1,
       CASE WHEN g.kind = 'mean' THEN g.num / nullif(g.den, 0) ELSE g.value END,
       CASE WHEN g.kind = 'mean' THEN g.num END,
       CASE WHEN g.kind = 'mean' THEN g.den END,
       ` + sqlStatus + `,
       g.inc OR g.n < (SELECT count(*) FROM area_member e WHERE e.group_id = g.area_id),
       'm'
FROM (
    SELECT x.indicator, m.group_id AS area_id, x.period, i.kind,
           sum(x.value) AS value, sum(x.num) AS num, sum(x.den) AS den,
           sum(CASE WHEN x.incomplete THEN 0
                    WHEN i.kind = 'mean' THEN (x.den IS NOT NULL)::int
                    ELSE (x.value IS NOT NULL)::int END) AS n,
           sum(CASE WHEN i.kind = 'mean' THEN (x.den IS NOT NULL)::int
                    ELSE (x.value IS NOT NULL)::int END) AS hv,
           bool_or(x.status = 'estimated') AS est, bool_or(x.status = 'provisional') AS prov,
           bool_or(x.incomplete) AS inc
    FROM area_member m
    JOIN pub_area a ON a.id = m.group_id AND a.level = $1
    JOIN pub_cells x ON x.area_id = m.member_id
    JOIN pub_ind i ON i.key = x.indicator AND i.kind IN ('count', 'mean')
    WHERE x.origin <> 'k'
    GROUP BY x.indicator, m.group_id, x.period, i.kind
) g
WHERE g.hv > 0` + sqlNoOwnCell

// sqlCombine computes combined counts at level $1 where all components
// have a value.
const sqlCombine = `
INSERT INTO pub_w (indicator, area_id, period, lvl, value, status, incomplete, origin)
SELECT g.indicator, g.area_id, g.period, $1, g.value, ` + sqlStatus + `, g.inc, 'c'
FROM (
    SELECT c.key AS indicator, x.area_id, x.period, sum(c.coef * x.value) AS value,
           bool_or(x.status = 'estimated') AS est, bool_or(x.status = 'provisional') AS prov,
           bool_or(x.incomplete) AS inc
    FROM pub_combine c
    JOIN pub_cells x ON x.indicator = c.component
    JOIN pub_area a ON a.id = x.area_id AND a.level = $1
    GROUP BY c.key, x.area_id, x.period
    HAVING count(x.value) = max(c.ncomp)
) g
WHERE true` + sqlNoOwnCell

// sqlMeanWeights gives the own means of level $1 their weighted sum and
// weight, from the weight cell of the same area and period, so that they
// can be summed upwards.
const sqlMeanWeights = `
UPDATE pub_w m SET num = m.value * x.value, den = x.value
FROM pub_ind i, pub_cells x
WHERE m.origin = 'o' AND m.lvl = $1 AND m.value IS NOT NULL
  AND i.key = m.indicator AND i.kind = 'mean'
  AND x.indicator = i.weight AND x.area_id = m.area_id AND x.period = m.period
  AND x.value IS NOT NULL`

const sqlHaveSuccession = `SELECT EXISTS (SELECT 1 FROM area_succession)`

// sqlCarry carries counts and means one step along area_succession to
// successors without a cell for the period: Σ predecessor × share (for
// means the weighted sums and weights). Incomplete when a predecessor has
// no complete value.
const sqlCarry = `
INSERT INTO pub_w (indicator, area_id, period, lvl, value, num, den, status, incomplete, origin)
SELECT g.indicator, g.area_id, g.period, a.level,
       CASE WHEN g.kind = 'mean' THEN g.num / nullif(g.den, 0) ELSE g.value END,
       CASE WHEN g.kind = 'mean' THEN g.num END,
       CASE WHEN g.kind = 'mean' THEN g.den END,
       CASE WHEN g.est OR NOT g.exact THEN 'estimated' WHEN g.prov THEN 'provisional' ELSE 'derived' END,
       g.inc OR g.n < (SELECT count(*) FROM area_succession e WHERE e.successor_id = g.area_id),
       'k'
FROM (
    SELECT x.indicator, s.successor_id AS area_id, x.period, i.kind,
           sum(x.value * s.share) AS value, sum(x.num * s.share) AS num, sum(x.den * s.share) AS den,
           sum(CASE WHEN x.incomplete THEN 0
                    WHEN i.kind = 'mean' THEN (x.den IS NOT NULL)::int
                    ELSE (x.value IS NOT NULL)::int END) AS n,
           sum(CASE WHEN i.kind = 'mean' THEN (x.den IS NOT NULL)::int
                    ELSE (x.value IS NOT NULL)::int END) AS hv,
           bool_and(s.exact) AS exact,
           bool_or(x.status = 'estimated') AS est, bool_or(x.status = 'provisional') AS prov,
           bool_or(x.incomplete) AS inc
    FROM area_succession s
    JOIN pub_cells x ON x.area_id = s.predecessor_id
    JOIN pub_ind i ON i.key = x.indicator AND i.kind IN ('count', 'mean')
    GROUP BY x.indicator, s.successor_id, x.period, i.kind
) g
JOIN pub_area a ON a.id = g.area_id
WHERE g.hv > 0` + sqlNoOwnCell

const sqlPrimaryCounts = `
UPDATE pub_w w SET suppressed = 'primary'
FROM pub_ind i
WHERE i.key = w.indicator AND i.kind = 'count' AND w.suppressed IS NULL
  AND w.value > 0 AND w.value < i.min_count`

// sqlRates computes every rate from the count cells of the same area and
// period where it was not imported. A zero denominator leaves no value; a
// component kept secret at the source makes the rate secret too.
const sqlRates = `
INSERT INTO pub_w (indicator, area_id, period, lvl, value, num, den, status, incomplete, origin, suppressed)
SELECT r.key, n.area_id, n.period, a.level,
       CASE WHEN d.value <> 0 THEN n.value / d.value * r.scale END,
       n.value, d.value,
       CASE WHEN n.suppressed = 'source' OR d.suppressed = 'source' THEN 'suppressed'
            WHEN n.value IS NULL OR d.value IS NULL OR d.value = 0 THEN 'missing'
            WHEN n.status = 'estimated' OR d.status = 'estimated' THEN 'estimated'
            WHEN n.status = 'provisional' OR d.status = 'provisional' THEN 'provisional'
            ELSE 'derived' END,
       n.incomplete OR d.incomplete, 'r',
       CASE WHEN n.suppressed = 'source' OR d.suppressed = 'source' THEN 'source' END
FROM pub_ind r
JOIN pub_cells n ON n.indicator = r.numerator
JOIN pub_cells d ON d.indicator = r.denominator AND d.area_id = n.area_id AND d.period = n.period
JOIN pub_area a ON a.id = n.area_id
WHERE r.kind = 'rate'
  AND NOT EXISTS (SELECT 1 FROM pub_w w WHERE w.indicator = r.key AND w.area_id = n.area_id AND w.period = n.period)`

// sqlOwnRateParts stores numerator and denominator with imported rates
// where the counts exist, so that disclosure control sees them.
const sqlOwnRateParts = `
UPDATE pub_w w SET num = n.value, den = d.value
FROM pub_ind r, pub_cells n, pub_cells d
WHERE w.origin = 'o' AND r.key = w.indicator AND r.kind = 'rate'
  AND n.indicator = r.numerator AND n.area_id = w.area_id AND n.period = w.period
  AND d.indicator = r.denominator AND d.area_id = w.area_id AND d.period = w.period`

// sqlPrimaryRatios withholds rates and means whose denominator or weight is
// below the minimum, or whose numerator, denominator or weight cell is
// withheld by primary or source suppression. One EXISTS per component:
// with an IN list over the outer row's columns the planner scanned every
// cell for every ratio (31 s on the demo's Gemeinden instead of well under
// one).
const sqlPrimaryRatios = `
UPDATE pub_w w SET suppressed = 'primary'
FROM pub_ind i
WHERE i.key = w.indicator AND i.kind IN ('rate', 'mean')
  AND w.value IS NOT NULL AND w.suppressed IS NULL
  AND (w.den < i.min_den
       OR EXISTS (SELECT 1 FROM pub_cells c
                  WHERE c.indicator = i.numerator AND c.area_id = w.area_id AND c.period = w.period
                    AND c.suppressed IN ('primary', 'source'))
       OR EXISTS (SELECT 1 FROM pub_cells c
                  WHERE c.indicator = i.denominator AND c.area_id = w.area_id AND c.period = w.period
                    AND c.suppressed IN ('primary', 'source'))
       OR EXISTS (SELECT 1 FROM pub_cells c
                  WHERE c.indicator = i.weight AND c.area_id = w.area_id AND c.period = w.period
                    AND c.suppressed IN ('primary', 'source')))`

const sqlSecondaryWork = `
UPDATE pub_w w SET suppressed = 'secondary'
FROM pub_sec s
WHERE s.indicator = w.indicator AND s.area_id = w.area_id AND s.period = w.period
  AND w.suppressed IS NULL`

// sqlSecondaryRatios withholds rates and means whose component count was
// withheld to protect another cell: published, they would give it back.
const sqlSecondaryRatios = `
UPDATE pub_w w SET suppressed = 'secondary'
FROM pub_ind i, pub_sec s
WHERE i.key = w.indicator AND i.kind IN ('rate', 'mean')
  AND w.value IS NOT NULL AND w.suppressed IS NULL
  AND s.indicator IN (i.numerator, i.denominator, i.weight)
  AND s.area_id = w.area_id AND s.period = w.period`

// pub_new is the new content of cell within the scope: every computed
// cell, own observations of rates, means and values, and the own counts
// that secondary suppression withholds (published_cell shows all other own
// counts straight from observation). Only cells that changed are written:
// a re-import of the same data, or a Publish after a small import, leaves
// the table (and its indexes) alone.
const sqlNewCells = `
CREATE TEMP VIEW pub_new AS
SELECT o.indicator, o.area_id, o.period, o.value, NULL::double precision AS numerator,
       NULL::double precision AS denominator, o.status, false AS incomplete,
       'secondary'::text AS suppressed
FROM pub_own o
JOIN pub_sec s ON s.indicator = o.indicator AND s.area_id = o.area_id AND s.period = o.period
WHERE o.suppressed IS NULL
UNION ALL
SELECT indicator, area_id, period, value, num, den, status, incomplete, suppressed
FROM pub_w`

const sqlDeleteCells = `
DELETE FROM cell c
WHERE c.indicator IN (SELECT key FROM pub_ind)
  AND (NOT EXISTS (SELECT 1 FROM pub_per) OR c.period IN (SELECT period FROM pub_per))
  AND NOT EXISTS (
      SELECT 1 FROM pub_new n
      WHERE n.indicator = c.indicator AND n.area_id = c.area_id AND n.period = c.period
        AND n.value IS NOT DISTINCT FROM c.value
        AND n.numerator IS NOT DISTINCT FROM c.numerator
        AND n.denominator IS NOT DISTINCT FROM c.denominator
        AND n.status = c.status AND n.incomplete = c.incomplete
        AND n.suppressed IS NOT DISTINCT FROM c.suppressed)`

// sqlHaveCells says whether cell holds anything in scope; into an empty
// scope the cells are simply inserted, which is much faster than the
// conflict check.
const sqlHaveCells = `
SELECT EXISTS (
    SELECT 1 FROM cell c
    WHERE c.indicator IN (SELECT key FROM pub_ind)
      AND (NOT EXISTS (SELECT 1 FROM pub_per) OR c.period IN (SELECT period FROM pub_per)))`

// sqlWriteCells adds the new and changed cells: after sqlDeleteCells, a
// key still in cell holds its new content already. They are written in key
// order, so that the cells of one indicator and period — what a map or a
// table of a whole level reads — lie together on disk.
const sqlWriteCells = `
INSERT INTO cell (indicator, area_id, period, value, numerator, denominator, status, incomplete, suppressed)
SELECT n.indicator, n.area_id, n.period, n.value, n.numerator, n.denominator, n.status, n.incomplete, n.suppressed
FROM pub_new n
ORDER BY n.indicator, n.period, n.area_id`

const sqlWriteCellsOnConflict = sqlWriteCells + `
ON CONFLICT (indicator, period, area_id) DO NOTHING`

// sqlExtent records which indicators, levels and periods have published
// cells: those the batches brought, and those computed.
const sqlExtent = `
DELETE FROM cell_extent e
WHERE e.indicator IN (SELECT key FROM pub_ind)
  AND (NOT EXISTS (SELECT 1 FROM pub_per) OR e.period IN (SELECT period FROM pub_per));
INSERT INTO cell_extent (indicator, level, period)
SELECT x.indicator, x.level, x.period
FROM observation_extent x
WHERE x.indicator IN (SELECT key FROM pub_ind)
  AND (NOT EXISTS (SELECT 1 FROM pub_per) OR x.period IN (SELECT period FROM pub_per))
UNION
SELECT DISTINCT w.indicator, w.lvl, w.period FROM pub_w w`

// VersionChannel is the NOTIFY channel on which every change of the data
// version is announced, its payload the new version: other service
// instances drop their tile caches on it instead of waiting for their next
// read of the version.
const VersionChannel = "sozialatlas_data_version"

// sqlBumpVersion tells caches that published data changed: the version goes
// up, and the NOTIFY, sent in the same transaction, reaches the listeners
// when (and only if) that transaction commits.
const sqlBumpVersion = `WITH bumped AS (
	UPDATE data_version SET version = version + 1, changed = now() RETURNING version)
SELECT pg_notify('` + VersionChannel + `', version::text) FROM bumped`
