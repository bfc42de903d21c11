// A tenant's API keys (#/keys): the list (scopes, session restriction, expiry, last use), a new
// key (shown once) and revoking one.

import { api, listAll, enc } from './api.js';
import { h, fill, notify, confirmAction, showSecret, fmtTime, busy } from './dom.js';

export function renderKeys(root) {
  const list = h('div', { id: 'key-list', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading keys…'));
  const name = h('input', { id: 'new-key-name', required: true, maxlength: '100', autocomplete: 'off' });
  const scopes = ['read', 'send', 'manage'].map((s) =>
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'scope', value: s, checked: s !== 'manage' }), ` ${s}`));
  const session = h('select', { id: 'new-key-session' }, h('option', { value: '' }, 'every session'));
  const expires = h('input', { id: 'new-key-expires', type: 'datetime-local' });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create key');
  const form = h('form', { id: 'create-key', class: 'stack' },
    h('label', { for: 'new-key-name' }, 'Name'), name,
    h('fieldset', {}, h('legend', {}, 'Scopes'), scopes),
    h('label', { for: 'new-key-session' }, 'Restricted to'), session,
    h('label', { for: 'new-key-expires' }, 'Expires (optional)'), expires,
    h('div', { class: 'actions' }, create));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {
      name: name.value.trim(),
      scopes: scopes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
    };
    if (session.value) body.session_id = session.value;
    if (expires.value) body.expires_at = new Date(expires.value).toISOString();
    const created = await busy(create, () => api('POST', '/keys', { body }));
    if (!created) return;
    await showSecret('New API key', created.key, `Key “${created.name}” (${created.scopes.join(', ')}). Store it now: it is shown once.`);
    name.value = '';
    load();
  });
  fill(root, h('h1', {}, 'API keys'),
    h('div', { class: 'split' }, h('section', { class: 'card' }, h('h2', {}, 'New key'), form), list));

  listAll('/sessions').then((sessions) => {
    sessions.forEach((s) => session.append(h('option', { value: s.id }, s.name)));
  }).catch(() => {});

  async function load() {
    try {
      const keys = await listAll('/keys');
      fill(list, h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Prefix'), h('th', {}, 'Scopes'), h('th', {}, 'Session'),
          h('th', {}, 'Expires'), h('th', {}, 'Last used'), h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', {}, keys.map(row))));
    } catch (e) {
      fill(list, h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  function row(k) {
    const revoke = h('button', { type: 'button', class: 'danger' }, 'Revoke');
    revoke.addEventListener('click', async () => {
      const ok = await confirmAction('Revoke key', `Revoke “${k.name}”? Apps using it are refused at once.`, 'Revoke');
      if (!ok) return;
      if (await busy(revoke, () => api('DELETE', `/keys/${enc(k.id)}`).then(() => true))) {
        notify(`Key “${k.name}” revoked.`, 'success');
        load();
      }
    });
    return h('tr', { dataset: { key: k.id } },
      h('td', { 'data-label': 'Name' }, k.name),
      h('td', { 'data-label': 'Prefix' }, h('code', {}, k.prefix)),
      h('td', { 'data-label': 'Scopes' }, (k.scopes || []).join(', ')),
      h('td', { 'data-label': 'Session' }, k.session_id ? h('code', {}, k.session_id) : 'every session'),
      h('td', { 'data-label': 'Expires' }, fmtTime(k.expires_at)),
      h('td', { 'data-label': 'Last used' }, fmtTime(k.last_used_at)),
      h('td', { class: 'actions' }, revoke));
  }

  load();
}
