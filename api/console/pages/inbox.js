// @ts-nocheck
// Attività: who should act on what, since when and by when.

import { api } from '../api.js';
import { serviceStatusLabels, stageLabels, stages, whoLabels } from '../labels.js';
import { badge, field, h, pageTitle, relative, select, table, time } from '../ui.js';

const whoTone = { staff: 'info', comune: 'neutral', manager: 'warning' };

export default async function inboxPage(ctx) {
  const who = ctx.query.get('who') || '';
  const stage = ctx.query.get('stage') || '';
  const data = await api('/inbox', { query: { who, stage }, signal: ctx.signal });

  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filtra le attività' },
    field({
      label: 'Chi deve agire',
      name: 'who',
      control: select('who', [['', 'Tutti'], ...Object.entries(whoLabels)], who),
    }),
    field({
      label: 'Fase o stato',
      name: 'stage',
      control: select(
        'stage',
        [
          ['', 'Tutte'],
          ...stages.filter((s) => s !== 'completed' && s !== 'withdrawn').map((s) => [s, stageLabels[s]]),
          ['needs_correction', `Servizio: ${serviceStatusLabels.needs_correction}`],
          ['rejected', `Servizio: ${serviceStatusLabels.rejected}`],
        ],
        stage,
      ),
    }),
    h(
      'div',
      { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Filtra'),
    ),
  );
  const apply = () => {
    const form = new FormData(filters);
    ctx.setQuery({ who: form.get('who'), stage: form.get('stage') });
  };
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  filters.addEventListener('change', apply);

  const rows = data.items.map((item) => {
    const href = item.serviceSlug
      ? `#/comuni/${encodeURIComponent(item.ipaCode)}/servizi/${encodeURIComponent(item.serviceSlug)}`
      : `#/comuni/${encodeURIComponent(item.ipaCode)}`;
    const phase = stageLabels[item.stage] || serviceStatusLabels[item.stage] || item.stage;
    return h(
      'tr',
      { class: item.late ? 'row-late' : undefined },
      h('td', null, badge(whoLabels[item.who] || item.who, whoTone[item.who])),
      h('td', null, item.action),
      h(
        'td',
        null,
        h('a', { href }, item.comuneName),
        item.serviceSlug ? h('span', { class: 'muted block' }, `servizio ${item.serviceSlug}`) : null,
      ),
      h('td', null, phase),
      h(
        'td',
        null,
        item.since ? [time(item.since), h('span', { class: 'muted block' }, relative(item.since))] : '—',
      ),
      h(
        'td',
        null,
        item.due ? [time(item.due), h('span', { class: 'muted block' }, relative(item.due))] : '—',
        item.late ? badge('In ritardo', 'danger') : null,
      ),
    );
  });

  return h(
    'section',
    null,
    pageTitle('Attività in attesa'),
    h('p', { class: 'lead' }, 'Chi deve fare il prossimo passo, da quando aspetta e entro quando.'),
    filters,
    h('p', { class: 'count', role: 'status' }, data.total === 1 ? '1 attività' : `${data.total} attività`),
    table({
      caption: 'Attività in attesa, le più vecchie per prime',
      captionHidden: true,
      columns: ['Chi deve agire', 'Attività', 'Comune', 'Fase', 'In attesa da', 'Scadenza'],
      rows,
      empty: 'Nessuna attività in attesa con questi filtri.',
    }),
  );
}
