import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import { recordHistoriesIfAsked } from '../support/record-histories';
import { WorkflowUpdateFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import {
  getComuneStateQuery,
  recordDelegationDoneUpdate,
  recordManageKeyUpdate,
  recordSignedFormUpdate,
  serviceStatusChangedSignal,
  type ComuneInput,
  type ComuneState,
  type Stage,
} from '../../contracts/comune';
import { startComuneJourney } from '../../contracts/comune-start';
import { serviceWorkflowId } from '../../contracts/ids';
import { getServiceStateQuery, type ServiceState, type ServiceStatus } from '../../contracts/service';
import type { NotifyInput } from '../../activities';
import { comuneInput, type ComuneFixtureOptions } from '../support/fixtures';
import { mockActivities, type MockBehaviour } from '../support/mock-activities';
import { recentRefusedCompletions, workflowBundle, testReadModelSinks } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { LOST_WORKFLOW_TASK, lostWorkflowTasks, openWorkflowTails } from '../support/lost-workflow-task';

/** Shared steps of the Comune workflow tests: one worker per test, one Comune per test, time moved explicitly. */

// Expected activity failures (ReviewPending polls, a missing Selfcare key) are logged by the worker as warnings:
// keep the output readable unless TEST_LOG_LEVEL asks for more.
process.env.TEST_LOG_LEVEL ??= 'ERROR';

export const DAY_MS = 24 * 60 * 60 * 1000;
export const HOUR_MS = 60 * 60 * 1000;
/** Trento (117,417 inhabitants) is in the 100,001–250,000 band. */
export const TRENTO_EUR_PER_SERVICE = 1_099;

export type Mocks = ReturnType<typeof mockActivities>;
export type ComuneHandle = WorkflowHandleWithFirstExecutionRunId;

export interface Harness {
  env: TestWorkflowEnvironment;
  mocks: Mocks;
  input: ComuneInput;
  handle: ComuneHandle;
  /** Workflow time when the test started the Comune. */
  startedAtMs: number;
  taskQueue: string;
}

/**
 * Starts a Comune (its IPA code doubles as the test's unique id and task queue) under a fresh worker with mock
 * activities, runs `body`, and stops the worker.
 */
export async function withComune(
  env: TestWorkflowEnvironment,
  options: {
    ipaCode: string;
    behaviour?: MockBehaviour;
    fixture?: Omit<ComuneFixtureOptions, 'ipaCode' | 'now'>;
    adjust?: (input: ComuneInput) => void;
    /** The body's time, at most (under Jest's own timeout, so a stuck body still ends with its diagnosis). */
    timeLimitMs?: number;
    /** How long a body out of time is given to end, once its workflows are closed (default 12 s). */
    settleMs?: number;
  },
  body: (h: Harness) => Promise<void>,
): Promise<void> {
  const taskQueue = `wf-${options.ipaCode}`;
  const mocks = mockActivities(options.behaviour);
  const worker = await testWorker(env, taskQueue, mocks);
  await worker.runUntil(async () => {
    const startedAtMs = await env.currentTimeMs();
    const input = comuneInput({ ...options.fixture, ipaCode: options.ipaCode, now: new Date(startedAtMs) });
    options.adjust?.(input);
    const handle = await startComuneJourney(env.client, input, { taskQueue });
    const workflowIds = [
      handle.workflowId,
      ...input.services.map((s) => serviceWorkflowId(input.comune.ipaCode, s.slug)),
    ];
    const work = body({ env, mocks, input, handle, startedAtMs, taskQueue });
    try {
      await withinTimeLimit(work, options.timeLimitMs);
      await recordHistoriesIfAsked('ts', [
        handle,
        ...input.services
          .slice(0, 2)
          .map((s) => env.client.workflow.getHandle(serviceWorkflowId(input.comune.ipaCode, s.slug))),
      ]);
    } catch (err) {
      // A workflow stopped on a task the server lost fails the test with a message that says so (and lets
      // scripts/jest.sh run the file again); any other failure is the test's and is left as it is.
      const lost = await lostWorkflowTasks(env, worker, workflowIds).catch(() => undefined);
      if (!lost && err instanceof BodyTimeLimitError) {
        // Out of time with no task taken for lost: where each open workflow stood, for whoever reads the failure.
        const tails = await openWorkflowTails(env, worker, workflowIds).catch((e: unknown) => String(e));
        throw new Error(`${err.message}\n${tails}`, { cause: err });
      }
      if (!lost) throw err;
      // What the server refused of the worker's completions, when the core reported it (the cause, seen so far).
      const refused = recentRefusedCompletions().map((line) => `\nrefused by the server: ${line}`);
      throw new Error(
        `${LOST_WORKFLOW_TASK}: ${lost.join(', ')}${refused.join('')}\n${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    } finally {
      await terminateOpen(env, workflowIds);
      // A body out of time is still running. Its probes and Updates end once its workflows are closed (or at their
      // own timeouts): let it end here, while the worker and the connection are up. A call of it retried after the
      // server is torn down throws from a timer into the next test file Jest runs in this process («Channel has been
      // shut down»), which then fails too, and scripts/jest.sh would not run the lost task's file again.
      await Promise.race([
        work.then(noop, noop),
        sleep(options.settleMs ?? BODY_SETTLE_MS, undefined, { ref: false }),
      ]);
    }
  });
}

const noop = () => undefined;

/**
 * Jest's own timeout is 120 s (jest.config.js): the body gets 90 s unless the test gives it more, then the failure's
 * diagnosis (about 5 s) and up to `BODY_SETTLE_MS` for the body to end.
 */
const BODY_TIME_LIMIT_MS = 90_000;
const BODY_SETTLE_MS = 12_000;

class BodyTimeLimitError extends Error {}

async function withinTimeLimit(work: Promise<void>, limitMs = BODY_TIME_LIMIT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BodyTimeLimitError(`the test's body did not finish in ${limitMs / 1000} s`)),
      limitMs,
    );
  });
  try {
    await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** A worker on `taskQueue` with the tests' workflow bundle and these mock activities. */
export function testWorker(env: TestWorkflowEnvironment, taskQueue: string, mocks: Mocks): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    sinks: testReadModelSinks(),
    activities: mocks.activities,
  });
}

/**
 * Time skipping is global to the env: a workflow left running after its test (its worker gone) would block the
 * clock at its next timer in every later test of the file. Terminate what is still open.
 */
async function terminateOpen(env: TestWorkflowEnvironment, workflowIds: string[]): Promise<void> {
  await Promise.all(
    workflowIds.map(async (workflowId) => {
      const handle = env.client.workflow.getHandle(workflowId);
      const description = await handle.describe().catch(() => undefined);
      if (description?.status.name === 'RUNNING') {
        await handle.terminate('test over').catch(() => undefined);
      }
    }),
  );
}

export const stateOf = (handle: ComuneHandle): Promise<ComuneState> => handle.query(getComuneStateQuery);

/** Polls the Comune's state until `accept` holds (bounded by waitFor's timeout). */
export function waitForState(
  handle: ComuneHandle,
  what: string,
  accept: (state: ComuneState) => boolean,
  timeoutMs?: number,
): Promise<ComuneState> {
  return waitFor(
    what,
    async () => {
      const state = await stateOf(handle);
      return accept(state) ? state : undefined;
    },
    timeoutMs ? { timeoutMs } : undefined,
  );
}

export const waitForStage = (handle: ComuneHandle, stage: Stage, timeoutMs?: number) =>
  waitForState(handle, `stage ${stage}`, (s) => s.stage === stage, timeoutMs);

export function serviceHandle(env: TestWorkflowEnvironment, ipaCode: string, slug: string) {
  return env.client.workflow.getHandle(serviceWorkflowId(ipaCode, slug));
}

export const serviceStateOf = (env: TestWorkflowEnvironment, ipaCode: string, slug: string) =>
  serviceHandle(env, ipaCode, slug).query(getServiceStateQuery);

/** Polls a service child's state until it has `status` (and satisfies `accept`, when given). */
export function waitForService(
  env: TestWorkflowEnvironment,
  ipaCode: string,
  slug: string,
  status: ServiceStatus,
  accept: (state: ServiceState) => boolean = () => true,
): Promise<ServiceState> {
  return waitFor(`service ${slug} ${status}`, async () => {
    const state = await serviceStateOf(env, ipaCode, slug);
    return state.status === status && accept(state) ? state : undefined;
  });
}

export const ofKind = (mocks: Mocks, kind: NotifyInput['kind']): NotifyInput[] =>
  mocks.notifications.filter((n) => n.kind === kind);

export function waitForNotifications(
  mocks: Mocks,
  kind: NotifyInput['kind'],
  count: number,
): Promise<NotifyInput[]> {
  return waitFor(`${count} ${kind} notification(s)`, async () => {
    const found = ofKind(mocks, kind);
    return found.length >= count ? found : undefined;
  });
}

export const signedForm = (actor = 'Giulia Verdi (staff)') => ({
  actor,
  document: {
    sha256: 'b'.repeat(64),
    signerName: 'Franco Ianeselli',
    signingTime: '2025-03-01T10:00:00Z',
  },
});

/** A verified key's reference, as the API sends it after sealing the key in the store (never the key). */
export const manageKeyReference = (ipaCode: string, fingerprint = 'a1b2c3d4e5f6') => ({
  actor: 'Giulia Verdi (staff)',
  ref: `mk_${ipaCode}_${fingerprint}`,
  fingerprint,
  hasSecondary: false,
});

/**
 * The attempt a workflow's pending activity of this type is at (undefined: none pending). At 2 or more it has run
 * and failed once, and waits for its retry: a poll that found nothing decided yet.
 */
export async function pendingAttempt(
  handle: { describe(): Promise<{ raw: { pendingActivities?: PendingActivity[] | null } }> },
  activityType: string,
): Promise<number | undefined> {
  const { raw } = await handle.describe();
  const pending = raw.pendingActivities?.find((a) => a.activityType?.name === activityType);
  return pending ? (pending.attempt ?? 0) : undefined;
}
type PendingActivity = { activityType?: { name?: string | null } | null; attempt?: number | null };

/** At «Accesso a IO», staff record the Comune's manage key: the services start. */
export async function recordManageKey(handle: ComuneHandle, fingerprint?: string): Promise<ComuneState> {
  await waitForStage(handle, 'io_access');
  // Recording the key ends the Selfcare check: its poll is cancelled if still pending. A poll answering while that
  // task runs is a race the time-skipping server loses (it refuses the cancel of an activity just completed and
  // never hands the task out again; test/support/lost-workflow-task.ts): record only once the poll has answered or
  // is waiting for its next attempt.
  await waitFor('the Selfcare check to answer or wait for its next attempt', async () => {
    const attempt = await pendingAttempt(handle, 'awaitIoOnboarding');
    return attempt === undefined || attempt >= 2 ? true : undefined;
  });
  const ipaCode = handle.workflowId.replace(/^comune:/, '');
  await handle.executeUpdate(recordManageKeyUpdate, { args: [manageKeyReference(ipaCode, fingerprint)] });
  return waitForStage(handle, 'services');
}

/** From 'delegation_requested' to the services stage, as staff record it. */
export async function recordDelegationAndSignedForm(handle: ComuneHandle): Promise<ComuneState> {
  await waitForStage(handle, 'delegation_requested');
  await handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: 'Giulia Verdi (staff)' }] });
  await waitForStage(handle, 'awaiting_signed_form');
  await handle.executeUpdate(recordSignedFormUpdate, { args: [signedForm()] });
  return recordManageKey(handle);
}

/** Every notify call got its own id (the mock never fails, so no call is a retry). */
export function notifyIds(mocks: Mocks): string[] {
  return mocks.calls.filter((c) => c.startsWith('notify:')).map((c) => c.slice('notify:'.length));
}

/** The statuses a service reported to its Comune, in order, read from the signals in the service's history. */
export async function statusesReportedToComune(
  env: TestWorkflowEnvironment,
  ipaCode: string,
  slug: string,
): Promise<ServiceStatus[]> {
  const history = await serviceHandle(env, ipaCode, slug).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const signal = event.signalExternalWorkflowExecutionInitiatedEventAttributes;
    // Only the status reports: a paused service also signals its Comune that the manage key was refused.
    if (signal?.signalName !== serviceStatusChangedSignal.name) return [];
    const payload = signal.input?.payloads?.[0];
    if (!payload) return [];
    return [defaultPayloadConverter.fromPayload<{ status: ServiceStatus }>(payload).status];
  });
}

/** The validator's sentence of an Update the workflow refused (fails the test when it was accepted). */
export async function refusalOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause!.message;
}
