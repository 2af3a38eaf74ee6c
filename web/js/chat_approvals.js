// chat_approvals: the approval card of an AI's tool call as a ChatView method — the request,
// its arguments, who decides, and Approve / Reject (with a reason) for the initiator. Mixed into
// ChatView by chat.js.
import { api, enc } from './api.js';
import { h, errorBox, pretty, nextId } from './dom.js';

export const approvalMethods = {
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
  },
};
