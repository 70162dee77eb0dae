// A stand-in for the API routes the server does not have yet, written from shared/CONTRACT.md
// (connector types and secrets, checks, history and ETags, members, webhooks), answered inside
// the browser context by Playwright's request interception. ui.test.mjs installs it only for a
// scenario whose routes the server under test lacks, and says so on a "#" line: the scenario
// then checks the UI's side of the contract; the lead drops the stub once the backend is merged.
// Everything else (sign-in, files) goes to the real server.

const SCHEMA = 'https://json-schema.org/draft/2020-12/schema';
export const TYPES = [
  {
    type: 'filesource',
    title: 'Files (CSV)',
    description: "CSV files in a folder of the server's sources root.",
    spec: {
      $schema: SCHEMA,
      type: 'object',
      properties: {
        path: { type: 'string', title: 'Folder', description: 'A folder inside the sources root (AAM_SOURCES_ROOT) granted to this tenant, such as mock_sources/', minLength: 1, maxLength: 4095 },
        pattern: { type: 'string', title: 'File pattern', description: "A file-name glob without '/', such as *.csv", default: '*.csv', minLength: 1, maxLength: 255, pattern: '^[^/]+$' },
      },
      required: ['path'],
      additionalProperties: false,
    },
  },
  {
    type: 'postgres',
    title: 'PostgreSQL',
    description: 'A PostgreSQL database, reached over the network.',
    spec: {
      $schema: SCHEMA,
      type: 'object',
      properties: {
        host: { type: 'string', title: 'Host', description: 'Host name or IPv4 address of the server', format: 'hostname', maxLength: 253 },
        port: { type: 'integer', title: 'Port', default: 5432, minimum: 1, maximum: 65535 },
        database: { type: 'string', title: 'Database', minLength: 1, maxLength: 63 },
        user: { type: 'string', title: 'User', minLength: 1, maxLength: 63 },
        password: { type: 'string', title: 'Password', description: 'Stored encrypted; never shown again', maxLength: 1024, writeOnly: true },
        sslmode: { type: 'string', title: 'SSL mode', description: 'libpq sslmode', enum: ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'], default: 'prefer' },
      },
      required: ['host', 'database', 'user'],
      additionalProperties: false,
    },
  },
  {
    type: 's3',
    title: 'Amazon S3',
    description: 'Objects in an S3 bucket, or in an S3-compatible store.',
    spec: {
      $schema: SCHEMA,
      type: 'object',
      properties: {
        bucket: { type: 'string', title: 'Bucket', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
        region: { type: 'string', title: 'Region', pattern: '^[a-z0-9-]+$', maxLength: 32 },
        secret_access_key: { type: 'string', title: 'Secret access key', writeOnly: true, maxLength: 1024 },
      },
      required: ['bucket', 'region'],
      additionalProperties: false,
    },
  },
];

const now = () => new Date().toISOString();
const problem = (status, title, detail, extra = {}) => ({ status, json: { type: 'about:blank', title, status, detail, ...extra }, problem: true });

function validate(type, config) {
  const t = TYPES.find((x) => x.type === type);
  if (!t) return [{ field: 'type', message: 'is not a known connector type' }];
  const errors = [];
  const props = t.spec.properties;
  for (const [k, v] of Object.entries(config || {})) {
    const p = props[k];
    if (!p) {
      errors.push({ field: `config.${k}`, message: 'is not a property of this type' });
      continue;
    }
    if (v === null && p.writeOnly) continue;
    if (p.type === 'integer' && !Number.isInteger(v)) errors.push({ field: `config.${k}`, message: 'must be an integer' });
    else if (p.type === 'integer' && ((p.minimum !== undefined && v < p.minimum) || (p.maximum !== undefined && v > p.maximum))) errors.push({ field: `config.${k}`, message: `must be between ${p.minimum} and ${p.maximum}` });
    else if (p.type === 'string' && typeof v !== 'string') errors.push({ field: `config.${k}`, message: 'must be a string' });
    else if (p.enum && !p.enum.includes(v)) errors.push({ field: `config.${k}`, message: `must be one of ${p.enum.join(', ')}` });
    else if (p.pattern && !new RegExp(p.pattern).test(v)) errors.push({ field: `config.${k}`, message: `must match ${p.pattern}` });
  }
  for (const r of t.spec.required || []) if (config[r] === undefined) errors.push({ field: `config.${r}`, message: 'is required' });
  if (type === 'filesource' && config.path !== undefined && config.path !== 'mock_sources/') errors.push({ field: 'config.path', message: 'is not a folder this tenant may read' });
  return errors;
}

const secretNames = (type) => Object.entries((TYPES.find((t) => t.type === type) || { spec: { properties: {} } }).spec.properties).filter(([, p]) => p.writeOnly).map(([k]) => k);

export function createStub({ role = 'admin', email = 'demo@autonomos.local', acceptAnswer = null } = {}) {
  const st = {
    role,
    acceptAnswer, // what accept-invite answers (a login's body), set by the test
    tenantRev: 1,
    connectors: new Map(),
    events: [],
    members: [{ user_id: 'u-demo', email, role: 'admin', created_at: now() }],
    invites: new Map(),
    webhooks: new Map(),
    seen: [], // every request the stub answered: { method, path, headers, body }
  };
  let nextId = 1;
  const put = (c) => {
    c.rev = (c.rev || 0) + 1;
    st.tenantRev += 1;
    st.connectors.set(c.id, c);
  };
  put({ id: 'filesource_demo', name: 'FilesSource Demo', type: 'filesource', status: 'ACTIVE', namespace: 'demo', config: { path: 'mock_sources/', pattern: '*.csv' }, secret: {}, created_at: now(), updated_at: now() });
  const view = (c) => {
    const names = secretNames(c.type);
    const config = {};
    for (const [k, v] of Object.entries(c.config)) if (!names.includes(k)) config[k] = v;
    const out = { id: c.id, name: c.name, type: c.type, status: c.status, namespace: c.namespace, config, secrets: Object.keys(c.secret).sort(), created_at: c.created_at, updated_at: c.updated_at };
    if (c.last_check) out.last_check = c.last_check;
    return out;
  };
  const etag = (c) => `"c${c.rev}-${c.id.length}"`;
  const event = (c, action, changes) => st.events.push({ id: String(st.events.length + 1), at: now(), actor: { type: 'user', id: 'u-demo', email }, action, connector_id: c.id, changes, request_id: `stub-${st.events.length}` });
  const forbidden = () => problem(403, 'Forbidden', 'Your role does not allow this.', { type: 'urn:aam:problem:forbidden' });
  const canEdit = () => st.role !== 'viewer';
  const check = (type, config) => {
    if (type === 's3') return problem(422, 'Cannot be checked', 'This type has no check.', { type: 'urn:aam:problem:no-check' });
    if (type === 'filesource') {
      const ok = config.path === 'mock_sources/';
      return { status: 200, json: { ok, checked_at: now(), duration_ms: 3, steps: [{ name: 'folder', ok, message: ok ? 'owned and readable' : 'folder not readable' }, ...(ok ? [{ name: 'pattern', ok: true, message: '4 files match *.csv' }, { name: 'headers', ok: true, message: '4 headers parse' }] : [])] } };
    }
    return { status: 200, json: { ok: false, checked_at: now(), duration_ms: 12, steps: [{ name: 'resolve', ok: true, message: `${config.host} resolves to 203.0.113.7` }, { name: 'connect', ok: false, message: `password authentication failed for user ${config.user}` }] } };
  };

  function answer(method, path, q, headers, body) {
    let m;
    if (path === '/auth/me' && method === 'GET') return null; // the real one, role added below
    if (path === '/auth/accept-invite' && method === 'POST') {
      const inv = st.invites.get(body && body.invite_token);
      if (!inv || !st.acceptAnswer) return problem(400, 'Bad Request', 'The invitation is not valid (used, expired or unknown).');
      st.invites.delete(body.invite_token);
      return { status: 200, json: st.acceptAnswer };
    }
    if (!path.startsWith('/aam/')) return null;
    if (path === '/aam/connector-types' && method === 'GET') return { status: 200, json: { types: TYPES } };
    if ((m = /^\/aam\/connector-types\/([^/]+)\/check$/.exec(path)) && method === 'POST') {
      if (!canEdit()) return forbidden();
      const errors = validate(m[1], (body && body.config) || {});
      if (errors.length) return problem(422, 'Unprocessable Content', 'The config is not valid.', { errors });
      return check(m[1], body.config);
    }
    if (path === '/aam/connectors' && method === 'GET') {
      const tag = `"l${st.tenantRev}"`;
      if (headers['if-none-match'] === tag) return { status: 304, headers: { ETag: tag } };
      let all = [...st.connectors.values()];
      if (q.get('status')) all = all.filter((c) => c.status === q.get('status'));
      if (q.get('type')) all = all.filter((c) => c.type === q.get('type'));
      const offset = Number(q.get('offset') || 0);
      const limit = Number(q.get('limit') || 50);
      return { status: 200, headers: { ETag: tag }, json: { connectors: all.sort((a, b) => a.id.localeCompare(b.id)).slice(offset, offset + limit).map(view), total: all.length } };
    }
    if (path === '/aam/connectors' && method === 'POST') {
      if (!canEdit()) return forbidden();
      const errors = validate(body.type, body.config || {});
      if (!body.id) errors.unshift({ field: 'id', message: 'is required' });
      if (!body.name) errors.unshift({ field: 'name', message: 'is required' });
      if (errors.length) return problem(422, 'Unprocessable Content', 'Some fields are not valid.', { errors });
      if (st.connectors.has(body.id)) return problem(409, 'Conflict', 'a connector with this id exists');
      const names = secretNames(body.type);
      const c = { id: body.id, name: body.name, type: body.type, status: body.status || 'ACTIVE', namespace: 'demo', config: {}, secret: {}, created_at: now(), updated_at: now() };
      for (const [k, v] of Object.entries(body.config || {})) if (names.includes(k)) c.secret[k] = v;
      else c.config[k] = v;
      put(c);
      event(c, 'created', {});
      return { status: 201, headers: { ETag: etag(c) }, json: view(c) };
    }
    if ((m = /^\/aam\/connectors\/([^/]+)(\/check|\/history)?$/.exec(path))) {
      const id = decodeURIComponent(m[1]);
      const c = st.connectors.get(id);
      if (m[2] === '/history' && method === 'GET') {
        if (!c && !st.events.some((e) => e.connector_id === id)) return problem(404, 'Not Found', 'no such connector');
        return { status: 200, json: { events: st.events.filter((e) => e.connector_id === id).reverse(), next_cursor: null } };
      }
      if (!c) return problem(404, 'Not Found', 'no such connector');
      if (method === 'GET' && !m[2]) {
        if (headers['if-none-match'] === etag(c)) return { status: 304, headers: { ETag: etag(c) } };
        return { status: 200, headers: { ETag: etag(c) }, json: view(c) };
      }
      if (!canEdit()) return forbidden();
      if (headers['if-match'] && headers['if-match'] !== etag(c)) return problem(412, 'Precondition Failed', 'The connector changed since you read it.');
      if (m[2] === '/check' && method === 'POST') {
        const r = check(c.type, { ...c.config, ...c.secret });
        if (r.problem) return r;
        c.last_check = { ok: r.json.ok, checked_at: r.json.checked_at, message: r.json.steps.map((s) => s.message).join('; ') };
        if (!r.json.ok && c.status !== 'INACTIVE') c.status = 'ERROR';
        put(c);
        event(c, 'checked', {});
        return r;
      }
      if (method === 'PATCH') {
        st.seen.push({ method, path, headers, body });
        const changes = {};
        if (body.config !== undefined) {
          const names = secretNames(c.type);
          const plain = {};
          for (const [k, v] of Object.entries(body.config)) if (!names.includes(k)) plain[k] = v;
          const errors = validate(c.type, body.config);
          if (errors.length) return problem(422, 'Unprocessable Content', 'Some fields are not valid.', { errors });
          for (const k of names) {
            if (!(k in body.config)) continue;
            changes[`config.${k}`] = { changed: true };
            if (body.config[k] === null) delete c.secret[k];
            else c.secret[k] = body.config[k];
          }
          for (const k of new Set([...Object.keys(plain), ...Object.keys(c.config)])) if (plain[k] !== c.config[k]) changes[`config.${k}`] = { from: c.config[k], to: plain[k] };
          c.config = plain;
        }
        for (const k of ['name', 'status']) if (body[k] !== undefined && body[k] !== c[k]) {
          changes[k] = { from: c[k], to: body[k] };
          c[k] = body[k];
        }
        c.updated_at = now();
        put(c);
        event(c, 'updated', changes);
        return { status: 200, headers: { ETag: etag(c) }, json: view(c) };
      }
      if (method === 'DELETE') {
        st.connectors.delete(id);
        st.tenantRev += 1;
        event(c, 'deleted', {});
        return { status: 204 };
      }
    }
    if (path === '/aam/members' && method === 'GET') return { status: 200, json: { members: st.members } };
    if (path === '/aam/members' && method === 'POST') {
      if (st.role !== 'admin') return forbidden();
      if (!/^[^@\s]+@[^@\s]+$/.test(body.email || '')) return problem(422, 'Unprocessable Content', 'Some fields are not valid.', { errors: [{ field: 'email', message: 'is not an email address' }] });
      const token = `inv_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
      const mem = { user_id: `u-${nextId++}`, email: body.email, role: body.role, created_at: now() };
      st.members.push(mem);
      st.invites.set(token, mem);
      return { status: 201, json: { ...mem, invite_token: token } };
    }
    if ((m = /^\/aam\/members\/([^/]+)$/.exec(path))) {
      if (st.role !== 'admin') return forbidden();
      const mem = st.members.find((x) => x.user_id === decodeURIComponent(m[1]));
      if (!mem) return problem(404, 'Not Found', 'no such member');
      const admins = st.members.filter((x) => x.role === 'admin').length;
      if (method === 'PATCH') {
        if (mem.role === 'admin' && body.role !== 'admin' && admins === 1) return problem(409, 'Conflict', 'The last admin cannot be demoted.');
        mem.role = body.role;
        return { status: 200, json: mem };
      }
      if (method === 'DELETE') {
        if (mem.role === 'admin' && admins === 1) return problem(409, 'Conflict', 'The last admin cannot be removed.');
        st.members = st.members.filter((x) => x !== mem);
        return { status: 204 };
      }
    }
    if (path === '/aam/webhooks' && method === 'GET') return { status: 200, json: { webhooks: [...st.webhooks.values()].map(({ secret, ...w }) => w) } };
    if (path === '/aam/webhooks' && method === 'POST') {
      if (!/^https?:\/\//.test(body.url || '')) return problem(422, 'Unprocessable Content', 'Some fields are not valid.', { errors: [{ field: 'url', message: 'must be an http or https URL' }] });
      const w = { id: `wh_${nextId++}`, url: body.url, events: body.events, description: body.description, active: true, created_at: now(), secret: `whsec_${Buffer.from(String(Math.random())).toString('base64')}` };
      st.webhooks.set(w.id, w);
      return { status: 201, json: { ...w } };
    }
    if ((m = /^\/aam\/webhooks\/([^/]+)(\/rotate-secret|\/deliveries)?$/.exec(path))) {
      const w = st.webhooks.get(decodeURIComponent(m[1]));
      if (!w) return problem(404, 'Not Found', 'no such webhook');
      if (m[2] === '/rotate-secret' && method === 'POST') {
        w.secret = `whsec_${Buffer.from(`rotated${Math.random()}`).toString('base64')}`;
        return { status: 200, json: { id: w.id, secret: w.secret } };
      }
      if (m[2] === '/deliveries' && method === 'GET') {
        return { status: 200, json: { deliveries: [{ id: 'd2', event_type: 'connector.updated', attempted_at: now(), status_code: 200, duration_ms: 41 }, { id: 'd1', event_type: 'connector.created', attempted_at: now(), status_code: 503, error: 'HTTP 503', duration_ms: 120 }] } };
      }
      if (method === 'PATCH') {
        Object.assign(w, body);
        const { secret, ...out } = w;
        return { status: 200, json: out };
      }
      if (method === 'DELETE') {
        st.webhooks.delete(w.id);
        return { status: 204 };
      }
    }
    return problem(404, 'Not Found', 'the stub has no such route');
  }

  // Installs the stub on a browser context (every page of it).
  st.install = async (context, baseUrl) => {
    await context.route(`${baseUrl}/api/v1/**`, async (route) => {
      const req = route.request();
      const u = new URL(req.url());
      const path = u.pathname.replace(/^\/api\/v1/, '');
      let body = null;
      try {
        body = req.postDataJSON();
      } catch {
        body = null;
      }
      const headers = await req.allHeaders();
      if (path === '/auth/me' && req.method() === 'GET') {
        const resp = await route.fetch();
        const json = await resp.json().catch(() => ({}));
        return route.fulfill({ response: resp, json: { ...json, role: st.role } });
      }
      const a = answer(req.method(), path, u.searchParams, headers, body);
      if (!a) return route.continue();
      return route.fulfill({
        status: a.status,
        headers: { 'X-Request-Id': `stub-${Date.now().toString(36)}`, ...(a.headers || {}), ...(a.json ? { 'Content-Type': a.problem ? 'application/problem+json' : 'application/json; charset=utf-8' } : {}) },
        body: a.json ? JSON.stringify(a.json) : '',
      });
    });
  };
  return st;
}
