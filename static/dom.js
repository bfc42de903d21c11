// Small DOM helpers shared by every view: element builder, dialogs, notices, formatting.

/** Builds an element: h('button', {class: 'x', onclick: fn}, 'text', child, [more]). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name in el && typeof value !== 'string') {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : value);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let noticeSeq = 0;

/** Shows a message in the notice area (an aria-live region); errors stay until dismissed. */
export function notify(message, kind = 'info') {
  const area = document.getElementById('notices');
  const id = `notice-${++noticeSeq}`;
  const close = h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss' }, '×');
  const item = h('div', { class: `notice ${kind}`, id, role: kind === 'error' ? 'alert' : 'status' },
    h('span', {}, message), close);
  close.addEventListener('click', () => item.remove());
  area.prepend(item);
  if (kind !== 'error') setTimeout(() => item.remove(), 5000);
  while (area.children.length > 3) area.lastElementChild.remove();
  return item;
}

/** A modal dialog; resolves with the value of the button that closed it ('' on Escape). */
export function dialog(title, body, buttons) {
  return new Promise((resolve) => {
    const actions = buttons.map(({ label, value, kind }) =>
      h('button', { type: 'submit', value, class: kind || '', formnovalidate: value === 'cancel' }, label));
    const form = h('form', { method: 'dialog' }, h('h2', {}, title), body, h('div', { class: 'actions' }, actions));
    const dlg = h('dialog', { 'aria-label': title }, form);
    document.body.append(dlg);
    dlg.addEventListener('close', () => {
      resolve(dlg.returnValue);
      dlg.remove();
    });
    dlg.showModal();
    const first = actions.find((b) => b.value === 'cancel') || actions[0];
    first.focus();
  });
}

/** Asks before something destructive; resolves true when confirmed. */
export async function confirmAction(title, message, confirmLabel) {
  const answer = await dialog(title, h('p', {}, message), [
    { label: 'Cancel', value: 'cancel' },
    { label: confirmLabel, value: 'ok', kind: 'danger' },
  ]);
  return answer === 'ok';
}

/** Shows a secret exactly once, with a copy button. */
export function showSecret(title, value, note) {
  const field = h('input', { type: 'text', readonly: true, value, class: 'secret', 'aria-label': title, spellcheck: 'false' });
  const copied = h('span', { class: 'muted', role: 'status' });
  const copy = h('button', { type: 'button', class: 'primary' }, 'Copy');
  copy.addEventListener('click', async () => {
    copied.textContent = (await copyText(field)) ? 'Copied.' : 'Select the text and copy it by hand.';
  });
  const body = h('div', {},
    h('p', {}, note, ' ', h('strong', {}, 'It is shown only this once.')),
    h('div', { class: 'row' }, field, copy), copied);
  return dialog(title, body, [{ label: 'Done', value: 'done' }]);
}

/** Copies an input's value; the Clipboard API needs a secure context, so fall back to selection. */
export async function copyText(input) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(input.value);
      return true;
    }
  } catch { /* fall through */ }
  input.select();
  try { return document.execCommand('copy'); } catch { return false; }
}

/** A random id that works outside secure contexts too (crypto.randomUUID does not). */
export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function statusBadge(status) {
  return h('span', { class: `badge s-${String(status || '').toLowerCase()}`, 'data-status': status || '' }, status || '—');
}

/** A phone number out of a JID ("4915…@s.whatsapp.net" → "+4915…"). */
export function phoneOf(jid) {
  if (!jid) return '';
  const user = String(jid).split('@')[0].split(':')[0];
  return /^\d+$/.test(user) ? `+${user}` : jid;
}

/** Runs an async action with its button disabled; errors become notices. Returns the result or undefined. */
export async function busy(button, action) {
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (e) {
    notify(e.message || String(e), 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
