// admin_mcp: the "MCP servers" section of Admin → Plugins — the tenant's registered MCP servers
// (GET /v1/admin/mcp-servers) with their status badge, tools and restarts, Reconnect and Delete
// per server, the "Add MCP server" form, and the status poll (every 2 s while a server is
// connecting or failed with a retry pending; otherwise only on Refresh).
import { api, enc } from './api.js';
import { h, clear, field, errorBox, toast } from './dom.js';

const POLL_MS = 2000;
const BADGE = { ready: 'good', connecting: 'warn', failed: 'bad', disabled: 'bad', stopped: '' };
// a status that changes by itself (a session starting, a retry with backoff pending)
const moving = (s) => s.status === 'connecting' || s.status === 'failed';

/** "A=1\nB=2" → {A: "1", B: "2"} split at the first `sep`; throws on a line without it. */
export function parseLines(text, sep, what) {
  const out = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const i = line.indexOf(sep);
    const key = i > 0 ? line.slice(0, i).trim() : '';
    if (!key) throw new Error(`${what}: "${line}" is not of the form NAME${sep}value.`);
    out[key] = line.slice(i + 1).trim();
  }
  return out;
}

export class McpServersSection {
  /** onChange: called when the set of servers or a status changes (the plugin list follows). */
  constructor(onChange) {
    this.onChange = onChange || (() => {});
    this.timer = null;
    this.seq = 0;
    this.sig = null; // what the last answer looked like, to tell the plugin list only on change
    this.confirming = new Set(); // ids whose Delete waits for its confirmation (kept across polls)
    this.err = errorBox();
    this.list = h('div.mcp-list', { 'aria-live': 'polite' });
    this.formBox = h('div.mcp-form');
    this.el = h('section.mcp-servers', { 'aria-labelledby': 'mcp-servers-h' },
      h('div.mcp-head',
        h('h2#mcp-servers-h', 'MCP servers'),
        h('div.actions',
          h('button.small#mcp-refresh', { type: 'button', onclick: () => this.load() }, 'Refresh'),
          h('button.primary.small#mcp-add', { type: 'button', onclick: () => this.openForm() }, 'Add MCP server'))),
      h('p.muted', 'Model Context Protocol servers mounted as plugins: each appears below as plugin mcp.<id>, with its tools once they are listed.'),
      this.err, this.formBox, this.list);
  }

  destroy() {
    clearTimeout(this.timer);
    this.timer = null;
    this.dead = true;
  }

  async load() {
    clearTimeout(this.timer);
    this.timer = null;
    const seq = ++this.seq;
    try {
      const servers = await api.get('/v1/admin/mcp-servers');
      if (seq !== this.seq || this.dead) return;
      this.err.show(null);
      this.render(servers);
      const sig = JSON.stringify(servers.map((s) => [s.id, s.status, (s.tools || []).length]));
      if (this.sig !== null && sig !== this.sig) this.onChange();
      this.sig = sig;
      if (servers.some(moving)) this.timer = setTimeout(() => this.load(), POLL_MS);
    } catch (x) {
      if (seq === this.seq && !this.dead) this.err.show(x);
    }
  }

  render(servers) {
    this.servers = servers;
    clear(this.list);
    if (!servers.length) this.list.append(h('p.muted', 'No MCP servers yet.'));
    for (const s of servers) this.list.append(this.renderServer(s));
  }

  renderServer(s) {
    const err = errorBox();
    // fn may answer the server's new view: it is shown as is and the next poll comes POLL_MS later
    // (so the "connecting" a Reconnect answers is visible even when it fails again at once)
    const act = async (fn, okMsg) => {
      err.show(null);
      try {
        const view = await fn();
        toast(okMsg);
        if (view && view.id === s.id && el.isConnected) {
          ++this.seq; // an older poll in flight must not paint over this answer
          this.servers = this.servers.map((x) => (x.id === view.id ? view : x));
          el.replaceWith(this.renderServer(view));
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.load(), POLL_MS);
        } else this.load();
      } catch (x) { err.show(x); }
    };
    const hid = 'mcp-' + s.id.replace(/\W/g, '_');
    const tools = s.tools || [];
    const bad = tools.filter((t) => t.available === false);
    const where = s.transport === 'http' ? s.url : [s.command, ...(s.args || [])].join(' ');
    const secretKeys = Object.keys((s.transport === 'http' ? s.headers : s.env) || {});
    const del = this.confirming.has(s.id)
      ? h('span.confirm', { role: 'group', 'aria-label': `Confirm deleting ${s.id}` },
        h('span', `Delete ${s.id}?`),
        h('button.danger.small', {
          type: 'button',
          onclick: () => act(async () => {
            await api.del(`/v1/admin/mcp-servers/${enc(s.id)}`);
            this.confirming.delete(s.id);
          }, `${s.id} deleted.`),
        }, 'Yes, delete'),
        h('button.ghost.small', { type: 'button', onclick: () => { this.confirming.delete(s.id); this.render(this.servers); } }, 'Cancel'))
      : h('button.danger.small', { type: 'button', 'aria-label': `Delete ${s.id}`, onclick: () => { this.confirming.add(s.id); this.render(this.servers); } }, 'Delete');
    const el = h('article.mcp-server', { dataset: { mcpId: s.id, status: s.status }, 'aria-labelledby': hid },
      h('header.plugin-head',
        h('div',
          h('h3', { id: hid }, s.id),
          h('div.plugin-meta',
            h('span.badge.status', { class: BADGE[s.status] || '', title: 'Status' }, s.status),
            h('span.badge', s.transport),
            h('code', s.plugin_id || `mcp.${s.id}`),
            s.enabled === false ? h('span.badge', 'not enabled') : null)),
        h('div.actions',
          h('button.small', {
            type: 'button', 'aria-label': `Reconnect ${s.id}`,
            onclick: () => act(() => api.post(`/v1/admin/mcp-servers/${enc(s.id)}/reconnect`, {}), `${s.id}: reconnecting.`),
          }, 'Reconnect'),
          del)),
      (s.status === 'failed' || s.status === 'disabled') && s.status_reason
        ? h('p.status-reason', h('strong', s.status === 'failed' ? 'Failed: ' : 'Disabled: '), s.status_reason) : null,
      h('div.kv', h('span.muted', s.transport === 'http' ? 'URL' : 'Command'), h('code.mcp-where', where || '')),
      secretKeys.length ? h('div.kv', h('span.muted', s.transport === 'http' ? 'Headers' : 'Env'),
        h('span', secretKeys.map((k) => h('code.secret-key', { title: 'value write-only' }, k)))) : null,
      h('div.kv', h('span.muted', 'Restarts'), h('span.restarts', String(s.restarts || 0), h('span.muted', ' in the last 10 minutes'))),
      h('div.kv', h('span.muted', 'Tools'),
        h('div',
          h('span.tool-count', tools.length === 1 ? '1 tool' : `${tools.length} tools`, bad.length ? `, ${bad.length} unavailable` : ''),
          tools.length ? h('ul.mcp-tools', tools.map((t) => h('li', { dataset: { tool: t.name, available: t.available === false ? '0' : '1' } },
            h('code', t.name), t.available === false ? h('span.badge.bad', 'unavailable') : null,
            t.available === false && t.reason ? h('span.muted', ' ' + t.reason) : null))) : null)),
      err);
    return el;
  }

  openForm() {
    const err = errorBox();
    const f = {
      id: h('input', { name: 'mcp_id', required: true, pattern: '[a-z0-9][a-z0-9_\\-]{0,39}', maxlength: 40, autocomplete: 'off' }),
      transport: h('select', { name: 'transport' }, h('option', { value: 'stdio' }, 'stdio (a command on the server host)'), h('option', { value: 'http' }, 'Streamable HTTP (a URL)')),
      command: h('input', { name: 'command', autocomplete: 'off', placeholder: 'node' }),
      args: h('textarea', { name: 'args', rows: 3, spellcheck: 'false', placeholder: 'one argument per line' }),
      env: h('textarea', { name: 'env', rows: 2, spellcheck: 'false', placeholder: 'KEY=value' }),
      url: h('input', { name: 'url', type: 'url', autocomplete: 'off', placeholder: 'https://…/mcp' }),
      headers: h('textarea', { name: 'headers', rows: 2, spellcheck: 'false', placeholder: 'Authorization: Bearer …' }),
      timeout: h('input', { name: 'timeout_ms', type: 'number', min: 1, step: 1, placeholder: '30000' }),
    };
    const stdioBox = h('fieldset.mcp-transport', h('legend', 'stdio'),
      field('Command', f.command, 'A command the operator allows (server option --mcp-stdio-allow).'),
      field('Arguments', f.args, 'One per line.'),
      field('Environment', f.env, 'KEY=value, one per line. Values are write-only: only the names are shown later.'));
    const httpBox = h('fieldset.mcp-transport', { hidden: true }, h('legend', 'Streamable HTTP'),
      field('URL', f.url),
      field('Headers', f.headers, 'Name: value, one per line. Values are write-only: only the names are shown later.'));
    f.transport.onchange = () => {
      stdioBox.hidden = f.transport.value !== 'stdio';
      httpBox.hidden = f.transport.value !== 'http';
    };
    const form = h('form.card-form#mcp-form', {
      'aria-label': 'Add MCP server',
      onsubmit: async (e) => {
        e.preventDefault();
        err.show(null);
        let body;
        try { body = this.body(f); } catch (x) { err.show(x); return; }
        try {
          await api.post('/v1/admin/mcp-servers', body);
          toast(`${body.id} added.`);
          clear(this.formBox);
          await this.load(); // the plugin list follows (a new server changes the signature)
        } catch (x) { err.show(x); }
      },
    },
    h('h2', 'Add MCP server'),
    h('div.grid2',
      field('Server id', f.id, 'Lowercase letters, digits, - and _; the plugin becomes mcp.<id>.'),
      field('Transport', f.transport)),
    stdioBox, httpBox,
    field('Timeout (ms)', f.timeout, 'Per call; empty for the default (30000).'),
    err,
    h('div.actions', h('button.primary', { type: 'submit' }, 'Add server'), h('button.ghost', { type: 'button', onclick: () => clear(this.formBox) }, 'Cancel')));
    clear(this.formBox).append(form);
    f.id.focus();
  }

  body(f) {
    const body = { id: f.id.value.trim(), transport: f.transport.value };
    if (body.transport === 'stdio') {
      body.command = f.command.value.trim();
      body.args = f.args.value.split('\n').map((a) => a.replace(/\r$/, '')).filter((a) => a.trim() !== ''); // kept as typed
      const env = parseLines(f.env.value, '=', 'Environment');
      if (Object.keys(env).length) body.env = env;
    } else {
      body.url = f.url.value.trim();
      const headers = parseLines(f.headers.value, ':', 'Headers');
      if (Object.keys(headers).length) body.headers = headers;
    }
    if (f.timeout.value !== '') body.timeout_ms = Number(f.timeout.value);
    return body;
  }
}
