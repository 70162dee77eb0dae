// connections: the Connections tab. The tenant's connectors as cards, filtered by status and
// type (the API's own filters), searched by name, paged with the API's total; the dialogs that
// create, edit and delete a connector, with the API's 422 errors shown next to their fields.
import * as api from './api.js';
import { h, replace, rangeText, timeAgo, uid } from './dom.js';
import { busy, errorBox, field, openDialog, toast } from './ui.js';

const PAGE = 50;
const STATUSES = ['ACTIVE', 'INACTIVE', 'PENDING', 'ERROR'];
// Shapes beside the status text, so the status never rests on colour alone.
const STATUS_MARK = { ACTIVE: '●', INACTIVE: '○', PENDING: '◐', ERROR: '▲' };
const SEARCH_ALL_MAX = 5000; // a search reads the filtered list whole, up to this many

export function statusPill(status) {
  const known = STATUSES.includes(status);
  return h('span', { class: `pill status-${known ? status.toLowerCase() : 'unknown'}` }, h('span', { class: 'mark', 'aria-hidden': 'true' }, STATUS_MARK[status] || '?'), h('span', {}, status));
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

export function showConnections(ctx, params) {
  const state = {
    status: STATUSES.includes(params.get('status')) ? params.get('status') : '',
    type: params.get('type') || '',
    q: params.get('q') || '',
    offset: Math.max(0, Number.parseInt(params.get('offset') || '0', 10) || 0),
  };
  const knownTypes = new Set(['filesource']);

  const newButton = h('button', { type: 'button', class: 'button primary' }, 'New connector');
  const search = field({ label: 'Search by name', name: 'q', type: 'search', value: state.q, attrs: { autocomplete: 'off' } });
  const status = field({ label: 'Status', name: 'status', value: state.status, options: [['', 'All statuses'], ...STATUSES.map((s) => [s, s])] });
  const typesList = h('datalist', { id: uid('types') });
  const type = field({ label: 'Type', name: 'type', value: state.type, attrs: { list: typesList.id, autocomplete: 'off', placeholder: 'All types', spellcheck: 'false' } });
  const clear = h('button', { type: 'button', class: 'button subtle' }, 'Clear filters');
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter connectors' }, search.wrap, status.wrap, type.wrap, typesList, h('div', { class: 'field field-button' }, clear));
  const count = h('p', { class: 'count', role: 'status', tabindex: '-1' });
  const list = h('div', { class: 'results' });
  const prev = h('button', { type: 'button', class: 'button' }, '‹ Previous');
  const next = h('button', { type: 'button', class: 'button' }, 'Next ›');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of connectors' }, prev, next);

  replace(
    ctx.main,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Connections'), newButton),
    filters,
    count,
    list,
    pager,
  );
  document.title = 'Connections · AAM';

  let loadSeq = 0;
  async function load() {
    const seq = ++loadSeq;
    ctx.setHash(hashFor(state));
    clear.hidden = !(state.q || state.status || state.type);
    list.setAttribute('aria-busy', 'true');
    let data;
    try {
      data = state.q ? await searchAll(state) : await api.connectors.list({ limit: PAGE, offset: state.offset, ...state });
    } catch (e) {
      if (seq !== loadSeq || !ctx.current()) return;
      list.removeAttribute('aria-busy');
      if (e instanceof api.SessionEnded) return ctx.sessionEnded();
      const retry = h('button', { type: 'button', class: 'button' }, 'Try again');
      retry.addEventListener('click', load);
      replace(list, errorBox(e, 'list', h('p', {}, retry)));
      count.textContent = '';
      pager.hidden = true;
      return;
    }
    if (seq !== loadSeq || !ctx.current()) return;
    list.removeAttribute('aria-busy');
    if (data.total > 0 && state.offset >= data.total) {
      state.offset = Math.floor((data.total - 1) / PAGE) * PAGE; // the page went away (deletes)
      return load();
    }
    for (const c of data.connectors) knownTypes.add(c.type);
    replace(typesList, [...knownTypes].sort().map((t) => h('option', { value: t })));
    render(data);
  }

  function render(data) {
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
  }

  function emptyState() {
    if (state.q || state.status || state.type) {
      const b = h('button', { type: 'button', class: 'button' }, 'Clear filters');
      b.addEventListener('click', clearFilters);
      return h('div', { class: 'empty' }, h('h2', {}, 'No connector matches'), h('p', {}, 'Nothing matches this search and these filters.'), b);
    }
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

  function card(c) {
    const titleId = uid('card');
    const edit = h('button', { type: 'button', class: 'button small', 'aria-label': `Edit ${c.name}` }, 'Edit');
    edit.addEventListener('click', () => editDialog(c));
    const del = h('button', { type: 'button', class: 'button small danger-text', 'aria-label': `Delete ${c.name}` }, 'Delete');
    del.addEventListener('click', () => deleteDialog(c));
    const browse = c.type === 'filesource' ? h('a', { class: 'button small', href: `#/connectors/${encodeURIComponent(c.id)}/files`, 'aria-label': `Browse files of ${c.name}` }, 'Browse files') : null;
    return h(
      'li',
      { class: 'card', 'aria-labelledby': titleId },
      h('h2', { class: 'card-title', id: titleId }, c.name),
      h('p', { class: 'card-id' }, h('span', { class: 'sr-only' }, 'ID: '), h('code', {}, c.id)),
      h('p', { class: 'card-tags' }, h('span', { class: 'badge', title: 'Type' }, h('span', { class: 'sr-only' }, 'Type: '), c.type), ' ', h('span', { class: 'sr-only' }, 'Status: '), statusPill(c.status)),
      h('p', { class: 'card-updated' }, 'Updated ', timeAgo(c.updated_at)),
      h('div', { class: 'card-actions' }, browse, edit, del),
    );
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

  function editDialog(c) {
    const creating = c === null;
    const cfg = (c && c.config) || {};
    const f = {
      id: creating ? field({ label: 'ID', name: 'id', hint: 'Letters, digits, “.”, “_” and “-”; cannot change later.', attrs: { autocomplete: 'off', spellcheck: 'false', required: true } }) : null,
      name: field({ label: 'Name', name: 'name', value: creating ? '' : c.name, attrs: { autocomplete: 'off', required: true } }),
      type: creating ? field({ label: 'Type', name: 'type', value: 'filesource', hint: 'filesource reads CSV files; any other type keeps a JSON config.', attrs: { list: typesList.id, autocomplete: 'off', spellcheck: 'false', required: true } }) : null,
      status: field({ label: 'Status', name: 'status', value: creating ? 'ACTIVE' : c.status, options: STATUSES.map((s) => [s, s]) }),
      path: field({ label: 'Path', name: 'config.path', value: cfg.path || '', hint: 'A folder inside the server’s sources root, such as mock_sources/.', attrs: { autocomplete: 'off', spellcheck: 'false' } }),
      pattern: field({ label: 'Pattern', name: 'config.pattern', value: cfg.pattern || (creating ? '*.csv' : ''), hint: 'Which files of the folder to list, such as *.csv.', attrs: { autocomplete: 'off', spellcheck: 'false' } }),
      config: field({ label: 'Config (JSON)', name: 'config', textarea: true, value: JSON.stringify(cfg, null, 2) }),
    };
    const typeOf = () => (creating ? f.type.input.value.trim() : c.type);
    const fsBox = h('fieldset', { class: 'group' }, h('legend', {}, 'Files'), f.path.wrap, f.pattern.wrap);
    const jsonBox = h('div', { class: 'group' }, f.config.wrap);
    const sync = () => {
      const fs = typeOf() === 'filesource';
      fsBox.hidden = !fs;
      jsonBox.hidden = fs;
    };
    if (creating) f.type.input.addEventListener('input', sync);
    sync();
    const formStatus = h('div', { class: 'form-status' });
    const submit = h('button', { type: 'submit', class: 'button primary' }, creating ? 'Create' : 'Save');
    const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
    const fixed = creating ? null : h('dl', { class: 'fixed' }, h('dt', {}, 'ID'), h('dd', {}, h('code', {}, c.id)), h('dt', {}, 'Type'), h('dd', {}, c.type));
    const form = h(
      'form',
      { class: 'dialog-form', novalidate: true },
      fixed,
      f.id && f.id.wrap,
      f.name.wrap,
      f.type && f.type.wrap,
      f.status.wrap,
      fsBox,
      jsonBox,
      formStatus,
      h('div', { class: 'dialog-actions' }, cancel, submit),
    );
    const { close } = openDialog({ title: creating ? 'New connector' : `Edit ${c.name}`, content: () => form, fallback: () => ctx.main.querySelector('h1') });
    cancel.addEventListener('click', close);

    // Which input shows an API field error; anything else goes above the buttons.
    const target = (name) => {
      const fs = typeOf() === 'filesource';
      return { id: f.id, name: f.name, type: f.type, status: f.status, 'config.path': fs ? f.path : null, 'config.pattern': fs ? f.pattern : null, config: fs ? null : f.config }[name] || null;
    };

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      for (const x of Object.values(f)) if (x) x.setError(null);
      formStatus.replaceChildren();
      let config;
      if (typeOf() === 'filesource') {
        config = { ...cfg, path: f.path.input.value.trim() };
        const pattern = f.pattern.input.value.trim();
        if (pattern) config.pattern = pattern;
        else delete config.pattern;
      } else {
        try {
          config = JSON.parse(f.config.input.value || '{}');
        } catch {
          f.config.setError('is not valid JSON');
          f.config.input.focus();
          return;
        }
      }
      let body;
      if (creating) {
        body = { id: f.id.input.value.trim(), name: f.name.input.value, type: typeOf(), status: f.status.input.value, config };
      } else {
        body = { name: f.name.input.value, status: f.status.input.value };
        if (JSON.stringify(config) !== JSON.stringify(cfg)) body.config = config;
      }
      busy(submit, async () => {
        let saved;
        try {
          saved = creating ? await api.connectors.create(body) : await api.connectors.update(c.id, body);
        } catch (e) {
          if (e instanceof api.SessionEnded) {
            close();
            return ctx.sessionEnded();
          }
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
      if (creating && e.status === 409) f.id.setError(e.detail || 'is already taken');
      for (const fe of e.errors) {
        const t = target(fe.field);
        if (t) t.setError(fe.message);
        else loose.push(`${fe.field}: ${fe.message}`);
      }
      const placed = form.querySelector('[aria-invalid=true]');
      if (!placed || loose.length) {
        formStatus.replaceChildren(errorBox(e, 'save', loose.length ? h('ul', {}, loose.map((m) => h('li', {}, m))) : null));
      } else if (e.requestId) {
        formStatus.replaceChildren(h('p', { class: 'request-id' }, 'Not saved: fix the fields marked above. Request ID: ', h('code', {}, e.requestId)));
      }
      (placed || submit).focus();
    }
  }

  // ---------------------------------------------------------------- delete confirmation

  function deleteDialog(c) {
    const cancel = h('button', { type: 'button', class: 'button', 'data-autofocus': true }, 'Cancel');
    const confirm = h('button', { type: 'button', class: 'button danger' }, 'Delete');
    const formStatus = h('div', { class: 'form-status' });
    const { close } = openDialog({
      title: `Delete ${c.name}?`,
      className: 'confirm',
      fallback: () => ctx.main.querySelector('h1'),
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
          await api.connectors.remove(c.id);
        } catch (e) {
          if (e instanceof api.SessionEnded) {
            close();
            return ctx.sessionEnded();
          }
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
  const applyType = () => {
    if (type.input.value.trim() === state.type) return;
    state.type = type.input.value.trim();
    state.offset = 0;
    load();
  };
  type.input.addEventListener('change', applyType);
  type.input.addEventListener('input', () => later(applyType));
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    state.q = search.input.value.trim();
    state.type = type.input.value.trim();
    state.offset = 0;
    load();
  });
  clear.addEventListener('click', clearFilters);
  newButton.addEventListener('click', () => editDialog(null));
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
