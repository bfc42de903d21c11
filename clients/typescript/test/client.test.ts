// The generated TypeScript client against a real `waras serve --sandbox` (temporary SQLite data dir):
// link a session by QR through the sandbox, send a text and see it arrive on the other phone, get
// the answer back in the messages list, and receive it by a webhook verified with the official
// Standard Webhooks library. Run: `npm test --prefix clients/typescript` (WARAS_BIN defaults to
// target/debug/waras; build it with `cargo build --features sandbox --bin waras`).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { createWarasClient, type Schemas } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../../..');
const BIN = path.resolve(repo, process.env.WARAS_BIN || 'target/debug/waras');
const ADMIN_KEY = 'clients-ts-admin-key-0123456789';
const ALICE = '4915100000011';
const ME = '4915100000012';

let server: ChildProcess | undefined;
let serverLog = '';
let base = '';
let dataDir = '';
let receiver: Server | undefined;
let receiverUrl = '';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}
const deliveries: Delivery[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 30000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n--- waras log ---\n${serverLog}`);
    await sleep(150);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The sandbox's admin API (not part of the OpenAPI document): the other people's phones. */
async function sandbox(p: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}/sandbox${p}`, body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `sandbox ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

before(async () => {
  if (!existsSync(BIN)) {
    throw new Error(`the waras binary ${BIN} is missing: run \`cargo build --features sandbox --bin waras\` or set WARAS_BIN`);
  }
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/hook`;

  dataDir = mkdtempSync(path.join(tmpdir(), 'waras-ts-client-'));
  mkdirSync(path.join(dataDir, 'config'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WARAS_')) env[k] = v;
  Object.assign(env, {
    WARAS_LISTEN: `127.0.0.1:${port}`,
    WARAS_DATA_DIR: path.join(dataDir, 'data'),
    WARAS_ADMIN_KEY: ADMIN_KEY,
    WARAS_WEBHOOK_ALLOW_PRIVATE: 'true',
    WARAS_LOG: 'warn',
  });
  const child = spawn(BIN, ['--config-dir', path.join(dataDir, 'config'), 'serve', '--sandbox'], {
    env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  server = child;
  child.stdout!.on('data', (d) => { serverLog += d; });
  child.stderr!.on('data', (d) => { serverLog += d; });
  await eventually('waras to be ready', async () => {
    if (child.exitCode !== null) throw new Error(`waras exited with ${child.exitCode}:\n${serverLog}`);
    try {
      return (await fetch(`${base}/readyz`)).ok ? true : undefined;
    } catch {
      return undefined;
    }
  }, 20000);
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
  }
  receiver?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the typed TypeScript client against waras serve --sandbox', { timeout: 120000 }, async () => {
  // The admin makes a tenant and a key for it.
  const admin = createWarasClient({ baseUrl: base, apiKey: ADMIN_KEY });
  const tenant = await admin.POST('/api/v1/tenants', { body: { name: 'ts-client' } });
  assert.equal(tenant.response.status, 201, JSON.stringify(tenant.error));
  const created = await admin.POST('/api/v1/tenants/{tenant_id}/keys', {
    params: { path: { tenant_id: tenant.data!.id } },
    body: { name: 'ts', scopes: ['read', 'send', 'manage'] },
  });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  assert.match(created.data!.key, /^waras_/);
  const client = createWarasClient({ baseUrl: base, apiKey: created.data!.key });

  // A wrong key: the error is the typed problem document.
  const refused = await createWarasClient({ baseUrl: base, apiKey: 'waras_wrong' }).GET('/api/v1/sessions');
  assert.equal(refused.response.status, 401);
  assert.equal(refused.error?.code, 'unauthorized');

  await sandbox('/accounts', { phone: ALICE, name: 'Alice' });
  await sandbox('/accounts', { phone: ME, name: 'Me' });

  // The session, linked by QR: the sandbox account's phone scans the code the API serves.
  const session = await client.POST('/api/v1/sessions', { body: { name: 'ts-demo' } });
  assert.equal(session.response.status, 201, JSON.stringify(session.error));
  const session_id = session.data!.id;
  const qr = await eventually('the QR code', async () => {
    const r = await client.GET('/api/v1/sessions/{session_id}/qr', {
      params: { path: { session_id } },
      headers: { Accept: 'application/json' },
    });
    // The 200 answer's type is the union of the JSON, SVG and PNG forms; asked for JSON, it is QrCode.
    return r.data !== undefined && typeof r.data === 'object' && !Array.isArray(r.data) ? r.data : undefined;
  });
  assert.ok(qr.code.length > 20, `a QR string: ${qr.code}`);
  await sandbox(`/accounts/${ME}/scan`, { qr: qr.code });
  const linked = await eventually('the session to be WORKING', async () => {
    const r = await client.GET('/api/v1/sessions/{session_id}', { params: { path: { session_id } } });
    return r.data?.status === 'WORKING' ? r.data : undefined;
  });
  assert.match(linked.me?.phone_jid ?? '', new RegExp(`^${ME}`));

  // The webhook, before anything is received; its secret is shown once.
  const hook = await client.POST('/api/v1/webhooks', {
    body: { url: receiverUrl, events: ['message.received'], session_id },
  });
  assert.equal(hook.response.status, 201, JSON.stringify(hook.error));
  const secret = hook.data!.secret!;
  assert.match(secret, /^whsec_/);

  // A text to Alice: accepted (202), then on her phone, then delivered.
  const body: Schemas['SendMessage'] = { to: `+${ALICE}`, type: 'text', text: 'hello from the TypeScript client' };
  const sent = await client.POST('/api/v1/sessions/{session_id}/messages', {
    params: { path: { session_id } },
    body,
  });
  assert.equal(sent.response.status, 202, JSON.stringify(sent.error));
  assert.ok(['queued', 'sent'].includes(sent.data!.status), sent.data!.status);
  await eventually('the text on Alice\'s phone', async () => {
    const inbox: { text?: string }[] = await sandbox(`/accounts/${ALICE}/messages`);
    return inbox.find((m) => m.text === 'hello from the TypeScript client');
  });
  await eventually('the send to be delivered', async () => {
    const r = await client.GET('/api/v1/sessions/{session_id}/messages/{message_id}', {
      params: { path: { session_id, message_id: sent.data!.id } },
    });
    return r.data && ['delivered', 'read'].includes(r.data.status) ? r.data : undefined;
  });

  // Alice answers: the message is in the list, and the webhook brought it, signed.
  await sandbox(`/accounts/${ALICE}/messages`, { to: ME, text: 'hi back, TypeScript' });
  const answer = await eventually('the answer in the messages list', async () => {
    const r = await client.GET('/api/v1/sessions/{session_id}/messages', { params: { path: { session_id } } });
    return r.data?.data.find((m) => !m.from_me && m.text === 'hi back, TypeScript');
  });
  assert.equal(answer.status, 'received');
  assert.match(answer.from_phone ?? answer.from, new RegExp(ALICE));

  const delivery = await eventually('the signed webhook delivery', async () => deliveries.find((d) => d.body.includes('hi back, TypeScript')));
  const verifier = new Webhook(secret);
  const headers = {
    'webhook-id': String(delivery.headers['webhook-id']),
    'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
    'webhook-signature': String(delivery.headers['webhook-signature']),
  };
  const envelope = verifier.verify(delivery.body, headers) as Schemas['Envelope'];
  assert.equal(envelope.type, 'message.received');
  assert.equal(envelope.session_id, session_id);
  assert.equal(envelope.id, headers['webhook-id']);
  assert.equal((envelope.data as { text?: string }).text, 'hi back, TypeScript');
  // The same check refuses a body that was changed, and another secret.
  assert.throws(() => verifier.verify(delivery.body.replace('hi back', 'hi BACK'), headers));
  assert.throws(() => new Webhook(`whsec_${Buffer.from('another secret, 32 bytes long!!').toString('base64')}`).verify(delivery.body, headers));
});
