// @ts-check
// Cruscotto: the portfolio at a glance, for managers.

import { api, download } from '../api.js';
import { deadlinesChart, funnelChart } from '../charts.js';
import { serviceStatusLabels, serviceStatusTone, serviceStatuses } from '../labels.js';
import { dateTime, euro, h, number, pageTitle, problemBox } from '../ui.js';

/**
 * @param {string} label
 * @param {string} value
 * @param {string} [note]
 * @param {import('../ui.js').Tone} [tone]
 */
function kpi(label, value, note, tone) {
  return h(
    'div',
    { class: ['kpi', tone ? `kpi-${tone}` : ''] },
    h('dt', null, label),
    h(
      'dd',
      null,
      h('span', { class: 'kpi-value' }, value),
      note ? h('span', { class: 'kpi-note' }, note) : null,
    ),
  );
}

/** @param {import('../app.js').PageContext} ctx */
export default async function dashboardPage(ctx) {
  /** @type {import('../api.js').ApiResponse<'/portfolio/summary'>} */
  const summary = await api('/portfolio/summary', { signal: ctx.signal });
  const services = summary.services;
  const percent = services.total ? Math.round((services.active / services.total) * 100) : 0;
  const byStatusMax = Math.max(1, ...serviceStatuses.map((st) => services.byStatus[st] ?? 0));

  const exportButton = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-ghost',
      onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try {
          await download('/portfolio/export.csv', 'portafoglio-comuni.csv');
        } catch (err) {
          button.after(problemBox(err, { compact: true }));
        } finally {
          button.disabled = false;
        }
      },
    },
    'Scarica il portafoglio (CSV)',
  );

  return h(
    'section',
    { class: 'dashboard' },
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        null,
        pageTitle('Cruscotto'),
        h('p', { class: 'muted' }, `Dati aggiornati al ${dateTime(summary.generatedAt)}`),
      ),
      h('div', { class: 'head-actions' }, exportButton),
    ),
    h(
      'dl',
      { class: 'kpis' },
      kpi('Comuni', number(summary.comuni)),
      kpi(
        'Servizi attivi',
        `${number(services.active)} / ${number(services.total)}`,
        `${percent}% del totale`,
        'info',
      ),
      kpi('Fondi ottenuti', euro(summary.funding.securedEur), 'servizi attivi', 'success'),
      kpi('Fondi a rischio', euro(summary.funding.atRiskEur), 'servizi non ancora attivi', 'warning'),
      kpi('Fondi persi', euro(summary.funding.lostEur), 'Comuni ritirati o scaduti', 'danger'),
      kpi(
        'Comuni in ritardo',
        number(summary.late),
        'scadenza superata',
        summary.late ? 'danger' : undefined,
      ),
      kpi(
        'Comuni a rischio',
        number(summary.atRisk),
        'scadenza vicina',
        summary.atRisk ? 'warning' : undefined,
      ),
    ),
    h(
      'div',
      { class: 'columns columns-even' },
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'h-imbuto' },
        h('h2', { id: 'h-imbuto' }, 'Comuni per fase'),
        funnelChart(summary.byStage),
        h('p', null, h('a', { href: '#/comuni' }, 'Vai all’elenco dei Comuni')),
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'h-stati' },
        h('h2', { id: 'h-stati' }, 'Servizi per stato'),
        h(
          'ul',
          { class: 'hbars' },
          serviceStatuses.map((st) => {
            const count = services.byStatus[st] ?? 0;
            return h(
              'li',
              null,
              h('span', { class: 'hbar-label' }, serviceStatusLabels[st]),
              h(
                'span',
                { class: 'hbar-track', 'aria-hidden': 'true' },
                h('span', {
                  class: `hbar hbar-${serviceStatusTone[st]}`,
                  style: { width: `${(count / byStatusMax) * 100}%` },
                }),
              ),
              h('span', { class: 'hbar-value' }, number(count)),
            );
          }),
        ),
      ),
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'h-scadenze' },
      h('h2', { id: 'h-scadenze' }, 'Servizi e scadenze'),
      h(
        'p',
        { class: 'muted' },
        'Per ogni scadenza contrattuale: quanti servizi devono essere attivi entro quella data (sommando le scadenze precedenti) e quanti lo sono già.',
      ),
      deadlinesChart(summary.deadlines),
    ),
  );
}
