// form: a connector's config fields, generated from its type's spec (the JSON Schema subset of
// GET /connector-types): labels from title, help from description, defaults, enums as selects,
// booleans as checkboxes, integers as number inputs with their bounds, required marks. A secret
// field (writeOnly) is a password input that never shows a value; for a stored connector whose
// `secrets` lists it, it reads "set" with Replace and Clear: untouched, the PATCH leaves it out
// (kept); replaced, it sends the new string; cleared, it sends null.
import { h, uid } from './dom.js';
import { field } from './ui.js';

function label(prop, schema, required) {
  const text = schema.title || prop;
  return required ? [text, h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')] : text;
}

// A secret field of a stored connector that holds a value: "set — Replace / Clear".
function storedSecret(prop, schema, required) {
  const id = uid(`f-config-${prop}`);
  const stateId = `${id}-state`;
  const errId = `${id}-err`;
  let mode = 'keep'; // keep | replace | clear
  const input = h('input', { id, name: `config.${prop}`, type: 'password', autocomplete: 'new-password', 'aria-describedby': `${stateId} ${errId}`, hidden: true });
  const stateText = h('span', { class: 'secret-state', id: stateId });
  const replaceBtn = h('button', { type: 'button', class: 'button small' }, 'Replace');
  const clearBtn = h('button', { type: 'button', class: 'button small danger-text' }, 'Clear');
  const undoBtn = h('button', { type: 'button', class: 'button small' }, 'Keep current');
  const err = h('p', { class: 'field-error', id: errId, hidden: true });
  const name = schema.title || prop;
  const draw = () => {
    input.hidden = mode !== 'replace';
    replaceBtn.hidden = mode === 'replace';
    clearBtn.hidden = mode === 'clear';
    undoBtn.hidden = mode === 'keep';
    stateText.textContent = { keep: 'set — kept unless you replace or clear it', replace: 'set — will be replaced by the value below', clear: 'set — will be cleared when you save' }[mode];
    replaceBtn.setAttribute('aria-label', `Replace ${name}`);
    clearBtn.setAttribute('aria-label', `Clear ${name}`);
    undoBtn.setAttribute('aria-label', `Keep current ${name}`);
  };
  replaceBtn.addEventListener('click', () => {
    mode = 'replace';
    draw();
    input.focus();
  });
  clearBtn.addEventListener('click', () => {
    mode = 'clear';
    input.value = '';
    draw();
    undoBtn.focus();
  });
  undoBtn.addEventListener('click', () => {
    mode = 'keep';
    input.value = '';
    draw();
    replaceBtn.focus();
  });
  draw();
  const wrap = h(
    'div',
    { class: 'field secret', role: 'group', 'aria-labelledby': `${id}-label` },
    h('label', { for: id, id: `${id}-label` }, label(prop, schema, required)),
    schema.description ? h('p', { class: 'hint' }, schema.description) : null,
    h('p', { class: 'secret-line' }, h('span', { class: 'pill secret-pill' }, 'set'), ' ', stateText),
    input,
    h('div', { class: 'secret-actions' }, replaceBtn, clearBtn, undoBtn),
    err,
  );
  return {
    wrap,
    input,
    focusTarget: () => (mode === 'replace' ? input : replaceBtn),
    // undefined = leave out (kept), null = clear, a string = the new value.
    value() {
      if (mode === 'keep') return undefined;
      if (mode === 'clear') return null;
      return input.value;
    },
    setError(msg) {
      err.replaceChildren();
      err.hidden = !msg;
      if (msg) err.append(h('span', { class: 'sr-only' }, 'Error: '), msg);
      if (msg) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
      wrap.classList.toggle('invalid', Boolean(msg));
    },
  };
}

function oneField(prop, schema, { value, creating, required, storedSecretSet }) {
  const name = `config.${prop}`;
  const hint = schema.description || null;
  const attrs = { autocomplete: 'off', spellcheck: 'false' };
  if (required) attrs['aria-required'] = 'true';
  if (schema.writeOnly) {
    if (storedSecretSet) return storedSecret(prop, schema, required);
    const f = field({ label: label(prop, schema, required), name, type: 'password', hint, attrs: { ...attrs, autocomplete: 'new-password' } });
    return { ...f, value: () => (f.input.value === '' ? undefined : f.input.value) };
  }
  const initial = value !== undefined ? value : creating ? schema.default : undefined;
  if (schema.type === 'boolean') {
    const id = uid(`f-config-${prop}`);
    const input = h('input', { id, name, type: 'checkbox', checked: initial === true, 'aria-describedby': `${id}-err` });
    const err = h('p', { class: 'field-error', id: `${id}-err`, hidden: true });
    const wrap = h('div', { class: 'field checkbox' }, h('div', { class: 'check-line' }, input, h('label', { for: id }, label(prop, schema, required))), hint ? h('p', { class: 'hint' }, hint) : null, err);
    return {
      wrap,
      input,
      value: () => input.checked,
      setError(msg) {
        err.replaceChildren();
        err.hidden = !msg;
        if (msg) err.append(h('span', { class: 'sr-only' }, 'Error: '), msg);
      },
    };
  }
  if (Array.isArray(schema.enum)) {
    const options = schema.enum.map((v) => [String(v), String(v)]);
    if (!required && schema.default === undefined) options.unshift(['', '(not set)']);
    const f = field({ label: label(prop, schema, required), name, hint, value: initial === undefined ? '' : String(initial), options, attrs: required ? { 'aria-required': 'true' } : {} });
    return {
      ...f,
      value: () => {
        if (f.input.value === '') return undefined;
        const picked = schema.enum.find((v) => String(v) === f.input.value);
        return picked === undefined ? f.input.value : picked;
      },
    };
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const f = field({
      label: label(prop, schema, required),
      name,
      type: 'number',
      hint,
      value: initial === undefined ? '' : String(initial),
      attrs: { ...attrs, inputmode: 'numeric', step: schema.type === 'integer' ? '1' : 'any', min: schema.minimum, max: schema.maximum },
    });
    return {
      ...f,
      value: () => {
        const raw = f.input.value.trim();
        if (raw === '') return undefined;
        const n = Number(raw);
        return Number.isFinite(n) ? n : raw; // a bad number goes to the server, which names it
      },
    };
  }
  const f = field({
    label: label(prop, schema, required),
    name,
    type: schema.format === 'uri' ? 'url' : 'text',
    hint,
    value: initial === undefined || initial === null ? '' : String(initial),
    attrs: { ...attrs, maxlength: schema.maxLength },
  });
  return {
    ...f,
    value: () => {
      const v = f.input.value.trim();
      return v === '' ? undefined : v;
    },
  };
}

// The fields of one spec. config/secrets: the stored connector's (null when creating).
// Returns { node, collect() → config, setError(prop, msg), clear(), first() }.
export function configForm(spec, { config, secrets, creating }) {
  const props = (spec && spec.properties) || {};
  const required = new Set((spec && spec.required) || []);
  const stored = new Set(secrets || []);
  const fields = {};
  for (const [prop, schema] of Object.entries(props)) {
    fields[prop] = oneField(prop, schema || {}, {
      value: config ? config[prop] : undefined,
      creating,
      required: required.has(prop),
      storedSecretSet: !creating && stored.has(prop),
    });
  }
  const list = Object.values(fields);
  const node = h(
    'fieldset',
    { class: 'group config' },
    h('legend', {}, 'Configuration'),
    required.size ? h('p', { class: 'hint' }, 'Fields marked * are required.') : null,
    list.map((f) => f.wrap),
  );
  return {
    node,
    has: (prop) => prop in fields,
    collect() {
      const out = {};
      for (const [prop, f] of Object.entries(fields)) {
        const v = f.value();
        if (v !== undefined) out[prop] = v;
      }
      return out;
    },
    setError(prop, msg) {
      if (!fields[prop]) return false;
      fields[prop].setError(msg);
      return true;
    },
    clear() {
      for (const f of list) f.setError(null);
    },
    focusError() {
      const bad = node.querySelector('[aria-invalid=true], .invalid button:not([hidden])');
      if (bad) bad.focus();
      return Boolean(bad);
    },
  };
}

// The spec used when the server has no type registry yet (older servers): a FilesSource.
export const FALLBACK_TYPES = [
  {
    type: 'filesource',
    title: 'FilesSource',
    description: 'CSV files in a folder of the server’s sources root.',
    spec: {
      type: 'object',
      properties: {
        path: { type: 'string', title: 'Path', description: 'A folder inside the server’s sources root, such as mock_sources/.' },
        pattern: { type: 'string', title: 'Pattern', description: 'Which files of the folder to list, such as *.csv.', default: '*.csv' },
      },
      required: ['path'],
    },
  },
];
