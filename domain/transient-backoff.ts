/**
 * How long a call to PagoPA (or the mail server) waits after a transient failure: 2 s, doubling, at most 2 minutes.
 * One schedule, read by the workflows' retry policy for the durable activities (workflows/activity-proxies.ts, where
 * the cap is explained) and by the activities that pace a 5xx by the failures in a row (activities/failures.ts).
 */
export const TRANSIENT_BACKOFF = { initialMs: 2_000, coefficient: 2, maxMs: 120_000 } as const;

/** The wait after the `inARow`-th transient failure in a row (1-based). */
export function transientBackoffMs(inARow: number): number {
  return Math.min(
    TRANSIENT_BACKOFF.maxMs,
    TRANSIENT_BACKOFF.initialMs * TRANSIENT_BACKOFF.coefficient ** Math.min(Math.max(inARow, 1) - 1, 16),
  );
}
