// The live event stream: a WebSocket opened with a single-use ticket (never the key in a URL),
// resumed with `after=<last id>` on reconnect so nothing is missed or repeated. Keeps the newest
// events in memory for the event log.

import { api } from './api.js';

const KEEP = 500;

export class EventStream {
  constructor() {
    this.events = []; // oldest first, at most KEEP
    this.lastId = null;
    this.state = 'offline'; // offline | connecting | live | reconnecting
    this.listeners = new Set();
    this.stateListeners = new Set();
    this.ws = null;
    this.retry = 0;
    this.timer = null;
    this.stopped = true;
  }

  /** Calls fn(event) for every event from now on; returns the unsubscribe function. */
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }

  setState(state, detail = '') {
    this.state = state;
    this.stateDetail = detail;
    this.stateListeners.forEach((fn) => fn(state, detail));
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, 'signed out');
    this.ws = null;
    this.events = [];
    this.lastId = null;
    this.setState('offline');
  }

  async connect() {
    this.setState(this.retry ? 'reconnecting' : 'connecting');
    let ticket;
    try {
      ticket = (await api('POST', '/events/ws-ticket')).ticket;
    } catch (e) {
      this.scheduleReconnect(e.message);
      return;
    }
    if (this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const after = this.lastId ? `&after=${encodeURIComponent(this.lastId)}` : '';
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/events/ws?ticket=${encodeURIComponent(ticket)}${after}`);
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.retry = 0;
      this.setState('live');
    });
    ws.addEventListener('message', (msg) => {
      let event;
      try { event = JSON.parse(msg.data); } catch { return; }
      this.lastId = event.id;
      this.events.push(event);
      if (this.events.length > KEEP) this.events.splice(0, this.events.length - KEEP);
      this.listeners.forEach((fn) => {
        try { fn(event); } catch (e) { console.error(e); }
      });
    });
    ws.addEventListener('close', (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!this.stopped) this.scheduleReconnect(ev.reason || `connection closed (${ev.code})`);
    });
  }

  scheduleReconnect(reason) {
    if (this.stopped) return;
    const delay = Math.min(15000, 1000 * 2 ** this.retry);
    this.retry += 1;
    this.setState('reconnecting', reason);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}

export const stream = new EventStream();
