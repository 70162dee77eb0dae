// history: a connector's history panel (GET /connectors/{id}/history, newest first): who
// (the actor's email, else its kind and id), when, what they did and what changed. A secret
// field's change is shown as "changed", never with a value (the API sends none).
import * as api from './api.js';
import { h, replace, timeAgo } from './dom.js';
import { busy, errorBox, openDialog } from './ui.js';

const ACTIONS = { created: 'Created', updated: 'Updated', deleted: 'Deleted', checked: 'Checked', status_changed: 'Status changed' };

function who(actor) {
  if (!actor) return 'unknown';
  if (actor.type === 'system') return 'the system';
  const kind = actor.type === 'client' ? 'service client' : actor.type || 'user';
  const name = actor.email || actor.id || '?';
  return actor.role ? `${name} (${kind}, ${actor.role})` : `${name} (${kind})`;
}

function show(v) {
  if (v === undefined) return h('span', { class: 'muted' }, 'unset');
  if (v === null) return h('span', { class: 'muted' }, 'empty');
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return h('code', { title: s.length > 80 ? s : null }, s.length > 80 ? `${s.slice(0, 79)}…` : s);
}

function secretNames(connector, reg) {
  const t = reg && reg.byType && reg.byType.get(connector.type);
  const props = (t && t.spec && t.spec.properties) || {};
  return new Set(Object.keys(props).filter((k) => props[k] && props[k].writeOnly));
}

// What changed: `from → to`; a creation shows only the new values, a deletion only the old.
function changesList(changes, secrets, action) {
  const entries = Object.entries(changes || {});
  if (!entries.length) return null;
  return h(
    'dl',
    { class: 'changes' },
    entries.map(([name, ch]) => {
      const prop = name.startsWith('config.') ? name.slice(7) : name;
      const secret = (ch && ch.changed === true) || secrets.has(prop);
      return [
        h('dt', {}, name),
        h('dd', {}, secret ? h('span', { class: 'pill secret-pill' }, action === 'created' ? 'set' : 'changed') : one(ch, action)),
      ];
    }),
  );
}

function one(ch, action) {
  if (action === 'created' && ch && (ch.from === null || ch.from === undefined)) return show(ch.to);
  if (action === 'deleted' && ch && (ch.to === null || ch.to === undefined)) return show(ch.from);
  return [show(ch && ch.from), h('span', { 'aria-label': 'to' }, ' → '), show(ch && ch.to)];
}

function eventItem(ev, secrets) {
  return h(
    'li',
    { class: 'event' },
    h('p', { class: 'event-head' }, h('strong', {}, ACTIONS[ev.action] || ev.action), ' by ', h('span', { class: 'event-who' }, who(ev.actor)), ' · ', timeAgo(ev.at)),
    changesList(ev.changes, secrets, ev.action),
  );
}

export function showHistory(ctx, connector, reg) {
  const body = h('div', { class: 'history', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading history…'));
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'Show older');
  const closeBtn = h('button', { type: 'button', class: 'button', 'data-autofocus': true }, 'Close');
  const listEl = h('ol', { class: 'events', 'aria-label': `History of ${connector.name}` });
  const secrets = secretNames(connector, reg);
  const { close } = openDialog({
    title: `History of ${connector.name}`,
    className: 'wide',
    fallback: () => ctx.main.querySelector('h1'),
    content: () => h('div', {}, body, h('div', { class: 'dialog-actions' }, more, closeBtn)),
  });
  closeBtn.addEventListener('click', close);
  let cursor = null;
  async function page() {
    let data;
    try {
      data = await api.connectors.history(connector.id, cursor);
    } catch (e) {
      if (e instanceof api.SessionEnded) {
        close();
        return ctx.sessionEnded();
      }
      replace(body, e.status === 404 ? h('p', { class: 'notice' }, 'This server keeps no history for this connector.') : errorBox(e, 'history'));
      more.hidden = true;
      return;
    }
    if (!cursor) replace(body, data.events.length ? listEl : h('p', {}, 'No changes recorded yet.'));
    for (const ev of data.events) listEl.append(eventItem(ev, secrets));
    cursor = data.next_cursor || null;
    more.hidden = !cursor;
  }
  more.addEventListener('click', () => busy(more, page));
  page();
}
