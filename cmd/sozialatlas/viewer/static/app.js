// The atlas viewer: a choropleth of one indicator at one level from the
// service's vector tiles, classed by /indicators/{key}/classes, with the
// state (level, indicator, period, classes, view) in the URL's fragment
// so that a link reproduces the map.
import * as maplibregl from '/viewer/vendor/maplibre-gl/maplibre-gl.mjs';
import { indexMatrix } from '/viewer/matrix.js';

const $ = (id) => document.getElementById(id);
const number = (v, decimals) => new Intl.NumberFormat('de-DE',
  { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(v);
const dateDE = (iso) => iso.split('-').reverse().join('.');

async function getJSON(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) {
    let detail = res.statusText;
    try { detail = (await res.json()).detail || detail; } catch { /* not a problem document */ }
    throw new Error(`${url}: ${detail}`);
  }
  return res.json();
}

// metadata asks for a description of a level or an indicator (the
// queryables, an indicator's levels and periods) once while the page is
// open: the search field refills the indicator list at every key, and the
// periods of the indicators a filter compares serve every filter. start()
// asks for what the first map needs at once rather than one after another.
// A failed answer is not kept; it is reported where it is used.
const metadataAnswers = new Map();
function metadata(url) {
  if (!metadataAnswers.has(url)) {
    const answer = getJSON(url);
    answer.catch(() => metadataAnswers.delete(url));
    metadataAnswers.set(url, answer);
  }
  return metadataAnswers.get(url);
}

// state is what the URL's fragment holds.
const state = (() => {
  const p = new URLSearchParams(location.hash.slice(1));
  return {
    level: p.get('level') || 'kreis',
    indicator: p.get('indicator') || 'dichte',
    period: p.get('period') || '',
    period2: p.get('period2') || '',
    method: p.get('method') || 'quantile',
    k: p.get('k') || '5',
    view: p.get('view') || 'values',
    filter: p.get('filter') || '',
    map: p.get('map') || '',
    // the facility types shown over the map ("kita,pflege"); only in the
    // link when some are
    ...(p.get('facilities') ? { facilities: p.get('facilities') } : {}),
  };
})();

function writeState() {
  const c = map.getCenter();
  state.map = `${map.getZoom().toFixed(2)}/${c.lat.toFixed(4)}/${c.lng.toFixed(4)}`;
  const p = new URLSearchParams(state);
  history.replaceState(null, '', '#' + p.toString());
}

const [zoom, lat, lon] = state.map ? state.map.split('/').map(Number) : [5.2, 51.1, 10.4];

// newMap makes a map over the neutral base: the Länder boundaries from the
// service's own tiles, with the patterns of withheld and missing areas.
// Its promise resolves on 'load', promised at once: 'load' fires only
// once, and map.loaded() is false again whenever tiles are loading, so
// asking it later could wait forever.
// The map's own controls and text alternatives, in German.
const mapLocale = {
  'AttributionControl.ToggleAttribution': 'Quellenangaben ein- oder ausblenden',
  'Map.Title': 'Karte: mit den Pfeiltasten verschieben, mit + und − vergrößern und verkleinern',
  'NavigationControl.ResetBearing': 'Ziehen dreht die Karte, Klicken richtet sie nach Norden aus',
  'NavigationControl.ZoomIn': 'Vergrößern',
  'NavigationControl.ZoomOut': 'Verkleinern',
};

function newMap(container, view) {
  const m = new maplibregl.Map({
    container,
    ...view,
    locale: mapLocale,
    fadeDuration: 0,
    // the PNG export reads the canvas after drawing
    canvasContextAttributes: { preserveDrawingBuffer: true },
    style: {
      version: 8,
      sources: { base: { type: 'vector', url: '/tiles/land.json' } },
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': '#f4f4f4' } },
        { id: 'land-lines', type: 'line', source: 'base', 'source-layer': 'land',
          paint: { 'line-color': '#333333', 'line-width': 1.2 } },
      ],
    },
  });
  m.on('error', (e) => console.error('Kartenfehler: ' + (e.error ? e.error.message : e)));
  const loaded = new Promise((resolve) => m.once('load', () => {
    m.addImage('hatch', pattern((x, y) => (x + y) % 8 < 2));
    m.addImage('dots', pattern((x, y) => x % 4 === 1 && y % 4 === 1));
    resolve();
  }));
  return [m, loaded];
}

const [map, mapLoaded] = newMap('map', { center: [lon, lat], zoom, attributionControl: { compact: true } });
map.addControl(new maplibregl.NavigationControl(), 'top-right');
map.on('moveend', writeState);

// Patterns mark withheld (hatched) and missing (dotted) areas, so that
// they are not told apart by colour alone (WCAG 1.4.1).
function pattern(draw) {
  const size = 8;
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const on = draw(x, y);
      const i = (y * size + x) * 4;
      data.set(on ? [80, 80, 80, 255] : [0, 0, 0, 0], i);
    }
  }
  return { width: size, height: size, data };
}

let catalogue = new Map(); // key → indicator
let current = null; // { indicator, classes }

async function loadLevels() {
  const doc = await getJSON('/collections');
  const select = $('level');
  for (const c of doc.collections) {
    if (!c.extent || !c.extent.spatial) continue; // no geometry, nothing to map
    // facility types are point layers over the map, not levels to colour
    if (c.id.startsWith(facilityPrefix)) {
      facilityTypes.push({ key: c.id.slice(facilityPrefix.length), id: c.id, title: c.title });
      continue;
    }
    select.add(new Option(c.title, c.id));
  }
  if (![...select.options].some((o) => o.value === state.level)) state.level = select.options[0].value;
  select.value = state.level;
}

let attribution = '';

async function loadAttribution() {
  attribution = (await getJSON('/?f=json')).attribution || '';
}

async function loadCatalogue() {
  const doc = await getJSON('/indicators');
  for (const cat of doc.categories) {
    for (const ind of cat.indicators) catalogue.set(ind.key, ind);
  }
}

// fillIndicators lists the indicators with values at the level, grouped by
// category, narrowed by the search text.
async function fillIndicators() {
  const q = await metadata(`/collections/${state.level}/queryables`);
  const search = $('search').value.trim().toLowerCase();
  const select = $('indicator');
  select.replaceChildren();
  const groups = new Map();
  filterIndicators = [...catalogue.values()].filter((ind) => q.properties[ind.key]?.type === 'number');
  refillConditions();
  // in the catalogue's order, which groups and ranks them
  for (const ind of catalogue.values()) {
    if (!q.properties[ind.key]) continue;
    if (search && !ind.title.toLowerCase().includes(search) && !ind.key.includes(search)) continue;
    if (!groups.has(ind.category)) groups.set(ind.category, []);
    groups.get(ind.category).push(ind);
  }
  for (const [category, list] of groups) {
    const group = document.createElement('optgroup');
    group.label = category;
    for (const ind of list) group.append(new Option(ind.title, ind.key));
    select.append(group);
  }
  if ([...select.options].some((o) => o.value === state.indicator)) {
    select.value = state.indicator;
  } else if (select.options.length > 0) {
    state.indicator = select.options[0].value;
    select.value = state.indicator;
  }
}

async function fillPeriods() {
  const periods = await periodsAt(state.indicator);
  const select = $('period');
  select.replaceChildren(...periods.map((p) => new Option(dateDE(p), p)));
  if (!periods.includes(state.period)) state.period = periods[periods.length - 1] || '';
  select.value = state.period;
  await fillPeriod2();
}

// periodsAt lists the periods with values of an indicator at the level.
async function periodsAt(key) {
  const doc = await metadata(`/indicators/${key}`);
  const level = doc.levels.find((l) => l.level === state.level);
  return level ? level.periods.filter((p) => p.with_value > 0).map((p) => p.period) : [];
}

// fillPeriod2 offers the periods a change can count from: those of the
// map's indicator and of every indicator whose change the filter asks
// for. Unless the state names another of them, the latest before the
// map's period is taken (or the earliest, when none lies before it).
async function fillPeriod2() {
  const keys = new Set([state.indicator]);
  for (const m of state.filter.matchAll(/(\w+)_change\b/g)) keys.add(m[1]);
  const periods = [...new Set((await Promise.all([...keys].map(periodsAt))).flat())].sort();
  $('period2').replaceChildren(...periods.map((p) => new Option(dateDE(p), p)));
  // a change from a period to itself says nothing
  if (!periods.includes(state.period2) || state.period2 === state.period) {
    const before = periods.filter((p) => p < state.period);
    state.period2 = before[before.length - 1] || periods[0] || '';
  }
  $('period2').value = state.period2;
}

// A legend is a model first (title, rows, notes), drawn as HTML in the
// page and onto the canvas of the PNG export from the same data.
let legendModel = null;

// classLegend is the legend of a classification; second, when given,
// adds the counts of the comparison period with the same breaks.
function classLegend(ind, classes, second) {
  const rows = classes.classes.map((c, i) => ({ label: c.label, colour: c.colour, count: c.count,
    count2: second ? second.classes[i].count : undefined }));
  const { suppressed, missing } = classes;
  if (suppressed.count > 0 || (second && second.suppressed.count > 0)) {
    rows.push({ label: suppressed.label, colour: suppressed.colour, pattern: 'hatch', count: suppressed.count,
      count2: second ? second.suppressed.count : undefined });
  }
  if (missing.count > 0 || (second && second.missing.count > 0)) {
    rows.push({ label: missing.label, colour: missing.colour, pattern: 'dots', count: missing.count,
      count2: second ? second.missing.count : undefined });
  }
  const counts = second ? [dateDE(classes.period), dateDE(second.period)] : ['Gebiete'];
  const dates = second ? `Stichtage ${dateDE(classes.period)} und ${dateDE(second.period)}` :
    classes.period2 ? `Veränderung vom ${dateDE(classes.period2)} bis zum ${dateDE(classes.period)}` :
      `Stichtag ${dateDE(classes.period)}`;
  return { title: ind.title, head: `Klasse (${ind.unit || 'Wert'})`, counts, rows,
    notes: [dates, `Quelle: ${ind.source || 'keine Angabe'}`, `Geometrie: ${attribution}`] };
}

function drawLegend(model) {
  legendModel = model;
  const swatch = (r) => r.pattern === 'hatch' ? '<span class="swatch hatched"></span>' :
    `<span class="swatch${r.pattern === 'dots' ? ' dotted' : ''}" data-colour="${escapeHTML(r.colour)}"></span>`;
  const rows = model.rows.map((r) => `<tr><td>${swatch(r)}</td><td>${escapeHTML(r.label)}</td><td class="count">${r.count}</td>` +
    (r.count2 !== undefined ? `<td class="count">${r.count2}</td>` : '') + '</tr>');
  $('legend').innerHTML = `<h2>${escapeHTML(model.title)}</h2>
    <table><caption class="sr">Klassen mit Anzahl der Gebiete</caption>
    <thead><tr><th scope="col"><span class="sr">Farbe</span></th><th scope="col">${escapeHTML(model.head)}</th>` +
    model.counts.map((c) => `<th scope="col">${model.counts.length > 1 ? 'Gebiete ' : ''}${escapeHTML(c)}</th>`).join('') + `</tr></thead>
    <tbody>${rows.join('')}</tbody></table>` + model.notes.map((n) => `<p>${escapeHTML(n)}</p>`).join('');
  // Colours are set through the DOM, not a style attribute in the markup,
  // which the Content-Security-Policy (style-src 'self') forbids.
  for (const s of $('legend').querySelectorAll('[data-colour]')) s.style.backgroundColor = s.dataset.colour;
}

// The LISA clusters of local Moran's I, in the colours GeoDa made usual.
const lisaClasses = [
  ['hh', 'hoch – hoch (Hot Spot)', '#d7191c'],
  ['ll', 'niedrig – niedrig (Cold Spot)', '#2c7bb6'],
  ['hl', 'hoch – niedrig (Ausreißer)', '#fdae61'],
  ['lh', 'niedrig – hoch (Ausreißer)', '#abd9e9'],
  ['ns', 'nicht signifikant', '#eeeeee'],
];

// show draws the state's indicator: classes first, then the tiles. The
// change view classes and maps KEY_change from period2 to period; the
// side view adds a second map of period2 with the same breaks, so that
// equal colours mean equal values.
async function show() {
  showCompareControls();
  if (state.view !== 'side') closeSide();
  // the PNG export draws the legends of classes and clusters; the matrix
  // is a table of its own
  $('export-png').disabled = state.view === 'matrix';
  // the index matrix draws itself; without current the hover is its own
  if (await matrix.show(state.view)) { current = null; return; }
  const ind = catalogue.get(state.indicator);
  if (!ind || !state.period) return;
  if (state.view === 'lisa') return showLISA(ind);
  const params = new URLSearchParams({ level: state.level, period: state.period, method: state.method, k: state.k });
  if (state.view === 'change') params.set('period2', state.period2);
  const classes = await getJSON(`/indicators/${state.indicator}/classes?${params}`);
  const shownInd = state.view === 'change' ? classes.indicator : ind;
  let second = null;
  if (state.view === 'side') second = await showSide(classes);
  drawLegend(classLegend(shownInd, classes, second));
  const query = state.view === 'change' ?
    { indicators: classes.property, period: state.period, period2: state.period2 } :
    { indicators: state.indicator, period: state.period };
  replaceAtlas(map, query, classes.maplibre, classes);
  $('map-caption').hidden = state.view !== 'side';
  $('map-caption').textContent = `Stichtag ${dateDE(state.period)}`;
  current = { indicator: shownInd, classes };
  writeState();
  await Promise.all([idle(map), second ? idle(map2) : null]);
  report(classes, second);
}

const idle = (m) => new Promise((resolve) => m.once('idle', resolve));

// The second map of the side view follows the first.
let map2 = null;
let map2Loaded = null;

async function showSide(classes) {
  if (!map2) {
    $('map-side').hidden = false;
    map.resize();
    // one attribution for both maps, which show the same sources
    [map2, map2Loaded] = newMap('map2', { center: map.getCenter(), zoom: map.getZoom(), interactive: false, attributionControl: false });
    map.on('move', followMain);
  }
  await map2Loaded;
  $('map2-caption').textContent = `Stichtag ${dateDE(state.period2)}`;
  // the breaks of the shown period, counted in the other
  let second = null;
  const inner = classes.breaks.slice(1, -1);
  if (inner.length > 0) {
    const params = new URLSearchParams({ level: state.level, period: state.period2, method: 'manual', breaks: inner.join(',') });
    second = await getJSON(`/indicators/${state.indicator}/classes?${params}`);
  } else {
    second = { ...classes, period: state.period2 };
  }
  replaceAtlas(map2, { indicators: state.indicator, period: state.period2 }, classes.maplibre, classes);
  return second;
}

function followMain() {
  map2.jumpTo({ center: map.getCenter(), zoom: map.getZoom(), bearing: map.getBearing(), pitch: map.getPitch() });
}

function closeSide() {
  if (!map2) return;
  map.off('move', followMain);
  map2.remove();
  map2 = null;
  $('map-side').hidden = true;
  $('map-caption').hidden = true;
  map.resize();
}

async function showLISA(ind) {
  const property = `${ind.key}_lisa`;
  const params = new URLSearchParams({ level: state.level, period: state.period });
  const local = await getJSON(`/indicators/${ind.key}/local?${params}`);
  const counts = new Map();
  for (const a of local.areas) counts.set(a.cluster, (counts.get(a.cluster) || 0) + 1);
  drawLegend({
    title: `${ind.title}: räumliche Cluster`,
    head: `Cluster (lokales Moran's I, p < ${local.alpha})`,
    counts: ['Gebiete'],
    rows: lisaClasses.map(([c, label, colour]) => ({ label, colour, count: counts.get(c) || 0 })),
    notes: [`Moran's I = ${number(local.I, 3)} (z = ${number(local.z, 1)}), Queen-Nachbarschaft, ${local.permutations} Permutationen`,
      `Stichtag ${dateDE(local.period)}`, `Quelle: ${ind.source || 'keine Angabe'}`, `Geometrie: ${attribution}`],
  });
  const colour = ['match', ['get', property], ...lisaClasses.flatMap(([c, , col]) => [c, col]), '#d9d9d9'];
  replaceAtlas(map, { indicators: property, period: state.period }, colour, null);
  const classes = lisaClasses.map(([c, label, col]) => ({ label, colour: col, count: counts.get(c) || 0 }));
  current = { indicator: ind, classes: null, lisa: property };
  writeState();
  await idle(map);
  report({ classes, suppressed: { count: 0 }, missing: { count: 0 } });
}

// replaceAtlas puts the layer's tiles with the given query under the
// Länder boundaries of map m, filled with colour; classes, when given,
// add the patterns of withheld and missing areas.
function replaceAtlas(m, query, colour, classes) {
  for (const id of ['choropleth', 'withheld', 'missing', 'outline', 'highlight']) {
    if (m.getLayer(id)) m.removeLayer(id);
  }
  if (m.getSource('atlas')) m.removeSource('atlas');
  m.addSource('atlas', { type: 'vector', url: `/tiles/${state.level}.json?${new URLSearchParams(query)}` });
  const layer = { source: 'atlas', 'source-layer': state.level };
  m.addLayer({ id: 'choropleth', type: 'fill', ...layer, paint: { 'fill-color': colour, 'fill-antialias': false } }, 'land-lines');
  if (classes) {
    m.addLayer({ id: 'withheld', type: 'fill', ...layer, filter: classes.suppressed.filter, paint: { 'fill-pattern': 'hatch' } }, 'land-lines');
    m.addLayer({ id: 'missing', type: 'fill', ...layer, filter: classes.missing.filter, paint: { 'fill-pattern': 'dots' } }, 'land-lines');
  }
  m.addLayer({ id: 'outline', type: 'line', ...layer, paint: { 'line-color': '#ffffff', 'line-width': 0.4 } }, 'land-lines');
  // under the facilities' points, which stay on top whatever the level
  m.addLayer({ id: 'highlight', type: 'line', ...layer, filter: ['in', ['get', 'code'], ['literal', highlighted]],
    paint: { 'line-color': '#e63946', 'line-width': 2.5 } }, facilityTypes.map((f) => facilityLayer(f.key)).find((id) => m.getLayer(id)));
}

// The filter: the areas of the level matching a CQL2 expression on the
// queryables, outlined on the map and listed.
let highlighted = [];
async function applyFilter() {
  const text = $('filter').value.trim();
  state.filter = text;
  highlighted = [];
  const list = $('filter-list');
  list.replaceChildren();
  $('filter-status').textContent = '';
  if (text) {
    const params = new URLSearchParams({ filter: text, limit: '1000', period: state.period, sortby: 'name' });
    if (usesChange()) {
      await fillPeriod2();
      params.set('period2', state.period2);
    }
    const res = await fetch(`/collections/${state.level}/items?${params}`, { headers: { Accept: 'application/geo+json' } });
    const doc = await res.json();
    if (!res.ok) {
      $('filter-status').textContent = `Filter nicht ausführbar: ${doc.detail}`;
    } else {
      highlighted = doc.features.map((f) => f.properties.code);
      // each area a button to its profile: the keyboard's way to one
      for (const f of doc.features) {
        const li = document.createElement('li');
        const open = document.createElement('button');
        open.type = 'button';
        open.className = 'area-link';
        open.textContent = `${f.properties.name} (${f.properties.code})`;
        open.addEventListener('click', () => showProfile(f.properties.code).catch((err) => console.error(err.message)));
        li.append(open);
        list.append(li);
      }
      $('filter-status').textContent = `${doc.numberMatched} Gebiete erfüllen den Filter` +
        (doc.numberMatched > doc.features.length ? `, die ersten ${doc.features.length} sind aufgeführt.` : '.');
    }
  }
  for (const m of [map, map2]) {
    if (m && m.getLayer('highlight')) m.setFilter('highlight', ['in', ['get', 'code'], ['literal', highlighted]]);
  }
  showCompareControls();
  writeState();
  if (window.result) window.result = { ...window.result, state: { ...state }, filter: filterReport() };
}

const filterReport = () => ({ codes: highlighted, status: $('filter-status').textContent });

// A change in a filter (KEY_change, "steigend", "sinkend") counts from the
// comparison period, so its control shows then too.
const usesChange = () => /_change\b/.test(state.filter);
function showCompareControls() {
  $('compare-controls').hidden = !(['change', 'side'].includes(state.view) || usesChange());
  $('filter-change-note').hidden = !usesChange();
}

// The filter builder writes the CQL2 expression from conditions picked
// from lists — "Altenquotient größer als 40 und Einwohner sinkend" — so
// that no one needs to know CQL2; the expression stays editable.
let filterIndicators = []; // the level's numeric indicators, catalogue order
let conditionCount = 0;
const operators = [
  ['>', 'größer als'], ['>=', 'mindestens'], ['<', 'kleiner als'], ['<=', 'höchstens'], ['=', 'gleich'],
  ['rising', 'steigend'], ['falling', 'sinkend'],
];

function addCondition() {
  const n = ++conditionCount;
  const row = document.createElement('div');
  row.className = 'condition';
  row.innerHTML = `<label for="cond-prop-${n}">Bedingung ${n}: Indikator</label>
    <select id="cond-prop-${n}" class="cond-prop"></select>
    <span class="cond-line">
      <label class="sr" for="cond-op-${n}">Vergleich</label>
      <select id="cond-op-${n}" class="cond-op">${operators.map(([v, t]) => `<option value="${v}">${t}</option>`).join('')}</select>
      <label class="sr" for="cond-value-${n}">Wert</label>
      <input id="cond-value-${n}" class="cond-value" type="text" inputmode="decimal" autocomplete="off" placeholder="Wert">
      <button type="button" class="cond-remove" aria-label="Bedingung ${n} entfernen">✕</button>
    </span>`;
  fillConditionIndicators(row.querySelector('.cond-prop'));
  for (const el of row.querySelectorAll('select, input')) el.addEventListener('change', buildFilter);
  row.querySelector('.cond-remove').addEventListener('click', () => { row.remove(); buildFilter(); });
  $('conditions').append(row);
  row.querySelector('.cond-prop').focus();
}

function fillConditionIndicators(select) {
  const chosen = select.value;
  select.replaceChildren(...filterIndicators.map((ind) => new Option(ind.title, ind.key)));
  if (filterIndicators.some((ind) => ind.key === chosen)) select.value = chosen;
}

function refillConditions() {
  for (const select of document.querySelectorAll('#conditions .cond-prop')) fillConditionIndicators(select);
}

// germanNumber reads 40, 40,5, 1.250 or 1.250,5 (and 40.5, as typed by
// some); NaN when it is none of them.
function germanNumber(text) {
  let t = text.trim().replace(/\s/g, '');
  if (t.includes(',')) t = t.replace(/\./g, '').replace(',', '.');
  else if (/^-?\d{1,3}(\.\d{3})+$/.test(t)) t = t.replace(/\./g, '');
  return t === '' ? NaN : Number(t);
}

function buildFilter() {
  const parts = [];
  for (const row of $('conditions').children) {
    const key = row.querySelector('.cond-prop').value;
    const op = row.querySelector('.cond-op').value;
    const input = row.querySelector('.cond-value');
    const trend = op === 'rising' || op === 'falling';
    input.hidden = trend;
    input.removeAttribute('aria-invalid');
    if (!key) continue;
    if (trend) {
      parts.push(`${key}_change ${op === 'rising' ? '>' : '<'} 0`);
      continue;
    }
    const v = germanNumber(input.value);
    if (Number.isFinite(v)) parts.push(`${key} ${op} ${v}`);
    else if (input.value.trim() !== '') input.setAttribute('aria-invalid', 'true');
  }
  $('filter').value = parts.join(' AND ');
  applyFilter().catch((err) => console.error(err.message));
}
$('add-condition').addEventListener('click', addCondition);

// report tells tests (and anyone scripting the page) what is drawn: the
// classes, and the features under the centre of each map.
function report(classes, second) {
  const under = (m) => {
    const box = m.getContainer().getBoundingClientRect();
    const c = m.project(m.getCenter());
    return { center: { x: box.left + c.x, y: box.top + c.y },
      features: m.queryRenderedFeatures(c, { layers: ['choropleth'] }).map((f) => f.properties) };
  };
  window.result = {
    // since navigation started: how long the page took to show its map
    loadedMs: performance.now(),
    state: { ...state },
    classes: classes.classes,
    suppressed: classes.suppressed,
    missing: classes.missing,
    ...under(map),
    side: second ? { classes: second.classes, ...under(map2) } : undefined,
    filter: filterReport(),
    facilities: facilityReport(),
  };
}

const tooltip = $('tooltip');
map.on('mousemove', 'choropleth', (e) => {
  const f = e.features[0];
  if (!f || !current || facilityAt(e.point)) return;
  const key = current.indicator.key;
  const p = f.properties;
  let value;
  if (p[key] !== undefined) value = `${number(p[key], current.indicator.decimals)} ${current.indicator.unit}`;
  else if (p[key + '_status'] === 'suppressed') value = 'gesperrt (Geheimhaltung)';
  else value = 'keine Daten';
  tooltip.textContent = `${p.name}: ${value}`;
  tooltip.style.left = `${e.originalEvent.clientX + 12}px`;
  tooltip.style.top = `${e.originalEvent.clientY + 12}px`;
  tooltip.hidden = false;
  map.getCanvas().style.cursor = 'pointer';
});
map.on('mouseleave', 'choropleth', () => { tooltip.hidden = true; map.getCanvas().style.cursor = ''; });

// ---- The index matrix (matrix.js): a view of its own, given the map, the
// state and what it needs of this file.
const matrix = indexMatrix({
  map, state, getJSON, writeState,
  replaceAtlas: (query, colour, classes) => replaceAtlas(map, query, colour, classes),
  levelChanged: async () => { await fillIndicators(); await fillPeriods(); },
});
// ---- end of the index matrix

// The area profile (Gebietssteckbrief): every indicator of an area next to
// its parent, Kreis, Land and Germany, with its rank among its siblings and
// its course over all periods; the composite indices with their classes.
const shown = (cell, decimals) => {
  if (!cell) return '–';
  if (cell.value !== null && cell.value !== undefined) {
    const v = number(cell.value, decimals);
    return cell.label ? `${v} (${escapeHTML(cell.label)})` : v;
  }
  return cell.status === 'suppressed' ? 'gesperrt' : 'k. A.';
};
const escapeHTML = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

// pointText says a series point in words, for the chart's text alternative.
function pointText(p, decimals) {
  const v = p.value !== null ? number(p.value, decimals) : (p.status === 'suppressed' ? 'gesperrt' : 'keine Angabe');
  return `${dateDE(p.period)}: ${v}`;
}

// chart draws an indicator's series as a line over time. Withheld and
// missing points are no values: the line breaks there, and a cross
// (withheld) or a ring (missing) on the time axis marks them, so the
// period is not silently left out. The period shown is ringed.
function chart(ind, points, period) {
  const W = 340, H = 78, left = 58, right = 10, top = 8, bottom = 18;
  const t = points.map((p) => Date.parse(p.period));
  const t0 = Math.min(...t), t1 = Math.max(...t);
  const x = (i) => (t1 === t0 ? (left + W - right) / 2 : left + (t[i] - t0) / (t1 - t0) * (W - left - right));
  const values = points.filter((p) => p.value !== null).map((p) => Number(p.value));
  let lo = Math.min(...values), hi = Math.max(...values);
  if (values.length === 0) { lo = 0; hi = 1; }
  // a flat line in the middle; counts and shares stay above zero
  if (lo === hi) { const pad = Math.abs(lo) * 0.1 || 1; lo = lo >= 0 ? Math.max(0, lo - pad) : lo - pad; hi += pad; }
  const y = (v) => top + (hi - v) / (hi - lo) * (H - top - bottom);
  const base = H - bottom;
  const marks = [];
  let path = '';
  let drawing = false;
  points.forEach((p, i) => {
    const data = `data-period="${p.period}"`;
    if (p.value === null) {
      drawing = false;
      if (p.status === 'suppressed') {
        marks.push(`<path class="withheld" ${data} d="M${x(i) - 4},${base - 4}l8,8m0,-8l-8,8"/>`);
      } else {
        marks.push(`<circle class="missing" ${data} cx="${x(i)}" cy="${base}" r="3"/>`);
      }
      return;
    }
    const cx = x(i), cy = y(Number(p.value));
    path += `${drawing ? 'L' : 'M'}${cx.toFixed(1)},${cy.toFixed(1)}`;
    drawing = true;
    const cls = p.period === period ? 'point current' : 'point';
    marks.push(`<circle class="${cls}" ${data} data-value="${p.value}" cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="${p.period === period ? 4 : 2.5}"/>`);
  });
  // the marks explained; the text alternative says it in words already
  const notes = [];
  if (points.some((p) => p.value === null && p.status === 'suppressed')) notes.push('<span class="chart-note" aria-hidden="true">× gesperrt (Geheimhaltung)</span>');
  if (points.some((p) => p.value === null && p.status !== 'suppressed')) notes.push('<span class="chart-note" aria-hidden="true">○ keine Angabe</span>');
  const label = `Verlauf ${ind.title}${ind.unit ? ` (${ind.unit})` : ''}: ${points.map((p) => pointText(p, ind.decimals)).join('; ')}`;
  const first = points[0].period, last = points[points.length - 1].period;
  const ticks = points.map((p, i) => `<line class="tick" x1="${x(i)}" x2="${x(i)}" y1="${base}" y2="${base + 3}"/>`).join('');
  return `<svg class="chart" data-key="${escapeHTML(ind.key)}" role="img" aria-label="${escapeHTML(label)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
    <title>${escapeHTML(label)}</title>
    <line class="axis" x1="${left}" x2="${W - right}" y1="${base}" y2="${base}"/>
    <line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${base}"/>${ticks}
    <text class="label" x="${left - 4}" y="${top + 4}" text-anchor="end">${number(hi, ind.decimals)}</text>
    <text class="label" x="${left - 4}" y="${base}" text-anchor="end">${number(lo, ind.decimals)}</text>
    <text class="label" x="${x(0)}" y="${H - 2}" text-anchor="${first === last ? 'middle' : 'start'}">${dateDE(first)}</text>
    ${first === last ? '' : `<text class="label" x="${W - right}" y="${H - 2}" text-anchor="end">${dateDE(last)}</text>`}
    <path class="line" d="${path}"/>${marks.join('')}
  </svg>${notes.join(' ')}`;
}

// indexGroups gathers the catalogue's composite indices: per index its
// value indicator and its class indicator (one with labelled values; a
// matrix index has only that).
function indexGroups() {
  const groups = new Map();
  for (const ind of catalogue.values()) {
    if (!ind.composite_index) continue;
    if (!groups.has(ind.composite_index)) groups.set(ind.composite_index, {});
    const g = groups.get(ind.composite_index);
    if (ind.labels && ind.labels.length > 0) g.classes = ind;
    else g.value = ind;
  }
  return groups;
}

// latest is the series point of the latest period up to the profile's.
const latest = (points, period) => (points || []).filter((p) => !period || p.period <= period).at(-1);

// indexRows are the area's index values and classes, each from the
// latest computation up to the profile's period: an index is often
// computed for an earlier period than the other indicators'.
function indexRows(doc) {
  const rows = [];
  for (const [key, g] of indexGroups()) {
    const v = g.value && latest(doc.series[g.value.key], doc.period);
    const c = g.classes && latest(doc.series[g.classes.key], doc.period);
    if (!v && !c) continue;
    const details = [];
    if (c && c.label) details.push(`${escapeHTML(g.classes.unit || 'Klasse')} ${number(c.value, 0)} von ${g.classes.labels.length}`);
    if (v) details.push(`Wert ${shown(v, g.value.decimals)}${v.value !== null && g.value.unit ? ` ${escapeHTML(g.value.unit)}` : ''}`);
    details.push(`Stichtag ${dateDE((v || c).period)}`);
    rows.push({
      key,
      period: (v || c).period,
      value: v ? v.value : null,
      label: c && c.label ? c.label : null,
      html: `<li data-key="${escapeHTML(key)}"><span class="index-title">${escapeHTML((g.value || g.classes).title)}:</span>
        <strong class="class">${c ? (c.label ? escapeHTML(c.label) : shown(c, 0)) : shown(v, g.value.decimals)}</strong>
        <span class="details">(${details.join('; ')})</span></li>`,
    });
  }
  return rows;
}

async function showProfile(code, level = state.level) {
  // The map's period fits the areas on the map; an area of another level
  // shows its latest.
  const params = new URLSearchParams({ series: 'true' });
  if (level === state.level && state.period) params.set('period', state.period);
  const path = `/areas/${encodeURIComponent(level)}/${encodeURIComponent(code)}/profile`;
  const doc = await getJSON(`${path}?${params}`);
  // the parent is often the Kreis or the Land: each area once
  const cols = [];
  for (const c of ['parent', 'kreis', 'land', 'staat']) {
    const a = doc.comparison[c];
    if (a && !cols.some((o) => doc.comparison[o].code === a.code && doc.comparison[o].level === a.level)) cols.push(c);
  }
  // Berlin is Kreis and Land: areas of one name are told apart by level
  const levelWord = { staat: 'Staat', land: 'Land', kreis: 'Kreis', gemeinde: 'Gemeinde' };
  const heading = (a) => cols.filter((o) => doc.comparison[o].name === a.name).length > 1 ?
    `${a.name} (${levelWord[a.level] || a.level})` : a.name;
  const head = cols.map((c) => `<th scope="col">${escapeHTML(heading(doc.comparison[c]))}</th>`).join('');
  const indices = indexRows(doc);
  const inIndex = new Set([...indexGroups().values()].flatMap((g) => [g.value, g.classes]).filter(Boolean).map((i) => i.key));
  let category = '';
  const rows = [];
  for (const e of doc.indicators) {
    if (inIndex.has(e.key)) continue;
    if (e.category !== category) {
      category = e.category;
      rows.push(`<tr><td class="category" colspan="${3 + cols.length}">${escapeHTML(category)}</td></tr>`);
    }
    const unit = e.unit ? ` (${escapeHTML(e.unit)})` : '';
    const rank = e.rank ? `${e.rank} von ${e.ranked}` : '–';
    rows.push(`<tr data-key="${escapeHTML(e.key)}"><th scope="row">${escapeHTML(e.title)}${unit}</th><td class="own">${shown(e, e.decimals)}</td>` +
      cols.map((c) => `<td>${shown(e.comparison[c], e.decimals)}</td>`).join('') + `<td class="rank">${rank}</td></tr>`);
    const points = doc.series[e.key];
    // a single period makes no course
    if (points && points.length > 1) {
      rows.push(`<tr class="chart-row"><td colspan="${3 + cols.length}">${chart(e, points, doc.period)}</td></tr>`);
    }
  }
  const indexList = indices.length === 0 ? '' : `<h3>Zusammengesetzte Indizes</h3>
    <ul class="indices">${indices.map((i) => i.html).join('')}</ul>`;
  const csv = new URL(`${path}?${new URLSearchParams(doc.period ? { period: doc.period, f: 'csv' } : { f: 'csv' })}`, location.href);
  $('profile-body').innerHTML = `<h2>${escapeHTML(doc.area.name)} (${escapeHTML(doc.area.code)})</h2>
    <p>${doc.period ? `Stichtag ${dateDE(doc.period)}` : 'Keine Werte'}</p>
    <p class="profile-actions"><a id="profile-csv" href="${escapeHTML(csv.href)}" download>Als CSV herunterladen</a>
      <button id="profile-print" type="button">Drucken</button></p>
    ${indexList}
    ${rows.length === 0 ? '' : `<h3 id="profile-indicators">Indikatoren</h3>
    <div class="table-scroll" tabindex="0" role="region" aria-labelledby="profile-indicators"><table><thead><tr><th scope="col">Indikator</th><th scope="col">Gebiet</th>${head}<th scope="col">Rang</th></tr></thead>
    <tbody>${rows.join('')}</tbody></table></div>`}`;
  $('profile-print').addEventListener('click', () => window.print());
  $('profile').hidden = false;
  map.resize();
  // What the page shows, for tests: the charts' points as drawn, and
  // how their gaps are marked.
  const series = {}, gaps = {};
  for (const svg of $('profile-body').querySelectorAll('svg.chart')) {
    const marks = [...svg.querySelectorAll('[data-period]')];
    series[svg.dataset.key] = marks.map((m) => [m.dataset.period, m.dataset.value === undefined ? null : Number(m.dataset.value)]);
    gaps[svg.dataset.key] = marks.filter((m) => m.dataset.value === undefined).map((m) => [m.dataset.period, m.getAttribute('class')]);
  }
  window.atlasProfile = {
    code: doc.area.code,
    level: doc.area.level,
    period: doc.period,
    values: Object.fromEntries(doc.indicators.map((e) => [e.key, e.value])),
    // the parent's values the table shows beside the area's
    parent: Object.fromEntries(doc.indicators.map((e) => [e.key, e.comparison.parent ? e.comparison.parent.value : null])),
    series,
    gaps,
    indices: indices.map(({ key, period, value, label }) => ({ key, period, value, label })),
    csv: csv.href,
  };
}
window.atlasShowProfile = showProfile;

map.on('click', 'choropleth', (e) => {
  const f = e.features[0];
  if (f) showProfile(f.properties.code).catch((err) => console.error(err.message));
});
$('profile-close').addEventListener('click', () => { $('profile').hidden = true; map.resize(); });

function onChange(id, apply) {
  $(id).addEventListener('change', async () => {
    try {
      await apply($(id).value);
      await show();
    } catch (err) {
      console.error(err.message);
    }
  });
}
onChange('level', async (v) => { state.level = v; await fillIndicators(); await fillPeriods(); await refilter(); });
onChange('indicator', async (v) => { state.indicator = v; await fillPeriods(); });
// the filter's list follows the map's level and periods
const refilter = async () => { if (state.filter) await applyFilter(); };
onChange('period', async (v) => { state.period = v; await refilter(); });
onChange('method', async (v) => { state.method = v; });
onChange('k', async (v) => { state.k = v; });
onChange('view', async (v) => { state.view = v; });
onChange('period2', async (v) => { state.period2 = v; if (usesChange()) await refilter(); });
$('filter').addEventListener('change', () => applyFilter().catch((err) => console.error(err.message)));
// Playing steps through the periods from the first, one every 1.5 s.
let playing = null;
function stopPlaying() {
  clearInterval(playing);
  playing = null;
  $('play').setAttribute('aria-pressed', 'false');
  $('play').textContent = '▶ Zeitreihe abspielen';
}
$('play').addEventListener('click', () => {
  if (playing) { stopPlaying(); return; }
  const periods = [...$('period').options].map((o) => o.value);
  if (periods.length < 2) return;
  let i = 0;
  const step = () => {
    if (i >= periods.length) { stopPlaying(); return; }
    state.period = periods[i++];
    $('period').value = state.period;
    show().catch((err) => console.error(err.message));
  };
  $('play').setAttribute('aria-pressed', 'true');
  $('play').textContent = '■ Anhalten';
  step();
  playing = setInterval(step, 1500);
});

$('search').addEventListener('input', () => fillIndicators().catch((err) => console.error(err.message)));

// The PNG export: the map (both maps side by side in the side view) with
// the legend to its right and the attribution below, drawn in device
// pixels so that the picture is as sharp as the screen.
function exportPNG() {
  const maps = map2 ? [[map, dateDE(state.period)], [map2, dateDE(state.period2)]] : [[map, '']];
  const dpr = window.devicePixelRatio || 1;
  const font = (size, bold) => `${bold ? 'bold ' : ''}${size}px system-ui, sans-serif`;
  const pad = 12;
  const caption = map2 ? 22 : 0;
  const legendWidth = 400;
  const widths = maps.map(([m]) => m.getContainer().clientWidth);
  const mapHeight = map.getContainer().clientHeight;
  const credits = `Geometrie: ${attribution}. Erstellt mit Sozialatlas am ${new Date().toLocaleDateString('de-DE')}.`;
  const lineHeight = 18;
  // the facility types shown over the map get legend rows of their own
  const facilityRows = facilityTypes.filter((f) => map.getLayer(facilityLayer(f.key)));
  const legendHeight = pad + 24 + lineHeight * (legendModel.rows.length + 1) + 8 + lineHeight * 3 * legendModel.notes.length +
    (facilityRows.length > 0 ? lineHeight * (facilityRows.length + 2) : 0);
  const width = widths.reduce((a, b) => a + b, 0) + legendWidth;
  const height = Math.max(caption + mapHeight, legendHeight) + 2 * lineHeight;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = 'top';
  let x = 0;
  maps.forEach(([m, label], i) => {
    if (caption) {
      ctx.fillStyle = '#1a1a1a';
      ctx.font = font(14, true);
      ctx.fillText(`Stichtag ${label}`, x + 6, 4);
    }
    ctx.drawImage(m.getCanvas(), x, caption, widths[i], mapHeight);
    x += widths[i];
  });
  // the legend, from the model the page's legend is drawn from
  const swatches = [];
  let y = pad;
  const left = x + pad;
  ctx.fillStyle = '#1a1a1a';
  ctx.font = font(15, true);
  y = wrapText(ctx, legendModel.title, left, y, legendWidth - 2 * pad, 19) + 4;
  // count columns at the right edge, in the page legend's order
  const columns = legendModel.counts.length;
  const countX = (i) => x + legendWidth - pad - (columns - 1 - i) * 72;
  const labelWidth = legendWidth - 2 * pad - 34 - columns * 72;
  ctx.font = font(12, true);
  ctx.fillText(legendModel.head, left + 34, y, labelWidth);
  ctx.textAlign = 'right';
  legendModel.counts.forEach((c, i) => ctx.fillText(c, countX(i), y));
  ctx.textAlign = 'left';
  y += lineHeight;
  ctx.font = font(12);
  for (const r of legendModel.rows) {
    ctx.fillStyle = r.pattern === 'hatch' ? ctx.createPattern(patternCanvas(true), 'repeat') : r.colour;
    ctx.fillRect(left, y, 26, 14);
    if (r.pattern === 'dots') {
      ctx.fillStyle = ctx.createPattern(patternCanvas(false), 'repeat');
      ctx.fillRect(left, y, 26, 14);
    }
    ctx.strokeStyle = '#555555';
    ctx.strokeRect(left + 0.5, y + 0.5, 25, 13);
    if (!r.pattern) swatches.push({ x: (left + 13) * dpr, y: (y + 7) * dpr, colour: r.colour });
    ctx.fillStyle = '#1a1a1a';
    ctx.fillText(r.label, left + 34, y + 1, labelWidth);
    ctx.textAlign = 'right';
    [r.count, r.count2].filter((c) => c !== undefined).forEach((c, i) => ctx.fillText(String(c), countX(i), y + 1));
    ctx.textAlign = 'left';
    y += lineHeight;
  }
  y += 8;
  ctx.fillStyle = '#333333';
  for (const n of legendModel.notes) y = wrapText(ctx, n, left, y, legendWidth - 2 * pad, 16);
  const facilitySwatches = [];
  if (facilityRows.length > 0) {
    y += 8;
    ctx.fillStyle = '#1a1a1a';
    ctx.font = font(13, true);
    ctx.fillText('Einrichtungen', left, y);
    y += lineHeight;
    ctx.font = font(12);
    for (const f of facilityRows) {
      ctx.beginPath();
      ctx.arc(left + 13, y + 7, 6, 0, 2 * Math.PI);
      ctx.fillStyle = f.colour;
      ctx.fill();
      ctx.strokeStyle = '#1a1a1a';
      ctx.stroke();
      facilitySwatches.push({ x: (left + 13) * dpr, y: (y + 7) * dpr, colour: f.colour.toLowerCase() });
      ctx.fillStyle = '#1a1a1a';
      ctx.fillText(f.title, left + 34, y + 1, labelWidth);
      ctx.textAlign = 'right';
      ctx.fillText(number(f.count, 0), x + legendWidth - pad, y + 1);
      ctx.textAlign = 'left';
      y += lineHeight;
    }
  }
  ctx.fillStyle = '#1a1a1a';
  ctx.font = font(11);
  ctx.fillText(credits, 6, height - lineHeight - 4);
  const name = `sozialatlas_${state.level}_${state.indicator}_${state.view}_${state.period}.png`;
  window.atlasExport = { name, width: canvas.width, height: canvas.height, swatches, facilitySwatches };
  canvas.toBlob((blob) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }, 'image/png');
}

// wrapText writes text in lines no wider than width and returns the y
// below it.
function wrapText(ctx, text, x, y, width, lineHeight) {
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      ctx.fillText(line, x, y);
      y += lineHeight;
      line = word;
    } else {
      line = next;
    }
  }
  if (line) {
    ctx.fillText(line, x, y);
    y += lineHeight;
  }
  return y;
}

// patternCanvas is the hatch (or dots) of the map as a canvas pattern.
function patternCanvas(hatch) {
  const p = pattern(hatch ? (x, y) => (x + y) % 8 < 2 : (x, y) => x % 4 === 1 && y % 4 === 1);
  const c = document.createElement('canvas');
  c.width = p.width;
  c.height = p.height;
  c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(p.data), p.width, p.height), 0, 0);
  if (hatch) {
    // the hatch lies over the withheld grey, as on the map
    const under = document.createElement('canvas');
    under.width = p.width;
    under.height = p.height;
    const u = under.getContext('2d');
    u.fillStyle = '#969696';
    u.fillRect(0, 0, p.width, p.height);
    u.drawImage(c, 0, 0);
    return under;
  }
  return c;
}
$('export-png').addEventListener('click', () => {
  try { exportPNG(); } catch (err) { console.error(err.message); }
});

// ---- Facilities: the point layers of /collections' facilities-{type},
// drawn over any level's choropleth from their vector tiles.
const facilityPrefix = 'facilities-';
const facilityTypes = []; // { key, id, title, colour, count } in /collections' order
// Okabe and Ito's qualitative palette, told apart under the common colour
// vision deficiencies; each circle has a dark ring to stand out from the
// choropleth's fills, and the legend and hover name the type.
const facilityPalette = ['#E69F00', '#56B4E9', '#009E73', '#CC79A7', '#0072B2', '#D55E00', '#F0E442'];
const facilityLayer = (key) => `facility-${key}`;
const shownFacilities = () => (state.facilities || '').split(',').filter((k) => facilityTypes.some((f) => f.key === k));

// fillFacilityTypes offers a checkbox per type; the link's types are
// ticked.
function fillFacilityTypes() {
  const shown = shownFacilities();
  $('facility-types').replaceChildren(...facilityTypes.map((f, i) => {
    f.colour = facilityPalette[i % facilityPalette.length];
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = f.key;
    box.checked = shown.includes(f.key);
    box.addEventListener('change', () => toggleFacilities().catch((err) => console.error(err.message)));
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.setAttribute('aria-hidden', 'true');
    dot.style.backgroundColor = f.colour; // CSSOM: the CSP forbids style attributes
    label.append(box, dot, f.title);
    return label;
  }));
}

async function toggleFacilities() {
  const keys = [...$('facility-types').querySelectorAll('input:checked')].map((b) => b.value);
  if (keys.length > 0) state.facilities = keys.join(','); else delete state.facilities;
  writeState();
  await showFacilities();
  await idle(map);
  if (window.result) window.result = { ...window.result, state: { ...state }, facilities: facilityReport() };
}

// showFacilities puts the shown types' points on the map, above the areas
// and the Länder lines, and lists them with the number valid today.
async function showFacilities() {
  const shown = shownFacilities();
  for (const f of facilityTypes) {
    const id = facilityLayer(f.key);
    if (!shown.includes(f.key)) {
      if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(id)) map.removeSource(id);
      continue;
    }
    if (map.getLayer(id)) continue;
    map.addSource(id, { type: 'vector', url: `/tiles/${f.id}.json` });
    map.addLayer({ id, type: 'circle', source: id, 'source-layer': f.id, paint: {
      'circle-color': f.colour,
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 2.5, 12, 4.5, 15, 7],
      'circle-stroke-color': '#1a1a1a', 'circle-stroke-width': 1 } });
    map.on('mousemove', id, facilityHover);
    map.on('mouseleave', id, () => { tooltip.hidden = true; map.getCanvas().style.cursor = ''; });
  }
  // today's number of each shown type, as its items count them
  await Promise.all(facilityTypes.filter((f) => shown.includes(f.key) && f.count === undefined).map(async (f) => {
    f.count = (await getJSON(`/collections/${f.id}/items?limit=1`)).numberMatched;
  }));
  const rows = facilityTypes.filter((f) => shown.includes(f.key)).map((f) => {
    const tr = document.createElement('tr');
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.style.backgroundColor = f.colour;
    const cells = [dot, f.title, number(f.count, 0)].map((c) => {
      const td = document.createElement('td');
      td.append(c);
      return td;
    });
    cells[2].className = 'count';
    tr.append(...cells);
    return tr;
  });
  $('facility-legend').querySelector('tbody').replaceChildren(...rows);
  $('facility-legend').hidden = rows.length === 0;
}

// facilityText is what the hover says of a facility: name, carrier and
// capacity ("69 Plätze").
function facilityText(p) {
  const parts = [p.name];
  if (p.carrier || p.carrier_type) {
    parts.push('Träger: ' + [p.carrier, p.carrier_type && `(${p.carrier_type})`].filter(Boolean).join(' '));
  }
  if (p.capacity !== undefined) {
    parts.push(`${number(p.capacity, Number.isInteger(p.capacity) ? 0 : 1)} ${p.capacity_unit || ''}`.trim());
  }
  return parts.join(' · ');
}

const facilityLayersShown = () => facilityTypes.map((f) => facilityLayer(f.key)).filter((id) => map.getLayer(id));
const facilityAt = (point) => {
  const layers = facilityLayersShown();
  return layers.length > 0 && map.queryRenderedFeatures(point, { layers }).length > 0;
};

// Keyboard users move the map with the arrow keys: after each move the
// facilities at its centre are named in a status line, as the hover names
// them for the mouse.
map.on('moveend', () => nameFacilitiesNear());

function nameFacilitiesNear() {
  const layers = facilityLayersShown();
  const near = $('facility-near');
  if (layers.length === 0) {
    near.textContent = '';
    return;
  }
  const c = map.project(map.getCenter());
  const seen = new Set();
  const names = [];
  for (const f of map.queryRenderedFeatures([[c.x - 8, c.y - 8], [c.x + 8, c.y + 8]], { layers })) {
    if (seen.has(f.id)) continue; // tiles repeat points in their buffers
    seen.add(f.id);
    names.push(facilityText(f.properties));
  }
  near.textContent = names.length > 0 ? `In der Kartenmitte: ${names.join('; ')}` : 'Keine Einrichtung in der Kartenmitte.';
}

function facilityHover(e) {
  const f = e.features[0];
  if (!f) return;
  tooltip.textContent = facilityText(f.properties);
  tooltip.style.left = `${e.originalEvent.clientX + 12}px`;
  tooltip.style.top = `${e.originalEvent.clientY + 12}px`;
  tooltip.hidden = false;
  map.getCanvas().style.cursor = 'pointer';
}

// facilityReport tells tests what the facility layers show: the legend's
// counts, the points drawn inside the map's bounds by type (each once,
// though tiles repeat points in their buffers), and the hover text of the
// points at the centre.
function facilityReport() {
  nameFacilitiesNear();
  const b = map.getBounds();
  const inside = {};
  for (const id of facilityLayersShown()) {
    const ids = new Set();
    for (const f of map.queryRenderedFeatures({ layers: [id] })) {
      const [x, y] = f.geometry.coordinates;
      if (x >= b.getWest() && x <= b.getEast() && y >= b.getSouth() && y <= b.getNorth()) ids.add(f.id);
    }
    inside[id] = ids.size;
  }
  const c = map.project(map.getCenter());
  const layers = facilityLayersShown();
  return {
    legend: facilityTypes.filter((f) => map.getLayer(facilityLayer(f.key))).map((f) => ({ key: f.key, count: f.count, colour: f.colour })),
    bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
    inside,
    center: layers.length === 0 ? [] : map.queryRenderedFeatures([[c.x - 2, c.y - 2], [c.x + 2, c.y + 2]], { layers })
      .map((f) => facilityText(f.properties)),
    near: $('facility-near').textContent,
  };
}
// ---- end of the facilities

async function start() {
  metadata(`/collections/${state.level}/queryables`);
  metadata(`/indicators/${state.indicator}`);
  await Promise.all([loadLevels(), loadCatalogue(), loadAttribution()]);
  await fillIndicators();
  await fillPeriods();
  $('method').value = state.method;
  $('k').value = state.k;
  $('view').value = state.view;
  $('filter').value = state.filter;
  fillFacilityTypes();
  await mapLoaded;
  await showFacilities();
  if (state.filter) await applyFilter();
  await show();
}
start().catch((err) => console.error(err.message));
