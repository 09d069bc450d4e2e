import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import type {
  Client,
  WorkflowExecutionDescription,
  WorkflowHandleWithStartDetails,
} from '@temporalio/client';
// Types only: erased at runtime, so the API and the activities that start journeys bundle no workflow code.
import type { comuneWorkflow } from '../workflows/comune.workflow';
import { formatDateIt } from '../integrations/mail/format';
import {
  WITHDRAWN_FAILURE_TYPE,
  comuneInputSchema,
  type ComuneInput,
  type ComuneInputRaw,
  type JourneyRestart,
} from './comune';
import { comuneWorkflowId } from './ids';
import { searchAttributes } from './search-attributes';
import { DEFAULT_TASK_QUEUE } from './task-queue';

/**
 * The one way to start a Comune's journey (API, import job, tests). It owns the workflow id (`comune:<ipa>`), the
 * task queue, the input's validation and the id policy: a Comune whose journey is running, completed or closed is
 * never started again; only a withdrawn one is, through `restartWithdrawnComune` (a manager's explicit action with
 * a reason, recorded in the new run's timeline).
 */

export type ComuneJourneyHandle = WorkflowHandleWithStartDetails<typeof comuneWorkflow>;

export interface StartComuneJourneyOptions {
  /** The Comune workers' task queue (TEMPORAL_TASK_QUEUE in the API and the worker); DEFAULT_TASK_QUEUE if unset. */
  taskQueue?: string;
}

/** Where an existing journey stands: why it is not started again. */
export type ExistingJourneyStatus = 'running' | 'completed' | 'withdrawn' | 'closed';

export interface ExistingJourney {
  workflowId: string;
  runId: string;
  /** The Comune's name as its journey publishes it (search attribute), when it has. */
  comuneName?: string;
  status: ExistingJourneyStatus;
  /** Temporal's status of the latest run (RUNNING, COMPLETED, FAILED, TERMINATED, …). */
  temporalStatus: string;
  /** When the latest run closed (ISO 8601), unless it runs. */
  closedAt?: string;
}

/**
 * A start refused because the Comune already has a journey; `message` is the Italian sentence that says why. A
 * `WorkflowExecutionAlreadyStartedError`, so code that only knows Temporal's error still recognises it.
 */
export class ComuneJourneyExistsError extends WorkflowExecutionAlreadyStartedError {
  constructor(
    message: string,
    readonly journey: ExistingJourney,
  ) {
    super(message, journey.workflowId, 'comuneWorkflow');
  }
}

/**
 * Starts the journey of `input`'s Comune. Refuses, with a `ComuneJourneyExistsError` saying why, a Comune whose
 * journey is running or has closed (completed, withdrawn, terminated); a ZodError for an invalid input.
 */
export function startComuneJourney(
  client: Client,
  input: ComuneInput | ComuneInputRaw,
  options: StartComuneJourneyOptions = {},
): Promise<ComuneJourneyHandle> {
  return start(client, input, options);
}

/**
 * Starts a new run of a withdrawn Comune under the same id, with the withdrawn run's own input (read from its
 * history) and the restart (who, why, when) recorded in the new run's timeline. Refuses a Comune whose journey runs,
 * completed or closed otherwise (`ComuneJourneyExistsError`); an unknown Comune is Temporal's
 * `WorkflowNotFoundError`.
 */
export async function restartWithdrawnComune(
  client: Client,
  ipaCode: string,
  restart: { by: string; reason: string; at?: string },
  options: StartComuneJourneyOptions = {},
): Promise<{ handle: ComuneJourneyHandle; previousRunId: string }> {
  const workflowId = comuneWorkflowId(ipaCode);
  const description = await client.workflow.getHandle(workflowId).describe();
  const existing = await existingJourney(client, description);
  if (existing.status !== 'withdrawn') {
    throw new ComuneJourneyExistsError(whyNotStarted(existing.comuneName ?? ipaCode, existing), existing);
  }
  const previous = await startInput(client, workflowId, existing.runId);
  const restartOf: JourneyRestart = {
    previousRunId: existing.runId,
    by: restart.by,
    reason: restart.reason,
    at: restart.at ?? new Date().toISOString(),
  };
  const handle = await start(client, previous, options, restartOf);
  return { handle, previousRunId: existing.runId };
}

/** The Italian sentence that says why a Comune's journey is not started again. */
export function whyNotStarted(comuneName: string, journey: ExistingJourney): string {
  const on = journey.closedAt ? ` il ${formatDateIt(journey.closedAt)}` : '';
  const ipa = journey.workflowId.replace(/^comune:/, '');
  switch (journey.status) {
    case 'running':
      return `Il percorso di ${comuneName} è già in corso`;
    case 'completed':
      return `Il percorso di ${comuneName} è già completato${on}`;
    case 'withdrawn':
      return (
        `Il percorso di ${comuneName} è stato ritirato${on}: si riavvia solo con un riavvio esplicito di un ` +
        `responsabile, con il motivo (POST /api/v1/comuni/${ipa}/restart)`
      );
    case 'closed':
      return `Il percorso di ${comuneName} si è chiuso${on} (${journey.temporalStatus}) e non viene riavviato`;
  }
}

/**
 * The memo a journey starts with (`comune`): what the portfolio reads of the input from visibility, next to the read
 * model the workflow publishes (`journey`). Set by the starter, so no workflow code changes; a journey started without
 * it (before the funding report) is read from its start event instead (`journeyStartInput`).
 */
export const COMUNE_MEMO_KEY = 'comune';
export interface ComuneMemo {
  v: 1;
  population: number;
}
function comuneMemo(input: ComuneInput): ComuneMemo {
  return { v: 1, population: input.comune.population };
}

/**
 * A Comune's workflow task may take up to a minute before Temporal gives it to another worker (the default is 10 s).
 * On a saturated worker (the bench at 200 Comuni on 2 cores) Comune tasks took over 10 s; a task timed out while the
 * worker was still applying it, the next one was applied on top, and the history came out in an order a replay could
 * not reproduce (a nondeterminism error at the next cache eviction). A journey waits for weeks: a minute before a
 * stuck task moves to another worker costs nothing. Kept across continue-as-new.
 */
export const COMUNE_WORKFLOW_TASK_TIMEOUT = '1 minute';

async function start(
  client: Client,
  raw: ComuneInput | ComuneInputRaw,
  options: StartComuneJourneyOptions,
  restartOf?: JourneyRestart,
): Promise<ComuneJourneyHandle> {
  // A restart is recorded only when this function makes one: never taken from a caller's input.
  const { restartOf: _ignored, ...input } = comuneInputSchema.parse(raw);
  const workflowId = comuneWorkflowId(input.comune.ipaCode);
  try {
    return await client.workflow.start<typeof comuneWorkflow>('comuneWorkflow', {
      taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId,
      args: [restartOf ? { ...input, restartOf } : input],
      workflowTaskTimeout: COMUNE_WORKFLOW_TASK_TIMEOUT,
      // What the portfolio reads of the input without a workflow query (the funding report's population band).
      memo: { [COMUNE_MEMO_KEY]: comuneMemo(input) },
      // Running: never a second journey. Closed: never again, except a withdrawn one restarted on purpose (its
      // last run failed); the caller checked it was withdrawn, and a concurrent start of the same id fails here.
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: restartOf
        ? WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY
        : WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError) || err instanceof ComuneJourneyExistsError)
      throw err;
    const existing = await existingJourney(client, await client.workflow.getHandle(workflowId).describe());
    throw new ComuneJourneyExistsError(
      whyNotStarted(existing.comuneName ?? input.comune.name, existing),
      existing,
    );
  }
}

async function existingJourney(client: Client, d: WorkflowExecutionDescription): Promise<ExistingJourney> {
  const comuneName = d.typedSearchAttributes.get(searchAttributes.comuneName);
  const base = {
    workflowId: d.workflowId,
    runId: d.runId,
    ...(comuneName ? { comuneName } : {}),
    temporalStatus: d.status.name,
    ...(d.closeTime ? { closedAt: d.closeTime.toISOString() } : {}),
  };
  switch (d.status.name) {
    case 'RUNNING':
    case 'PAUSED':
      return { ...base, status: 'running' };
    case 'COMPLETED':
      return { ...base, status: 'completed' };
    case 'FAILED': {
      // Withdrawn by a manager, or failed for another reason: the failure type says which.
      const withdrawn = (await failureType(client, d.workflowId, d.runId)) === WITHDRAWN_FAILURE_TYPE;
      return { ...base, status: withdrawn ? 'withdrawn' : 'closed' };
    }
    default:
      return { ...base, status: 'closed' };
  }
}

/** The failure type of a failed run, from its close event. */
async function failureType(client: Client, workflowId: string, runId: string): Promise<string | undefined> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    historyEventFilterType:
      temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
  });
  const failure = history?.events?.[0]?.workflowExecutionFailedEventAttributes?.failure;
  return failure?.applicationFailureInfo?.type ?? undefined;
}

/** The input a journey started with: its latest run's when `runId` is omitted (the portfolio's fallback). */
export function journeyStartInput(client: Client, workflowId: string, runId?: string): Promise<ComuneInput> {
  return startInput(client, workflowId, runId ?? '');
}

/** The input a run started with (its first event), decoded by the client's data converter (and codec). */
async function startInput(client: Client, workflowId: string, runId: string): Promise<ComuneInput> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  const started = history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new Error(`${workflowId} (${runId}): evento di avvio non trovato`);
  const input = await decodeFromPayloadsAtIndex<unknown>(
    client.options.loadedDataConverter,
    0,
    started.input?.payloads,
  );
  return comuneInputSchema.parse(input);
}
