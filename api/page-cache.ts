import type { Client } from '@temporalio/client';
import type { Freshness } from './freshness';

interface Entry<T> {
  value: T;
  /** When the value was read from the workflow (ms). */
  at: number;
  inFlight?: Promise<T>;
}

/**
 * The last answer of each Comune's and service's workflow, kept by the API so a page never waits long for a busy
 * worker (issue #13): a read asks the workflow (one query at a time per page) and answers with it when it comes
 * within `waitMs` (250 ms); otherwise it answers at once with the last known state, says as of when, and the query
 * goes on to refresh it. The first read of a page, and a page not read for `maxAgeMs`, wait for the workflow. A
 * step's answer (the Update's result, the freshest state there is) replaces the entry.
 *
 * Kept in the API process, bounded (least recently read out first): nothing in the workflows changes, and no history
 * grows. Why not a read model written by the workflows: see README «Pages read without waiting on a worker».
 */
export class PageCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly load: (key: string) => Promise<T>,
    private readonly options: {
      maxEntries?: number;
      maxAgeMs?: number;
      /** How long a read waits for the workflow before it answers with the last known state. */
      waitMs?: number;
      now?: () => number;
    } = {},
  ) {}

  private get now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async read(key: string): Promise<{ value: T; freshness: Freshness }> {
    const entry = this.entries.get(key);
    const maxAgeMs = this.options.maxAgeMs ?? 10 * 60_000;
    const started = this.now;
    if (!entry || started - entry.at > maxAgeMs) {
      const value = await this.load(key);
      this.put(key, value, started);
      return { value, freshness: { source: 'workflow', asOf: new Date(started).toISOString() } };
    }
    this.touch(key, entry);
    // The workflow's answer when it comes in time (a responsive worker: the page is current); otherwise the last
    // known state at once, while the query goes on and refreshes it for the next read.
    const flight = entry.inFlight ?? this.refresh(key, entry);
    const fresh = await settledWithin(flight, this.options.waitMs ?? 250);
    const last = this.entries.get(key) ?? entry;
    // The refresh stored its answer before this read saw it, unless a step's answer is newer: the latest of the two.
    if (fresh)
      return { value: last.value, freshness: { source: 'workflow', asOf: new Date(last.at).toISOString() } };
    return { value: last.value, freshness: { source: 'cache', asOf: new Date(last.at).toISOString() } };
  }

  /** A fresher value than any query gave (a step's answer). */
  put(key: string, value: T, at = this.now): void {
    const entry = this.entries.get(key);
    if (entry && entry.at > at) return;
    this.touch(key, { value, at, ...(entry?.inFlight ? { inFlight: entry.inFlight } : {}) });
    const max = this.options.maxEntries ?? 20_000;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Resolves when no refresh is in flight: for an orderly shutdown. */
  idle(): Promise<void> {
    return untilNoneInFlight(() => this.entries.values());
  }

  private touch(key: string, entry: Entry<T>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private refresh(key: string, entry: Entry<T>): Promise<T> {
    const at = this.now;
    const flight = this.load(key);
    entry.inFlight = flight;
    flight
      .then(
        (value) => this.put(key, value, at),
        () => undefined, // the page keeps its last state; the next read tries again
      )
      .finally(() => {
        const current = this.entries.get(key);
        if (current?.inFlight === flight) delete current.inFlight;
        if (entry.inFlight === flight) delete entry.inFlight;
      });
    return flight;
  }
}

/**
 * `promise`'s value when it is fulfilled within `ms`, otherwise undefined (a rejection too); the promise goes on.
 * How the page cache and the portfolio reader wait a bounded time for a fresher read before the last one.
 */
export async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        () => undefined,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once none of `entries` has a read in flight, including reads started while waiting: the orderly shutdown
 * of the API's caches (the page cache, the portfolio reader).
 */
export async function untilNoneInFlight(
  entries: () => Iterable<{ inFlight?: Promise<unknown> }>,
): Promise<void> {
  for (;;) {
    const flights = [...entries()].flatMap((e) => (e.inFlight ? [e.inFlight] : []));
    if (flights.length === 0) return;
    await Promise.allSettled(flights);
  }
}

const caches = new WeakMap<object, PageCache<unknown>>();

/** The API's one page cache per context (so per Temporal client), by workflow id. */
export function pageCache(ctx: { client: Client }, load: (workflowId: string) => Promise<unknown>) {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new PageCache<unknown>(load)));
  return cache;
}
