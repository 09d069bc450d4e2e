import type { Client } from '@temporalio/client';
import { probePingUpdate, probeStopSignal, type probeWorkflow } from './probe.workflow';
import { TASK_QUEUE } from './environment';
import { sleep, type LatencyBook } from './stats';
import type { StepSample } from './step-breakdown';

/** Time between two probes: light beside the journeys (about 100 workflow tasks a second on this box). */
const PROBE_EVERY_MS = 500;

/**
 * Sends a no-op Update to an idle workflow on the Comuni's task queue every half second, one at a time, until
 * stopped: what any staff step waits at least under the same load (the RPC, the server, the worker's poller and
 * event loop), whatever the journey's own handler does. Its latencies go to `book` under `series`.
 */
export async function startUpdateProbe(
  client: Client,
  book: LatencyBook,
  series: string,
  id: string,
  everyMs = PROBE_EVERY_MS,
) {
  const handle = await client.workflow.start<typeof probeWorkflow>('probeWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId: `bench-probe-${id}-${Date.now()}`,
  });
  let stopped = false;
  const errors: string[] = [];
  /** Each answered probe, for the breakdown of its time from the probe's history (bench/step-breakdown.ts). */
  const samples: StepSample[] = [];
  const loop = (async () => {
    for (let n = 0; !stopped; n++) {
      const started = performance.now();
      const sentAtMs = Date.now();
      const updateId = `probe-${n}`;
      try {
        await handle.executeUpdate(probePingUpdate, { args: [n], updateId });
        const totalMs = performance.now() - started;
        book.record(series, totalMs);
        samples.push({ series, workflowId: handle.workflowId, updateId, sentAtMs, totalMs });
      } catch (err) {
        book.status(series, 504);
        if (errors.length < 5) errors.push(`probe ${series}: ${String(err)}`);
      }
      await sleep(everyMs);
    }
  })();
  return {
    errors,
    samples,
    async stop(): Promise<void> {
      stopped = true;
      await loop;
      await handle.signal(probeStopSignal);
      await handle.result();
    },
  };
}

/** The same probe with nothing else running: `count` Updates, one at a time (what the floor is without load). */
export async function probeIdle(client: Client, book: LatencyBook, series: string, count: number) {
  const probe = await startUpdateProbe(client, book, series, 'idle', 50);
  while (book.get(series).count < count && probe.errors.length === 0) await sleep(50);
  await probe.stop();
  return probe.errors;
}
