// chat_timeline: a room's timeline as ChatView methods — the live events of the open room,
// stored messages (people, AI, system, tool results), streaming AI bubbles, the AI status line
// and tool-call chips. Mixed into ChatView by chat.js.
import { h, fmtTime, pretty } from './dom.js';

export const timelineMethods = {
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
  },

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
  },

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
  },

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
  },

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
  },

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
  },
};
