// chat: the chat screen — the room list, opening a room (members, invite, AI engagement mode)
// and its timeline paged back. The timeline's live rendering (chat_timeline.js), approval cards
// (chat_approvals.js) and the composer (chat_composer.js) are ChatView methods mixed in below.
import { api, qs, enc } from './api.js';
import { h, clear, field, errorBox, toast } from './dom.js';
import { timelineMethods } from './chat_timeline.js';
import { approvalMethods } from './chat_approvals.js';
import { composerMethods } from './chat_composer.js';

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
}

// the timeline, the approval cards and the composer live in their own modules
Object.assign(ChatView.prototype, timelineMethods, approvalMethods, composerMethods);
