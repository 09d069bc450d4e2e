// @ts-check
// Attività: one row per open task of every journey — who should act, on what, since when and by when — filtered,
// sorted and paged by the API.

import { api } from '../api.js';
import { journeyModel, partyLabels, partyTone } from '../labels.js';
import { badge, field, h, pageTitle, pager, problemBox, relative, select, table, time } from '../ui.js';

/** @typedef {import('../api.js').ApiResponse<'/inbox'>} Inbox */
/** @typedef {import('../api.js').Schemas['InboxItem']} InboxItem */

const PAGE_SIZES = [25, 50, 100, 200];
const DEFAULT_LIMIT = 50;
/** @type {[string, string][]} */
const SORTS = [
  ['due', 'Entro (la più vicina)'],
  ['since', 'In attesa da'],
  ['comune', 'Comune'],
];

/** Who a task may wait on, as a filter: every party but the automatic steps, which have no task of their own. */
const whoOptions = /** @type {[string, string][]} */ (
  Object.entries(journeyModel.parties).filter(([id]) => id !== 'nobody')
);
/** The stages and service statuses that have tasks: the open stages, and the statuses with a person's task. */
const statusOptions = /** @type {[string, string][]} */ ([
  ...journeyModel.stages.filter((s) => s.open).map((s) => [s.id, s.label]),
  ...journeyModel.serviceStatuses.filter((s) => s.task).map((s) => [s.id, `Servizio: ${s.label}`]),
]);

/**
 * The Comune (and the service) a task is about, each a link to its page.
 * @param {InboxItem} item
 */
function subject(item) {
  const comune = `#/comuni/${encodeURIComponent(item.ipaCode)}`;
  return [
    h('a', { href: comune }, item.comuneName),
    item.serviceSlug
      ? h(
          'span',
          { class: 'block' },
          'Servizio ',
          h(
            'a',
            { href: `${comune}/servizi/${encodeURIComponent(item.serviceSlug)}` },
            item.serviceName || 'senza nome',
          ),
        )
      : null,
  ];
}

/** @param {InboxItem} item */
function row(item) {
  return h(
    'tr',
    { class: item.late ? 'row-late' : undefined },
    h(
      'td',
      { class: 'col-who' },
      badge(partyLabels[item.who] || item.who, partyTone[item.who], 'Chi deve agire'),
    ),
    h('td', { class: 'col-action' }, item.action),
    h('td', { class: 'col-comune' }, subject(item)),
    h('td', { class: 'col-status' }, item.statusLabel),
    h(
      'td',
      { class: 'col-since' },
      item.since ? [time(item.since), h('span', { class: 'muted block' }, relative(item.since))] : '—',
    ),
    h(
      'td',
      { class: 'col-due' },
      time(item.due),
      ' ',
      item.overdue ? badge('scaduto', 'danger', `${item.dueLabel}: data passata`) : null,
      h('span', { class: 'muted block' }, `${item.dueLabel} · ${relative(item.due)}`),
    ),
  );
}

/** @param {import('../app.js').PageContext} ctx */
export default async function inboxPage(ctx) {
  const who = ctx.query.get('who') || '';
  const status = ctx.query.get('status') || '';
  const q = ctx.query.get('q') || '';
  const sort = ctx.query.get('sort') || 'due';
  const order = ctx.query.get('order') === 'desc' ? 'desc' : 'asc';
  const limit = Math.min(500, Math.max(1, Number(ctx.query.get('limit')) || DEFAULT_LIMIT));
  const offset = Math.max(0, Math.floor(Number(ctx.query.get('offset')) || 0));
  const current = {
    who,
    status,
    q,
    sort: sort === 'due' ? '' : sort,
    order: order === 'asc' ? '' : order,
    limit: limit === DEFAULT_LIMIT ? '' : limit,
  };

  // Set unless the API refused a filter: then `error` is, and the page returns before reading `data`.
  let data = /** @type {Inbox} */ (/** @type {unknown} */ (undefined));
  let error;
  try {
    data = await api('/inbox', {
      query: { who, status, q, sort, order, limit, offset },
      signal: ctx.signal,
    });
  } catch (err) {
    const failure = /** @type {import('../api.js').Failure} */ (err);
    if (failure.name === 'AbortError' || failure.status !== 400) throw err;
    error = err;
  }

  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filtra le attività' },
    field({
      label: 'Cerca Comune',
      name: 'q',
      type: 'search',
      value: q,
      placeholder: 'Nome o codice IPA',
      maxlength: 100,
    }),
    field({
      label: 'Chi deve agire',
      name: 'who',
      control: select('who', [['', 'Tutti'], ...whoOptions], who),
    }),
    field({
      label: 'Fase o stato',
      name: 'status',
      control: select('status', [['', 'Tutte'], ...statusOptions], status),
    }),
    field({ label: 'Ordina per', name: 'sort', control: select('sort', SORTS, sort) }),
    field({
      label: 'Ordine',
      name: 'order',
      control: select(
        'order',
        [
          ['asc', 'Crescente'],
          ['desc', 'Decrescente'],
        ],
        order,
      ),
    }),
    h(
      'div',
      { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Filtra'),
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => ctx.setQuery({}) }, 'Azzera'),
    ),
  );
  // A new filter starts again from the first page.
  const apply = () => {
    const form = new FormData(filters);
    const value = (/** @type {string} */ name) => String(form.get(name) || '').trim();
    ctx.setQuery({
      ...current,
      who: value('who'),
      status: value('status'),
      q: value('q'),
      sort: value('sort') === 'due' ? '' : value('sort'),
      order: value('order') === 'asc' ? '' : value('order'),
    });
  };
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  filters.querySelectorAll('select').forEach((el) => el.addEventListener('change', apply));

  const head = [
    pageTitle('Attività in attesa'),
    h('p', { class: 'lead' }, 'Chi deve fare il prossimo passo, da quando aspetta e entro quando.'),
    filters,
  ];
  if (error) return h('section', null, ...head, problemBox(error));

  const from = data.total === 0 ? 0 : data.offset + 1;
  const to = Math.min(data.total, data.offset + data.items.length);
  const page = Math.floor(data.offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(data.total / limit));
  const pagerNav = pager({
    label: 'Pagine delle attività',
    page,
    pages,
    limit,
    sizes: PAGE_SIZES,
    onPage: (next) => ctx.setQuery({ ...current, offset: (next - 1) * limit || '' }),
    onLimit: (next) => ctx.setQuery({ ...current, limit: next === DEFAULT_LIMIT ? '' : next, offset: '' }),
  });

  const list = table({
    caption: 'Attività in attesa',
    captionHidden: true,
    columns: [
      { label: 'Chi deve agire', class: 'col-who' },
      { label: 'Attività', class: 'col-action' },
      { label: 'Comune', class: 'col-comune' },
      { label: 'Fase o stato', class: 'col-status' },
      { label: 'In attesa da', class: 'col-since' },
      { label: 'Entro', class: 'col-due' },
    ],
    rows: data.items.map(row),
    empty: 'Nessuna attività in attesa con questi filtri.',
  });
  list.classList.add('inbox-table');

  return h(
    'section',
    { class: 'inbox' },
    ...head,
    h(
      'p',
      { class: 'count', role: 'status', 'data-testid': 'inbox-count' },
      data.total === 0
        ? 'Nessuna attività con questi filtri.'
        : from > to
          ? `Nessuna attività in questa pagina: ${data.total} in tutto.`
          : `${from}–${to} di ${data.total} attività`,
    ),
    list,
    data.total > 0 ? pagerNav : null,
  );
}
