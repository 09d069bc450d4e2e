import { ioLimitsFromEnv } from '../../common/config';

/** A caller waited longer than `maxWaitMs` for a free slot: nothing was sent, try again later. */
export class LimiterWaitTimeout extends Error {
  override readonly name = 'LimiterWaitTimeout';
  constructor(
    readonly waitedMs: number,
    readonly max: number,
  ) {
    super(`no free slot among ${max} after ${waitedMs} ms`);
  }
}

export interface LimiterRunOptions {
  /** Leaves the queue (rejecting with the signal's reason) when it fires before a slot is free. */
  signal?: AbortSignal;
  /** Longest wait for a slot; then `LimiterWaitTimeout`. Default: the limiter's own. */
  maxWaitMs?: number;
}

interface Waiter {
  grant: () => void;
}

/**
 * At most `max` calls in flight; the others wait in FIFO order. One instance per process
 * ({@link processCreationLimiter}) keeps service creations under PagoPA's gateway limit.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly max: number,
    private readonly defaultMaxWaitMs = Infinity,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`limiter size must be a positive integer: ${max}`);
  }

  /** Calls in flight now. */
  get active(): number {
    return this.running;
  }

  /** Calls waiting for a slot now. */
  get waiting(): number {
    return this.queue.length;
  }

  async run<T>(fn: () => Promise<T>, options: LimiterRunOptions = {}): Promise<T> {
    await this.acquire(options);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire({ signal, maxWaitMs = this.defaultMaxWaitMs }: LimiterRunOptions): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.running < this.max) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const leave = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        leave();
        reject(signal?.reason as Error);
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          this.running++;
          resolve();
        },
      };
      this.queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(maxWaitMs)) {
        timer = setTimeout(() => {
          leave();
          reject(new LimiterWaitTimeout(Date.now() - started, this.max));
        }, maxWaitMs);
      }
    });
  }

  private release(): void {
    this.running--;
    this.queue[0]?.grant();
  }
}

/**
 * How long a creation waits for a slot before giving up with a retryable failure: well inside the activity's
 * 1-minute start-to-close timeout, so Temporal retries it later instead of timing it out.
 */
export const CREATION_MAX_WAIT_MS = 20_000;

let shared: ConcurrencyLimiter | undefined;

/**
 * The process-wide limiter around `POST /services`, sized by `IO_MAX_CONCURRENT_CREATIONS` (default 5). PagoPA's
 * gateway accepts at most 10 concurrent creations across all its users (`limit-concurrency max-count=10` in
 * io-services-cms' createservice policy) and answers 429 beyond: worker processes × this ≤ 10.
 */
export function processCreationLimiter(): ConcurrencyLimiter {
  shared ??= new ConcurrencyLimiter(ioLimitsFromEnv().IO_MAX_CONCURRENT_CREATIONS, CREATION_MAX_WAIT_MS);
  return shared;
}
