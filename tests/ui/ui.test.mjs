// The Connections tab as a person uses it, in Debian's chromium driven by playwright-core
// (no browser download: executablePath). Elements are found by role, label and text. Every
// page is watched for requests to another origin, console errors and uncaught exceptions, and
// axe-core checks each screen. Prints TAP lines and "# N passed, M failed".
// Environment: BASE_URL (seeded server), DOWN_URL (a server without its database), CHROMIUM,
// SHOTS (screenshot folder), VANISHING_DIR (a folder this test deletes), DEMO_PASSWORD,
// SERVER_PID + AAM_BIN (the last scenario restarts the server with another JWT secret).
import { spawn } from 'node:child_process';
import { openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const { BASE_URL, DOWN_URL, SHOTS, VANISHING_DIR, AAM_BIN, SERVER_PID, RESTART_LOG } = process.env;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const DEMO = { email: 'demo@autonomos.local', password: process.env.DEMO_PASSWORD };
const TIMEOUT = 10000;

let passed = 0;
let failed = 0;
function report(ok, name, why) {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}`);
  if (!ok && why) for (const line of String(why).split('\n').slice(0, 12)) console.log(`#   ${line}`);
}

// Fails a run that hangs, whatever hangs: the suite must end by itself.
const watchdog = setTimeout(() => {
  console.log('not ok - the browser tests did not finish within 240 s');
  console.log(`# ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, 240000);

// ------------------------------------------------------------------ page guards

// Watches a page: requests to another origin, uncaught exceptions, console errors. A console
// error "Failed to load resource: … status of N" for an API call is the browser reporting a
// status the test provoked on purpose; allow(N) lists those, anything else is a failure.
function guard(page, origin) {
  const g = { problems: [], allowed: new Set() };
  g.allow = (...statuses) => statuses.forEach((s) => g.allowed.add(s));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.origin !== origin) g.problems.push(`request to another origin: ${r.url()}`);
  });
  page.on('pageerror', (e) => g.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const loc = m.location().url || '';
    const s = /the server responded with a status of (\d+)/.exec(m.text());
    if (s && loc.startsWith(`${origin}/api/`) && g.allowed.has(Number(s[1]))) return;
    g.problems.push(`console error: ${m.text()} (${loc})`);
  });
  g.check = () => {
    if (g.problems.length) throw new Error(g.problems.join('\n'));
  };
  return g;
}

let browser;
async function newPage({ origin = BASE_URL, colorScheme = 'light', width = 1280, height = 860 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const g = guard(page, origin);
  return { page, g, context };
}

// axe-core on the current screen: no serious or critical violation. The engine is evaluated
// over the DevTools protocol (the page's CSP forbids an injected <script>, as it should).
async function axe(page, screen) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'], runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }),
  );
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`).join('\n');
  if (bad.length) throw new Error(`axe on ${screen}:\n${text}`);
}

async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    report(true, `${name} (${Date.now() - started} ms)`);
  } catch (e) {
    report(false, name, e && e.stack ? e.stack : e);
  }
}

// Polls until the locator's text matches re (Playwright's own waits cover visibility).
async function expectText(locator, re) {
  const deadline = Date.now() + TIMEOUT;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.first().textContent().catch(() => '')) || '';
    if (re.test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`expected text ${re}, got "${last.slice(0, 200)}"`);
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function signIn(page, { email, password }) {
  await page.goto(`${BASE_URL}/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const card = (page, name) => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name, exact: true }) });

// An API call from node, for setting the stage (a person's clicks are the browser's part).
async function apiCall(method, path, token, body) {
  const resp = await fetch(`${BASE_URL}/api/v1${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await resp.text();
  return { status: resp.status, body: text ? JSON.parse(text) : null };
}

// ------------------------------------------------------------------ the scenarios

async function main() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root, chromium refuses to start with its sandbox; the shared-memory flag avoids a
    // small /dev/shm in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    timeout: 30000,
  });
  const login = await apiCall('POST', '/auth/login', null, DEMO);
  assert(login.status === 200, `the demo user cannot sign in (HTTP ${login.status})`);
  const token = login.body.access_token;
  const refreshTokens = typeof login.body.refresh_token === 'string';

  await test('wrong password: a clear message with the request id, still on sign-in', async () => {
    const { page, g, context } = await newPage();
    g.allow(401);
    await signIn(page, { email: DEMO.email, password: 'not-the-password' });
    const alert = page.getByRole('alert');
    await expectText(alert, /Wrong email or password\./);
    await expectText(alert, /Request ID: \S{8,}/);
    await page.getByRole('heading', { name: 'Sign in to AAM' }).waitFor();
    await axe(page, 'sign-in with an error');
    await page.screenshot({ path: `${SHOTS}/signin-error-light-1280.png` });
    g.check();
    await context.close();
  });

  // One signed-in demo page carries the journey below (each sign-in costs a password hash).
  const demo = await newPage();
  const { page } = demo;
  const countLine = () => page.getByRole('status').filter({ hasText: /connectors?\b/ });

  await test('keyboard only: Tab to the fields, type, Enter → the FilesSource Demo card shows ACTIVE (the seed scenario)', async () => {
    await page.goto(`${BASE_URL}/`);
    await page.getByRole('heading', { name: 'Sign in to AAM' }).waitFor();
    await axe(page, 'sign-in');
    await page.screenshot({ path: `${SHOTS}/signin-light-1280.png` });
    // From wherever focus starts, Tab must reach the Email field within a few presses.
    const focusedLabel = () => page.evaluate(() => (document.activeElement && document.activeElement.labels && document.activeElement.labels[0] ? document.activeElement.labels[0].textContent : ''));
    let presses = 0;
    while ((await focusedLabel()) !== 'Email' && presses < 6) {
      await page.keyboard.press('Tab');
      presses += 1;
    }
    assert((await focusedLabel()) === 'Email', 'Tab never reached the Email field');
    await page.keyboard.type(DEMO.email);
    await page.keyboard.press('Tab');
    assert((await focusedLabel()) === 'Password', 'Tab from Email did not reach Password');
    await page.keyboard.type(DEMO.password);
    await page.keyboard.press('Enter');
    const c = card(page, 'FilesSource Demo');
    await expectText(c, /ACTIVE/);
    await expectText(c, /filesource_demo/);
    await expectText(c, /Type: filesource/);
    await expectText(c, /Updated/);
    await page.getByRole('link', { name: 'Connections' }).waitFor();
    await expectText(countLine(), /^1–1 of 1 connector$/);
    demo.g.check();
  });

  await test('screenshots of the Connections tab: light and dark, 1280 and 375 px wide (axe in each)', async () => {
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      for (const width of [1280, 375]) {
        await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
        await axe(page, `connections ${colorScheme} ${width}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(overflow <= 0, `the page scrolls sideways by ${overflow} px at ${width} px`);
        await page.screenshot({ path: `${SHOTS}/connections-${colorScheme}-${width}.png` });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 860 });
    demo.g.check();
  });

  await test('create (a 422 shown at its field first), edit the status, filter, search, delete — no reload', async () => {
    demo.g.allow(422);
    await page.evaluate(() => { window.__noReload = true; });
    await page.getByRole('button', { name: 'New connector' }).click();
    const dialog = page.getByRole('dialog', { name: 'New connector' });
    await dialog.waitFor();
    assert(await dialog.getByLabel('ID').evaluate((el) => el === document.activeElement), 'focus did not move into the dialog');
    await dialog.getByLabel('ID').fill('ui_test');
    await dialog.getByLabel('Name').fill('UI Test Source');
    await dialog.getByLabel('Path').fill('/etc');
    await axe(page, 'the create dialog');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const path = dialog.getByLabel('Path');
    await page.waitForFunction(() => document.querySelector('[name="config.path"]').getAttribute('aria-invalid') === 'true');
    const described = await path.evaluate((el) => el.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id).textContent).join(' '));
    assert(/Error:/.test(described) && described.length > 20, `the Path field does not carry the API's message: "${described}"`);
    await expectText(dialog, /Request ID: \S{8,}/);
    await axe(page, 'the create dialog with a 422');
    await page.screenshot({ path: `${SHOTS}/create-422-light-1280.png` });
    await path.fill('mock_sources/');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    const mine = card(page, 'UI Test Source');
    await expectText(mine, /ACTIVE/);
    assert(await page.getByRole('button', { name: 'New connector' }).evaluate((el) => el === document.activeElement), 'focus did not return to "New connector"');
    await expectText(countLine(), /^1–2 of 2 connectors$/);

    await mine.getByRole('button', { name: /^Edit/ }).click();
    const edit = page.getByRole('dialog', { name: 'Edit UI Test Source' });
    await edit.getByLabel('Status').selectOption('INACTIVE');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await expectText(mine, /INACTIVE/);

    await page.getByLabel('Status').selectOption('INACTIVE');
    await expectText(countLine(), /^1–1 of 1 connector$/);
    assert((await card(page, 'FilesSource Demo').count()) === 0, 'the ACTIVE demo card is still shown under status INACTIVE');
    assert(page.url().includes('status=INACTIVE'), 'the filter is not kept in the address');
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.getByLabel('Search by name').fill('demo');
    await expectText(countLine(), /^1–1 of 1 connector with “demo” in the name$/);
    await card(page, 'FilesSource Demo').waitFor();
    assert((await card(page, 'UI Test Source').count()) === 0, 'search by name still shows UI Test Source');
    await page.getByLabel('Search by name').fill('');
    await mine.waitFor();

    // Escape closes a dialog and changes nothing; focus goes back to where it was.
    await mine.getByRole('button', { name: /^Delete/ }).click();
    await page.getByRole('dialog', { name: 'Delete UI Test Source?' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert(await mine.getByRole('button', { name: /^Delete/ }).evaluate((el) => el === document.activeElement), 'focus did not return to the Delete button after Escape');
    await mine.getByRole('button', { name: /^Delete/ }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete UI Test Source?' });
    await axe(page, 'the delete confirmation');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await mine.waitFor({ state: 'detached' });
    await expectText(countLine(), /^1–1 of 1 connector$/);
    assert(await page.evaluate(() => window.__noReload === true), 'the page was reloaded');
    const gone = await apiCall('GET', '/aam/connectors/ui_test', token);
    assert(gone.status === 404, `ui_test still exists (HTTP ${gone.status})`);
    demo.g.check();
  });

  await test('browse the demo folder: files with size, columns and rows, then rows with a long value cut (full on hover)', async () => {
    await card(page, 'FilesSource Demo').getByRole('link', { name: /Browse files/ }).click();
    await page.getByRole('heading', { name: 'Files of FilesSource Demo' }).waitFor();
    const files = page.getByRole('region', { name: 'Files of FilesSource Demo' });
    for (const f of ['accounts.csv', 'contacts.csv', 'invoices.csv', 'opportunities.csv']) await files.getByRole('link', { name: f }).waitFor();
    await expectText(files.getByRole('row').filter({ hasText: 'accounts.csv' }), /6: account_id, name/);
    await axe(page, 'files');
    await page.screenshot({ path: `${SHOTS}/files-light-1280.png` });
    await files.getByRole('link', { name: 'contacts.csv' }).click();
    await page.getByRole('heading', { name: 'contacts.csv' }).waitFor();
    const rows = page.getByRole('region', { name: 'Rows of contacts.csv' });
    await rows.getByRole('columnheader', { name: 'email' }).waitFor();
    await expectText(page.getByText(/^1–\d+ of \d+ rows$/), /^1–\d+ of \d+ rows$/);
    const notes = rows.locator('[title*="Do not call before 9am."]');
    assert((await notes.count()) >= 1, 'the multi-line note is not kept whole in a title');
    const shown = await notes.first().textContent();
    const full = await notes.first().getAttribute('title');
    assert(!shown.includes('\n') && full.includes('\n'), 'the cell is not cut to one line with the full value on hover');
    await axe(page, 'rows');
    await page.screenshot({ path: `${SHOTS}/rows-light-1280.png` });
    await notes.first().hover();
    await page.getByRole('link', { name: 'FilesSource Demo' }).click();
    await page.getByRole('heading', { name: 'Files of FilesSource Demo' }).waitFor();
    await page.getByRole('link', { name: 'Connections' }).first().click();
    await card(page, 'FilesSource Demo').waitFor();
    demo.g.check();
  });

  await test('a folder that disappeared: the files screen explains the 409', async () => {
    demo.g.allow(409);
    const made = await apiCall('POST', '/aam/connectors', token, { id: 'ui_vanishing', name: 'Vanishing Folder', type: 'filesource', config: { path: 'mock_sources/ui_vanishing/', pattern: '*.csv' } });
    assert(made.status === 201, `could not create the connector (HTTP ${made.status} ${JSON.stringify(made.body)})`);
    rmSync(VANISHING_DIR, { recursive: true, force: true });
    await page.reload();
    if (!refreshTokens) await signIn(page, DEMO);
    await card(page, 'Vanishing Folder').getByRole('link', { name: /Browse files/ }).click();
    const alert = page.getByRole('alert');
    await expectText(alert, /cannot read this connector’s folder any more/);
    await expectText(alert, /moved or deleted/);
    await expectText(alert, /Request ID: \S{8,}/);
    await axe(page, 'files 409');
    const del = await apiCall('DELETE', '/aam/connectors/ui_vanishing', token);
    assert(del.status === 204, `cleanup: HTTP ${del.status}`);
    demo.g.check();
  });

  await test('paging shows the API total: "1–50 of 53", Next → "51–53 of 53", kept in the address', async () => {
    for (let i = 0; i < 52; i += 1) {
      const r = await apiCall('POST', '/aam/connectors', token, { id: `zz_page_${String(i).padStart(3, '0')}`, name: `Paged ${i}`, type: 'rest_api', status: i % 2 ? 'PENDING' : 'ERROR', config: { base_url: 'https://api.example.com/' } });
      assert(r.status === 201, `seeding connector ${i}: HTTP ${r.status}`);
    }
    await page.getByRole('link', { name: 'Connections' }).first().click();
    await expectText(countLine(), /^1–50 of 53 connectors$/);
    await page.getByRole('button', { name: 'Next ›' }).click();
    await expectText(countLine(), /^51–53 of 53 connectors$/);
    await expectText(card(page, 'Paged 51'), /PENDING/);
    await expectText(card(page, 'Paged 50'), /ERROR/);
    assert(page.url().includes('offset=50'), 'the page is not kept in the address');
    await axe(page, 'a second page');
    await page.screenshot({ path: `${SHOTS}/paging-light-1280.png` });
    await page.getByRole('button', { name: '‹ Previous' }).click();
    await expectText(countLine(), /^1–50 of 53 connectors$/);
    for (let i = 0; i < 52; i += 1) await apiCall('DELETE', `/aam/connectors/zz_page_${String(i).padStart(3, '0')}`, token);
    demo.g.check();
  });

  await test(`sign out forgets both tokens; a reload before it ${refreshTokens ? 'keeps the session (refresh token)' : 'needs signing in again (no refresh tokens on this server)'}`, async () => {
    demo.g.allow(401);
    const stored = await page.evaluate(() => sessionStorage.getItem('aam.refresh_token'));
    assert(refreshTokens ? typeof stored === 'string' && stored.length > 0 : stored === null, `sessionStorage holds ${stored}`);
    assert((await page.evaluate(() => localStorage.length)) === 0, 'something was written to localStorage');
    await page.reload();
    if (refreshTokens) await card(page, 'FilesSource Demo').waitFor();
    else {
      await page.getByRole('heading', { name: 'Sign in to AAM' }).waitFor();
      await signIn(page, DEMO);
    }
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to AAM' }).waitFor();
    await expectText(page.getByRole('status').filter({ hasText: 'signed out' }), /You have signed out\./);
    assert((await page.evaluate(() => sessionStorage.getItem('aam.refresh_token'))) === null, 'the refresh token is still stored');
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to AAM' }).waitFor();
    await page.goto(`${BASE_URL}/#/connectors/filesource_demo/files`);
    await page.getByRole('heading', { name: 'Sign in to AAM' }).waitFor();
    if (refreshTokens && stored) {
      const r = await fetch(`${BASE_URL}/api/v1/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: stored }) });
      assert(r.status >= 400, `the signed-out refresh token still works (HTTP ${r.status})`);
    }
    demo.g.check();
  });
  await demo.context.close();

  await test('create an account: signed in to an empty tenant, whose empty state invites a first connector', async () => {
    const { page: p, g, context } = await newPage();
    const ns = `ui${Date.now().toString(36)}`;
    await p.goto(`${BASE_URL}/`);
    await p.getByRole('button', { name: 'Create an account' }).click();
    await p.getByRole('heading', { name: 'Create an account' }).waitFor();
    await p.getByLabel('Email').fill(`${ns}@example.com`);
    await p.getByLabel('Password').fill('a long enough password');
    await p.getByLabel('Namespace').fill(ns);
    await p.getByLabel('Tenant name').fill('UI Tenant');
    await axe(p, 'create an account');
    await p.getByRole('button', { name: 'Create account' }).click();
    await p.getByRole('heading', { name: 'No connectors yet' }).waitFor();
    await expectText(p.locator('.who'), new RegExp(ns));
    await p.getByRole('button', { name: 'Create your first connector' }).click();
    await p.getByRole('dialog', { name: 'New connector' }).waitFor();
    await p.keyboard.press('Escape');
    await p.getByRole('dialog').waitFor({ state: 'detached' });
    await axe(p, 'the empty state');
    await p.screenshot({ path: `${SHOTS}/empty-light-1280.png` });
    g.check();
    await context.close();
  });

  await test('too many failed sign-ins: the 429 message says when to try again', async () => {
    const { page, g, context } = await newPage();
    g.allow(401, 429);
    await page.goto(`${BASE_URL}/`);
    const alert = page.getByRole('alert');
    for (let i = 0; i < 4; i += 1) {
      await page.getByLabel('Email').fill('nobody@example.com');
      await page.getByLabel('Password').fill(`wrong-${i}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await alert.waitFor();
      if (/Too many/.test(await alert.textContent())) break;
    }
    await expectText(alert, /Too many failed sign-ins\. Try again in \d+ seconds? \(at .+\)\./);
    await axe(page, 'sign-in 429');
    g.check();
    await context.close();
  });

  await test('the database is down: the 503 message says the service is unavailable and when to retry', async () => {
    const { page, g, context } = await newPage({ origin: DOWN_URL });
    g.allow(503);
    await page.goto(`${DOWN_URL}/`);
    await page.getByLabel('Email').fill(DEMO.email);
    await page.getByLabel('Password').fill(DEMO.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expectText(alert, /temporarily unavailable \(it cannot reach its database\)\. Try again in \d+ seconds?/);
    await expectText(alert, /Request ID: \S{8,}/);
    await page.screenshot({ path: `${SHOTS}/signin-503-light-1280.png` });
    g.check();
    await context.close();
  });

  await test(`an access token the server no longer accepts (JWT secret rotated): ${refreshTokens ? 'renewed with the refresh token, no sign-in' : 'back to sign-in with a notice'}`, async () => {
    const { page, g, context } = await newPage();
    g.allow(401);
    await signIn(page, DEMO);
    await card(page, 'FilesSource Demo').waitFor();
    await restartWithNewSecret();
    await card(page, 'FilesSource Demo').getByRole('link', { name: /Browse files/ }).click();
    if (refreshTokens) {
      await page.getByRole('heading', { name: 'Files of FilesSource Demo' }).waitFor();
      await page.getByRole('region', { name: 'Files of FilesSource Demo' }).getByRole('link', { name: 'accounts.csv' }).waitFor();
      assert((await page.getByRole('heading', { name: 'Sign in to AAM' }).count()) === 0, 'asked to sign in again');
    } else {
      await page.getByRole('heading', { name: 'Sign in to AAM' }).waitFor();
      await expectText(page.getByRole('status').filter({ hasText: 'session' }), /Your session has ended/);
    }
    g.check();
    await context.close();
  });
}

// Stops the server the shell started and starts it again on the same port (same origin, same
// database) with another JWT secret, so every access token issued so far is refused.
let restarted = null;
async function restartWithNewSecret() {
  process.kill(Number(SERVER_PID), 'SIGTERM');
  const port = new URL(BASE_URL).port;
  for (let i = 0; i < 150; i += 1) {
    try {
      await fetch(`${BASE_URL}/health`);
    } catch {
      break; // the old server is gone
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = openSync(RESTART_LOG, 'a');
  restarted = spawn(AAM_BIN, ['serve'], { env: { ...process.env, PORT: port, AAM_ADMIN_ADDR: 'off', JWT_SECRET: 'a-different-secret-0123456789abcdef0123456789' }, stdio: ['ignore', log, log] });
  for (let i = 0; i < 150; i += 1) {
    try {
      if ((await fetch(`${BASE_URL}/health`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the restarted server did not answer /health (see ${RESTART_LOG})`);
}

try {
  await main();
} catch (e) {
  report(false, 'the browser tests could run', e && e.stack ? e.stack : e);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (restarted) {
    restarted.kill('SIGTERM');
    await new Promise((r) => { restarted.once('exit', r); setTimeout(r, 12000); });
  }
  clearTimeout(watchdog);
}
console.log(`# ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
