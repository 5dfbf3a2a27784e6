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

// state is what the URL's fragment holds.
const state = (() => {
  const p = new URLSearchParams(location.hash.slice(1));
  return {
    level: p.get('level') || 'kreis',
    indicator: p.get('indicator') || 'dichte',
    period: p.get('period') || '',
    method: p.get('method') || 'quantile',
    k: p.get('k') || '5',
    view: p.get('view') || 'values',
    filter: p.get('filter') || '',
    map: p.get('map') || '',
  };
})();

function writeState() {
  const c = map.getCenter();
  state.map = `${map.getZoom().toFixed(2)}/${c.lat.toFixed(4)}/${c.lng.toFixed(4)}`;
  const p = new URLSearchParams(state);
  history.replaceState(null, '', '#' + p.toString());
}

const [zoom, lat, lon] = state.map ? state.map.split('/').map(Number) : [5.2, 51.1, 10.4];
const map = new maplibregl.Map({
  container: 'map',
  center: [lon, lat],
  zoom,
  fadeDuration: 0,
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
// Promised at once: 'load' fires only once, and map.loaded() is false again
// whenever tiles are loading, so asking it later could wait forever.
const mapLoaded = new Promise((resolve) => map.once('load', resolve));
map.addControl(new maplibregl.NavigationControl(), 'top-right');
map.on('error', (e) => console.error('Kartenfehler: ' + (e.error ? e.error.message : e)));
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
map.on('load', () => {
  map.addImage('hatch', pattern((x, y) => (x + y) % 8 < 2));
  map.addImage('dots', pattern((x, y) => x % 4 === 1 && y % 4 === 1));
});

let catalogue = new Map(); // key → indicator
let current = null; // { indicator, classes }

async function loadLevels() {
  const doc = await getJSON('/collections');
  const select = $('level');
  for (const c of doc.collections) {
    if (!c.extent || !c.extent.spatial) continue; // no geometry, nothing to map
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
  const q = await getJSON(`/collections/${state.level}/queryables`);
  const search = $('search').value.trim().toLowerCase();
  const select = $('indicator');
  select.replaceChildren();
  const groups = new Map();
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
  const doc = await getJSON(`/indicators/${state.indicator}`);
  const level = doc.levels.find((l) => l.level === state.level);
  const periods = level ? level.periods.filter((p) => p.with_value > 0).map((p) => p.period) : [];
  const select = $('period');
  select.replaceChildren(...periods.map((p) => new Option(dateDE(p), p)));
  if (!periods.includes(state.period)) state.period = periods[periods.length - 1] || '';
  select.value = state.period;
}

function legend(ind, classes) {
  const rows = classes.classes.map((c) =>
    `<tr><td><span class="swatch" style="background:${c.colour}"></span></td><td>${c.label}</td><td class="count">${c.count}</td></tr>`);
  const { suppressed, missing } = classes;
  if (suppressed.count > 0) {
    rows.push(`<tr><td><span class="swatch hatched"></span></td><td>${suppressed.label}</td><td class="count">${suppressed.count}</td></tr>`);
  }
  if (missing.count > 0) {
    rows.push(`<tr><td><span class="swatch dotted" style="background-color:${missing.colour}"></span></td><td>${missing.label}</td><td class="count">${missing.count}</td></tr>`);
  }
  $('legend').innerHTML = `<h2>${ind.title}</h2>
    <table><caption class="sr">Klassen mit Anzahl der Gebiete</caption>
    <thead><tr><th scope="col"><span class="sr">Farbe</span></th><th scope="col">Klasse (${ind.unit || 'Wert'})</th><th scope="col">Gebiete</th></tr></thead>
    <tbody>${rows.join('')}</tbody></table>
    <p>Stichtag ${dateDE(classes.period)}</p>
    <p>Quelle: ${ind.source || 'keine Angabe'}</p>
    <p>Geometrie: ${attribution}</p>`;
}

// The LISA clusters of local Moran's I, in the colours GeoDa made usual.
const lisaClasses = [
  ['hh', 'hoch – hoch (Hot Spot)', '#d7191c'],
  ['ll', 'niedrig – niedrig (Cold Spot)', '#2c7bb6'],
  ['hl', 'hoch – niedrig (Ausreißer)', '#fdae61'],
  ['lh', 'niedrig – hoch (Ausreißer)', '#abd9e9'],
  ['ns', 'nicht signifikant', '#eeeeee'],
];

// show draws the state's indicator: classes first, then the tiles.
async function show() {
  // the index matrix draws itself; without current the hover is its own
  if (await matrix.show(state.view)) { current = null; return; }
  const ind = catalogue.get(state.indicator);
  if (!ind || !state.period) return;
  if (state.view === 'lisa') return showLISA(ind);
  const params = new URLSearchParams({ level: state.level, period: state.period, method: state.method, k: state.k });
  const classes = await getJSON(`/indicators/${state.indicator}/classes?${params}`);
  legend(ind, classes);
  replaceAtlas({ indicators: state.indicator, period: state.period }, classes.maplibre, classes);
  current = { indicator: ind, classes };
  writeState();
  map.once('idle', () => report(classes));
}

async function showLISA(ind) {
  const property = `${ind.key}_lisa`;
  const params = new URLSearchParams({ level: state.level, period: state.period });
  const local = await getJSON(`/indicators/${ind.key}/local?${params}`);
  const counts = new Map();
  for (const a of local.areas) counts.set(a.cluster, (counts.get(a.cluster) || 0) + 1);
  const rows = lisaClasses.map(([c, label, colour]) =>
    `<tr><td><span class="swatch" style="background:${colour}"></span></td><td>${label}</td><td class="count">${counts.get(c) || 0}</td></tr>`);
  $('legend').innerHTML = `<h2>${ind.title}: räumliche Cluster</h2>
    <table><thead><tr><th scope="col"><span class="sr">Farbe</span></th><th scope="col">Cluster (lokales Moran's I, p &lt; ${local.alpha})</th><th scope="col">Gebiete</th></tr></thead>
    <tbody>${rows.join('')}</tbody></table>
    <p>Moran's I = ${number(local.I, 3)} (z = ${number(local.z, 1)}), Queen-Nachbarschaft, ${local.permutations} Permutationen</p>
    <p>Stichtag ${dateDE(local.period)}</p>
    <p>Quelle: ${ind.source || 'keine Angabe'}</p>
    <p>Geometrie: ${attribution}</p>`;
  const colour = ['match', ['get', property], ...lisaClasses.flatMap(([c, , col]) => [c, col]), '#d9d9d9'];
  replaceAtlas({ indicators: property, period: state.period }, colour, null);
  const classes = lisaClasses.map(([c, label, col]) => ({ label, colour: col, count: counts.get(c) || 0 }));
  current = { indicator: ind, classes: null, lisa: property };
  writeState();
  map.once('idle', () => report({ classes, suppressed: { count: 0 }, missing: { count: 0 } }));
}

// replaceAtlas puts the layer's tiles with the given query under the
// Länder boundaries, filled with colour; classes, when given, add the
// patterns of withheld and missing areas.
function replaceAtlas(query, colour, classes) {
  for (const id of ['choropleth', 'withheld', 'missing', 'outline', 'highlight']) {
    if (map.getLayer(id)) map.removeLayer(id);
  }
  if (map.getSource('atlas')) map.removeSource('atlas');
  map.addSource('atlas', { type: 'vector', url: `/tiles/${state.level}.json?${new URLSearchParams(query)}` });
  const layer = { source: 'atlas', 'source-layer': state.level };
  map.addLayer({ id: 'choropleth', type: 'fill', ...layer, paint: { 'fill-color': colour, 'fill-antialias': false } }, 'land-lines');
  if (classes) {
    map.addLayer({ id: 'withheld', type: 'fill', ...layer, filter: classes.suppressed.filter, paint: { 'fill-pattern': 'hatch' } }, 'land-lines');
    map.addLayer({ id: 'missing', type: 'fill', ...layer, filter: classes.missing.filter, paint: { 'fill-pattern': 'dots' } }, 'land-lines');
  }
  map.addLayer({ id: 'outline', type: 'line', ...layer, paint: { 'line-color': '#ffffff', 'line-width': 0.4 } }, 'land-lines');
  map.addLayer({ id: 'highlight', type: 'line', ...layer, filter: ['in', ['get', 'code'], ['literal', highlighted]],
    paint: { 'line-color': '#e63946', 'line-width': 2.5 } });
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
    const res = await fetch(`/collections/${state.level}/items?${params}`, { headers: { Accept: 'application/geo+json' } });
    const doc = await res.json();
    if (!res.ok) {
      $('filter-status').textContent = `Filter nicht ausführbar: ${doc.detail}`;
    } else {
      highlighted = doc.features.map((f) => f.properties.code);
      for (const f of doc.features) {
        const li = document.createElement('li');
        li.textContent = `${f.properties.name} (${f.properties.code})`;
        list.append(li);
      }
      $('filter-status').textContent = `${doc.numberMatched} Gebiete erfüllen den Filter` +
        (doc.numberMatched > doc.features.length ? `, die ersten ${doc.features.length} sind aufgeführt.` : '.');
    }
  }
  if (map.getLayer('highlight')) map.setFilter('highlight', ['in', ['get', 'code'], ['literal', highlighted]]);
  writeState();
}

// report tells tests (and anyone scripting the page) what is drawn.
function report(classes) {
  const box = map.getContainer().getBoundingClientRect();
  const c = map.project(map.getCenter());
  window.result = {
    state: { ...state },
    classes: classes.classes,
    suppressed: classes.suppressed,
    missing: classes.missing,
    center: { x: box.left + c.x, y: box.top + c.y },
    features: map.queryRenderedFeatures(c, { layers: ['choropleth'] }).map((f) => f.properties),
    filter: { codes: highlighted, status: $('filter-status').textContent },
  };
}

const tooltip = $('tooltip');
map.on('mousemove', 'choropleth', (e) => {
  const f = e.features[0];
  if (!f || !current) return;
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
  map, state, getJSON, replaceAtlas, writeState,
  levelChanged: async () => { await fillIndicators(); await fillPeriods(); },
});
// ---- end of the index matrix

// The area profile (Gebietssteckbrief): every indicator of the clicked
// area next to its parent, Kreis, Land and Germany, with its rank among
// its siblings.
const shown = (cell, decimals) => {
  if (!cell) return '–';
  if (cell.value !== null && cell.value !== undefined) return number(cell.value, decimals);
  return cell.status === 'suppressed' ? 'gesperrt' : 'k. A.';
};
const escapeHTML = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

async function showProfile(code) {
  const params = new URLSearchParams({ period: state.period });
  const doc = await getJSON(`/areas/${state.level}/${encodeURIComponent(code)}/profile?${params}`);
  // the parent is often the Kreis or the Land: each area once
  const cols = [];
  for (const c of ['parent', 'kreis', 'land', 'staat']) {
    const a = doc.comparison[c];
    if (a && !cols.some((o) => doc.comparison[o].code === a.code && doc.comparison[o].level === a.level)) cols.push(c);
  }
  const head = cols.map((c) => `<th scope="col">${escapeHTML(doc.comparison[c].name)}</th>`).join('');
  let category = '';
  const rows = [];
  for (const e of doc.indicators) {
    if (e.category !== category) {
      category = e.category;
      rows.push(`<tr><td class="category" colspan="${3 + cols.length}">${escapeHTML(category)}</td></tr>`);
    }
    const unit = e.unit ? ` (${escapeHTML(e.unit)})` : '';
    const rank = e.rank ? `${e.rank} von ${e.ranked}` : '–';
    rows.push(`<tr data-key="${e.key}"><th scope="row">${escapeHTML(e.title)}${unit}</th><td class="own">${shown(e, e.decimals)}</td>` +
      cols.map((c) => `<td>${shown(e.comparison[c], e.decimals)}</td>`).join('') + `<td>${rank}</td></tr>`);
  }
  $('profile-body').innerHTML = `<h2>${escapeHTML(doc.area.name)} (${escapeHTML(doc.area.code)})</h2>
    <p>Stichtag ${dateDE(doc.period)}</p>
    <table><thead><tr><th scope="col">Indikator</th><th scope="col">Gebiet</th>${head}<th scope="col">Rang</th></tr></thead>
    <tbody>${rows.join('')}</tbody></table>`;
  $('profile').hidden = false;
  map.resize();
  window.atlasProfile = { code: doc.area.code, values: Object.fromEntries(doc.indicators.map((e) => [e.key, e.value])) };
}

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
onChange('level', async (v) => { state.level = v; await fillIndicators(); await fillPeriods(); });
onChange('indicator', async (v) => { state.indicator = v; await fillPeriods(); });
onChange('period', async (v) => { state.period = v; });
onChange('method', async (v) => { state.method = v; });
onChange('k', async (v) => { state.k = v; });
onChange('view', async (v) => { state.view = v; });
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

async function start() {
  await Promise.all([loadLevels(), loadCatalogue(), loadAttribution()]);
  await fillIndicators();
  await fillPeriods();
  $('method').value = state.method;
  $('k').value = state.k;
  $('view').value = state.view;
  $('filter').value = state.filter;
  await mapLoaded;
  if (state.filter) await applyFilter();
  await show();
}
start().catch((err) => console.error(err.message));
