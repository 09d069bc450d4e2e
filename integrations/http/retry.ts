import { HttpRetryableError } from './errors';

export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). Default 3: Temporal retries on top. */
  maxAttempts: number;
  /** Delay before the first retry; doubles each attempt. Default 200 ms. */
  baseDelayMs: number;
  /** Upper bound of the exponential backoff. Default 5 s. */
  maxDelayMs: number;
  /**
   * A `Retry-After` longer than this is not waited for in-process: the error is rethrown at once
   * (it carries `retryAfterMs`) so the caller's scheduler (Temporal) can wait instead. Default 10 s.
   */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 10_000,
};

export function resolveRetryPolicy(...overrides: (Partial<RetryPolicy> | undefined)[]): RetryPolicy {
  const policy = { ...defaultRetryPolicy };
  for (const o of overrides) {
    if (!o) continue;
    for (const [k, v] of Object.entries(o) as [keyof RetryPolicy, number | undefined][]) {
      if (v !== undefined) policy[k] = v;
    }
  }
  policy.maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  return policy;
}

/**
 * Delay before retry number `attempt` (1 = first retry): exponential backoff with "equal jitter"
 * (half fixed, half random), and never less than the server's `Retry-After`.
 * Returns `undefined` when the server asks for longer than `maxRetryAfterMs`.
 */
export function computeRetryDelay(
  attempt: number,
  error: HttpRetryableError,
  policy: RetryPolicy,
  random: () => number,
): number | undefined {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const backoff = exp / 2 + random() * (exp / 2);
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > policy.maxRetryAfterMs) return undefined;
    return Math.max(error.retryAfterMs, backoff);
  }
  return backoff;
}

/** Whether an error may be retried for a request of this kind. */
export function mayRetry(error: HttpRetryableError, idempotent: boolean): boolean {
  // A non-idempotent request (POST create, send message) is retried only when the server surely did
  // not process it (429). A 5xx or a timeout may hide a success: the caller decides (e.g. look up first).
  return idempotent || error.kind === 'rate_limited';
}

/** A sleep that an AbortSignal interrupts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
