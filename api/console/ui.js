// @ts-check
// DOM helpers, Italian formatting and shared widgets (error boxes, forms, badges). No innerHTML: text is text.

import { newIdempotencyKey } from './api.js';

/** @typedef {import('./ui-types').Child} Child */
/**
 * Attributes of `h()`: `class` (a list drops empty entries), `dataset`, `style`, `on…` listeners, the properties
 * `value`, `checked` and `selected`, and any other attribute (`true`: present; false, null, undefined: absent).
 * @template {Element} [E=HTMLElement]
 * @typedef {{
 *   [name: string]: unknown,
 *   class?: string | readonly (string | false | null | undefined)[],
 *   dataset?: Record<string, string>,
 *   style?: Partial<CSSStyleDeclaration>,
 *   onclick?: (event: MouseEvent & { currentTarget: E }) => unknown,
 *   onchange?: (event: Event & { currentTarget: E }) => unknown,
 *   oninput?: (event: Event & { currentTarget: E }) => unknown,
 * }} Attrs
 */
/** A badge's (and an alert's) colour. */
/** @typedef {'neutral' | 'info' | 'success' | 'warning' | 'danger'} Tone */

let nextId = 0;
export const uid = (prefix = 'c') => `${prefix}-${++nextId}`;

/**
 * @param {HTMLElement} el
 * @param {Attrs<any> | null | undefined} attrs
 */
function applyAttributes(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class')
      el.setAttribute(
        'class',
        Array.isArray(value) ? value.filter(Boolean).join(' ') : /** @type {string} */ (value),
      );
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key.startsWith('on') && typeof value === 'function')
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'value' || key === 'checked' || key === 'selected')
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (el))[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/**
 * @param {Element} el
 * @param {readonly Child[]} children
 */
function append(el, children) {
  // (As `unknown[]`: flattening the recursive Child type at any depth is too deep for the checker.)
  for (const child of /** @type {readonly unknown[]} */ (children).flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * `h('a', { href: '#/' }, 'testo')`: an HTML element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs<HTMLElementTagNameMap[K]> | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttributes(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/**
 * `s('rect', { x: 0 })`: an SVG element.
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown> | null} [attrs]
 * @param {...Child} children
 * @returns {SVGElementTagNameMap[K]}
 */
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
// Grouping always, as the e-mails and the dossier print them (ALWAYS_GROUPED in integrations/mail/format.ts, which
// a browser script cannot import): the Italian default leaves 4-digit figures ungrouped, «1099 €» beside «12.089 €».
const alwaysGrouped = /** @type {Intl.NumberFormatOptions} */ (
  /** @type {unknown} */ ({ useGrouping: 'always' })
);
const euroFormat = new Intl.NumberFormat('it-IT', {
  style: 'currency',
  currency: 'EUR',
  maximumFractionDigits: 0,
  ...alwaysGrouped,
});
const numberFormat = new Intl.NumberFormat('it-IT', alwaysGrouped);
const dateFormat = new Intl.DateTimeFormat('it-IT', { dateStyle: 'medium', timeZone: TZ });
const dateTimeFormat = new Intl.DateTimeFormat('it-IT', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: TZ,
});
const relativeFormat = new Intl.RelativeTimeFormat('it-IT', { numeric: 'auto' });

export const euro = (/** @type {unknown} */ value) => euroFormat.format(Number(value) || 0);
export const number = (/** @type {unknown} */ value) => numberFormat.format(Number(value) || 0);

/** @typedef {string | null | undefined} IsoDate An ISO date or instant, maybe missing. */

/** @param {IsoDate} iso */
function valid(iso) {
  if (!iso) return undefined;
  const date = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
export const date = (/** @type {IsoDate} */ iso) => (valid(iso) ? dateFormat.format(valid(iso)) : '—');
export const dateTime = (/** @type {IsoDate} */ iso) =>
  valid(iso) ? dateTimeFormat.format(valid(iso)) : '—';

/**
 * "3 giorni fa", "tra 2 mesi", "oggi".
 * @param {IsoDate} iso
 */
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
export const time = (/** @type {IsoDate} */ iso, withTime = false) =>
  h('time', { datetime: iso || '', title: iso ? dateTime(iso) : '' }, withTime ? dateTime(iso) : date(iso));

// ---- Widgets ------------------------------------------------------------------------------------------------

/**
 * @param {Child} text
 * @param {Tone} [tone]
 * @param {string} [title]
 */
export const badge = (text, tone = 'neutral', title) =>
  h('span', { class: `badge badge-${tone}`, title }, text);

/**
 * Badges for a Comune that is late or whose funding is at risk.
 * @param {{ late?: boolean, atRisk?: boolean }} item
 */
export function riskBadges(item) {
  return [
    item.late ? badge('In ritardo', 'danger', 'La scadenza contrattuale è superata') : null,
    item.atRisk && !item.late
      ? badge('A rischio', 'warning', 'La scadenza si avvicina e mancano passi')
      : null,
  ];
}

/**
 * Where a field named by the API (`body.card.service_name`) is, in words.
 * @param {unknown} field
 */
function fieldName(field) {
  return String(field || '')
    .replace(/^(body|query|params|headers)\./, '')
    .replace(/^card\./, 'scheda · ');
}

/**
 * Problem JSON shown as a person reads it: what happened, why, and which fields.
 * @param {unknown} thrown An ApiError, a `{ status, problem }` of the console's own, or anything thrown.
 * @param {{ compact?: boolean }} [options]
 */
export function problemBox(thrown, { compact = false } = {}) {
  const error = /** @type {{ problem?: Problem, status?: number, message?: unknown } | null | undefined} */ (
    thrown
  );
  /** @type {Problem} */
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
  const repeated =
    errors.map((e) => `${e.field}: ${e.message}`).join('; ') === problem.detail ||
    errors.every((e) => e.message === problem.detail);
  // A stable reason code before the sentence («signature_invalid: La firma …») is for programs, not people.
  const sentence = problem.detail?.replace(/^[a-z][a-z_]*: (?=\S)/, '');
  const detail = errors.length > 0 && repeated && !compact ? '' : sentence;
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

/** @typedef {import('./api.js').Problem} Problem */

export const successBox = (/** @type {Child} */ text) =>
  h('div', { class: 'alert alert-success', role: 'status' }, text);
export const infoBox = (/** @type {Child} */ text) => h('div', { class: 'alert alert-info' }, text);

/** A loading placeholder announced to screen readers. */
export const loading = (text = 'Caricamento…') => h('p', { class: 'loading', role: 'status' }, text);

/**
 * Announces a message in the page's live region (and shows it briefly).
 * @param {string} message
 */
export function announce(message) {
  const toast = document.getElementById('toast');
  if (!toast) return;
  toast.textContent = message;
  toast.classList.add('visible');
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => toast.classList.remove('visible'), 4000);
}
/** The pending hiding of the toast. */
/** @type {ReturnType<typeof setTimeout> | undefined} */
announce.timer = undefined;

// ---- Form fields --------------------------------------------------------------------------------------------

/**
 * @typedef {{
 *   label: Child,
 *   hint?: string,
 *   control?: HTMLElement,
 *   name?: string,
 *   type?: string,
 *   value?: unknown,
 *   required?: boolean,
 *   wide?: boolean,
 *   id?: string,
 * } & Attrs<HTMLInputElement>} FieldOptions The input's other attributes go to the input (not to `control`).
 */
/**
 * A labelled input (or textarea/select via `control`), with an optional hint tied by aria-describedby.
 * @param {FieldOptions} options
 */
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

/**
 * @param {string} name
 * @param {ReadonlyArray<readonly Child[]>} options `[value, text]` pairs.
 * @param {unknown} value The selected one.
 * @param {Attrs<HTMLSelectElement>} [attrs]
 */
export function select(name, options, value, attrs = {}) {
  return h(
    'select',
    { name, ...attrs },
    options.map(([v, text]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, text)),
  );
}

/**
 * Previous and next page, "Pagina N di M" and the page size, for any paged list.
 * @param {object} options
 * @param {string} options.label the navigation's accessible name
 * @param {number} options.page 1-based
 * @param {number} options.pages
 * @param {number} options.limit
 * @param {number[]} options.sizes the page sizes offered (the current one is added when missing)
 * @param {(page: number) => void} options.onPage
 * @param {(limit: number) => void} options.onLimit
 */
export function pager({ label, page, pages, limit, sizes, onPage, onLimit }) {
  return h(
    'nav',
    { class: 'pager', 'aria-label': label },
    h(
      'button',
      { type: 'button', class: 'btn btn-ghost', disabled: page <= 1, onclick: () => onPage(page - 1) },
      '← Precedente',
    ),
    h('span', null, `Pagina ${page} di ${pages}`),
    h(
      'button',
      { type: 'button', class: 'btn btn-ghost', disabled: page >= pages, onclick: () => onPage(page + 1) },
      'Successiva →',
    ),
    h(
      'label',
      null,
      'Per pagina ',
      select(
        'limit',
        [...new Set([...sizes, limit])].sort((a, b) => a - b).map((n) => [n, String(n)]),
        limit,
        { onchange: (event) => onLimit(Number(/** @type {HTMLSelectElement} */ (event.target).value)) },
      ),
    ),
  );
}

/**
 * @param {string} name
 * @param {string | null | undefined} value
 * @param {Attrs<HTMLTextAreaElement>} [attrs]
 */
export function textarea(name, value, attrs = {}) {
  const el = h('textarea', { name, rows: 3, ...attrs });
  el.value = value ?? '';
  return el;
}

/**
 * A form for one step: disables itself while sending, shows the API's Problem JSON inside the form, keeps the same
 * Idempotency-Key until the step succeeds (a retry after a lost answer is not applied twice).
 * @param {object} options
 * @param {Child} options.title
 * @param {Child} [options.description]
 * @param {Child} options.body
 * @param {string} options.submitLabel
 * @param {(data: FormData, key: string, form: HTMLFormElement) => Promise<string | undefined | void>} options.onSubmit
 *   Sends the step with the Idempotency-Key `key`; resolves to the message shown on success (none: nothing shown),
 *   rejects with the problem.
 * @param {string} [options.tone] `danger` for a red button; also the form's `step-…` class.
 * @param {string} [options.id]
 * @param {'h2' | 'h3' | 'h4'} [options.headingLevel]
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
  /** @type {string | undefined} */
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
      const alert = /** @type {HTMLElement | null} */ (feedback.querySelector('[role=alert]'));
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

/** @typedef {{ label: Child, class?: string }} Column */
/**
 * A table inside a scrollable wrapper, with a caption.
 * @param {object} options
 * @param {Child} [options.caption]
 * @param {ReadonlyArray<Node | string | Column>} options.columns Headings: a `<th>` as it is, or its text.
 * @param {readonly Child[]} options.rows
 * @param {Child} [options.empty] Shown instead of the table when there are no rows.
 * @param {boolean} [options.captionHidden]
 */
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
            c instanceof Node
              ? c
              : typeof c === 'string'
                ? h('th', { scope: 'col' }, c)
                : h('th', { scope: 'col', class: c.class }, c.label),
          ),
        ),
      ),
      h('tbody', null, rows),
    ),
  );
}

/**
 * A `<dl>` of label/value pairs.
 * @param {ReadonlyArray<readonly [Child, Child] | null | undefined | false>} pairs Empty entries are skipped.
 */
export function facts(pairs, cls = 'facts') {
  return h(
    'dl',
    { class: cls },
    pairs.filter(Boolean).map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))),
  );
}

/** @param {ReadonlyArray<readonly [Child, string | null | undefined]>} items `[text, href]`, the last current. */
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

/**
 * @param {string} href
 * @param {Child} text
 */
export function externalLink(href, text) {
  return h(
    'a',
    { href, target: '_blank', rel: 'noopener noreferrer', class: 'external' },
    text,
    h('span', { class: 'visually-hidden' }, ' (si apre in una nuova scheda)'),
  );
}

/** The page's heading, focusable so navigation can move the focus to it. */
export const pageTitle = (/** @type {Child[]} */ ...children) => h('h1', { tabindex: '-1' }, ...children);

const isoDayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' });
/** The calendar day (YYYY-MM-DD) of an instant in Italy. */
export const romeDay = (/** @type {IsoDate} */ iso) => (valid(iso) ? isoDayFormat.format(valid(iso)) : '');

/**
 * How fresh a page is, in words: the time of the state it shows. A page read from the read model shows the journey
 * as of its last change (written when it changed); an answer read from the workflow is current; a cached one is the
 * last known state, being refreshed.
 * @param {{ source: 'read-model' | 'cache' | 'workflow' | 'visibility', asOf: string } | undefined} freshness
 */
export function freshnessNote(freshness) {
  if (!freshness) return null;
  const text =
    freshness.source === 'workflow'
      ? 'Situazione letta ora dal percorso'
      : freshness.source === 'read-model'
        ? `Ultimo aggiornamento del percorso: ${dateTime(freshness.asOf)} (${relative(freshness.asOf)})`
        : `Situazione al ${dateTime(freshness.asOf)} (${relative(freshness.asOf)})`;
  return h('p', { class: 'muted freshness', 'data-testid': 'freshness' }, text);
}
