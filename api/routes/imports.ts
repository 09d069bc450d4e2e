import type { WorkflowExecutionInfo } from '@temporalio/client';
import multer from 'multer';
import { ulid } from 'ulid';
import {
  bulkJobWorkflowId,
  getBulkJobStateQuery,
  initialBulkJobState,
  type BulkJobInput,
  type BulkJobKind,
  type BulkJobState,
} from '../../contracts/bulk';
import type { RegistrationDefaults } from '../import/registration';
import { csvColumnOf, parseIpaCsv, templateCsv, type IpaCsvOptions } from '../import/csv';
import { buildRows, parseJsonImport, type ImportParse } from '../import/rows';
import { endOfDayInRome } from '../import/italian-dates';
import { storeBulkItems } from '../import/jobs';
import { actorLabel } from '../auth/roles';
import type { ApiContext } from '../context';
import { freshnessSchema, type Freshness } from '../freshness';
import { bulkJobDocumentOwner } from '../../contracts/read-model';
import type { ApiBuilder } from '../endpoint';
import { listComuni, listFiltersSchema } from '../portfolio';
import { HttpProblem } from '../problem';
import { temporalCall } from '../temporal-errors';
import { z } from '../zod';

const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 20 * 1024 * 1024, files: 1 } });
/** Rows refused while reading (and rows with warnings) are kept with the job (in its memo), up to this many. */
const REJECTED_KEPT = 1_000;
/** Past imports listed; visibility records scanned at most to find them. */
const PAST_IMPORTS_SHOWN = 20;
const PAST_IMPORTS_SCAN = 1_000;
const IMPORT_WORKFLOW_PREFIX = 'bulk:import:';

const rowErrorSchema = z.object({ field: z.string(), message: z.string() });
const rejectedRowSchema = z.object({ line: z.number(), key: z.string(), errors: z.array(rowErrorSchema) });
type RejectedRow = z.infer<typeof rejectedRowSchema>;
/** An imported row with what it lacks, e.g. contacts to complete: `errors` are warnings, not refusals. */
const warnedRowSchema = z.object({
  line: z.number(),
  key: z.string(),
  name: z.string().optional(),
  warnings: z.array(rowErrorSchema),
});
type WarnedRow = z.infer<typeof warnedRowSchema>;
type ImportMemo = { rejected?: RejectedRow[]; rejectedCount?: number; rows?: number; warnings?: WarnedRow[] };

/** How a job closed before its end (Temporal's status), in Italian: an importazione and an azione are feminine. */
const JOB_CLOSED_AS: Record<string, string> = {
  TERMINATED: 'fermata da un amministratore',
  CANCELED: 'annullata',
  FAILED: 'non riuscita',
  TIMED_OUT: 'scaduta',
};

/**
 * A job's status, for its page and the list of past imports alike: completed when its progress says so, running while
 * Temporal runs it, otherwise stopped before its end (`failed`).
 */
function jobStatus(temporalStatus: string, state: Pick<BulkJobState, 'status'> | undefined) {
  if (state?.status === 'completed') return 'completed' as const;
  return temporalStatus === 'RUNNING' ? ('running' as const) : ('failed' as const);
}

/**
 * Why a job stopped before its end (closed in Temporal while its progress says running), in Italian; undefined for a
 * job still running. The items it had reached are done; the others were not touched.
 */
function jobInterruption(temporalStatus: string, state: Pick<BulkJobState, 'kind' | 'processed' | 'total'>) {
  const closedAs = JOB_CLOSED_AS[temporalStatus];
  if (!closedAs) return undefined;
  const left = state.total - state.processed;
  const one = left === 1;
  const comuni = `${left} ${one ? 'Comune' : 'Comuni'} su ${state.total} non ${one ? 'è stato' : 'sono stati'}`;
  return state.kind === 'import'
    ? `Importazione ${closedAs} prima della fine: ${comuni} ${one ? 'avviato' : 'avviati'}. ` +
        'Importare di nuovo lo stesso file: i Comuni già avviati non partono una seconda volta.'
    : `Azione massiva ${closedAs} prima della fine: ${comuni} ${one ? 'elaborato' : 'elaborati'}.`;
}

const jobSchema = z
  .object({
    jobId: z.string(),
    kind: z.string(),
    /** `failed`: the job closed before its end (terminated, cancelled, failed or timed out); see `interruption`. */
    status: z.enum(['running', 'completed', 'failed']),
    /** Why a `failed` job stopped, in Italian: the rows it did not reach were not started. */
    interruption: z.string().optional(),
    total: z.number(),
    processed: z.number(),
    started: z.number(),
    alreadyRunning: z.number(),
    applied: z.number(),
    skipped: z.number(),
    failed: z.number(),
    errors: z.array(z.object({ item: z.string(), message: z.string() })),
    rejected: z.array(rejectedRowSchema),
    rejectedCount: z.number(),
    /** Imports: the rows of the file (started or not, refused included). */
    rows: z.number().optional(),
    /** Imports: rows started with something to complete (contacts), by row. */
    warnings: z.array(warnedRowSchema).optional(),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    /** The job's progress as of: the read model the worker writes at each of its tasks, or the job itself. */
    freshness: freshnessSchema,
  })
  .openapi('BulkJob');
const acceptedSchema = z.object({
  jobId: z.string().optional(),
  accepted: z.number(),
  rejected: z.array(rejectedRowSchema),
  rejectedCount: z.number(),
  warnings: z.array(warnedRowSchema),
});
const pastImportSchema = z
  .object({
    jobId: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    /** Rows of the file. */
    rows: z.number(),
    started: z.number().optional(),
    alreadyRunning: z.number().optional(),
    refused: z.number(),
    warnings: z.number(),
  })
  .openapi('PastImport');
const contractDateField = z.object({
  contractDate: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.iso.date({ error: 'data del contratto: attesa AAAA-MM-GG' }).optional())
    .describe('Data del contratto (AAAA-MM-GG) per tutte le righe senza colonna Data_contratto'),
});

const filterBody = z.object({ filter: listFiltersSchema.default({}) });

export function registerImportRoutes(api: ApiBuilder, ctx: ApiContext, defaults: RegistrationDefaults): void {
  async function startJob(
    kind: BulkJobKind,
    actor: string,
    items: readonly unknown[],
    extra: {
      params?: { deadline?: string; reason?: string };
      rejected?: RejectedRow[];
      rows?: number;
      warnings?: WarnedRow[];
    } = {},
  ): Promise<string> {
    const jobId = ulid();
    const { itemsRef, itemCount } = await storeBulkItems(ctx.documents, items);
    const workflowId = bulkJobWorkflowId(kind, jobId);
    const input: BulkJobInput = {
      kind,
      actor,
      itemsRef,
      itemCount,
      ...(extra.params ? { params: extra.params } : {}),
    };
    await writeStartingProgress(workflowId, input);
    await ctx.client.workflow.start('bulkJobWorkflow', {
      taskQueue: ctx.taskQueue,
      workflowId,
      args: [input],
      memo: {
        rejected: (extra.rejected ?? []).slice(0, REJECTED_KEPT),
        rejectedCount: extra.rejected?.length ?? 0,
        ...(extra.rows !== undefined ? { rows: extra.rows } : {}),
        ...(extra.warnings ? { warnings: extra.warnings.slice(0, REJECTED_KEPT) } : {}),
      },
    });
    return jobId;
  }

  async function importRows(parse: ImportParse, actor: string, csv: boolean) {
    if (!parse.ok) throw new HttpProblem(400, 'File non valido', parse.error);
    const built = await buildRows(parse.rows, defaults, csv ? csvColumnOf : undefined);
    const inputs = built.flatMap((r) => (r.input ? [r.input] : []));
    const rejected = built.flatMap((r) => (r.errors ? [{ line: r.line, key: r.key, errors: r.errors }] : []));
    if (inputs.length === 0) {
      throw new HttpProblem(
        422,
        'Nessun Comune importabile',
        rejected
          .slice(0, 20)
          .map((r) => `riga ${r.line}: ${r.errors.map((e) => `${e.field}: ${e.message}`).join(', ')}`)
          .join('; '),
        rejected
          .slice(0, 100)
          .flatMap((r) => r.errors.map((e) => ({ field: `riga ${r.line}.${e.field}`, message: e.message }))),
      );
    }
    const warnings = built.flatMap((r) =>
      r.input && r.warnings
        ? [{ line: r.line, key: r.key, name: r.input.comune.name, warnings: r.warnings }]
        : [],
    );
    const jobId = await startJob('import', actor, inputs, { rejected, rows: built.length, warnings });
    return {
      jobId,
      accepted: inputs.length,
      rejected: rejected.slice(0, REJECTED_KEPT),
      rejectedCount: rejected.length,
      warnings: warnings.slice(0, REJECTED_KEPT),
    };
  }

  api.add({
    method: 'post',
    path: '/imports',
    summary:
      'Importa Comuni dal CSV degli enti di IndicePA (così come scaricato): avvia un job in background',
    description:
      'Colonne IPA: Codice_IPA, Denominazione_ente, Codice_fiscale_ente, Codice_Categoria, Codice_comune_ISTAT, ' +
      'Codice_catastale_comune, Mail1, Tipo_Mail1, Sito_istituzionale, Nome_responsabile, Cognome_responsabile ' +
      '(le altre sono ignorate; il responsabile di un Comune è il Sindaco). Colonne facoltative del partner: ' +
      'Data_contratto, Scadenza, Pacchetto_servizi, Segretario_nome, Segretario_email, Sindaco_nome, ' +
      'Sindaco_email, Sindaco_codice_fiscale, Portale_tenant. La data del contratto vale per tutto il file ' +
      '(campo contractDate) salvo la colonna Data_contratto della riga. Senza e-mail del segretario o del ' +
      'sindaco si usa la PEC del Comune e la riga è segnalata tra i contatti da completare. Reimportare è innocuo.',
    tags: ['Importazione'],
    role: 'manager',
    multipart: { fields: contractDateField, fileField: 'file', fileDescription: 'Il file CSV' },
    middleware: [upload.single('file')],
    successStatus: 202,
    response: acceptedSchema,
    errors: { 413: 'File troppo grande', 422: 'Nessuna riga importabile' },
    handler: async ({ req, body, actor }) => {
      if (!req.file || req.file.size === 0) {
        throw new HttpProblem(400, 'Richiesta non valida', 'file: manca il CSV', [
          { field: 'body.file', message: 'obbligatorio' },
        ]);
      }
      const { contractDate } = body as z.infer<typeof contractDateField>;
      const options: IpaCsvOptions = contractDate ? { contractDate } : {};
      return importRows(await parseIpaCsv(req.file.buffer, options), actorLabel(actor), true);
    },
  });

  api.add({
    method: 'post',
    path: '/imports/json',
    summary: 'Importa Comuni da JSON `{ comuni: [...] }`: avvia un job in background',
    tags: ['Importazione'],
    role: 'manager',
    body: z.object({ comuni: z.array(z.record(z.string(), z.unknown())).min(1).max(10_000) }),
    successStatus: 202,
    response: acceptedSchema,
    errors: { 422: 'Nessuna voce importabile' },
    handler: async ({ body, actor }) => importRows(await parseJsonImport(body), actorLabel(actor), false),
  });

  const jobParams = z.object({
    jobId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'identificativo del job'),
  });
  /**
   * Puts the job's progress at its start (nothing processed yet) in the read model before the job starts, so its page
   * answers from there even before the job's first task, which may wait behind the journeys of an earlier import. The
   * job's own writes come after and replace it. Best effort: without it the page queries the job.
   */
  async function writeStartingProgress(workflowId: string, input: BulkJobInput): Promise<void> {
    if (!ctx.readModel) return;
    const now = new Date().toISOString();
    await ctx.readModel
      .write({
        ipa: bulkJobDocumentOwner(workflowId),
        asOf: now,
        documents: [{ key: 'job', json: JSON.stringify(initialBulkJobState(input, now)) }],
      })
      .catch((err: unknown) => ctx.logger.warn({ err, workflowId }, 'job progress not written at its start'));
  }

  /**
   * The job's progress from the read model (written by the worker at the end of each of the job's tasks), so the page
   * never waits behind the journeys the job starts; a query of the job when it has not written it (yet).
   */
  async function jobProgress(
    handle: ReturnType<typeof ctx.client.workflow.getHandle>,
  ): Promise<{ state: BulkJobState; freshness: Freshness }> {
    const written = await writtenProgress(handle);
    if (written) return { state: written.document, freshness: { source: 'read-model', asOf: written.asOf } };
    const state = await handle.query(getBulkJobStateQuery);
    return { state, freshness: { source: 'workflow', asOf: new Date().toISOString() } };
  }

  /** The job's progress as it last wrote it in the read model; undefined when it has not. */
  function writtenProgress(handle: ReturnType<typeof ctx.client.workflow.getHandle>) {
    return (
      ctx.readModel
        ?.read<BulkJobState>(bulkJobDocumentOwner(handle.workflowId), 'job')
        .catch((err: unknown) => {
          ctx.logger.warn(
            { err, workflowId: handle.workflowId },
            'job progress not read from the read model',
          );
          return undefined;
        }) ?? Promise.resolve(undefined)
    );
  }

  async function readJob(kind: BulkJobKind, jobId: string) {
    const handle = ctx.client.workflow.getHandle(bulkJobWorkflowId(kind, jobId));
    // Described too: a job that Temporal no longer has is a 404, whatever the read model holds; and a job closed
    // before its end keeps «running» in its last progress, which only Temporal can correct.
    const [progress, description] = await temporalCall(
      () => Promise.all([jobProgress(handle), handle.describe()]),
      'Job',
    );
    const { state: s, freshness } = await closedJobProgress(handle, description.status.name, progress);
    const memo = (description.memo ?? {}) as ImportMemo;
    const status = jobStatus(description.status.name, s);
    const interruption = status === 'failed' ? jobInterruption(description.status.name, s) : undefined;
    return {
      jobId,
      kind: s.kind,
      status,
      ...(interruption ? { interruption } : {}),
      total: s.total,
      processed: s.processed,
      started: s.started,
      alreadyRunning: s.alreadyRunning,
      applied: s.applied,
      skipped: s.skipped,
      failed: s.failed,
      errors: s.errors,
      rejected: memo.rejected ?? [],
      rejectedCount: memo.rejectedCount ?? 0,
      ...(kind === 'import' ? { rows: memo.rows ?? s.total + (memo.rejectedCount ?? 0) } : {}),
      ...(memo.warnings ? { warnings: memo.warnings } : {}),
      startedAt: s.startedAt,
      ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}),
      freshness,
    };
  }

  /**
   * A job Temporal says completed while its document still says running (its last write lost): its result, which is
   * its final progress. Otherwise the progress as read.
   */
  async function closedJobProgress(
    handle: ReturnType<typeof ctx.client.workflow.getHandle>,
    temporalStatus: string,
    progress: { state: BulkJobState; freshness: Freshness },
  ): Promise<{ state: BulkJobState; freshness: Freshness }> {
    if (temporalStatus !== 'COMPLETED' || progress.state.status === 'completed') return progress;
    const state = (await temporalCall(() => handle.result(), 'Job')) as BulkJobState;
    return { state, freshness: { source: 'workflow', asOf: new Date().toISOString() } };
  }

  api.add({
    method: 'get',
    path: '/imports/template.csv',
    summary: 'Modello CSV per l’importazione: le colonne di IndicePA e quelle facoltative del partner',
    tags: ['Importazione'],
    role: 'manager',
    response: 'csv',
    handler: async ({ res }) => {
      res.attachment('modello-importazione-comuni.csv');
      return templateCsv();
    },
  });

  api.add({
    method: 'get',
    path: '/imports',
    summary: 'Le 20 importazioni più recenti, dalla più nuova: data, righe, Comuni avviati, righe scartate',
    tags: ['Importazione'],
    role: 'manager',
    response: z.object({ imports: z.array(pastImportSchema) }),
    handler: async () => ({ imports: await pastImports(PAST_IMPORTS_SHOWN) }),
  });

  /** The import jobs of Temporal's visibility (one entry per job, its latest run), newest first. */
  async function pastImports(limit: number): Promise<z.infer<typeof pastImportSchema>[]> {
    const latest = new Map<string, WorkflowExecutionInfo>();
    let scanned = 0;
    const listing = ctx.client.workflow.list({ query: "WorkflowType = 'bulkJobWorkflow'", pageSize: 200 });
    for await (const wf of listing) {
      if (++scanned > PAST_IMPORTS_SCAN) break;
      if (!wf.workflowId.startsWith(IMPORT_WORKFLOW_PREFIX)) continue;
      const seen = latest.get(wf.workflowId);
      if (!seen || wf.startTime > seen.startTime) latest.set(wf.workflowId, wf);
    }
    // A job's first run started it: the job id is a ULID, ordered by time.
    const newest = [...latest.values()]
      .sort((a, b) => b.workflowId.localeCompare(a.workflowId))
      .slice(0, limit);
    return Promise.all(
      newest.map(async (wf) => {
        const memo = (wf.memo ?? {}) as ImportMemo;
        const running = wf.status.name === 'RUNNING';
        const handle = ctx.client.workflow.getHandle(wf.workflowId);
        // A running job's progress from the read model, like its page (a query would wait behind its journeys); a
        // completed job's result; a job closed before its end (no result) its last written progress. Never a query:
        // the list is read at once, whatever the worker is doing.
        const lastWritten = () => writtenProgress(handle).then((w) => w?.document);
        const state: BulkJobState | undefined = await (
          running ? lastWritten() : handle.result().catch(lastWritten)
        ).catch(() => undefined);
        const refused = memo.rejectedCount ?? 0;
        return {
          jobId: wf.workflowId.slice(IMPORT_WORKFLOW_PREFIX.length),
          status: jobStatus(wf.status.name, state),
          startedAt: state?.startedAt ?? wf.startTime.toISOString(),
          ...(state?.finishedAt ? { finishedAt: state.finishedAt } : {}),
          rows: memo.rows ?? (state ? state.total + refused : refused),
          ...(state ? { started: state.started, alreadyRunning: state.alreadyRunning } : {}),
          refused,
          warnings: memo.warnings?.length ?? 0,
        };
      }),
    );
  }

  api.add({
    method: 'get',
    path: '/imports/:jobId',
    summary: 'Avanzamento e resoconto riga per riga di un’importazione',
    tags: ['Importazione'],
    role: 'manager',
    params: jobParams,
    response: jobSchema,
    errors: { 404: 'Job non trovato' },
    handler: async ({ params }) => readJob('import', params.jobId),
  });

  for (const bulk of [
    {
      kind: 'remind' as const,
      path: '/bulk/reminders',
      summary: 'Sollecita ora tutti i Comuni del filtro (job in background)',
      body: filterBody,
    },
    {
      kind: 'move_deadline' as const,
      path: '/bulk/deadline',
      summary: 'Sposta la scadenza di tutti i Comuni del filtro (job in background)',
      body: filterBody.extend({
        deadline: z.union([z.iso.date(), z.iso.datetime({ offset: true })]),
        reason: z.string().trim().min(3).max(500),
      }),
    },
  ]) {
    api.add({
      method: 'post',
      path: bulk.path,
      summary: bulk.summary,
      tags: ['Azioni massive'],
      role: 'manager',
      body: bulk.body as typeof filterBody,
      successStatus: 202,
      response: z.object({ jobId: z.string(), kind: z.string(), total: z.number() }),
      errors: { 422: 'Nessun Comune nel filtro' },
      handler: async ({ body, actor }) => {
        const b = body as z.infer<typeof filterBody> & { deadline?: string; reason?: string };
        const open = (await listComuni(ctx.client, b.filter)).filter(
          (c) => c.stage !== 'completed' && c.stage !== 'withdrawn',
        );
        if (open.length === 0)
          throw new HttpProblem(422, 'Nessun Comune nel filtro', 'il filtro non seleziona Comuni in corso');
        const params =
          bulk.kind === 'move_deadline'
            ? {
                deadline: b.deadline!.length === 10 ? endOfDayInRome(b.deadline!) : b.deadline!,
                reason: b.reason!,
              }
            : undefined;
        const jobId = await startJob(
          bulk.kind,
          actorLabel(actor),
          open.map((c) => c.ipaCode),
          { params },
        );
        return { jobId, kind: bulk.kind, total: open.length };
      },
    });
  }

  api.add({
    method: 'get',
    path: '/bulk/:kind/:jobId',
    summary: 'Avanzamento di un’azione massiva',
    tags: ['Azioni massive'],
    role: 'manager',
    params: jobParams.extend({ kind: z.enum(['remind', 'move_deadline']) }),
    response: jobSchema,
    errors: { 404: 'Job non trovato' },
    handler: async ({ params }) => readJob(params.kind, params.jobId),
  });
}
