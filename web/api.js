// api: same-origin calls to the AAM API and the session that authorises them.
// The access token lives only in this module's memory (a script injected elsewhere cannot read
// it from storage); the refresh token, when the server issues one, is kept in sessionStorage so
// a reload within the tab stays signed in, and is gone when the tab closes or on sign-out.

const REFRESH_KEY = 'aam.refresh_token';
const API = '/api/v1';

// An API failure as the UI shows it: the HTTP status (0 = the server could not be reached),
// the problem's detail, field errors of a 422, the seconds of Retry-After and the request id
// a user can quote to an operator.
export class ApiError extends Error {
  constructor({ status, title, detail, errors, retryAfter, requestId }) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
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

async function send(method, path, { body, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let resp;
  try {
    resp = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit', // the API authenticates with the bearer token only
      cache: 'no-store',
      redirect: 'error',
    });
  } catch {
    throw new ApiError({ status: 0, detail: 'The server cannot be reached. Check the connection and try again.' });
  }
  const requestId = resp.headers.get('X-Request-Id') || '';
  let data = null;
  if (resp.status !== 204 && /json/.test(resp.headers.get('Content-Type') || '')) {
    try {
      data = await resp.json();
    } catch {
      data = null;
    }
  }
  if (!resp.ok) {
    const d = data || {};
    throw new ApiError({
      status: resp.status,
      title: d.title || d.error || resp.statusText,
      detail: d.detail || d.error_description || '',
      errors: d.errors,
      retryAfter: retryAfterSeconds(resp.headers.get('Retry-After')),
      requestId,
    });
  }
  return data;
}

let access = null; // { token, expiresAt (ms) }
let user = null; // { id, email, namespace }
let refreshing = null; // the one refresh in flight: rotation spends a token, so never two at once

function keep(data) {
  const ttl = Number(data.expires_in) > 0 ? Number(data.expires_in) : 3600;
  access = { token: data.access_token, expiresAt: Date.now() + ttl * 1000 };
  if (data.refresh_token) sessionStorage.setItem(REFRESH_KEY, data.refresh_token);
  if (data.user) user = data.user;
}

function forget() {
  access = null;
  user = null;
  sessionStorage.removeItem(REFRESH_KEY);
}

export function currentUser() {
  return user;
}

export function signedIn() {
  return access !== null;
}

export async function signIn(email, password) {
  forget();
  keep(await send('POST', '/auth/login', { body: { email, password } }));
  if (!user) user = await send('GET', '/auth/me', { token: access.token });
  return user;
}

export async function register(fields) {
  return send('POST', '/auth/register', { body: fields });
}

// Trades the stored refresh token for new tokens. Resolves true when the session goes on.
function refresh() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  if (!token) return Promise.resolve(false);
  if (!refreshing) {
    refreshing = send('POST', '/auth/token', { body: { grant_type: 'refresh_token', refresh_token: token } })
      .then((data) => {
        keep(data);
        return true;
      })
      .catch((e) => {
        if (e.status === 0 || e.status >= 500 || e.status === 429) throw e; // try again later
        forget();
        return false;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

// After a reload: resumes the tab's session from its refresh token. True when signed in.
export async function resume() {
  if (!(await refresh())) return false;
  if (!user) user = await call('GET', '/auth/me');
  return true;
}

// An authorised call. Renews the access token shortly before it expires and once on a 401;
// throws SessionEnded when there is no way to go on without signing in again.
export async function call(method, path, body) {
  if (access && access.expiresAt - Date.now() < 30000) await refresh();
  if (!access) {
    if (!(await refresh())) throw new SessionEnded();
  }
  try {
    return await send(method, path, { body, token: access.token });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    access = null;
    if (!(await refresh())) {
      forget();
      throw new SessionEnded();
    }
    return send(method, path, { body, token: access.token });
  }
}

// Ends the session on the server (its refresh-token family) when there is one, and forgets
// both tokens here whatever the server answers.
export async function signOut() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  const bearer = access && access.token;
  forget();
  if (token && bearer) {
    try {
      await send('POST', '/auth/logout', { body: { refresh_token: token }, token: bearer });
    } catch {
      // Signed out here regardless; the server forgets the family when it expires.
    }
  }
}

const enc = encodeURIComponent;

export const connectors = {
  list: ({ limit, offset, status, type }) => {
    const q = new URLSearchParams({ limit: String(limit), offset: String(offset) });
    if (status) q.set('status', status);
    if (type) q.set('type', type);
    return call('GET', `/aam/connectors?${q}`);
  },
  get: (id) => call('GET', `/aam/connectors/${enc(id)}`),
  create: (c) => call('POST', '/aam/connectors', c),
  update: (id, changes) => call('PATCH', `/aam/connectors/${enc(id)}`, changes),
  remove: (id) => call('DELETE', `/aam/connectors/${enc(id)}`),
  files: (id, { limit, offset }) => call('GET', `/aam/connectors/${enc(id)}/files?limit=${limit}&offset=${offset}`),
  rows: (id, name, { limit, offset }) =>
    call('GET', `/aam/connectors/${enc(id)}/files/${enc(name)}/rows?limit=${limit}&offset=${offset}`),
};
