// The atlas viewer: a choropleth of one indicator at one level from the
// service's vector tiles, classed by /indicators/{key}/classes, with the
// state (level, indicator, period, classes, view) in the URL's fragment
// so that a link reproduces the map.
import * as maplibregl from '/viewer/vendor/maplibre-gl/maplibre-gl.mjs';

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
  const head = cols.map((c) => `<th scope="col">${escapeHTML(doc.comparison[c].name)}</th>`).join('');
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
