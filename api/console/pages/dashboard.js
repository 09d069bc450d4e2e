// @ts-check
// Cruscotto: the portfolio at a glance, for managers.

import { api, download } from '../api.js';
import { deadlinesChart, funnelChart } from '../charts.js';
import { journeyModel, serviceStatusClassTone, serviceStatusTone } from '../labels.js';
import { badge, dateTime, euro, h, number, pageTitle, problemBox, table } from '../ui.js';

/**
 * One figure; it opens the list it counts.
 * @param {string} label
 * @param {string} value
 * @param {string} href
 * @param {string} [note]
 * @param {import('../ui.js').Tone} [tone]
 */
function kpi(label, value, href, note, tone) {
  return h(
    'div',
    { class: ['kpi', tone ? `kpi-${tone}` : ''] },
    h('dt', null, label),
    h(
      'dd',
      null,
      h('a', { class: 'kpi-value kpi-link', href }, value),
      note ? h('span', { class: 'kpi-note' }, note) : null,
    ),
  );
}

/**
 * One bar of "Servizi per stato".
 * @param {string} label
 * @param {number} count
 * @param {number} max
 * @param {import('../ui.js').Tone} tone
 * @param {string} [cls]
 * @param {string} [href] where the people's work on these services is listed
 */
function hbar(label, count, max, tone, cls, href) {
  return h(
    'li',
    { class: cls },
    h('span', { class: 'hbar-label' }, href ? h('a', { href }, label) : label),
    h(
      'span',
      { class: 'hbar-track', 'aria-hidden': 'true' },
      h('span', { class: `hbar hbar-${tone}`, style: { width: `${(count / max) * 100}%` } }),
    ),
    h('span', { class: 'hbar-value' }, number(count)),
  );
}

/**
 * The services by class of status (queued, worked on, waiting on people, concluded) and by status within each
 * class, plus those of journeys that keep no status (started before 0.4.0); the figures add up to the total.
 * @param {import('../api.js').Schemas['PortfolioSummary']['services']} services
 */
function servicesByStatus(services) {
  const classes = journeyModel.serviceStatusClasses.map((c) => ({
    ...c,
    count: services.byClass[c.id] ?? 0,
    statuses: journeyModel.serviceStatuses.filter((st) => st.class === c.id),
  }));
  const max = Math.max(1, ...classes.map((c) => c.count), services.unclassified);
  const counted =
    journeyModel.serviceStatuses.reduce((sum, st) => sum + (services.byStatus[st.id] ?? 0), 0) +
    services.unclassified;
  return [
    h(
      'ul',
      { class: 'hbars hbars-grouped' },
      classes.map((c) =>
        h(
          'li',
          { class: 'hbar-group' },
          h('ul', { class: 'hbars' }, [
            hbar(c.label, c.count, max, serviceStatusClassTone[c.id], 'hbar-class'),
            // A class of a single status of the same name (the queue) needs no second line.
            c.statuses.length === 1 && c.statuses[0].label === c.label
              ? null
              : c.statuses.map((st) =>
                  hbar(
                    st.label,
                    services.byStatus[st.id] ?? 0,
                    max,
                    serviceStatusTone[st.id],
                    'hbar-status',
                    // A status with a person's task opens those tasks in the inbox.
                    'task' in st && st.task ? `#/attivita?status=${st.id}` : undefined,
                  ),
                ),
          ]),
        ),
      ),
      services.unclassified > 0
        ? hbar(
            'Stato non disponibile (percorsi avviati prima dell’aggiornamento)',
            services.unclassified,
            max,
            'neutral',
            'hbar-class',
          )
        : null,
    ),
    h(
      'p',
      { class: 'hbars-total', 'data-testid': 'services-total' },
      `${number(counted)} su ${number(services.total)} servizi`,
      counted === services.total
        ? null
        : [' ', badge('i conteggi non tornano', 'warning', 'La somma degli stati differisce dal totale')],
    ),
  ];
}

/**
 * «Fondi per fascia di popolazione»: the funding by PNRR band, its total the same figures as the cards above.
 * @param {import('../api.js').ApiResponse<'/portfolio/funding'>} funding
 */
function fundingByBand(funding) {
  /** @param {import('../api.js').Schemas['FundingReport']['totals']} f */
  const figures = (f) => [
    h('td', { class: 'num' }, number(f.comuni)),
    h('td', { class: 'num' }, `${number(f.servicesActive)} / ${number(f.servicesTotal)}`),
    h('td', { class: 'num' }, euro(f.securedEur)),
    h('td', { class: 'num' }, euro(f.atRiskEur)),
    h('td', { class: 'num' }, euro(f.lostEur)),
  ];
  const num = (/** @type {string} */ label) => ({ label, class: 'num' });
  return table({
    caption: 'Fondi per fascia di popolazione',
    captionHidden: true,
    columns: [
      'Fascia di popolazione',
      num('Importo per servizio'),
      num('Comuni'),
      num('Servizi attivi / totali'),
      num('Ottenuti'),
      num('Da ottenere'),
      num('Persi'),
    ],
    rows: [
      ...funding.bands.map((b) =>
        h(
          'tr',
          null,
          h('th', { scope: 'row' }, b.label),
          h('td', { class: 'num' }, euro(b.eurPerService)),
          figures(b),
        ),
      ),
      funding.unassigned
        ? h(
            'tr',
            null,
            h('th', { scope: 'row' }, funding.unassigned.label),
            h('td'),
            figures(funding.unassigned),
          )
        : null,
      h(
        'tr',
        { class: 'row-total', 'data-testid': 'funding-total' },
        h('th', { scope: 'row' }, 'Totale'),
        h('td'),
        figures(funding.totals),
      ),
    ],
  });
}

/** Days as people read them: «12,5 gg», «meno di un giorno». */
const days = (/** @type {number} */ d) => (d < 1 ? 'meno di un giorno' : `${number(d)} gg`);

/**
 * «Dove si fermano i percorsi»: for each stage, the Comuni in it now and for how long, and the days all journeys have
 * spent in it, with whom it waits on; then the same days by party, and the services at work by whom they wait on.
 * @param {import('../api.js').ApiResponse<'/portfolio/stalls'>} stalls
 */
function stallsByStage(stalls) {
  const num = (/** @type {string} */ label) => ({ label, class: 'num' });
  const rows = stalls.stages.map((s) =>
    h(
      'tr',
      { 'data-stage': s.stage },
      h('th', { scope: 'row' }, s.label),
      h('td', null, s.waitsOnLabel),
      h(
        'td',
        { class: 'num' },
        s.now.comuni > 0 ? h('a', { href: `#/comuni?stage=${s.stage}` }, number(s.now.comuni)) : '0',
      ),
      h('td', { class: 'num' }, s.now.comuni > 0 ? days(s.now.medianDays) : '—'),
      h(
        'td',
        { class: 'num' },
        s.now.longest
          ? [
              days(s.now.longest.days),
              h('br'),
              h(
                'a',
                { class: 'small', href: `#/comuni/${encodeURIComponent(s.now.longest.ipaCode)}` },
                s.now.longest.name || s.now.longest.ipaCode,
              ),
            ]
          : '—',
      ),
      h('td', { class: 'num' }, s.now.stalled > 0 ? badge(number(s.now.stalled), 'warning') : '0'),
      h('td', { class: 'num' }, euro(s.now.fundingAtRiskEur)),
      h(
        'td',
        { class: 'num', title: `${number(s.spent.totalDays)} giorni in tutto` },
        s.spent.comuni > 0
          ? [
              days(s.spent.averageDays),
              h('br'),
              h(
                'span',
                { class: 'small muted' },
                s.spent.comuni === 1 ? 'su 1 Comune' : `su ${number(s.spent.comuni)} Comuni`,
              ),
            ]
          : '—',
      ),
    ),
  );
  const working = stalls.servicesWaitingOn.filter((p) => p.services > 0);
  return [
    table({
      caption: 'Dove si fermano i percorsi',
      captionHidden: true,
      columns: [
        'Fase',
        'In attesa di',
        num('Comuni ora'),
        num('Da (mediana)'),
        num('Il più lungo'),
        num(`Fermi da oltre ${stalls.stalledAfterDays} giorni`),
        num('Fondi da ottenere'),
        num('Tempo medio per Comune'),
      ],
      rows,
    }),
    h(
      'p',
      { 'data-testid': 'stalls-by-party' },
      'Tempo speso in attesa, su tutte le fasi: ',
      // The API lists the Comune, staff and PagoPA always, any other party only when it took time.
      stalls.byParty.map((p, i) => [
        i > 0 ? '; ' : '',
        h('strong', null, p.partyLabel),
        ` ${number(p.share)}% (${days(p.days)})`,
      ]),
      '.',
    ),
    working.length > 0
      ? h(
          'p',
          { 'data-testid': 'stalls-services' },
          'Servizi in lavorazione ora: ',
          working.map((p, i) => [
            i > 0 ? '; ' : '',
            `${number(p.services)} in attesa di `,
            h('strong', null, p.partyLabel),
          ]),
          '.',
        )
      : null,
    stalls.withoutStageHistory > 0
      ? h(
          'p',
          { class: 'muted' },
          `Per ${number(stalls.withoutStageHistory)} Comuni avviati prima dell’aggiornamento conta solo la fase in corso: il tempo delle fasi già concluse si somma da quando pubblicano di nuovo il loro stato.`,
        )
      : null,
  ];
}

/**
 * A button that downloads a CSV of the API; a failure is shown beside it.
 * @param {string} label
 * @param {string} path
 * @param {string} filename
 */
function downloadButton(label, path, filename) {
  return h(
    'button',
    {
      type: 'button',
      class: 'btn btn-ghost',
      onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try {
          await download(path, filename);
        } catch (err) {
          button.after(problemBox(err, { compact: true }));
        } finally {
          button.disabled = false;
        }
      },
    },
    label,
  );
}

/** @param {import('../app.js').PageContext} ctx */
export default async function dashboardPage(ctx) {
  const [summary, funding, stalls] = await Promise.all([
    /** @type {Promise<import('../api.js').ApiResponse<'/portfolio/summary'>>} */ (
      api('/portfolio/summary', { signal: ctx.signal })
    ),
    /** @type {Promise<import('../api.js').ApiResponse<'/portfolio/funding'>>} */ (
      api('/portfolio/funding', { signal: ctx.signal })
    ),
    /** @type {Promise<import('../api.js').ApiResponse<'/portfolio/stalls'>>} */ (
      api('/portfolio/stalls', { signal: ctx.signal })
    ),
  ]);
  const services = summary.services;
  const percent = services.total ? Math.round((services.active / services.total) * 100) : 0;

  const exportButton = downloadButton(
    'Scarica il portafoglio (CSV)',
    '/portfolio/export.csv',
    'portafoglio-comuni.csv',
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
      kpi('Comuni', number(summary.comuni), '#/comuni'),
      kpi(
        'Servizi attivi',
        `${number(services.active)} / ${number(services.total)}`,
        '#/comuni?sort=servicesActive&order=desc',
        `${percent}% del totale`,
        'info',
      ),
      kpi(
        'Fondi ottenuti',
        euro(summary.funding.securedEur),
        '#/comuni?sort=servicesActive&order=desc',
        'servizi attivi',
        'success',
      ),
      // Money not yet secured, whatever the deadline: apart from the Comuni whose deadline is near.
      kpi(
        'Fondi da ottenere',
        euro(summary.funding.atRiskEur),
        '#/comuni?sort=fundingAtRiskEur&order=desc',
        'servizi non ancora attivi',
        'warning',
      ),
      kpi(
        'Fondi persi',
        euro(summary.funding.lostEur),
        '#/comuni?late=true',
        'Comuni ritirati o scaduti',
        'danger',
      ),
      kpi(
        'Comuni in ritardo',
        number(summary.late),
        '#/comuni?late=true',
        'scadenza superata',
        summary.late ? 'danger' : undefined,
      ),
      kpi(
        'Comuni vicini alla scadenza',
        number(summary.atRisk),
        '#/comuni?atRisk=true',
        'entro la prima escalation o in ritardo',
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
        servicesByStatus(services),
      ),
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'h-fondi' },
      h('h2', { id: 'h-fondi' }, 'Fondi per fascia di popolazione'),
      h(
        'p',
        { class: 'muted' },
        'Contributo PNRR 1.4.3 per servizio attivato secondo gli abitanti del Comune (al massimo 50 servizi per Comune): ottenuti con i servizi attivi, da ottenere con quelli ancora da attivare entro la scadenza, persi quelli non attivi a scadenza superata o del Comune ritirato.',
      ),
      fundingByBand(funding),
      h(
        'p',
        null,
        downloadButton(
          'Scarica il report dei fondi (CSV)',
          '/portfolio/funding.csv',
          'report-fondi-comuni.csv',
        ),
      ),
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'h-fermi' },
      h('h2', { id: 'h-fermi' }, 'Dove si fermano i percorsi'),
      h(
        'p',
        { class: 'muted' },
        'Per ogni fase: i Comuni che vi si trovano ora e da quanto, chi si attende, e il tempo che tutti i percorsi vi hanno trascorso (fasi concluse e fase in corso).',
      ),
      stallsByStage(stalls),
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
