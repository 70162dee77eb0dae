// members: the tenant's people (GET/POST/PATCH/DELETE /aam/members). Every member may read
// the list; an admin invites (the one-time invite link is shown once, with a copy button),
// changes roles and removes members (after a confirmation). The server refuses to demote or
// remove the last admin (409); its message is shown as it is.
import * as api from './api.js';
import { h, replace, timeAgo } from './dom.js';
import { busy, errorBox, field, openDialog, toast } from './ui.js';

export const ROLES = ['viewer', 'editor', 'admin'];
const ROLE_HELP = 'Viewers read; editors also create, change, delete and test connectors; admins also manage members and webhooks.';

// A read-only text with a Copy button (the clipboard API where the page may use it; else the
// text is selected for the person to copy).
export function copyable(label, value) {
  const id = `copy-${Math.random().toString(36).slice(2)}`;
  const input = h('input', { id, type: 'text', readonly: true, value, spellcheck: 'false', class: 'copy-value' });
  const btn = h('button', { type: 'button', class: 'button small', 'aria-label': `Copy ${label}` }, 'Copy');
  btn.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value);
      toast(`${label} copied.`);
    } catch {
      input.focus();
      input.select();
      toast('Press Ctrl+C (⌘C) to copy the selected text.');
    }
  });
  return h('div', { class: 'field copy' }, h('label', { for: id }, label), h('div', { class: 'copy-line' }, input, btn));
}

function memberId(m) {
  return m.id;
}

export function showMembers(ctx) {
  const admin = api.isAdmin();
  const me = api.currentUser() || {};
  const email = field({ label: 'Email', name: 'email', type: 'email', attrs: { autocomplete: 'off', required: true } });
  const role = field({ label: 'Role', name: 'role', value: 'viewer', options: ROLES.map((r) => [r, r]), hint: ROLE_HELP });
  const inviteStatus = h('div', { class: 'form-status' });
  const invite = h('button', { type: 'submit', class: 'button primary' }, 'Invite');
  const inviteForm = admin ? h('form', { class: 'invite-form', novalidate: true, 'aria-labelledby': 'invite-title' }, h('h2', { id: 'invite-title' }, 'Invite someone'), h('div', { class: 'invite-fields' }, email.wrap, role.wrap, h('div', { class: 'field field-button' }, invite)), inviteStatus) : null;
  const listBox = h('div', { class: 'results', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading members…'));
  replace(ctx.main, h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Members')), admin ? null : h('p', { class: 'notice' }, 'Only admins can invite, change or remove members.'), inviteForm, h('h2', { class: 'section-title' }, 'People in this tenant'), listBox);
  document.title = 'Members · AAM';

  async function load(focusId) {
    let data;
    try {
      data = await api.members.list();
    } catch (e) {
      if (!ctx.current()) return;
      if (e instanceof api.SessionEnded) return ctx.sessionEnded();
      listBox.removeAttribute('aria-busy');
      replace(listBox, e.status === 404 ? h('p', { class: 'notice' }, 'This server does not manage members yet.') : errorBox(e, 'members'));
      return;
    }
    if (!ctx.current()) return;
    listBox.removeAttribute('aria-busy');
    const members = data.members || [];
    const invites = data.invites || [];
    replace(
      listBox,
      h(
        'div',
        { class: 'table-wrap', role: 'region', 'aria-label': 'Members', tabindex: '0' },
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ['Email', 'Role', 'Joined', admin ? h('span', { class: 'sr-only' }, 'Actions') : null].filter(Boolean).map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, members.map(row)),
        ),
      ),
      invites.length
        ? [
            h('h2', { class: 'section-title' }, 'Pending invitations'),
            h(
              'div',
              { class: 'table-wrap', role: 'region', 'aria-label': 'Pending invitations', tabindex: '0' },
              h(
                'table',
                {},
                h('thead', {}, h('tr', {}, ['Email', 'Role', 'Invited', 'Expires'].map((t) => h('th', { scope: 'col' }, t)))),
                h('tbody', {}, invites.map((i) => h('tr', {}, h('th', { scope: 'row' }, i.email), h('td', {}, i.role), h('td', {}, timeAgo(i.created_at)), h('td', {}, i.expires_at ? timeAgo(i.expires_at) : '—')))),
              ),
            ),
            admin ? h('p', { class: 'meta' }, 'An invitation becomes a member when its link is used. Inviting the same address again replaces the link.') : null,
          ]
        : null,
    );
    if (focusId) {
      const el = listBox.querySelector(`[data-member="${CSS.escape(String(focusId))}"]`);
      if (el) el.focus();
    }
  }

  function row(m) {
    const id = memberId(m);
    const self = m.email === me.email;
    let roleCell = m.role;
    if (admin) {
      const sel = h('select', { 'aria-label': `Role of ${m.email}`, 'data-member': id, value: m.role }, ROLES.map((r) => h('option', { value: r }, r)));
      sel.addEventListener('change', async () => {
        const want = sel.value;
        sel.disabled = true;
        try {
          await api.members.setRole(id, want);
          toast(`${m.email} is now ${want === 'admin' ? 'an' : 'a'} ${want}.${self ? ' Your own rights change at your next token renewal.' : ''}`);
          m.role = want;
        } catch (e) {
          if (e instanceof api.SessionEnded) return ctx.sessionEnded();
          sel.value = m.role;
          showAlert(e);
        } finally {
          sel.disabled = false;
          sel.focus();
        }
      });
      roleCell = sel;
    }
    const remove = admin ? h('button', { type: 'button', class: 'button small danger-text', 'aria-label': `Remove ${m.email}` }, 'Remove') : null;
    if (remove) remove.addEventListener('click', () => removeDialog(m, remove));
    return h('tr', {}, h('th', { scope: 'row' }, m.email, self ? h('span', { class: 'muted' }, ' (you)') : null), h('td', {}, roleCell), h('td', {}, m.created_at ? timeAgo(m.created_at) : '—'), admin ? h('td', {}, remove) : null);
  }

  function showAlert(e) {
    const box = errorBox(e, 'members');
    inviteStatus.replaceChildren(box);
  }

  function removeDialog(m, opener) {
    const cancel = h('button', { type: 'button', class: 'button', 'data-autofocus': true }, 'Cancel');
    const confirm = h('button', { type: 'button', class: 'button danger' }, 'Remove');
    const status = h('div', { class: 'form-status' });
    const { close } = openDialog({
      title: `Remove ${m.email}?`,
      className: 'confirm',
      opener,
      fallback: () => ctx.main.querySelector('h1'),
      content: () => h('div', {}, h('p', {}, h('strong', {}, m.email), ' loses access to this tenant at once: their password no longer signs in and their sessions end.'), status, h('div', { class: 'dialog-actions' }, cancel, confirm)),
    });
    cancel.addEventListener('click', close);
    confirm.addEventListener('click', () =>
      busy(confirm, async () => {
        try {
          await api.members.remove(memberId(m));
        } catch (e) {
          if (e instanceof api.SessionEnded) {
            close();
            return ctx.sessionEnded();
          }
          if (e.status !== 404) {
            status.replaceChildren(errorBox(e, 'members'));
            return;
          }
        }
        close();
        toast(`Removed ${m.email}.`);
        load();
      }),
    );
  }

  if (inviteForm) {
    inviteForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      email.setError(null);
      role.setError(null);
      inviteStatus.replaceChildren();
      const addr = email.input.value.trim();
      if (!addr) {
        email.setError('Enter the email address to invite.');
        email.input.focus();
        return;
      }
      busy(invite, async () => {
        let r;
        try {
          r = await api.members.invite(addr, role.input.value);
        } catch (e) {
          if (e instanceof api.SessionEnded) return ctx.sessionEnded();
          for (const fe of e.errors) if (fe.field === 'email') email.setError(fe.message);
          else if (fe.field === 'role') role.setError(fe.message);
          if (e.status === 409 && !e.errors.length) email.setError(e.detail || 'is already a member');
          const bad = inviteForm.querySelector('[aria-invalid=true]');
          if (!bad) inviteStatus.replaceChildren(errorBox(e, 'invite'));
          (bad || email.input).focus();
          return;
        }
        email.input.value = '';
        inviteShown(addr, r);
        load();
      });
    });
  }

  // The invite token is shown once: as a link to the accept page and as the bare token.
  function inviteShown(addr, r) {
    const token = r.invite_token || '';
    const link = `${location.origin}${location.pathname}#/accept-invite?token=${encodeURIComponent(token)}`;
    const done = h('button', { type: 'button', class: 'button primary', 'data-autofocus': true }, 'Done');
    const { close } = openDialog({
      title: `Invitation for ${addr}`,
      fallback: () => email.input,
      opener: email.input,
      content: () =>
        h(
          'div',
          {},
          h('p', {}, 'Send this link to ', h('strong', {}, addr), '. It works once and for 7 days. ', h('strong', {}, 'It is shown only now'), ': copy it before you close this.'),
          copyable('Invite link', link),
          copyable('Invite token', token),
          h('div', { class: 'dialog-actions' }, done),
        ),
    });
    done.addEventListener('click', close);
  }

  load();
}
