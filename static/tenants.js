// Admin view: tenants (list, create, delete), each with its standing (active or suspended, usage
// against quotas) and suspend/resume and quota controls, and a key for a tenant (shown once).

import { api, listAll, auth, enc } from './api.js';
import { h, fill, notify, dialog, confirmAction, showSecret, fmtTime, busy } from './dom.js';

export function renderTenants(root) {
  const list = h('div', { id: 'tenant-list', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading tenants…'));
  const name = h('input', { id: 'tenant-name', name: 'name', required: true, maxlength: '100', autocomplete: 'off' });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create tenant');
  const form = h('form', { class: 'inline-form', id: 'create-tenant' },
    h('label', { for: 'tenant-name' }, 'New tenant name'), name, create);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = await busy(create, () => api('POST', '/tenants', { body: { name: name.value.trim() } }));
    if (t) {
      notify(`Tenant “${t.name}” created.`, 'success');
      name.value = '';
      load();
    }
  });
  fill(root, h('h1', {}, 'Tenants'), h('section', { class: 'card' }, form), list);

  async function load() {
    try {
      const tenants = await listAll('/tenants');
      if (!tenants.length) {
        fill(list, h('p', { class: 'empty' }, 'No tenants yet. Create the first one above.'));
        return;
      }
      fill(list, h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Id'), h('th', {}, 'Status'), h('th', {}, 'Usage (quota)'),
          h('th', {}, 'Created'), h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', {}, tenants.map(row))));
    } catch (e) {
      fill(list, h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  function row(t) {
    const keyBtn = h('button', { type: 'button' }, 'Create key');
    keyBtn.addEventListener('click', () => createKey(t));
    const del = h('button', { type: 'button', class: 'danger' }, 'Delete');
    del.addEventListener('click', async () => {
      const ok = await confirmAction('Delete tenant',
        `Delete “${t.name}”? Its sessions are unlinked and every key, webhook, message and event is removed.`, 'Delete tenant');
      if (!ok) return;
      if (await busy(del, () => api('DELETE', `/tenants/${enc(t.id)}`).then(() => true))) {
        notify(`Tenant “${t.name}” deleted.`, 'success');
        load();
      }
    });
    const status = h('td', { 'data-label': 'Status', class: 'tenant-status' }, '…');
    const usage = h('td', { 'data-label': 'Usage (quota)', class: 'tenant-usage' }, '…');
    const toggle = h('button', { type: 'button', class: 'suspend' }, 'Suspend');
    const quotas = h('button', { type: 'button' }, 'Quotas');
    const tr = h('tr', { dataset: { tenant: t.id } },
      h('td', { 'data-label': 'Name' }, t.name),
      h('td', { 'data-label': 'Id' }, h('code', {}, t.id)),
      status, usage,
      h('td', { 'data-label': 'Created' }, fmtTime(t.created_at)),
      h('td', { class: 'actions' }, keyBtn, quotas, toggle, del));
    let standing = null;
    const show = (s) => {
      standing = s;
      tr.dataset.suspended = String(s.suspended);
      const state = s.suspended ? 'suspended' : 'active';
      fill(status, h('span', { class: `badge ${s.suspended ? 's-failed' : 's-working'}` }, state));
      const of = (used, quota) => (quota === undefined ? `${used}` : `${used} / ${quota}`);
      fill(usage, h('span', {},
        `sessions ${of(s.usage.sessions, s.quotas.sessions)} · messages today ${of(s.usage.messages_today, s.quotas.messages_per_day)}`
        + ` · webhooks ${of(s.usage.webhooks, s.quotas.webhooks)} · media ${of(s.usage.media_bytes, s.quotas.media_bytes)} B`));
      toggle.textContent = s.suspended ? 'Resume' : 'Suspend';
    };
    const refresh = () => api('GET', `/tenants/${enc(t.id)}`).then(show).catch((e) => fill(status, e.message));
    toggle.addEventListener('click', async () => {
      const action = standing && standing.suspended ? 'resume' : 'suspend';
      if (action === 'suspend') {
        const ok = await confirmAction('Suspend tenant',
          `Suspend “${t.name}”? Its keys are refused and its sessions stop; nothing is deleted.`, 'Suspend');
        if (!ok) return;
      }
      const s = await busy(toggle, () => api('POST', `/tenants/${enc(t.id)}/${action}`));
      if (s) {
        show(s);
        notify(`Tenant “${t.name}” ${action === 'suspend' ? 'suspended' : 'resumed'}.`, 'success');
      }
    });
    quotas.addEventListener('click', () => editQuotas(t, standing, show));
    refresh();
    return tr;
  }

  async function editQuotas(t, standing, show) {
    const names = [['sessions', 'Sessions'], ['messages_per_day', 'Messages per day'], ['media_bytes', 'Media bytes'], ['webhooks', 'Webhooks']];
    const inputs = names.map(([n]) => h('input', {
      id: `quota-${n}`, name: n, type: 'number', min: '0', step: '1', placeholder: 'default',
      value: standing && standing.quotas[n] !== undefined ? String(standing.quotas[n]) : '',
    }));
    const body = h('div', {}, h('p', { class: 'muted' }, 'Empty: the configured default.'),
      names.map(([n, label], i) => [h('label', { for: `quota-${n}` }, label), inputs[i]]));
    const answer = await dialog(`Quotas of “${t.name}”`, body, [
      { label: 'Cancel', value: 'cancel' },
      { label: 'Save quotas', value: 'save', kind: 'primary' },
    ]);
    if (answer !== 'save') return;
    const quotas = {};
    names.forEach(([n], i) => { if (inputs[i].value !== '') quotas[n] = Number(inputs[i].value); });
    try {
      show(await api('PATCH', `/tenants/${enc(t.id)}`, { body: { quotas } }));
      notify(`Quotas of “${t.name}” saved.`, 'success');
    } catch (e) {
      notify(e.message, 'error');
    }
  }

  async function createKey(t) {
    const keyName = h('input', { id: 'key-name', name: 'key-name', value: 'web', required: true, maxlength: '100' });
    const scopes = ['read', 'send', 'manage'].map((s) =>
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'scope', value: s, checked: true }), ` ${s}`));
    const body = h('div', {},
      h('p', {}, `A key for tenant “${t.name}”.`),
      h('label', { for: 'key-name' }, 'Key name'), keyName,
      h('fieldset', {}, h('legend', {}, 'Scopes'), scopes));
    const answer = await dialog('Create key', body, [
      { label: 'Cancel', value: 'cancel' },
      { label: 'Create key', value: 'create', kind: 'primary' },
    ]);
    if (answer !== 'create') return;
    const chosen = scopes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    try {
      const created = await api('POST', `/tenants/${enc(t.id)}/keys`, { body: { name: keyName.value.trim(), scopes: chosen } });
      await showSecret('New API key', created.key,
        `Key “${created.name}” (${created.scopes.join(', ')}) for tenant “${t.name}”. Store it now.`);
      if (await confirmSignIn()) {
        auth.set(created.key, 'tenant');
        location.hash = '#/sessions';
      }
    } catch (e) {
      notify(e.message, 'error');
    }
  }

  load();
}

async function confirmSignIn() {
  const answer = await dialog('Use this key?', h('p', {}, 'Sign in with the new key now to manage this tenant’s sessions?'), [
    { label: 'Stay admin', value: 'cancel' },
    { label: 'Sign in with it', value: 'switch', kind: 'primary' },
  ]);
  return answer === 'switch';
}
