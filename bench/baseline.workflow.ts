import { proxyActivities, sleep, upsertMemo } from '@temporalio/workflow';

/** The engine's floor: the no-op activity the minimal workflow calls (registered by the bench's worker). */
export interface BaselineActivities {
  baselineNoop(): Promise<void>;
}

const { baselineNoop } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

export interface BaselineInput {
  /** ActivityTaskScheduled events of one sampled service journey. */
  activities: number;
  /** TimerStarted events of one sampled service journey. */
  timers: number;
  /** Memo upserts, one in each of the first workflow tasks (bench/visibility-cost.ts); none by default. */
  memoUpserts?: number;
}

/**
 * A workflow with the same number of activities and timers as one service journey, and nothing else: no
 * signals, no search attributes, no parent, no HTTP behind the activity. Its throughput on the same worker is
 * what the engine itself can do on this machine.
 */
export async function baselineWorkflow(input: BaselineInput): Promise<number> {
  const steps = Math.max(input.activities, input.timers);
  for (let i = 0; i < steps; i++) {
    if (i < (input.memoUpserts ?? 0)) upsertMemo({ step: i });
    if (i < input.activities) await baselineNoop();
    if (i < input.timers) await sleep(1);
  }
  return steps;
}
