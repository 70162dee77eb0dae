// app: the entry module. Resumes the tab's session (or shows sign-in), draws the frame (the
// header with the Connections tab and sign-out) and routes the location hash to a screen:
//   #/connections?status=&type=&q=&offset=     the connector cards
//   #/connectors/{id}/files                     a FilesSource's files
//   #/connectors/{id}/files/{name}?offset=      a page of one file's rows
//   #/members, #/webhooks                       admins: the tenant's members and webhooks
//   #/accept-invite?token=                      an invited person sets a password (no sign-in)
import * as api from './api.js';
import { h, replace } from './dom.js';
import { errorBox, field, busy } from './ui.js';
import { showConnections } from './connections.js';
import { showFiles, showRows } from './files.js';
import { showMembers } from './members.js';
import { showWebhooks } from './webhooks.js';

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
  const role = api.role();
  const tab = (href, text) => h('a', { href, class: 'tab', 'data-tab': href }, text);
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
      h('nav', { 'aria-label': 'Main', class: 'tabs' }, tab('#/connections', 'Connections'), api.isAdmin() ? [tab('#/members', 'Members'), tab('#/webhooks', 'Webhooks')] : null),
      h(
        'div',
        { class: 'who' },
        h('span', { class: 'who-text' }, h('span', { class: 'who-email' }, user.email || ''), h('span', { class: 'who-sep' }, ' · '), h('span', { class: 'who-ns' }, user.namespace || '')),
        role ? h('span', { class: 'role-badge', title: 'Your role in this tenant' }, h('span', { class: 'sr-only' }, 'Role: '), role) : null,
        signOut,
      ),
    ),
    main,
  );
  ctx.main = main;
  ctx.frameRole = api.role();
  return main;
}

let routing = 0;
function route() {
  const first = parseHash();
  if (first.parts[0] === 'accept-invite') {
    ctx.main = null;
    showAcceptInvite(first.params.get('token') || '');
    return;
  }
  if (!api.signedIn()) {
    showSignIn({});
    return;
  }
  const { parts, params } = parseHash();
  const seq = ++routing;
  // A screen started by an older hash must not draw over a newer one.
  ctx.current = () => seq === routing;
  if (!ctx.main || !ctx.main.isConnected || ctx.frameRole !== api.role()) frame();
  const tabHref = parts[0] === 'members' || parts[0] === 'webhooks' ? `#/${parts[0]}` : '#/connections';
  for (const a of root.querySelectorAll('[data-tab]')) {
    if (a.dataset.tab === tabHref) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (parts[0] === 'members') showMembers(ctx);
  else if (parts[0] === 'webhooks') showWebhooks(ctx);
  else if (parts[0] === 'connectors' && parts[2] === 'files' && parts.length === 3) showFiles(ctx, parts[1], params);
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

// ------------------------------------------------------------------ accept an invitation

function showAcceptInvite(token) {
  const password = field({ label: 'Password', name: 'password', type: 'password', hint: 'At least 8 characters.', attrs: { autocomplete: 'new-password', required: true } });
  const again = field({ label: 'Password again', name: 'password2', type: 'password', attrs: { autocomplete: 'new-password', required: true } });
  const tokenField = token ? null : field({ label: 'Invitation token', name: 'invite_token', hint: 'The token from your invitation link.', attrs: { autocomplete: 'off', spellcheck: 'false', required: true } });
  const status = h('div', { class: 'form-status' });
  const submit = h('button', { type: 'submit', class: 'button primary wide' }, 'Accept and sign in');
  const form = h('form', { class: 'auth-form', novalidate: true, 'aria-labelledby': 'auth-title' }, tokenField && tokenField.wrap, password.wrap, again.wrap, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    for (const f of [password, again, tokenField]) if (f) f.setError(null);
    status.replaceChildren();
    const invite = token || tokenField.input.value.trim();
    if (tokenField && !invite) {
      tokenField.setError('Paste the token from your invitation.');
      tokenField.input.focus();
      return;
    }
    if (!password.input.value) {
      password.setError('Choose a password.');
      password.input.focus();
      return;
    }
    if (password.input.value !== again.input.value) {
      again.setError('The two passwords differ.');
      again.input.focus();
      return;
    }
    busy(submit, async () => {
      try {
        await api.acceptInvite(invite, password.input.value);
      } catch (e) {
        for (const fe of e.errors || []) if (fe.field === 'password') password.setError(fe.message);
        const bad = form.querySelector('[aria-invalid=true]');
        if (!bad) {
          const why = e.status === 400 || e.status === 404 || e.status === 410 || (e.status === 422 && !e.errors.length) || e.status === 401 ? h('p', {}, 'The invitation may have been used already or have expired (they last 7 days). Ask an admin of the tenant for a new one.') : null;
          status.replaceChildren(errorBox(e, 'invite', why));
        }
        (bad || password.input).focus();
        return;
      }
      history.replaceState(null, '', '#/connections');
      frame();
      route();
      ctx.focusHeading();
    });
  });
  const signInLink = h('a', { href: '#/connections' }, 'Sign in');
  replace(
    root,
    h(
      'main',
      { id: 'main', class: 'auth' },
      h(
        'div',
        { class: 'auth-card' },
        h('p', { class: 'brand' }, h('img', { src: '/assets/favicon.svg', alt: '', width: 28, height: 28 }), 'AAM Connections'),
        h('h1', { id: 'auth-title' }, 'Accept your invitation'),
        h('p', { class: 'lead' }, 'Choose a password to join the tenant you were invited to.'),
        status,
        form,
        h('p', { class: 'switch' }, 'Already a member? ', signInLink),
      ),
    ),
  );
  document.title = 'Accept invitation · AAM';
  (tokenField ? tokenField.input : password.input).focus();
}

async function start() {
  window.addEventListener('hashchange', route);
  api.onSessionEnded(() => {
    if (ctx.main) showSignIn({ notice: 'You signed out in another tab, or your session ended there.' });
  });
  let resumed = false;
  let error = null;
  try {
    resumed = await api.resume();
  } catch (e) {
    error = e; // the server is unreachable or busy: say so on the sign-in screen
  }
  root.removeAttribute('aria-busy');
  if (parseHash().parts[0] === 'accept-invite') {
    route();
  } else if (resumed) {
    frame();
    route();
  } else {
    showSignIn({ error });
  }
}

start();
