// The live event log: newest first, filtered by type and session, pausable.

import { listAll } from './api.js';
import { h, fill, fmtTime } from './dom.js';
import { stream } from './stream.js';

const SHOW = 200;

export function renderEvents(root) {
  const names = new Map();
  let paused = false;
  let held = 0;
  const type = h('select', { id: 'filter-type' }, h('option', { value: '' }, 'All types'));
  const session = h('select', { id: 'filter-session' }, h('option', { value: '' }, 'All sessions'));
  const pause = h('button', { type: 'button', id: 'pause', 'aria-pressed': 'false' }, 'Pause');
  const info = h('span', { class: 'muted', id: 'log-info', role: 'status' });
  const log = h('ol', { id: 'event-log', class: 'log' });
  const empty = h('p', { class: 'empty', id: 'log-empty' });
  fill(root, h('h1', {}, 'Event log'),
    h('div', { class: 'card toolbar', role: 'group', 'aria-label': 'Filters' },
      h('label', { for: 'filter-type' }, 'Type'), type,
      h('label', { for: 'filter-session' }, 'Session'), session, pause, info),
    empty, log);

  const knownTypes = new Set();
  function noteType(t) {
    if (knownTypes.has(t)) return;
    knownTypes.add(t);
    type.append(h('option', { value: t }, t));
  }
  ['session.status', 'session.qr', 'message.received', 'message.sent', 'message.ack', 'webhook.disabled'].forEach(noteType);

  const matches = (ev) => (!type.value || ev.type === type.value) && (!session.value || ev.session_id === session.value);

  function item(ev) {
    const who = ev.session_id ? names.get(ev.session_id) || ev.session_id : 'tenant';
    const summary = ev.type === 'session.status' && ev.data
      ? `${ev.data.previous || '?'} → ${ev.data.status}${ev.data.reason ? ` (${ev.data.reason})` : ''}`
      : '';
    return h('li', { class: 'event', dataset: { type: ev.type, id: ev.id } },
      h('details', {},
        h('summary', {},
          h('code', { class: 'tag' }, ev.type), ' ', h('span', {}, who), summary ? [' ', h('strong', {}, summary)] : '',
          h('span', { class: 'muted when' }, ` #${ev.id} · ${fmtTime(ev.created_at)}`)),
        h('pre', {}, JSON.stringify(ev.data, null, 2))));
  }

  function redraw() {
    const shown = stream.events.filter(matches).slice(-SHOW).reverse();
    fill(log, shown.map(item));
    held = 0;
    status();
  }

  function status() {
    empty.hidden = log.children.length > 0;
    empty.textContent = stream.events.length
      ? 'No events match these filters.'
      : 'No events yet. They appear here live as sessions change state and messages arrive.';
    info.textContent = paused ? `Paused${held ? ` — ${held} new` : ''}` : `${log.children.length} shown`;
  }

  const unsubscribe = stream.on((ev) => {
    noteType(ev.type);
    if (!matches(ev)) return;
    if (paused) {
      held += 1;
      status();
      return;
    }
    log.prepend(item(ev));
    while (log.children.length > SHOW) log.lastElementChild.remove();
    status();
  });

  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) redraw();
    else status();
  });
  type.addEventListener('change', redraw);
  session.addEventListener('change', redraw);

  stream.events.forEach((ev) => noteType(ev.type));
  redraw();
  listAll('/sessions').then((all) => {
    all.forEach((s) => {
      names.set(s.id, s.name);
      session.append(h('option', { value: s.id }, s.name));
    });
    if (!paused) redraw();
  }).catch(() => {});
  return unsubscribe;
}
