// webhooks: the tenant's webhook endpoints (admins; /aam/webhooks). Create (the signing secret
// is shown once, copyable), the events as checkboxes, the list with an active switch, delete,
// rotate the secret (the new one shown once), send a test event and the recent deliveries
// (result, response code or error, attempts, duration).
import * as api from './api.js';
import { h, replace, timeAgo, uid } from './dom.js';
import { busy, errorBox, field, openDialog, toast } from './ui.js';
import { copyable } from './members.js';

export const EVENTS = ['connector.created', 'connector.updated', 'connector.deleted', 'connector.status_changed', 'connector.check_failed'];

function eventBoxes(selected, legend = 'Events') {
  const boxes = EVENTS.map((ev) => {
    const id = uid('ev');
    const input = h('input', { type: 'checkbox', id, name: 'events', value: ev, checked: selected.includes(ev) });
    return { ev, input, node: h('div', { class: 'check-line' }, input, h('label', { for: id }, h('code', {}, ev))) };
  });
  const errId = uid('ev-err');
  const err = h('p', { class: 'field-error', id: errId, hidden: true });
  const node = h('fieldset', { class: 'group events-box', 'aria-describedby': errId }, h('legend', {}, legend), boxes.map((b) => b.node), err);
  return {
    node,
    value: () => boxes.filter((b) => b.input.checked).map((b) => b.ev),
    focus: () => boxes[0].input.focus(),
    setError(msg) {
      err.replaceChildren();
      err.hidden = !msg;
      if (msg) err.append(h('span', { class: 'sr-only' }, 'Error: '), msg);
    },
  };
}

function secretDialog(title, text, secret, opener, fallback) {
  const done = h('button', { type: 'button', class: 'button primary', 'data-autofocus': true }, 'Done');
  const { close } = openDialog({
    title,
    opener,
    fallback,
    content: () => h('div', {}, h('p', {}, text, ' ', h('strong', {}, 'It is shown only now'), ': copy it into your receiver before you close this.'), copyable('Signing secret', secret), h('div', { class: 'dialog-actions' }, done)),
  });
  done.addEventListener('click', close);
}

const RESULT = { succeeded: ['delivered', 'status-active'], pending: ['retrying', 'status-pending'], failed: ['failed', 'status-error'] };

// A delivery (GET /webhooks/{id}/deliveries): one event sent to the endpoint, its status
// (pending while retries are due, succeeded, failed), the last answer or error and its attempts.
function deliveryRow(d) {
  const attempts = Array.isArray(d.attempts) ? d.attempts : [];
  const last = attempts.length ? attempts[attempts.length - 1] : null;
  const [text, cls] = RESULT[d.status] || [d.status || 'unknown', 'status-inactive'];
  const code = d.last_status_code ?? (last ? last.status_code : null);
  const error = d.last_error || (last && last.error) || '';
  return h(
    'tr',
    {},
    h('td', {}, timeAgo(d.delivered_at || (last && last.at) || d.created_at)),
    h('td', {}, h('code', {}, d.type || '')),
    h('td', {}, h('span', { class: `pill ${cls}` }, text), d.status === 'pending' && d.next_attempt_at ? h('span', { class: 'muted' }, ' next ', timeAgo(d.next_attempt_at)) : null),
    h('td', { class: 'num' }, code === null || code === undefined ? '—' : String(code)),
    h('td', {}, error),
    h('td', { class: 'num' }, String(attempts.length)),
    h('td', { class: 'num' }, last && Number.isFinite(last.duration_ms) ? `${last.duration_ms} ms` : '—'),
  );
}

function deliveriesDialog(ctx, w, opener) {
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading deliveries…'));
  const refresh = h('button', { type: 'button', class: 'button' }, 'Refresh');
  const closeBtn = h('button', { type: 'button', class: 'button', 'data-autofocus': true }, 'Close');
  const { close } = openDialog({ title: `Deliveries to ${w.url}`, className: 'wide', opener, fallback: () => ctx.main.querySelector('h1'), content: () => h('div', {}, body, h('div', { class: 'dialog-actions' }, refresh, closeBtn)) });
  closeBtn.addEventListener('click', close);
  async function load() {
    let data;
    try {
      data = await api.webhooks.deliveries(w.id);
    } catch (e) {
      if (e instanceof api.SessionEnded) {
        close();
        return ctx.sessionEnded();
      }
      replace(body, errorBox(e, 'deliveries'));
      return;
    }
    const list = data.deliveries || [];
    if (!list.length) {
      replace(body, h('p', {}, 'Nothing delivered yet.'));
      return;
    }
    replace(
      body,
      h(
        'div',
        { class: 'table-wrap', role: 'region', 'aria-label': 'Deliveries', tabindex: '0' },
        h('table', { class: 'deliveries' }, h('thead', {}, h('tr', {}, ['When', 'Event', 'Result', 'Response code', 'Error', 'Attempts', 'Duration'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, list.map(deliveryRow))),
      ),
    );
  }
  refresh.addEventListener('click', () => busy(refresh, load));
  load();
}

export function showWebhooks(ctx) {
  const url = field({ label: 'URL', name: 'url', type: 'url', hint: 'Where AAM POSTs the events (https://…). It must resolve to an address AAM may reach.', attrs: { autocomplete: 'off', spellcheck: 'false', required: true } });
  const description = field({ label: 'Description', name: 'description', hint: 'Optional: what receives these events.', attrs: { autocomplete: 'off' } });
  const events = eventBoxes(EVENTS);
  const status = h('div', { class: 'form-status' });
  const create = h('button', { type: 'submit', class: 'button primary' }, 'Add webhook');
  const form = h('form', { class: 'webhook-form', novalidate: true, 'aria-labelledby': 'wh-new' }, h('h2', { id: 'wh-new' }, 'Add a webhook'), url.wrap, description.wrap, events.node, status, h('div', { class: 'dialog-actions' }, create));
  const listBox = h('div', { class: 'results', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading webhooks…'));
  replace(
    ctx.main,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Webhooks')),
    h('p', { class: 'meta' }, 'AAM signs every delivery the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature) and retries for 24 hours until your endpoint answers 2xx.'),
    form,
    h('h2', { class: 'section-title' }, 'Endpoints'),
    listBox,
  );
  document.title = 'Webhooks · AAM';

  async function load() {
    let data;
    try {
      data = await api.webhooks.list();
    } catch (e) {
      if (!ctx.current()) return;
      if (e instanceof api.SessionEnded) return ctx.sessionEnded();
      listBox.removeAttribute('aria-busy');
      replace(listBox, e.status === 404 ? h('p', { class: 'notice' }, 'This server does not send webhooks yet.') : errorBox(e, 'webhooks'));
      return;
    }
    if (!ctx.current()) return;
    listBox.removeAttribute('aria-busy');
    const list = data.webhooks || [];
    replace(listBox, list.length ? h('ul', { class: 'cards webhooks', 'aria-label': 'Webhooks' }, list.map(item)) : h('p', { class: 'empty' }, 'No webhook yet.'));
  }

  function item(w) {
    const titleId = uid('wh');
    const label = w.description || w.url;
    const btn = (text, cls, fn) => {
      const b = h('button', { type: 'button', class: `button small ${cls || ''}`, 'aria-label': `${text} (${label})` }, text);
      b.addEventListener('click', () => fn(b));
      return b;
    };
    const activeId = uid('wh-active');
    const active = h('input', { type: 'checkbox', role: 'switch', id: activeId, checked: w.active !== false });
    active.addEventListener('change', async () => {
      active.disabled = true;
      try {
        await api.webhooks.update(w.id, { active: active.checked });
        w.active = active.checked;
        toast(`${label}: ${w.active ? 'active' : 'paused'}.`);
      } catch (e) {
        if (e instanceof api.SessionEnded) return ctx.sessionEnded();
        active.checked = w.active !== false;
        toast(`Not changed: ${e.detail || e.title}`);
      } finally {
        active.disabled = false;
        active.focus();
      }
    });
    const result = h('div', { class: 'card-result', role: 'status' });
    const test = btn('Send test event', '', (b) =>
      busy(b, async () => {
        try {
          await api.webhooks.test(w.id);
          replace(result, h('p', {}, 'Test event queued: see the deliveries.'));
        } catch (e) {
          if (e instanceof api.SessionEnded) return ctx.sessionEnded();
          replace(result, errorBox(e, 'webhooks'));
        }
      }),
    );
    return h(
      'li',
      { class: 'card', 'aria-labelledby': titleId, 'data-wh': w.id },
      h('h3', { class: 'card-title', id: titleId }, label),
      w.description ? h('p', { class: 'card-id' }, h('code', {}, w.url)) : null,
      h('p', { class: 'card-tags' }, (w.events || []).map((ev) => h('span', { class: 'badge' }, ev))),
      h('div', { class: 'check-line' }, active, h('label', { for: activeId }, 'Active')),
      h('p', { class: 'card-updated' }, 'Added ', timeAgo(w.created_at), w.last_success_at ? [' · last delivered ', timeAgo(w.last_success_at)] : null),
      w.disabled_at ? h('p', { class: 'notice' }, 'Paused by AAM ', timeAgo(w.disabled_at), ' after 24 hours without a successful delivery. Switch it on again once the receiver answers.') : null,
      w.previous_secret_expires_at ? h('p', { class: 'meta' }, 'The previous secret also signs until ', timeAgo(w.previous_secret_expires_at), '.') : null,
      result,
      h(
        'div',
        { class: 'card-actions' },
        btn('Deliveries', '', (b) => deliveriesDialog(ctx, w, b)),
        test,
        btn('Rotate secret', 'rotate', (b) => rotateDialog(w, label, b)),
        btn('Delete', 'danger-text', (b) => deleteDialog(w, label, b)),
      ),
    );
  }

  function confirmDialog({ title, text, action, danger, opener, run }) {
    const cancel = h('button', { type: 'button', class: 'button', 'data-autofocus': true }, 'Cancel');
    const go = h('button', { type: 'button', class: `button ${danger ? 'danger' : 'primary'}` }, action);
    const st = h('div', { class: 'form-status' });
    const { close } = openDialog({ title, className: 'confirm', opener, fallback: () => ctx.main.querySelector('h1'), content: () => h('div', {}, h('p', {}, text), st, h('div', { class: 'dialog-actions' }, cancel, go)) });
    cancel.addEventListener('click', close);
    go.addEventListener('click', () =>
      busy(go, async () => {
        try {
          await run(close);
        } catch (e) {
          if (e instanceof api.SessionEnded) {
            close();
            return ctx.sessionEnded();
          }
          st.replaceChildren(errorBox(e, 'webhooks'));
        }
      }),
    );
  }

  function rotateDialog(w, label, opener) {
    confirmDialog({
      title: 'Rotate the signing secret?',
      text: `A new secret signs deliveries to ${w.url} from now on; for 24 hours they carry a signature with the old one too, so your receiver can switch over.`,
      action: 'Rotate',
      opener,
      run: async (close) => {
        const r = await api.webhooks.rotate(w.id);
        close();
        // The card is drawn again (it tells until when the old secret still signs); focus then
        // goes back to its new Rotate button.
        const again = () => listBox.querySelector(`[data-wh="${CSS.escape(w.id)}"] .rotate`) || ctx.main.querySelector('h1');
        secretDialog('The new signing secret', `Deliveries to ${w.url} are now signed with this secret.`, r.secret || '', opener, again);
        load();
      },
    });
  }

  function deleteDialog(w, label, opener) {
    confirmDialog({
      title: `Delete the webhook ${label}?`,
      text: `Nothing more is sent to ${w.url}; its delivery log goes too.`,
      action: 'Delete',
      danger: true,
      opener,
      run: async (close) => {
        try {
          await api.webhooks.remove(w.id);
        } catch (e) {
          if (e.status !== 404) throw e;
        }
        close();
        toast(`Deleted the webhook ${label}.`);
        load();
      },
    });
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    url.setError(null);
    description.setError(null);
    events.setError(null);
    status.replaceChildren();
    const body = { url: url.input.value.trim(), events: events.value() };
    if (description.input.value.trim()) body.description = description.input.value.trim();
    if (!body.url) url.setError('Enter the URL to deliver to.');
    if (!body.events.length) events.setError('Choose at least one event.');
    const bad = form.querySelector('[aria-invalid=true]');
    if (bad || !body.events.length) {
      if (bad) bad.focus();
      else events.focus();
      return;
    }
    busy(create, async () => {
      let r;
      try {
        r = await api.webhooks.create(body);
      } catch (e) {
        if (e instanceof api.SessionEnded) return ctx.sessionEnded();
        const loose = [];
        for (const fe of e.errors) {
          if (fe.field === 'url') url.setError(fe.message);
          else if (fe.field === 'description') description.setError(fe.message);
          else if (String(fe.field).startsWith('events')) events.setError(fe.message);
          else loose.push(`${fe.field}: ${fe.message}`);
        }
        const b = form.querySelector('[aria-invalid=true]');
        if (!b || loose.length) status.replaceChildren(errorBox(e, 'webhooks', loose.length ? h('ul', {}, loose.map((m) => h('li', {}, m))) : null));
        (b || create).focus();
        return;
      }
      url.input.value = '';
      description.input.value = '';
      secretDialog(`Webhook added: ${r.url || body.url}`, 'Your receiver verifies each delivery with this secret.', r.secret || '', create, () => create);
      load();
    });
  });

  load();
}
