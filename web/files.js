// files: a FilesSource's files (name, size, columns, rows), then one file's rows as a table,
// a page at a time. Long cells are cut with the whole value on hover; a 409 (the folder is
// gone, moved out of the root or no longer granted) is explained rather than shown raw.
import * as api from './api.js';
import { formatBytes, formatNumber, h, rangeText, replace } from './dom.js';
import { errorBox } from './ui.js';

const FILES_PAGE = 100;
const ROWS_PAGE = 50;
const CELL_MAX = 60; // characters shown of a cell before it is cut

function crumbs(items) {
  return h(
    'nav',
    { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    h(
      'ol',
      {},
      items.map(([text, href]) => h('li', {}, href ? h('a', { href }, text) : h('span', { 'aria-current': 'page' }, text))),
    ),
  );
}

// Text cut to max characters; the cut value keeps the whole in its title (shown on hover).
function cut(value, max = CELL_MAX) {
  const s = value === null || value === undefined ? '' : String(value);
  const flat = s.replace(/\s+/g, ' ');
  if (flat.length <= max && flat === s) return h('span', { class: 'cell' }, s);
  const shown = flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
  return h('span', { class: 'cell cut', title: s }, shown);
}

function explain(e, connector) {
  if (e.status === 409 && connector && connector.type !== 'filesource') {
    return errorBox(e, 'files', h('p', {}, 'Only FilesSource connectors have files to browse.'));
  }
  if (e.status === 409) {
    return errorBox(
      e,
      'files',
      h(
        'p',
        {},
        'AAM cannot read this connector’s folder any more. It may have been moved or deleted, replaced by a link that leads outside the sources root, or this tenant’s access to it may have been withdrawn. Edit the connector’s path, or ask an operator to restore the folder or its grant.',
      ),
    );
  }
  if (e.status === 404) return errorBox(e, 'files', h('p', {}, 'It may have been deleted or renamed. ', h('a', { href: '#/connections' }, 'Back to Connections')));
  return errorBox(e, 'files');
}

function pager(label, offset, shown, total, size, go) {
  const prev = h('button', { type: 'button', class: 'button', disabled: offset === 0 }, '‹ Previous');
  const next = h('button', { type: 'button', class: 'button', disabled: offset + shown >= total }, 'Next ›');
  prev.addEventListener('click', () => go(Math.max(0, offset - size)));
  next.addEventListener('click', () => go(offset + size));
  return h('nav', { class: 'pager', 'aria-label': label, hidden: total <= size }, prev, next);
}

// Loads the connector (for its name and folder) and a page, drawing errors into main.
async function fetchBoth(ctx, id, page) {
  const [conn, data] = await Promise.allSettled([api.connectors.get(id), page()]);
  if (!ctx.current()) return null;
  for (const r of [conn, data]) {
    if (r.status === 'rejected' && r.reason instanceof api.SessionEnded) {
      ctx.sessionEnded();
      return null;
    }
  }
  return { connector: conn.status === 'fulfilled' ? conn.value : null, data, connError: conn.reason };
}

export async function showFiles(ctx, id, params) {
  const offset = Math.max(0, Number.parseInt(params.get('offset') || '0', 10) || 0);
  const base = `#/connectors/${encodeURIComponent(id)}/files`;
  replace(ctx.main, crumbs([['Connections', '#/connections'], [id]]), h('h1', { tabindex: '-1' }, 'Files'), h('p', { class: 'loading' }, 'Loading files…'));
  const got = await fetchBoth(ctx, id, () => api.connectors.files(id, { limit: FILES_PAGE, offset }));
  if (!got) return;
  const { connector, data } = got;
  const name = connector ? connector.name : id;
  document.title = `Files of ${name} · AAM`;
  const head = [crumbs([['Connections', '#/connections'], [name]]), h('h1', { tabindex: '-1' }, `Files of ${name}`)];
  if (connector && connector.config) {
    head.push(h('p', { class: 'meta' }, 'Folder ', h('code', {}, connector.config.path || '?'), ' · pattern ', h('code', {}, connector.config.pattern || '*.csv')));
  }
  if (data.status === 'rejected') {
    replace(ctx.main, head, explain(data.reason, connector));
    ctx.focusHeading();
    return;
  }
  const { files, total } = data.value;
  const summary = h('p', { class: 'count' }, total === 0 ? 'No file in this folder matches the pattern.' : `${rangeText(offset, files.length, total)} files`);
  const rows = files.map((f) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: `${base}/${encodeURIComponent(f.name)}` }, f.name)),
      h('td', { class: 'num' }, formatBytes(f.size_bytes)),
      h('td', {}, f.error ? h('span', { class: 'muted' }, '—') : h('span', {}, `${f.columns.length}: `, cut(f.columns.join(', '), 48))),
      h('td', { class: 'num' }, f.row_count === null ? h('span', { class: 'file-error' }, `Cannot be read: ${f.error || 'unknown reason'}`) : formatNumber(f.row_count)),
    ),
  );
  const table = total === 0 ? null : h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': `Files of ${name}`, tabindex: '0' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ['Name', 'Size', 'Columns', 'Rows'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows),
    ),
  );
  replace(ctx.main, head, summary, table, pager('Pages of files', offset, files.length, total, FILES_PAGE, (o) => ctx.go(`${base}?offset=${o}`)));
  ctx.focusHeading();
}

export async function showRows(ctx, id, file, params) {
  const offset = Math.max(0, Number.parseInt(params.get('offset') || '0', 10) || 0);
  const filesHref = `#/connectors/${encodeURIComponent(id)}/files`;
  const base = `${filesHref}/${encodeURIComponent(file)}`;
  replace(ctx.main, crumbs([['Connections', '#/connections'], [id, filesHref], [file]]), h('h1', { tabindex: '-1' }, file), h('p', { class: 'loading' }, 'Loading rows…'));
  const got = await fetchBoth(ctx, id, () => api.connectors.rows(id, file, { limit: ROWS_PAGE, offset }));
  if (!got) return;
  const { connector, data } = got;
  const name = connector ? connector.name : id;
  document.title = `${file} · ${name} · AAM`;
  const head = [crumbs([['Connections', '#/connections'], [name, filesHref], [file]]), h('h1', { tabindex: '-1' }, file)];
  if (data.status === 'rejected') {
    replace(ctx.main, head, explain(data.reason, connector));
    ctx.focusHeading();
    return;
  }
  const { columns, rows, total } = data.value;
  const summary = h('p', { class: 'count' }, total === 0 ? 'This file has no data rows.' : `${rangeText(offset, rows.length, total)} rows`);
  const table = h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': `Rows of ${file}`, tabindex: '0' },
    h(
      'table',
      { class: 'rows' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, '#'), columns.map((c) => h('th', { scope: 'col' }, cut(c, 40))))),
      h('tbody', {}, rows.map((r, i) => h('tr', {}, h('th', { scope: 'row', class: 'num' }, formatNumber(offset + i + 1)), columns.map((c) => h('td', {}, cut(r[c])))))),
    ),
  );
  replace(ctx.main, head, summary, total === 0 ? null : table, pager('Pages of rows', offset, rows.length, total, ROWS_PAGE, (o) => ctx.go(`${base}?offset=${o}`)));
  ctx.focusHeading();
}
