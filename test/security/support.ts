import type { Response } from 'supertest';
import type { Client } from '@temporalio/client';
import { problemSchema, type Problem } from '../../api/problem';

/**
 * Assertions shared by the security suites: an error is a Problem JSON that says what is wrong; Temporal's state is
 * compared before and after.
 */

export interface ExpectedProblem {
  /** The status, or the statuses any of which is right. */
  status: number | number[];
  /** Fields the Problem's `errors` must name. */
  names?: string[];
  detail?: RegExp;
}

/**
 * The response is the expected 4xx Problem JSON with a `detail` or `errors` a person can act on. Throws with the
 * label and what came back, so a failing row says which row and why.
 */
export function expectClearProblem(res: Response, label: string, expected: ExpectedProblem): Problem {
  const seen = {
    label,
    status: res.status,
    type: String(res.headers['content-type'] ?? ''),
    body: JSON.stringify(res.body).slice(0, 400),
  };
  const fail = (why: string) => new Error(`${label}: ${why}\n${JSON.stringify(seen, null, 1)}`);
  if (res.status >= 500) throw fail('server error');
  if (![expected.status].flat().includes(res.status)) throw fail(`expected ${String(expected.status)}`);
  if (!/^application\/problem\+json/.test(seen.type)) throw fail('not Problem JSON');
  const parsed = problemSchema.safeParse(res.body);
  if (!parsed.success) throw fail('not a Problem');
  const problem = parsed.data;
  if (problem.status !== res.status) throw fail('Problem status differs from the HTTP status');
  const hasDetail = typeof problem.detail === 'string' && problem.detail.trim().length > 0;
  const hasErrors = (problem.errors?.length ?? 0) > 0;
  if (!hasDetail && !hasErrors) throw fail('neither detail nor errors');
  const fields = (problem.errors ?? []).map((e) => e.field);
  for (const name of expected.names ?? [])
    if (!fields.includes(name)) throw fail(`errors do not name ${name}`);
  if (expected.detail && !expected.detail.test(problem.detail ?? ''))
    throw fail(`detail not ${expected.detail}`);
  return problem;
}

export interface TemporalSnapshot {
  count: number;
  /** `workflowId runId status` of every execution, sorted. */
  executions: string[];
  /** History length of every execution. */
  historyLengths: Record<string, number>;
}

/** Every execution in the namespace with its history length. */
export async function temporalSnapshot(client: Client): Promise<TemporalSnapshot> {
  const { count } = await client.workflow.count();
  const executions: string[] = [];
  const historyLengths: Record<string, number> = {};
  for await (const wf of client.workflow.list()) {
    const key = `${wf.workflowId} ${wf.runId}`;
    executions.push(`${key} ${wf.status.name}`);
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    historyLengths[key] = history.events?.length ?? 0;
  }
  executions.sort();
  return { count, executions, historyLengths };
}

/** Waits until two snapshots 750 ms apart agree (workers done with what the setup asked). */
export async function settledSnapshot(client: Client, timeoutMs = 30_000): Promise<TemporalSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let previous = await temporalSnapshot(client);
  for (;;) {
    await new Promise((r) => setTimeout(r, 750));
    const next = await temporalSnapshot(client);
    if (JSON.stringify(next) === JSON.stringify(previous)) return next;
    if (Date.now() > deadline) throw new Error(`Temporal did not settle: ${JSON.stringify(next)}`);
    previous = next;
  }
}
