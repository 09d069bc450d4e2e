import { createHash } from 'node:crypto';
import {
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { recordSignedFormUpdate } from '../contracts/comune';
import { comuneWorkflowId } from '../contracts/ids';
import { searchAttributes } from '../contracts/search-attributes';
import { serviceStatuses } from '../contracts/service';
import type { RunningSandbox } from '../sandbox';
import type { ApiAnswer, ApiCaller } from './http';
import { parseServerTiming, type StepSample } from './step-breakdown';
import { LatencyBook, runPool, sleep } from './stats';

/** express.json({ limit: '1mb' }) in api/app.ts. */
export const API_JSON_LIMIT_BYTES = 1024 * 1024;

export const SERIES = {
  importPost: 'POST /imports/json',
  importStatus: 'GET /imports/:jobId',
  delegation: 'POST /comuni/:ipa/delegation (step)',
  signedForm: 'recordSignedFormUpdate (Temporal update, direct)',
  manageKey: 'POST /comuni/:ipa/manage-key (step, verified on the manage API)',
  list: 'GET /comuni?limit=50',
  detail: 'GET /comuni/:ipa',
  summary: 'GET /portfolio/summary',
  probeIdle: 'no-op Update on an idle workflow, nothing else running (before the drive)',
  probeDrive: 'no-op Update on an idle workflow, during the drive (engine floor)',
  probeBaseline: 'no-op Update on an idle workflow, during the minimal workflows with the readers',
} as const;

export interface Tokens {
  staff: string;
  manager: string;
}

export interface ImportOutcome {
  ms: number;
  jobs: { jobId: string; items: number; bytes: number }[];
  started: number;
  alreadyRunning: number;
  failed: number;
  errors: string[];
  /** Size of one request carrying every selected Comune, against the API's JSON limit. */
  singleRequestBytes: number;
}

/** Splits the registrations into JSON imports under the API's body limit (and at most `maxItems` each). */
export function importBatches(registrations: readonly unknown[], maxItems: number): unknown[][] {
  const batches: unknown[][] = [];
  let current: unknown[] = [];
  let bytes = 20;
  for (const r of registrations) {
    const size = Buffer.byteLength(JSON.stringify(r)) + 1;
    if (current.length > 0 && (current.length >= maxItems || bytes + size > API_JSON_LIMIT_BYTES * 0.95)) {
      batches.push(current);
      current = [];
      bytes = 20;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** POST /api/v1/imports/json (as a manager), then polls every job until it is completed. */
export async function importThroughApi(
  api: ApiCaller,
  tokens: Tokens,
  registrations: readonly unknown[],
  maxItems: number,
  timeoutMs: number,
): Promise<ImportOutcome> {
  const started = performance.now();
  const outcome: ImportOutcome = {
    ms: 0,
    jobs: [],
    started: 0,
    alreadyRunning: 0,
    failed: 0,
    errors: [],
    singleRequestBytes: Buffer.byteLength(JSON.stringify({ comuni: registrations })),
  };
  for (const batch of importBatches(registrations, maxItems)) {
    const body = { comuni: batch };
    const answer = await api.call(SERIES.importPost, tokens.manager, 'POST', '/api/v1/imports/json', {
      body,
    });
    const accepted = answer.body as { jobId?: string; accepted?: number; rejectedCount?: number };
    if (answer.status !== 202 || !accepted.jobId) {
      outcome.errors.push(`import refused (${answer.status}): ${JSON.stringify(answer.body).slice(0, 300)}`);
      continue;
    }
    if (accepted.rejectedCount)
      outcome.errors.push(`${accepted.rejectedCount} registrations rejected by the API`);
    outcome.jobs.push({
      jobId: accepted.jobId,
      items: batch.length,
      bytes: Buffer.byteLength(JSON.stringify(body)),
    });
  }
  const pending = new Set(outcome.jobs.map((j) => j.jobId));
  const deadline = performance.now() + timeoutMs;
  while (pending.size > 0) {
    if (performance.now() > deadline) {
      outcome.errors.push(
        `import jobs not completed in ${Math.round(timeoutMs / 1000)} s: ${[...pending].join(', ')}`,
      );
      break;
    }
    for (const jobId of [...pending]) {
      const answer = await api.call(SERIES.importStatus, tokens.manager, 'GET', `/api/v1/imports/${jobId}`);
      const job = answer.body as {
        status?: string;
        started?: number;
        alreadyRunning?: number;
        failed?: number;
      };
      if (job.status === 'completed') {
        pending.delete(jobId);
        outcome.started += job.started ?? 0;
        outcome.alreadyRunning += job.alreadyRunning ?? 0;
        outcome.failed += job.failed ?? 0;
      }
    }
    if (pending.size > 0) await sleep(200);
  }
  outcome.ms = performance.now() - started;
  if (outcome.failed > 0) outcome.errors.push(`${outcome.failed} Comuni failed to start in the import jobs`);
  return outcome;
}

/**
 * The concurrent readers while the Comuni are driven: `concurrency` lanes, each alternating the portfolio list
 * and one Comune's detail, until stopped.
 */
export function startLoadGenerator(
  api: ApiCaller,
  token: string,
  ipaCodes: readonly string[],
  concurrency: number,
) {
  let stopped = false;
  let n = 0;
  const lane = async (laneIndex: number) => {
    for (let i = laneIndex; !stopped; i++) {
      if (i % 2 === 0) await api.call(SERIES.list, token, 'GET', '/api/v1/comuni?limit=50');
      else {
        const ipa = ipaCodes[(n++ * 7919) % ipaCodes.length]!;
        await api.call(SERIES.detail, token, 'GET', `/api/v1/comuni/${ipa}`);
      }
    }
  };
  const lanes = Array.from({ length: concurrency }, (_, i) => lane(i));
  return {
    async stop() {
      stopped = true;
      await Promise.all(lanes);
    },
  };
}

export interface Progress {
  atMs: number;
  comuniCompleted: number;
  servicesCompleted: number;
}

export interface DriveOutcome {
  /** From the first staff step to every Comune counted `completed` in visibility. */
  ms: number;
  /** When the last Comune had both staff steps recorded (from the start of the drive). */
  stepsDoneMs: number;
  completed: boolean;
  comuniCompleted: number;
  servicesCompleted: number;
  failedWorkflows: number;
  progress: Progress[];
  stepRetries: { delegation: number; signedForm: number; manageKey: number };
  /** Every staff step answered 2xx, for the breakdown of its time (bench/step-breakdown.ts). */
  stepSamples: StepSample[];
  errors: string[];
}

const STAFF = 'staff:bench';

function stepSample(series: string, ipa: string, updateId: string, answer: ApiAnswer): StepSample {
  const server = parseServerTiming(answer.serverTiming);
  return {
    series,
    workflowId: comuneWorkflowId(ipa),
    updateId,
    sentAtMs: answer.sentAtMs,
    totalMs: answer.ms,
    ...(server ? { server } : {}),
  };
}

/**
 * PagoPA's part of «Accesso a IO» in the sandbox: the institution's prod-io onboarding turns ACTIVE on Selfcare (its
 * other products kept), which issues its own manage key in the IO back office; the key as staff would copy it.
 */
function onboardOnIo(sandbox: RunningSandbox, fiscalCode: string): string {
  const institution = sandbox.state.institutions[fiscalCode];
  if (!institution) throw new Error(`no Selfcare institution ${fiscalCode} in the sandbox`);
  const others = institution.onboarding
    .filter((o) => o.productId !== 'prod-io')
    .map((o) => ({ productId: o.productId, status: o.status }));
  sandbox.runtime.upsertInstitution(fiscalCode, {
    description: institution.description ?? `Ente ${fiscalCode}`,
    onboarding: [...others, { productId: 'prod-io', status: 'ACTIVE' }],
  });
  const own = Object.values(sandbox.state.manageSubscriptions).find(
    (s) => s.institution === fiscalCode && s.group_id === undefined,
  );
  if (!own) throw new Error(`the sandbox issued no manage key to ${fiscalCode}`);
  return own.primary_key;
}

/**
 * Records the three staff steps of one Comune: delegation through the API, the signed form as a Temporal update,
 * then, once Selfcare shows its prod-io onboarding active, its own manage key through the API (verified there with a
 * real read on the sandbox's manage API, sealed in the store; only the reference reaches the workflow).
 */
async function driveOne(
  api: ApiCaller,
  client: Client,
  sandbox: RunningSandbox,
  book: LatencyBook,
  token: string,
  ipa: string,
  fiscalCode: string,
  retries: DriveOutcome['stepRetries'],
  deadline: number,
  samples: StepSample[],
): Promise<void> {
  for (;;) {
    const answer = await api.call(SERIES.delegation, token, 'POST', `/api/v1/comuni/${ipa}/delegation`, {
      body: { note: 'delega completata (benchmark)' },
      headers: { 'idempotency-key': `bench-delegation-${ipa}` },
      expected: [409],
    });
    if (answer.status >= 200 && answer.status < 300) {
      samples.push(stepSample(SERIES.delegation, ipa, `delegation:${ipa}:bench-delegation-${ipa}`, answer));
      break;
    }
    if (answer.status !== 409) throw new Error(`delegation of ${ipa}: HTTP ${answer.status}`);
    if (JSON.stringify(answer.body).includes('già registrata')) break;
    // Still in the adhesion check: the workflow refused the step before it reached history.
    retries.delegation += 1;
    if (performance.now() > deadline) throw new Error(`delegation of ${ipa}: still refused at the timeout`);
    await sleep(200);
  }
  // The signed form straight on Temporal with a fake sha256: uploading real .p7m files would measure the CAdES
  // verifier, not the engine.
  const handle = client.workflow.getHandle(comuneWorkflowId(ipa));
  const sha256 = createHash('sha256').update(`bench:${ipa}`).digest('hex');
  for (;;) {
    const started = performance.now();
    const sentAtMs = Date.now();
    try {
      await handle.executeUpdate(recordSignedFormUpdate, {
        args: [{ actor: STAFF, document: { sha256, signerName: 'Sindaco (benchmark)' } }],
        updateId: `bench-signed-form-${ipa}`,
      });
      const totalMs = performance.now() - started;
      book.record(SERIES.signedForm, totalMs);
      samples.push({
        series: SERIES.signedForm,
        workflowId: handle.workflowId,
        updateId: `bench-signed-form-${ipa}`,
        sentAtMs,
        totalMs,
      });
      break;
    } catch (err) {
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        // An overloaded server or worker: the same update id makes the retry apply at most once.
        book.status(SERIES.signedForm, 504);
        retries.signedForm += 1;
        if (performance.now() > deadline)
          throw new Error(`signed form of ${ipa}: timed out until the deadline`);
        continue;
      }
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      book.status(SERIES.signedForm, 409);
      retries.signedForm += 1;
      if (performance.now() > deadline)
        throw new Error(`signed form of ${ipa}: still refused at the timeout`);
      await sleep(200);
    }
  }
  const primaryKey = onboardOnIo(sandbox, fiscalCode);
  for (;;) {
    const answer = await api.call(SERIES.manageKey, token, 'POST', `/api/v1/comuni/${ipa}/manage-key`, {
      body: { primaryKey },
      headers: { 'idempotency-key': `bench-manage-key-${ipa}` },
      expected: [409, 503],
    });
    if (answer.status >= 200 && answer.status < 300) {
      samples.push(stepSample(SERIES.manageKey, ipa, `manage-key:${ipa}:bench-manage-key-${ipa}`, answer));
      return;
    }
    if (answer.status !== 409 && answer.status !== 503) {
      throw new Error(`manage key of ${ipa}: HTTP ${answer.status}`);
    }
    // 409: not yet «Accesso a IO» (the signed form's effects still under way); 503: the key could not be verified
    // with PagoPA now (the sandbox starved by the load), and staff try again. Refused before anything was stored.
    retries.manageKey += 1;
    if (performance.now() > deadline) throw new Error(`manage key of ${ipa}: still refused at the timeout`);
    await sleep(200);
  }
}

const FAILED = `(ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' OR ExecutionStatus = 'Terminated')`;

/** Drives every Comune with bounded concurrency and waits until visibility counts all of them completed. */
export async function driveToCompletion(args: {
  api: ApiCaller;
  client: Client;
  /** PagoPA's side: Selfcare's onboarding and the IO back office's keys. */
  sandbox: RunningSandbox;
  book: LatencyBook;
  tokens: Tokens;
  ipaCodes: readonly string[];
  /** The organisation fiscal code of each driven Comune (its Selfcare institution). */
  fiscalCodeOf: (ipa: string) => string;
  concurrency: number;
  timeoutMs: number;
  log: (line: string) => void;
}): Promise<DriveOutcome> {
  const { api, client, book, tokens, ipaCodes } = args;
  const started = performance.now();
  const deadline = started + args.timeoutMs;
  const outcome: DriveOutcome = {
    ms: 0,
    stepsDoneMs: Number.NaN,
    completed: false,
    comuniCompleted: 0,
    servicesCompleted: 0,
    failedWorkflows: 0,
    progress: [],
    stepRetries: { delegation: 0, signedForm: 0, manageKey: 0 },
    stepSamples: [],
    errors: [],
  };
  const steps = runPool(ipaCodes, args.concurrency, (ipa) =>
    driveOne(
      api,
      client,
      args.sandbox,
      book,
      tokens.staff,
      ipa,
      args.fiscalCodeOf(ipa),
      outcome.stepRetries,
      deadline,
      outcome.stepSamples,
    ),
  ).then(
    () => {
      outcome.stepsDoneMs = performance.now() - started;
    },
    (err: unknown) => {
      outcome.errors.push(`driver: ${String(err)}`);
    },
  );

  let lastLog = started;
  for (;;) {
    const [comuni, services, failed] = await Promise.all([
      client.workflow.count(`WorkflowType = 'comuneWorkflow' AND IoStage = 'completed'`),
      client.workflow.count(`WorkflowType = 'serviceWorkflow' AND ExecutionStatus = 'Completed'`),
      client.workflow.count(
        `(WorkflowType = 'comuneWorkflow' OR WorkflowType = 'serviceWorkflow') AND ${FAILED}`,
      ),
    ]);
    const now = performance.now();
    outcome.comuniCompleted = comuni.count;
    outcome.servicesCompleted = services.count;
    outcome.failedWorkflows = failed.count;
    outcome.progress.push({
      atMs: now - started,
      comuniCompleted: comuni.count,
      servicesCompleted: services.count,
    });
    if (now - lastLog > 10_000) {
      lastLog = now;
      args.log(
        `  ${Math.round((now - started) / 1000)} s: ${comuni.count}/${ipaCodes.length} Comuni, ` +
          `${services.count} services completed`,
      );
    }
    if (failed.count > 0) {
      outcome.errors.push(`${failed.count} workflows Failed/TimedOut/Terminated`);
      break;
    }
    if (outcome.errors.length > 0) break;
    if (comuni.count >= ipaCodes.length) {
      outcome.completed = true;
      break;
    }
    if (now > deadline) {
      outcome.errors.push(
        `timeout: ${comuni.count}/${ipaCodes.length} Comuni completed after ${Math.round(args.timeoutMs / 1000)} s`,
      );
      break;
    }
    await sleep(1_000);
  }
  outcome.ms = performance.now() - started;
  await steps;
  return outcome;
}

/** Where the Comuni that did not complete stand (visibility), for the report of a broken run. */
export async function stragglers(client: Client, limit = 10): Promise<string[]> {
  const out: string[] = [];
  for await (const wf of client.workflow.list({
    query: `WorkflowType = 'comuneWorkflow' AND IoStage != 'completed'`,
    pageSize: 100,
  })) {
    const stage = wf.typedSearchAttributes.get(searchAttributes.stage);
    out.push(`${wf.workflowId} (${wf.status.name}, stage ${stage ?? 'none'})`);
    if (out.length >= limit) break;
  }
  return out;
}

/** Running service workflows by status (visibility), for the report of a broken run. */
export async function runningServicesByStatus(client: Client): Promise<string> {
  const counts = await Promise.all(
    serviceStatuses.map(async (status) => {
      const { count } = await client.workflow.count(
        `WorkflowType = 'serviceWorkflow' AND ExecutionStatus = 'Running' AND IoServiceStatus = '${status}'`,
      );
      return [status, count] as const;
    }),
  );
  return counts
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
}
