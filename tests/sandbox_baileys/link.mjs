// Independent-client check: Baileys 7 (npm registry) against the WARAS sandbox. Links by QR through
// the sandbox admin API, sends a text to another account's phone, receives one from it, and exits 0
// only when both arrived (1 otherwise, 2 on timeout). Run by `cargo test --features sandbox --test
// sandbox_baileys` (needs `npm ci` in this directory):
//   node link.mjs <ws_url> <admin_url> <root_public_key_base64> <phone> <peer_phone> <auth_dir>
import makeWASocket, { useMultiFileAuthState, WA_CERT_DETAILS, DisconnectReason } from 'baileys'
import pino from 'pino'

const [wsUrl, adminUrl, rootKey, phone, peer, authDir] = process.argv.slice(2)
// Baileys verifies the server's certificate chain against this root: point it at the sandbox's.
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(rootKey, 'base64')
const post = (path, body) => fetch(adminUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
const log = (...a) => console.log(new Date().toISOString(), ...a)
const OUT = 'hello from baileys'
const IN = 'hello baileys, from the phone'
let scannedAt = 0
let sent = false
let received = false

async function peerGotIt() {
  const r = await fetch(`${adminUrl}/accounts/${peer}/messages`)
  const inbox = await r.json()
  return inbox.some((m) => m.text === OUT)
}

async function finishIfDone() {
  if (received && (await peerGotIt())) {
    log('OK: both directions')
    process.exit(0)
  }
}

async function start() {
  const { state, saveCreds } = await useMultiFileAuthState(authDir)
  const sock = makeWASocket({ auth: state, waWebSocketUrl: wsUrl, logger: pino({ level: process.env.BLOG || 'warn' }), version: [2, 3000, 1023223821] })
  sock.ev.on('creds.update', saveCreds)
  sock.ev.on('connection.update', async (u) => {
    if (u.qr) {
      const r = await post(`/accounts/${phone}/scan`, { qr: u.qr })
      scannedAt = Date.now()
      log('scanned', r.status)
    }
    if (u.connection === 'open') {
      log('OPEN', scannedAt ? `${Date.now() - scannedAt} ms after the scan` : '')
      if (!sent) {
        sent = true
        const m = await sock.sendMessage(peer + '@s.whatsapp.net', { text: OUT })
        log('sent', m.key.id)
        const r = await post(`/accounts/${peer}/messages`, { to: phone, text: IN })
        log('phone sent', r.status)
      }
    }
    if (u.connection === 'close') {
      const code = u.lastDisconnect?.error?.output?.statusCode
      log('CLOSE', code, u.lastDisconnect?.error?.message)
      if (code === DisconnectReason.loggedOut) process.exit(1)
      start()
    }
  })
  sock.ev.on('messages.upsert', async ({ messages }) => {
    for (const m of messages) {
      const text = m.message?.conversation ?? m.message?.extendedTextMessage?.text
      if (!m.key.fromMe && text === IN) {
        log('received from the phone')
        received = true
      }
    }
    await finishIfDone()
  })
}

start()
setInterval(finishIfDone, 250)
setTimeout(() => {
  log(`TIMEOUT: received=${received} sent=${sent}`)
  process.exit(2)
}, 30000)
