// Independent-client check: Baileys 7 against the WARAS sandbox. Links by QR through the admin
// API, sends a text to another account's phone, receives one from it, prints that phone's inbox.
//   npm install baileys@7.0.0-rc14   (in any scratch directory; run this file from there)
//   cargo run --features sandbox --example sandbox -- --listen 127.0.0.1:9191
//   curl -XPOST …/sandbox/accounts -d '{"phone":"15551110001"}' (and one for the peer)
//   node link.mjs <ws_url> <admin_url> <root_public_key> <phone> <peer_phone>
import makeWASocket, { useMultiFileAuthState, WA_CERT_DETAILS, DisconnectReason } from 'baileys'
import pino from 'pino'
import fs from 'fs'

const [wsUrl, adminUrl, rootKey, phone, peer] = process.argv.slice(2)
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(rootKey, 'base64')
const dir = './baileys-auth-' + phone
const post = (path, body) => fetch(adminUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
const log = (...a) => console.log(new Date().toISOString(), ...a)
let scannedAt = 0
let sent = false

async function start() {
  const { state, saveCreds } = await useMultiFileAuthState(dir)
  const sock = makeWASocket({ auth: state, waWebSocketUrl: wsUrl, logger: pino({ level: process.env.BLOG || 'warn' }), version: [2, 3000, 1023223821] })
  sock.ev.on('creds.update', saveCreds)
  sock.ev.on('connection.update', async (u) => {
    if (u.qr) {
      log('QR', u.qr.slice(0, 20) + '…')
      const r = await post(`/accounts/${phone}/scan`, { qr: u.qr })
      scannedAt = Date.now()
      log('scan', r.status, await r.text())
    }
    if (u.connection === 'open') {
      log('OPEN', scannedAt ? `${Date.now() - scannedAt} ms after scan` : '')
      if (!sent) {
        sent = true
        const m = await sock.sendMessage(peer + '@s.whatsapp.net', { text: 'hello from baileys' })
        log('sent', m.key.id)
        const r = await post(`/accounts/${peer}/messages`, { to: phone, text: 'hello baileys, from the phone' })
        log('phone send', r.status, await r.text())
      }
    }
    if (u.connection === 'close') {
      const code = u.lastDisconnect?.error?.output?.statusCode
      log('CLOSE', code, u.lastDisconnect?.error?.message)
      if (code !== DisconnectReason.loggedOut) start()
    }
  })
  sock.ev.on('messages.upsert', ({ messages }) => {
    for (const m of messages) log('UPSERT', m.key.remoteJid, m.key.fromMe, m.message?.conversation ?? m.message?.extendedTextMessage?.text ?? Object.keys(m.message || {}))
  })
  sock.ev.on('messages.update', (ups) => { for (const u of ups) log('UPDATE', u.key.id, JSON.stringify(u.update)) })
}
start()
setTimeout(async () => {
  const r = await fetch(`${adminUrl}/accounts/${peer}/messages`)
  log('PEER PHONE INBOX', await r.text())
  process.exit(0)
}, 15000)
