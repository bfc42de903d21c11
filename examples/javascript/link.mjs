// Link a WhatsApp account to a new session by QR code.
//   node examples/javascript/link.mjs [NAME]
// Saves each QR as qr.png for a real phone to scan (WhatsApp > Linked devices); with SANDBOX_PHONE
// set, that sandbox account's phone scans it instead. Prints the session id once it is WORKING.
// openapi-fetch is the TypeScript client's runtime: in TypeScript, createWarasClient from
// clients/typescript types every path, body and answer below.
import { writeFileSync } from 'node:fs';
import createClient from 'openapi-fetch';

const URL = process.env.WARAS_URL ?? 'http://127.0.0.1:8080';
const client = createClient({ baseUrl: URL, headers: { Authorization: `Bearer ${process.env.WARAS_KEY}` } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { data: created, error } = await client.POST('/api/v1/sessions', { body: { name: process.argv[2] ?? 'demo' } });
if (error) throw new Error(`${error.code}: ${error.detail}`);
const session_id = created.id;
console.log('session', session_id, created.status);
let shown;
for (;;) {
  const { data: session } = await client.GET('/api/v1/sessions/{session_id}', { params: { path: { session_id } } });
  if (session.status === 'WORKING') {
    console.log('WORKING as', session.me.phone_jid);
    console.log(`export SESSION_ID=${session_id}`);
    break;
  }
  if (['LOGGED_OUT', 'FAILED', 'STOPPED'].includes(session.status)) throw new Error(`session ${session.status}: ${session.status_reason}`);
  if (session.status === 'SCAN_QR') {
    const qr = await client.GET('/api/v1/sessions/{session_id}/qr', { params: { path: { session_id } }, headers: { Accept: 'application/json' } });
    if (qr.data && qr.data.code !== shown) {
      shown = qr.data.code;
      const png = await client.GET('/api/v1/sessions/{session_id}/qr', { params: { path: { session_id } }, headers: { Accept: 'image/png' }, parseAs: 'arrayBuffer' });
      writeFileSync('qr.png', Buffer.from(png.data));
      console.log('new QR saved to qr.png, valid until', qr.data.expires_at);
      if (process.env.SANDBOX_PHONE) {
        const phone = process.env.SANDBOX_PHONE;
        const res = await fetch(`${URL}/sandbox/accounts/${phone}/scan`, { method: 'POST', body: JSON.stringify({ qr: shown }) });
        if (!res.ok) throw new Error(`sandbox scan: ${res.status} ${await res.text()}`);
        console.log(`the sandbox phone ${phone} scanned it`);
      }
    }
  }
  await sleep(1000);
}
