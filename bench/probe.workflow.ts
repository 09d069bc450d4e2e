import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

/** Answers its argument at once: no validator, no command, no activity. */
export const probePingUpdate = defineUpdate<number, [number]>('probePing');
export const probeStopSignal = defineSignal('probeStop');

/**
 * An idle workflow that answers the cheapest Update there is: the engine's floor for a staff step (an Update on a
 * Comune's workflow), measured on the same worker and task queue while the journeys run (bench/probe.ts).
 */
export async function probeWorkflow(): Promise<number> {
  let answered = 0;
  let stopped = false;
  setHandler(probePingUpdate, (n) => {
    answered += 1;
    return n;
  });
  setHandler(probeStopSignal, () => {
    stopped = true;
  });
  await condition(() => stopped);
  return answered;
}
