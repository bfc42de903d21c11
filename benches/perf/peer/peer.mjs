// The peer of the WARAS performance harness (benches/perf): N Baileys sockets in this one Node.js
// process against the WARAS sandbox, each linked by QR to its own sandbox account through the
// sandbox admin API. Measures what the harness measures for WARAS and prints one JSON line
// {"result": {...}} on stdout (progress goes to stderr). Run by the harness as
//   node --expose-gc peer.mjs <config.json>
// config: {ws_url, admin_url, root_public_key, phones[], sinks[], auth_dir, link_concurrency,
//          link_timeout_secs, settle_secs, idle_secs, send_secs, send_concurrency}
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import makeWASocket, { useMultiFileAuthState, WA_CERT_DETAILS, DisconnectReason } from 'baileys'
import pino from 'pino'

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'))
// Baileys verifies the server's certificate chain against this root: the sandbox's.
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(cfg.root_public_key, 'base64')
const logger = pino({ level: process.env.PERF_PEER_LOG || 'silent' })
const VERSION = [2, 3000, 1023223821]
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const progress = (...a) => console.error(new Date().toISOString(), 'peer:', ...a)
const post = (path, body) =>
  fetch(cfg.admin_url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

// Scans a QR with the account's phone. The sandbox can be busy linking many devices at once, so
// a failed or refused scan is tried again a few times (the QR stays valid for its whole window).
async function scan(phone, qr) {
  for (let attempt = 1; attempt <= 8; attempt++) {
    try {
      const r = await post(`/accounts/${phone}/scan`, { qr })
      if (r.ok) return true
      progress(phone, 'scan answered', r.status, (await r.text()).slice(0, 200))
    } catch (e) {
      progress(phone, 'scan failed:', e?.message || e)
    }
    await sleep(500 * attempt)
  }
  return false
}

function rss() {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))
  return Number(m[1]) * 1024
}

// Lets the process settle and collects garbage, so a reading is what the process keeps.
async function settle(secs) {
  await sleep(secs * 1000)
  globalThis.gc?.()
  await sleep(300)
  globalThis.gc?.()
}

// Settles like `promise`, or rejects with "<what> timed out" after `secs`.
async function within(promise, secs, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out`)), secs * 1000)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length, Math.max(1, Math.ceil(sorted.length * p))) - 1] : null)

class Peer {
  constructor(i, phone, sink) {
    this.i = i
    this.phone = phone
    this.sink = sink
    this.dir = join(cfg.auth_dir, phone)
    this.sock = null
    this.stopping = false
    // Ids of messages the server acknowledged delivered. A receipt can arrive before
    // sendMessage's promise resumes, so delivered ids are kept apart and matched at the end.
    this.deliveredIds = new Set()
    this.sentIds = []
    this.scanning = false
  }

  // Resolves once the socket is open (after a QR scan when the account is not linked yet, and
  // through Baileys's restart after pairing).
  connect() {
    return new Promise((resolve, reject) => {
      const attempt = async () => {
        const { state, saveCreds } = await useMultiFileAuthState(this.dir)
        const sock = makeWASocket({ auth: state, waWebSocketUrl: cfg.ws_url, logger, version: VERSION, markOnlineOnConnect: false })
        this.sock = sock
        sock.ev.on('creds.update', saveCreds)
        sock.ev.on('messages.update', (updates) => {
          for (const u of updates) {
            // proto.WebMessageInfo.Status: 3 DELIVERY_ACK, 4 READ, 5 PLAYED.
            if (u.update?.status >= 3 && u.key?.fromMe) this.deliveredIds.add(u.key.id)
          }
        })
        sock.ev.on('connection.update', async (u) => {
          if (u.qr && !this.scanning) {
            this.scanning = true
            const ok = await scan(this.phone, u.qr)
            this.scanning = false
            if (!ok) progress(this.phone, 'gave up scanning this QR; waiting for the next')
          }
          if (u.connection === 'open') resolve(sock)
          if (u.connection === 'close') {
            if (this.stopping) return
            const code = u.lastDisconnect?.error?.output?.statusCode
            if (code === DisconnectReason.loggedOut) return reject(new Error(`${this.phone} logged out`))
            attempt().catch(reject)
          }
        })
      }
      attempt().catch(reject)
    })
  }

  async stop() {
    this.stopping = true
    try {
      this.sock?.end(undefined)
    } catch {}
  }
}

async function pool(items, concurrency, fn) {
  const out = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i], i)
      }
    }),
  )
  return out
}

async function main() {
  const all = cfg.phones.map((p, i) => new Peer(i, p, cfg.sinks[i % cfg.sinks.length]))
  await settle(1)
  const rss0 = rss()
  progress(`baseline RSS ${(rss0 / 1048576).toFixed(1)} MiB; linking ${all.length}`)

  // 1. Link every socket by QR, link_concurrency at a time. A socket that is not open within
  // link_timeout_secs is closed and left out of the rest of the run (and counted).
  const linkStart = Date.now()
  const linkTimes = await pool(all, cfg.link_concurrency, async (p) => {
    const t = Date.now()
    try {
      await within(p.connect(), cfg.link_timeout_secs, 'link')
      p.linked = true
      return (Date.now() - t) / 1000
    } catch (e) {
      progress(p.phone, 'not linked:', e?.message || e)
      await p.stop()
      return null
    }
  })
  const linkWall = (Date.now() - linkStart) / 1000
  const peers = all.filter((p) => p.linked)
  progress(`linked ${peers.length} of ${all.length} in ${linkWall.toFixed(1)} s`)
  if (peers.length === 0) throw new Error('no socket linked')

  // 2. Memory and idle CPU while linked and idle.
  await settle(cfg.settle_secs)
  const rssLinked = rss()
  const cpu0 = process.cpuUsage()
  const idleStart = Date.now()
  await sleep(cfg.idle_secs * 1000)
  const cpu1 = process.cpuUsage(cpu0)
  const idleCpu = ((cpu1.user + cpu1.system) / 1000 / (Date.now() - idleStart)) * 100

  // 3. Reconnect: close every socket, then open them all at once from the stored credentials.
  for (const p of peers) await p.stop()
  await sleep(2000)
  for (const p of peers) p.stopping = false
  const reStart = Date.now()
  await within(Promise.all(peers.map((p) => p.connect())), cfg.link_timeout_secs, 'reconnect')
  const reconnect = (Date.now() - reStart) / 1000
  progress(`reconnected ${peers.length} in ${reconnect.toFixed(2)} s`)
  await settle(cfg.settle_secs)
  const rssReconnected = rss()

  // 4. Sends: one per socket to warm up (Signal sessions), then a closed-loop window.
  await Promise.all(peers.map((p) => p.sock.sendMessage(`${p.sink}@s.whatsapp.net`, { text: 'warm-up' })))
  await sleep(1000)
  for (const p of peers) p.deliveredIds.clear()
  let sent = 0
  let errors = 0
  let n = 0
  const lat = []
  const sendStart = Date.now()
  const deadline = sendStart + cfg.send_secs * 1000
  await Promise.all(
    Array.from({ length: cfg.send_concurrency }, async () => {
      while (Date.now() < deadline) {
        const p = peers[n++ % peers.length]
        const t = Date.now()
        try {
          const m = await p.sock.sendMessage(`${p.sink}@s.whatsapp.net`, { text: `perf message ${n}` })
          p.sentIds.push(m.key.id)
          sent += 1
          lat.push(Date.now() - t)
        } catch (e) {
          errors += 1
        }
      }
    }),
  )
  const sendWindow = (Date.now() - sendStart) / 1000
  await sleep(3000)
  const delivered = peers.reduce((a, p) => a + p.sentIds.filter((id) => p.deliveredIds.has(id)).length, 0)
  lat.sort((a, b) => a - b)
  progress(`sent ${sent} in ${sendWindow.toFixed(1)} s`)

  for (const p of peers) await p.stop()
  const n_ = peers.length
  const sortedLinks = linkTimes.filter((t) => t !== null).sort((a, b) => a - b)
  console.log(
    JSON.stringify({
      result: {
        sessions: all.length,
        linked: n_,
        node: process.version,
        rss_baseline_bytes: rss0,
        rss_linked_bytes: rssLinked,
        rss_per_session_bytes: (rssLinked - rss0) / n_,
        rss_reconnected_bytes: rssReconnected,
        rss_per_session_reconnected_bytes: (rssReconnected - rss0) / n_,
        link_wall_s: linkWall,
        link_p50_s: percentile(sortedLinks, 0.5),
        link_p99_s: percentile(sortedLinks, 0.99),
        idle_cpu_percent: idleCpu,
        reconnect_s: reconnect,
        send_window_s: sendWindow,
        send_concurrency: cfg.send_concurrency,
        sent,
        send_errors: errors,
        sent_per_s: sent / sendWindow,
        delivered_within_3s: delivered,
        delivered_per_s: delivered / sendWindow,
        send_p50_ms: percentile(lat, 0.5),
        send_p99_ms: percentile(lat, 0.99),
      },
    }),
  )
  process.exit(0)
}

main().catch((e) => {
  progress('FAILED', e?.stack || e)
  process.exit(1)
})
