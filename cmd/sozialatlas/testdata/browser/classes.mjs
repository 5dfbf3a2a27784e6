// Evaluates the fill-color expression of /indicators/{key}/classes with
// MapLibre's own style-spec (the one maplibre-gl uses) for features with
// the properties the vector tiles give them. Reads {"expression": [...],
// "features": [{...properties}]} on stdin and writes the colour of each
// feature and of the answer's colours (as {"out", "named"}), both as
// MapLibre's Color prints them; an expression MapLibre rejects is an
// error.
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const spec = require('@maplibre/maplibre-gl-style-spec');

let input = '';
for await (const chunk of process.stdin) input += chunk;
const {expression, features, colours} = JSON.parse(input);
const parsed = spec.expression.createExpression(expression, spec.latest.paint_fill['fill-color']);
if (parsed.result !== 'success') {
	console.error(JSON.stringify(parsed.value));
	process.exit(1);
}
// colours as rgba(…): evaluate may give a Color or the literal string
const norm = c => (typeof c === 'string' ? spec.Color.parse(c) : c).toString();
const out = features.map(properties =>
	norm(parsed.value.evaluate({zoom: 8}, {type: 'Polygon', properties})));
const named = colours.map(norm);
process.stdout.write(JSON.stringify({out, named}));
