// @ts-check
// Importa: upload an IPA CSV, then follow the import job and read its row-level report.

import { api, download } from '../api.js';
import { importOptionalColumns, importRequiredColumns } from '../domain-labels.js';
import { dateTime, field, h, infoBox, number, pageTitle, problemBox, stepForm, table } from '../ui.js';

const POLL_MS = 1000;
// The CSV's columns come from the API's own parser (api/import/csv.ts) through /domain-labels.js. The partner's
// columns (contract date, secretary, Mayor) are optional: the rest of `importRequiredColumns` is IndicePA's.
const PARTNER = /^(Data_contratto|Segretario_|Sindaco_)/;
const REQUIRED = importRequiredColumns.filter((c) => !PARTNER.test(c));
const OPTIONAL = [...importRequiredColumns.filter((c) => PARTNER.test(c)), ...importOptionalColumns];

/** @typedef {import('../api.js').Schemas['BulkJob']} BulkJob */
/** @typedef {import('../api.js').Schemas['PastImport']} PastImport */

/** A job error that is a Comune whose journey already exists ("Il percorso di … è già in corso"): its name. */
const ALREADY = /^Il percorso di (.+?) (?:è già|è stato ritirato|si è chiuso)/;

/** @param {import('../app.js').PageContext} ctx */
function uploadForm(ctx) {
  return stepForm({
    id: 'form-importa',
    headingLevel: 'h2',
    title: 'Carica il file',
    description:
      'Il CSV degli enti di IndicePA così come scaricato (sono importati solo i Comuni, categoria L6; le altre righe vengono scartate con il motivo). Il responsabile indicato da IPA è il Sindaco; senza e-mail del segretario o del sindaco si scrive alla PEC del Comune e la riga è segnalata tra i contatti da completare. Separatore virgola o punto e virgola, codifica UTF-8.',
    body: [
      field({
        label: 'File CSV',
        name: 'file',
        type: 'file',
        accept: '.csv,text/csv',
        required: true,
      }),
      field({
        label: 'Data del contratto',
        name: 'contractDate',
        type: 'date',
        hint: 'Vale per tutte le righe; la colonna Data_contratto, dove presente, prevale per la sua riga.',
      }),
      h(
        'details',
        { class: 'columns-help' },
        h('summary', null, 'Colonne del file'),
        h('p', null, 'Di IndicePA (obbligatorie): ', h('code', null, REQUIRED.join(', '))),
        h('p', null, 'Del partner (facoltative): ', h('code', null, OPTIONAL.join(', '))),
        h(
          'p',
          null,
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-ghost',
              'data-testid': 'import-template',
              onclick: async (/** @type {MouseEvent} */ event) => {
                const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
                button.disabled = true;
                try {
                  await download('/imports/template.csv', 'modello-importazione-comuni.csv');
                } catch (err) {
                  button.after(problemBox(err, { compact: true }));
                } finally {
                  button.disabled = false;
                }
              },
            },
            'Scarica il modello CSV',
          ),
        ),
      ),
    ],
    submitLabel: 'Importa',
    onSubmit: async (form, key) => {
      const body = new FormData();
      body.append('file', /** @type {File} */ (form.get('file')));
      const contractDate = String(form.get('contractDate') || '');
      if (contractDate) body.append('contractDate', contractDate);
      /** @type {import('../api.js').ApiResponse<'/imports', 'post'>} */
      const { jobId } = await api('/imports', { method: 'POST', form: body, idempotencyKey: key });
      if (!jobId) throw { status: 422, problem: { title: 'Nessun Comune importabile' } };
      ctx.navigate(`#/importa/${encodeURIComponent(jobId)}`);
    },
  });
}

/**
 * As of when the progress is shown: the job's last record (written at each of its steps), or read now from the job.
 * @param {BulkJob['freshness'] | undefined} freshness
 */
function progressFreshness(freshness) {
  if (!freshness) return null;
  const text =
    freshness.source === 'read-model'
      ? `Avanzamento registrato al ${dateTime(freshness.asOf)}`
      : 'Avanzamento letto ora dall’importazione';
  return h('p', { class: 'muted freshness', 'data-testid': 'freshness' }, text);
}

/** @param {BulkJob} job */
function statusView(job) {
  const done = job.status === 'completed';
  const stopped = job.status === 'failed';
  const rejected = job.rejected ?? [];
  const rejectedCount = Math.max(job.rejectedCount ?? 0, rejected.length);
  // Rows of the file: the refused ones were handled when it was read, the others by the job.
  const total = job.rows ?? (job.total ?? 0) + rejectedCount;
  const processed = Math.min(total, (job.processed ?? 0) + rejectedCount);
  const percent = total ? Math.round((processed / total) * 100) : done ? 100 : 0;
  const warned = job.warnings ?? [];
  /** The row's IPA code: `ipaCode`, or the job's `key` unless it is only the line ("riga 12"). */
  const ipaOf = (/** @type {BulkJob['rejected'][number] & { ipaCode?: string }} */ r) =>
    r.ipaCode || (r.key && !/^riga /.test(r.key) ? r.key : '');
  const allErrors = job.errors ?? [];
  const already = allErrors.filter((e) => ALREADY.test(e.message));
  const errors = allErrors.filter((e) => !ALREADY.test(e.message));
  /** @param {string} item */
  const comuneLink = (item, text = item) =>
    /^[a-z0-9_]{2,20}$/.test(item) ? h('a', { href: `#/comuni/${item}` }, text) : text;
  return [
    h(
      'div',
      { class: 'progress-block' },
      h(
        'label',
        { for: 'import-progress' },
        done ? 'Importazione completata' : stopped ? 'Importazione interrotta' : 'Importazione in corso…',
      ),
      h('progress', { id: 'import-progress', max: total || 1, value: done && !total ? 1 : processed }),
      h(
        'p',
        { class: 'progress-text', role: 'status' },
        `${number(processed)} di ${number(total)} righe elaborate (${percent}%)`,
      ),
      progressFreshness(job.freshness),
    ),
    stopped && job.interruption
      ? h('div', { class: 'alert alert-warning', role: 'alert' }, job.interruption)
      : null,
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
        h('dt', null, 'Già avviati'),
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
    already.length
      ? h(
          'section',
          { class: 'panel', 'aria-labelledby': 'h-gia-avviati' },
          h('h2', { id: 'h-gia-avviati' }, 'Già avviati'),
          h(
            'p',
            { class: 'muted' },
            'Comuni il cui percorso era già in corso o concluso: non sono stati riavviati.',
          ),
          h(
            'ul',
            { class: 'already-started', 'data-testid': 'import-already' },
            already.map((e) =>
              h('li', null, comuneLink(e.item, ALREADY.exec(e.message)?.[1] ?? e.item), ' — ', e.message),
            ),
          ),
        )
      : null,
    warned.length
      ? h(
          'section',
          { class: 'panel', 'aria-labelledby': 'h-contatti' },
          h('h2', { id: 'h-contatti' }, 'Contatti da completare'),
          h(
            'p',
            { class: 'muted' },
            'Comuni avviati scrivendo alla PEC: completare i contatti nella scheda del Comune.',
          ),
          table({
            caption: 'Comuni avviati con contatti da completare',
            captionHidden: true,
            columns: ['Riga', 'Comune', 'Da completare'],
            rows: warned.map((w) =>
              h(
                'tr',
                null,
                h('td', { class: 'num' }, String(w.line)),
                h('td', null, comuneLink(w.key, w.name || w.key)),
                h(
                  'td',
                  null,
                  h(
                    'ul',
                    { class: 'issues' },
                    w.warnings.map((e) => h('li', null, h('strong', null, e.field), ': ', e.message)),
                  ),
                ),
              ),
            ),
          }),
        )
      : null,
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
              h('tr', null, h('td', null, comuneLink(e.item)), h('td', null, e.message)),
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
async function pastImports(ctx) {
  const section = h(
    'section',
    { class: 'panel past-imports', 'aria-labelledby': 'h-precedenti' },
    h('h2', { id: 'h-precedenti' }, 'Importazioni precedenti'),
  );
  if (!ctx.can('get', '/imports')) return null;
  try {
    /** @type {{ imports: PastImport[] }} */
    const { imports } = await api('/imports', { signal: ctx.signal });
    section.append(
      table({
        caption: 'Importazioni recenti, dalla più nuova',
        captionHidden: true,
        columns: ['Data', 'Righe', 'Avviati', 'Già avviati', 'Scartate', 'Contatti da completare'],
        empty: 'Nessuna importazione.',
        rows: imports.map((i) =>
          h(
            'tr',
            null,
            h(
              'td',
              null,
              h('a', { href: `#/importa/${encodeURIComponent(i.jobId)}` }, dateTime(i.startedAt)),
              i.status === 'running' ? ' (in corso)' : i.status === 'failed' ? ' (interrotta)' : '',
            ),
            h('td', { class: 'num' }, number(i.rows)),
            h('td', { class: 'num' }, i.started === undefined ? '—' : number(i.started)),
            h('td', { class: 'num' }, i.alreadyRunning === undefined ? '—' : number(i.alreadyRunning)),
            h('td', { class: 'num' }, number(i.refused)),
            h('td', { class: 'num' }, number(i.warnings)),
          ),
        ),
      }),
    );
  } catch (error) {
    if (ctx.signal.aborted) return null;
    section.append(problemBox(error, { compact: true }));
  }
  return section;
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
  if (!ctx.can('post', '/imports')) {
    return h(
      'section',
      { class: 'narrow' },
      head,
      infoBox('L’importazione dei Comuni è riservata ai responsabili.'),
    );
  }
  if (!jobId) return h('section', { class: 'narrow' }, head, uploadForm(ctx), await pastImports(ctx));

  const body = h('div', { 'aria-live': 'off' });
  // The import is named by when it started, as the list of past imports names it (never by its internal id).
  const subtitle = h('p', { class: 'muted' }, 'Importazione');
  const root = h('section', null, head, subtitle, body);
  const poll = async () => {
    try {
      /** @type {BulkJob} */
      const job = await api(`/imports/${encodeURIComponent(jobId)}`, { signal: ctx.signal });
      if (ctx.signal.aborted) return;
      body.replaceChildren(...statusView(job).filter(Boolean));
      if (job.status === 'running') setTimeout(poll, POLL_MS);
    } catch (error) {
      if (/** @type {import('../api.js').Failure} */ (error).name === 'AbortError' || ctx.signal.aborted)
        return;
      body.replaceChildren(problemBox(error));
    }
  };
  /** @type {BulkJob} */
  const first = await api(`/imports/${encodeURIComponent(jobId)}`, { signal: ctx.signal });
  const startedAt = /** @type {{ startedAt?: string }} */ (first).startedAt;
  if (startedAt) subtitle.textContent = `Importazione del ${dateTime(startedAt)}`;
  body.replaceChildren(...statusView(first).filter(Boolean));
  if (first.status === 'running') setTimeout(poll, POLL_MS);
  return root;
}
