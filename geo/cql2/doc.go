// Package cql2 parses filters in the OGC Common Query Language, CQL2
// (OGC 21-065r2, https://docs.ogc.org/is/21-065r2/21-065r2.html), in both
// of its encodings, CQL2 Text and CQL2 JSON, into one tree (Expr), and
// compiles that tree into a parameterized PostgreSQL/PostGIS condition.
//
// # Supported
//
// Basic CQL2 and the two spatial predicates a map client needs:
//
//   - comparisons = <> < <= > >=, combined with AND, OR and NOT (NOT binds
//     tighter than AND, AND tighter than OR) and parentheses;
//   - BETWEEN, IN (list), IS NULL and LIKE, each also negated (NOT BETWEEN,
//     NOT IN, IS NOT NULL, NOT LIKE); in LIKE patterns % matches any run of
//     characters, _ one character, and \ escapes the character after it;
//   - literals: numbers (integer, decimal, exponent, signed), strings in
//     single quotes, TRUE and FALSE, DATE('2022-12-31') and
//     TIMESTAMP('2022-12-31T00:00:00Z') (UTC only, as the grammar has it);
//     TRUE or FALSE alone is a condition too;
//   - property names: identifiers of letters of any script, digits (not
//     first), underscore, and colon and period as the CQL2 grammar allows;
//     any other name in double quotes;
//   - S_INTERSECTS(property, geometry), also with the geometry first, and
//     S_WITHIN(property, geometry), where the geometry is WKT (POINT,
//     LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON) or
//     BBOX(minx, miny, maxx, maxy) in CQL2 Text, and a GeoJSON geometry or
//     {"bbox": [...]} in CQL2 JSON, always in CRS84 (longitude, latitude).
//
// Keywords and function names of CQL2 Text are case-insensitive. In string
// literals a quote is doubled; a backslash has no meaning there, so it
// reaches a LIKE pattern as the escape character:
//
//	name = 'Köln'
//	"Anteil 65+" >= 25.5 AND NOT kreis IN ('05315', '05111')
//	name LIKE 'Bad %' OR bemerkung = 'Rhein-Sieg''s'
//	S_INTERSECTS(geom, BBOX(6.9, 50.8, 7.1, 51.0))
//
// CQL2 JSON spells the same filters with "op" and "args":
//
//	{"op": "and", "args": [
//	  {"op": ">=", "args": [{"property": "Anteil 65+"}, 25.5]},
//	  {"op": "not", "args": [{"op": "in", "args": [{"property": "kreis"}, ["05315", "05111"]]}]}]}
//
// # Not supported
//
// Arithmetic, functions, CASEI and ACCENTI, temporal predicates and
// intervals, array predicates, spatial predicates other than S_INTERSECTS
// and S_WITHIN, geometry collections, empty geometries, 3D coordinates and
// 3D bounding boxes (refused, not flattened), boxes crossing the
// antimeridian and coordinate reference systems other than CRS84. The
// parsers refuse them with an error, most with a message naming the
// feature. A backslash before a quote does not escape it.
//
// # Errors and limits
//
// A filter that does not parse is a *SyntaxError saying where: the column,
// counted in characters, in CQL2 Text, and a JSON Pointer in CQL2 JSON:
//
//	filter: column 17: expected a value after "=", found end of filter
//	filter: at /args/1/args/0: unknown operator "gt"
//
// Limits bound what a parser accepts, by default 200 nodes, a depth of 20
// and 10000 coordinate pairs. Both parsers count as they go and stop at the
// first node beyond a limit, and recurse no deeper than the depth limit, so
// a hostile filter costs little time and stack. Callers should bound the
// size of the input too; CQL2 JSON is read whole before it is interpreted.
//
// # Compiling
//
// Compile asks a Resolver for the SQL and the type of each property, so
// that only queryables reach the database, and type-checks the filter:
// numbers compare with numbers, LIKE applies to strings, spatial
// predicates to geometries, and so on. Every literal becomes a placeholder
// ($1, $2, ...) with an explicit cast, and its value an argument; no text
// of the filter is ever part of the SQL. Geometries are passed as WKT to
// ST_GeomFromText with SRID 4326, boxes to ST_MakeEnvelope.
//
// The SQL keeps SQL's three-valued logic on purpose. A withheld value is
// NULL, and a comparison with NULL is neither true nor false, so a row
// with a withheld value matches neither a condition on it nor that
// condition's negation: NOT (anteil > 10) does not reveal that a withheld
// anteil is at most 10. Only IS NULL selects such rows.
package cql2
