// @ts-check
// Comuni: the portfolio with filters, sorting and pages.

import { api, download } from '../api.js';
import { scenarioLabels, stageLabels, stageTone, stages } from '../labels.js';
import {
  badge,
  euro,
  field,
  h,
  pageTitle,
  pager,
  problemBox,
  riskBadges,
  select,
  table,
  time,
} from '../ui.js';

const FILTERS = ['q', 'stage', 'province', 'scenario', 'atRisk', 'late', 'deadlineBefore'];
/** @type {[string, string][]} */
const SORTS = [
  ['name', 'Nome'],
  ['province', 'Provincia'],
  ['stage', 'Fase'],
  ['deadline', 'Scadenza'],
  ['servicesActive', 'Servizi attivi'],
  ['fundingAtRiskEur', 'Fondi a rischio'],
];
/** @type {[string, string][]} */
const yesNo = [
  ['', 'Tutti'],
  ['true', 'Sì'],
  ['false', 'No'],
];

/** @param {import('../app.js').PageContext} ctx */
export default async function comuniPage(ctx) {
  const q = Object.fromEntries(FILTERS.map((k) => [k, ctx.query.get(k) || '']));
  const sort = ctx.query.get('sort') || 'name';
  const order = ctx.query.get('order') === 'desc' ? 'desc' : 'asc';
  const limit = Number(ctx.query.get('limit')) || 25;
  const page = Math.max(1, Number(ctx.query.get('page')) || 1);
  const current = { ...q, sort, order, limit, page };

  // Set unless the API refused a filter: then `error` is, and the page returns before reading `data`.
  let data = /** @type {import('../api.js').ApiResponse<'/comuni'>} */ (/** @type {unknown} */ (undefined));
  let error;
  try {
    data = await api('/comuni', {
      query: { ...q, sort, order, limit, offset: (page - 1) * limit },
      signal: ctx.signal,
    });
  } catch (err) {
    const failure = /** @type {import('../api.js').Failure} */ (err);
    if (failure.name === 'AbortError' || failure.status !== 400) throw err;
    error = err; // a filter the API refused: show it next to the filters
  }

  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filtra i Comuni' },
    field({
      label: 'Cerca',
      name: 'q',
      type: 'search',
      value: q.q,
      placeholder: 'Nome o codice IPA',
      maxlength: 100,
    }),
    field({
      label: 'Fase',
      name: 'stage',
      control: select('stage', [['', 'Tutte'], ...stages.map((s) => [s, stageLabels[s]])], q.stage),
    }),
    field({
      label: 'Provincia',
      name: 'province',
      value: q.province,
      placeholder: 'es. TN',
      maxlength: 2,
      pattern: '[A-Za-z]{2}',
      title: 'Sigla di due lettere',
      class: 'input-short',
    }),
    field({
      label: 'Scenario',
      name: 'scenario',
      control: select('scenario', [['', 'Tutti'], ...Object.entries(scenarioLabels)], q.scenario),
    }),
    field({ label: 'In ritardo', name: 'late', control: select('late', yesNo, q.late) }),
    field({ label: 'A rischio', name: 'atRisk', control: select('atRisk', yesNo, q.atRisk) }),
    field({ label: 'Scadenza prima del', name: 'deadlineBefore', type: 'date', value: q.deadlineBefore }),
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
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Applica filtri'),
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => ctx.setQuery({}) }, 'Azzera'),
    ),
  );
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(filters);
    const values = Object.fromEntries(
      [...FILTERS, 'sort', 'order'].map((k) => [k, String(form.get(k) || '').trim()]),
    );
    ctx.setQuery({ ...values, limit: limit === 25 ? '' : limit });
  });
  filters
    .querySelectorAll('select')
    .forEach((el) => el.addEventListener('change', () => filters.requestSubmit()));

  const actions = ctx.can('get', '/portfolio/export.csv')
    ? h(
        'button',
        {
          type: 'button',
          class: 'btn btn-ghost',
          onclick: async (event) => {
            const button = event.currentTarget;
            button.disabled = true;
            try {
              await download('/portfolio/export.csv', 'portafoglio-comuni.csv', q);
            } catch (err) {
              button.after(problemBox(err, { compact: true }));
            } finally {
              button.disabled = false;
            }
          },
        },
        'Esporta CSV (con questi filtri)',
      )
    : null;

  const head = h('div', { class: 'page-head' }, pageTitle('Comuni'), actions);
  if (error) return h('section', null, head, filters, problemBox(error));

  const sortHeader = (/** @type {string} */ key, /** @type {string} */ label) => {
    const active = sort === key;
    const nextOrder = active && order === 'asc' ? 'desc' : 'asc';
    return h(
      'th',
      { scope: 'col', 'aria-sort': active ? (order === 'asc' ? 'ascending' : 'descending') : undefined },
      h(
        'button',
        {
          type: 'button',
          class: 'sort',
          onclick: () => ctx.setQuery({ ...current, sort: key, order: nextOrder, page: '' }),
          title: `Ordina per ${label.toLowerCase()}`,
        },
        label,
        h(
          'span',
          { 'aria-hidden': 'true', class: 'sort-icon' },
          active ? (order === 'asc' ? ' ▲' : ' ▼') : ' ↕',
        ),
      ),
    );
  };

  const rows = data.items.map((c) =>
    h(
      'tr',
      { class: c.late ? 'row-late' : undefined },
      h(
        'td',
        null,
        h('a', { href: `#/comuni/${encodeURIComponent(c.ipaCode)}` }, c.name || c.ipaCode),
        h('span', { class: 'muted block' }, c.ipaCode),
      ),
      h('td', null, c.province),
      h('td', null, badge(stageLabels[c.stage] || c.stage, stageTone[c.stage])),
      h('td', null, c.scenario || '—'),
      h('td', null, time(c.deadline)),
      h(
        'td',
        { class: 'num' },
        `${c.servicesActive} / ${c.servicesTotal}`,
        h('progress', {
          max: c.servicesTotal || 1,
          value: c.servicesActive,
          'aria-label': `${c.servicesActive} servizi attivi su ${c.servicesTotal}`,
        }),
      ),
      h('td', { class: 'num' }, euro(c.fundingAtRiskEur)),
      h('td', null, riskBadges(c)),
    ),
  );

  const pages = Math.max(1, Math.ceil(data.total / limit));
  const from = data.total === 0 ? 0 : data.offset + 1;
  const to = Math.min(data.total, data.offset + data.items.length);
  const pagerNav = pager({
    label: 'Pagine dei Comuni',
    page,
    pages,
    limit,
    sizes: [25, 50, 100, 200],
    onPage: (next) => ctx.setQuery({ ...current, page: next }),
    onLimit: (next) => ctx.setQuery({ ...current, limit: next, page: '' }),
  });

  return h(
    'section',
    null,
    head,
    filters,
    h(
      'p',
      { class: 'count', role: 'status' },
      data.total === 0 ? 'Nessun Comune con questi filtri.' : `Comuni ${from}–${to} di ${data.total}`,
    ),
    table({
      caption: 'Comuni del portafoglio',
      captionHidden: true,
      columns: [
        sortHeader('name', 'Comune'),
        sortHeader('province', 'Prov.'),
        sortHeader('stage', 'Fase'),
        h('th', { scope: 'col' }, 'Scen.'),
        sortHeader('deadline', 'Scadenza'),
        sortHeader('servicesActive', 'Servizi attivi'),
        sortHeader('fundingAtRiskEur', 'Fondi a rischio'),
        h('th', { scope: 'col' }, 'Segnalazioni'),
      ],
      rows,
      empty: 'Nessun Comune con questi filtri.',
    }),
    data.total > 0 ? pagerNav : null,
  );
}
