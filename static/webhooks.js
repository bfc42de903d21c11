// Webhooks: list, create (secret shown once), edit, rotate the secret, delete, and each endpoint's
// deliveries with a retry for failed ones.

import { api, listAll, enc } from './api.js';
import { h, fill, notify, dialog, confirmAction, showSecret, fmtTime, busy, statusBadge } from './dom.js';

const EVENT_TYPES = ['*', 'session.*', 'session.status', 'session.qr', 'message.*', 'message.received', 'message.sent', 'message.ack', 'webhook.disabled'];

function parseEvents(raw) {
  return raw.split(',').map((t) => t.trim()).filter(Boolean);
}

function eventsField(id, value) {
  const list = h('datalist', { id: `${id}-types` }, EVENT_TYPES.map((t) => h('option', { value: t })));
  const input = h('input', { id, required: true, value, list: `${id}-types`, autocomplete: 'off', spellcheck: 'false' });
  return { input, el: [h('label', { for: id }, 'Events ', h('span', { class: 'muted' }, '(comma-separated; * for all)')), input, list] };
}

export function renderWebhooks(root) {
  let sessions = [];
  const list = h('div', { id: 'webhook-list' }, h('p', { class: 'muted' }, 'Loading webhooks…'));
  const url = h('input', { id: 'hook-url', type: 'url', required: true, placeholder: 'https://example.com/waras', autocomplete: 'off' });
  const events = eventsField('hook-events', 'message.received, session.status');
  const session = h('select', { id: 'hook-session' }, h('option', { value: '' }, 'Every session'));
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create webhook');
  const form = h('form', { class: 'stack', id: 'create-webhook' },
    h('h2', {}, 'New webhook'),
    h('label', { for: 'hook-url' }, 'URL'), url, events.el,
    h('label', { for: 'hook-session' }, 'Session'), session,
    h('div', { class: 'actions' }, create));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { url: url.value.trim(), events: parseEvents(events.input.value) };
    if (session.value) body.session_id = session.value;
    const hook = await busy(create, () => api('POST', '/webhooks', { body }));
    if (!hook) return;
    url.value = '';
    load();
    await showSecret('Webhook secret', hook.secret,
      `Deliveries to ${hook.url} are signed with this secret (Standard Webhooks). Configure it in the receiver.`);
  });
  fill(root, h('h1', {}, 'Webhooks'), h('section', { class: 'card' }, form), list);

  const sessionName = (sid) => (sessions.find((s) => s.id === sid) || {}).name || sid;

  async function load() {
    try {
      const hooks = await listAll('/webhooks');
      if (!hooks.length) {
        fill(list, h('p', { class: 'empty' }, 'No webhooks yet. Create one above to receive events by HTTP POST.'));
        return;
      }
      fill(list, hooks.map(card));
    } catch (e) {
      fill(list, h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  function card(w) {
    const deliveries = h('div', { class: 'deliveries', hidden: true });
    const button = (label, fn, kind) => {
      const b = h('button', { type: 'button', class: kind || '' }, label);
      b.addEventListener('click', () => fn(b));
      return b;
    };
    const toggle = button('Deliveries', async (b) => {
      const open = deliveries.hidden;
      deliveries.hidden = !open;
      b.setAttribute('aria-expanded', String(open));
      if (open) loadDeliveries(w, deliveries);
    });
    toggle.setAttribute('aria-expanded', 'false');
    const state = w.enabled
      ? (w.failing_since ? h('span', { class: 'badge s-failing' }, `failing since ${fmtTime(w.failing_since)}`) : h('span', { class: 'badge s-working' }, 'enabled'))
      : h('span', { class: 'badge s-failed' }, `disabled${w.disabled_reason ? `: ${w.disabled_reason}` : ''}`);
    return h('article', { class: 'card webhook', dataset: { webhook: w.id } },
      h('h2', { class: 'url' }, w.url),
      h('dl', { class: 'facts' },
        h('dt', {}, 'State'), h('dd', {}, state),
        h('dt', {}, 'Events'), h('dd', {}, w.events.map((t) => h('code', { class: 'tag' }, t))),
        h('dt', {}, 'Session'), h('dd', {}, w.session_id ? sessionName(w.session_id) : 'every session'),
        h('dt', {}, 'Created'), h('dd', {}, fmtTime(w.created_at))),
      h('div', { class: 'actions' },
        toggle,
        button('Edit', () => edit(w)),
        button('Rotate secret', async (b) => {
          const ok = await confirmAction('Rotate secret', 'Create a new signing secret? The old one stays valid for a grace period.', 'Rotate');
          if (!ok) return;
          const res = await busy(b, () => api('POST', `/webhooks/${enc(w.id)}/rotate-secret`));
          if (res) {
            await showSecret('New webhook secret', res.secret,
              `The previous secret still signs deliveries until ${fmtTime(res.previous_valid_until)}.`);
          }
        }),
        button('Delete', async (b) => {
          const ok = await confirmAction('Delete webhook', `Delete the webhook to ${w.url}? Pending deliveries are dropped.`, 'Delete');
          if (ok && (await busy(b, () => api('DELETE', `/webhooks/${enc(w.id)}`).then(() => true)))) {
            notify('Webhook deleted.', 'success');
            load();
          }
        }, 'danger')),
      deliveries);
  }

  async function edit(w) {
    const editUrl = h('input', { id: 'edit-url', type: 'url', required: true, value: w.url });
    const editEvents = eventsField('edit-events', w.events.join(', '));
    const enabled = h('input', { id: 'edit-enabled', type: 'checkbox', checked: w.enabled });
    const answer = await dialog('Edit webhook', h('div', { class: 'stack' },
      h('label', { for: 'edit-url' }, 'URL'), editUrl, editEvents.el,
      h('label', { class: 'check', for: 'edit-enabled' }, enabled, ' enabled')), [
      { label: 'Cancel', value: 'cancel' },
      { label: 'Save', value: 'save', kind: 'primary' },
    ]);
    if (answer !== 'save') return;
    try {
      await api('PATCH', `/webhooks/${enc(w.id)}`, {
        body: { url: editUrl.value.trim(), events: parseEvents(editEvents.input.value), enabled: enabled.checked },
      });
      notify('Webhook saved.', 'success');
      load();
    } catch (e) {
      notify(e.message, 'error');
    }
  }

  async function loadDeliveries(w, box) {
    fill(box, h('p', { class: 'muted' }, 'Loading deliveries…'));
    try {
      const res = await api('GET', `/webhooks/${enc(w.id)}/deliveries?limit=50`);
      if (!res.data.length) {
        fill(box, h('p', { class: 'empty' }, 'No deliveries yet: they appear when a matching event happens.'));
        return;
      }
      fill(box, h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, ['Event', 'Status', 'Attempts', 'Last answer', 'Created'].map((t) => h('th', {}, t)),
          h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', {}, res.data.map((d) => {
          const retry = d.status === 'failed' ? h('button', { type: 'button' }, 'Retry') : null;
          retry?.addEventListener('click', async () => {
            if (await busy(retry, () => api('POST', `/webhooks/${enc(w.id)}/deliveries/${enc(d.id)}/retry`))) {
              notify('Delivery queued again.', 'success');
              loadDeliveries(w, box);
            }
          });
          return h('tr', { dataset: { delivery: d.id } },
            h('td', { 'data-label': 'Event' }, h('code', {}, d.event_id)),
            h('td', { 'data-label': 'Status' }, statusBadge(d.status)),
            h('td', { 'data-label': 'Attempts' }, String(d.attempts)),
            h('td', { 'data-label': 'Last answer' }, d.last_status_code ? `HTTP ${d.last_status_code}` : '', d.last_error ? ` ${d.last_error}` : '',
              d.next_attempt_at ? h('div', { class: 'muted' }, `next try ${fmtTime(d.next_attempt_at)}`) : null),
            h('td', { 'data-label': 'Created' }, fmtTime(d.created_at)),
            h('td', { class: 'actions' }, retry));
        }))));
    } catch (e) {
      fill(box, h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  listAll('/sessions').then((all) => {
    sessions = all;
    all.forEach((s) => session.append(h('option', { value: s.id }, s.name)));
  }).catch(() => {}).finally(load);
}
