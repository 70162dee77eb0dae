// The README's curl walk, done by a client that @hey-api/openapi-ts generated from the served
// /openapi.json (openapi.test.mjs generates it into ./generated next to a copy of this file and
// compiles both with type checking, so an operation, parameter or field the document no longer
// describes fails the compile before anything runs). Each step is reported as [passed, what].
import { client } from './generated/client.gen.js';
import {
  createConnector, deleteConnector, getConnector, listConnectors, listFiles, listRows, login, me,
  patchConnector, token,
} from './generated/sdk.gen.js';

export type Step = [boolean, string];

export interface WalkOptions {
  baseUrl: string;
  email: string;
  password: string;
  connectorId: string;
  /** Sees every response the client receives (a clone), for the schema check. */
  onResponse: (request: Request, response: Response) => void;
}

export async function walk(o: WalkOptions): Promise<{ steps: Step[]; complete: boolean }> {
  const steps: Step[] = [];
  const step = (passed: boolean, what: string): boolean => { steps.push([passed, what]); return passed; };
  client.setConfig({ baseUrl: o.baseUrl, signal: AbortSignal.timeout(60000) });
  client.interceptors.response.use((response, request) => {
    o.onResponse(request, response.clone());
    return response;
  });

  const anon = await listConnectors();
  step(anon.response.status === 401, `without a token, listConnectors is 401 (got ${anon.response.status})`);
  step((anon.response.headers.get('WWW-Authenticate') ?? '').startsWith('Bearer'),
    '…with WWW-Authenticate: Bearer');
  step(anon.error?.status === 401 && anon.data === undefined, '…and a problem body, no data');

  const signedIn = await login({ body: { email: o.email, password: o.password } });
  if (!step(signedIn.response.status === 200 && signedIn.data !== undefined,
    `login as ${o.email} (got ${signedIn.response.status})`) || signedIn.data === undefined)
    return { steps, complete: false };
  let access = signedIn.data.access_token;
  step(signedIn.data.token_type === 'bearer' && signedIn.data.user.namespace === 'demo',
    '…a bearer token for namespace demo');
  client.setConfig({ auth: () => access });

  const who = await me();
  step(who.data?.email === o.email && who.data?.namespace === 'demo', 'me: the demo user in namespace demo');

  const all = await listConnectors();
  step(all.data?.connectors.some((c) => c.id === 'filesource_demo' && c.status === 'ACTIVE') === true,
    'listConnectors shows filesource_demo, ACTIVE');

  const id = o.connectorId;
  const created = await createConnector({
    body: { id, name: 'CRM exports', type: 'filesource', status: 'ACTIVE',
            config: { path: 'mock_sources/', pattern: '*.csv' } },
  });
  step(created.response.status === 201 && created.data?.id === id && created.data.namespace === 'demo',
    `createConnector ${id}: 201, in namespace demo (got ${created.response.status})`);
  step(created.response.headers.get('Location') === `/api/v1/aam/connectors/${id}`, '…Location names it');

  const got = await getConnector({ path: { id } });
  step(got.data?.name === 'CRM exports' && got.data.type === 'filesource' &&
    (got.data.config as { path?: string }).path === 'mock_sources/', 'getConnector returns what was created');

  const files = await listFiles({ path: { id } });
  const accounts = files.data?.files.find((f) => f.name === 'accounts.csv');
  step(accounts !== undefined && accounts.columns[0] === 'account_id' && (accounts.row_count ?? 0) > 2,
    'listFiles: accounts.csv with its columns and row count');

  const rows = await listRows({ path: { id, name: 'accounts.csv' }, query: { limit: 2 } });
  step(rows.data?.rows.length === 2 && rows.data.rows[0]?.account_id === 'ACC-001' &&
    rows.data.total === accounts?.row_count, 'listRows limit=2: two rows, ACC-001 first, total = row_count');

  const patched = await patchConnector({ path: { id }, body: { status: 'INACTIVE' } });
  step(patched.data?.status === 'INACTIVE' && patched.data.name === 'CRM exports',
    'patchConnector status=INACTIVE: changed, name kept');

  const active = await listConnectors({ query: { status: 'ACTIVE', limit: 10, offset: 0 } });
  step(active.data !== undefined && !active.data.connectors.some((c) => c.id === id) &&
    active.data.connectors.some((c) => c.id === 'filesource_demo'), 'listConnectors status=ACTIVE leaves it out');

  // Staying signed in: the refresh token buys a new access token, which works.
  const refreshed = await token({ body: { grant_type: 'refresh_token', refresh_token: signedIn.data.refresh_token } });
  step(refreshed.response.status === 200 && refreshed.data !== undefined &&
    refreshed.data.refresh_token !== signedIn.data.refresh_token, 'token (refresh_token grant): a new pair');
  if (refreshed.data !== undefined)
    access = refreshed.data.access_token;

  const removed = await deleteConnector({ path: { id } });
  step(removed.response.status === 204, `deleteConnector: 204 with the refreshed token (got ${removed.response.status})`);
  const gone = await getConnector({ path: { id } });
  step(gone.response.status === 404 && gone.error?.status === 404, 'getConnector afterwards: 404 problem');
  return { steps, complete: true };
}
