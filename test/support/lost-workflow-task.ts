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
        // A closed run ends with its close event, so a last event «task started» is a running one's; a service
        // not started yet has no history (NOT_FOUND).
        const history = await env.client.workflow
          .getHandle(workflowId)
          .fetchHistory()
          .catch(() => undefined);
        const last = history?.events?.at(-1);
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
  await new Promise((resolve) => setTimeout(resolve, STILL_STARTED_MS));
  if (!workerIdle()) return undefined;
  const second = new Set(await startedTasks());
  const lost = first.filter((task) => second.has(task));
  return lost.length > 0 ? lost : undefined;
}
