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

/**
 * CPU time a process has used (user + system), in seconds, from /proc/<pid>/stat (undefined when unreadable or
 * gone). Clock ticks of 1/100 s, Linux's USER_HZ.
 */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The sum of a figure over processes, those gone or unreadable counted as 0. */
function sumOf(values: (number | undefined)[]): number {
  return values.reduce<number>((sum, v) => sum + (v ?? 0), 0);
}

/** CPU seconds each process used in one phase, and how long the phase lasted. */
export interface PhaseCpu {
  wallMs: number;
  bench: number;
  worker?: number;
  temporal: number;
}

export interface RssPeaks {
  /** This process: API, sandbox, SMTP catcher, driver and load generator (and the worker, when run in it). */
  bench: number;
  /** This process's V8 heap in use: what of its RSS is JavaScript objects (documents, answers, garbage not yet
   * collected) rather than code, buffers and native memory. */
  benchHeapUsed: number;
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
  /** CPU seconds per phase and process: what each phase cost the box, beside its memory. */
  readonly cpu = new Map<string, PhaseCpu>();
  private cpuMark: ReturnType<RssSampler['cpuNow']>;

  constructor(
    private readonly temporalPid: number,
    private readonly workerPids: readonly number[] = [],
    intervalMs = 1_000,
  ) {
    this.cpuMark = this.cpuNow();
    this.loop.enable();
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  enter(phase: string): void {
    this.sample();
    this.closeCpu();
    this.phase = phase;
    this.loop.reset();
    this.sample();
  }

  private cpuNow() {
    const own = process.cpuUsage();
    return {
      at: performance.now(),
      bench: (own.user + own.system) / 1e6,
      worker: this.workerPids.length === 0 ? undefined : sumOf(this.workerPids.map(processCpuSeconds)),
      temporal: processCpuSeconds(this.temporalPid) ?? 0,
    };
  }

  /** Adds the CPU used since the last mark to the current phase. */
  private closeCpu(): void {
    const now = this.cpuNow();
    const was = this.cpuMark;
    this.cpuMark = now;
    const p = this.cpu.get(this.phase) ?? { wallMs: 0, bench: 0, temporal: 0 };
    this.cpu.set(this.phase, {
      wallMs: p.wallMs + (now.at - was.at),
      bench: p.bench + (now.bench - was.bench),
      ...(now.worker !== undefined && was.worker !== undefined
        ? { worker: (p.worker ?? 0) + (now.worker - was.worker) }
        : {}),
      temporal: p.temporal + (now.temporal - was.temporal),
    });
  }

  sample(): void {
    const { rss: bench, heapUsed: benchHeapUsed } = process.memoryUsage();
    const temporal = processRss(this.temporalPid) ?? 0;
    const worker = this.workerPids.length === 0 ? undefined : sumOf(this.workerPids.map(processRss));
    const p = this.peaks.get(this.phase) ?? { bench: 0, benchHeapUsed: 0, temporal: 0, loopDelayP99Ms: 0 };
    this.peaks.set(this.phase, {
      bench: Math.max(p.bench, bench),
      benchHeapUsed: Math.max(p.benchHeapUsed, benchHeapUsed),
      ...(worker === undefined ? {} : { worker: Math.max(p.worker ?? 0, worker) }),
      temporal: Math.max(p.temporal, temporal),
      loopDelayP99Ms: this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : p.loopDelayP99Ms,
    });
  }

  overall(): RssPeaks {
    let bench = 0;
    let benchHeapUsed = 0;
    let worker: number | undefined;
    let temporal = 0;
    let loopDelayP99Ms = 0;
    for (const p of this.peaks.values()) {
      bench = Math.max(bench, p.bench);
      benchHeapUsed = Math.max(benchHeapUsed, p.benchHeapUsed);
      if (p.worker !== undefined) worker = Math.max(worker ?? 0, p.worker);
      temporal = Math.max(temporal, p.temporal);
      loopDelayP99Ms = Math.max(loopDelayP99Ms, p.loopDelayP99Ms);
    }
    return { bench, benchHeapUsed, ...(worker === undefined ? {} : { worker }), temporal, loopDelayP99Ms };
  }

  stop(): void {
    this.sample();
    this.closeCpu();
    clearInterval(this.timer);
    this.loop.disable();
  }
}
