// The town hall's dashboard: plain JavaScript, no framework, nothing fetched from elsewhere.
// The back-office token lives in sessionStorage only (never in the URL, never in localStorage).
'use strict';
(() => {
  const KEY = 'civicbox.dashboard.token';
  const REFRESH_MS = 60000;
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  let timer = null;
  let selectedBox = '';
  let lastStats = null;

  const token = () => sessionStorage.getItem(KEY) || '';

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') node.className = v; else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function banner(message) {
    const b = $('banner');
    b.textContent = message || '';
    b.hidden = !message;
  }
  function when(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    // Short, and the year only when it is not this one: the tables stay narrow on a tablet.
    const options = { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
    if (d.getFullYear() !== new Date().getFullYear()) options.year = 'numeric';
    return d.toLocaleString(undefined, options);
  }

  class Unauthorized extends Error {}
  async function api(path) {
    let response;
    try {
      response = await fetch(path, {
        headers: { Authorization: 'Bearer ' + token(), Accept: 'application/json' },
        cache: 'no-store',
      });
    } catch (e) {
      throw new Error('The controller cannot be reached (' + e.message + '). Retrying in a minute.');
    }
    if (response.status === 401) throw new Unauthorized();
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error('The controller answered ' + response.status + ': ' + (body.message || body.error || ''));
    }
    return body;
  }

  function showSignIn(message) {
    clearInterval(timer);
    timer = null;
    sessionStorage.removeItem(KEY);
    $('main').hidden = true;
    $('signout').hidden = true;
    $('refresh').hidden = true;
    $('signin').hidden = false;
    $('updated').textContent = '';
    banner(message || '');
    $('token').value = '';
    $('token').focus();
  }

  function start() {
    $('signin').hidden = true;
    $('main').hidden = false;
    $('signout').hidden = false;
    $('refresh').hidden = false;
    load();
    clearInterval(timer);
    timer = setInterval(load, REFRESH_MS);
  }

  // ---- boxes

  function occupancyBar(c) {
    const width = 96, height = 14;
    const s = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': `${c.occupied} of ${c.total} compartments used` });
    s.append(svg('rect', { x: 0, y: 0, width, height, rx: 3, fill: '#dcfce7', stroke: '#6b7280' }));
    const total = Math.max(c.total, 1);
    const used = (c.occupied + c.open) / total * width;
    const fault = c.fault / total * width;
    s.append(svg('rect', { x: 0, y: 0, width: used, height, rx: 3, fill: '#1d4ed8' }));
    if (fault > 0) s.append(svg('rect', { x: width - fault, y: 0, width: fault, height, fill: '#b91c1c' }));
    return s;
  }

  function renderBoxes(boxes) {
    const body = $('boxes').tBodies[0];
    body.replaceChildren();
    const select = $('box-filter');
    const keep = selectedBox;
    select.replaceChildren(el('option', { value: '' }, 'all boxes'));
    if (boxes.length === 0) {
      body.append(el('tr', {}, el('td', { colspan: 6, class: 'empty' }, 'No box has reported yet.')));
    }
    for (const b of boxes) {
      select.append(el('option', { value: b.box }, b.box));
      const st = b.status;
      const faults = st ? st.faults : [];
      const alarm = b.alarms && b.alarms.length ? b.alarms[0] : null;
      const compartmentFaults = st ? st.compartments.fault : 0;
      const trouble = !b.online || b.revoked || faults.length > 0 || compartmentFaults > 0;
      const connection = b.revoked ? el('span', { class: 'badge revoked' }, 'Revoked')
        : b.online ? el('span', { class: 'badge online' }, 'Online')
        : el('span', { class: 'badge offline' }, 'Offline');
      const occ = st
        ? el('div', { class: 'occ' }, occupancyBar(st.compartments),
            `${st.compartments.free} free, ${st.compartments.occupied + st.compartments.open} used` +
            (compartmentFaults ? `, ${compartmentFaults} faulty` : ''))
        : '—';
      const health = el('div', {});
      for (const f of faults) health.append(el('div', { class: 'fault' }, `Fault: ${f.what}${f.detail ? ' — ' + f.detail : ''}`));
      if (alarm) {
        health.append(el('div', {}, `Alarm: ${alarm.what}` +
          (alarm.compartment != null ? ` (compartment ${alarm.compartment})` : '') +
          `, ${when(alarm.at)}`));
      }
      if (!faults.length && !alarm) health.append(el('span', { class: 'muted' }, 'None'));
      const row = el('tr', { 'data-box': b.box, tabindex: 0, class: trouble ? 'trouble' : '',
          'aria-selected': String(b.box === selectedBox) },
        el('th', { scope: 'row' }, b.box), el('td', {}, connection), el('td', {}, when(b.last_seen)),
        el('td', {}, st ? st.paper : '—'), el('td', {}, occ), el('td', {}, health));
      if (b.box === selectedBox) row.classList.add('selected');
      const choose = () => selectBox(b.box === selectedBox ? '' : b.box);
      row.addEventListener('click', choose);
      row.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); choose(); } });
      body.append(row);
    }
    select.value = boxes.some((b) => b.box === keep) ? keep : '';
  }

  // ---- plots

  // A round step for four grid lines at or above v (whole numbers when `whole`).
  function niceStep(v, whole) {
    const raw = Math.max(v, whole ? 1 : 0.1) / 4;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw && (!whole || m * p >= 1)) return m * p;
    return 10 * p;
  }
  function legend(items) {
    return el('ul', { class: 'legend' }, ...items.map(([cls, label]) =>
      cls ? el('li', {}, el('span', { class: 'swatch ' + cls, 'aria-hidden': 'true' }), label)
        : el('li', { class: 'muted' }, label)));
  }

  function renderDays(days) {
    const box = $('days-plot');
    box.replaceChildren();
    const W = 560, H = 240, L = 40, R = 10, T = 10, B = 40;
    const step = niceStep(Math.max(1, ...days.map((d) => Math.max(d.filed, d.collected))), true);
    const max = step * 4;
    const total = days.reduce((a, d) => a + d.filed, 0), picked = days.reduce((a, d) => a + d.collected, 0);
    const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', id: 'days-svg',
      'aria-label': `Per day over ${days.length} days: ${total} filed, ${picked} picked up` });
    for (let i = 0; i <= 4; i++) {
      const y = T + (H - T - B) * (1 - i / 4);
      s.append(svg('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'grid' }));
      s.append(svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' }, step * i));
    }
    const slot = (W - L - R) / Math.max(days.length, 1);
    const bar = Math.max(1, slot / 2 - 1);
    const every = Math.ceil(days.length / 8);
    days.forEach((d, i) => {
      const x = L + i * slot;
      for (const [k, cls, dx] of [['filed', 'filed', 0], ['collected', 'collected', bar]]) {
        const h = (H - T - B) * d[k] / max;
        const r = svg('rect', { x: x + dx + 0.5, y: H - B - h, width: bar, height: h, class: 'bar ' + cls });
        r.append(svg('title', {}, `${d.date}: ${d[k]} ${k === 'filed' ? 'filed' : 'picked up'}`));
        s.append(r);
      }
      if ((days.length - 1 - i) % every === 0) {
        s.append(svg('text', { x: x + slot / 2, y: H - B + 16, 'text-anchor': 'middle' }, d.date.slice(5)));
      }
    });
    s.append(svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis' }));
    s.append(svg('text', { x: L, y: H - 6 }, 'date (month-day)'));
    box.append(s, legend([['filed', `Filed (${total})`], ['collected', `Picked up (${picked})`]]));
  }

  function renderResolution(rows) {
    const box = $('resolution-plot');
    box.replaceChildren();
    if (!rows.length) {
      box.append(el('p', { class: 'empty' }, 'No document has been resolved in this period.'));
      return;
    }
    const W = 560, L = 150, R = 60, T = 24, row = 34;
    const H = T + rows.length * row + 30;
    const step = niceStep(Math.max(...rows.map((r) => r.p90_hours)), false);
    const max = step * 4;
    const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', id: 'resolution-svg',
      'aria-label': 'Hours from filing to resolution per kind: ' +
        rows.map((r) => `${r.kind} median ${r.median_hours.toFixed(1)}, 90th percentile ${r.p90_hours.toFixed(1)}`).join('; ') });
    const x = (h) => L + (W - L - R) * h / max;
    for (let i = 0; i <= 4; i++) {
      const gx = x(max * i / 4);
      s.append(svg('line', { x1: gx, x2: gx, y1: T - 6, y2: H - 26, class: 'grid' }));
      s.append(svg('text', { x: gx, y: H - 10, 'text-anchor': 'middle' }, +(step * i).toFixed(1)));
    }
    s.append(svg('text', { x: L - 8, y: H - 10, 'text-anchor': 'end' }, 'hours'));
    rows.forEach((r, i) => {
      const y = T + i * row;
      const label = r.kind.length > 20 ? r.kind.slice(0, 19) + '…' : r.kind;
      const t = svg('text', { x: L - 8, y: y + 16, 'text-anchor': 'end', class: 'kind' }, label);
      t.append(svg('title', {}, `${r.kind} (${r.count} resolved)`));
      s.append(t);
      const p90 = svg('rect', { x: L, y: y + 4, width: Math.max(1, x(r.p90_hours) - L), height: 18, class: 'p90' });
      p90.append(svg('title', {}, `${r.kind}: 90th percentile ${r.p90_hours.toFixed(1)} h`));
      const med = svg('rect', { x: L, y: y + 8, width: Math.max(1, x(r.median_hours) - L), height: 10, class: 'median' });
      med.append(svg('title', {}, `${r.kind}: median ${r.median_hours.toFixed(1)} h`));
      s.append(p90, med);
      s.append(svg('text', { x: x(r.p90_hours) + 4, y: y + 17 }, `${r.median_hours.toFixed(1)} / ${r.p90_hours.toFixed(1)} h`));
    });
    box.append(s, legend([['median', 'Median'], ['p90', '90th percentile'],
      ['', `(${rows.reduce((a, r) => a + r.count, 0)} resolved)`]]));
  }

  // ---- lists

  function renderWaiting(stats) {
    const body = $('waiting').tBodies[0];
    body.replaceChildren();
    const items = stats.waiting.filter((s) => !selectedBox || s.box === selectedBox);
    $('waiting-note').textContent = `Not resolved ${stats.waiting_after_days} days or more after filing` +
      (selectedBox ? `, box ${selectedBox}` : '') + '.';
    if (!items.length) body.append(el('tr', {}, el('td', { colspan: 5, class: 'empty' }, 'Nothing is waiting too long.')));
    for (const s of items) {
      body.append(el('tr', { class: 'trouble' }, el('td', {}, el('code', {}, s.tracking_code)),
        el('td', {}, s.registration_number || s.provisional_number || '—'), el('td', {}, s.kind),
        el('td', { class: 'nowrap' }, s.box), el('td', { class: 'num' }, s.waiting_days)));
    }
  }

  async function loadSubmissions() {
    const query = new URLSearchParams({ limit: '50' });
    if (selectedBox) query.set('box', selectedBox);
    const data = await api('/v1/backoffice/submissions?' + query);
    $('subs-title').textContent = selectedBox ? `Documents from ${selectedBox}` : 'Documents (latest 50)';
    const body = $('submissions').tBodies[0];
    body.replaceChildren();
    if (!data.submissions.length) body.append(el('tr', {}, el('td', { colspan: 6, class: 'empty' }, 'No documents.')));
    for (const s of data.submissions) {
      body.append(el('tr', {}, el('td', {}, el('code', {}, s.tracking_code)),
        el('td', {}, s.registration_number || s.provisional_number || '—'), el('td', {}, s.kind),
        el('td', { class: 'nowrap' }, s.box), el('td', {}, s.state.replace(/_/g, ' ')), el('td', {}, when(s.filed_at))));
    }
  }

  function selectBox(box) {
    selectedBox = box;
    $('box-filter').value = box;
    $('show-all').hidden = !box;
    for (const row of $('boxes').tBodies[0].rows) {
      const on = !!box && row.dataset.box === box;
      row.classList.toggle('selected', on);
      row.setAttribute('aria-selected', String(on));
    }
    if (lastStats) renderWaiting(lastStats);
    loadSubmissions().catch(failed);
  }

  function failed(e) {
    if (e instanceof Unauthorized) showSignIn('The token was refused. Enter a valid back-office token.');
    else banner(e.message);
  }

  async function load() {
    if (!token()) return showSignIn();
    try {
      const [boxes, stats] = await Promise.all([api('/v1/backoffice/boxes'), api('/v1/backoffice/stats?days=14')]);
      lastStats = stats;
      renderBoxes(boxes.boxes);
      renderDays(stats.days);
      renderResolution(stats.resolution);
      renderWaiting(stats);
      await loadSubmissions();
      banner('');
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString() + ', every minute';
      document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
    } catch (e) {
      failed(e);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('signin').addEventListener('submit', (e) => {
      e.preventDefault();
      const value = $('token').value.trim();
      if (!value) return;
      sessionStorage.setItem(KEY, value);
      $('token').value = '';
      banner('');
      start();
    });
    $('signout').addEventListener('click', () => showSignIn('Signed out.'));
    $('refresh').addEventListener('click', load);
    $('box-filter').addEventListener('change', (e) => selectBox(e.target.value));
    $('show-all').addEventListener('click', () => selectBox(''));
    if (token()) start(); else showSignIn();
  });
})();
