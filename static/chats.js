// A session's chats (#/sessions/<id>/chats): the chat list (pinned, archived and muted chats
// marked), one conversation with its history and image previews, sending text or a file, pinning,
// archiving, muting, blocking the person; calls (with Reject while ringing) and the blocklist.
// New messages, calls, chat changes made on the phone and blocks appear live.

import { api, listAll, enc } from './api.js';
import { h, fill, notify, busy, fmtTime, phoneOf, statusBadge } from './dom.js';
import { stream } from './stream.js';

const MEDIA = ['image', 'video', 'audio', 'document', 'sticker'];

/** Who a chat is, for people: their number when known. */
function chatName(jid) {
  return phoneOf(jid) || jid;
}

/** What a chat's state shows in the list: pinned, archived, muted. */
function marks(c) {
  const on = [c.pinned && 'pinned', c.archived && 'archived', c.muted && 'muted'].filter(Boolean);
  return on.map((m) => h('span', { class: 'badge', dataset: { mark: m } }, m));
}

/** The chat actions that undo or do each state, by the chat's state. */
function actionsFor(c) {
  return [c && c.pinned ? 'unpin' : 'pin', c && c.archived ? 'unarchive' : 'archive', c && c.muted ? 'unmute' : 'mute'];
}

/** One message as a bubble; images get a preview fetched with the key (never in a URL). */
function bubble(sessionId, m) {
  const body = h('div', { class: 'body' }, m.text ?? m.caption ?? (MEDIA.includes(m.type) ? '' : `[${m.type}]`));
  const el = h('li', { class: `msg ${m.from_me ? 'out' : 'in'}`, dataset: { message: m.id } },
    h('div', { class: 'meta' }, fmtTime(m.timestamp || m.created_at), m.from_me ? [' · ', statusBadge(m.status)] : ''),
    body);
  if (MEDIA.includes(m.type)) {
    const holder = h('div', { class: 'media' }, h('span', { class: 'muted' }, `[${m.type}${m.media && m.media.filename ? `: ${m.media.filename}` : ''}]`));
    el.insertBefore(holder, body);
    if (m.type === 'image' || m.type === 'sticker') {
      api('GET', `/sessions/${enc(sessionId)}/messages/${enc(m.id)}/media`, { accept: 'image/*' })
        .then((blob) => fill(holder, h('img', { src: URL.createObjectURL(blob), alt: m.caption || m.type, class: 'preview' })))
        .catch(() => {});
    }
  }
  return el;
}

export function renderChats(root, sessionId) {
  let current = null;
  let chatsByJid = new Map();
  const list = h('ul', { id: 'chat-list', class: 'chat-list' });
  const title = h('h2', { id: 'chat-title' }, 'Choose a chat');
  const history = h('ol', { id: 'chat-history', class: 'feed conversation', 'aria-live': 'polite' });
  const text = h('input', { id: 'chat-text', autocomplete: 'off', placeholder: 'Message' });
  const file = h('input', { id: 'chat-file', type: 'file', 'aria-label': 'Attach a file' });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const block = h('button', { type: 'button', class: 'danger', id: 'chat-block', hidden: true }, 'Block');
  const chatActions = h('div', { id: 'chat-actions', class: 'row' });
  const form = h('form', { id: 'chat-send', class: 'row', hidden: true }, text, file, send);
  const calls = h('ul', { id: 'call-list', class: 'scheduled-list' });
  const blocked = h('ul', { id: 'blocked-list', class: 'scheduled-list' });
  const to = h('input', { id: 'chat-new', autocomplete: 'off', placeholder: '+4915123456789' });
  const open = h('form', { class: 'row' }, to, h('button', { type: 'submit' }, 'Open'));
  open.addEventListener('submit', (ev) => { ev.preventDefault(); if (to.value.trim()) show(to.value.trim()); });
  fill(root, h('p', {}, h('a', { href: `#/sessions/${enc(sessionId)}` }, '← Session')), h('h1', {}, 'Chats'),
    h('div', { class: 'split chats' },
      h('section', { class: 'card' }, h('h2', {}, 'Chats'), open, list),
      h('section', { class: 'card' }, h('div', { class: 'row' }, title, chatActions, block), history, form)),
    h('div', { class: 'split' },
      h('section', { class: 'card', id: 'calls' }, h('h2', {}, 'Calls'), calls),
      h('section', { class: 'card', id: 'blocked' }, h('h2', {}, 'Blocked'), blocked)));

  async function loadChats() {
    try {
      const chats = await listAll(`/sessions/${enc(sessionId)}/chats`);
      chatsByJid = new Map(chats.map((c) => [c.chat, c]));
      if (current) showActions(current);
      fill(list, chats.length ? chats.map((c) => {
        const b = h('button', { type: 'button', class: 'link' }, chatName(c.chat));
        b.addEventListener('click', () => show(c.chat));
        const last = c.last_message;
        return h('li', { dataset: { chat: c.chat } }, b, c.unread ? h('span', { class: 'badge' }, String(c.unread)) : '', ...marks(c),
          h('div', { class: 'muted' }, last.text ?? last.caption ?? `[${last.type}]`));
      }) : h('li', { class: 'muted' }, 'No chats yet.'));
    } catch (e) { fill(list, h('li', { class: 'error', role: 'alert' }, e.message)); }
  }

  /** Pin, archive and mute buttons for the open chat, each showing what a click does. */
  function showActions(chat) {
    fill(chatActions, actionsFor(chatsByJid.get(chat)).map((action) => {
      const b = h('button', { type: 'button', dataset: { action } }, action[0].toUpperCase() + action.slice(1));
      b.addEventListener('click', async () => {
        const done = await busy(b, () => api('POST', `/sessions/${enc(sessionId)}/chats/${enc(chat)}/${action}`));
        if (done) loadChats();
      });
      return b;
    }));
  }

  async function show(chat) {
    current = chat;
    showActions(chat);
    title.textContent = chatName(chat);
    form.hidden = false;
    block.hidden = chat.endsWith('@g.us');
    try {
      const all = await listAll(`/sessions/${enc(sessionId)}/chats/${enc(chat)}/messages`, 10);
      fill(history, all.slice(-100).map((m) => bubble(sessionId, m)));
      history.scrollTop = history.scrollHeight; // the newest message in view
    } catch (e) { fill(history, h('li', { class: 'error', role: 'alert' }, e.message)); }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!current || (!text.value && !file.files.length)) return;
    const path = `/sessions/${enc(sessionId)}/messages`;
    const chosen = file.files[0];
    const res = await busy(send, () => {
      if (!chosen) return api('POST', path, { body: { to: current, type: 'text', text: text.value } });
      const kind = chosen.type.startsWith('image/') ? 'image' : chosen.type.startsWith('video/') ? 'video' : 'document';
      const form = new FormData();
      form.append('to', current);
      form.append('type', kind);
      if (text.value) form.append('caption', text.value);
      form.append('file', chosen, chosen.name);
      return api('POST', path, { form });
    });
    if (!res) return;
    text.value = '';
    file.value = '';
    show(current);
  });

  block.addEventListener('click', async () => {
    const done = await busy(block, () => api('POST', `/sessions/${enc(sessionId)}/contacts/${enc(current)}/block`));
    if (done) { notify(`${chatName(current)} is blocked.`, 'success'); loadBlocked(); }
  });

  async function loadCalls() {
    try {
      const all = await listAll(`/sessions/${enc(sessionId)}/calls`, 2);
      fill(calls, all.length ? all.map((c) => {
        const item = h('li', { dataset: { call: c.call_id, status: c.status } },
          h('span', {}, `${c.video ? 'Video' : 'Voice'} call from ${chatName(c.from)} · ${fmtTime(c.created_at)} · `), statusBadge(c.status));
        if (c.status === 'ringing') {
          const reject = h('button', { type: 'button', class: 'danger' }, 'Reject');
          reject.addEventListener('click', async () => {
            const done = await busy(reject, () => api('POST', `/sessions/${enc(sessionId)}/calls/${enc(c.call_id)}/reject`));
            if (done) loadCalls();
          });
          item.append(reject);
        }
        return item;
      }) : h('li', { class: 'muted' }, 'No calls.'));
    } catch (e) { fill(calls, h('li', { class: 'error', role: 'alert' }, e.message)); }
  }

  async function loadBlocked() {
    try {
      const { data } = await api('GET', `/sessions/${enc(sessionId)}/blocklist`);
      fill(blocked, data.length ? data.map((b) => {
        const who = b.phone_jid || b.lid || b.jid;
        const unblock = h('button', { type: 'button' }, 'Unblock');
        unblock.addEventListener('click', async () => {
          const done = await busy(unblock, () => api('POST', `/sessions/${enc(sessionId)}/contacts/${enc(who)}/unblock`));
          if (done) loadBlocked();
        });
        return h('li', { dataset: { jid: who } }, h('span', {}, chatName(who)), unblock);
      }) : h('li', { class: 'muted' }, 'Nobody is blocked.'));
    } catch (e) { fill(blocked, h('li', { class: 'muted' }, `The blocklist needs a WORKING session (${e.message}).`)); }
  }

  const unsubscribe = stream.on((ev) => {
    if (ev.session_id !== sessionId) return;
    if (ev.type === 'message.received' || ev.type === 'message.sent') {
      loadChats();
      const d = ev.data || {};
      if (current && [d.chat, d.to].includes(current)) show(current);
    } else if (ev.type === 'chat.updated' || ev.type === 'channel.message') {
      loadChats();
      if (current && ev.data && ev.data.chat === current && ev.type === 'channel.message') show(current);
    } else if (ev.type.startsWith('call.')) {
      loadCalls();
    } else if (ev.type === 'blocklist.updated') {
      loadBlocked();
    }
  });
  loadChats();
  loadCalls();
  loadBlocked();
  return unsubscribe;
}
