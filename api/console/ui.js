// DOM helpers, Italian formatting and shared widgets (error boxes, forms, badges). No innerHTML: text is text.

import { newIdempotencyKey } from './api.js';

let nextId = 0;
export const uid = (prefix = 'c') => `${prefix}-${++nextId}`;

function applyAttributes(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class')
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** `h('a', { href: '#/' }, 'testo')`: an HTML element. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttributes(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/** `s('rect', { x: 0 })`: an SVG element. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

// ---- Italian formatting -------------------------------------------------------------------------------------

const TZ = 'Europe/Rome';
const euroFormat = new Intl.NumberFormat('it-IT', {
  style: 'currency',
  currency: 'EUR',
  maximumFractionDigits: 0,
});
const numberFormat = new Intl.NumberFormat('it-IT');
const dateFormat = new Intl.DateTimeFormat('it-IT', { dateStyle: 'medium', timeZone: TZ });
const dateTimeFormat = new Intl.DateTimeFormat('it-IT', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: TZ,
});
const relativeFormat = new Intl.RelativeTimeFormat('it-IT', { numeric: 'auto' });

export const euro = (value) => euroFormat.format(Number(value) || 0);
export const number = (value) => numberFormat.format(Number(value) || 0);

function valid(iso) {
  if (!iso) return undefined;
  const date = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
export const date = (iso) => (valid(iso) ? dateFormat.format(valid(iso)) : '—');
export const dateTime = (iso) => (valid(iso) ? dateTimeFormat.format(valid(iso)) : '—');

/** "3 giorni fa", "tra 2 mesi", "oggi". */
export function relative(iso, now = Date.now()) {
  const d = valid(iso);
  if (!d) return '';
  const diffMs = d.getTime() - now;
  const minutes = Math.round(diffMs / 60_000);
  if (Math.abs(minutes) < 60) return relativeFormat.format(minutes, 'minute');
  const hours = Math.round(diffMs / 3_600_000);
  if (Math.abs(hours) < 24) return relativeFormat.format(hours, 'hour');
  const days = Math.round(diffMs / 86_400_000);
  if (Math.abs(days) < 60) return relativeFormat.format(days, 'day');
  return relativeFormat.format(Math.round(days / 30), 'month');
}

/** A `<time>` with the full date as its title. */
export const time = (iso, withTime = false) =>
  h('time', { datetime: iso || '', title: iso ? dateTime(iso) : '' }, withTime ? dateTime(iso) : date(iso));

// ---- Widgets ------------------------------------------------------------------------------------------------

export const badge = (text, tone = 'neutral', title) =>
  h('span', { class: `badge badge-${tone}`, title }, text);

/** Badges for a Comune that is late or whose funding is at risk. */
export function riskBadges(item) {
  return [
    item.late ? badge('In ritardo', 'danger', 'La scadenza contrattuale è superata') : null,
    item.atRisk && !item.late
      ? badge('A rischio', 'warning', 'La scadenza si avvicina e mancano passi')
      : null,
  ];
}

/** Where a field named by the API (`body.card.service_name`) is, in words. */
function fieldName(field) {
  return String(field || '')
    .replace(/^(body|query|params|headers)\./, '')
    .replace(/^card\./, 'scheda · ');
}

/** Problem JSON shown as a person reads it: what happened, why, and which fields. */
export function problemBox(error, { compact = false } = {}) {
  const problem = (error && error.problem) || {
    title: 'Errore inatteso',
    detail: String(error?.message || error),
  };
  const status = error && error.status;
  const heading =
    status === 409
      ? `${problem.title || 'Passo rifiutato'}: il percorso del Comune non lo consente`
      : status === 403
        ? 'Operazione non consentita al tuo ruolo'
        : problem.title || 'Errore';
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  // A validation error's detail repeats its field list: show the list only.
  const repeated = errors.map((e) => `${e.field}: ${e.message}`).join('; ') === problem.detail;
  const detail = errors.length > 0 && repeated && !compact ? '' : problem.detail;
  return h(
    'div',
    { class: 'alert alert-danger', role: 'alert' },
    h('p', { class: 'alert-title' }, heading),
    detail ? h('p', { class: 'alert-detail' }, detail) : null,
    errors.length > 0
      ? h(
          'ul',
          { class: 'alert-errors' },
          errors.map((e) => h('li', null, h('strong', null, fieldName(e.field)), ': ', e.message)),
        )
      : null,
  );
}

export const successBox = (text) => h('div', { class: 'alert alert-success', role: 'status' }, text);
export const infoBox = (text) => h('div', { class: 'alert alert-info' }, text);

/** A loading placeholder announced to screen readers. */
export const loading = (text = 'Caricamento…') => h('p', { class: 'loading', role: 'status' }, text);

/** Announces a message in the page's live region (and shows it briefly). */
export function announce(message) {
  const toast = document.getElementById('toast');
  if (!toast) return;
  toast.textContent = message;
  toast.classList.add('visible');
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => toast.classList.remove('visible'), 4000);
}

// ---- Form fields --------------------------------------------------------------------------------------------

/** A labelled input (or textarea/select via `control`), with an optional hint tied by aria-describedby. */
export function field({ label, hint, control, name, type = 'text', value, required, wide, ...rest }) {
  const id = rest.id || uid(name || 'f');
  const hintId = hint ? `${id}-hint` : undefined;
  const input =
    control ||
    h('input', {
      id,
      name,
      type,
      value: value ?? '',
      required,
      'aria-describedby': hintId,
      ...rest,
    });
  if (control) {
    input.id = id;
    if (hintId) input.setAttribute('aria-describedby', hintId);
  }
  return h(
    'div',
    { class: ['field', wide ? 'field-wide' : ''] },
    h(
      'label',
      { for: id },
      label,
      required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null,
    ),
    input,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
  );
}

export function select(name, options, value, attrs = {}) {
  return h(
    'select',
    { name, ...attrs },
    options.map(([v, text]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, text)),
  );
}

export function textarea(name, value, attrs = {}) {
  const el = h('textarea', { name, rows: 3, ...attrs });
  el.value = value ?? '';
  return el;
}

/**
 * A form for one step: disables itself while sending, shows the API's Problem JSON inside the form, keeps the same
 * Idempotency-Key until the step succeeds (a retry after a lost answer is not applied twice).
 */
export function stepForm({ title, description, body, submitLabel, onSubmit, tone, id, headingLevel = 'h3' }) {
  const headingId = uid('step');
  const feedback = h('div', { class: 'form-feedback', 'aria-live': 'polite' });
  const button = h(
    'button',
    { type: 'submit', class: tone === 'danger' ? 'btn btn-danger' : 'btn btn-primary' },
    submitLabel,
  );
  const form = h(
    'form',
    { class: ['step-form', tone ? `step-${tone}` : ''], 'aria-labelledby': headingId, id, novalidate: false },
    h(headingLevel, { id: headingId }, title),
    description ? h('p', { class: 'form-description' }, description) : null,
    body,
    feedback,
    h('div', { class: 'form-actions' }, button),
  );
  let key;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    key = key || newIdempotencyKey();
    form.setAttribute('aria-busy', 'true');
    button.disabled = true;
    const label = button.textContent;
    button.textContent = 'Invio in corso…';
    feedback.replaceChildren();
    try {
      const message = await onSubmit(new FormData(form), key, form);
      key = undefined;
      if (message) {
        feedback.replaceChildren(successBox(message));
        announce(message);
      }
    } catch (error) {
      feedback.replaceChildren(problemBox(error));
      const alert = feedback.querySelector('[role=alert]');
      if (alert) alert.setAttribute('tabindex', '-1');
      alert?.focus();
    } finally {
      form.removeAttribute('aria-busy');
      button.disabled = false;
      button.textContent = label;
    }
  });
  return form;
}

/** A table inside a scrollable wrapper, with a caption. */
export function table({ caption, columns, rows, empty = 'Nessun elemento.', captionHidden = false }) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      caption ? h('caption', { class: captionHidden ? 'visually-hidden' : undefined }, caption) : null,
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          columns.map((c) =>
            c instanceof Node ? c : h('th', { scope: 'col', class: c.class }, c.label ?? c),
          ),
        ),
      ),
      h('tbody', null, rows),
    ),
  );
}

/** A `<dl>` of label/value pairs. */
export function facts(pairs, cls = 'facts') {
  return h(
    'dl',
    { class: cls },
    pairs.filter(Boolean).map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))),
  );
}

export function breadcrumb(items) {
  return h(
    'nav',
    { 'aria-label': 'Percorso di navigazione', class: 'breadcrumb' },
    h(
      'ol',
      null,
      items.map(([text, href], i) =>
        h(
          'li',
          null,
          href && i < items.length - 1 ? h('a', { href }, text) : h('span', { 'aria-current': 'page' }, text),
        ),
      ),
    ),
  );
}

export function externalLink(href, text) {
  return h(
    'a',
    { href, target: '_blank', rel: 'noopener noreferrer', class: 'external' },
    text,
    h('span', { class: 'visually-hidden' }, ' (si apre in una nuova scheda)'),
  );
}

/** The page's heading, focusable so navigation can move the focus to it. */
export const pageTitle = (...children) => h('h1', { tabindex: '-1' }, ...children);

const isoDayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' });
/** The calendar day (YYYY-MM-DD) of an instant in Italy. */
export const romeDay = (iso) => (valid(iso) ? isoDayFormat.format(valid(iso)) : '');
