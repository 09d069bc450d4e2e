import type { Client } from '@temporalio/client';
import { writeReadModelSignal } from '../contracts/read-model';

/** The open journeys whose pages are read from the read model: every Comune and service still running. */
const OPEN_JOURNEYS = `ExecutionStatus = 'Running' AND WorkflowType IN ('comuneWorkflow', 'serviceWorkflow')`;

export interface RefreshOutcome {
  signalled: number;
  /** Closed between the list and the signal, or unreachable: their pages keep the last documents written. */
  failed: number;
}

/**
 * Asks every open journey to write its read-model documents (`writeReadModelSignal`): after an upgrade to 0.9.0,
 * journeys that wait for weeks have none until their next task, and their pages fall back to a query (README «Pages
 * read without waiting on a worker»). Each signal is a task of the journey's own; `concurrency` bounds the calls in
 * flight. `npm run read-model -- write` runs it.
 */
export async function askEveryJourneyToWrite(
  client: Client,
  options: { concurrency?: number; onProgress?: (outcome: RefreshOutcome) => void } = {},
): Promise<RefreshOutcome> {
  const outcome: RefreshOutcome = { signalled: 0, failed: 0 };
  const inFlight = new Set<Promise<void>>();
  const concurrency = options.concurrency ?? 16;
  for await (const journey of client.workflow.list({ query: OPEN_JOURNEYS })) {
    const call = client.workflow
      .getHandle(journey.workflowId)
      .signal(writeReadModelSignal)
      .then(
        () => {
          outcome.signalled += 1;
        },
        () => {
          outcome.failed += 1;
        },
      )
      .then(() => {
        inFlight.delete(call);
        if ((outcome.signalled + outcome.failed) % 1000 === 0) options.onProgress?.({ ...outcome });
      });
    inFlight.add(call);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return outcome;
}
