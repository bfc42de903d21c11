// Send a text and an image, and wait until both are delivered.
//   node examples/javascript/send.mjs TO [IMAGE_FILE]      (TO: +4915100000001, a JID or a group JID)
import { readFileSync } from 'node:fs';
import createClient from 'openapi-fetch';

const client = createClient({
  baseUrl: process.env.WARAS_URL ?? 'http://127.0.0.1:8080',
  headers: { Authorization: `Bearer ${process.env.WARAS_KEY}` },
});
const session_id = process.env.SESSION_ID;
const to = process.argv[2];
// A 1x1 PNG unless a file is given.
const image = process.argv[3] ? readFileSync(process.argv[3])
  : Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==', 'base64');

const sends = [
  { to, type: 'text', text: 'Hello from JavaScript' },
  { to, type: 'image', image: { data: image.toString('base64'), mimetype: 'image/png' }, caption: 'a picture from JavaScript' },
];
for (const body of sends) {
  const { data: accepted, error } = await client.POST('/api/v1/sessions/{session_id}/messages', {
    params: { path: { session_id }, header: { 'Idempotency-Key': crypto.randomUUID() } }, // a retry with the same key sends once
    body,
  });
  if (error) throw new Error(`${error.code}: ${error.detail}`);
  console.log('accepted', accepted.id, accepted.status);
  let message;
  for (let i = 0; i < 30; i++) {
    ({ data: message } = await client.GET('/api/v1/sessions/{session_id}/messages/{message_id}', {
      params: { path: { session_id, message_id: accepted.id } },
    }));
    if (['delivered', 'read', 'failed'].includes(message.status)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log(accepted.id, message.type, message.status);
}
