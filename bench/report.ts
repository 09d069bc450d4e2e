import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import type { BaselineOutcome, Window } from './baseline';
import type { WorkerTuning } from './environment';
import type { HistorySample, HistoryStats } from './histories';
import { SERIES, type DriveOutcome, type ImportOutcome } from './journeys';
import type { PhaseCpu, RssPeaks } from './memory';
import type { StepBreakdown } from './step-breakdown';
import { formatDuration, formatMiB, formatMs, type LatencyBook, type Samples } from './stats';

export const FULL_COMUNI = 7_904;
export const FULL_SERVICES_PER_COMUNE = 11;

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  os: string;
  temporalCli: string;
  loadAverageStart: number[];
  loadAverageEnd: number[];
}

export interface RunResult {
  command: string;
  /** Release and commit of the code measured (`0.3.0 @abc1234`, `+ changes` for a dirty work tree). */
  code: string;
  startedAt: string;
  totalMs: number;
  machine: Machine;
  comuni: number;
  /** Comuni driven to completion (the others stay waiting for their delegation). */
  drivenComuni: number;
  servicesPerComune: number;
  serviceWorkflows: number;
  preseededServices: number;
  sandboxLatencyMs: number;
  dbDir: string;
  /** BENCH_DEV_SERVER_ARGS: options given to the dev server beyond the product's, for an experiment (else empty). */
  devServerExtraArgs: string;
  driveConcurrency: number;
  loadConcurrency: number;
  tuning: WorkerTuning;
  setup: { step: string; ms: number }[];
  /** Worker processes whose memory and CPU are summed (0: the worker ran in the bench's process). */
  workerProcesses: number;
  importOutcome: ImportOutcome;
  /** Import jobs done → every Comune waiting for its delegation with its instructions sent. */
  settle: { ms: number; errors: string[] };
  drive: DriveOutcome;
  /** Where each staff step's time went (bench/step-breakdown.ts). */
  stepBreakdown: StepBreakdown[];
  serviceWindow: Window;
  latencies: LatencyBook;
  histories?: HistorySample;
  journeyTimings: Map<string, Samples>;
  journeyFailedAttempts: Map<string, number>;
  baseline?: BaselineOutcome;
  /**
   * The same minimal workflows again with the drive's readers reading meanwhile: the journeys shared the box with
   * them, the first baseline did not. Its ratio compares like with like on that count (the sandbox playing PagoPA
   * still works during the journeys only).
   */
  baselineWithReaders?: BaselineOutcome & { readers: number };
  memory: Map<string, RssPeaks>;
  memoryOverall: RssPeaks;
  /** CPU seconds per phase and process (bench/memory.ts). */
  cpu: Map<string, PhaseCpu>;
  sandboxRequests: [string, number][];
  sandboxServices: { total: number; published: number };
  outboxMessages: number;
  broken: string[];
}

/** The targets of issue #13: journeys/minimal ≥ 0.8; step, detail and list p99 on this box. */
export const TARGETS = { ratio: 0.8, summaryMs: 1_000, stepP99Ms: 200, detailP99Ms: 300, listP99Ms: 300 };

export function targets(r: RunResult) {
  const ratio = r.baseline ? r.serviceWindow.perSecond / r.baseline.window.perSecond : Number.NaN;
  const ratioSameReaders = r.baselineWithReaders?.completed
    ? r.serviceWindow.perSecond / r.baselineWithReaders.window.perSecond
    : Number.NaN;
  const summary = r.latencies.get(SERIES.summary);
  const step = r.latencies.get(SERIES.delegation);
  const signed = r.latencies.get(SERIES.signedForm);
  const verdict = (ok: boolean, known: boolean) => (!known ? 'n/a' : ok ? 'PASS' : 'MISS');
  return {
    ratio,
    ratioVerdict: verdict(ratio >= TARGETS.ratio, Number.isFinite(ratio)),
    ratioSameReaders,
    ratioSameReadersVerdict: verdict(ratioSameReaders >= TARGETS.ratio, Number.isFinite(ratioSameReaders)),
    summaryP50: summary.percentile(50),
    summaryP99: summary.percentile(99),
    summaryVerdict: verdict(summary.percentile(99) < TARGETS.summaryMs, summary.count > 0),
    stepP99: step.percentile(99),
    signedP99: signed.percentile(99),
    /** The engine's floor under the drive's load: a no-op Update on an idle workflow (bench/probe.ts). */
    probeP50: r.latencies.get(SERIES.probeDrive).percentile(50),
    probeP99: r.latencies.get(SERIES.probeDrive).percentile(99),
    probeIdleP99: r.latencies.get(SERIES.probeIdle).percentile(99),
    stepVerdict: verdict(step.percentile(99) < TARGETS.stepP99Ms, step.count > 0),
    detailP99: r.latencies.get(SERIES.detail).percentile(99),
    detailVerdict: verdict(
      r.latencies.get(SERIES.detail).percentile(99) < TARGETS.detailP99Ms,
      r.latencies.get(SERIES.detail).count > 0,
    ),
    listP99: r.latencies.get(SERIES.list).percentile(99),
    listVerdict: verdict(
      r.latencies.get(SERIES.list).percentile(99) < TARGETS.listP99Ms,
      r.latencies.get(SERIES.list).count > 0,
    ),
  };
}

const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const n1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const n2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

function table(header: string[], rows: (string | number)[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function latencyRows(book: LatencyBook): (string | number)[][] {
  const order = [
    SERIES.delegation,
    SERIES.signedForm,
    SERIES.manageKey,
    SERIES.list,
    SERIES.detail,
    SERIES.summary,
    SERIES.importPost,
    SERIES.importStatus,
    SERIES.probeIdle,
    SERIES.probeDrive,
    SERIES.probeBaseline,
  ];
  return order.map((name) => {
    const s = book.get(name);
    const refused = [...(book.statuses.get(name)?.entries() ?? [])]
      .map(([st, c]) => `${c}× ${st}`)
      .join(', ');
    return [
      `\`${name}\``,
      n0(s.count),
      formatMs(s.percentile(50)),
      formatMs(s.percentile(99)),
      formatMs(s.max),
      refused || '-',
    ];
  });
}

function historyRows(h: HistoryStats): (string | number)[][] {
  const label: Record<keyof HistoryStats, string> = {
    events: 'history events',
    workflowTasks: 'workflow tasks (WorkflowTaskCompleted)',
    activities: 'activities (ActivityTaskScheduled)',
    ioSteps: 'PagoPA and portal calls they make',
    localActivities: 'local activities (markers)',
    timers: 'timers (TimerStarted)',
    signalsSent: 'signals sent',
    signalsReceived: 'signals received',
    updates: 'updates accepted',
    children: 'children started',
    searchAttributeUpserts: 'search attribute upserts',
    memoUpserts: 'memo upserts (WorkflowPropertiesModified)',
    patchMarkers: 'patch markers (each with a TemporalChangeVersion upsert)',
    visibilityWrites: 'visibility writes (start, upserts, close)',
  };
  return (Object.keys(label) as (keyof HistoryStats)[]).map((k) => [
    label[k],
    n1(h[k].mean),
    n0(h[k].min),
    n0(h[k].max),
  ]);
}

function timingRows(ok: Map<string, Samples>, failed: Map<string, number>): (string | number)[][] {
  return [...new Set([...ok.keys(), ...failed.keys()])].sort().map((type) => {
    const s = ok.get(type);
    return [
      `\`${type}\``,
      n0(s?.count ?? 0),
      formatMs(s?.percentile(50) ?? Number.NaN),
      formatMs(s?.percentile(99) ?? Number.NaN),
      formatMs(s?.mean ?? Number.NaN),
      n0(failed.get(type) ?? 0),
    ];
  });
}

/**
 * What one workflow costs the engine and the worker in CPU: a service journey in the drive (its share of its
 * Comune's workflow and staff steps included) against a minimal workflow in the baseline. Unlike the ratio of
 * rates, it does not depend on what else used the box meanwhile (the readers, the API and the sandbox share it in
 * the drive, not in the baseline).
 */
export function cpuPerWorkflow(r: RunResult) {
  const drive = r.cpu.get('drive');
  const base = r.cpu.get('baseline');
  const per = (phase: PhaseCpu | undefined, count: number | undefined) =>
    phase && count && count > 0 && phase.worker !== undefined
      ? {
          temporalMs: (phase.temporal * 1000) / count,
          workerMs: (phase.worker * 1000) / count,
          benchMs: (phase.bench * 1000) / count,
        }
      : undefined;
  const journey = per(drive, r.drive.completed ? r.serviceWorkflows : r.drive.servicesCompleted);
  const minimal = per(base, r.baseline?.completed ? r.baseline.count : undefined);
  const costRatio =
    journey && minimal
      ? (minimal.temporalMs + minimal.workerMs) / (journey.temporalMs + journey.workerMs)
      : undefined;
  return { journey, minimal, costRatio };
}

/** The key figures of one run: one JSON line per run in bench/results.jsonl. */
export function summaryLine(r: RunResult) {
  const t = targets(r);
  const cpu = cpuPerWorkflow(r);
  return {
    at: r.startedAt,
    command: r.command,
    code: r.code,
    comuni: r.comuni,
    drivenComuni: r.drivenComuni,
    servicesPerComune: r.servicesPerComune,
    serviceWorkflows: r.serviceWorkflows,
    preseededServices: r.preseededServices,
    dbDir: r.dbDir,
    ...(r.devServerExtraArgs ? { devServerExtraArgs: r.devServerExtraArgs } : {}),
    tuning: r.tuning,
    importS: +(r.importOutcome.ms / 1000).toFixed(1),
    settleS: +(r.settle.ms / 1000).toFixed(1),
    driveS: +(r.drive.ms / 1000).toFixed(1),
    journeysPerS: +r.serviceWindow.perSecond.toFixed(2),
    baselinePerS: r.baseline ? +r.baseline.window.perSecond.toFixed(2) : null,
    ratio: Number.isFinite(t.ratio) ? +t.ratio.toFixed(3) : null,
    ...(r.baselineWithReaders?.completed
      ? {
          baselineWithReadersPerS: +r.baselineWithReaders.window.perSecond.toFixed(2),
          ratioSameReaders: +t.ratioSameReaders.toFixed(3),
        }
      : {}),
    ...(cpu.journey
      ? {
          journeyCpuMs: {
            temporal: Math.round(cpu.journey.temporalMs),
            worker: Math.round(cpu.journey.workerMs),
            bench: Math.round(cpu.journey.benchMs),
          },
        }
      : {}),
    ...(cpu.minimal
      ? {
          minimalCpuMs: {
            temporal: Math.round(cpu.minimal.temporalMs),
            worker: Math.round(cpu.minimal.workerMs),
          },
        }
      : {}),
    ...(cpu.costRatio !== undefined ? { cpuCostRatio: +cpu.costRatio.toFixed(3) } : {}),
    stepP99Ms: Math.round(t.stepP99),
    ...(Number.isFinite(t.probeP99) ? { probeP99Ms: Math.round(t.probeP99) } : {}),
    ...(Number.isFinite(t.probeIdleP99) ? { probeIdleP99Ms: Math.round(t.probeIdleP99) } : {}),
    summaryP99Ms: Math.round(t.summaryP99),
    benchPeakRssMiB: Math.round(r.memoryOverall.bench / 1048576),
    ...(r.memoryOverall.worker !== undefined
      ? { workerPeakRssMiB: Math.round(r.memoryOverall.worker / 1048576) }
      : {}),
    temporalPeakRssMiB: Math.round(r.memoryOverall.temporal / 1048576),
    loadAverageStart: r.machine.loadAverageStart[0] ?? null,
    loadAverageEnd: r.machine.loadAverageEnd[0] ?? null,
    totalS: +(r.totalMs / 1000).toFixed(1),
    broken: r.broken,
  };
}

type Summary = ReturnType<typeof summaryLine>;
/** Lines written before `--drive` existed lack its figures; before the code was recorded, which code ran. */
type Line = Omit<Summary, 'drivenComuni' | 'settleS' | 'code'> &
  Partial<Pick<Summary, 'drivenComuni' | 'settleS' | 'code'>>;

export function appendResults(file: string, r: RunResult): void {
  mkdirSync(path.dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(summaryLine(r))}\n`);
}

function readResults(file: string): Line[] {
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

/** The CPU one service journey costs beside the minimal workflow's, as a sentence for the report. */
function cpuCostText(r: RunResult): string {
  const { journey, minimal, costRatio } = cpuPerWorkflow(r);
  if (!journey) return '';
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  return (
    `CPU per service journey in the drive: Temporal server ${ms(journey.temporalMs)}, worker ${ms(journey.workerMs)}, ` +
    `bench process ${ms(journey.benchMs)} (API, sandbox, driver, readers)` +
    (minimal && costRatio !== undefined
      ? `; per minimal workflow in the baseline: Temporal server ${ms(minimal.temporalMs)}, worker ` +
        `${ms(minimal.workerMs)}. Server and worker CPU, minimal ÷ journey: **${costRatio.toFixed(2)}** (the ratio ` +
        'of rates above also counts what the rest of the box took from the engine meanwhile).'
      : '.')
  );
}

function extrapolation(r: RunResult): string {
  if (r.drivenComuni >= FULL_COMUNI && r.servicesPerComune >= FULL_SERVICES_PER_COMUNE) return '';
  const fullServices = FULL_COMUNI * FULL_SERVICES_PER_COMUNE;
  const importRate = r.comuni / ((r.importOutcome.ms + r.settle.ms) / 1000);
  const driveRate = r.serviceWorkflows / (r.drive.ms / 1000);
  const journeyRate = r.serviceWindow.perSecond;
  const baselineRate = r.baseline?.window.perSecond ?? Number.NaN;
  const importMeasured = r.comuni >= FULL_COMUNI;
  return [
    '## Full run (7,904 Comuni × 11 services = 86,944 service workflows): what was measured, what is extrapolated',
    '',
    (importMeasured
      ? `The import of all ${n0(r.comuni)} Comuni was **measured**. `
      : `The import is extrapolated from ${n0(r.comuni)} Comuni. `) +
      `The drive to completion is a linear **extrapolation** of the rates measured on the ${n0(r.drivenComuni)} ` +
      `Comuni × ${r.servicesPerComune} services driven in this run, while every imported Comune's workflow was ` +
      'open. It assumes the rates hold over hours: read the durations as estimates, not measurements.',
    '',
    table(
      ['Phase', 'Measured rate (this run)', 'Full run', ''],
      [
        [
          'Import (API JSON import → every Comune waiting for its delegation, instructions sent)',
          `${n1(importRate)} Comuni/s`,
          formatDuration((FULL_COMUNI / importRate) * 1000),
          importMeasured ? 'measured' : 'extrapolated',
        ],
        [
          'Drive (first staff step → all Comuni completed)',
          `${n1(driveRate)} service journeys/s`,
          formatDuration((fullServices / driveRate) * 1000),
          'extrapolated',
        ],
        [
          'Service journeys, engine window (first service start → last close)',
          `${n1(journeyRate)}/s`,
          formatDuration((fullServices / journeyRate) * 1000),
          'extrapolated',
        ],
        [
          'Minimal workflows, same count',
          `${n1(baselineRate)}/s`,
          formatDuration((fullServices / baselineRate) * 1000),
          'extrapolated',
        ],
      ],
    ),
  ].join('\n');
}

export async function renderReport(r: RunResult, resultsFile: string, findings: string): Promise<string> {
  const t = targets(r);
  const m = r.machine;
  const h = r.histories;
  const runs = readResults(resultsFile);
  const md = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (bench/scale.ts); the findings come from bench/findings.md. -->',
    '',
    `Generated ${r.startedAt}, measuring code ${r.code}, by:`,
    '',
    '```sh',
    r.command,
    '```',
    '',
    `**Measured**: ${n0(r.comuni)} Comuni imported; ${n0(r.drivenComuni)} of them × ${r.servicesPerComune} ` +
      `services = ${n0(r.serviceWorkflows)} service workflows driven through the staff steps, ` +
      `${n0(r.drive.comuniCompleted)} of the ${n0(r.drivenComuni)} Comuni completed, end to end on this machine, ` +
      `in ${formatDuration(r.totalMs)} of wall clock for the whole run` +
      (r.drivenComuni < FULL_COMUNI
        ? `. Driving all ${n0(FULL_COMUNI)} Comuni to completion was **not** measured: those figures are ` +
          'extrapolated below.'
        : '.') +
      (r.broken.length > 0 ? ` **BROKEN**: ${r.broken.join('; ')}` : ''),
    '',
    '## Machine',
    '',
    table(
      ['Fact', 'Value'],
      [
        ['CPU', `${m.cores} cores (${m.cpuModel})`],
        ['Memory', formatMiB(m.memoryBytes)],
        ['Node.js', m.node],
        ['OS', m.os],
        ['Temporal', `${m.temporalCli}, dev server, SQLite file in \`${r.dbDir}\``],
        [
          'Load average (1 min) at start / end',
          `${n2(m.loadAverageStart[0] ?? Number.NaN)} / ${n2(m.loadAverageEnd[0] ?? Number.NaN)} ` +
            '(a shared machine: other engineers’ builds and tests were running)',
        ],
      ],
    ),
    '',
    r.memoryOverall.worker !== undefined
      ? '## Set-up: the bench, the worker and the Temporal server, three processes'
      : '## Set-up: one process plus the Temporal server',
    '',
    'The Temporal dev server is spawned from the provisioned CLI (`server start-dev --headless`, SQLite in a ' +
      'temporary file) with the options `npm start` gives it (`devServerArgs()`: the project’s search ' +
      'attributes created with the namespace, `system.forceSearchAttributesCacheRefreshOnRead` off as in ' +
      'production)' +
      (r.devServerExtraArgs ? `, and for this run \`${r.devServerExtraArgs}\`` : '') +
      '. ' +
      (r.memoryOverall.worker !== undefined
        ? 'The worker runs in a process of its own, as in production (`bench/worker-process.ts`: both task ' +
          'queues, the real activities over the sandbox, SMTP to the catcher, the bulk activities, the baseline’s ' +
          'no-op; activity timings sent to the bench over IPC). The bench’s process holds the rest: '
        : 'Everything else runs in the bench’s process (`--worker-in-process`): the worker (the real activities ' +
          'over the sandbox, SMTP to the catcher, the bulk activities, the baseline’s no-op), ') +
      'the PagoPA sandbox (reviewer approves at once; Selfcare seeded with every other Comune adherent), ' +
      'the SMTP catcher, a 300×300 logo in the document store, the API (`createApp`, review polling ' +
      '`reviewPollInitialMinutes` 0.01 / `reviewPollMaxHours` 0.001, write rate limit off for the single staff ' +
      'token), the driver and the load generator.',
    '',
    table(
      ['Set-up step', 'Time'],
      r.setup.map((s) => [s.step, formatMs(s.ms)]),
    ),
    '',
    table(
      ['Worker setting', 'Value'],
      Object.entries(r.tuning).map(([k, v]) => [`\`${k}\``, n0(v)]),
    ),
    '',
    '## Results',
    '',
    table(
      ['Figure', 'Value'],
      [
        [
          'Import: `POST /api/v1/imports/json` → every job completed',
          `${formatDuration(r.importOutcome.ms)} (${r.importOutcome.jobs.length} job(s), ` +
            `${n0(r.importOutcome.started)} Comuni started, ${n0(r.importOutcome.failed)} failed)`,
        ],
        [
          'Settle: jobs completed → every Comune past its adhesion check, Selfcare instructions sent',
          formatDuration(r.settle.ms),
        ],
        [
          `Drive: staff steps (${r.driveConcurrency} in flight) → all Comuni \`completed\` in visibility`,
          `${formatDuration(r.drive.ms)} (every staff step recorded after ${formatDuration(r.drive.stepsDoneMs)})`,
        ],
        [
          'Service journeys: first service start → last service close',
          `${n0(r.serviceWindow.count)} in ${formatDuration(r.serviceWindow.ms)} = ` +
            `**${n1(r.serviceWindow.perSecond)}/s**`,
        ],
        [
          'Minimal workflows: one activity per IO call of a service (activities + local activities), same timers, same worker, after the journeys',
          r.baseline
            ? `${n0(r.baseline.window.count)} in ${formatDuration(r.baseline.window.ms)} = ` +
              `**${n1(r.baseline.window.perSecond)}/s** (${r.baseline.input.activities} activities, ` +
              `${r.baseline.input.timers} timers each)`
            : 'not run',
        ],
        ...(r.baselineWithReaders?.completed
          ? [
              [
                `Minimal workflows again, with the drive’s ${r.baselineWithReaders.readers} readers reading meanwhile`,
                `${n0(r.baselineWithReaders.window.count)} in ${formatDuration(r.baselineWithReaders.window.ms)} = ` +
                  `**${n1(r.baselineWithReaders.window.perSecond)}/s**`,
              ],
            ]
          : []),
        r.memoryOverall.worker !== undefined
          ? ['Peak RSS, bench process (API + sandbox + SMTP + driver)', formatMiB(r.memoryOverall.bench)]
          : [
              'Peak RSS, bench process (worker + API + sandbox + SMTP + driver)',
              formatMiB(r.memoryOverall.bench),
            ],
        ...(r.memoryOverall.worker !== undefined
          ? [
              [
                r.workerProcesses > 1
                  ? `Peak RSS, the ${r.workerProcesses} worker processes (one per queue), summed`
                  : 'Peak RSS, worker process (both queues)',
                formatMiB(r.memoryOverall.worker),
              ],
            ]
          : []),
        ['Peak RSS, Temporal dev server (VmRSS)', formatMiB(r.memoryOverall.temporal)],
        [
          'Services on the sandbox’s IO / published',
          `${n0(r.sandboxServices.total)} / ${n0(r.sandboxServices.published)}` +
            (r.preseededServices > 0 ? ` (including ${n0(r.preseededServices)} pre-seeded)` : ''),
        ],
        ['E-mails caught by the SMTP catcher', n0(r.outboxMessages)],
        [
          'Staff steps refused and retried (Comune not at that stage yet)',
          `delegation ${n0(r.drive.stepRetries.delegation)}, signed form ${n0(r.drive.stepRetries.signedForm)}, ` +
            `manage key ${n0(r.drive.stepRetries.manageKey)}`,
        ],
      ],
    ),
    '',
    '### Targets (reported, never enforced)',
    '',
    table(
      ['Target', 'Measured', 'Verdict'],
      [
        [
          `service journeys/s ÷ minimal workflows/s ≥ ${TARGETS.ratio}`,
          `${n1(r.serviceWindow.perSecond)} ÷ ${n1(r.baseline?.window.perSecond ?? Number.NaN)} = ${n2(t.ratio)}`,
          t.ratioVerdict,
        ],
        ...(r.baselineWithReaders?.completed
          ? [
              [
                `the same ratio, the ${r.baselineWithReaders.readers} readers reading in both phases (like with like)`,
                `${n1(r.serviceWindow.perSecond)} ÷ ${n1(r.baselineWithReaders.window.perSecond)} = ` +
                  n2(t.ratioSameReaders),
                t.ratioSameReadersVerdict,
              ],
            ]
          : []),
        [
          `portfolio summary over all ${n0(r.comuni)} Comuni < ${TARGETS.summaryMs} ms`,
          `p50 ${formatMs(t.summaryP50)}, p99 ${formatMs(t.summaryP99)}`,
          t.summaryVerdict,
        ],
        [
          `step endpoint p99 < ${TARGETS.stepP99Ms} ms`,
          `delegation p99 ${formatMs(t.stepP99)} (signed-form update sent to Temporal directly: p99 ` +
            `${formatMs(t.signedP99)}; the engine's floor meanwhile, a no-op Update on an idle workflow: p50 ` +
            `${formatMs(t.probeP50)}, p99 ${formatMs(t.probeP99)}; ${formatMs(t.probeIdleP99)} at p99 with nothing ` +
            'else running)',
          t.stepVerdict,
        ],
        [
          `Comune detail p99 < ${TARGETS.detailP99Ms} ms, with ${r.loadConcurrency} readers during the drive`,
          `\`GET /comuni/:ipa\` p99 ${formatMs(t.detailP99)}`,
          t.detailVerdict,
        ],
        [
          `list p99 < ${TARGETS.listP99Ms} ms, with ${r.loadConcurrency} readers during the drive`,
          `\`GET /comuni?limit=50\` p99 ${formatMs(t.listP99)}`,
          t.listVerdict,
        ],
      ],
    ),
    '',
    '### API latency',
    '',
    `Every sample kept and sorted (nearest-rank percentiles). ${r.loadConcurrency} reader(s) in flight for the ` +
      'whole drive, alternating the list and one Comune’s detail; the step samples are the driver’s own calls; the ' +
      'summary is called sequentially after completion. Only 2xx answers are in the percentiles; refusals are ' +
      'counted apart.',
    '',
    table(['Series', 'n', 'p50', 'p99', 'max', 'non-2xx'], latencyRows(r.latencies)),
    '',
    '### Where a staff step’s time goes',
    '',
    'Each step found in its Comune’s history: the workflow task that accepted its Update (scheduled, started, ' +
      'completed) against the driver’s clock and the API’s `Server-Timing`. **API**: outside Temporal (auth, ' +
      'validation, the manage key’s verification with PagoPA, HTTP). **Temporal**: the RPC and waiting for a ' +
      'workflow task already running. **Queue**: the task waiting for a worker’s poller and slot. **Workflow task**: ' +
      'the task on the worker (the handler and the rest of the activation). Percentiles of each part apart: they ' +
      'do not add up to the total’s.',
    '',
    table(
      ['Step', 'n', 'total p50 / p99', 'API', 'Temporal', 'queue', 'workflow task'],
      r.stepBreakdown.map((b) => {
        const p = (x: Samples) => `${formatMs(x.percentile(50))} / ${formatMs(x.percentile(99))}`;
        return [
          `\`${b.series}\``,
          String(b.n),
          p(b.total),
          p(b.parts.api),
          p(b.parts.temporal),
          p(b.parts.queue),
          p(b.parts.task),
        ];
      }),
    ),
    '',
    '**The engine’s floor for a step** (the last row above): the bench sends a no-op Update (no validator, no ' +
      'command) to an idle workflow on the Comuni’s task queue and worker, one at a time: with nothing else ' +
      'running, then every half second during the drive, and during the minimal workflows with the readers (the ' +
      'three `no-op Update` rows of «API latency»). No handler can answer faster than this under the same load.',
    '',
    '### Time inside each activity during the journeys (worker interceptor)',
    '',
    table(
      ['Activity', 'completed', 'p50', 'p99', 'mean', 'failed attempts'],
      timingRows(r.journeyTimings, r.journeyFailedAttempts),
    ),
    '',
    ...(h
      ? [
          `### Histories (${h.comuniSampled} Comuni and their ${h.servicesSampled} services, sampled evenly)`,
          '',
          table(['Per Comune', 'mean', 'min', 'max'], historyRows(h.comuni)),
          '',
          table(['Per service', 'mean', 'min', 'max'], historyRows(h.services)),
          '',
          h.continuedAsNew > 0 ? `${h.continuedAsNew} sampled Comuni continued as new.\n` : '',
        ]
      : []),
    '### Memory and event loop (per phase; RSS peaks sampled every second)',
    '',
    table(
      [
        'Phase',
        'peak RSS, bench process',
        'peak heap used, bench process',
        'peak RSS, worker process',
        'peak RSS, Temporal server',
        'event-loop delay p99, bench process',
      ],
      [...r.memory.entries()].map(([phase, p]) => [
        phase,
        formatMiB(p.bench),
        formatMiB(p.benchHeapUsed),
        p.worker !== undefined ? formatMiB(p.worker) : 'in bench',
        formatMiB(p.temporal),
        formatMs(p.loopDelayP99Ms),
      ]),
    ),
    '',
    '### CPU per phase (seconds of one core; the box has ' + r.machine.cores + ')',
    '',
    table(
      ['Phase', 'wall', 'Temporal server', 'worker process', 'bench process', 'box busy'],
      [...r.cpu.entries()]
        .filter(([, c]) => c.wallMs >= 500)
        .map(([phase, c]) => {
          const total = c.temporal + (c.worker ?? 0) + c.bench;
          return [
            phase,
            formatDuration(c.wallMs),
            c.temporal.toFixed(1),
            c.worker !== undefined ? c.worker.toFixed(1) : 'in bench',
            c.bench.toFixed(1),
            c.wallMs > 0 ? `${Math.round((total * 100_000) / c.wallMs / r.machine.cores)} %` : 'n/a',
          ];
        }),
    ),
    '',
    cpuCostText(r),
    '',
    '### Sandbox requests by route (the HTTP work behind the activities)',
    '',
    table(
      ['Route', 'requests'],
      r.sandboxRequests.slice(0, 14).map(([route, c]) => [`\`${route}\``, n0(c)]),
    ),
    '',
    extrapolation(r),
    '',
    findings,
    '',
    runsSection(runs),
    '',
  ].join('\n');
  const options = (await prettier.resolveConfig('BENCHMARKS.md')) ?? {};
  return prettier.format(md, { ...options, parser: 'markdown' });
}

export async function writeReport(file: string, r: RunResult, resultsFile: string, findingsFile: string) {
  const findings = existsSync(findingsFile) ? readFileSync(findingsFile, 'utf8') : '';
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, await renderReport(r, resultsFile, findings));
}

/** The table of every run in bench/results.jsonl, under its heading (the report's last section). */
export function runsSection(runs: ReturnType<typeof readResults>): string {
  return [
    '## Runs recorded on this machine (bench/results.jsonl)',
    '',
    'Every `npm run bench` run appends its key figures here, so the worker settings tried can be compared. ' +
      'Settings: activity slots / workflow-task slots / workflow-task pollers / activity pollers / cached workflows.',
    '',
    table(
      [
        'when (UTC)',
        'code',
        'Comuni (driven) × services',
        'worker settings',
        'import (+ settle)',
        'drive',
        'journeys/s',
        'minimal/s',
        'ratio',
        'step p99',
        'summary p99',
        'peak RSS bench / worker / Temporal',
        'load avg start / end',
        'total',
      ],
      runs.map((l) => [
        l.at.slice(0, 16).replace('T', ' '),
        l.code ?? '-',
        `${l.comuni}${l.drivenComuni !== undefined && l.drivenComuni !== l.comuni ? ` (${l.drivenComuni})` : ''} × ${l.servicesPerComune}${l.preseededServices ? ` (+${l.preseededServices} pre-seeded)` : ''}`,
        `${l.tuning.maxConcurrentActivityTaskExecutions} / ${l.tuning.maxConcurrentWorkflowTaskExecutions} / ` +
          `${l.tuning.maxConcurrentWorkflowTaskPolls} / ${l.tuning.maxConcurrentActivityTaskPolls} / ` +
          `${l.tuning.maxCachedWorkflows}`,
        `${l.importS}${l.settleS !== undefined ? ` + ${l.settleS}` : ''} s`,
        `${l.driveS} s`,
        n1(l.journeysPerS),
        l.baselinePerS === null ? 'n/a' : n1(l.baselinePerS),
        l.ratio === null ? 'n/a' : n2(l.ratio),
        `${l.stepP99Ms} ms`,
        `${l.summaryP99Ms} ms`,
        `${l.benchPeakRssMiB} / ${l.workerPeakRssMiB ?? 'in bench'} / ${l.temporalPeakRssMiB} MiB`,
        `${n1(l.loadAverageStart ?? Number.NaN)} / ${n1(l.loadAverageEnd ?? Number.NaN)}`,
        formatDuration(l.totalS * 1000) + (l.broken.length > 0 ? ' **BROKEN**' : ''),
      ]),
    ),
  ].join('\n');
}

/**
 * Brings the report's hand-written findings (bench/findings.md) and its table of runs (bench/results.jsonl) up to
 * date without running the bench again: for findings written, or runs recorded, after the report was generated.
 */
export async function refreshReport(file: string, resultsFile: string, findingsFile: string): Promise<void> {
  const report = readFileSync(file, 'utf8');
  const start = report.indexOf('## Findings (written by hand');
  const end = report.indexOf('## Runs recorded on this machine');
  if (start < 0 || end < start) throw new Error(`${file}: no findings and runs sections to refresh`);
  const findings = existsSync(findingsFile) ? readFileSync(findingsFile, 'utf8').trim() : '';
  const md = [
    report.slice(0, start).trimEnd(),
    '',
    findings,
    '',
    runsSection(readResults(resultsFile)),
    '',
  ].join('\n');
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(md, { ...options, parser: 'markdown' }));
}
