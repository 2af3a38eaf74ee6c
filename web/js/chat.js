// chat: the room list, a room's timeline (paged back, live), the composer with slash-command
// completion, streaming AI replies, tool-call chips, the Stop button and approval cards.
import { api, qs, enc } from './api.js';
import { h, clear, field, errorBox, toast, fmtTime, pretty, nextId } from './dom.js';

const PAGE = 40;

export class ChatView {
  constructor(app, roomId) {
    this.app = app;
    this.me = app.me.participant_id;
    this.rooms = [];
    this.roomId = roomId;
    this.room = null;
    this.members = new Map();    // participant_id → member row of the open room
    this.people = new Map();     // participant_id → {display_name, local_id, participant_type} (any room)
    this.nodes = new Map();      // stored event id → element
    this.cards = new Map();      // approval request_id → element
    this.streams = new Map();    // AI participant_id → streaming bubble
    this.chips = new Map();      // tool_call_id → chip element
    this.busy = new Map();       // AI participant_id → status text (open room)
    this.commands = [];
    this.older = null;           // cursor for the next page back, or null
    this.onEvent = (ev) => this.handle(ev);
    app.listeners.add(this.onEvent);
    this.build();
  }

  destroy() {
    this.app.listeners.delete(this.onEvent);
  }

  // ---------- layout ----------
  build() {
    this.roomList = h('ul.room-list', { 'aria-label': 'Rooms' });
    const nameIn = h('input', { name: 'room-name', placeholder: 'e.g. Team chat', required: true, maxlength: 200 });
    const createErr = errorBox();
    const createForm = h('form.inline-form#create-room', {
      onsubmit: async (e) => {
        e.preventDefault();
        createErr.show(null);
        try {
          const r = await api.post('/v1/rooms', { room_type: 'group', name: nameIn.value.trim() });
          nameIn.value = '';
          await this.loadRooms();
          this.app.navigate('/app/chat/' + enc(r.id));
        } catch (x) { createErr.show(x); }
      },
    }, field('New room', nameIn), h('button.primary', { type: 'submit' }, 'Create'), createErr);
    const joinIn = h('input', { name: 'room-id', placeholder: 'Room id from an invitation', required: true });
    const joinErr = errorBox();
    const joinForm = h('form.inline-form#join-room', {
      onsubmit: async (e) => {
        e.preventDefault();
        joinErr.show(null);
        const id = joinIn.value.trim();
        try {
          await api.post(`/v1/rooms/${enc(id)}/join`, {});
          joinIn.value = '';
          await this.loadRooms();
          this.app.navigate('/app/chat/' + enc(id));
        } catch (x) { joinErr.show(x); }
      },
    }, field('Join a room', joinIn), h('button', { type: 'submit' }, 'Join'), joinErr);

    this.side = h('aside.sidebar', { 'aria-label': 'Rooms' },
      h('h2.side-title', 'Rooms'), this.roomList, createForm, h('details.join', h('summary', 'Join by id'), joinForm));
    this.main = h('section.room', { 'aria-label': 'Room' });
    this.el = h('div.chat', this.side, this.main);
    this.renderEmpty();
  }

  renderEmpty() {
    this.el.classList.remove('has-room');
    clear(this.main).append(h('div.empty', h('h2', 'No room open'), h('p.muted', 'Pick a room on the left, or create one.')));
  }

  async load() {
    await this.loadRooms();
    this.openRoom(this.roomId, true);
  }

  async loadRooms() {
    try {
      this.rooms = await api.get('/v1/directory/rooms');
    } catch (x) {
      toast(x.message, 'error');
      return;
    }
    clear(this.roomList);
    if (!this.rooms.length) this.roomList.append(h('li.muted.none', 'No rooms yet.'));
    for (const r of this.rooms) {
      const a = h('a.room-link', {
        href: '/app/chat/' + enc(r.id),
        onclick: (e) => { e.preventDefault(); this.app.navigate('/app/chat/' + enc(r.id)); },
      }, h('span.room-name', r.name || 'Untitled'), h('span.room-meta', `${r.member_count} member${r.member_count === 1 ? '' : 's'}`));
      if (r.id === this.roomId) a.setAttribute('aria-current', 'true');
      this.roomList.append(h('li', a));
    }
  }

  // ---------- a room ----------
  async openRoom(roomId, force = false) {
    if (!force && roomId === this.roomId && this.room) return;
    this.roomId = roomId;
    this.roomList.querySelectorAll('a').forEach((a) => {
      if (a.getAttribute('href') === '/app/chat/' + enc(roomId || '')) a.setAttribute('aria-current', 'true');
      else a.removeAttribute('aria-current');
    });
    this.nodes.clear(); this.cards.clear(); this.streams.clear(); this.chips.clear(); this.busy.clear();
    this.room = null;
    if (!roomId) return this.renderEmpty();
    this.el.classList.add('has-room');
    clear(this.main).append(h('div.empty', h('p.muted', 'Loading…')));
    try {
      const [room, members] = await Promise.all([api.get(`/v1/rooms/${enc(roomId)}`), api.get(`/v1/rooms/${enc(roomId)}/members`)]);
      if (roomId !== this.roomId) return;
      this.room = room;
      this.setMembers(members);
    } catch (x) {
      clear(this.main).append(h('div.empty', h('h2', 'Cannot open this room'), h('p.error', { role: 'alert' }, x.message),
        h('button', { type: 'button', onclick: () => this.app.navigate('/app/chat') }, 'Back to rooms')));
      return;
    }
    this.renderRoom();
    await this.loadPage();
    this.loadCommands();
    this.input.focus();
  }

  setMembers(members) {
    this.members = new Map(members.map((m) => [m.participant_id, m]));
    for (const m of members) this.people.set(m.participant_id, m.participant || {});
  }

  name(pid) {
    if (!pid) return 'Someone';
    if (pid === 'system') return 'System';
    if (pid.startsWith('plugin:')) return pid.slice(7);
    const p = this.people.get(pid);
    if (p) return p.display_name || p.local_id || pid;
    return pid === this.me ? (this.app.me.display_name || 'You') : pid.slice(0, 8) + '…';
  }

  isAi(pid) {
    const p = this.people.get(pid);
    return !!p && p.participant_type === 'model';
  }

  renderRoom() {
    const r = this.room;
    this.timeline = h('ol.timeline', { 'aria-label': 'Messages', 'aria-live': 'polite', tabindex: 0 });
    this.olderBtn = h('button.ghost.older', { type: 'button', hidden: true, onclick: () => this.loadPage(true) }, 'Load older messages');
    this.status = h('div.ai-status', { role: 'status', 'aria-live': 'polite', hidden: true });
    this.stopBtn = h('button.danger#stop', { type: 'button', hidden: true, onclick: () => this.stop() }, 'Stop');
    this.input = h('textarea#composer', {
      rows: 1, placeholder: 'Message, or / for commands', 'aria-label': 'Message',
      'aria-autocomplete': 'list', 'aria-expanded': 'false', role: 'combobox', autocomplete: 'off',
      oninput: () => this.onInput(), onkeydown: (e) => this.onKey(e), onblur: () => setTimeout(() => this.closeCompletion(), 150),
    });
    this.completion = h('ul.completion#completion', { role: 'listbox', 'aria-label': 'Commands', hidden: true });
    this.input.setAttribute('aria-controls', 'completion');
    this.sendErr = errorBox();
    const composer = h('form.composer', {
      onsubmit: (e) => { e.preventDefault(); this.send(); },
    }, h('div.composer-row', h('div.composer-input', this.completion, this.input), this.stopBtn, h('button.primary#send', { type: 'submit' }, 'Send')), this.sendErr);

    this.memberCount = h('span.room-meta');
    this.aiMode = h('select#ai-mode', { 'aria-label': 'When AIs answer', onchange: () => this.setMode() },
      h('option', { value: '', disabled: true }, 'When should AIs answer?'),
      h('option', { value: 'mention' }, 'AIs answer when @mentioned'),
      h('option', { value: 'always' }, 'AIs answer every message'));
    this.inviteBox = h('div.invite');
    const head = h('header.room-head',
      h('button.ghost.back', { type: 'button', 'aria-label': 'Back to rooms', onclick: () => this.app.navigate('/app/chat') }, '←'),
      h('div.room-title', h('h2', r.name || 'Untitled'), h('span.muted.room-id', { title: 'Room id (share it to let someone join)' }, r.id)),
      this.memberCount,
      h('details.menu#invite-menu', h('summary', 'Invite'), this.inviteBox),
      this.aiMode);
    clear(this.main).append(head, h('div.scroller', this.olderBtn, this.timeline), this.status, composer);
    this.renderMembersInfo();
    this.renderInvite();
  }

  renderMembersInfo() {
    const joined = [...this.members.values()].filter((m) => m.membership === 'join');
    this.memberCount.textContent = joined.map((m) => this.name(m.participant_id)).join(', ');
    const hasAi = joined.some((m) => this.isAi(m.participant_id));
    this.aiMode.hidden = !hasAi;
    this.aiMode.value = this.room.ai_mode || '';
  }

  async renderInvite() {
    const box = clear(this.inviteBox);
    const err = errorBox();
    let control;
    if ((this.app.me.roles || []).includes('admin')) {
      let all = [];
      try { all = await api.get('/v1/admin/participants'); } catch { all = []; }
      const out = all.filter((p) => !this.members.has(p.participant_id) || this.members.get(p.participant_id).membership === 'leave');
      for (const p of all) this.people.set(p.participant_id, p);
      control = h('select#invite-who', { name: 'participant' },
        out.length ? null : h('option', { value: '' }, 'Everyone is here'),
        out.filter((p) => p.participant_type === 'model').length ? h('optgroup', { label: 'AIs' },
          out.filter((p) => p.participant_type === 'model').map((p) => h('option', { value: p.participant_id }, `${p.display_name || p.local_id} (AI)`))) : null,
        out.filter((p) => p.participant_type !== 'model').length ? h('optgroup', { label: 'People' },
          out.filter((p) => p.participant_type !== 'model').map((p) => h('option', { value: p.participant_id }, p.display_name || p.local_id))) : null);
    } else {
      control = h('input#invite-who', { name: 'participant', placeholder: 'Participant id', required: true });
    }
    box.append(h('form.inline-form', {
      onsubmit: async (e) => {
        e.preventDefault();
        err.show(null);
        if (!control.value) return;
        try {
          await api.post(`/v1/rooms/${enc(this.roomId)}/invite`, { participant_id: control.value });
          toast(`Invited ${this.name(control.value)}.`);
          this.inviteBox.parentElement.open = false;
          await this.refreshMembers();
        } catch (x) { err.show(x); }
      },
    }, field('Person or AI', control, 'People get an invitation (they join with the room id); AIs join at once.'),
    h('button.primary', { type: 'submit' }, 'Invite'), err));
  }

  async refreshMembers() {
    if (!this.roomId) return;
    try {
      this.setMembers(await api.get(`/v1/rooms/${enc(this.roomId)}/members`));
      this.renderMembersInfo();
      this.renderInvite();
    } catch { /* shown on next open */ }
  }

  async setMode() {
    try {
      await api.put(`/v1/rooms/${enc(this.roomId)}/ai/engagement`, { mode: this.aiMode.value });
      this.room.ai_mode = this.aiMode.value;
      toast(this.aiMode.value === 'always' ? 'AIs now answer every message.' : 'AIs now answer when @mentioned.');
    } catch (x) { toast(x.message, 'error'); }
  }

  async loadPage(older = false) {
    const roomId = this.roomId;
    try {
      const { data, meta } = await api.page(`/v1/rooms/${enc(roomId)}/messages` + qs({ limit: PAGE, direction: 'back', from: older ? this.older : null }));
      if (roomId !== this.roomId) return;
      const sc = this.timeline.parentElement;
      const fromBottom = sc.scrollHeight - sc.scrollTop;
      const evs = data.slice().reverse();
      for (const ev of evs) {
        this.app.live && this.app.live.note(ev);
        if (!ev.type) ev.type = ev.event_type;
      }
      if (older) {
        const first = this.timeline.firstChild;
        for (const ev of evs) this.insert(ev, first);
        sc.scrollTop = sc.scrollHeight - fromBottom;
      } else {
        for (const ev of evs) this.insert(ev);
        this.scrollDown(true);
      }
      this.older = meta.has_more ? meta.next_cursor : null;
      this.olderBtn.hidden = !this.older;
    } catch (x) { toast(x.message, 'error'); }
  }

  scrollDown(force) {
    const sc = this.timeline && this.timeline.parentElement;
    if (!sc) return;
    const near = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 160;
    if (force || near) sc.scrollTop = sc.scrollHeight;
  }

  // ---------- events ----------
  handle(ev) {
    const t = ev.type;
    if (t === 'swp.room.member') {
      const c = ev.content || {};
      if (c.participant_id === this.me && !this.rooms.some((r) => r.id === ev.room_id)) this.loadRooms();
      if (ev.room_id && this.rooms.some((r) => r.id === ev.room_id)) this.loadRooms();
      if (ev.room_id === this.roomId && this.timeline) {
        this.refreshMembers().then(() => { this.insert(ev); this.scrollDown(); });
      }
      return;
    }
    if (ev.room_id !== this.roomId || !this.timeline) return;
    const c = ev.content || {};
    if (t === 'swp.room.message') {
      this.insert(ev);
      this.scrollDown(ev.sender_id === this.me);
    } else if (t === 'swp.room.message.chunk') {
      this.chunk(c);
    } else if (t === 'swp.ai.status') {
      this.aiStatus(c);
    } else if (t === 'swp.tool.call') {
      this.toolCall(c);
    } else if (t === 'swp.approval.resolved') {
      const card = this.cards.get(c.request_id);
      if (card && card.dataset.status === 'pending') card.replaceWith(this.renderCard({ ...card._content, ...c }, card._ev));
    }
  }

  insert(ev, before = null) {
    if (ev.id && this.nodes.has(ev.id)) return;
    const c = ev.content || {};
    let node;
    if (c.msgtype === 'swp.approval') {
      const old = this.cards.get(c.request_id);
      if (old && old.dataset.status !== 'pending' && (c.status || 'pending') === 'pending') return;
      node = this.renderCard(c, ev);
      if (old) {
        // the card is stored again on each decision: replace it in place (never back to pending)
        old.replaceWith(node);
        this.nodes.set(ev.id, node);
        return;
      }
    } else {
      node = this.renderMessage(ev);
    }
    if (ev.id) this.nodes.set(ev.id, node);
    // a final AI message takes the place of its streaming bubble
    const s = this.streams.get(ev.sender_id);
    if (s && c.msgtype === 'swp.text' && !before) {
      s.replaceWith(node);
      this.streams.delete(ev.sender_id);
      return;
    }
    this.timeline.insertBefore(node, before);
  }

  renderMessage(ev) {
    const c = ev.content || {};
    const mine = ev.sender_id === this.me;
    if (ev.type === 'swp.room.member' || ev.event_type === 'swp.room.member') {
      const verb = { join: 'joined', invite: 'was invited', leave: 'left' }[c.membership] || c.membership;
      return h('li.msg.system.member', { dataset: { id: ev.id || '' } }, h('p', `${this.name(c.participant_id)} ${verb}`));
    }
    if (c.msgtype === 'swp.system') {
      return h('li.msg.system', { dataset: { id: ev.id || '' } }, h('p', c.body || ''));
    }
    if (c.msgtype === 'swp.tool_result') {
      return h('li.msg.tool-result', { class: c.is_error ? 'is-error' : '', dataset: { id: ev.id || '', tool: c.tool || '' } },
        h('div.msg-head', h('span.badge', c.plugin_id || 'plugin'), h('strong', '/' + (c.tool || '')),
          c.status && c.status !== 'ok' ? h('span.badge.warn', c.status) : null, h('time', fmtTime(ev.origin_ts || ev.ts))),
        h('div.body', c.body || ''));
    }
    const ai = this.isAi(ev.sender_id);
    return h('li.msg', { class: (mine ? 'mine' : '') + (ai ? ' ai' : ''), dataset: { id: ev.id || '' } },
      h('div.msg-head', h('strong.sender', this.name(ev.sender_id)), ai ? h('span.badge', 'AI') : null, h('time', fmtTime(ev.origin_ts || ev.ts))),
      h('div.body', c.body != null ? c.body : ''));
  }

  chunk(c) {
    let b = this.streams.get(c.participant_id);
    if (!b) {
      b = h('li.msg.ai.streaming', { dataset: { turn: c.turn_id || '' }, 'aria-busy': 'true' },
        h('div.msg-head', h('strong.sender', this.name(c.participant_id)), h('span.badge', 'AI'), h('span.typing', 'writing…')),
        h('div.body'));
      this.streams.set(c.participant_id, b);
      this.timeline.append(b);
    }
    if (c.chunk_text) b.querySelector('.body').append(c.chunk_text);
    if (c.done) {
      b.removeAttribute('aria-busy');
      b.classList.add('done');
    }
    this.scrollDown();
  }

  aiStatus(c) {
    if (c.status) this.busy.set(c.participant_id, c.status);
    else this.busy.delete(c.participant_id);
    if (!this.busy.size) {
      this.status.hidden = true;
      this.stopBtn.hidden = true;
      for (const [pid, b] of this.streams) if (b.classList.contains('done') || !c.status) { if (pid === c.participant_id) b.classList.remove('streaming'); }
      return;
    }
    const parts = [...this.busy].map(([pid, st]) => `${this.name(pid)} is ${st}…`);
    this.status.textContent = parts.join(' · ');
    this.status.hidden = false;
    this.stopBtn.hidden = false;
  }

  toolCall(c) {
    const key = c.tool_call_id || `${c.participant_id}:${c.tool}`;
    const st = c.status || 'running';
    const icon = st === 'running' ? '…' : st === 'ok' ? '✓' : '!';
    const chip = h('li.chip-row', { dataset: { tool: c.tool || '', status: st } },
      h('details.chip', { class: `st-${st}${c.is_error ? ' is-error' : ''}` },
        h('summary', h('span.chip-icon', { 'aria-hidden': 'true' }, icon), h('span.chip-tool', c.tool || 'tool'),
          h('span.chip-meta', st === 'running' ? 'running' : `${st}${c.duration_ms != null ? ` · ${c.duration_ms} ms` : ''}`)),
        h('div.chip-body',
          h('div.kv', h('span.muted', 'Plugin'), h('span', c.plugin_id || '')),
          h('div.kv', h('span.muted', 'Arguments'), h('pre', pretty(c.arguments) || '{}')),
          c.result != null ? h('div.kv', h('span.muted', 'Result'), h('pre', typeof c.result === 'string' ? c.result : pretty(c.result))) : null)));
    const old = this.chips.get(key);
    if (old) {
      chip.querySelector('details').open = old.querySelector('details').open;
      old.replaceWith(chip);
    } else {
      // chips go before the AI's streaming bubble, so the answer stays last
      const s = this.streams.get(c.participant_id);
      this.timeline.insertBefore(chip, s || null);
    }
    this.chips.set(key, chip);
    this.scrollDown();
  }

  renderCard(c, ev) {
    const st = c.status || 'pending';
    const mine = c.initiator_id === this.me;
    const err = errorBox();
    const reason = h('input', { name: 'reason', placeholder: 'Optional reason', maxlength: 1000 });
    const decide = async (what, btns) => {
      err.show(null);
      btns.forEach((b) => { b.disabled = true; });
      try {
        await api.post(`/v1/queue/hitl/${enc(c.request_id)}/${what}`, what === 'reject' && reason.value.trim() ? { reason: reason.value.trim() } : {});
      } catch (x) {
        err.show(x);
        btns.forEach((b) => { b.disabled = false; });
      }
    };
    const approve = h('button.primary.approve', { type: 'button', disabled: !mine || st !== 'pending' }, 'Approve');
    const reject = h('button.danger.reject', { type: 'button', disabled: !mine || st !== 'pending' }, 'Reject');
    approve.onclick = () => decide('approve', [approve, reject]);
    reject.onclick = () => decide('reject', [approve, reject]);
    const label = { pending: 'Waiting for approval', approved: 'Approved', rejected: 'Rejected', expired: 'Expired' }[st] || st;
    const who = mine ? 'You are asked to decide.' : `${this.name(c.initiator_id)} is asked to decide.`;
    const decided = c.decided_by ? `${label} by ${this.name(c.decided_by)}${c.reason ? ` — “${c.reason}”` : ''}.` : (st === 'expired' ? 'Nobody decided in time.' : null);
    const reasonId = nextId('reason');
    reason.id = reasonId;
    const card = h('li.card.approval', { dataset: { requestId: c.request_id || '', status: st }, 'aria-label': `Approval for ${c.tool}` },
      h('div.card-head', h('span.badge.warn', 'Approval'), h('strong', `${c.plugin_id} · ${c.tool}`), h('span.state', { class: 'st-' + st }, label)),
      c.body ? h('p.card-body', c.body) : null,
      h('div.kv', h('span.muted', 'Arguments'), h('pre', pretty(c.arguments) || '{}')),
      h('p.muted.who', st === 'pending' ? who : decided),
      st === 'pending' && mine ? h('div.card-actions', approve, h('label.sr-only', { for: reasonId }, 'Reason for rejecting'), reason, reject) : null,
      st === 'pending' && !mine ? h('div.card-actions', approve, reject) : null,
      err);
    card._content = c;
    card._ev = ev;
    if (c.request_id) this.cards.set(c.request_id, card);
    return card;
  }

  // ---------- composer ----------
  async loadCommands() {
    try {
      this.commands = await api.get('/v1/commands' + qs({ room_id: this.roomId }));
    } catch { this.commands = []; }
  }

  onInput() {
    const v = this.input.value;
    this.input.style.height = 'auto';
    this.input.style.height = Math.min(this.input.scrollHeight, 160) + 'px';
    if (/^\/\S*$/.test(v)) {
      if (v === '/' || !this.commandsFresh) {
        this.commandsFresh = true;
        this.loadCommands().then(() => this.showCompletion());
      }
      this.showCompletion();
    } else {
      this.commandsFresh = false;
      this.closeCompletion();
    }
  }

  showCompletion() {
    const v = this.input.value;
    if (!/^\/\S*$/.test(v)) return this.closeCompletion();
    const prefix = v.slice(1).toLowerCase();
    const list = this.commands.filter((c) => c.name.toLowerCase().startsWith(prefix));
    clear(this.completion);
    if (!list.length) return this.closeCompletion();
    list.forEach((c, i) => {
      const opt = h('li.option', {
        role: 'option', id: 'cmd-' + i, 'aria-selected': i === 0 ? 'true' : 'false', dataset: { name: c.name },
        onmousedown: (e) => { e.preventDefault(); this.pick(c.name); },
      }, h('span.cmd', '/' + c.name), h('span.usage', c.usage || ''), h('span.desc', c.description || ''));
      this.completion.append(opt);
    });
    this.completion.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.input.setAttribute('aria-activedescendant', 'cmd-0');
  }

  closeCompletion() {
    if (!this.completion) return;
    this.completion.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }

  pick(name) {
    this.input.value = '/' + name + ' ';
    this.closeCompletion();
    this.input.focus();
  }

  onKey(e) {
    const open = !this.completion.hidden;
    if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      const opts = [...this.completion.children];
      let i = opts.findIndex((o) => o.getAttribute('aria-selected') === 'true');
      i = (i + (e.key === 'ArrowDown' ? 1 : -1) + opts.length) % opts.length;
      opts.forEach((o, k) => o.setAttribute('aria-selected', k === i ? 'true' : 'false'));
      this.input.setAttribute('aria-activedescendant', opts[i].id);
      opts[i].scrollIntoView({ block: 'nearest' });
      return;
    }
    if (open && (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey))) {
      const sel = this.completion.querySelector('[aria-selected="true"]');
      if (sel && this.input.value !== '/' + sel.dataset.name) {
        e.preventDefault();
        this.pick(sel.dataset.name);
        return;
      }
    }
    if (open && e.key === 'Escape') {
      e.preventDefault();
      this.closeCompletion();
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    }
  }

  async send() {
    const body = this.input.value.trim();
    if (!body || !this.roomId) return;
    this.sendErr.show(null);
    this.closeCompletion();
    const uuid = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
    this.input.value = '';
    this.input.style.height = 'auto';
    try {
      const ev = await this.post_send(body, uuid);
      if (!ev.type) ev.type = ev.event_type;
      this.app.live && this.app.live.note(ev);
      if (ev.room_id === this.roomId) {
        this.insert(ev);
        this.scrollDown(true);
      }
    } catch (x) {
      this.sendErr.show(x);
      if (!this.input.value) this.input.value = body;
    }
  }

  /* The server refuses a command while too many wait to run (503 SW_OVERLOADED, nothing
   * stored): send it again with the same event_uuid after Retry-After, a few times. */
  async post_send(body, uuid) {
    const path = `/v1/rooms/${enc(this.roomId)}/send`;
    for (let tries = 0; ; tries++) {
      try {
        return await api.post(path, { content: { msgtype: 'swp.text', body }, event_uuid: uuid });
      } catch (x) {
        if (x.code !== 'SW_OVERLOADED' || tries >= 8) throw x;
        this.sendErr.show(new Error('The server is busy; sending again…'));
        const secs = (x.details && x.details.retry_after) || 1;
        await new Promise(res => setTimeout(res, secs * 1000));
        this.sendErr.show(null);
      }
    }
  }

  async stop() {
    try {
      const d = await api.post(`/v1/rooms/${enc(this.roomId)}/ai/stop`, {});
      toast(d.stopped ? 'Stopped.' : 'Nothing to stop.');
    } catch (x) { toast(x.message, 'error'); }
  }
}
