// ui: the pieces every screen shares: error messages (with the request id to quote), the
// modal dialog (focus in, Escape out, focus back), form fields with their error slots, toasts.
import { h, uid } from './dom.js';

function waitText(seconds) {
  if (seconds === null || seconds === undefined) return 'Try again in a moment.';
  const at = new Date(Date.now() + seconds * 1000).toLocaleTimeString();
  const n = seconds === 1 ? '1 second' : `${seconds} seconds`;
  return `Try again in ${n} (at ${at}).`;
}

// What a person should read for an API failure. context 'login' turns 401 into "wrong
// password" (elsewhere a 401 means the session ended, handled before it gets here).
export function describe(e, context) {
  const status = e && e.status;
  if (status === undefined) return 'Something went wrong in this page. Reload it and try again.';
  if (status === 0) return e.detail;
  if (status === 401 && context === 'login') return 'Wrong email or password.';
  if (status === 429) {
    const what = context === 'login' ? 'Too many failed sign-ins.' : 'Too many requests.';
    return `${what} ${waitText(e.retryAfter)}`;
  }
  if (status === 503) {
    return `The service is temporarily unavailable (it cannot reach its database). ${waitText(e.retryAfter)}`;
  }
  if (status >= 500) return 'The server failed to handle this request. Try again; if it keeps failing, tell an operator.';
  return e.detail || e.title || `The request failed (HTTP ${status}).`;
}

// The request id line: what an operator needs to find this request in the server log.
export function requestIdLine(e) {
  if (!e || !e.requestId) return null;
  return h('p', { class: 'request-id' }, 'Request ID: ', h('code', {}, e.requestId));
}

// An alert box for an error; extra nodes (an explanation, a retry button) follow the message.
export function errorBox(e, context, ...extra) {
  if (e && e.status === undefined) console.warn(e); // a bug in this page, not an API answer
  return h('div', { class: 'alert', role: 'alert' }, h('p', { class: 'alert-title' }, describe(e, context)), extra, requestIdLine(e));
}

// A labelled input with a hint and an error slot, wired with aria-describedby/aria-invalid.
// Returns { wrap, input, setError(msg|null) }.
export function field({ label, name, type = 'text', value = '', hint, options, textarea, attrs = {} }) {
  const id = uid(`f-${name.replace(/\W/g, '-')}`);
  const hintId = hint ? `${id}-hint` : null;
  const errId = `${id}-err`;
  let input;
  if (options) {
    input = h('select', { id, name, value, ...attrs }, options.map(([v, text]) => h('option', { value: v }, text)));
  } else if (textarea) {
    input = h('textarea', { id, name, rows: 4, spellcheck: 'false', ...attrs });
    input.value = value;
  } else {
    input = h('input', { id, name, type, value, ...attrs });
  }
  input.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  const err = h('p', { class: 'field-error', id: errId, hidden: true });
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), hint ? h('p', { class: 'hint', id: hintId }, hint) : null, input, err);
  return {
    wrap,
    input,
    setError(msg) {
      err.replaceChildren();
      if (msg) {
        err.append(h('span', { class: 'sr-only' }, 'Error: '), msg);
        err.hidden = false;
        input.setAttribute('aria-invalid', 'true');
      } else {
        err.hidden = true;
        input.removeAttribute('aria-invalid');
      }
    },
  };
}

// Opens a modal <dialog>. content(close) returns the nodes inside; focus goes to the element
// marked data-autofocus (else the first field), Escape or close() closes it, and focus returns
// to the element that opened it (or to fallback() when that element is gone or was replaced).
export function openDialog({ title, content, className = '', fallback, opener = document.activeElement }) {
  const titleId = uid('dlg-title');
  const dlg = h('dialog', { class: `dialog ${className}`, 'aria-labelledby': titleId });
  const close = () => dlg.close();
  dlg.append(h('h2', { id: titleId, class: 'dialog-title' }, title), content(close));
  dlg.addEventListener('close', () => {
    dlg.remove();
    const back = opener && opener.isConnected && opener !== document.body ? opener : fallback && fallback();
    if (back) back.focus();
  });
  document.body.append(dlg);
  dlg.showModal();
  const first = dlg.querySelector('[data-autofocus]') || dlg.querySelector('input:not([type=hidden]), select, textarea, button');
  if (first) first.focus();
  return { dialog: dlg, close };
}

let toastTimer = null;
// A short confirmation in the polite live region.
export function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.classList.remove('show');
    el.textContent = '';
  }, 6000);
}

// Marks a button busy while an async action runs, so a double click sends one request.
export async function busy(button, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
