// admin: Plugins (enable/disable, grants, tool approval policies, settings with write-only
// secrets; MCP servers in admin_mcp.js), AI participants (create/edit), and the tool-call audit log.
import { api, qs, enc } from './api.js';
import { h, clear, field, errorBox, toast, fmtTime, pretty, nextId } from './dom.js';
import { McpServersSection } from './admin_mcp.js';

const MASK = '********';
const POLICIES = [
  ['ask', 'Always ask a person'],
  ['auto_run_in_dm', 'Ask when two or more people are in the room'],
  ['auto_run_everywhere', 'Run without asking'],
];

// ---------------------------------------------------------------- Plugins
export class PluginsView {
  constructor(app) {
    this.app = app;
    this.list = h('div.plugin-list');
    this.err = errorBox();
    this.mcp = new McpServersSection(() => this.loadPlugins());
    this.el = h('main.panel.admin', h('div.panel-head', h('h1', 'Plugins'), h('p.muted', 'Enable plugins for this tenant, grant their permissions, decide which tool calls need approval, and set their settings.')), this.mcp.el, this.err, this.list);
  }

  destroy() { this.mcp.destroy(); }

  load() {
    this.mcp.load();
    return this.loadPlugins();
  }

  async loadPlugins() {
    this.err.show(null);
    const seq = (this.seq = (this.seq || 0) + 1);
    try {
      const plugins = await api.get('/v1/admin/plugins');
      if (seq !== this.seq) return; // a newer load is on its way
      clear(this.list);
      for (const p of plugins) this.list.append(this.renderPlugin(p));
    } catch (x) { this.err.show(x); }
  }

  renderPlugin(p) {
    const err = errorBox();
    const run = async (fn, okMsg) => {
      err.show(null);
      try {
        const row = await fn();
        toast(okMsg);
        el.replaceWith(this.renderPlugin(row));
      } catch (x) { err.show(x); }
    };
    const perms = p.permissions || [];
    const granted = new Set(p.granted_permissions || []);
    const permBoxes = perms.map((perm) => {
      const id = nextId('perm');
      return h('div.check', h('input', { type: 'checkbox', id, value: perm, checked: p.enabled ? granted.has(perm) : true }), h('label', { for: id }, perm));
    });
    const chosenPerms = () => permBoxes.map((d) => d.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    const toggle = h('button', {
      type: 'button', class: p.enabled ? 'toggle on' : 'toggle', 'aria-pressed': p.enabled ? 'true' : 'false',
      'aria-label': `${p.enabled ? 'Disable' : 'Enable'} ${p.name || p.id}`,
      onclick: () => run(() => (p.enabled
        ? api.post(`/v1/admin/plugins/${enc(p.id)}/disable`, {})
        : api.post(`/v1/admin/plugins/${enc(p.id)}/enable`, perms.length ? { permissions: chosenPerms() } : {})),
      p.enabled ? `${p.name || p.id} disabled.` : `${p.name || p.id} enabled.`),
    }, p.enabled ? 'Enabled' : 'Disabled');

    const permsSection = perms.length ? h('section.sub',
      h('h3', 'Permissions'),
      h('div.checks', permBoxes),
      p.enabled ? h('button.small', {
        type: 'button',
        onclick: () => run(() => api.post(`/v1/admin/plugins/${enc(p.id)}/enable`, { permissions: chosenPerms() }), 'Permissions saved.'),
      }, 'Save permissions') : h('small.hint', 'Checked permissions are granted when you enable the plugin.')) : null;

    const tools = (p.tools || []).map((t) => this.renderTool(p, t, run));

    let settingsSection = null;
    if ((p.settings || []).length) {
      const inputs = p.settings.map((s) => {
        const cur = p.config ? p.config[s.key] : undefined;
        const isSet = cur != null;
        const input = s.secret
          ? h('input', { type: 'password', name: s.key, autocomplete: 'new-password', placeholder: isSet ? `${MASK} (stored; type to replace)` : 'Not set' })
          : h('input', { type: 'text', name: s.key, value: isSet ? cur : '', placeholder: s.default != null ? `Default: ${s.default}` : '' });
        input.dataset.key = s.key;
        input.dataset.secret = s.secret ? '1' : '';
        input.dataset.orig = s.secret ? '' : (isSet ? cur : '');
        const hint = [s.description, s.secret ? 'Secret: write-only, never shown.' : null].filter(Boolean).join(' ');
        const clearBox = isSet ? h('label.check.inline', h('input', { type: 'checkbox', dataset: { clear: s.key } }), ` Remove stored value`) : null;
        return h('div', field(s.key, input, hint), clearBox);
      });
      const form = h('form.settings', {
        onsubmit: (e) => {
          e.preventDefault();
          const settings = {};
          form.querySelectorAll('input[data-key]').forEach((i) => {
            if (i.dataset.secret) { if (i.value) settings[i.dataset.key] = i.value; } else if (i.value !== i.dataset.orig) settings[i.dataset.key] = i.value === '' ? null : i.value;
          });
          form.querySelectorAll('input[data-clear]').forEach((c) => { if (c.checked) settings[c.dataset.clear] = null; });
          if (!Object.keys(settings).length) { toast('Nothing changed.'); return; }
          run(() => api.put(`/v1/admin/plugins/${enc(p.id)}/config`, { settings }), 'Settings saved.');
        },
      }, inputs, h('button.primary.small', { type: 'submit' }, 'Save settings'));
      settingsSection = h('section.sub', h('h3', 'Settings'), form);
    }

    const el = h('article.plugin', { dataset: { pluginId: p.id, enabled: p.enabled ? '1' : '0' }, 'aria-labelledby': 'plug-' + p.id.replace(/\W/g, '_') },
      h('header.plugin-head',
        h('div',
          h('h2', { id: 'plug-' + p.id.replace(/\W/g, '_') }, p.name || p.id),
          h('div.plugin-meta', h('code', p.id), h('span.badge', 'v' + (p.version || '?')), p.source === 'mcp' ? h('span.badge.mcp', { title: `MCP server ${p.mcp_server || ''}` }, 'MCP') : h('span.badge', p.source || ''), p.source === 'mcp' && p.status ? h('span.badge', { class: p.status === 'ready' ? 'good' : p.status === 'connecting' ? 'warn' : 'bad' }, p.status) : null, p.scope ? h('span.badge', p.scope) : null)),
        toggle),
      p.description ? h('p', p.description) : null,
      err,
      permsSection,
      tools.length ? h('section.sub', h('h3', `Tools (${tools.length})`), h('div.tools', tools)) : null,
      settingsSection);
    return el;
  }

  renderTool(p, t, run) {
    const params = t.parameters && t.parameters.properties ? Object.entries(t.parameters.properties) : [];
    const required = new Set((t.parameters && t.parameters.required) || []);
    const sel = h('select', { 'aria-label': `Approval policy for ${t.name}`, dataset: { tool: t.name } },
      POLICIES.map(([v, label]) => h('option', { value: v, selected: t.approval_policy === v }, label)));
    sel.onchange = () => run(() => api.put(`/v1/admin/plugins/${enc(p.id)}/config`, { tool_policies: { [t.name]: sel.value } }), `Approval policy of ${t.name} saved.`);
    return h('details.tool', { dataset: { tool: t.name } },
      h('summary',
        h('code.tool-name', t.name),
        t.side_effects ? h('span.badge.warn', 'side effects') : h('span.badge', 'read-only'),
        h('span.tool-desc', t.description || '')),
      h('div.tool-body',
        t.usage ? h('div.kv', h('span.muted', 'Usage'), h('code', t.usage)) : null,
        (t.permissions_required || []).length ? h('div.kv', h('span.muted', 'Needs'), h('span', t.permissions_required.join(', '))) : null,
        t.timeout_ms ? h('div.kv', h('span.muted', 'Timeout'), h('span', `${t.timeout_ms} ms`)) : null,
        params.length ? h('table.params',
          h('caption.sr-only', `Parameters of ${t.name}`),
          h('thead', h('tr', h('th', { scope: 'col' }, 'Parameter'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Description'))),
          h('tbody', params.map(([name, s]) => h('tr',
            h('td', h('code', name), required.has(name) ? h('span.req', { title: 'required' }, ' *') : null),
            h('td', s.type || (s.enum ? 'enum' : '')),
            h('td', s.description || '', s.enum ? h('div.muted', 'One of: ' + s.enum.join(', ')) : null))))) : h('p.muted', 'No parameters.'),
        field('Approval when an AI calls it', sel)));
  }
}

// ---------------------------------------------------------------- AI participants
export class AiView {
  constructor(app) {
    this.app = app;
    this.list = h('div.ai-list');
    this.formBox = h('div.ai-form');
    this.err = errorBox();
    this.el = h('main.panel.admin',
      h('div.panel-head', h('h1', 'AI participants'), h('p.muted', 'AIs answer in rooms they are invited to, through an OpenAI-compatible model endpoint.'),
        h('button.primary#new-ai', { type: 'button', onclick: () => this.edit(null) }, 'New AI')),
      this.err, this.formBox, this.list);
  }

  async load() {
    this.err.show(null);
    try {
      const [parts, plugins] = await Promise.all([api.get('/v1/admin/participants'), api.get('/v1/admin/plugins')]);
      this.plugins = plugins;
      this.ais = parts.filter((p) => p.participant_type === 'model');
      clear(this.list);
      if (!this.ais.length) this.list.append(h('p.muted', 'No AI participants yet.'));
      for (const a of this.ais) {
        const m = a.model_config || {};
        this.list.append(h('article.ai-row', { dataset: { localId: a.local_id } },
          h('div', h('h2', a.display_name || a.local_id), h('div.plugin-meta', h('code', '@' + a.local_id), h('span.badge', m.model || '?'), m.base_url ? h('span.muted', m.base_url) : null)),
          h('button', { type: 'button', onclick: () => this.edit(a) }, 'Edit')));
      }
    } catch (x) { this.err.show(x); }
  }

  edit(a) {
    const m = (a && a.model_config) || {};
    const err = errorBox();
    const f = {
      local_id: h('input', { name: 'local_id', required: true, value: a ? a.local_id : '', disabled: !!a, pattern: '[a-z0-9_.\\-]+' }),
      display_name: h('input', { name: 'display_name', value: a ? a.display_name || '' : '' }),
      model: h('input', { name: 'model', required: true, value: m.model || '' }),
      base_url: h('input', { name: 'base_url', type: 'url', value: m.base_url || '', placeholder: 'https://…/v1 (default: SCAIWAVE_SCAIGRID_URL)' }),
      api_key: h('input', { name: 'api_key', type: 'password', autocomplete: 'new-password', placeholder: m.has_api_key ? `${MASK} (stored; type to replace)` : 'Not set' }),
      system_prompt: h('textarea', { name: 'system_prompt', rows: 4, value: m.system_prompt || '' }),
      temperature: h('input', { name: 'temperature', type: 'number', min: 0, max: 2, step: 0.1, value: m.temperature != null ? m.temperature : '' }),
      stream: h('input', { name: 'stream', type: 'checkbox', checked: m.stream !== false }),
    };
    const allPlugins = h('input', { type: 'checkbox', id: nextId('all'), checked: !Array.isArray(m.plugins) });
    const loadout = (this.plugins || []).map((p) => {
      const id = nextId('lo');
      return h('div.check', h('input', { type: 'checkbox', id, value: p.id, checked: Array.isArray(m.plugins) && m.plugins.includes(p.id), disabled: !Array.isArray(m.plugins) }),
        h('label', { for: id }, p.name || p.id, p.enabled ? '' : ' (disabled in tenant)'));
    });
    allPlugins.onchange = () => loadout.forEach((d) => { d.querySelector('input').disabled = allPlugins.checked; });
    const streamId = nextId('stream');
    f.stream.id = streamId;
    const form = h('form.card-form#ai-form', {
      onsubmit: async (e) => {
        e.preventDefault();
        err.show(null);
        const body = {
          display_name: f.display_name.value.trim() || undefined,
          model: f.model.value.trim(),
          base_url: f.base_url.value.trim() || null,
          system_prompt: f.system_prompt.value,
          stream: f.stream.checked,
          plugins: allPlugins.checked ? null : loadout.map((d) => d.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
        };
        if (f.temperature.value !== '') body.temperature = Number(f.temperature.value);
        if (f.api_key.value) body.api_key = f.api_key.value;
        if (!a && !body.base_url) delete body.base_url;
        try {
          if (a) await api.put(`/v1/admin/participants/${enc(a.participant_id)}`, body);
          else await api.post('/v1/admin/participants/model', { local_id: f.local_id.value.trim(), ...body });
          toast(a ? 'AI saved.' : 'AI created.');
          clear(this.formBox);
          this.load();
        } catch (x) { err.show(x); }
      },
    },
    h('h2', a ? `Edit ${a.display_name || a.local_id}` : 'New AI'),
    h('div.grid2',
      field('Handle (local id)', f.local_id, 'People mention it as @handle.'),
      field('Display name', f.display_name),
      field('Model', f.model),
      field('Endpoint (base URL)', f.base_url),
      field('API key', f.api_key, 'Write-only: a stored key is never shown.'),
      field('Temperature', f.temperature, '0–2; empty for the model default.')),
    field('System prompt', f.system_prompt),
    h('div.check', f.stream, h('label', { for: streamId }, 'Stream replies')),
    h('fieldset.loadout', h('legend', 'Loadout (plugins this AI may use)'),
      h('div.check', allPlugins, h('label', { for: allPlugins.id }, 'Every plugin enabled in the tenant')),
      h('div.checks', loadout)),
    err,
    h('div.actions', h('button.primary', { type: 'submit' }, a ? 'Save' : 'Create AI'), h('button.ghost', { type: 'button', onclick: () => clear(this.formBox) }, 'Cancel')));
    clear(this.formBox).append(form);
    (a ? f.display_name : f.local_id).focus();
  }
}

// ---------------------------------------------------------------- Audit
export class AuditView {
  constructor(app) {
    this.app = app;
    this.plugin = h('input', { name: 'plugin_id', placeholder: 'any' });
    this.tool = h('input', { name: 'tool', placeholder: 'any' });
    this.status = h('select', { name: 'status' }, ['', 'ok', 'error', 'denied', 'timeout', 'requested', 'approved', 'rejected', 'expired'].map((s) => h('option', { value: s }, s || 'any')));
    this.err = errorBox();
    this.body = h('tbody');
    this.more = h('button.ghost', { type: 'button', hidden: true, onclick: () => this.fetch(true) }, 'Load more');
    this.el = h('main.panel.admin',
      h('div.panel-head', h('h1', 'Audit log'), h('p.muted', 'Every tool call, newest first.')),
      h('form.filters', { onsubmit: (e) => { e.preventDefault(); this.fetch(false); } },
        field('Plugin', this.plugin), field('Tool', this.tool), field('Status', this.status), h('button.primary', { type: 'submit' }, 'Filter')),
      this.err,
      h('div.table-wrap', h('table.audit',
        h('thead', h('tr', ['Time', 'Plugin', 'Tool', 'Status', 'Caller', 'Arguments', 'ms'].map((t) => h('th', { scope: 'col' }, t)))),
        this.body)),
      this.more);
  }

  load() { return this.fetch(false); }

  async fetch(more) {
    this.err.show(null);
    try {
      const { data, meta } = await api.page('/v1/admin/audit' + qs({
        limit: 50, plugin_id: this.plugin.value.trim(), tool: this.tool.value.trim(), status: this.status.value, cursor: more ? this.cursor : null,
      }));
      if (!more) clear(this.body);
      if (!data.length && !more) this.body.append(h('tr', h('td.muted', { colspan: 7 }, 'No calls match.')));
      for (const r of data) {
        this.body.append(h('tr', { dataset: { status: r.status } },
          h('td', fmtTime(r.ts)), h('td', h('code', r.plugin_id)), h('td', h('code', r.tool)),
          h('td', h('span.badge', { class: r.status === 'ok' ? 'good' : r.status === 'error' || r.status === 'denied' ? 'bad' : '' }, r.status)),
          h('td', { title: r.caller_id }, (r.caller_id || '').slice(0, 12)),
          h('td', h('code.args', pretty(r.args_redacted).slice(0, 200))), h('td', r.duration_ms != null ? r.duration_ms : '')));
      }
      this.cursor = meta.next_cursor;
      this.more.hidden = !meta.has_more;
    } catch (x) { this.err.show(x); }
  }
}
