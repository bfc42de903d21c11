// Rules: answers, forwards and events for incoming messages that match, tried in order; create,
// switch on or off, delete.

import { api, listAll, enc } from './api.js';
import { h, fill, notify, confirmAction, busy } from './dom.js';

/** A rule's match in words. */
function matchText(m) {
  const parts = [];
  if (m.keyword) parts.push(`says “${m.keyword}”`);
  if (m.regex) parts.push(`matches /${m.regex}/`);
  if (m.chat) parts.push(`in a ${m.chat} chat`);
  if (m.type) parts.push(`is a ${m.type} message`);
  if (m.from) parts.push(`comes from ${m.from}`);
  if (m.hours) parts.push(`arrives ${m.hours.from}–${m.hours.to}`);
  return parts.length ? parts.join(', ') : 'any message';
}

function actionText(a) {
  const parts = [];
  if (a.reply) parts.push(`answer “${a.reply}”`);
  if (a.template) parts.push(`answer with template ${a.template}`);
  if (a.forward_to) parts.push(`forward to ${a.forward_to.split('@')[0]}`);
  if (a.webhook_url) parts.push(`notify ${a.webhook_url}`);
  return parts.join(', ');
}

export function renderRules(root) {
  const list = h('div', { id: 'rule-list' }, h('p', { class: 'muted' }, 'Loading rules…'));
  const name = h('input', { id: 'rule-name', required: true, maxlength: '100', autocomplete: 'off', placeholder: 'opening hours' });
  const session = h('select', { id: 'rule-session' }, h('option', { value: '' }, 'every session'));
  const keyword = h('input', { id: 'rule-keyword', placeholder: 'price' });
  const regex = h('input', { id: 'rule-regex', placeholder: '^order \\d+$' });
  const chat = h('select', { id: 'rule-chat' }, ['', 'direct', 'group'].map((c) => h('option', { value: c }, c || 'any chat')));
  const reply = h('textarea', { id: 'rule-reply', rows: '2', placeholder: 'Thanks {{name}}, we answer within the hour.' });
  const forward = h('input', { id: 'rule-forward', placeholder: '+4915100000009' });
  const cooldown = h('input', { id: 'rule-cooldown', type: 'number', min: '0', max: '604800', value: '300' });
  const stop = h('input', { id: 'rule-stop', type: 'checkbox' });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create rule');
  const form = h('form', { class: 'stack', id: 'create-rule' },
    h('h2', {}, 'New rule'),
    h('label', { for: 'rule-name' }, 'Name'), name,
    h('label', { for: 'rule-session' }, 'Session'), session,
    h('div', { class: 'row' },
      h('label', {}, 'Keyword ', keyword), h('label', {}, 'or regex ', regex), h('label', {}, 'Chat ', chat)),
    h('label', { for: 'rule-reply' }, 'Answer (', h('code', {}, '{{name}}'), ' and ', h('code', {}, '{{phone}}'), ' are the sender’s)'), reply,
    h('label', { for: 'rule-forward' }, 'Forward to'), forward,
    h('label', { for: 'rule-cooldown' }, 'Cooldown per chat (seconds)'), cooldown,
    h('label', { class: 'check' }, stop, ' Stop: no further rules after this one'),
    h('div', { class: 'actions' }, create));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const match = {};
    if (keyword.value.trim()) match.keyword = keyword.value.trim();
    if (regex.value) match.regex = regex.value;
    if (chat.value) match.chat = chat.value;
    const action = {};
    if (reply.value.trim()) action.reply = reply.value;
    if (forward.value.trim()) action.forward_to = forward.value.trim();
    const body = { name: name.value.trim(), match, action, cooldown_secs: Number(cooldown.value || 0), stop: stop.checked };
    if (session.value) body.session_id = session.value;
    const made = await busy(create, () => api('POST', '/rules', { body }));
    if (!made) return;
    notify(`Rule “${made.name}” created.`, 'success');
    for (const input of [name, keyword, regex, reply, forward]) input.value = '';
    load();
  });
  fill(root, h('h1', {}, 'Rules'),
    h('p', { class: 'muted' }, 'Every incoming message is tried against the rules in order. A session of this WARAS is never answered, and a chat gets at most 5 automatic answers in 10 minutes.'),
    h('section', { class: 'card' }, form), list);

  async function sessions() {
    const all = await busy(null, () => listAll('/sessions'));
    if (all) fill(session, h('option', { value: '' }, 'every session'), all.map((s) => h('option', { value: s.id }, s.name)));
  }

  async function load() {
    try {
      const all = (await listAll('/rules')).sort((a, b) => a.position - b.position);
      fill(list, all.length ? all.map(card) : h('p', { class: 'empty' }, 'No rules yet.'));
    } catch (e) {
      fill(list, h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  function card(r) {
    const toggle = h('button', { type: 'button' }, r.enabled ? 'Switch off' : 'Switch on');
    toggle.addEventListener('click', async () => {
      if (await busy(toggle, () => api('PATCH', `/rules/${enc(r.id)}`, { body: { enabled: !r.enabled } }))) load();
    });
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
    remove.addEventListener('click', async () => {
      if (!(await confirmAction('Delete rule', `Delete “${r.name}”?`, 'Delete'))) return;
      if (await busy(remove, () => api('DELETE', `/rules/${enc(r.id)}`)) === undefined) return;
      notify(`Rule “${r.name}” deleted.`, 'success');
      load();
    });
    return h('article', { class: 'card rule', dataset: { rule: r.id, enabled: String(r.enabled) } },
      h('h2', {}, `${r.position}. ${r.name}`, r.enabled ? '' : h('span', { class: 'muted' }, ' (off)')),
      h('p', {}, 'When a message ', matchText(r.match), ': ', actionText(r.action), r.stop ? '; then stop.' : '.'),
      h('p', { class: 'muted' }, r.cooldown_secs ? `At most once per chat every ${r.cooldown_secs} s.` : 'No cooldown.'),
      h('div', { class: 'actions' }, toggle, remove));
  }

  sessions();
  load();
  return () => {};
}
