// chat_composer: the composer as ChatView methods — slash-command completion (the commands of
// the room, keyboard selection), sending (again after 503 SW_OVERLOADED, same event_uuid) and
// the Stop button. Mixed into ChatView by chat.js.
import { api, qs, enc } from './api.js';
import { h, clear, toast } from './dom.js';

export const composerMethods = {
  async loadCommands() {
    try {
      this.commands = await api.get('/v1/commands' + qs({ room_id: this.roomId }));
    } catch { this.commands = []; }
  },

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
  },

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
  },

  closeCompletion() {
    if (!this.completion) return;
    this.completion.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  },

  pick(name) {
    this.input.value = '/' + name + ' ';
    this.closeCompletion();
    this.input.focus();
  },

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
  },

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
  },

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
  },

  async stop() {
    try {
      const d = await api.post(`/v1/rooms/${enc(this.roomId)}/ai/stop`, {});
      toast(d.stopped ? 'Stopped.' : 'Nothing to stop.');
    } catch (x) { toast(x.message, 'error'); }
  },
};
