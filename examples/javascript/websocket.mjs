// Receive events live from the WebSocket stream.
//   node examples/javascript/websocket.mjs [AFTER_ID]
// Prints each event envelope: first the stored ones (all of them, or those after AFTER_ID), then
// each new one as it happens, with no gap and no duplicate. A browser cannot set the header: it asks
// POST /api/v1/events/ws-ticket for a single-use ticket and opens …/events/ws?ticket=… instead.
import WebSocket from 'ws';

const base = (process.env.WARAS_URL ?? 'http://127.0.0.1:8080').replace(/^http/, 'ws');
const url = `${base}/api/v1/events/ws${process.argv[2] ? `?after=${process.argv[2]}` : ''}`;
const ws = new WebSocket(url, { headers: { 'X-Api-Key': process.env.WARAS_KEY } });
ws.on('open', () => console.log('connected to', url));
ws.on('message', (frame) => { // one text frame = one event envelope
  const event = JSON.parse(frame.toString());
  console.log(event.id, event.type, event.session_id, JSON.stringify(event.data).slice(0, 200));
});
ws.on('close', (code, reason) => console.log('closed', code, reason.toString()));
ws.on('error', (e) => { console.error(e.message); process.exitCode = 1; });
