// Entry point: sign-in, navigation and the hash router (#/sessions, #/sessions/<id>,
// #/sessions/<id>/chats, #/templates,
// #/campaigns, #/rules,
// #/webhooks, #/events, #/keys, #/audit for a tenant key; #/tenants and #/audit for the admin key).

import { api, auth, onUnauthorized } from './api.js';
import { h, fill, notify } from './dom.js';
import { stream } from './stream.js';
import { renderTenants } from './tenants.js';
import { renderSessions } from './sessions.js';
import { renderSession } from './session.js';
import { renderChats } from './chats.js';
import { renderTemplates } from './templates.js';
import { renderCampaigns } from './campaigns.js';
import { renderRules } from './rules.js';
import { renderWebhooks } from './webhooks.js';
import { renderEvents } from './events.js';
import { renderKeys } from './keys.js';
import { renderAudit } from './audit.js';

const view = document.getElementById('view');
const nav = document.getElementById('nav');
let cleanup = () => {};

const tenantRoutes = [
  { href: '#/sessions', label: 'Sessions' },
  { href: '#/templates', label: 'Templates' },
  { href: '#/campaigns', label: 'Campaigns' },
  { href: '#/rules', label: 'Rules' },
  { href: '#/webhooks', label: 'Webhooks' },
  { href: '#/events', label: 'Event log' },
  { href: '#/keys', label: 'Keys' },
  { href: '#/audit', label: 'Audit' },
];

function renderNav() {
  if (!auth.key) {
    fill(nav);
    return;
  }
  const links = auth.kind === 'admin'
    ? [{ href: '#/tenants', label: 'Tenants' }, { href: '#/audit', label: 'Audit' }]
    : tenantRoutes;
  const here = location.hash.split('/').slice(0, 2).join('/').replace(/^#?\/?$/, links[0].href);
  const live = h('span', { class: 'live', id: 'live-state', role: 'status' });
  const items = links.map((l) =>
    h('a', { href: l.href, 'aria-current': l.href === here ? 'page' : undefined }, l.label));
  const signOut = h('button', { type: 'button', class: 'link', id: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => signOutNow('Signed out.'));
  fill(nav, items, auth.kind === 'tenant' ? live : h('span', { class: 'muted' }, 'admin'), signOut);
  if (auth.kind === 'tenant') {
    const labels = { live: 'live', connecting: 'connecting…', reconnecting: 'reconnecting…', offline: 'offline' };
    const unsub = stream.onState((state, detail) => {
      if (!live.isConnected) return unsub();
      live.textContent = labels[state] || state;
      live.className = `live ${state}`;
      live.title = detail || 'Live event stream';
    });
  }
}

function signOutNow(message) {
  auth.clear();
  stream.stop();
  go('');
  if (message) notify(message);
}

function renderSignIn(root) {
  const input = h('input', {
    id: 'key', name: 'key', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false',
    placeholder: 'waras_… or the admin key',
  });
  const error = h('p', { class: 'error', id: 'sign-in-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    h('p', { class: 'muted' },
      'Use a tenant key (', h('code', {}, 'waras_…'), ') to manage sessions, webhooks and events, or the admin key ',
      '(', h('code', {}, 'data/admin.key'), ') to manage tenants. The key stays in this tab only.'),
    h('label', { for: 'key' }, 'API key'), input, error,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    error.hidden = true;
    submit.disabled = true;
    try {
      const kind = await identify(key);
      auth.set(key, kind);
      go(kind === 'admin' ? '#/tenants' : '#/sessions');
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  fill(root, form);
  input.focus();
}

/** Navigates; a hash change routes by itself, the same hash is rendered again. */
function go(hash) {
  if (location.hash.replace(/^#$/, '') === hash) route();
  else location.hash = hash;
}

/** Tells the admin key from a tenant key: only the admin key may list tenants. */
async function identify(key) {
  try {
    await api('GET', '/tenants?limit=1', { key });
    return 'admin';
  } catch (e) {
    if (e.status !== 403) throw e;
  }
  return 'tenant';
}

function route(ev) {
  const moved = Boolean(ev && ev.type === 'hashchange');
  cleanup();
  cleanup = () => {};
  renderNav();
  if (!auth.key) {
    renderSignIn(view);
    return;
  }
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  let fn;
  if (auth.kind === 'admin') {
    fn = parts[0] === 'audit' ? renderAudit : renderTenants;
  } else {
    stream.start();
    if (parts[0] === 'sessions' && parts[1] && parts[2] === 'chats') fn = (root) => renderChats(root, parts[1]);
    else if (parts[0] === 'sessions' && parts[1]) fn = (root) => renderSession(root, parts[1]);
    else if (parts[0] === 'templates') fn = renderTemplates;
    else if (parts[0] === 'campaigns') fn = renderCampaigns;
    else if (parts[0] === 'rules') fn = renderRules;
    else if (parts[0] === 'webhooks') fn = renderWebhooks;
    else if (parts[0] === 'events') fn = renderEvents;
    else if (parts[0] === 'keys') fn = renderKeys;
    else if (parts[0] === 'audit') fn = renderAudit;
    else fn = renderSessions;
  }
  view.replaceChildren();
  cleanup = fn(view) || (() => {});
  const heading = view.querySelector('h1');
  if (heading) {
    heading.tabIndex = -1;
    document.title = `${heading.textContent} · WARAS`;
    // Move focus to the new page's heading, so keyboard and screen-reader users start there.
    if (moved) heading.focus({ preventScroll: true });
  }
}

onUnauthorized(() => signOutNow('The key was rejected (revoked or expired); sign in again.'));
window.addEventListener('hashchange', route);
route();
