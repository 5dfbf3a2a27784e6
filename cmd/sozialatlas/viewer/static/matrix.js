// The index matrix view: a matrix index (GET /indices, e.g. the MSS's
// status × dynamics) as a choropleth with the matrix as its legend where
// the index's level has geometry, and as a cross table of its groups where
// it has none (Berlin's Planungsräume in the demo). Cells are buttons that
// list the group's areas, each with a way into the area profile.

// The bivariate palette: a light-to-blue ramp for the rows (status, from
// hoch to sehr niedrig) multiplied with a white-to-orange ramp for the
// columns (dynamics, from positiv to negativ), so that the better corner is
// light and the worse one dark. Blue against orange stays apart for
// protanopia and deuteranopia, which lose the red–green axis only: under
// Machado et al.'s (2009) simulations the twelve cells of 4 × 3 keep a
// CIE76 ΔE of at least 14 between any two (normal vision 20, tritanopia
// 15). Other matrix sizes sample the same ramps.
const rowRamp = ['#f2f2f2', '#b3cde3', '#6a9fce', '#2c6bb0'];
const colRamp = ['#ffffff', '#fbc98e', '#ef7d1a'];
const noGroup = '#d9d9d9';

const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const hex = (c) => '#' + c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');

// sample picks n colours along the ramp, its own stops when n matches.
function sample(ramp, n) {
  return Array.from({ length: n }, (_, i) => {
    const t = n === 1 ? 0 : (i * (ramp.length - 1)) / (n - 1);
    const lo = Math.floor(t);
    const hi = Math.min(lo + 1, ramp.length - 1);
    const [a, b] = [rgb(ramp[lo]), rgb(ramp[hi])];
    return a.map((v, k) => v + (b[k] - v) * (t - lo));
  });
}

export function bivariate(rows, cols) {
  const r = sample(rowRamp, rows);
  const c = sample(colRamp, cols);
  return r.map((a) => c.map((b) => hex(a.map((v, k) => (v * b[k]) / 255))));
}

// ink is black or white, whichever contrasts more with the background:
// one of them always reaches WCAG's 4.5:1.
function ink(background) {
  const [r, g, b] = rgb(background).map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    // style through the CSSOM: a style attribute is inline style, which
    // the service's Content-Security-Policy forbids
    if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('aria-') || k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

const dateDE = (iso) => iso.split('-').reverse().join('.');

// indexMatrix wires the view into the viewer: atlas gives the map, the
// shared state, the viewer's helpers and levelChanged, which refills the
// controls after the view moved the map to its index's level. Its
// show(view) draws the matrix
// and says true when the view is the matrix; otherwise it clears away
// what it drew and leaves the page to the other views.
export function indexMatrix(atlas) {
  const { map, state, getJSON } = atlas;
  let chosen = new URLSearchParams(location.hash.slice(1)).get('index') || '';
  // a position in a shared link wins over fitting the index's areas
  let fitted = new URLSearchParams(location.hash.slice(1)).has('map');
  let matrices = null; // the matrix indices, once loaded
  let levels = null; // level → its collection
  let drawn = null; // what is on display
  let selected = 0; // the group whose areas are listed

  // The controls live here rather than in the page, so that the view
  // comes and goes with this module.
  const view = document.getElementById('view');
  view.append(new Option('Index-Matrix (Status × Dynamik)', 'matrix'));
  const label = el('label', { htmlFor: 'matrix-index', textContent: 'Matrix-Index', hidden: true });
  const indexSelect = el('select', { id: 'matrix-index', hidden: true });
  view.after(label, indexSelect);
  const section = el('section', { id: 'index-matrix', hidden: true, 'aria-label': 'Index-Matrix' });
  document.getElementById('map').before(section);

  indexSelect.addEventListener('change', () => {
    chosen = indexSelect.value;
    fitted = false;
    selected = 0;
    draw().catch((err) => console.error(err.message));
  });

  function leave() {
    label.hidden = indexSelect.hidden = section.hidden = true;
    delete state.index;
    drawn = null;
    const mapBox = document.getElementById('map');
    if (mapBox.hidden) {
      mapBox.hidden = false;
      map.resize();
    }
  }

  async function load() {
    if (matrices) return;
    const [indices, collections] = await Promise.all([getJSON('/indices'), getJSON('/collections')]);
    matrices = indices.indices.filter((i) => i.matrix);
    levels = new Map(collections.collections.map((c) => [c.id, c]));
    indexSelect.replaceChildren(...matrices.map((i) => new Option(i.title, i.key)));
  }

  async function draw() {
    await load();
    label.hidden = indexSelect.hidden = false;
    if (!matrices.some((i) => i.key === chosen)) chosen = matrices.length ? matrices[0].key : '';
    state.index = chosen;
    indexSelect.value = chosen;
    if (!chosen) {
      showTable();
      section.replaceChildren(el('p', { textContent: 'Es ist kein Matrix-Index definiert (GET /indices).' }));
      atlas.writeState();
      window.result = { state: { ...state }, matrix: null };
      return;
    }
    const doc = await getJSON(`/indices/${encodeURIComponent(chosen)}`);
    const { rows: rowKey, columns: colKey } = doc.definition.matrix;
    const [rowDoc, colDoc] = await Promise.all([
      getJSON(`/indices/${encodeURIComponent(rowKey)}`), getJSON(`/indices/${encodeURIComponent(colKey)}`)]);
    const level = levels.get(doc.level);
    const m = {
      key: doc.key, title: doc.title, level: doc.level, levelTitle: level ? level.title : doc.level,
      period: doc.period, scored: doc.scored, excluded: doc.excluded, problem: doc.problem,
      rowTitle: rowDoc.title, colTitle: colDoc.title,
      rows: rowDoc.classes.map((c) => c.label), cols: colDoc.classes.map((c) => c.label),
      groups: doc.classes.map((c) => c.label),
      geometry: Boolean(level && level.extent && level.extent.spatial),
      areas: new Map(), // group → [{code, name}]
    };
    m.colours = bivariate(m.rows.length, m.cols.length);
    if (m.period) {
      const params = new URLSearchParams({ level: m.level, period: m.period });
      const values = await getJSON(`/indicators/${encodeURIComponent(m.key)}/values?${params}`);
      for (const r of values.rows) {
        if (r.value === null) continue;
        if (!m.areas.has(r.value)) m.areas.set(r.value, []);
        m.areas.get(r.value).push({ code: r.code, name: r.name });
      }
    }
    if (!m.groups[selected - 1]) selected = 0;
    drawn = m;
    const panel = el('div', { className: 'matrix-panel' }, ...render(m));
    if (m.geometry) {
      section.hidden = true;
      document.getElementById('map').hidden = false;
      document.getElementById('legend').replaceChildren(panel);
      await drawMap(m);
    } else {
      showTable();
      document.getElementById('legend').replaceChildren();
      section.replaceChildren(panel);
      atlas.writeState();
      report(m);
    }
  }

  function showTable() {
    section.hidden = false;
    document.getElementById('map').hidden = true;
  }

  async function drawMap(m) {
    if (state.level !== m.level) {
      state.level = m.level;
      document.getElementById('level').value = m.level;
      // the other views find the level's indicators when they come back
      await atlas.levelChanged();
    }
    map.resize();
    if (!fitted && levels.get(m.level).extent.spatial.bbox) {
      const [w, s, e, n] = levels.get(m.level).extent.spatial.bbox[0];
      map.fitBounds([[w, s], [e, n]], { padding: 20, animate: false });
      fitted = true;
    }
    const colour = ['match', ['get', m.key]];
    m.colours.flat().forEach((c, i) => colour.push(i + 1, c));
    colour.push(noGroup);
    // areas left out are dotted, as the other views show missing data
    const patterns = {
      suppressed: { filter: ['==', ['get', `${m.key}_status`], 'suppressed'] },
      missing: { filter: ['!', ['has', m.key]] },
    };
    atlas.replaceAtlas({ indicators: m.key, period: m.period || '' }, colour, patterns);
    atlas.writeState();
    await new Promise((resolve) => map.once('idle', resolve));
    report(m);
  }

  // render builds the cross table, the list of the selected group's areas
  // and the areas left out.
  function render(m) {
    const out = [el('h2', { textContent: m.title })];
    const when = m.period ? `Stichtag ${dateDE(m.period)}, ` : '';
    out.push(el('p', { textContent: `${when}${m.scored} ${m.levelTitle} bewertet` +
      (m.geometry ? '' : ' (ohne Geometrie, daher als Tabelle)') }));
    if (m.problem) out.push(el('p', { textContent: `Nicht berechnet: ${m.problem}` }));

    const count = (g) => (m.areas.get(g) || []).length;
    const head = [
      el('tr', {},
        el('th', { scope: 'col', rowSpan: 2, textContent: m.rowTitle }),
        el('th', { scope: 'colgroup', colSpan: m.cols.length, textContent: m.colTitle }),
        el('th', { scope: 'col', rowSpan: 2, textContent: 'Summe' })),
      el('tr', {}, ...m.cols.map((c) => el('th', { scope: 'col', textContent: c }))),
    ];
    const body = m.rows.map((r, i) => {
      const cells = m.cols.map((c, j) => {
        const g = i * m.cols.length + j + 1;
        const background = m.colours[i][j];
        const button = el('button', {
          type: 'button', textContent: String(count(g)),
          'aria-pressed': String(g === selected),
          'aria-label': `${m.groups[g - 1]}: ${count(g)} ${m.levelTitle}`,
          style: `background:${background};color:${ink(background)}`,
        });
        button.addEventListener('click', () => choose(m, g));
        return el('td', { 'data-group': String(g) }, button);
      });
      const total = cells.reduce((n, _, j) => n + count(i * m.cols.length + j + 1), 0);
      return el('tr', {}, el('th', { scope: 'row', textContent: r }), ...cells,
        el('td', { className: 'total', textContent: String(total) }));
    });
    const colTotals = m.cols.map((_, j) => m.rows.reduce((n, _r, i) => n + count(i * m.cols.length + j + 1), 0));
    const foot = el('tr', {}, el('th', { scope: 'row', textContent: 'Summe' }),
      ...colTotals.map((n) => el('td', { className: 'total', textContent: String(n) })),
      el('td', { className: 'total', textContent: String(colTotals.reduce((a, b) => a + b, 0)) }));
    out.push(el('table', { className: 'matrix' },
      el('caption', { textContent: `${m.levelTitle} je Gruppe; eine Zelle wählen, um ihre Gebiete aufzulisten` }),
      el('col'), el('colgroup', { span: m.cols.length }), el('col'),
      el('thead', {}, ...head), el('tbody', {}, ...body), el('tfoot', {}, foot)));
    if (m.geometry) {
      out.push(el('p', {}, el('span', { className: 'swatch dotted', style: `background-color:${noGroup}` }),
        ` nicht bewertet: ${m.excluded.length}`));
    }

    out.push(el('div', { className: 'matrix-areas' }, ...areaList(m)));
    if (m.excluded.length > 0) {
      out.push(el('h3', { textContent: `Nicht bewertet (${m.excluded.length})` }),
        el('table', { className: 'matrix-list' },
          el('thead', {}, el('tr', {}, ...['Code', 'Name', 'Grund'].map((t) => el('th', { scope: 'col', textContent: t })))),
          el('tbody', {}, ...m.excluded.map((x) => el('tr', {},
            el('td', { textContent: x.code }), el('td', { textContent: x.name }), el('td', { textContent: x.reason }))))));
    }
    return out;
  }

  function areaList(m) {
    if (!selected) return [];
    const areas = m.areas.get(selected) || [];
    const heading = el('h3', { tabIndex: -1, textContent: `Gruppe ${m.groups[selected - 1]}: ${areas.length} ${m.levelTitle}` });
    if (areas.length === 0) return [heading];
    const rows = areas.map((a) => {
      const open = el('button', { type: 'button', textContent: 'Steckbrief', 'aria-label': `Steckbrief ${a.name} (${a.code})` });
      open.addEventListener('click', () => openProfile(a.code, m.level));
      return el('tr', {}, el('td', { textContent: a.code }), el('td', { textContent: a.name }), el('td', {}, open));
    });
    return [heading, el('table', { className: 'matrix-list' },
      el('thead', {}, el('tr', {}, ...['Code', 'Name', 'Gebietssteckbrief'].map((t) => el('th', { scope: 'col', textContent: t })))),
      el('tbody', {}, ...rows))];
  }

  // The viewer's profile panel, once it takes a level; until then the
  // profile API's answer in a new tab, so that the button always leads
  // somewhere.
  function openProfile(code, level) {
    if (typeof window.atlasShowProfile === 'function') {
      window.atlasShowProfile(code, level);
      return;
    }
    window.open(`/areas/${encodeURIComponent(level)}/${encodeURIComponent(code)}/profile`, '_blank', 'noopener');
  }

  function choose(m, g) {
    selected = g;
    for (const b of document.querySelectorAll('.matrix-panel td[data-group] button')) {
      b.setAttribute('aria-pressed', String(b.parentElement.dataset.group === String(g)));
    }
    const box = document.querySelector('.matrix-panel .matrix-areas');
    box.replaceChildren(...areaList(m));
    box.querySelector('h3').focus();
    report(m);
  }

  // report tells tests (and anyone scripting the page) what is shown.
  function report(m) {
    const counts = m.rows.map((_, i) => m.cols.map((_c, j) => (m.areas.get(i * m.cols.length + j + 1) || []).length));
    const result = {
      state: { ...state },
      matrix: {
        key: m.key, level: m.level, period: m.period, geometry: m.geometry,
        rows: m.rows, cols: m.cols, counts, colours: m.colours, scored: m.scored,
        excluded: m.excluded.map(({ code, name, reason }) => ({ code, name, reason })),
        selected: selected ? { group: selected, label: m.groups[selected - 1], codes: (m.areas.get(selected) || []).map((a) => a.code) } : null,
      },
    };
    if (m.geometry) {
      const box = map.getContainer().getBoundingClientRect();
      const c = map.project(map.getCenter());
      result.center = { x: box.left + c.x, y: box.top + c.y };
      result.features = map.queryRenderedFeatures(c, { layers: ['choropleth'] }).map((f) => f.properties);
    }
    window.result = result;
  }

  // Hovering names the group, which the viewer's own tooltip, made for
  // numbers, cannot.
  const tooltip = document.getElementById('tooltip');
  map.on('mousemove', 'choropleth', (e) => {
    const f = e.features[0];
    if (!f || !drawn || state.view !== 'matrix') return;
    const g = f.properties[drawn.key];
    tooltip.textContent = `${f.properties.name}: ${g ? drawn.groups[g - 1] : 'nicht bewertet'}`;
    tooltip.style.left = `${e.originalEvent.clientX + 12}px`;
    tooltip.style.top = `${e.originalEvent.clientY + 12}px`;
    tooltip.hidden = false;
  });

  return {
    async show(v) {
      if (v !== 'matrix') {
        leave();
        return false;
      }
      await draw();
      return true;
    },
  };
}
