import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** VmRSS of a process in bytes, from /proc/<pid>/status (undefined when unreadable or gone). */
export function processRss(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface RssPeaks {
  /** This process: API, sandbox, SMTP catcher, driver and load generator (and the worker, when run in it). */
  bench: number;
  /** The worker's own process, when it has one. */
  worker?: number;
  temporal: number;
  /** p99 delay of this process's event loop (ms): the API and the sandbox share it (and the activities, in it). */
  loopDelayP99Ms: number;
}

/** Samples this process's RSS and the Temporal server's VmRSS every `intervalMs`; peaks per phase. */
export class RssSampler {
  private readonly timer: NodeJS.Timeout;
  private phase = 'setup';
  private loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  readonly peaks = new Map<string, RssPeaks>();

  constructor(
    private readonly temporalPid: number,
    private readonly workerPid?: number,
    intervalMs = 1_000,
  ) {
    this.loop.enable();
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  enter(phase: string): void {
    this.sample();
    this.phase = phase;
    this.loop.reset();
    this.sample();
  }

  sample(): void {
    const bench = process.memoryUsage.rss();
    const temporal = processRss(this.temporalPid) ?? 0;
    const worker = this.workerPid === undefined ? undefined : (processRss(this.workerPid) ?? 0);
    const p = this.peaks.get(this.phase) ?? { bench: 0, temporal: 0, loopDelayP99Ms: 0 };
    this.peaks.set(this.phase, {
      bench: Math.max(p.bench, bench),
      ...(worker === undefined ? {} : { worker: Math.max(p.worker ?? 0, worker) }),
      temporal: Math.max(p.temporal, temporal),
      loopDelayP99Ms: this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : p.loopDelayP99Ms,
    });
  }

  overall(): RssPeaks {
    let bench = 0;
    let worker: number | undefined;
    let temporal = 0;
    let loopDelayP99Ms = 0;
    for (const p of this.peaks.values()) {
      bench = Math.max(bench, p.bench);
      if (p.worker !== undefined) worker = Math.max(worker ?? 0, p.worker);
      temporal = Math.max(temporal, p.temporal);
      loopDelayP99Ms = Math.max(loopDelayP99Ms, p.loopDelayP99Ms);
    }
    return { bench, ...(worker === undefined ? {} : { worker }), temporal, loopDelayP99Ms };
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
    this.loop.disable();
  }
}
