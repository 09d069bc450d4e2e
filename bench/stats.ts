/** Latency samples, hdr-style: every sample is kept, sorted once, percentiles by nearest rank. */
export class Samples {
  private readonly values: number[] = [];
  private sorted: number[] | undefined;

  record(ms: number): void {
    this.values.push(ms);
    this.sorted = undefined;
  }

  get count(): number {
    return this.values.length;
  }

  /** Nearest-rank percentile (p in 0..100); NaN without samples. */
  percentile(p: number): number {
    if (this.values.length === 0) return Number.NaN;
    this.sorted ??= [...this.values].sort((a, b) => a - b);
    const rank = Math.min(this.sorted.length, Math.max(1, Math.ceil((p / 100) * this.sorted.length)));
    return this.sorted[rank - 1]!;
  }

  get max(): number {
    return this.percentile(100);
  }

  get mean(): number {
    return this.values.length === 0
      ? Number.NaN
      : this.values.reduce((a, b) => a + b, 0) / this.values.length;
  }
}

/** Named latency series plus the non-2xx answers each one met. */
export class LatencyBook {
  readonly series = new Map<string, Samples>();
  readonly statuses = new Map<string, Map<number, number>>();

  record(name: string, ms: number): void {
    let s = this.series.get(name);
    if (!s) this.series.set(name, (s = new Samples()));
    s.record(ms);
  }

  status(name: string, status: number): void {
    let m = this.statuses.get(name);
    if (!m) this.statuses.set(name, (m = new Map()));
    m.set(status, (m.get(status) ?? 0) + 1);
  }

  get(name: string): Samples {
    return this.series.get(name) ?? new Samples();
  }
}

/** Count, mean, median, min and max of a list of numbers. */
export function summarise(values: number[]): {
  n: number;
  mean: number;
  min: number;
  max: number;
  median: number;
} {
  if (values.length === 0)
    return { n: 0, mean: Number.NaN, min: Number.NaN, max: Number.NaN, median: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: values.length,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    median: sorted[Math.floor((sorted.length - 1) / 2)]!,
  };
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight; the first error stops new calls. */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await fn(items[index]!, index);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  if (failure !== undefined) throw failure;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const formatMiB = (bytes: number) =>
  Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(0)} MiB` : 'n/a';
