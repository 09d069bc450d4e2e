import type { Client } from '@temporalio/client';
import type { BaselineInput } from './baseline.workflow';
import { TASK_QUEUE } from './environment';
import { runPool, sleep } from './stats';

export interface Window {
  count: number;
  /** First StartTime to last CloseTime of the matching executions, from visibility. */
  ms: number;
  perSecond: number;
}

/** The span of the matching executions in visibility (all of them closed). */
export async function executionWindow(client: Client, query: string): Promise<Window> {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let count = 0;
  for await (const wf of client.workflow.list({ query, pageSize: 1000 })) {
    count++;
    first = Math.min(first, wf.startTime.getTime());
    if (wf.closeTime) last = Math.max(last, wf.closeTime.getTime());
  }
  const ms = last - first;
  return { count, ms, perSecond: count > 0 && ms > 0 ? count / (ms / 1000) : Number.NaN };
}

export interface BaselineOutcome {
  input: BaselineInput;
  count: number;
  /** Wall clock: first start request to the last completion counted in visibility. */
  wallMs: number;
  window: Window;
  completed: boolean;
  errors: string[];
}

/** Starts `count` minimal workflows on the bench's task queue and waits for all of them to complete. */
export async function runBaseline(args: {
  client: Client;
  count: number;
  input: BaselineInput;
  startConcurrency: number;
  timeoutMs: number;
  log: (line: string) => void;
}): Promise<BaselineOutcome> {
  const { client, count, input } = args;
  const run = Date.now().toString(36);
  const started = performance.now();
  // This run's minimal workflows only: a second baseline in the same run starts after the first has completed.
  const since = new Date(Date.now() - 1_000).toISOString();
  const errors: string[] = [];
  const starting = runPool(
    Array.from({ length: count }, (_, i) => i),
    args.startConcurrency,
    async (i) => {
      await client.workflow.start('baselineWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId: `baseline:${run}:${i}`,
        args: [input],
      });
    },
  ).catch((err: unknown) => {
    errors.push(`baseline start: ${String(err)}`);
  });
  const query = `WorkflowType = 'baselineWorkflow' AND StartTime >= '${since}'`;
  let completed = false;
  let lastLog = started;
  for (;;) {
    const [done, failed] = await Promise.all([
      client.workflow.count(`${query} AND ExecutionStatus = 'Completed'`),
      client.workflow.count(`${query} AND ExecutionStatus != 'Completed' AND ExecutionStatus != 'Running'`),
    ]);
    const now = performance.now();
    if (now - lastLog > 10_000) {
      lastLog = now;
      args.log(
        `  ${Math.round((now - started) / 1000)} s: ${done.count}/${count} minimal workflows completed`,
      );
    }
    if (failed.count > 0) {
      errors.push(`${failed.count} minimal workflows did not complete`);
      break;
    }
    if (done.count >= count) {
      completed = true;
      break;
    }
    if (errors.length > 0) break;
    if (now - started > args.timeoutMs) {
      errors.push(`timeout: ${done.count}/${count} minimal workflows completed`);
      break;
    }
    await sleep(500);
  }
  const wallMs = performance.now() - started;
  await starting;
  const window = completed
    ? await executionWindow(client, query)
    : { count: 0, ms: Number.NaN, perSecond: Number.NaN };
  return { input, count, wallMs, window, completed, errors };
}
