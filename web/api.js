// api: same-origin calls to the AAM API and the session that authorises them.
// The access token lives only in this module's memory (a script injected elsewhere cannot read
// it from storage). The refresh token, when the server issues one, is kept in localStorage: the
// tabs of this origin share one session, so a duplicated tab never holds a copy of a token that
// another tab spends. Renewing spends the refresh token (presenting a spent one revokes the
// whole session), so every renewal, in any tab, runs under one cross-tab lock and presents the
// newest stored token; the tab that renewed hands the new access token to the others.

const REFRESH_KEY = 'aam.refresh_token';
const LOCK_NAME = 'aam.refresh';
const API = '/api/v1';

// An API failure as the UI shows it: the HTTP status (0 = the server could not be reached),
// the problem's type and detail, field errors of a 422, the seconds of Retry-After and the
// request id a user can quote to an operator.
export class ApiError extends Error {
  constructor({ status, type, title, detail, errors, retryAfter, requestId }) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.type = type || '';
    this.title = title || '';
    this.detail = detail || '';
    this.errors = Array.isArray(errors) ? errors : [];
    this.retryAfter = retryAfter;
    this.requestId = requestId || '';
  }
}

// The signed-in session ended (no token, or it was refused and could not be renewed).
export class SessionEnded extends Error {}

function retryAfterSeconds(value) {
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value); // Retry-After may also be an HTTP date
  return Number.isNaN(t) ? null : Math.max(0, Math.round((t - Date.now()) / 1000));
}

// One request. Resolves { status, data, etag } for 2xx and 304; throws ApiError otherwise.
async function send(method, path, { body, token, headers: extra } = {}) {
  const headers = { Accept: 'application/json', ...(extra || {}) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let resp;
  try {
    resp = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit', // the API authenticates with the bearer token only
      cache: 'no-store', // conditional requests are this module's own (If-None-Match)
      redirect: 'error',
    });
  } catch {
    throw new ApiError({ status: 0, detail: 'The server cannot be reached. Check the connection and try again.' });
  }
  const requestId = resp.headers.get('X-Request-Id') || '';
  let data = null;
  if (resp.status !== 204 && resp.status !== 304 && /json/.test(resp.headers.get('Content-Type') || '')) {
    try {
      data = await resp.json();
    } catch {
      data = null;
    }
  }
  if (!resp.ok && resp.status !== 304) {
    const d = data || {};
    throw new ApiError({
      status: resp.status,
      type: d.type,
      title: d.title || d.error || resp.statusText,
      detail: d.detail || d.error_description || '',
      errors: d.errors,
      retryAfter: retryAfterSeconds(resp.headers.get('Retry-After')),
      requestId,
    });
  }
  return { status: resp.status, data, etag: resp.headers.get('ETag') };
}

let access = null; // { token, expiresAt (ms), claims }
let user = null; // { id, email, namespace, role? }
let refreshing = null; // this tab's one renewal in flight
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('aam.session') : null;
const endedListeners = new Set();

// The access token's claims (its payload is base64url JSON); {} when it cannot be read.
function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent([...atob(part)].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''));
    const c = JSON.parse(json);
    return c && typeof c === 'object' ? c : {};
  } catch {
    return {};
  }
}

function adoptAccess(token, expiresIn) {
  const ttl = Number(expiresIn) > 0 ? Number(expiresIn) : 3600;
  access = { token, expiresAt: Date.now() + ttl * 1000, claims: claimsOf(token) };
}

function keep(data) {
  adoptAccess(data.access_token, data.expires_in);
  if (data.refresh_token) localStorage.setItem(REFRESH_KEY, data.refresh_token);
  if (data.user) user = { ...user, ...data.user };
}

function forget() {
  access = null;
  user = null;
  localStorage.removeItem(REFRESH_KEY);
  sessionStorage.removeItem(REFRESH_KEY); // where earlier versions kept it
}

export function currentUser() {
  return user;
}

// The signed-in user's role (admin, editor, viewer): the access token's claim, else what
// /auth/me said; '' when the server has no roles (then every right is the server's to refuse).
export function role() {
  return (access && typeof access.claims.role === 'string' && access.claims.role) || (user && user.role) || '';
}

// May this user change connectors (create, edit, delete, check)?
export function canEdit() {
  return role() !== 'viewer';
}

export function isAdmin() {
  return role() === 'admin';
}

export function signedIn() {
  return access !== null;
}

// Called (with no argument) when another tab signs out or the shared session ends.
export function onSessionEnded(fn) {
  endedListeners.add(fn);
}

function endedElsewhere() {
  access = null;
  user = null;
  for (const fn of endedListeners) fn();
}

if (channel) {
  channel.addEventListener('message', (ev) => {
    const m = ev.data || {};
    if (m.kind === 'access' && typeof m.token === 'string' && access !== null) {
      const fresh = Number(m.expiresAt) - Date.now();
      if (!access || fresh > access.expiresAt - Date.now()) adoptAccess(m.token, fresh / 1000);
    } else if (m.kind === 'signed-out' && access !== null) {
      endedElsewhere();
    }
  });
}
// A sign-out in another tab removes the shared refresh token.
window.addEventListener('storage', (ev) => {
  if (ev.key === REFRESH_KEY && ev.newValue === null && access !== null) endedElsewhere();
});

export async function signIn(email, password) {
  forget();
  keep((await send('POST', '/auth/login', { body: { email, password } })).data);
  await loadMe();
  return user;
}

// accept-invite answers like login.
export async function acceptInvite(inviteToken, password) {
  forget();
  keep((await send('POST', '/auth/accept-invite', { body: { invite_token: inviteToken, password } })).data);
  await loadMe();
  return user;
}

async function loadMe() {
  try {
    const me = (await send('GET', '/auth/me', { token: access.token })).data;
    user = { ...user, ...me };
  } catch (e) {
    if (!user) throw e;
  }
}

export async function register(fields) {
  return (await send('POST', '/auth/register', { body: fields })).data;
}

// Runs fn while holding the cross-tab refresh lock: Web Locks where the browser has them
// (secure contexts), else a lease in localStorage (written, then read back after a moment,
// so two tabs that race see which of them won).
async function withRefreshLock(fn) {
  if (navigator.locks && typeof navigator.locks.request === 'function') {
    return navigator.locks.request(LOCK_NAME, fn);
  }
  const me = `${Date.now()}-${Math.random()}`;
  const LEASE = `${LOCK_NAME}.lease`;
  for (let i = 0; i < 200; i += 1) {
    const cur = JSON.parse(localStorage.getItem(LEASE) || 'null');
    if (!cur || cur.until < Date.now()) {
      localStorage.setItem(LEASE, JSON.stringify({ me, until: Date.now() + 10000 }));
      await new Promise((r) => setTimeout(r, 50));
      if ((JSON.parse(localStorage.getItem(LEASE) || 'null') || {}).me === me) {
        try {
          return await fn();
        } finally {
          localStorage.removeItem(LEASE);
        }
      }
    }
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 50));
  }
  return fn(); // the lease never freed in 10 s: its holder is gone
}

// Renews the access token. Resolves true when the session goes on. `stale` is the access
// token the caller found wanting (refused, or about to expire); when another tab renewed in
// the meantime and handed this tab a newer one, nothing is spent.
function refresh(stale) {
  if (!refreshing) {
    refreshing = withRefreshLock(async () => {
      if (access && access.token !== stale && access.expiresAt - Date.now() > 30000) return true;
      const token = localStorage.getItem(REFRESH_KEY) || sessionStorage.getItem(REFRESH_KEY);
      if (!token) return false;
      sessionStorage.removeItem(REFRESH_KEY);
      try {
        // Under the lock, the token read above is the newest: no tab presents it twice.
        keep((await send('POST', '/auth/token', { body: { grant_type: 'refresh_token', refresh_token: token } })).data);
      } catch (e) {
        if (e.status === 0 || e.status >= 500 || e.status === 429) throw e; // try again later
        if (localStorage.getItem(REFRESH_KEY) === token) localStorage.removeItem(REFRESH_KEY);
        access = null;
        return false;
      }
      if (channel) channel.postMessage({ kind: 'access', token: access.token, expiresAt: access.expiresAt });
      return true;
    }).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

// After a reload: resumes the session from the stored refresh token. True when signed in.
export async function resume() {
  if (!(await refresh(null))) return false;
  await loadMe();
  return true;
}

// An authorised request. Renews the access token shortly before it expires and once on a
// 401; throws SessionEnded when there is no way to go on without signing in again.
// Resolves { status, data, etag }.
export async function request(method, path, { body, headers } = {}) {
  if (access && access.expiresAt - Date.now() < 30000) await refresh(access.token);
  if (!access) {
    if (!(await refresh(null))) throw new SessionEnded();
  }
  const used = access.token;
  try {
    return await send(method, path, { body, headers, token: used });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    if (!(await refresh(used))) {
      forget();
      throw new SessionEnded();
    }
    return send(method, path, { body, headers, token: access.token });
  }
}

// An authorised call that resolves the response body.
export async function call(method, path, body, headers) {
  return (await request(method, path, { body, headers })).data;
}

// Ends the session on the server (its refresh-token family) when there is one, and forgets
// both tokens here (and in every other tab of this origin) whatever the server answers.
export async function signOut() {
  const token = localStorage.getItem(REFRESH_KEY);
  const bearer = access && access.token;
  forget();
  if (channel) channel.postMessage({ kind: 'signed-out' });
  if (token && bearer) {
    try {
      await send('POST', '/auth/logout', { body: { refresh_token: token }, token: bearer });
    } catch {
      // Signed out here regardless; the server forgets the family when it expires.
    }
  }
}

const enc = encodeURIComponent;
const ifMatch = (etag) => (etag ? { 'If-Match': etag } : undefined);

export const connectors = {
  list: ({ limit, offset, status, type }) => call('GET', `/aam/connectors?${listQuery({ limit, offset, status, type })}`),
  // The list as a conditional request: { status: 304 } when nothing changed since etag.
  listIfChanged: ({ limit, offset, status, type }, etag) =>
    request('GET', `/aam/connectors?${listQuery({ limit, offset, status, type })}`, { headers: etag ? { 'If-None-Match': etag } : undefined }),
  get: (id) => call('GET', `/aam/connectors/${enc(id)}`),
  // { data, etag }: the connector and the ETag to send back with an edit.
  getWithEtag: (id) => request('GET', `/aam/connectors/${enc(id)}`),
  create: (c) => call('POST', '/aam/connectors', c),
  update: (id, changes, etag) => call('PATCH', `/aam/connectors/${enc(id)}`, changes, ifMatch(etag)),
  remove: (id, etag) => call('DELETE', `/aam/connectors/${enc(id)}`, undefined, ifMatch(etag)),
  check: (id) => call('POST', `/aam/connectors/${enc(id)}/check`),
  history: (id, cursor) => call('GET', `/aam/connectors/${enc(id)}/history?limit=20${cursor ? `&cursor=${enc(cursor)}` : ''}`),
  files: (id, { limit, offset }) => call('GET', `/aam/connectors/${enc(id)}/files?limit=${limit}&offset=${offset}`),
  rows: (id, name, { limit, offset }) =>
    call('GET', `/aam/connectors/${enc(id)}/files/${enc(name)}/rows?limit=${limit}&offset=${offset}`),
};

function listQuery({ limit, offset, status, type }) {
  const q = new URLSearchParams({ limit: String(limit), offset: String(offset) });
  if (status) q.set('status', status);
  if (type) q.set('type', type);
  return q;
}

export const types = {
  list: () => call('GET', '/aam/connector-types'),
  check: (type, config) => call('POST', `/aam/connector-types/${enc(type)}/check`, { config }),
};

export const members = {
  list: () => call('GET', '/aam/members'),
  invite: (email, role) => call('POST', '/aam/members', { email, role }),
  setRole: (id, role) => call('PATCH', `/aam/members/${enc(id)}`, { role }),
  remove: (id) => call('DELETE', `/aam/members/${enc(id)}`),
};

export const webhooks = {
  list: () => call('GET', '/aam/webhooks'),
  create: (w) => call('POST', '/aam/webhooks', w),
  update: (id, changes) => call('PATCH', `/aam/webhooks/${enc(id)}`, changes),
  remove: (id) => call('DELETE', `/aam/webhooks/${enc(id)}`),
  rotate: (id) => call('POST', `/aam/webhooks/${enc(id)}/rotate-secret`),
  deliveries: (id) => call('GET', `/aam/webhooks/${enc(id)}/deliveries`),
  test: (id) => call('POST', `/aam/webhooks/${enc(id)}/test`),
};
