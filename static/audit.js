// The audit log (#/audit): every mutating call, newest page last, filtered by action; the admin
// sees every tenant's, a tenant its own.

import { api, enc } from './api.js';
import { h, fill, fmtTime } from './dom.js';

export function renderAudit(root) {
  const body = h('tbody', { id: 'audit-rows' });
  const action = h('input', { id: 'audit-action', autocomplete: 'off', placeholder: 'POST /api/v1/sessions' });
  const more = h('button', { type: 'button', id: 'audit-more', hidden: true }, 'Load more');
  const filter = h('form', { class: 'row' }, h('label', { for: 'audit-action' }, 'Action'), action, h('button', { type: 'submit' }, 'Filter'));
  let cursor = null;
  fill(root, h('h1', {}, 'Audit log'), h('section', { class: 'card' }, filter,
    h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'Action'), h('th', {}, 'Target'),
        h('th', {}, 'From'), h('th', {}, 'Status'))), body), more));

  async function page(reset) {
    if (reset) { cursor = null; fill(body); }
    const q = [`limit=50`];
    if (cursor) q.push(`after=${enc(cursor)}`);
    if (action.value.trim()) q.push(`action=${enc(action.value.trim())}`);
    try {
      const res = await api('GET', `/audit?${q.join('&')}`);
      res.data.forEach((e) => body.append(h('tr', { dataset: { audit: e.id, status: String(e.status) } },
        h('td', { 'data-label': 'When' }, fmtTime(e.at)),
        h('td', { 'data-label': 'Who' }, e.actor.kind === 'key' ? h('code', {}, e.actor.key_id) : e.actor.kind),
        h('td', { 'data-label': 'Action' }, h('code', {}, e.action)),
        h('td', { 'data-label': 'Target' }, h('code', {}, e.target)),
        h('td', { 'data-label': 'From' }, e.ip),
        h('td', { 'data-label': 'Status' }, String(e.status)))));
      if (!body.children.length) body.append(h('tr', {}, h('td', { colspan: '6', class: 'muted' }, 'Nothing recorded yet.')));
      cursor = res.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      fill(body, h('tr', {}, h('td', { colspan: '6', class: 'error', role: 'alert' }, e.message)));
    }
  }
  filter.addEventListener('submit', (ev) => { ev.preventDefault(); page(true); });
  more.addEventListener('click', () => page(false));
  page(true);
}
