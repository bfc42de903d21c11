// Receive events by webhook and verify each delivery's Standard Webhooks signature.
//   node examples/javascript/webhook-receiver.mjs [PORT]
// Registers http://127.0.0.1:PORT/ (default 8092) for every event of the tenant, prints each
// verified delivery, and removes the webhook on Ctrl-C. A webhook on 127.0.0.1 needs the service
// started with WARAS_WEBHOOK_ALLOW_PRIVATE=true.
import { createServer } from 'node:http';
import createClient from 'openapi-fetch';
import { Webhook } from 'standardwebhooks';

const client = createClient({
  baseUrl: process.env.WARAS_URL ?? 'http://127.0.0.1:8080',
  headers: { Authorization: `Bearer ${process.env.WARAS_KEY}` },
});
const port = Number(process.argv[2] ?? 8092);

const { data: hook, error } = await client.POST('/api/v1/webhooks', { body: { url: `http://127.0.0.1:${port}/`, events: ['*'] } });
if (error) throw new Error(`${error.code}: ${error.detail}`);
const verifier = new Webhook(hook.secret); // the secret (whsec_…) is shown only now

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      const event = verifier.verify(Buffer.concat(chunks).toString('utf8'), req.headers);
      console.log(event.id, event.type, JSON.stringify(event.data).slice(0, 200));
      res.writeHead(204).end();
    } catch (e) {
      console.log('REJECTED a delivery:', e.message);
      res.writeHead(401).end();
    }
  });
}).listen(port, '127.0.0.1', () => console.log('webhook', hook.id, 'listening on port', port));

process.on('SIGINT', async () => {
  await client.DELETE('/api/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: hook.id } } });
  console.log('webhook removed');
  process.exit(0);
});
