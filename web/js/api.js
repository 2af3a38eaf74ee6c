// api: the HTTP client. Every answer is the API's envelope: {data, meta} on success,
// {error: {code, message, details}} on failure, which becomes an ApiError with a readable message.

const TOKEN_KEY = 'scaiwave.token';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(v) {
    if (v) sessionStorage.setItem(TOKEN_KEY, v);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
  onUnauthorized: null, // set by the app: called on a 401 for a request made with a token
};

function readable(status, body) {
  const e = body && body.error;
  if (e && e.message) {
    let msg = e.message.charAt(0).toUpperCase() + e.message.slice(1);
    if (e.details && e.details.field && !msg.includes(e.details.field)) msg += ` (field: ${e.details.field})`;
    return new ApiError(status, e.code || 'SW_UNKNOWN', msg, e.details);
  }
  return new ApiError(status, 'SW_HTTP_' + status, `The server answered ${status} without an explanation.`);
}

/** Calls the API; resolves to {data, meta}. */
export async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  const token = opts.token !== undefined ? opts.token : session.token;
  if (token) headers.Authorization = 'Bearer ' + token;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, signal: opts.signal });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'SW_NETWORK', 'Cannot reach the server. Check that it is running and try again.');
  }
  let json = null;
  const text = await res.text();
  if (text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (!res.ok) {
    const err = readable(res.status, json);
    if (res.status === 401 && token && session.onUnauthorized) session.onUnauthorized(err);
    throw err;
  }
  if (res.status === 204) return { data: null, meta: {} }; // DELETE: no body
  if (!json || !('data' in json)) throw new ApiError(res.status, 'SW_BAD_ANSWER', 'The server sent an unexpected answer.');
  return { data: json.data, meta: json.meta || {} };
}

export const api = {
  get: async (path, opts) => (await request('GET', path, undefined, opts)).data,
  post: async (path, body = {}, opts) => (await request('POST', path, body, opts)).data,
  put: async (path, body = {}, opts) => (await request('PUT', path, body, opts)).data,
  patch: async (path, body = {}, opts) => (await request('PATCH', path, body, opts)).data,
  del: async (path, opts) => (await request('DELETE', path, undefined, opts)).data,
  page: (path, opts) => request('GET', path, undefined, opts),
};

/** ?a=1&b=2 from an object, skipping empty values. */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? '?' + s : '';
}

export function enc(s) { return encodeURIComponent(s); }
