// @ts-check
// Importa: upload an IPA CSV, then follow the import job and read its row-level report.

import { api } from '../api.js';
import { importOptionalColumns, importRequiredColumns } from '../domain-labels.js';
import { field, h, infoBox, number, pageTitle, problemBox, stepForm, table } from '../ui.js';

const POLL_MS = 1000;
// The CSV's columns come from the API's own parser (api/import/csv.ts) through /domain-labels.js.
const REQUIRED = importRequiredColumns;
const OPTIONAL = importOptionalColumns;

/** @typedef {import('../api.js').Schemas['BulkJob']} BulkJob */

/** @param {import('../app.js').PageContext} ctx */
function uploadForm(ctx) {
  return stepForm({
    id: 'form-importa',
    headingLevel: 'h2',
    title: 'Carica il file',
    description:
      'Il CSV degli enti esportato da IndicePA (solo i Comuni, categoria L6) con le colonne del partner. Separatore virgola o punto e virgola, codifica UTF-8. Ogni riga avvia il percorso di un Comune; le righe con errori vengono scartate e indicate una per una.',
    body: [
      field({
        label: 'File CSV',
        name: 'file',
        type: 'file',
        accept: '.csv,text/csv',
        required: true,
      }),
      h(
        'details',
        { class: 'columns-help' },
        h('summary', null, 'Colonne del file'),
        h('p', null, 'Obbligatorie: ', h('code', null, REQUIRED.join(', '))),
        h('p', null, 'Facoltative: ', h('code', null, OPTIONAL.join(', '))),
      ),
    ],
    submitLabel: 'Importa',
    onSubmit: async (form, key) => {
      const body = new FormData();
      body.append('file', /** @type {File} */ (form.get('file')));
      /** @type {import('../api.js').ApiResponse<'/imports', 'post'>} */
      const { jobId } = await api('/imports', { method: 'POST', form: body, idempotencyKey: key });
      if (!jobId) throw { status: 422, problem: { title: 'Nessun Comune importabile' } };
      ctx.navigate(`#/importa/${encodeURIComponent(jobId)}`);
    },
  });
}

/** @param {BulkJob} job */
function statusView(job) {
  const done = job.status === 'completed';
  const total = job.total ?? 0;
  const processed = job.processed ?? 0;
  const percent = total ? Math.round((processed / total) * 100) : done ? 100 : 0;
  const rejected = job.rejected ?? [];
  const rejectedCount = Math.max(job.rejectedCount ?? 0, rejected.length);
  /** The row's IPA code: `ipaCode`, or the job's `key` unless it is only the line ("riga 12"). */
  const ipaOf = (/** @type {BulkJob['rejected'][number] & { ipaCode?: string }} */ r) =>
    r.ipaCode || (r.key && !/^riga /.test(r.key) ? r.key : '');
  const errors = job.errors ?? [];
  return [
    h(
      'div',
      { class: 'progress-block' },
      h('label', { for: 'import-progress' }, done ? 'Importazione completata' : 'Importazione in corso…'),
      h('progress', { id: 'import-progress', max: total || 1, value: done && !total ? 1 : processed }),
      h(
        'p',
        { class: 'progress-text', role: 'status' },
        `${number(processed)} di ${number(total)} righe elaborate (${percent}%)`,
      ),
    ),
    h(
      'dl',
      { class: 'kpis kpis-small' },
      h(
        'div',
        { class: 'kpi kpi-success' },
        h('dt', null, 'Avviati'),
        h(
          'dd',
          null,
          h('span', { class: 'kpi-value', 'data-testid': 'import-started' }, number(job.started ?? 0)),
        ),
      ),
      h(
        'div',
        { class: 'kpi kpi-info' },
        h('dt', null, 'Già in corso'),
        h('dd', null, h('span', { class: 'kpi-value' }, number(job.alreadyRunning ?? 0))),
      ),
      h(
        'div',
        { class: 'kpi' },
        h('dt', null, 'Saltati'),
        h('dd', null, h('span', { class: 'kpi-value' }, number(job.skipped ?? 0))),
      ),
      h(
        'div',
        { class: ['kpi', job.failed ? 'kpi-danger' : ''] },
        h('dt', null, 'Non riusciti'),
        h('dd', null, h('span', { class: 'kpi-value' }, number(job.failed ?? 0))),
      ),
      h(
        'div',
        { class: ['kpi', rejected.length ? 'kpi-warning' : ''] },
        h('dt', null, 'Righe scartate'),
        h('dd', null, h('span', { class: 'kpi-value' }, number(rejectedCount))),
      ),
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'h-scartate' },
      h('h2', { id: 'h-scartate' }, 'Righe scartate'),
      rejectedCount > rejected.length
        ? h(
            'p',
            { class: 'muted' },
            `Sono elencate le prime ${number(rejected.length)} di ${number(rejectedCount)}.`,
          )
        : null,
      table({
        caption: 'Righe del file scartate, con i motivi',
        captionHidden: true,
        columns: ['Riga', 'Codice IPA', 'Errori'],
        empty: 'Nessuna riga scartata.',
        rows: rejected.map((r) =>
          h(
            'tr',
            null,
            h('td', { class: 'num' }, String(r.line)),
            h('td', null, ipaOf(r) || '—'),
            h(
              'td',
              null,
              h(
                'ul',
                { class: 'issues' },
                (r.errors || []).map((e) => h('li', null, h('strong', null, e.field), ': ', e.message)),
              ),
            ),
          ),
        ),
      }),
    ),
    errors.length
      ? h(
          'section',
          { class: 'panel', 'aria-labelledby': 'h-errori' },
          h('h2', { id: 'h-errori' }, 'Comuni non avviati'),
          table({
            caption: 'Errori durante l’avvio',
            captionHidden: true,
            columns: ['Comune', 'Errore'],
            rows: errors.map((e) =>
              h(
                'tr',
                null,
                h(
                  'td',
                  null,
                  /^[a-z0-9_]{2,20}$/.test(e.item) ? h('a', { href: `#/comuni/${e.item}` }, e.item) : e.item,
                ),
                h('td', null, e.message),
              ),
            ),
          }),
        )
      : null,
    done
      ? h(
          'p',
          { class: 'form-actions' },
          h('a', { class: 'btn btn-primary', href: '#/comuni' }, 'Vai all’elenco dei Comuni'),
          h('a', { class: 'btn btn-ghost', href: '#/importa' }, 'Importa un altro file'),
        )
      : null,
  ];
}

/** @param {import('../app.js').PageContext} ctx */
export default async function importPage(ctx) {
  const [jobId] = ctx.params;
  const head = [
    pageTitle('Importa Comuni'),
    h('p', { class: 'lead' }, 'Avvia il percorso di molti Comuni insieme da un file CSV di IndicePA.'),
  ];
  if (!ctx.has('post', '/imports')) {
    return h(
      'section',
      { class: 'narrow' },
      head,
      infoBox('L’importazione da CSV non è ancora disponibile su questo server.'),
    );
  }
  if (!jobId) return h('section', { class: 'narrow' }, head, uploadForm(ctx));

  const body = h('div', { 'aria-live': 'off' });
  const root = h('section', null, head, h('p', { class: 'muted' }, `Importazione ${jobId}`), body);
  const poll = async () => {
    try {
      /** @type {BulkJob} */
      const job = await api(`/imports/${encodeURIComponent(jobId)}`, { signal: ctx.signal });
      if (ctx.signal.aborted) return;
      body.replaceChildren(...statusView(job).filter(Boolean));
      if (job.status !== 'completed') setTimeout(poll, POLL_MS);
    } catch (error) {
      if (/** @type {import('../api.js').Failure} */ (error).name === 'AbortError' || ctx.signal.aborted)
        return;
      body.replaceChildren(problemBox(error));
    }
  };
  /** @type {BulkJob} */
  const first = await api(`/imports/${encodeURIComponent(jobId)}`, { signal: ctx.signal });
  body.replaceChildren(...statusView(first).filter(Boolean));
  if (first.status !== 'completed') setTimeout(poll, POLL_MS);
  return root;
}
