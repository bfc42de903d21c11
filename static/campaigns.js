// Campaigns: one message (or a template filled per recipient) to many recipients through one or
// more sessions, at a pace per session. Create from a CSV list, watch the progress live, pause,
// resume, cancel; each campaign's recipients with their status.

import { api, auth, listAll, enc, ApiError } from './api.js';
import { h, fill, notify, confirmAction, fmtTime, statusBadge, phoneOf, busy } from './dom.js';

const BUCKETS = ['queued', 'sent', 'delivered', 'read', 'failed', 'skipped', 'cancelled'];

/** Posts the form as multipart (the recipients are a CSV file part). */
async function postForm(form) {
  const res = await fetch('/api/v1/campaigns', {
    method: 'POST', body: form, headers: { Authorization: `Bearer ${auth.key}` }, cache: 'no-store',
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body, res.statusText);
  return body;
}

function progress(c) {
  const total = Math.max(c.counts.total, 1);
  const done = c.counts.total - c.counts.queued;
  return h('div', { class: 'progress' },
    h('progress', { max: String(total), value: String(done), 'aria-label': `${done} of ${c.counts.total} done` }),
    h('p', { class: 'counts' }, BUCKETS.map((b) => h('span', { class: `count c-${b}`, dataset: { count: b } },
      `${b} ${c.counts[b]}`))));
}

export function renderCampaigns(root) {
  const list = h('div', { id: 'campaign-list' }, h('p', { class: 'muted' }, 'Loading campaigns…'));
  const name = h('input', { id: 'cmp-name', required: true, maxlength: '100', autocomplete: 'off', placeholder: 'spring sale' });
  const sessions = h('fieldset', { id: 'cmp-sessions', class: 'choices' }, h('legend', {}, 'Sessions that send'));
  const template = h('select', { id: 'cmp-template' }, h('option', { value: '' }, '— a text instead —'));
  const text = h('textarea', { id: 'cmp-text', rows: '2', placeholder: 'Hi {{first_name}}, …' });
  const csv = h('textarea', {
    id: 'cmp-recipients', rows: '5', required: true, spellcheck: 'false',
    placeholder: 'to,first_name\n+4915100000001,Ana\n+4915100000002,Ben',
  });
  const perMinute = h('input', { id: 'cmp-rate', type: 'number', min: '1', max: '600', value: '10', required: true });
  const jitter = h('input', { id: 'cmp-jitter', type: 'number', min: '0', max: '3600', value: '0' });
  const cap = h('input', { id: 'cmp-cap', type: 'number', min: '1', placeholder: 'none' });
  const quietFrom = h('input', { id: 'cmp-quiet-from', type: 'time' });
  const quietTo = h('input', { id: 'cmp-quiet-to', type: 'time' });
  const tz = h('input', { id: 'cmp-tz', placeholder: 'Europe/Berlin', value: Intl.DateTimeFormat().resolvedOptions().timeZone || '' });
  const typing = h('input', { id: 'cmp-typing', type: 'checkbox' });
  const skip = h('input', { id: 'cmp-skip', type: 'checkbox' });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Start campaign');
  const form = h('form', { class: 'stack', id: 'create-campaign' },
    h('h2', {}, 'New campaign'),
    h('label', { for: 'cmp-name' }, 'Name'), name,
    sessions,
    h('label', { for: 'cmp-template' }, 'Template'), template,
    h('label', { for: 'cmp-text' }, 'Text (when no template)'), text,
    h('label', { for: 'cmp-recipients' }, 'Recipients (CSV: a ', h('code', {}, 'to'), ' column, the others are variables)'), csv,
    h('div', { class: 'row' },
      h('label', {}, 'Per minute per session ', perMinute),
      h('label', {}, 'Jitter (s) ', jitter),
      h('label', {}, 'Daily cap ', cap)),
    h('div', { class: 'row' },
      h('label', {}, 'Quiet from ', quietFrom), h('label', {}, 'to ', quietTo), h('label', {}, 'time zone ', tz)),
    h('label', { class: 'check' }, typing, ' Show “typing…” before each message'),
    h('label', { class: 'check' }, skip, ' Skip numbers not on WhatsApp'),
    h('div', { class: 'actions' }, create));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const chosen = [...sessions.querySelectorAll('input:checked')].map((i) => i.value);
    if (!chosen.length) {
      notify('Choose at least one session.', 'error');
      return;
    }
    const pacing = { per_minute: Number(perMinute.value) };
    if (Number(jitter.value) > 0) pacing.jitter_secs = Number(jitter.value);
    if (cap.value) pacing.daily_cap = Number(cap.value);
    if (quietFrom.value && quietTo.value) pacing.quiet_hours = { from: quietFrom.value, to: quietTo.value, tz: tz.value || undefined };
    if (typing.checked) pacing.typing = true;
    const data = new FormData();
    data.append('name', name.value.trim());
    data.append('session_ids', chosen.join(','));
    if (template.value) data.append('template', template.value);
    else data.append('message', JSON.stringify({ type: 'text', text: text.value }));
    data.append('pacing', JSON.stringify(pacing));
    if (skip.checked) data.append('skip_unregistered', 'true');
    data.append('recipients', new Blob([csv.value.trim() + '\n'], { type: 'text/csv' }), 'recipients.csv');
    const made = await busy(create, () => postForm(data));
    if (!made) return;
    notify(`Campaign “${made.name}” started: ${made.counts.total} recipients.`, 'success');
    name.value = '';
    load();
  });
  fill(root, h('h1', {}, 'Campaigns'), h('section', { class: 'card' }, form), list);

  async function choices() {
    try {
      const [all, templates] = await Promise.all([listAll('/sessions'), listAll('/templates')]);
      const linked = all.filter((s) => s.me && s.me.phone_jid);
      fill(sessions, h('legend', {}, 'Sessions that send'), linked.length
        ? linked.map((s) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', value: s.id, name: 'session' }), ` ${s.name} (${phoneOf(s.me.phone_jid)})`))
        : h('p', { class: 'muted' }, 'No linked session yet: link one on the Sessions page.'));
      fill(template, h('option', { value: '' }, '— a text instead —'),
        templates.filter((t) => t.type === 'text').map((t) => h('option', { value: t.id }, t.name)));
    } catch (e) {
      notify(e.message, 'error');
    }
  }

  async function load() {
    try {
      const all = await listAll('/campaigns');
      if (!all.length) {
        fill(list, h('p', { class: 'empty' }, 'No campaigns yet.'));
        return;
      }
      fill(list, all.reverse().map(card));
    } catch (e) {
      fill(list, h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  function action(c, what, label, kind) {
    const b = h('button', { type: 'button', class: kind || '', dataset: { action: what } }, label);
    b.addEventListener('click', async () => {
      if (what === 'cancel' && !(await confirmAction('Cancel campaign', `Cancel “${c.name}”? Recipients not sent to yet are dropped.`, 'Cancel campaign'))) return;
      if (await busy(b, () => api('POST', `/campaigns/${enc(c.id)}/${what}`)) === undefined) return;
      load();
    });
    return b;
  }

  function card(c) {
    const buttons = [];
    if (c.status === 'running') buttons.push(action(c, 'pause', 'Pause'));
    if (['draft', 'paused', 'stopped'].includes(c.status)) buttons.push(action(c, 'resume', c.status === 'draft' ? 'Start' : 'Resume', 'primary'));
    if (!['completed', 'cancelled'].includes(c.status)) buttons.push(action(c, 'cancel', 'Cancel', 'danger'));
    const recipients = h('details', { class: 'recipients' }, h('summary', {}, 'Recipients'));
    recipients.addEventListener('toggle', async () => {
      if (!recipients.open) return;
      const page = await busy(null, () => api('GET', `/campaigns/${enc(c.id)}/recipients?limit=100`));
      if (!page) return;
      fill(recipients, h('summary', {}, 'Recipients'), h('table', { class: 'recipients' },
        h('thead', {}, h('tr', {}, h('th', {}, 'To'), h('th', {}, 'Status'), h('th', {}, 'Error'))),
        h('tbody', {}, page.data.map((r) => h('tr', {},
          h('td', {}, phoneOf(r.to)), h('td', {}, statusBadge(r.status)), h('td', {}, r.error || ''))))));
    });
    return h('article', { class: 'card campaign', dataset: { campaign: c.id, status: c.status } },
      h('h2', {}, c.name, ' ', statusBadge(c.status)),
      c.stopped_reason ? h('p', { class: 'error', role: 'status' }, `Stopped: ${c.stopped_reason}`) : null,
      progress(c),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Pace'), h('dd', {}, `${c.pacing.per_minute} per minute per session`),
        h('dt', {}, 'Sessions'), h('dd', {}, String(c.session_ids.length)),
        h('dt', {}, 'Created'), h('dd', {}, fmtTime(c.created_at))),
      recipients,
      h('div', { class: 'actions' }, buttons));
  }

  choices();
  load();
  // Live progress: the list is read again every two seconds while a campaign runs.
  const timer = setInterval(() => {
    if (list.querySelector('[data-status="running"]') && !list.querySelector('details[open]')) load();
  }, 2000);
  return () => clearInterval(timer);
}
