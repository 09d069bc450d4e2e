// @ts-check
// Charts drawn as inline SVG (no library), each with a text alternative: a title, a description and a data table.

import { journeyModel, stageLabels } from './labels.js';
import { date, h, number, romeDay, s, uid } from './ui.js';

/** @typedef {import('./api.js').Schemas['PortfolioSummary']} PortfolioSummary */
/** @typedef {PortfolioSummary['deadlines'][number]} Deadline */
/** @typedef {import('./ui.js').Child} Child */

/** The journey's stages in order, from the model; a withdrawn Comune leaves the funnel. */
const FUNNEL_STAGES = journeyModel.stages.map((st) => st.id).filter((id) => id !== 'withdrawn');

/**
 * A round step for an axis that counts things (services, Comuni): from 0 to `max` in about `count` ticks, always a
 * whole number, so an axis never reads «12,5» services.
 * @param {number} max
 */
export function countStep(max, count = 5) {
  if (max <= count) return 1;
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return (
    [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= raw && Number.isInteger(m)) ??
    10 * magnitude
  );
}

/**
 * @param {{ width: number, height: number, title: string, desc: string }} options
 * @param {...Child} children
 */
function accessibleSvg({ width, height, title, desc }, ...children) {
  const titleId = uid('chart-title');
  const descId = uid('chart-desc');
  return s(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-labelledby': `${titleId} ${descId}`,
      class: 'chart',
      preserveAspectRatio: 'xMidYMid meet',
    },
    s('title', { id: titleId }, title),
    s('desc', { id: descId }, desc),
    ...children,
  );
}

/**
 * @param {string} caption
 * @param {readonly string[]} columns
 * @param {ReadonlyArray<readonly Child[]>} rows The first cell of each is its heading.
 */
function dataTable(caption, columns, rows) {
  return h(
    'details',
    { class: 'chart-data' },
    h('summary', null, 'Mostra i dati in tabella'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        null,
        h('caption', null, caption),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            columns.map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          null,
          rows.map((r) =>
            h(
              'tr',
              null,
              r.map((v, i) => (i === 0 ? h('th', { scope: 'row' }, v) : h('td', { class: 'num' }, v))),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * The funnel: for each stage, the Comuni that reached at least that stage (light bar) and those standing in it now
 * (dark bar). Withdrawn Comuni are counted apart.
 * @param {PortfolioSummary['byStage']} byStage
 */
export function funnelChart(byStage) {
  const counts = FUNNEL_STAGES.map((stage) => byStage[stage] ?? 0);
  const reached = counts.map((_, i) => counts.slice(i).reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...reached);
  const width = 600;
  const rowHeight = 50;
  const labelWidth = 285;
  const valueWidth = 34;
  const area = width - labelWidth - valueWidth - 8;
  const height = FUNNEL_STAGES.length * rowHeight + 4;
  const rows = FUNNEL_STAGES.map((stage, i) => {
    const y = i * rowHeight + 4;
    const barHeight = rowHeight - 14;
    const outer = Math.max(4, (reached[i] / max) * area);
    const inner = counts[i] > 0 ? Math.max(4, (counts[i] / max) * area) : 0;
    // Bars start at zero on the left, and each row opens the list of the Comuni in that stage.
    return s(
      'a',
      {
        href: `#/comuni?stage=${stage}`,
        class: 'funnel-row',
        'aria-label': `${stageLabels[stage]}: ${number(counts[i])} Comuni in questa fase, apri l’elenco`,
      },
      s('text', { x: 0, y: y + 15, class: 'chart-label' }, stageLabels[stage]),
      s(
        'text',
        { x: 0, y: y + 33, class: 'chart-sub' },
        `${number(counts[i])} in questa fase · ${number(reached[i])} arrivati`,
      ),
      s('rect', { x: labelWidth, y, width: outer, height: barHeight, rx: 6, class: 'funnel-reached' }),
      inner > 0
        ? s('rect', {
            x: labelWidth + 4,
            y: y + 7,
            width: inner,
            height: barHeight - 14,
            rx: 4,
            class: 'funnel-current',
          })
        : null,
      s(
        'text',
        { x: width, y: y + barHeight / 2 + 6, class: 'funnel-value', 'text-anchor': 'end' },
        number(reached[i]),
      ),
    );
  });
  const withdrawn = byStage.withdrawn ?? 0;
  return h(
    'figure',
    { class: 'chart-figure' },
    accessibleSvg(
      {
        width,
        height,
        title: 'Comuni per fase del percorso',
        desc: FUNNEL_STAGES.map(
          (st, i) => `${stageLabels[st]}: ${counts[i]} in fase, ${reached[i]} arrivati`,
        ).join('; '),
      },
      ...rows,
    ),
    h(
      'figcaption',
      null,
      h('span', { class: 'legend legend-reached' }, 'Comuni arrivati almeno a questa fase'),
      h('span', { class: 'legend legend-current' }, 'Comuni fermi in questa fase'),
      h('span', { class: 'legend-note' }, `Ritirati: ${number(withdrawn)}`),
    ),
    dataTable(
      'Comuni per fase',
      ['Fase', 'In questa fase', 'Arrivati almeno qui'],
      [
        ...FUNNEL_STAGES.map((st, i) => [stageLabels[st], number(counts[i]), number(reached[i])]),
        [stageLabels.withdrawn, number(withdrawn), '—'],
      ],
    ),
  );
}

/**
 * Groups deadlines by month when there are too many dates for one bar each.
 * @param {readonly Deadline[]} deadlines
 * @returns {(Deadline & { label: string })[]}
 */
function buckets(deadlines) {
  const sorted = [...deadlines].sort((a, b) => a.date.localeCompare(b.date));
  if (sorted.length <= 18) return sorted.map((d) => ({ ...d, label: date(d.date) }));
  /** @type {Map<string, Deadline>} */
  const months = new Map();
  for (const d of sorted) {
    const key = d.date.slice(0, 7);
    const m = months.get(key) ?? { date: d.date, comuni: 0, servicesTotal: 0, servicesActive: 0 };
    m.date = d.date;
    m.comuni += d.comuni;
    m.servicesTotal += d.servicesTotal;
    m.servicesActive += d.servicesActive;
    months.set(key, m);
  }
  const monthFormat = new Intl.DateTimeFormat('it-IT', { month: 'short', year: 'numeric', timeZone: 'UTC' });
  return [...months.entries()].map(([key, m]) => ({
    ...m,
    label: `entro ${monthFormat.format(new Date(`${key}-15T00:00:00Z`))}`,
  }));
}

/**
 * Services against the deadlines: by each deadline date, the services that must be active by then (cumulative)
 * and those already active among the same Comuni (cumulative).
 * @param {readonly Deadline[]} deadlines
 */
export function deadlinesChart(deadlines, today = romeDay(new Date().toISOString())) {
  if (!deadlines.length) return h('p', { class: 'muted' }, 'Nessuna scadenza: il portafoglio è vuoto.');
  const points = buckets(deadlines);
  let due = 0;
  let active = 0;
  const series = points.map((p) => {
    due += p.servicesTotal;
    active += p.servicesActive;
    return { ...p, due, active, past: p.date < today };
  });
  const width = 960;
  const height = 300;
  const m = { left: 60, right: 16, top: 16, bottom: 76 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const step = countStep(due);
  const yMax = Math.max(step, Math.ceil(due / step) * step);
  const y = (/** @type {number} */ v) => m.top + plotH - (v / yMax) * plotH;
  const band = plotW / series.length;
  const barW = Math.min(44, band * 0.34);
  const cx = (/** @type {number} */ i) => m.left + band * i + band / 2;

  const grid = [];
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    grid.push(
      s('line', { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' }),
      s('text', { x: m.left - 8, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, number(v)),
    );
  }
  const rotate = series.length > 6;
  const bars = series.map((p, i) =>
    s(
      'g',
      null,
      s(
        'rect',
        {
          x: cx(i) - barW - 1,
          y: y(p.due),
          width: barW,
          height: Math.max(0, y(0) - y(p.due)),
          class: 'bar-due',
        },
        s('title', null, `${p.label}: ${p.due} servizi da attivare`),
      ),
      s(
        'rect',
        {
          x: cx(i) + 1,
          y: y(p.active),
          width: barW,
          height: Math.max(0, y(0) - y(p.active)),
          class: 'bar-active',
        },
        s('title', null, `${p.label}: ${p.active} servizi attivi`),
      ),
      s(
        'text',
        rotate
          ? {
              x: cx(i),
              y: y(0) + 14,
              class: p.past ? 'tick tick-past' : 'tick',
              'text-anchor': 'end',
              transform: `rotate(-35 ${cx(i)} ${y(0) + 14})`,
            }
          : { x: cx(i), y: y(0) + 18, class: p.past ? 'tick tick-past' : 'tick', 'text-anchor': 'middle' },
        p.label,
      ),
      rotate
        ? null
        : s(
            'text',
            { x: cx(i), y: y(0) + 34, class: 'tick tick-small', 'text-anchor': 'middle' },
            `${number(p.comuni)} ${p.comuni === 1 ? 'Comune' : 'Comuni'}`,
          ),
    ),
  );
  const line = s('polyline', {
    points: series.map((p, i) => `${cx(i) - barW / 2 - 1},${y(p.due)}`).join(' '),
    class: 'line-due',
  });
  const lineActive = s('polyline', {
    points: series.map((p, i) => `${cx(i) + barW / 2 + 1},${y(p.active)}`).join(' '),
    class: 'line-active',
  });
  const yLabel = s(
    'text',
    {
      x: 14,
      y: m.top + plotH / 2,
      transform: `rotate(-90 14 ${m.top + plotH / 2})`,
      'text-anchor': 'middle',
      class: 'axis-label',
    },
    'Servizi (cumulativo)',
  );
  const xLabel = s(
    'text',
    { x: m.left + plotW / 2, y: height - 8, 'text-anchor': 'middle', class: 'axis-label' },
    'Scadenze contrattuali',
  );

  return h(
    'figure',
    { class: 'chart-figure' },
    accessibleSvg(
      {
        width,
        height,
        title: 'Servizi da attivare entro ogni scadenza e servizi attivi',
        desc: series.map((p) => `${p.label}: ${p.due} da attivare, ${p.active} attivi`).join('; '),
      },
      ...grid,
      ...bars,
      series.length > 1 ? line : null,
      series.length > 1 ? lineActive : null,
      yLabel,
      xLabel,
    ),
    h(
      'figcaption',
      null,
      h('span', { class: 'legend legend-due' }, 'Servizi da attivare entro la scadenza (cumulativo)'),
      h('span', { class: 'legend legend-active' }, 'Servizi attivi degli stessi Comuni (cumulativo)'),
      series.some((p) => p.past)
        ? h('span', { class: 'legend-note tick-past' }, 'In rosso le scadenze passate')
        : null,
    ),
    dataTable(
      'Servizi per scadenza',
      ['Scadenza', 'Comuni', 'Servizi da attivare (cumulativo)', 'Servizi attivi (cumulativo)'],
      series.map((p) => [p.label, number(p.comuni), number(p.due), number(p.active)]),
    ),
  );
}
