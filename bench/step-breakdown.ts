import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Samples } from './stats';

const EventType = temporal.api.enums.v1.EventType;

/** One staff step the driver sent and got a 2xx for: enough to find its Update in the Comune's history. */
export interface StepSample {
  series: string;
  /** The workflow that received the Update: the Comune's, or the bench's probe. */
  workflowId: string;
  /** The Update's id as the API (or the driver) gave it to Temporal. */
  updateId: string;
  /** Wall clock when the request left the driver (epoch ms, the same clock as the server's event times). */
  sentAtMs: number;
  /** What the driver waited, request to answer. */
  totalMs: number;
  /** From the API's `Server-Timing` (api/timing.ts); absent for an Update sent to Temporal directly. */
  server?: { temporalMs: number; appMs: number };
}

/** Where one step's time went, in milliseconds. */
export interface StepParts {
  /** Outside Temporal: the API's own work (auth, validation, key verification) plus HTTP to and from it. */
  api: number;
  /** Temporal before the workflow task was scheduled and after it completed: the RPC, waiting for a task already running. */
  temporal: number;
  /** The workflow task waited in its queue for a worker's poller and slot. */
  queue: number;
  /** The workflow task ran on the worker: the handler and the rest of the activation (replay after eviction too). */
  task: number;
}

export interface StepBreakdown {
  series: string;
  /** Samples whose Update was found in history. */
  n: number;
  total: Samples;
  parts: Record<keyof StepParts, Samples>;
}

const ms = (t: temporal.api.history.v1.IHistoryEvent['eventTime']): number =>
  Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

/**
 * Splits each step's time from the Comune's history: the workflow task that accepted its Update (scheduled,
 * started, completed) against the driver's clock and the API's Server-Timing.
 */
export async function breakDownSteps(
  client: Client,
  samples: readonly StepSample[],
): Promise<StepBreakdown[]> {
  const byWorkflow = new Map<string, StepSample[]>();
  for (const s of samples) byWorkflow.set(s.workflowId, [...(byWorkflow.get(s.workflowId) ?? []), s]);
  const parts = new Map<string, { total: number[]; parts: StepParts[] }>();
  for (const [workflowId, own] of byWorkflow) {
    const history = await client.workflow
      .getHandle(workflowId)
      .fetchHistory()
      .catch(() => undefined);
    const events = history?.events ?? [];
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    for (const sample of own) {
      const accepted = events.find(
        (e) =>
          e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED &&
          e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId ===
            sample.updateId,
      );
      if (!accepted) continue;
      // The workflow task that accepted it completed just before the acceptance.
      const completed = [...events]
        .reverse()
        .find(
          (e) =>
            Number(e.eventId) < Number(accepted.eventId) &&
            e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
        );
      const attrs = completed?.workflowTaskCompletedEventAttributes;
      const started = byId.get(Number(attrs?.startedEventId));
      const scheduled = byId.get(Number(attrs?.scheduledEventId));
      if (!completed || !started || !scheduled) continue;
      const queue = Math.max(0, ms(started.eventTime) - ms(scheduled.eventTime));
      const task = Math.max(0, ms(completed.eventTime) - ms(started.eventTime));
      const temporalMs = sample.server?.temporalMs ?? sample.totalMs;
      const entry = parts.get(sample.series) ?? { total: [], parts: [] };
      entry.total.push(sample.totalMs);
      entry.parts.push({
        api: Math.max(0, sample.totalMs - temporalMs),
        temporal: Math.max(0, temporalMs - queue - task),
        queue,
        task,
      });
      parts.set(sample.series, entry);
    }
  }
  const samplesOf = (values: number[]) => {
    const samples = new Samples();
    for (const v of values) samples.record(v);
    return samples;
  };
  return [...parts].map(([series, { total, parts: p }]) => ({
    series,
    n: total.length,
    total: samplesOf(total),
    parts: {
      api: samplesOf(p.map((x) => x.api)),
      temporal: samplesOf(p.map((x) => x.temporal)),
      queue: samplesOf(p.map((x) => x.queue)),
      task: samplesOf(p.map((x) => x.task)),
    },
  }));
}

/** `temporal;dur=12.3, app;dur=45.6` → the two figures. */
export function parseServerTiming(header: string | null): StepSample['server'] {
  if (!header) return undefined;
  const temporalMs = /temporal;dur=([\d.]+)/.exec(header)?.[1];
  const appMs = /app;dur=([\d.]+)/.exec(header)?.[1];
  return temporalMs && appMs ? { temporalMs: Number(temporalMs), appMs: Number(appMs) } : undefined;
}
