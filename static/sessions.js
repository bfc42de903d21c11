// Sessions: the list with live status (from `session.status` events), create, and the lifecycle
// buttons shared with the session page.

import { api, listAll, enc } from './api.js';
import { h, fill, notify, confirmAction, statusBadge, phoneOf, busy } from './dom.js';
import { stream } from './stream.js';

/** Buttons for start / stop / restart / logout / delete; `changed(session|null)` after each. */
export function lifecycleButtons(s, changed) {
  const act = (label, verb, opts = {}) => {
    const b = h('button', { type: 'button', class: opts.kind || '', 'data-action': verb }, label);
    b.addEventListener('click', async () => {
      if (opts.confirm && !(await confirmAction(opts.confirm.title, opts.confirm.text, label))) return;
      const result = await busy(b, async () =>
        verb === 'delete'
          ? (await api('DELETE', `/sessions/${enc(s.id)}`), { deleted: true })
          : api('POST', `/sessions/${enc(s.id)}/${verb}`));
      if (!result) return;
      notify(verb === 'delete' ? `Session “${s.name}” deleted.` : `Session “${s.name}”: ${verb} requested.`, 'success');
      changed(result.deleted ? null : result);
    });
    return b;
  };
  const running = s.desired_state === 'running';
  return [
    running ? act('Stop', 'stop') : act('Start', 'start', { kind: 'primary' }),
    act('Restart', 'restart'),
    act('Log out', 'logout', {
      confirm: { title: 'Log out session', text: `Unlink “${s.name}” from its WhatsApp account? Linking again needs a new QR scan.` },
    }),
    act('Delete', 'delete', {
      kind: 'danger',
      confirm: { title: 'Delete session', text: `Delete “${s.name}”? It is unlinked and all its messages and events are removed.` },
    }),
  ];
}

export function renderSessions(root) {
  const sessions = new Map();
  const list = h('div', { id: 'session-list' }, h('p', { class: 'muted' }, 'Loading sessions…'));
  const name = h('input', { id: 'session-name', name: 'name', required: true, maxlength: '100', autocomplete: 'off', placeholder: 'e.g. support' });
  const start = h('input', { id: 'session-start', type: 'checkbox', checked: true });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create session');
  const form = h('form', { class: 'inline-form', id: 'create-session' },
    h('label', { for: 'session-name' }, 'New session name'), name,
    h('label', { class: 'check', for: 'session-start' }, start, ' start now'), create);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const s = await busy(create, () => api('POST', '/sessions', { body: { name: name.value.trim(), start: start.checked } }));
    if (s) {
      notify(`Session “${s.name}” created.`, 'success');
      name.value = '';
      sessions.set(s.id, s);
      draw();
    }
  });
  fill(root, h('h1', {}, 'Sessions'), h('section', { class: 'card' }, form), list);

  function draw() {
    const rows = [...sessions.values()].sort((a, b) => a.created_at.localeCompare(b.created_at));
    if (!rows.length) {
      fill(list, h('p', { class: 'empty' }, 'No sessions yet. Create one above, then link it to a WhatsApp account by scanning its QR code.'));
      return;
    }
    fill(list, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ['Name', 'Status', 'Account', 'Desired'].map((t) => h('th', {}, t)),
        h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, rows.map(row))));
  }

  function row(s) {
    const changed = (fresh) => {
      if (fresh) sessions.set(s.id, fresh);
      else sessions.delete(s.id);
      draw();
    };
    const open = h('a', { href: `#/sessions/${enc(s.id)}`, class: 'button' },
      ['SCAN_QR', 'PAIR_CODE'].includes(s.status) ? 'Link' : 'Open');
    return h('tr', { dataset: { session: s.id } },
      h('td', { 'data-label': 'Name' }, h('a', { href: `#/sessions/${enc(s.id)}` }, s.name)),
      h('td', { 'data-label': 'Status', class: 'status' }, statusBadge(s.status),
        s.status_reason ? h('span', { class: 'muted reason' }, ` ${s.status_reason}`) : null),
      h('td', { 'data-label': 'Account' }, s.me ? `${phoneOf(s.me.phone_jid)} ${s.me.push_name || ''}`.trim() : h('span', { class: 'muted' }, 'not linked')),
      h('td', { 'data-label': 'Desired' }, s.desired_state),
      h('td', { class: 'actions' }, open, lifecycleButtons(s, changed)));
  }

  let refetch = null;
  const refresh = new Map(); // session id → timer: a status change may change desired_state and me too
  const refreshOne = (sid) => {
    clearTimeout(refresh.get(sid));
    refresh.set(sid, setTimeout(async () => {
      refresh.delete(sid);
      try {
        sessions.set(sid, await api('GET', `/sessions/${enc(sid)}`));
      } catch (e) {
        if (e.status === 404) sessions.delete(sid);
        else return;
      }
      draw();
    }, 250));
  };
  const unsubscribe = stream.on((ev) => {
    if (!ev.session_id) return;
    const s = sessions.get(ev.session_id);
    if (ev.type === 'session.status' && s) {
      s.status = ev.data.status;
      if ('reason' in ev.data) s.status_reason = ev.data.reason;
      draw();
      refreshOne(s.id);
    } else if (!s || ev.type === 'session.status') {
      // A session this page does not know yet (created elsewhere): reload, at most once a second.
      clearTimeout(refetch);
      refetch = setTimeout(load, 1000);
    }
  });

  async function load() {
    try {
      const all = await listAll('/sessions');
      sessions.clear();
      all.forEach((s) => sessions.set(s.id, s));
      draw();
    } catch (e) {
      fill(list, h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }
  load();
  return () => {
    unsubscribe();
    clearTimeout(refetch);
    refresh.forEach(clearTimeout);
  };
}
