// main: sign-in, the app shell (header and navigation), client-side routes under /app/.
import { api, session } from './api.js';
import { h, clear, field, errorBox, toast } from './dom.js';
import { Live } from './live.js';
import { ChatView } from './chat.js';
import { PluginsView, AiView, AuditView } from './admin.js';

const root = document.getElementById('app');

export const app = {
  me: null,
  live: null,
  view: null,
  listeners: new Set(), // (ev) => void for every real-time event
  navigate(path, replace = false) {
    if (location.pathname !== path) history[replace ? 'replaceState' : 'pushState']({}, '', path);
    route();
  },
};

session.onUnauthorized = () => {
  toast('Your session has ended. Please sign in again.', 'error');
  signOut();
};

function signOut() {
  session.token = null;
  if (app.live) app.live.stop();
  app.live = null;
  app.me = null;
  if (app.view && app.view.destroy) app.view.destroy();
  app.view = null;
  history.replaceState({}, '', '/');
  renderSignIn();
}

function renderSignIn(initialError) {
  clear(root);
  const err = errorBox();
  const tenant = h('input', { name: 'tenant', autocomplete: 'organization', required: true, value: 'default' });
  const user = h('input', { name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const tokenIn = h('textarea', { name: 'token', rows: 3, spellcheck: 'false', required: true });
  const busy = (form, on) => form.querySelectorAll('button, input, textarea').forEach((b) => { b.disabled = on; });

  const pwForm = h('form.signin-form', {
    'aria-label': 'Sign in with a password',
    onsubmit: async (e) => {
      e.preventDefault();
      err.show(null);
      busy(pwForm, true);
      try {
        const d = await api.post('/v1/auth/token', { tenant: tenant.value.trim(), username: user.value.trim(), password: pass.value }, { token: null });
        await start(d.access_token);
      } catch (x) {
        err.show(x);
        busy(pwForm, false);
        pass.focus();
      }
    },
  },
  field('Tenant', tenant), field('Username', user), field('Password', pass),
  h('button.primary', { type: 'submit' }, 'Sign in'));

  const tokForm = h('form.signin-form', {
    'aria-label': 'Sign in with a token',
    onsubmit: async (e) => {
      e.preventDefault();
      err.show(null);
      busy(tokForm, true);
      try {
        await start(tokenIn.value.trim());
      } catch (x) {
        err.show(x);
        busy(tokForm, false);
      }
    },
  },
  field('Access token', tokenIn, 'For example the admin token in var/admin.token.'),
  h('button.primary', { type: 'submit' }, 'Sign in with token'));

  root.append(h('main.signin',
    h('div.signin-card',
      h('div.brand-lg', h('img', { src: '/static/favicon.svg', alt: '', width: 40, height: 40 }), h('h1', 'ScaiWave')),
      h('p.muted', 'Sign in to chat with people and AIs.'),
      err,
      pwForm,
      h('div.or', h('span', 'or')),
      h('details.token-signin', h('summary', 'Use an access token'), tokForm))));
  if (initialError) err.show(initialError);
  user.focus();
}

async function start(token) {
  session.token = token;
  let me;
  try {
    me = await api.get('/v1/me', { token });
  } catch (x) {
    session.token = null;
    throw x;
  }
  app.me = me;
  app.live = new Live(token, (ev) => app.listeners.forEach((fn) => fn(ev)), setLiveState);
  app.live.start();
  renderShell();
  const p = location.pathname;
  app.navigate(p.startsWith('/app/') ? p : '/app/chat', true);
}

function setLiveState(state) {
  const el = document.getElementById('live-state');
  if (!el) return;
  const text = { live: 'Live', connecting: 'Connecting…', offline: 'Reconnecting…', unauthorized: 'Signed out' }[state] || state;
  el.textContent = text;
  el.dataset.state = state;
  if (state === 'unauthorized') session.onUnauthorized();
}

function isAdmin() {
  return app.me && (app.me.roles || []).includes('admin');
}

function renderShell() {
  clear(root);
  const link = (href, label) => h('a.nav-link', { href, onclick: (e) => { e.preventDefault(); app.navigate(href); } }, label);
  const nav = h('nav.nav', { 'aria-label': 'Main' },
    link('/app/chat', 'Chat'),
    isAdmin() ? [link('/app/admin/plugins', 'Plugins'), link('/app/admin/ai', 'AI'), link('/app/admin/audit', 'Audit')] : null);
  root.append(
    h('header.topbar',
      h('a.brand', { href: '/app/chat', onclick: (e) => { e.preventDefault(); app.navigate('/app/chat'); } },
        h('img', { src: '/static/favicon.svg', alt: '', width: 24, height: 24 }), h('span', 'ScaiWave')),
      nav,
      h('div.who',
        h('span.live-state#live-state', { 'aria-live': 'polite' }, 'Connecting…'),
        h('span.me', { title: app.me.participant_id }, app.me.display_name || app.me.local_id),
        h('button.ghost#signout', { type: 'button', onclick: signOut }, 'Sign out'))),
    h('div.view#view'));
}

function route() {
  if (!app.me) return;
  const path = location.pathname;
  const view = document.getElementById('view');
  document.querySelectorAll('.nav-link').forEach((a) => {
    const cur = path === a.getAttribute('href') || (a.getAttribute('href') === '/app/chat' && path.startsWith('/app/chat'));
    if (cur) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  const m = /^\/app\/chat(?:\/([^/]+))?$/.exec(path);
  if (m) {
    if (app.view instanceof ChatView) {
      app.view.openRoom(m[1] ? decodeURIComponent(m[1]) : null);
      return;
    }
    mount(new ChatView(app, m[1] ? decodeURIComponent(m[1]) : null), view);
    return;
  }
  if (path.startsWith('/app/admin/') && !isAdmin()) {
    mount(null, view, h('div.panel', h('h1', 'Administration'), h('p', 'This needs the tenant admin role.')));
    return;
  }
  if (path === '/app/admin/plugins') return mount(new PluginsView(app), view);
  if (path === '/app/admin/ai') return mount(new AiView(app), view);
  if (path === '/app/admin/audit') return mount(new AuditView(app), view);
  app.navigate('/app/chat', true);
}

function mount(v, container, fallback) {
  if (app.view && app.view.destroy) app.view.destroy();
  app.view = v;
  clear(container);
  container.append(v ? v.el : fallback);
  if (v && v.load) v.load();
}

window.addEventListener('popstate', route);

(async () => {
  const token = session.token;
  if (token) {
    try {
      await start(token);
      return;
    } catch (x) {
      renderSignIn(x);
      return;
    }
  }
  renderSignIn();
})();
