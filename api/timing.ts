import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where a request's time goes, for the request log and the `Server-Timing` header: the whole request inside the API,
 * and the part spent waiting on Temporal (an Update, a query, a read of the page cache), so a slow step can be told
 * apart: API work, or Temporal and the workflow task behind it (bench/step-breakdown.ts splits the latter).
 */
export interface RequestTiming {
  startedAt: number;
  temporalMs: number;
}

const timings = new AsyncLocalStorage<RequestTiming>();

/**
 * Runs a request's handler with its own timing (started once the body is parsed: the body parsers' stream events do
 * not carry an async context from middleware run before them).
 */
export function withRequestTiming<T>(timing: RequestTiming, run: () => T): T {
  return timings.run(timing, run);
}

export const newRequestTiming = (): RequestTiming => ({ startedAt: performance.now(), temporalMs: 0 });

/** The current request's timing; undefined outside a request. */
export const currentTiming = (): RequestTiming | undefined => timings.getStore();

/** Adds the time of one call to Temporal to the current request. */
export async function timeTemporal<T>(fn: () => Promise<T>): Promise<T> {
  const timing = timings.getStore();
  const started = performance.now();
  try {
    return await fn();
  } finally {
    if (timing) timing.temporalMs += performance.now() - started;
  }
}

/** `Server-Timing` value: `temporal;dur=…, app;dur=…` (milliseconds, one decimal). */
export function serverTimingHeader(timing: RequestTiming): string {
  const total = performance.now() - timing.startedAt;
  return `temporal;dur=${timing.temporalMs.toFixed(1)}, app;dur=${total.toFixed(1)}`;
}
