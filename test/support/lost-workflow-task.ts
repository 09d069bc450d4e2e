import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

const { EventType } = temporal.api.enums.v1;

/**
 * Opens the message of a workflow test that failed because the time-skipping test server (Java, 1.38.0) lost a
 * workflow task: scripts/jest.sh runs such a test file once more, and only when every failure of the file carries it.
 *
 * What was seen (loaded 2-core box, about one file run in 40; CI once, stop 28): the server records a workflow task
 * as started, while the worker has no activation in flight and no pending sink call; no timeout or retry of that
 * task ever reaches the worker, so the workflow stops there and every query of it waits for the task (its thread
 * parked in the server's `stronglyConsistentQuery`). The other workflows of the same test go on.
 *
 * One cause, found and reproduced (session 20): the worker's completion of the task asks to cancel an activity that
 * completed while the task ran (a review poll answering as staff act). The real server accepts it (the activity's
 * finish event is buffered: `AddActivityTaskCancelRequestedEvent` in its mutable state); the Java test server refuses
 * the completion («ACTIVITY_UNKNOWN for scheduledEventId=…», FAILED_PRECONDITION) and never hands the task out
 * again. The core logs the refusal and goes on: the test's failure message now quotes it (`recentRefusedCompletions`).
 */
export const LOST_WORKFLOW_TASK = 'the time-skipping test server lost a workflow task';

/** How long a task must stay started, with no activation in the worker, to be taken for lost. */
const STILL_STARTED_MS = 5_000;

/**
 * The workflows (of `workflowIds`) whose last event is a workflow task started that the worker does not hold, and
 * still is `STILL_STARTED_MS` later; undefined when there is none (the failure is the test's, not the server's).
 */
export async function lostWorkflowTasks(
  env: TestWorkflowEnvironment,
  worker: Pick<Worker, 'getStatus'>,
  workflowIds: readonly string[],
): Promise<string[] | undefined> {
  const workerIdle = () => worker.getStatus().numInFlightWorkflowActivations === 0;
  const startedTasks = async (): Promise<string[]> => {
    const seen = await Promise.all(
      workflowIds.map(async (workflowId) => {
        // A closed run ends with its close event, so a last event «task started» is a running one's.
        const last = (await historyEvents(env, workflowId))?.at(-1);
        return last?.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
          ? `${workflowId} (event ${String(last.eventId)})`
          : undefined;
      }),
    );
    return seen.filter((s): s is string => s !== undefined);
  };
  if (!workerIdle()) return undefined;
  const first = await startedTasks();
  if (first.length === 0) return undefined;
  await sleep(STILL_STARTED_MS);
  if (!workerIdle()) return undefined;
  const second = new Set(await startedTasks());
  const lost = first.filter((task) => second.has(task));
  return lost.length > 0 ? lost : undefined;
}

/**
 * What each open workflow of `workflowIds` last did, for the message of a body that ran out of time without a task
 * taken for lost: its last events' types and the worker's own count of activations, so the next such failure says
 * where each workflow stood (a run that ran out of time once in CI under load had no task started at the end).
 */
export async function openWorkflowTails(
  env: TestWorkflowEnvironment,
  worker: Pick<Worker, 'getStatus'>,
  workflowIds: readonly string[],
): Promise<string> {
  const tails = await Promise.all(
    workflowIds.map(async (workflowId) => {
      const events = await historyEvents(env, workflowId);
      const last = events?.at(-1);
      if (!last || isCloseEvent(last.eventType)) return undefined;
      const names = events!
        .slice(-3)
        .map((e) => (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, ''));
      return `${workflowId}: … ${names.join(', ')} (event ${String(last.eventId)})`;
    }),
  );
  const status = worker.getStatus();
  return [
    `worker: ${status.numInFlightWorkflowActivations} workflow activation(s) in flight, ${status.numCachedWorkflows} cached, ${status.numInFlightActivities} activit(ies) running`,
    ...tails.filter((t): t is string => t !== undefined),
  ].join('\n');
}

/** A workflow's history events; undefined for a service not started yet (NOT_FOUND) or any other error. */
async function historyEvents(env: TestWorkflowEnvironment, workflowId: string) {
  const history = await env.client.workflow
    .getHandle(workflowId)
    .fetchHistory()
    .catch(() => undefined);
  return history?.events ?? undefined;
}

function isCloseEvent(type: temporal.api.enums.v1.EventType | null | undefined): boolean {
  return (
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED ||
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED ||
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT ||
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED ||
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED ||
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
  );
}
