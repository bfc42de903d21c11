// One session: its state and lifecycle, the linking view (QR with countdown, or pairing code) that
// moves on by itself once the session is WORKING, and messages (send a text or a template, now or
// at a time; what is scheduled; live incoming + receipts).

import { api, listAll, enc } from './api.js';
import { h, fill, notify, statusBadge, phoneOf, busy, randomId, fmtTime } from './dom.js';
import { stream } from './stream.js';
import { lifecycleButtons } from './sessions.js';

const LINKING = ['STARTING', 'SCAN_QR', 'PAIR_CODE'];

export function renderSession(root, id) {
  let session = null;
  const head = h('section', { class: 'card', id: 'session-head' }, h('p', { class: 'muted' }, 'Loading session…'));
  const linkArea = h('div', { id: 'link-area' });
  const messages = messagePanel(id);
  fill(root, h('p', {}, h('a', { href: '#/sessions' }, '← All sessions')), h('h1', { id: 'session-title' }, 'Session'),
    head, linkArea, messages.el);
  let linker = null;

  function draw() {
    root.querySelector('#session-title').textContent = session.name;
    document.title = `${session.name} · WARAS`;
    const me = session.me;
    fill(head,
      h('dl', { class: 'facts' },
        h('dt', {}, 'Status'), h('dd', { id: 'session-status' }, statusBadge(session.status),
          session.status_reason ? h('span', { class: 'muted' }, ` ${session.status_reason}`) : null),
        h('dt', {}, 'Account'), h('dd', { id: 'session-me' }, me
          ? [h('strong', {}, phoneOf(me.phone_jid) || me.lid || ''), me.push_name ? ` · ${me.push_name}` : '']
          : h('span', { class: 'muted' }, 'not linked')),
        h('dt', {}, 'Desired state'), h('dd', {}, session.desired_state),
        h('dt', {}, 'Id'), h('dd', {}, h('code', {}, session.id))),
      h('div', { class: 'actions' }, lifecycleButtons(session, (fresh) => {
        if (!fresh) location.hash = '#/sessions';
        else { session = fresh; draw(); }
      })));
    messages.hint(['WORKING', 'RECONNECTING'].includes(session.status)
      ? ''
      : `Sending needs a linked session; this one is ${session.status}, so the service will refuse.`);
    const linking = LINKING.includes(session.status) && session.desired_state === 'running';
    if (linking) {
      if (!linker) {
        linker = linkPanel(session);
        fill(linkArea, linker.el);
      }
      linker.update(session);
    } else {
      if (linker) linker.destroy();
      linker = null;
      if (session.status === 'WORKING' && me) {
        fill(linkArea, h('section', { class: 'card linked', id: 'linked' }, h('h2', {}, 'Linked'),
          h('p', {}, 'This session is connected to ', h('strong', {}, phoneOf(me.phone_jid) || me.lid),
            me.push_name ? [' (', me.push_name, ')'] : '', '. Send a message below, or open its ',
            h('a', { href: `#/sessions/${enc(id)}/chats`, id: 'open-chats' }, 'chats'), '.')));
      } else {
        fill(linkArea, h('section', { class: 'card' }, h('p', { class: 'muted', id: 'not-linking' },
          session.desired_state === 'stopped'
            ? 'This session is stopped. Start it to link it to a WhatsApp account or to send messages.'
            : `This session is ${session.status}.`)));
      }
    }
  }

  async function load() {
    try {
      session = await api('GET', `/sessions/${enc(id)}`);
      draw();
    } catch (e) {
      fill(head, h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  const unsubscribe = stream.on((ev) => {
    if (ev.session_id !== id) return;
    if (ev.type === 'session.status' && session) {
      // Reload: reaching WORKING also fills in `me` (the linked number and name).
      session.status = ev.data.status;
      if (ev.data.status === 'WORKING' || ev.data.status === 'LOGGED_OUT') load();
      else draw();
    } else if (ev.type === 'session.qr' && linker) {
      linker.qr(ev.data);
    }
    messages.event(ev);
  });
  messages.replay(stream.events.filter((ev) => ev.session_id === id));
  load();
  return () => {
    unsubscribe();
    if (linker) linker.destroy();
    messages.destroy();
  };
}

/** QR (live, with countdown) or pairing code. */
function linkPanel(initial) {
  let session = initial;
  let mode = 'qr';
  let code = null;
  let expires = null;
  let imageUrl = null;
  let stopped = false;

  const qrBtn = h('button', { type: 'button', 'aria-pressed': 'true', id: 'mode-qr' }, 'QR code');
  const pairBtn = h('button', { type: 'button', 'aria-pressed': 'false', id: 'mode-pair' }, 'Pairing code');
  const img = h('img', { id: 'qr-image', class: 'qr', alt: 'QR code to scan with WhatsApp', hidden: true });
  const qrState = h('p', { id: 'qr-state', role: 'status' }, 'Waiting for a QR code…');
  const countdown = h('p', { id: 'qr-countdown', class: 'countdown', 'aria-live': 'off' });
  const qrPane = h('div', { id: 'qr-pane' },
    h('p', {}, 'On the phone open WhatsApp → ', h('strong', {}, 'Linked devices'), ' → ', h('strong', {}, 'Link a device'),
      ', and scan this code.'),
    h('div', { class: 'qr-box' }, img), qrState, countdown);

  const phone = h('input', { id: 'pair-phone', type: 'tel', required: true, autocomplete: 'tel', placeholder: '+4915123456789', pattern: '\\+?[0-9 ()\\-]{6,24}' });
  const getCode = h('button', { type: 'submit', class: 'primary' }, 'Get pairing code');
  const pairCode = h('p', { id: 'pair-code', class: 'pair-code', 'aria-live': 'polite' });
  const pairForm = h('form', { class: 'inline-form' }, h('label', { for: 'pair-phone' }, 'Phone number of the account'), phone, getCode);
  const pairPane = h('div', { id: 'pair-pane', hidden: true },
    h('p', {}, 'Enter the account’s number in international format. Then on the phone open WhatsApp → ',
      h('strong', {}, 'Linked devices'), ' → ', h('strong', {}, 'Link a device'), ' → ', h('strong', {}, 'Link with phone number instead'),
      ' and type the code shown here.'),
    pairForm, pairCode);
  pairForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const number = phone.value.replace(/[\s()-]/g, '');
    const res = await busy(getCode, () => api('POST', `/sessions/${enc(session.id)}/pair-code`, { body: { phone: number } }));
    if (res) fill(pairCode, h('span', { class: 'muted' }, 'Code'), h('strong', {}, res.code));
  });

  const setMode = (m) => {
    mode = m;
    qrBtn.setAttribute('aria-pressed', String(m === 'qr'));
    pairBtn.setAttribute('aria-pressed', String(m === 'pair'));
    qrPane.hidden = m !== 'qr';
    pairPane.hidden = m !== 'pair';
    if (m === 'qr') refresh();
  };
  qrBtn.addEventListener('click', () => setMode('qr'));
  pairBtn.addEventListener('click', () => setMode('pair'));

  const el = h('section', { class: 'card', id: 'linking' }, h('h2', {}, 'Link a WhatsApp account'),
    h('div', { class: 'segmented', role: 'group', 'aria-label': 'Linking method' }, qrBtn, pairBtn), qrPane, pairPane);

  function waiting(text) {
    img.hidden = true;
    code = null;
    expires = null;
    qrState.textContent = text;
    countdown.textContent = '';
  }

  async function showImage(newCode) {
    if (newCode === code && !img.hidden) return;
    let blob;
    try {
      blob = await api('GET', `/sessions/${enc(session.id)}/qr`, { accept: 'image/svg+xml' });
    } catch (e) {
      if (e.status !== 406) throw e;
      blob = await api('GET', `/sessions/${enc(session.id)}/qr`, { accept: 'image/png' });
    }
    if (stopped) return;
    if (imageUrl) URL.revokeObjectURL(imageUrl);
    imageUrl = URL.createObjectURL(blob);
    img.src = imageUrl;
    img.hidden = false;
    code = newCode;
    qrState.textContent = 'Scan the code with the phone.';
  }

  /** The fallback poll and first load: the JSON form says whether the code changed. */
  async function refresh() {
    if (stopped || mode !== 'qr') return;
    if (session.status !== 'SCAN_QR') {
      waiting(session.status === 'PAIR_CODE'
        ? 'A pairing code is in use; switch to “Pairing code”, or restart the session for a QR.'
        : `Waiting for a QR code (the session is ${session.status})…`);
      return;
    }
    try {
      const qr = await api('GET', `/sessions/${enc(session.id)}/qr`, { accept: 'application/json' });
      expires = qr.expires_at ? new Date(qr.expires_at) : null;
      await showImage(qr.code);
    } catch (e) {
      if (e.code === 'session_not_waiting_for_qr') waiting('Waiting for a QR code…');
      else waiting(e.message);
    }
    tick();
  }

  function tick() {
    if (!expires || img.hidden) {
      countdown.textContent = '';
      return;
    }
    const left = Math.round((expires - Date.now()) / 1000);
    countdown.textContent = left > 0 ? `Expires in ${left} s` : 'Expired — a new code should follow…';
    countdown.classList.toggle('soon', left <= 10);
  }

  const poll = setInterval(refresh, 5000);
  const clock = setInterval(tick, 1000);
  if (session.status === 'PAIR_CODE') setMode('pair');
  else refresh();

  return {
    el,
    update(s) {
      const changed = s.status !== session.status;
      session = s;
      if (changed) refresh();
    },
    qr(data) {
      if (stopped || mode !== 'qr') return;
      const until = data.expires_at ? new Date(data.expires_at) : null;
      if (until && until < Date.now()) return; // an old code replayed from the log
      session.status = 'SCAN_QR';
      expires = until;
      showImage(data.code).then(tick).catch((e) => waiting(e.message));
    },
    destroy() {
      stopped = true;
      clearInterval(poll);
      clearInterval(clock);
      if (imageUrl) URL.revokeObjectURL(imageUrl);
    },
  };
}

/** The variables typed as `name=value` lines, as an object. */
function parseVariables(raw) {
  const out = {};
  for (const line of raw.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

/**
 * Send a text, now or at a time, written or from a text template (with an Idempotency-Key kept
 * until it succeeds); the sends still waiting for their time, with a cancel button; and the live
 * conversation feed.
 */
function messagePanel(sessionId) {
  const outgoing = new Map(); // message id → status element
  const to = h('input', { id: 'msg-to', required: true, autocomplete: 'off', placeholder: '+4915123456789 or a JID' });
  const template = h('select', { id: 'msg-template' }, h('option', { value: '' }, 'None: write the text'));
  const text = h('textarea', { id: 'msg-text', required: true, rows: '3', maxlength: '65536' });
  const textLabel = h('label', { for: 'msg-text' }, 'Text');
  const variables = h('textarea', { id: 'msg-variables', rows: '3', placeholder: 'first_name=Ana', hidden: true });
  const variablesLabel = h('label', { for: 'msg-variables', hidden: true }, 'Variables ',
    h('span', { class: 'muted' }, '(one per line: name=value)'));
  const sendAt = h('input', { id: 'msg-send-at', type: 'datetime-local', step: '1' });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const feed = h('ol', { id: 'messages', class: 'feed', 'aria-live': 'polite' });
  const empty = h('p', { class: 'empty', id: 'messages-empty' }, 'No messages yet. Incoming messages and receipts appear here live.');
  const scheduled = h('ul', { id: 'scheduled', class: 'scheduled-list' });
  const scheduledEmpty = h('p', { class: 'empty', id: 'scheduled-empty' }, 'Nothing scheduled.');
  let idemKey = null;
  const form = h('form', { id: 'send-form', class: 'stack' },
    h('label', { for: 'msg-to' }, 'To'), to,
    h('label', { for: 'msg-template' }, 'Template'), template,
    textLabel, text, variablesLabel, variables,
    h('label', { for: 'msg-send-at' }, 'Send at ', h('span', { class: 'muted' }, '(optional; empty sends now)')), sendAt,
    h('div', { class: 'actions' }, send));
  template.addEventListener('change', () => {
    const fromTemplate = Boolean(template.value);
    text.hidden = fromTemplate;
    textLabel.hidden = fromTemplate;
    text.required = !fromTemplate;
    variables.hidden = !fromTemplate;
    variablesLabel.hidden = !fromTemplate;
  });
  // A retry of the same message reuses its key (sent once); any edit starts a new message.
  form.addEventListener('input', () => { idemKey = null; });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    idemKey = idemKey || randomId();
    const body = { to: to.value.trim() };
    if (template.value) {
      body.template = template.value;
      body.variables = parseVariables(variables.value);
    } else {
      body.type = 'text';
      body.text = text.value;
    }
    if (sendAt.value) body.send_at = new Date(sendAt.value).toISOString();
    const res = await busy(send, () => api('POST', `/sessions/${enc(sessionId)}/messages`, {
      body, headers: { 'Idempotency-Key': idemKey },
    }));
    if (!res) return;
    idemKey = null;
    text.value = '';
    sendAt.value = '';
    if (res.status === 'scheduled') {
      notify(`Message scheduled for ${fmtTime(res.send_at)}.`, 'success');
      loadScheduled();
      return;
    }
    addOut(res.id, res.to || body.to, body.text ?? `[template ${template.selectedOptions[0].textContent}]`, res.status, res.created_at);
    notify('Message accepted.', 'success');
  });

  async function loadTemplates() {
    try {
      const all = await listAll('/templates');
      all.filter((t) => t.type === 'text').forEach((t) =>
        template.append(h('option', { value: t.id }, t.name)));
    } catch { /* the form still sends written texts */ }
  }

  async function loadScheduled() {
    try {
      const waiting = await listAll(`/sessions/${enc(sessionId)}/messages?status=scheduled`);
      scheduledEmpty.hidden = waiting.length > 0;
      fill(scheduled, waiting.map((m) => {
        const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel');
        cancel.addEventListener('click', async () => {
          const done = await busy(cancel, () => api('POST', `/sessions/${enc(sessionId)}/messages/${enc(m.id)}/cancel`));
          if (!done) return;
          notify('Scheduled message cancelled.', 'success');
          loadScheduled();
        });
        return h('li', { dataset: { message: m.id } },
          h('span', {}, `To ${phoneOf(m.chat) || m.chat} at ${fmtTime(m.send_at)}: `, h('span', { class: 'body' }, m.text ?? m.caption ?? `[${m.type}]`)),
          cancel);
      }));
    } catch (e) {
      fill(scheduled, h('li', { class: 'error', role: 'alert' }, e.message));
    }
  }

  function add(item) {
    empty.hidden = true;
    feed.prepend(item);
    while (feed.children.length > 200) feed.lastElementChild.remove();
  }

  function addOut(id, dest, body, status, at) {
    if (id && outgoing.has(id)) return;
    const badge = statusBadge(status);
    if (id) outgoing.set(id, badge);
    add(h('li', { class: 'msg out', dataset: { message: id || '' } },
      h('div', { class: 'meta' }, `To ${phoneOf(dest) || dest || '?'} · ${fmtTime(at)} · `, badge),
      h('div', { class: 'body' }, body || '')));
  }

  function event(ev) {
    const d = ev.data || {};
    if (ev.type === 'message.received') {
      const content = d.text ?? d.caption ?? (d.media ? `[${d.type}${d.media.filename ? `: ${d.media.filename}` : ''}]` : `[${d.type}]`);
      add(h('li', { class: 'msg in', dataset: { message: d.id || '' } },
        h('div', { class: 'meta' }, `From ${phoneOf(d.from_phone) || d.from || '?'}`, d.chat && d.chat !== d.from ? ` in ${d.chat}` : '',
          ` · ${fmtTime(d.timestamp || ev.created_at)}`),
        h('div', { class: 'body' }, content)));
    } else if (ev.type === 'message.sent') {
      addOut(d.id, d.to || d.chat, d.text ?? d.caption, d.status || 'sent', ev.created_at);
      if (scheduled.querySelector(`[data-message="${d.id}"]`)) loadScheduled();
    } else if (ev.type === 'message.ack') {
      const badge = outgoing.get(d.id);
      if (badge) {
        badge.textContent = d.status;
        badge.dataset.status = d.status;
        badge.className = `badge s-${String(d.status).toLowerCase()}`;
      }
    }
  }

  const hint = h('p', { class: 'muted', id: 'send-hint', hidden: true });
  const el = h('section', { class: 'card', id: 'message-panel' }, h('h2', {}, 'Messages'), hint,
    h('div', { class: 'split' },
      h('div', {}, form, h('h3', {}, 'Scheduled'), scheduledEmpty, scheduled),
      h('div', {}, h('h3', {}, 'Live'), empty, feed)));
  loadTemplates();
  loadScheduled();
  return {
    el,
    hint(text) {
      hint.textContent = text;
      hint.hidden = !text;
    },
    event,
    replay(events) { events.forEach(event); },
    destroy() {},
  };
}
