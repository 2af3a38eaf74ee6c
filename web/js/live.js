// live: the real-time connection. A WebSocket on /v1/stream?token= delivers the tenant's events of
// the caller's rooms; when it drops it reconnects with backoff and first catches up on the stored
// events it missed with /v1/sync?since=<last stream position seen>.
import { api, qs } from './api.js';

export class Live {
  constructor(token, onEvent, onState) {
    this.token = token;
    this.onEvent = onEvent;
    this.onState = onState || (() => {});
    this.cursor = 0;          // highest stream_position delivered
    this.seen = new Set();    // ids of stored events already delivered (sync and socket overlap)
    this.ws = null;
    this.closed = false;
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
  }

  /** Notes a stored event the app loaded itself, so catch-up starts after it. */
  note(ev) {
    if (ev && ev.stream_position > this.cursor) this.cursor = Number(ev.stream_position);
  }

  start() {
    this.closed = false;
    this.connect();
  }

  stop() {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000);
    }
    this.ws = null;
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/v1/stream?token=${encodeURIComponent(this.token)}`);
    this.ws = ws;
    this.onState('connecting');
    ws.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch { return; }
      if (ev.type === 'hello') {
        this.attempt = 0;
        this.onState('live');
        this.catchUp();
        return;
      }
      if (ev.type === 'pong') return;
      this.deliver(ev);
    };
    ws.onclose = (e) => {
      clearInterval(this.pingTimer);
      if (this.closed) return;
      if (e.code === 4401) {
        this.onState('unauthorized');
        return;
      }
      this.onState('offline');
      const delay = Math.min(15000, 500 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
      this.attempt += 1;
      this.timer = setTimeout(() => this.connect(), delay);
    };
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping' }));
    }, 25000);
  }

  deliver(ev) {
    const pos = Number(ev.stream_position || 0);
    if (pos > 0) {
      if (this.seen.has(ev.id)) return;
      this.seen.add(ev.id);
      if (this.seen.size > 5000) this.seen = new Set([...this.seen].slice(-2500));
      if (pos > this.cursor) this.cursor = pos;
    }
    this.onEvent(normalise(ev));
  }

  async catchUp() {
    if (!this.cursor) return;
    try {
      for (let i = 0; i < 20; i++) {
        const d = await api.get('/v1/sync' + qs({ since: this.cursor, timeout: 0, limit: 500 }), { token: this.token });
        for (const ev of d.events) this.deliver(ev);
        if (!d.has_more) break;
      }
    } catch {
      /* the socket is up again; a failed catch-up is retried on the next reconnect */
    }
  }
}

/** Stored events come as {event_type, …} from /messages and /sync and as {type, …} on the socket. */
export function normalise(ev) {
  if (!ev.type && ev.event_type) ev.type = ev.event_type;
  if (!ev.event_type && ev.type) ev.event_type = ev.type;
  return ev;
}
