// app: the entry module. Resumes the tab's session (or shows sign-in), draws the frame (the
// header with the Connections tab and sign-out) and routes the location hash to a screen:
//   #/connections?status=&type=&q=&offset=     the connector cards
//   #/connectors/{id}/files                     a FilesSource's files
//   #/connectors/{id}/files/{name}?offset=      a page of one file's rows
import * as api from './api.js';
import { h, replace } from './dom.js';
import { errorBox, field, busy } from './ui.js';
import { showConnections } from './connections.js';
import { showFiles, showRows } from './files.js';

const root = document.getElementById('app');

// What every screen gets: where to draw, how to report an ended session, how to navigate.
const ctx = {
  main: null,
  sessionEnded() {
    showSignIn({ notice: 'Your session has ended. Sign in again to go on.' });
  },
  go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  // Rewrites the address without a new history entry or a redraw (filters, paging).
  setHash(hash) {
    history.replaceState(null, '', hash);
  },
  // Moves focus to the screen's heading so a screen reader announces the new screen.
  focusHeading() {
    const h1 = ctx.main && ctx.main.querySelector('h1');
    if (h1) h1.focus();
  },
};

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/connections';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  try {
    return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params };
  } catch {
    return { parts: [], params }; // a malformed escape: fall back to the list
  }
}

function frame() {
  const user = api.currentUser() || {};
  const signOut = h('button', { type: 'button', class: 'button subtle' }, 'Sign out');
  signOut.addEventListener('click', () =>
    busy(signOut, async () => {
      await api.signOut();
      history.replaceState(null, '', '#/connections');
      showSignIn({ notice: 'You have signed out.' });
    }),
  );
  const main = h('main', { id: 'main', class: 'page', tabindex: '-1' });
  replace(
    root,
    h('a', { class: 'skip-link', href: '#main', onclick: (ev) => { ev.preventDefault(); main.focus(); } }, 'Skip to content'),
    h(
      'header',
      { class: 'topbar' },
      h('span', { class: 'brand' }, h('img', { src: '/assets/favicon.svg', alt: '', width: 24, height: 24 }), 'AAM'),
      h('nav', { 'aria-label': 'Main', class: 'tabs' }, h('a', { href: '#/connections', 'aria-current': 'page', class: 'tab' }, 'Connections')),
      h(
        'div',
        { class: 'who' },
        h('span', { class: 'who-text' }, h('span', { class: 'who-email' }, user.email || ''), h('span', { class: 'who-sep' }, ' · '), h('span', { class: 'who-ns' }, user.namespace || '')),
        signOut,
      ),
    ),
    main,
  );
  ctx.main = main;
  return main;
}

let routing = 0;
function route() {
  if (!api.signedIn()) {
    showSignIn({});
    return;
  }
  const { parts, params } = parseHash();
  const seq = ++routing;
  // A screen started by an older hash must not draw over a newer one.
  ctx.current = () => seq === routing;
  if (!ctx.main || !ctx.main.isConnected) frame();
  if (parts[0] === 'connectors' && parts[2] === 'files' && parts.length === 3) showFiles(ctx, parts[1], params);
  else if (parts[0] === 'connectors' && parts[2] === 'files' && parts.length === 4) showRows(ctx, parts[1], parts[3], params);
  else showConnections(ctx, params);
}

// ------------------------------------------------------------------ sign in / create account

function showSignIn({ notice, error, mode = 'signin' }) {
  ctx.main = null;
  const registering = mode === 'register';
  const title = registering ? 'Create an account' : 'Sign in to AAM';
  const email = field({ label: 'Email', name: 'email', type: 'email', attrs: { autocomplete: 'username', required: true, autofocus: true } });
  const password = field({
    label: 'Password',
    name: 'password',
    type: 'password',
    hint: registering ? 'At least 8 characters.' : null,
    attrs: { autocomplete: registering ? 'new-password' : 'current-password', required: true },
  });
  const ns = registering
    ? field({ label: 'Namespace', name: 'namespace', hint: 'Your tenant’s short id: lower-case letters, digits, - and _.', attrs: { autocomplete: 'off', required: true, autocapitalize: 'none', spellcheck: 'false' } })
    : null;
  const tenant = registering ? field({ label: 'Tenant name', name: 'tenant_name', hint: 'Optional: a display name, such as your company.', attrs: { autocomplete: 'organization' } }) : null;
  const fields = { email, password, namespace: ns, tenant_name: tenant };
  const status = h('div', { class: 'form-status' }, notice ? h('p', { class: 'notice', role: 'status' }, notice) : null, error ? errorBox(error, 'login') : null);
  const submit = h('button', { type: 'submit', class: 'button primary wide' }, registering ? 'Create account' : 'Sign in');
  const form = h('form', { class: 'auth-form', novalidate: true, 'aria-labelledby': 'auth-title' }, email.wrap, password.wrap, ns && ns.wrap, tenant && tenant.wrap, submit);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    for (const f of Object.values(fields)) if (f) f.setError(null);
    status.replaceChildren();
    const values = { email: email.input.value.trim(), password: password.input.value };
    let missing = false;
    if (!values.email) { email.setError('Enter your email address.'); missing = true; }
    if (!values.password) { password.setError('Enter your password.'); missing = true; }
    if (registering) {
      values.namespace = ns.input.value.trim();
      if (!values.namespace) { ns.setError('Choose a namespace.'); missing = true; }
      if (tenant.input.value.trim()) values.tenant_name = tenant.input.value.trim();
    }
    if (missing) {
      form.querySelector('[aria-invalid=true]').focus();
      return;
    }
    busy(submit, async () => {
      try {
        if (registering) await api.register(values);
        await api.signIn(values.email, values.password);
      } catch (e) {
        for (const fe of e.errors || []) if (fields[fe.field]) fields[fe.field].setError(fe.message);
        const firstBad = form.querySelector('[aria-invalid=true]');
        if (e.status !== 422 || !firstBad) status.replaceChildren(errorBox(e, 'login'));
        (firstBad || password.input).focus();
        return;
      }
      if (!location.hash || location.hash === '#') history.replaceState(null, '', '#/connections');
      frame();
      route();
      ctx.focusHeading();
    });
  });

  const toggle = h('button', { type: 'button', class: 'link' }, registering ? 'Sign in' : 'Create an account');
  toggle.addEventListener('click', () => {
    showSignIn({ mode: registering ? 'signin' : 'register' });
  });
  replace(
    root,
    h(
      'main',
      { id: 'main', class: 'auth' },
      h(
        'div',
        { class: 'auth-card' },
        h('p', { class: 'brand' }, h('img', { src: '/assets/favicon.svg', alt: '', width: 28, height: 28 }), 'AAM Connections'),
        h('h1', { id: 'auth-title' }, title),
        h('p', { class: 'lead' }, registering ? 'A new tenant with you as its first user.' : 'Manage your tenant’s connectors.'),
        status,
        form,
        h('p', { class: 'switch' }, registering ? 'Already have an account? ' : 'No account yet? ', toggle),
      ),
    ),
  );
  email.input.focus();
}

async function start() {
  window.addEventListener('hashchange', route);
  let resumed = false;
  let error = null;
  try {
    resumed = await api.resume();
  } catch (e) {
    error = e; // the server is unreachable or busy: say so on the sign-in screen
  }
  root.removeAttribute('aria-busy');
  if (resumed) {
    frame();
    route();
  } else {
    showSignIn({ error });
  }
}

start();
