// connections: the Connections tab. The tenant's connectors as cards, filtered by status and
// type (the API's own filters; the types are the registry's), searched by name, paged with the
// API's total, and polled with If-None-Match (a 304 costs nothing). The dialogs that create and
// edit a connector (its config fields generated from the type's spec, see form.js), test it,
// show its history and delete it; edits and deletes carry If-Match, so a connector changed by
// someone else since the dialog opened is not overwritten (412).
import * as api from './api.js';
import { h, replace, rangeText, timeAgo, uid } from './dom.js';
import { busy, errorBox, field, openDialog, toast } from './ui.js';
import { configForm, FALLBACK_TYPES } from './form.js';
import { showHistory } from './history.js';

const PAGE = 50;
const POLL_MS = 3000;
const STATUSES = ['ACTIVE', 'INACTIVE', 'PENDING', 'ERROR'];
// Shapes beside the status text, so the status never rests on colour alone.
const STATUS_MARK = { ACTIVE: '●', INACTIVE: '○', PENDING: '◐', ERROR: '▲' };
const SEARCH_ALL_MAX = 5000; // a search reads the filtered list whole, up to this many
const STALE = 'This connector was changed by someone else since you opened it — reload to see the current version.';

export function statusPill(status) {
  const known = STATUSES.includes(status);
  return h('span', { class: `pill status-${known ? status.toLowerCase() : 'unknown'}` }, h('span', { class: 'mark', 'aria-hidden': 'true' }, STATUS_MARK[status] || '?'), h('span', {}, status));
}

// The type registry, read once per page load: { list, byType, served } (served false: the
// server has no registry route, so a FilesSource form and JSON configs stand in).
let registry = null;
async function loadRegistry() {
  if (registry) return registry;
  let list;
  let served = true;
  try {
    list = (await api.types.list()).types;
  } catch (e) {
    if (e instanceof api.SessionEnded) throw e;
    if (e.status !== 404) return { list: FALLBACK_TYPES, byType: new Map(FALLBACK_TYPES.map((t) => [t.type, t])), served: false, failed: e };
    list = FALLBACK_TYPES;
    served = false;
  }
  registry = { list, byType: new Map(list.map((t) => [t.type, t])), served };
  return registry;
}

function hashFor({ status, type, q, offset }) {
  const p = new URLSearchParams();
  if (status) p.set('status', status);
  if (type) p.set('type', type);
  if (q) p.set('q', q);
  if (offset) p.set('offset', String(offset));
  const s = p.toString();
  return `#/connections${s ? `?${s}` : ''}`;
}

// The API has no name search: a search walks the filtered list (one or two requests for a
// tenant at the default quota) and matches names here, case-insensitively.
async function searchAll(state) {
  const needle = state.q.toLocaleLowerCase();
  const found = [];
  for (let offset = 0; offset < SEARCH_ALL_MAX; offset += 500) {
    const page = await api.connectors.list({ limit: 500, offset, status: state.status, type: state.type });
    for (const c of page.connectors) if (c.name.toLocaleLowerCase().includes(needle)) found.push(c);
    if (offset + page.connectors.length >= page.total || page.connectors.length === 0) break;
  }
  return { connectors: found.slice(state.offset, state.offset + PAGE), total: found.length };
}

// ------------------------------------------------------------------ check results

// A check's answer as a list of steps (✓/✗, name, message), with its verdict first.
export function checkReport(result) {
  const steps = Array.isArray(result.steps) ? result.steps : [];
  return h(
    'div',
    { class: `check-report ${result.ok ? 'check-ok' : 'check-failed'}` },
    h('p', { class: 'check-verdict' }, h('span', { 'aria-hidden': 'true' }, result.ok ? '✓ ' : '✗ '), result.ok ? 'The connection works.' : 'The connection failed.', Number.isFinite(result.duration_ms) ? h('span', { class: 'muted' }, ` (${result.duration_ms} ms)`) : null),
    steps.length
      ? h(
          'ul',
          { class: 'check-steps', 'aria-label': 'Check steps' },
          steps.map((s) => h('li', { class: s.ok ? 'step-ok' : 'step-failed' }, h('span', { class: 'step-mark', 'aria-hidden': 'true' }, s.ok ? '✓' : '✗'), h('span', { class: 'sr-only' }, s.ok ? 'Passed: ' : 'Failed: '), h('strong', {}, s.name), s.message ? h('span', { class: 'step-message' }, ` — ${s.message}`) : null)),
        )
      : null,
  );
}

// What a failed check request says: "cannot be checked" for urn:aam:problem:no-check.
function checkError(e) {
  if (e.type === 'urn:aam:problem:no-check') return h('p', { class: 'notice' }, 'This type cannot be checked.');
  return errorBox(e, 'check');
}

export function showConnections(ctx, params) {
  const state = {
    status: STATUSES.includes(params.get('status')) ? params.get('status') : '',
    type: params.get('type') || '',
    q: params.get('q') || '',
    offset: Math.max(0, Number.parseInt(params.get('offset') || '0', 10) || 0),
  };
  const editor = api.canEdit();

  const newButton = editor ? h('button', { type: 'button', class: 'button primary' }, 'New connector') : null;
  const search = field({ label: 'Search by name', name: 'q', type: 'search', value: state.q, attrs: { autocomplete: 'off' } });
  const status = field({ label: 'Status', name: 'status', value: state.status, options: [['', 'All statuses'], ...STATUSES.map((s) => [s, s])] });
  const type = field({ label: 'Type', name: 'type', value: state.type, options: typeOptions(null) });
  const clear = h('button', { type: 'button', class: 'button subtle' }, 'Clear filters');
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter connectors' }, search.wrap, status.wrap, type.wrap, h('div', { class: 'field field-button' }, clear));
  const count = h('p', { class: 'count', role: 'status', tabindex: '-1' });
  const list = h('div', { class: 'results' });
  const prev = h('button', { type: 'button', class: 'button' }, '‹ Previous');
  const next = h('button', { type: 'button', class: 'button' }, 'Next ›');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of connectors' }, prev, next);

  replace(
    ctx.main,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Connections'), newButton),
    editor ? null : h('p', { class: 'notice' }, 'You are a viewer in this tenant: you can read connectors, their files and history, but not change them.'),
    filters,
    count,
    list,
    pager,
  );
  document.title = 'Connections · AAM';

  // The type filter's options: the registry's types, plus the one in the address if it has
  // none of them (an older row's type stays selectable).
  function typeOptions(reg) {
    const opts = [['', 'All types']];
    const seen = new Set();
    for (const t of (reg && reg.list) || []) {
      opts.push([t.type, t.title && t.title !== t.type ? `${t.title} (${t.type})` : t.type]);
      seen.add(t.type);
    }
    if (state.type && !seen.has(state.type)) opts.push([state.type, state.type]);
    return opts;
  }

  let reg = null;
  loadRegistry()
    .then((r) => {
      reg = r;
      if (!ctx.current()) return;
      replace(type.input, typeOptions(r).map(([v, text]) => h('option', { value: v }, text)));
      type.input.value = state.type;
    })
    .catch(() => {});

  let loadSeq = 0;
  let listEtag = null;
  let shownJson = '';
  const query = () => ({ limit: PAGE, offset: state.offset, status: state.status, type: state.type });

  async function load() {
    const seq = ++loadSeq;
    ctx.setHash(hashFor(state));
    clear.hidden = !(state.q || state.status || state.type);
    list.setAttribute('aria-busy', 'true');
    let data;
    try {
      if (state.q) {
        data = await searchAll(state);
        listEtag = null;
      } else {
        const r = await api.connectors.listIfChanged(query(), null);
        data = r.data;
        listEtag = r.etag;
      }
    } catch (e) {
      if (seq !== loadSeq || !ctx.current()) return;
      list.removeAttribute('aria-busy');
      if (e instanceof api.SessionEnded) return ctx.sessionEnded();
      const retry = h('button', { type: 'button', class: 'button' }, 'Try again');
      retry.addEventListener('click', load);
      replace(list, errorBox(e, 'list', h('p', {}, retry)));
      count.textContent = '';
      pager.hidden = true;
      shownJson = '';
      return;
    }
    if (seq !== loadSeq || !ctx.current()) return;
    list.removeAttribute('aria-busy');
    if (data.total > 0 && state.offset >= data.total) {
      state.offset = Math.floor((data.total - 1) / PAGE) * PAGE; // the page went away (deletes)
      return load();
    }
    render(data);
  }

  // Every few seconds: the same page as a conditional request. 304 = nothing to do; a changed
  // page is drawn again only when its content differs, keeping focus on the same control.
  let polling = false;
  async function poll() {
    if (!ctx.current()) {
      clearInterval(pollTimer);
      return;
    }
    if (polling || state.q || document.hidden || list.getAttribute('aria-busy') === 'true' || !shownJson) return;
    polling = true;
    const seq = loadSeq;
    try {
      const r = await api.connectors.listIfChanged(query(), listEtag);
      if (seq !== loadSeq || !ctx.current() || r.status === 304) return;
      listEtag = r.etag;
      if (r.data.total > 0 && state.offset >= r.data.total) {
        load();
        return;
      }
      if (JSON.stringify(r.data) !== shownJson) render(r.data);
    } catch (e) {
      if (e instanceof api.SessionEnded) {
        clearInterval(pollTimer);
        ctx.sessionEnded();
      }
      // Otherwise the next poll tries again; the page keeps what it shows.
    } finally {
      polling = false;
    }
  }
  const pollTimer = setInterval(poll, POLL_MS);

  function render(data) {
    shownJson = JSON.stringify(data);
    // Focus on a card's control survives the redraw (polling redraws under a person's hands).
    const active = document.activeElement;
    const activeCard = active && list.contains(active) ? active.closest('[data-id]') : null;
    const focusKey = activeCard ? [activeCard.dataset.id, active.getAttribute('data-action')] : null;
    const shown = data.connectors.length;
    count.textContent = `${rangeText(state.offset, shown, data.total)} connector${data.total === 1 ? '' : 's'}${state.q ? ` with “${state.q}” in the name` : ''}`;
    pager.hidden = data.total <= PAGE;
    prev.disabled = state.offset === 0;
    next.disabled = state.offset + shown >= data.total;
    if (data.total === 0) {
      replace(list, emptyState());
      return;
    }
    replace(list, h('ul', { class: 'cards', 'aria-label': 'Connectors' }, data.connectors.map(card)));
    if (focusKey) {
      const again = [...list.querySelectorAll('[data-id]')].find((el) => el.dataset.id === focusKey[0]);
      const target = again && (again.querySelector(`[data-action="${focusKey[1]}"]`) || again.querySelector('h2'));
      if (target) target.focus();
    }
  }

  function emptyState() {
    if (state.q || state.status || state.type) {
      const b = h('button', { type: 'button', class: 'button' }, 'Clear filters');
      b.addEventListener('click', clearFilters);
      return h('div', { class: 'empty' }, h('h2', {}, 'No connector matches'), h('p', {}, 'Nothing matches this search and these filters.'), b);
    }
    if (!editor) return h('div', { class: 'empty' }, h('h2', {}, 'No connectors yet'), h('p', {}, 'An editor or admin of this tenant can create the first one.'));
    const b = h('button', { type: 'button', class: 'button primary' }, 'Create your first connector');
    b.addEventListener('click', () => editDialog(null));
    return h(
      'div',
      { class: 'empty' },
      h('h2', {}, 'No connectors yet'),
      h('p', {}, 'A connector tells AAM where your data lives: a FilesSource reads the CSV files of a folder. Create the first one to get started.'),
      b,
    );
  }

  function lastCheckLine(c) {
    const lc = c.last_check;
    if (!lc) return null;
    return h(
      'p',
      { class: `card-check ${lc.ok ? 'check-ok' : 'check-failed'}` },
      h('span', { 'aria-hidden': 'true' }, lc.ok ? '✓ ' : '✗ '),
      lc.ok ? 'Last check passed ' : 'Last check failed ',
      timeAgo(lc.checked_at),
      lc.message ? h('span', { class: 'check-message' }, ` — ${lc.message}`) : null,
    );
  }

  function card(c) {
    const titleId = uid('card');
    const action = (name, text, cls, fn) => {
      const b = h('button', { type: 'button', class: `button small ${cls || ''}`, 'aria-label': `${text} ${c.name}`, 'data-action': name }, text);
      b.addEventListener('click', () => fn(b));
      return b;
    };
    const result = h('div', { class: 'card-result', role: 'status' });
    const browse = c.type === 'filesource' ? h('a', { class: 'button small', href: `#/connectors/${encodeURIComponent(c.id)}/files`, 'aria-label': `Browse files of ${c.name}`, 'data-action': 'browse' }, 'Browse files') : null;
    const history = action('history', 'History', '', () => showHistory(ctx, c, reg));
    const check = editor ? action('check', 'Test connection', '', (b) => cardCheck(c, b, result)) : null;
    const edit = editor ? action('edit', 'Edit', '', (b) => openEdit(c, b)) : null;
    const del = editor ? action('delete', 'Delete', 'danger-text', (b) => openDelete(c, b)) : null;
    return h(
      'li',
      { class: 'card', 'aria-labelledby': titleId, 'data-id': c.id },
      h('h2', { class: 'card-title', id: titleId, tabindex: '-1' }, c.name),
      h('p', { class: 'card-id' }, h('span', { class: 'sr-only' }, 'ID: '), h('code', {}, c.id)),
      h('p', { class: 'card-tags' }, h('span', { class: 'badge', title: 'Type' }, h('span', { class: 'sr-only' }, 'Type: '), c.type), ' ', h('span', { class: 'sr-only' }, 'Status: '), statusPill(c.status)),
      h('p', { class: 'card-updated' }, 'Updated ', timeAgo(c.updated_at)),
      lastCheckLine(c),
      result,
      h('div', { class: 'card-actions' }, browse, check, history, edit, del),
    );
  }

  async function cardCheck(c, button, result) {
    await busy(button, async () => {
      replace(result, h('p', { class: 'muted' }, 'Testing…'));
      try {
        const r = await api.connectors.check(c.id);
        replace(result, checkReport(r));
      } catch (e) {
        if (e instanceof api.SessionEnded) return ctx.sessionEnded();
        replace(result, checkError(e));
        return;
      }
    });
    // The status and last_check changed: the next poll (or this load) shows them.
    const keep = result.firstChild;
    await load();
    const again = [...list.querySelectorAll('[data-id]')].find((el) => el.dataset.id === c.id);
    if (again && keep) {
      again.querySelector('.card-result').replaceChildren(keep);
      const b = again.querySelector('[data-action="check"]');
      if (b) b.focus();
    }
  }

  function clearFilters() {
    Object.assign(state, { q: '', status: '', type: '', offset: 0 });
    search.input.value = '';
    status.input.value = '';
    type.input.value = '';
    load();
    search.input.focus();
  }

  // ---------------------------------------------------------------- create / edit dialog

  // Fetches the connector (its current config, secrets and ETag) before the dialog opens.
  async function openEdit(c, button) {
    await busy(button, async () => {
      let got;
      try {
        got = await api.connectors.getWithEtag(c.id);
      } catch (e) {
        if (e instanceof api.SessionEnded) return ctx.sessionEnded();
        if (e.status === 404) {
          toast(`“${c.name}” no longer exists.`);
          load();
          return;
        }
        toast(`Could not open “${c.name}”: ${e.detail || e.title}`);
        return;
      }
      await editDialog(got.data, got.etag, button);
    });
  }

  // The card's button that does action, or the page heading (after a redraw or a delete).
  function cardButton(id, action) {
    const el = id ? [...list.querySelectorAll('[data-id]')].find((x) => x.dataset.id === id) : null;
    return (el && el.querySelector(`[data-action="${action}"]`)) || ctx.main.querySelector('h1');
  }

  async function editDialog(c, etag, opener = document.activeElement) {
    const creating = c === null;
    let r;
    try {
      r = await loadRegistry();
    } catch (e) {
      if (e instanceof api.SessionEnded) return ctx.sessionEnded();
      throw e;
    }
    const spec = (t) => (r.byType.get(t) || {}).spec || null;
    const f = {
      id: creating ? field({ label: 'ID', name: 'id', hint: 'Letters, digits, “.”, “_” and “-”; cannot change later.', attrs: { autocomplete: 'off', spellcheck: 'false', required: true } }) : null,
      name: field({ label: 'Name', name: 'name', value: creating ? '' : c.name, attrs: { autocomplete: 'off', required: true } }),
      type: creating
        ? field({
            label: 'Type',
            name: 'type',
            value: r.byType.has('filesource') ? 'filesource' : (r.list[0] || {}).type,
            hint: null,
            options: r.list.map((t) => [t.type, t.title && t.title !== t.type ? `${t.title} (${t.type})` : t.type]),
          })
        : null,
      status: field({ label: 'Status', name: 'status', value: creating ? 'ACTIVE' : c.status, options: STATUSES.map((s) => [s, s]) }),
    };
    const typeOf = () => (creating ? f.type.input.value : c.type);
    const typeHint = h('p', { class: 'hint type-description' });
    if (creating) f.type.wrap.insertBefore(typeHint, f.type.input);

    // The config part: generated from the spec; for a type the registry does not know, the
    // stored config as JSON (editable only when the server has no registry at all).
    const configBox = h('div', { class: 'config-box' });
    let cfgForm = null;
    let jsonField = null;
    const drawConfig = () => {
      const s = spec(typeOf());
      cfgForm = null;
      jsonField = null;
      if (creating) typeHint.textContent = (r.byType.get(typeOf()) || {}).description || '';
      if (s) {
        cfgForm = configForm(s, { config: creating ? null : c.config || {}, secrets: creating ? [] : c.secrets || [], creating });
        replace(configBox, cfgForm.node);
      } else if (r.served) {
        replace(
          configBox,
          h('div', { class: 'field' }, h('p', { class: 'field-label' }, 'Config'), h('p', { class: 'hint' }, `The type “${typeOf()}” is not in the server’s registry: its config can be read here but not changed.`), h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Config (read-only JSON)' }, JSON.stringify((c && c.config) || {}, null, 2))),
        );
      } else {
        jsonField = field({ label: 'Config (JSON)', name: 'config', textarea: true, value: JSON.stringify((c && c.config) || {}, null, 2) });
        replace(configBox, jsonField.wrap);
      }
    };
    if (creating) f.type.input.addEventListener('change', drawConfig);
    drawConfig();

    const formStatus = h('div', { class: 'form-status' });
    const checkBox = h('div', { class: 'dialog-check', role: 'status' });
    const submit = h('button', { type: 'submit', class: 'button primary' }, creating ? 'Create' : 'Save');
    const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
    const testBtn = h('button', { type: 'button', class: 'button' }, 'Test connection');
    const fixed = creating ? null : h('dl', { class: 'fixed' }, h('dt', {}, 'ID'), h('dd', {}, h('code', {}, c.id)), h('dt', {}, 'Type'), h('dd', {}, c.type));
    const form = h(
      'form',
      { class: 'dialog-form', novalidate: true },
      fixed,
      f.id && f.id.wrap,
      f.name.wrap,
      f.type && f.type.wrap,
      f.status.wrap,
      configBox,
      checkBox,
      formStatus,
      h('div', { class: 'dialog-actions' }, testBtn, h('span', { class: 'spacer' }), cancel, submit),
    );
    const { close } = openDialog({ title: creating ? 'New connector' : `Edit ${c.name}`, content: () => form, opener, fallback: () => cardButton(c && c.id, 'edit') });
    cancel.addEventListener('click', close);

    const clearErrors = () => {
      for (const x of Object.values(f)) if (x) x.setError(null);
      if (cfgForm) cfgForm.clear();
      if (jsonField) jsonField.setError(null);
      formStatus.replaceChildren();
    };

    // The config to send, or undefined when it could not be read (the error is shown).
    const readConfig = () => {
      if (cfgForm) return cfgForm.collect();
      if (jsonField) {
        try {
          const v = JSON.parse(jsonField.input.value || '{}');
          if (v && typeof v === 'object' && !Array.isArray(v)) return v;
        } catch {
          // shown below
        }
        jsonField.setError('is not a JSON object');
        jsonField.input.focus();
        return undefined;
      }
      return null; // read-only: not sent
    };
    const original = creating ? null : JSON.stringify(configForm(spec(c.type) || {}, { config: c.config || {}, secrets: c.secrets || [], creating: false }).collect());

    testBtn.addEventListener('click', () =>
      busy(testBtn, async () => {
        clearErrors();
        const config = readConfig();
        if (config === undefined) return;
        replace(checkBox, h('p', { class: 'muted' }, 'Testing…'));
        try {
          // A stored connector whose config is as saved is checked with its stored secrets;
          // anything else is checked as typed, before saving.
          const unchanged = !creating && (config === null || (cfgForm && JSON.stringify(config) === original));
          const result = unchanged ? await api.connectors.check(c.id) : await api.types.check(typeOf(), config || {});
          replace(checkBox, checkReport(result));
        } catch (e) {
          if (e instanceof api.SessionEnded) {
            close();
            return ctx.sessionEnded();
          }
          checkBox.replaceChildren();
          if (e.status === 422 && e.type !== 'urn:aam:problem:no-check' && e.errors.length) {
            showErrors(e);
            return;
          }
          replace(checkBox, checkError(e));
        }
      }),
    );

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearErrors();
      const config = readConfig();
      if (config === undefined) return;
      let body;
      if (creating) {
        body = { id: f.id.input.value.trim(), name: f.name.input.value, type: typeOf(), status: f.status.input.value, config: config || {} };
      } else {
        body = { name: f.name.input.value, status: f.status.input.value };
        // The config goes back whole (a kept secret left out) when the type has a spec, as
        // PATCH replaces it; a JSON config only when it changed.
        if (cfgForm) {
          if (JSON.stringify(config) !== original) body.config = config;
        } else if (jsonField && JSON.stringify(config) !== JSON.stringify(c.config || {})) body.config = config;
      }
      busy(submit, async () => {
        let saved;
        try {
          saved = creating ? await api.connectors.create(body) : await api.connectors.update(c.id, body, etag);
        } catch (e) {
          if (e instanceof api.SessionEnded) {
            close();
            return ctx.sessionEnded();
          }
          if (e.status === 412) return showStale(formStatus, submit, close, c);
          showErrors(e);
          return;
        }
        close();
        toast(creating ? `Created “${saved.name}”.` : `Saved “${saved.name}”.`);
        load();
      });
    });

    function showErrors(e) {
      const loose = [];
      if (creating && e.status === 409 && !e.errors.length) f.id.setError(e.detail || 'is already taken');
      for (const fe of e.errors) {
        const name = String(fe.field || '');
        let placed = false;
        if (name.startsWith('config.') && cfgForm) placed = cfgForm.setError(name.slice(7), fe.message);
        else if (name === 'config' && jsonField) {
          jsonField.setError(fe.message);
          placed = true;
        } else if (f[name]) {
          f[name].setError(fe.message);
          placed = true;
        }
        if (!placed) loose.push(`${fe.field}: ${fe.message}`);
      }
      const placed = form.querySelector('[aria-invalid=true]') || form.querySelector('.invalid');
      if (!placed || loose.length) {
        formStatus.replaceChildren(errorBox(e, 'save', loose.length ? h('ul', {}, loose.map((m) => h('li', {}, m))) : null));
      } else if (e.requestId) {
        formStatus.replaceChildren(h('p', { class: 'request-id' }, 'Not saved: fix the fields marked above. Request ID: ', h('code', {}, e.requestId)));
      }
      if (!(cfgForm && cfgForm.focusError())) (form.querySelector('[aria-invalid=true]') || submit).focus();
    }
  }

  // A 412: the connector changed since the dialog opened. Offers to reload it.
  function showStale(where, focusFallback, close, c, reopen = true) {
    const reload = h('button', { type: 'button', class: 'button' }, 'Reload');
    reload.addEventListener('click', () => {
      close();
      load();
      if (reopen) {
        const again = () => [...list.querySelectorAll('[data-id]')].find((el) => el.dataset.id === c.id);
        api.connectors
          .getWithEtag(c.id)
          .then((got) => editDialog(got.data, got.etag))
          .catch((e) => {
            if (e instanceof api.SessionEnded) return ctx.sessionEnded();
            toast(e.status === 404 ? `“${c.name}” was deleted.` : `Could not reload “${c.name}”.`);
            const card = again();
            if (card) card.querySelector('h2').focus();
          });
      }
    });
    replace(where, h('div', { class: 'alert', role: 'alert' }, h('p', { class: 'alert-title' }, STALE), h('p', {}, reload)));
    (reload || focusFallback).focus();
  }

  // ---------------------------------------------------------------- delete confirmation

  async function openDelete(c, button) {
    await busy(button, async () => {
      let etag = null;
      try {
        etag = (await api.connectors.getWithEtag(c.id)).etag;
      } catch (e) {
        if (e instanceof api.SessionEnded) return ctx.sessionEnded();
        if (e.status === 404) {
          toast(`“${c.name}” no longer exists.`);
          load();
          return;
        }
      }
      deleteDialog(c, etag, button);
    });
  }

  function deleteDialog(c, etag, opener) {
    const cancel = h('button', { type: 'button', class: 'button', 'data-autofocus': true }, 'Cancel');
    const confirm = h('button', { type: 'button', class: 'button danger' }, 'Delete');
    const formStatus = h('div', { class: 'form-status' });
    const { close } = openDialog({
      title: `Delete ${c.name}?`,
      className: 'confirm',
      opener,
      fallback: () => cardButton(c.id, 'delete'),
      content: () =>
        h(
          'div',
          {},
          h('p', {}, 'The connector ', h('strong', {}, c.name), ' (', h('code', {}, c.id), ') and its configuration are removed for good. Files in its folder are not touched.'),
          formStatus,
          h('div', { class: 'dialog-actions' }, cancel, confirm),
        ),
    });
    cancel.addEventListener('click', close);
    confirm.addEventListener('click', () =>
      busy(confirm, async () => {
        try {
          await api.connectors.remove(c.id, etag);
        } catch (e) {
          if (e instanceof api.SessionEnded) {
            close();
            return ctx.sessionEnded();
          }
          if (e.status === 412) return showStale(formStatus, cancel, close, c, false);
          if (e.status !== 404) {
            formStatus.replaceChildren(errorBox(e, 'delete'));
            return;
          }
        }
        close();
        toast(`Deleted “${c.name}”.`);
        load();
      }),
    );
  }

  // ---------------------------------------------------------------- wiring

  let timer = null;
  const later = (fn) => {
    clearTimeout(timer);
    timer = setTimeout(fn, 300);
  };
  search.input.addEventListener('input', () =>
    later(() => {
      state.q = search.input.value.trim();
      state.offset = 0;
      load();
    }),
  );
  status.input.addEventListener('change', () => {
    state.status = status.input.value;
    state.offset = 0;
    load();
  });
  type.input.addEventListener('change', () => {
    state.type = type.input.value;
    state.offset = 0;
    load();
  });
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    state.q = search.input.value.trim();
    state.offset = 0;
    load();
  });
  clear.addEventListener('click', clearFilters);
  if (newButton) newButton.addEventListener('click', () => editDialog(null));
  const turn = (delta, button) => {
    state.offset = Math.max(0, state.offset + delta);
    load().then(() => {
      if (button.disabled) count.focus();
    });
  };
  prev.addEventListener('click', () => turn(-PAGE, prev));
  next.addEventListener('click', () => turn(PAGE, next));
  load();
}
