// dom: builds elements from data without ever parsing HTML, so a connector name, a file name
// or a CSV cell can never become markup (the CSP forbids inline script; this keeps it moot).

// h('button', {class: 'x', onclick: f}, 'text', child…) → an element. Attributes that are
// null/undefined/false are left out; true gives an empty attribute; `on…` adds a listener;
// `value` is set as a property after the children (so a <select> finds its option).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  let value;
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') value = v;
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  if (value !== undefined) el.value = value;
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// Replaces everything inside el.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let nextId = 0;
// A document-unique id for label/aria wiring.
export function uid(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

const numberFmt = new Intl.NumberFormat();
export function formatNumber(n) {
  return numberFmt.format(n);
}

export function formatBytes(n) {
  if (n < 1024) return `${formatNumber(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relFmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

// A <time> saying "3 minutes ago", with the exact local date and time on hover.
export function timeAgo(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return h('span', {}, iso || 'unknown');
  const s = Math.round((t - Date.now()) / 1000);
  const abs = Math.abs(s);
  let text;
  if (abs < 45) text = relFmt.format(0, 'second');
  else if (abs < 3600) text = relFmt.format(Math.round(s / 60), 'minute');
  else if (abs < 86400) text = relFmt.format(Math.round(s / 3600), 'hour');
  else if (abs < 86400 * 30) text = relFmt.format(Math.round(s / 86400), 'day');
  else text = dateFmt.format(t);
  return h('time', { datetime: iso, title: dateFmt.format(t) }, text);
}

// "1–50 of 123" (or "0 of 0").
export function rangeText(offset, shown, total) {
  if (shown === 0) return `0 of ${formatNumber(total)}`;
  return `${formatNumber(offset + 1)}–${formatNumber(offset + shown)} of ${formatNumber(total)}`;
}
