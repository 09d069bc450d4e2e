/**
 * What a worker process holds, measured on the real thing: a Temporal dev server, the PagoPA sandbox, and ONE worker
 * process (`worker/main.ts`, configured only by environment, as in production) whose VmRSS is sampled every 500 ms.
 *
 *   npx tsx bench/worker-memory.ts --comuni 1000 --drive 60 --services 11 [--max-cached N] [--compiled]
 *     [--max-old-space MiB]
 *
 * `--compiled` runs `dist/worker/main.js` as `npm start` does (`npm run build` first) instead of the sources through
 * tsx; `--max-old-space` bounds the worker's V8 heap (`--max-old-space-size`), as NODE_OPTIONS would in production.
 *
 * Phases: the idle worker; N Comuni started and waiting for their delegation (each a cached workflow); `drive` of
 * them taken through the staff steps to their services, which run to publication. Prints the worker's RSS per phase
 * and the figures the README's sizing rule comes from: MiB per cached journey, per open service.
 */
import { parseArgs } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { comuneInputSchema, type ComuneInput } from '../contracts/comune';
import { startCluster, type Cluster } from '../test/faults/cluster';
import { driveToServices, startJourney, waitState } from '../test/faults/journeys';
import { comuneInput } from '../test/support/fixtures';
import { processRss } from './memory';
import { formatDuration, runPool, sleep } from './stats';

const { values: flags } = parseArgs({
  options: {
    comuni: { type: 'string', default: '1000' },
    drive: { type: 'string', default: '60' },
    services: { type: 'string', default: '11' },
    'max-cached': { type: 'string' },
    compiled: { type: 'boolean', default: false },
    'max-old-space': { type: 'string' },
  },
  strict: true,
});
const comuni = Number(flags.comuni);
const drive = Math.min(Number(flags.drive), comuni);
const services = Number(flags.services);
if (flags['max-cached']) process.env.WORKER_MAX_CACHED_WORKFLOWS = flags['max-cached'];
const MiB = 1024 * 1024;

/** An organisation fiscal code (partita IVA layout: 10 digits and the check digit) for Comune `i`. */
function fiscalCodeOf(i: number): string {
  const digits = String(8_000_000_000 + i).padStart(10, '0');
  let sum = 0;
  for (let k = 0; k < 10; k++) {
    const d = Number(digits[k]);
    const doubled = d * 2;
    sum += k % 2 === 0 ? d : doubled > 9 ? doubled - 9 : doubled;
  }
  return `${digits}${(10 - (sum % 10)) % 10}`;
}

/** A synthetic Comune `i`: its own IPA code and fiscal code (the sandbox keeps organisations apart by it). */
function syntheticComune(i: number, logoRef: string): ComuneInput {
  const ipaCode = `c_m${String(i).padStart(5, '0')}`;
  const fiscalCode = fiscalCodeOf(i);
  const base = comuneInput({
    ipaCode,
    name: `Comune di Prova ${i}`,
    services,
    logoRef,
    settings: { adhesionCheck: 'automatic', reviewPollInitialMinutes: 0.01, reviewPollMaxHours: 0.0005 },
  });
  return comuneInputSchema.parse({
    ...base,
    comune: { ...base.comune, fiscalCode },
    services: base.services.map((s) => ({ ...s, card: { ...s.card, organization_fiscal_code: fiscalCode } })),
  });
}

class WorkerRss {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 500);
  }
  sample(): number {
    const rss = processRss(this.pid) ?? 0;
    this.peak = Math.max(this.peak, rss);
    return rss;
  }
  /** The peak since the last call, and restarts it. */
  takePeak(): number {
    const peak = Math.max(this.peak, this.sample());
    this.peak = 0;
    return peak;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

async function main(): Promise<void> {
  const inputs = Array.from({ length: comuni }, (_, i) => i + 1);
  const fiscalCodes = inputs.map(fiscalCodeOf);
  const started = performance.now();
  const cluster: Cluster = await startCluster({
    name: 'memory',
    workers: 1,
    workerProcess: {
      compiled: flags.compiled,
      nodeOptions: flags['max-old-space'] ? [`--max-old-space-size=${Number(flags['max-old-space'])}`] : [],
    },
    institutions: Object.fromEntries(
      fiscalCodes.map((fc, i) => [
        fc,
        { description: `Comune di Prova ${i + 1}`, onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }] },
      ]),
    ),
  });
  const worker = cluster.workers[0]!;
  const rss = new WorkerRss(worker.pid);
  const report: [string, string][] = [];
  const line = (what: string, value: string) => {
    report.push([what, value]);
    console.log(`${what}: ${value}`);
  };
  try {
    await sleep(3_000);
    const idle = rss.takePeak();
    line('worker idle (polling, no workflow)', `${(idle / MiB).toFixed(0)} MiB`);

    const t0 = performance.now();
    const handles: WorkflowHandle[] = [];
    await runPool(inputs, 16, async (i) => {
      handles.push(await startJourney(cluster, syntheticComune(i, cluster.logoRef)));
    });
    // Every Comune checked on Selfcare (scenario B) and waiting for its delegation: cached, not running.
    await runPool(handles, 8, async (h) => {
      await waitState(cluster, h, 'delegation requested', (s) => s.stage === 'delegation_requested', 600_000);
    });
    await sleep(3_000);
    const waiting = rss.sample();
    const startPeak = rss.takePeak();
    line(
      `${comuni} Comuni started and waiting (${formatDuration(performance.now() - t0)})`,
      `${(waiting / MiB).toFixed(0)} MiB now, peak ${(startPeak / MiB).toFixed(0)} MiB`,
    );
    const perJourney = (waiting - idle) / MiB / comuni;
    line('per cached journey waiting (RSS growth ÷ Comuni)', `${perJourney.toFixed(2)} MiB`);

    const driven = handles.filter((_, i) => i % Math.max(1, Math.floor(comuni / Math.max(drive, 1))) === 0);
    const chosen = driven.slice(0, drive);
    const t1 = performance.now();
    await runPool(chosen, 16, (h) => driveToServices(cluster, h));
    await runPool(chosen, 8, async (h) => {
      await waitState(cluster, h, 'completed', (s) => s.stage === 'completed', 1_800_000);
    });
    const drivePeak = rss.takePeak();
    line(
      `${chosen.length} Comuni × ${services} services driven to completion (${formatDuration(performance.now() - t1)})`,
      `peak ${(drivePeak / MiB).toFixed(0)} MiB`,
    );
    const open = chosen.length * services;
    line(
      'per service in flight (peak growth over the waiting Comuni ÷ services driven), upper bound',
      open > 0 ? `${(Math.max(0, drivePeak - waiting) / MiB / open).toFixed(2)} MiB` : 'none driven',
    );
    line(
      'settings',
      [
        `WORKER_MAX_CACHED_WORKFLOWS=${process.env.WORKER_MAX_CACHED_WORKFLOWS ?? '(default)'}`,
        flags.compiled ? 'dist/worker/main.js' : 'worker/main.ts through tsx',
        flags['max-old-space'] ? `--max-old-space-size=${flags['max-old-space']}` : 'V8 heap unbounded',
      ].join(', '),
    );
    line('total', formatDuration(performance.now() - started));
  } finally {
    rss.stop();
    await cluster.close();
  }
  console.log('\n| figure | value |\n| --- | --- |');
  for (const [what, value] of report) console.log(`| ${what} | ${value} |`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
