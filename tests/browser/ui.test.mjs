// Drives the bundled web UI in headless Chromium against a real `waras serve` (temp SQLite data dir).
// Run: `node --test tests/browser/` (WARAS_BIN defaults to target/debug/waras). Needs /usr/bin/chromium
// (apt-get install -y chromium) and `npm ci` in tests/browser.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const shots = path.join(repo, 'docs/screenshots');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const BIN = path.resolve(repo, process.env.WARAS_BIN || 'target/debug/waras');
const ADMIN_KEY = process.env.WARAS_ADMIN_KEY || 'ui-test-admin-key-0123456789';

let server;
let serverLog = '';
let browser;
let page;
let base;
let dataDir;
let receiver;
let received = 0;
const pageErrors = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error(`waras exited with ${server.exitCode}:\n${serverLog}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`waras did not become ready within ${ms} ms:\n${serverLog}`);
}

/** The REST API directly, as another client would use it (to change things behind the UI's back). */
async function rest(key, method, p, body) {
  const res = await fetch(`${base}/api/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const shot = async (name) => {
  await page.evaluate(() => document.querySelectorAll('.notice:not(.error)').forEach((n) => n.remove()));
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
};

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (or set CHROMIUM_BIN)`);
  }
  if (!existsSync(BIN)) throw new Error(`the waras binary ${BIN} is missing: run \`cargo build\` or set WARAS_BIN`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core is missing: run \`npm ci\` in tests/browser (${e.message})`);
  }
  mkdirSync(shots, { recursive: true });

  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(200).end('ok');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));

  dataDir = mkdtempSync(path.join(tmpdir(), 'waras-ui-'));
  const configDir = path.join(dataDir, 'config');
  mkdirSync(configDir);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('WARAS_')) delete env[k];
  Object.assign(env, {
    WARAS_LISTEN: `127.0.0.1:${port}`,
    WARAS_DATA_DIR: path.join(dataDir, 'data'),
    WARAS_ADMIN_KEY: ADMIN_KEY,
    WARAS_WEBHOOK_ALLOW_PRIVATE: 'true',
    WARAS_LOG: 'warn',
  });
  // --sandbox: the service wired to an in-process WhatsApp sandbox (the test acts as the other people).
  server = spawn(BIN, ['--config-dir', configDir, 'serve', '--sandbox'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  await waitReady(`${base}/readyz`, 20000);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => { server.once('exit', r); setTimeout(r, 5000); });
  }
  receiver?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the web UI against a real service', async (t) => {
  let tenantKey;
  let sessionId;

  await t.test('the page and its files are served from the binary; unknown paths stay JSON 404s', async () => {
    const index = await fetch(`${base}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type'), /text\/html/);
    assert.match(index.headers.get('content-security-policy'), /default-src 'self'/);
    const js = await fetch(`${base}/ui/app.js`);
    assert.match(js.headers.get('content-type'), /javascript/);
    assert.equal((await fetch(`${base}/ui/app.js`, { headers: { 'If-None-Match': js.headers.get('etag') } })).status, 304);
    for (const p of ['/ui/nope.js', '/nope', '/ui/index.html']) {
      const res = await fetch(`${base}${p}`);
      assert.equal(res.status, 404, p);
      assert.match(res.headers.get('content-type'), /application\/problem\+json/, p);
    }
  });

  await t.test('a wrong key is refused with a readable message', async () => {
    await page.goto(base);
    await page.getByLabel('API key').fill('waras_notarealkey');
    await shot('sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('#sign-in-error');
    await error.waitFor();
    assert.match(await error.textContent(), /^[A-Z].*\(HTTP 401, unauthorized\)$/);
  });

  await t.test('the admin creates a tenant and a key for it; the key is shown once', async () => {
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    await page.getByText('No tenants yet').waitFor();
    await page.getByLabel('New tenant name').fill('acme');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    const row = page.locator('#tenant-list tr', { hasText: 'acme' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByRole('dialog').locator('input.secret');
    await secret.waitFor();
    tenantKey = await secret.inputValue();
    assert.match(tenantKey, /^waras_[A-Za-z0-9]{40}$/);
    await shot('tenant-key');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Stay admin' }).click();
    await shot('tenants');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
  });

  await t.test('the tenant signs in and creates a session, listed with its live status', async () => {
    await page.getByLabel('API key').fill(tenantKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await page.locator('#live-state.live').waitFor();
    await page.getByText('No sessions yet').waitFor();
    await page.getByLabel('New session name').fill('support');
    await page.getByRole('button', { name: 'Create session' }).click();
    const row = page.locator('#session-list tr', { hasText: 'support' });
    await row.waitFor();
    sessionId = await row.getAttribute('data-session');
    // Stopped behind the UI's back: the row follows the session.status event without a reload.
    await rest(tenantKey, 'POST', `/sessions/${sessionId}/stop`);
    await row.locator('.badge[data-status="STOPPED"]').waitFor();
    await row.getByRole('button', { name: 'Start', exact: true }).click();
    await row.locator('.badge:not([data-status="STOPPED"])').waitFor();
    await row.getByRole('button', { name: 'Stop', exact: true }).waitFor();
    await shot('sessions');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('sessions-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await t.test('the session page shows linking, and API errors as readable text', async () => {
    await page.locator('#session-list').getByRole('link', { name: 'support' }).click();
    await page.getByRole('heading', { name: 'support' }).waitFor();
    await page.locator('#linking, #not-linking, #linked').first().waitFor();
    await page.getByLabel('To', { exact: true }).fill('+4915123456789');
    await page.getByLabel('Text', { exact: true }).fill('hello from the browser test');
    await page.getByRole('button', { name: 'Send' }).click();
    // The session is not linked, so the service refuses (409 session_not_working, or 404 before
    // the messages endpoint exists): the problem's detail is shown, not a bare status.
    const notice = page.locator('.notice.error').first();
    await notice.waitFor();
    assert.match(await notice.textContent(), /\S.*\(HTTP 4\d\d, [a-z_]+\)/);
    await shot('session');
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.getByRole('dialog').count(), 0);
  });

  await t.test('linking for real on the sandbox: QR shown → the phone scans → WORKING → a text reaches the other person', async () => {
    const sandbox = async (p, body) => {
      const res = await fetch(`${base}/sandbox${p}`, body === undefined ? {} : {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      const text = await res.text();
      assert.ok(res.ok, `sandbox ${p}: ${res.status} ${text}`);
      return JSON.parse(text);
    };
    await sandbox('/accounts', { phone: '4915100000001', name: 'Alice' });
    await sandbox('/accounts', { phone: '4915100000002', name: 'Support Desk' });

    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    await page.getByLabel('New session name').fill('desk');
    await page.getByRole('button', { name: 'Create session' }).click();
    await page.locator('#session-list').getByRole('link', { name: 'desk' }).click();
    await page.getByRole('heading', { name: 'desk' }).waitFor();
    const img = page.locator('#qr-image');
    await img.waitFor({ timeout: 20000 });
    const box = await img.boundingBox();
    assert.ok(box.width >= 250, `the QR is shown large (${box.width}px)`);
    await page.getByText(/Expires in \d+ s/).waitFor();
    await shot('linking');

    // The account's phone scans the QR the page shows (the same one the API serves).
    const id = await page.evaluate(() => location.hash.split('/').pop());
    const qr = await (await fetch(`${base}/api/v1/sessions/${id}/qr`, {
      headers: { 'X-Api-Key': tenantKey, accept: 'application/json' },
    })).json();
    await sandbox('/accounts/4915100000002/scan', { qr: qr.code });
    await page.locator('#linked', { hasText: '+4915100000002' }).waitFor({ timeout: 20000 });
    assert.equal(await page.locator('#linking').count(), 0, 'the linking view is gone');

    // A text from the UI reaches Alice, decrypted on her phone; her answer appears live.
    await page.getByLabel('To', { exact: true }).fill('+4915100000001');
    await page.getByLabel('Text', { exact: true }).fill('hello from the browser');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('#messages li.out', { hasText: 'hello from the browser' }).waitFor();
    let inbox = [];
    for (let i = 0; i < 100 && !inbox.some((m) => m.text === 'hello from the browser'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      inbox = await sandbox('/accounts/4915100000001/messages');
    }
    assert.ok(inbox.some((m) => m.text === 'hello from the browser'), `Alice's inbox: ${JSON.stringify(inbox)}`);
    await page.locator('#messages li.out .badge[data-status="delivered"], #messages li.out .badge[data-status="read"]').first().waitFor();
    await sandbox('/accounts/4915100000001/messages', { to: '4915100000002', text: 'hi back' });
    await page.locator('#messages li.in', { hasText: 'hi back' }).waitFor();
    await shot('session-linked');
  });

  await t.test('a template made on the Templates page, sent from the session page 3 s later: listed as scheduled, then delivered filled', async () => {
    await page.getByRole('link', { name: 'Templates', exact: true }).click();
    await page.getByRole('heading', { name: 'Templates' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('greeting');
    await page.getByLabel('Text', { exact: true }).fill('Hello {{first_name}}, {{closing|see you soon}}');
    await page.getByRole('button', { name: 'Create template' }).click();
    const card = page.locator('article.template', { hasText: 'greeting' });
    await card.waitFor();
    assert.equal(await card.locator('code.tag').allTextContents().then((t) => t.join(',')), 'closing,first_name');
    // A malformed placeholder is refused with the service's reason.
    await page.getByLabel('Name', { exact: true }).fill('broken');
    await page.getByLabel('Text', { exact: true }).fill('Hello {{first_name');
    await page.getByRole('button', { name: 'Create template' }).click();
    await page.locator('.notice.error', { hasText: 'never closed' }).waitFor();
    await shot('templates');
    await page.locator('.notice.error', { hasText: 'never closed' }).getByRole('button', { name: 'Dismiss' }).click();

    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    await page.locator('#session-list').getByRole('link', { name: 'desk' }).click();
    await page.locator('#linked').waitFor({ timeout: 20000 });
    await page.getByLabel('To', { exact: true }).fill('+4915100000001');
    await page.getByLabel('Template').selectOption({ label: 'greeting' });
    await page.getByLabel(/Variables/).fill('first_name=Alice');
    const at = new Date(Date.now() + 4000);
    const local = new Date(at.getTime() - at.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
    await page.getByLabel(/Send at/).fill(local);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const waiting = page.locator('#scheduled li', { hasText: 'Hello Alice, see you soon' });
    await waiting.waitFor();
    await shot('scheduled');
    const inbox = async () => (await fetch(`${base}/sandbox/accounts/4915100000001/messages`)).json();
    assert.ok(!(await inbox()).some((m) => m.text === 'Hello Alice, see you soon'), 'not sent before its time');
    await waiting.waitFor({ state: 'detached', timeout: 20000 });
    assert.ok(Date.now() >= at.getTime() - 1000, 'left the scheduled list at its time');
    let got = [];
    for (let i = 0; i < 100 && !got.some((m) => m.text === 'Hello Alice, see you soon'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      got = await inbox();
    }
    assert.ok(got.some((m) => m.text === 'Hello Alice, see you soon'), `Alice's inbox: ${JSON.stringify(got)}`);
  });

  await t.test('a campaign from the Campaigns page: two recipients from CSV, live progress to completed, each got the template filled', async () => {
    const post = (p, body) => fetch(`${base}/sandbox${p}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.ok((await post('/accounts', { phone: '4915100000004', name: 'Bob' })).ok);
    await page.getByRole('link', { name: 'Campaigns', exact: true }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('welcome wave');
    await page.locator('#cmp-sessions input[type=checkbox]').first().check();
    await page.locator('#cmp-template').selectOption({ label: 'greeting' });
    await page.locator('#cmp-recipients').fill('to,first_name\n+4915100000001,Alice\n+4915100000004,Bob');
    await page.locator('#cmp-rate').fill('30');
    await page.locator('#cmp-typing').check();
    await page.getByRole('button', { name: 'Start campaign' }).click();
    const card = page.locator('article.campaign', { hasText: 'welcome wave' });
    await card.waitFor();
    await card.locator('[data-count="sent"], [data-count="delivered"]').first().waitFor();
    await page.locator('article.campaign[data-status="completed"]', { hasText: 'welcome wave' }).waitFor({ timeout: 30000 });
    await card.locator('details.recipients summary').click();
    await card.locator('table.recipients tbody tr').nth(1).waitFor();
    await shot('campaigns');
    const bob = await (await fetch(`${base}/sandbox/accounts/4915100000004/messages`)).json();
    assert.ok(bob.some((m) => m.text === 'Hello Bob, see you soon'), `Bob's inbox: ${JSON.stringify(bob)}`);
  });

  await t.test('a keyword rule from the Rules page answers Alice once', async () => {
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    await page.getByRole('heading', { name: 'Rules' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('prices');
    await page.locator('#rule-keyword').fill('price');
    await page.locator('#rule-reply').fill('Hi {{name}}, our price list is on the way');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.locator('article.rule', { hasText: 'prices' }).waitFor();
    const send = await fetch(`${base}/sandbox/accounts/4915100000001/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: '4915100000002', text: 'What is the price?' }),
    });
    assert.ok(send.ok);
    let got = [];
    for (let i = 0; i < 100 && !got.some((m) => m.text === 'Hi Alice, our price list is on the way'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      got = await (await fetch(`${base}/sandbox/accounts/4915100000001/messages`)).json();
    }
    assert.equal(got.filter((m) => m.text === 'Hi Alice, our price list is on the way').length, 1, `Alice's inbox: ${JSON.stringify(got)}`);
    await shot('rules');
  });

  await t.test('the chat view: history with an image preview, sending a file, a call rejected, Alice blocked', async () => {
    const sandboxPost = (p, body) => fetch(`${base}/sandbox${p}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    // A 1×1 PNG from Alice, so the history has an image to preview.
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    assert.ok((await sandboxPost('/accounts/4915100000001/messages', { to: '4915100000002', image: { data: png, mimetype: 'image/png' }, caption: 'our shop' })).ok);
    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    await page.locator('#session-list').getByRole('link', { name: 'desk' }).click();
    await page.locator('#open-chats').click();
    await page.getByRole('heading', { name: 'Chats', exact: true, level: 1 }).waitFor();
    await page.locator('#chat-list li[data-chat^="4915100000001@"] button').click();
    await page.locator('#chat-history img.preview').waitFor({ timeout: 20000 });
    await page.locator('#chat-history .msg.out').first().waitFor();
    await page.locator('#chat-text').fill('a price list');
    await page.locator('#chat-file').setInputFiles({ name: 'prices.txt', mimeType: 'text/plain', buffer: Buffer.from('10 EUR') });
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    let got = [];
    for (let i = 0; i < 100 && !got.some((m) => m.type === 'document'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      got = await (await fetch(`${base}/sandbox/accounts/4915100000001/messages`)).json();
    }
    assert.ok(got.some((m) => m.type === 'document' && m.caption === 'a price list'), `Alice's inbox: ${JSON.stringify(got)}`);

    const ring = await (await sandboxPost('/accounts/4915100000001/calls', { to: '4915100000002' })).json();
    const ringing = page.locator(`#call-list li[data-call="${ring.id}"][data-status="ringing"]`);
    await ringing.waitFor({ timeout: 20000 });
    await ringing.getByRole('button', { name: 'Reject' }).click();
    await page.locator(`#call-list li[data-call="${ring.id}"][data-status="rejected"]`).waitFor();
    // Pinned from the conversation, then archived on the phone: the list shows both, live.
    await page.locator('#chat-actions button[data-action="pin"]').click();
    await page.locator('#chat-list li[data-chat^="4915100000001@"] [data-mark="pinned"]').waitFor({ timeout: 20000 });
    await page.locator('#chat-actions button[data-action="unpin"]').waitFor();
    assert.ok((await sandboxPost('/accounts/4915100000002/chats/4915100000001@s.whatsapp.net/archive', {})).ok);
    await page.locator('#chat-list li[data-chat^="4915100000001@"] [data-mark="archived"]').waitFor({ timeout: 20000 });
    await page.locator('#chat-block').click();
    await page.locator('#blocked-list li', { hasText: '+4915100000001' }).waitFor();
    await shot('chats');
    await page.locator('#blocked-list li', { hasText: '+4915100000001' }).getByRole('button', { name: 'Unblock' }).click();
    await page.locator('#blocked-list li', { hasText: 'Nobody is blocked' }).waitFor();
  });

  await t.test('linking by pairing code on the sandbox: the code is shown, the phone enters it, WORKING', async () => {
    const res = await fetch(`${base}/sandbox/accounts`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: '4915100000003', name: 'Front Desk' }),
    });
    assert.ok(res.ok);
    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    await page.getByLabel('New session name').fill('paired');
    await page.getByRole('button', { name: 'Create session' }).click();
    await page.locator('#session-list').getByRole('link', { name: 'paired' }).click();
    await page.locator('#qr-image').waitFor({ timeout: 20000 });
    await page.getByRole('button', { name: 'Pairing code' }).click();
    await page.getByLabel('Phone number of the account').fill('+49 151 00000003');
    await page.getByRole('button', { name: 'Get pairing code' }).click();
    const code = (await page.locator('#pair-code strong').textContent({ timeout: 20000 })).trim();
    assert.match(code, /^[A-Z0-9]{4}-?[A-Z0-9]{4}$/);
    const entered = await fetch(`${base}/sandbox/accounts/4915100000003/link-code`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }),
    });
    assert.ok(entered.ok, await entered.text());
    await page.locator('#linked', { hasText: '+4915100000003' }).waitFor({ timeout: 20000 });
  });

  await t.test('a webhook: bad input is explained, the secret is shown once, deliveries are listed', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText('No webhooks yet').waitFor();
    await page.getByLabel('URL').fill('ftp://example.com/x');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const notice = page.locator('.notice.error').first();
    await notice.waitFor();
    assert.match(await notice.textContent(), /^Url: .*\(HTTP 400, invalid_request\)/);
    await notice.getByRole('button', { name: 'Dismiss' }).click();

    const url = `http://127.0.0.1:${receiver.address().port}/hook`;
    await page.getByLabel('URL').fill(url);
    await page.getByLabel(/^Events/).fill('*');
    await page.getByLabel('Session').selectOption({ label: 'support' });
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const secret = page.getByRole('dialog').locator('input.secret');
    await secret.waitFor();
    assert.match(await secret.inputValue(), /^whsec_/);
    await shot('webhook-secret');
    await page.getByRole('button', { name: 'Done' }).click();
    const card = page.locator('article.webhook', { hasText: url });
    await card.waitFor();
    await page.locator('input.secret').waitFor({ state: 'detached' });
    await page.reload();
    await card.waitFor();
    assert.equal(await page.getByText(/whsec_/).count(), 0, 'the secret is not shown again');

    // An event after the webhook exists is delivered to the receiver and listed.
    await rest(tenantKey, 'POST', `/sessions/${sessionId}/restart`);
    const until = Date.now() + 15000;
    while (received === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.ok(received > 0, 'the receiver got a delivery');
    await card.getByRole('button', { name: 'Deliveries' }).click();
    await card.locator('tr[data-delivery]').first().waitFor();
    await shot('webhooks');
  });

  await t.test('the event log shows session.status events, filters and pauses', async () => {
    await page.getByRole('link', { name: 'Event log' }).click();
    await page.getByRole('heading', { name: 'Event log' }).waitFor();
    await page.locator('#event-log li[data-type="session.status"]').first().waitFor();
    await page.getByLabel('Type').selectOption('session.status');
    assert.equal(await page.locator('#event-log li:not([data-type="session.status"])').count(), 0);
    await page.getByLabel('Session', { exact: true }).selectOption({ label: 'support' });
    const before = await page.locator('#event-log li').count();
    await page.getByRole('button', { name: 'Pause' }).click();
    await rest(tenantKey, 'POST', `/sessions/${sessionId}/stop`);
    await page.getByText(/Paused — \d+ new/).waitFor();
    assert.equal(await page.locator('#event-log li').count(), before, 'paused: nothing added');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('#event-log li').nth(before).waitFor();
    await page.locator('#event-log li details').first().click();
    await shot('events');
  });

  await t.test('the tenant makes and revokes a key and finds it in the audit log; the admin sets quotas, suspends and resumes', async () => {
    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Name').fill('reporting');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByRole('dialog').locator('input.secret');
    await secret.waitFor();
    assert.match(await secret.inputValue(), /^waras_/);
    await page.getByRole('button', { name: 'Done' }).click();
    const row = page.locator('#key-list tr', { hasText: 'reporting' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await row.waitFor({ state: 'detached' });
    await shot('keys');

    await page.getByRole('link', { name: 'Audit', exact: true }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByLabel('Action').fill('DELETE /api/v1/keys/{key_id}');
    const revoked = page.locator('#audit-rows tr[data-status="204"]', { hasText: 'DELETE /api/v1/keys/' });
    for (let i = 0; i < 50 && !(await revoked.count()); i++) {
      await page.getByRole('button', { name: 'Filter' }).click();
      await new Promise((r) => setTimeout(r, 100));
    }
    await revoked.first().waitFor();
    await shot('audit');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const acme = page.locator('#tenant-list tr', { hasText: 'acme' });
    await acme.locator('.tenant-status', { hasText: 'active' }).waitFor();
    await acme.getByRole('button', { name: 'Quotas' }).click();
    await page.getByRole('dialog').getByLabel('Sessions').fill('5');
    await page.getByRole('dialog').getByRole('button', { name: 'Save quotas' }).click();
    await acme.locator('.tenant-usage', { hasText: /sessions \d+ \/ 5/ }).waitFor();
    await acme.getByRole('button', { name: 'Suspend' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
    await acme.locator('.tenant-status', { hasText: 'suspended' }).waitFor();
    await shot('tenants');
    const refused = await fetch(`${base}/api/v1/sessions`, { headers: { authorization: `Bearer ${tenantKey}` } });
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).code, 'tenant_suspended');
    await acme.getByRole('button', { name: 'Resume' }).click();
    await acme.locator('.tenant-status', { hasText: 'active' }).waitFor();
    const back = await fetch(`${base}/api/v1/sessions`, { headers: { authorization: `Bearer ${tenantKey}` } });
    assert.equal(back.status, 200);
  });

  await t.test('the API reference at /docs renders every operation from /openapi.json', async () => {
    await page.goto(`${base}/docs`);
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'WARAS' }).waitFor();
    await page.locator('.opblock-tag', { hasText: 'messages' }).first().waitFor();
    await page.locator('.opblock-post').first().waitFor();
    const spec = await (await fetch(`${base}/openapi.json`)).json();
    const operations = Object.values(spec.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    assert.equal(await page.locator('.opblock').count(), operations);
    await shot('api-reference');
    await page.goto(base);
  });

  await t.test('signing out forgets the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('waras.key')), null);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });
});
