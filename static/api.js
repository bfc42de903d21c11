// The REST client: the key from sessionStorage, JSON in and out, problem+json errors as ApiError.

const KEY = 'waras.key';
const KIND = 'waras.kind';

export const auth = {
  get key() { return sessionStorage.getItem(KEY) || ''; },
  /** 'admin' or 'tenant'. */
  get kind() { return sessionStorage.getItem(KIND) || ''; },
  set(key, kind) {
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(KIND, kind);
  },
  clear() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(KIND);
  },
};

/** An error answer of the API, readable as a sentence. */
export class ApiError extends Error {
  constructor(status, problem, statusText) {
    const p = problem || {};
    const what = p.detail || p.title || statusText || 'request failed';
    const tail = status ? ` (HTTP ${status}${p.code ? `, ${p.code}` : ''})` : '';
    super(`${what.charAt(0).toUpperCase()}${what.slice(1)}${tail}`);
    this.status = status;
    this.code = p.code || '';
    this.problem = p;
  }
}

/** Listeners told when a request answers 401 (the key was revoked or has expired). */
const unauthorizedListeners = new Set();
export function onUnauthorized(fn) {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

/**
 * Calls `/api/v1{path}`. Options: body (sent as JSON), form (a FormData, sent as multipart), headers, accept (a non-JSON type returns a Blob),
 * key (overrides the stored key, for signing in).
 */
export async function api(method, path, opts = {}) {
  const headers = { Authorization: `Bearer ${opts.key ?? auth.key}`, ...(opts.headers || {}) };
  if (opts.accept) headers.Accept = opts.accept;
  let body;
  if (opts.form !== undefined) {
    body = opts.form; // multipart/form-data: the browser sets the boundary
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { detail: `cannot reach the service (${e.message})` });
  }
  const type = res.headers.get('content-type') || '';
  if (!res.ok) {
    let problem = null;
    if (type.includes('json')) problem = await res.json().catch(() => null);
    else problem = { detail: (await res.text().catch(() => '')).slice(0, 200) || undefined };
    if (res.status === 401 && opts.key === undefined) unauthorizedListeners.forEach((fn) => fn());
    throw new ApiError(res.status, problem, res.statusText);
  }
  if (res.status === 204) return null;
  if (opts.accept && !opts.accept.includes('json')) return res.blob();
  if (type.includes('json')) return res.json();
  return res.text();
}

/** Every item of a paginated list (bounded, so a huge tenant cannot hang the page). */
export async function listAll(path, maxPages = 20) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const q = `${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await api('GET', `${path}${q}`);
    items.push(...res.data);
    cursor = res.next_cursor;
    if (!cursor) break;
  }
  return items;
}

export const enc = encodeURIComponent;
