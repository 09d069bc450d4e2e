import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { createApp, type ApiContext } from '../api/app';
import { ReadModelStore } from '../common/read-model-store';
import { closePortfolio } from '../api/portfolio-index';
import { FileTokenStore } from '../api/auth/token-store';
import { CONTRACT_DURATION_DAYS, type RegistrationDefaults } from '../api/import/registration';
import { createLogger, redactedPaths } from '../common/logger';
import { devServerArgs, registerSearchAttributes } from '../common/temporal';
import { resolveTemporalBinaries } from '../common/temporal-binaries';
import { FileSystemDocumentStore } from '../integrations/documents/document-store';
import { createSolidPng } from '../integrations/documents/png';
import { ManageKeyStore } from '../integrations/keys/manage-key-store';
import { createManageKeyVerifier } from '../integrations/keys/manage-key-verifier';
import { startSmtpCatcher, type SmtpCatcher } from '../integrations/mail';
import { startSandbox, type InstitutionSeed, type RunningSandbox } from '../sandbox';
import { Samples, sleep } from './stats';
import {
  documentsDir,
  manageKeysDir,
  readModelDir,
  startBenchWorkers,
  type BenchWorkerConfig,
  type WorkerTuning,
} from './worker-setup';

export type { WorkerTuning } from './worker-setup';

export const TASK_QUEUE = 'bench';

/** The worker settings of the product's defaults, as the bench runs them unless told otherwise. */
export const DEFAULT_TUNING: WorkerTuning = {
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentWorkflowTaskPolls: 10,
  maxConcurrentActivityTaskPolls: 10,
  maxCachedWorkflows: 150,
};

/** Where the Temporal server's SQLite file goes by default: memory (/dev/shm) when the box has it. */
export const DEFAULT_DB_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const NAMESPACE = 'default';
const silent = createLogger('bench', 'silent');

const SECRETS = {
  selfcareKey: 'bench-selfcare-key-0000000002',
  adminToken: 'bench-admin-token-00000000003',
  portal: { username: 'partner', password: 'bench-portal-password-000004' },
};

export interface EnvironmentOptions {
  tuning: WorkerTuning;
  institutions: Record<string, InstitutionSeed>;
  /** Folder of the Temporal server's SQLite file. */
  dbDir: string;
  /** Latency the sandbox adds to every request (its fault injection), 0 = none. */
  sandboxLatencyMs: number;
  /** Runs the service workflows on their own task queue and worker (TEMPORAL_SERVICES_TASK_QUEUE). */
  servicesTaskQueue?: string;
  /** Items of an import (or update) chunk in flight at once; the bulk activities' default when unset. */
  bulkConcurrency?: number;
  /**
   * The worker in the bench's own process (API, sandbox, driver and readers share its event loop) instead of a
   * process of its own, as in production.
   */
  workerInProcess?: boolean;
  /**
   * Two worker processes, as a deployment that keeps staff work apart from bulk work: one polls the Comuni's queue
   * (their journeys, the staff steps' Updates, the bulk jobs), the other the services' queue.
   */
  splitWorkers?: boolean;
  log: (line: string) => void;
}

/** Time spent inside each activity type (the worker's interceptor), successes and failed attempts apart. */
export class ActivityTimings {
  readonly ok = new Map<string, Samples>();
  readonly failed = new Map<string, number>();

  record(type: string, ms: number, ok: boolean): void {
    if (!ok) {
      this.failed.set(type, (this.failed.get(type) ?? 0) + 1);
      return;
    }
    let s = this.ok.get(type);
    if (!s) this.ok.set(type, (s = new Samples()));
    s.record(ms);
  }

  reset(): void {
    this.ok.clear();
    this.failed.clear();
  }
}

/** The partner's addresses named in a 403 on a manage key (the sandbox's keys have no CIDRs: any address may call). */
const PARTNER_ADDRESSES = ['203.0.113.10/32'];

export interface BenchEnvironment {
  dir: string;
  temporalPid: number;
  temporalAddress: string;
  client: Client;
  sandbox: RunningSandbox;
  catcher: SmtpCatcher;
  apiUrl: string;
  /** JSON lines of the API's 5xx answers (pino, level error). */
  apiErrorLog: string;
  tokens: { staff: string; manager: string };
  timings: ActivityTimings;
  /** Brings in the worker process's last activity timings (a no-op when the worker runs in this process). */
  flushTimings(): Promise<void>;
  /** The worker processes' pids (none when the worker runs in this process). */
  workerPids: number[];
  tuning: WorkerTuning;
  /** Setup steps and how long each took. */
  setup: { step: string; ms: number }[];
  /** Stops everything it started (API and worker first, Temporal last) and removes the temporary folders. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The provisioned Temporal CLI's dev server, SQLite in a temporary file, no UI. */
async function startTemporal(
  dbFile: string,
): Promise<{ child: ChildProcess; address: string; stderr: () => string }> {
  const { cliPath } = resolveTemporalBinaries();
  if (!cliPath) throw new Error('no provisioned Temporal CLI: run `npm run provision` first');
  const port = await freePort();
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--db-filename',
    dbFile,
    '--namespace',
    NAMESPACE,
    '--log-level',
    'error',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    // The product's dev server options (npm start's): the search attributes, no forced cache refresh.
    ...devServerArgs(),
    // BENCH_DEV_SERVER_ARGS: more options for an experiment, after (and so over) these, e.g. `--dynamic-config-value
    // system.forceSearchAttributesCacheRefreshOnRead=true` for the CLI's default.
    ...(process.env.BENCH_DEV_SERVER_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const child = spawn(cliPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  return { child, address: `127.0.0.1:${port}`, stderr: () => stderr };
}

async function connectWhenReady(
  address: string,
  child: ChildProcess,
  stderr: () => string,
): Promise<Connection> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`Temporal dev server exited (${child.exitCode}): ${stderr()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * The worker in a process of its own (bench/worker-process.ts under tsx), as in production: it reports each
 * activity attempt's time over IPC, and stops gracefully (SIGKILL after 30 s).
 */
async function startWorkerProcess(
  config: BenchWorkerConfig,
  timings: ActivityTimings,
): Promise<{ pid: number; flush(): Promise<void>; stop(): Promise<void> }> {
  // BENCH_WORKER_EXEC_ARGV: Node options for the worker alone, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (a CPU
  // profile of its main and workflow threads; NODE_OPTIONS refuses --cpu-prof).
  const execArgv = (process.env.BENCH_WORKER_EXEC_ARGV ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...execArgv, '--import', 'tsx', path.join(__dirname, 'worker-process.ts')],
    {
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, BENCH_WORKER_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  const waiters: (() => void)[] = [];
  child.on('message', (message: { type: string; records?: [string, number, boolean][] }) => {
    if (message.type === 'timings')
      for (const [type, ms, ok] of message.records ?? []) timings.record(type, ms, ok);
    if (message.type === 'flushed' || message.type === 'ready') waiters.splice(0).forEach((w) => w());
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the bench worker process did not start in 120 s')),
      120_000,
    );
    waiters.push(() => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bench worker process exited (${code}) before it was ready`));
    });
  });
  return {
    pid: child.pid!,
    flush: () =>
      child.connected
        ? new Promise<void>((resolve) => {
            waiters.push(resolve);
            child.send({ type: 'flush' });
          })
        : Promise.resolve(),
    stop: () => stopChild(child, 30_000),
  };
}

/**
 * Temporal's dev server and the worker in processes of their own (the worker in this one with `workerInProcess`);
 * in this process the sandbox (reviewer approves at once), the SMTP catcher and the API. The worker runs the real
 * activities over the sandbox plus the bulk activities and the baseline's no-op.
 */
export async function startEnvironment(options: EnvironmentOptions): Promise<BenchEnvironment> {
  const setup: { step: string; ms: number }[] = [];
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await fn();
    setup.push({ step, ms: performance.now() - started });
    options.log(`  ${step}: ${Math.round(performance.now() - started)} ms`);
    return result;
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'io-bench-'));
  const dbDir = mkdtempSync(path.join(options.dbDir, 'io-bench-db-'));
  const removeFolders = () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(dbDir, { recursive: true, force: true });
  };
  // The SDK's errors only (activity retries while a review is pending are expected).
  Runtime.install({ logger: new DefaultLogger('ERROR') });

  const temporal = await timed('Temporal dev server (spawn + ready)', async () => {
    const t = await startTemporal(path.join(dbDir, 'temporal.db'));
    // Never leave the server behind, whatever happens to this process.
    process.once('exit', () => t.child.kill('SIGKILL'));
    const connection = await connectWhenReady(t.address, t.child, t.stderr).catch(async (err: unknown) => {
      await stopChild(t.child, 5_000);
      removeFolders();
      throw err;
    });
    return { ...t, connection };
  });
  // Closed in reverse order: the folders go last, after Temporal has stopped.
  const closers: (() => Promise<void>)[] = [
    async () => removeFolders(),
    () => stopChild(temporal.child, 10_000),
  ];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    await timed('search attributes registered', () =>
      registerSearchAttributes(temporal.connection, NAMESPACE, silent),
    );
    const client = new Client({ connection: temporal.connection, namespace: NAMESPACE });
    closers.push(() => temporal.connection.close());

    const sandbox = await timed('sandbox', () =>
      startSandbox({
        port: 0,
        // Real PagoPA: no partner-wide key; each Comune's own, issued when its prod-io onboarding is ACTIVE.
        legacyPartnerKeys: [],
        selfcareKey: SECRETS.selfcareKey,
        adminToken: SECRETS.adminToken,
        portalCredentials: [{ tenant: '*', ...SECRETS.portal }],
        reviewer: { mode: 'approve', reviewDelayMs: 0 },
        portal: { autoCreateServices: true },
        institutions: options.institutions,
        ...(options.sandboxLatencyMs > 0 ? { faults: { latencyMs: options.sandboxLatencyMs } } : {}),
        logger: silent,
      }),
    );
    closers.push(() => sandbox.close());
    const catcher = await timed('SMTP catcher', () =>
      startSmtpCatcher({ port: 0, outboxDir: path.join(dir, 'outbox'), logger: silent }),
    );
    closers.push(() => catcher.close());

    const documents = new FileSystemDocumentStore(documentsDir(dir), { logger: silent });
    const logo = await documents.put(createSolidPng(300, 300, [255, 255, 255, 255]), {
      contentType: 'image/png',
      originalName: 'stemma.png',
    });
    // Each Comune's manage key, sealed by the API (AES-256-GCM) and opened by the worker at each call: two stores on
    // the same folder and KEK, as the API and worker processes have in production (MANAGE_KEYS_KEK).
    const kek = { id: 'bench', key: randomBytes(32) };
    const keysDir = manageKeysDir(dir);
    const workerConfig: BenchWorkerConfig = {
      temporalAddress: temporal.address,
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUE,
      ...(options.servicesTaskQueue ? { servicesTaskQueue: options.servicesTaskQueue } : {}),
      tuning: options.tuning,
      ...(options.bulkConcurrency ? { bulkConcurrency: options.bulkConcurrency } : {}),
      sandboxUrl: sandbox.url,
      selfcareKey: SECRETS.selfcareKey,
      portal: SECRETS.portal,
      smtp: { host: catcher.host, port: catcher.port },
      dir,
      kek: { id: kek.id, keyHex: kek.key.toString('hex') },
    };
    const timings = new ActivityTimings();
    const workerPids: number[] = [];
    let flushTimings = async () => undefined as void;
    if (options.workerInProcess) {
      const workers = await startBenchWorkers(
        workerConfig,
        (type, ms, ok) => timings.record(type, ms, ok),
        timed,
      );
      closers.push(() => workers.stop());
    } else {
      const configs: [string, BenchWorkerConfig][] =
        options.splitWorkers && options.servicesTaskQueue
          ? [
              ['worker process of the Comuni (bundle, polling)', { ...workerConfig, queues: 'comuni' }],
              ['worker process of the services (bundle, polling)', { ...workerConfig, queues: 'services' }],
            ]
          : [['worker process (bundle, both workers polling)', workerConfig]];
      const workers: Awaited<ReturnType<typeof startWorkerProcess>>[] = [];
      for (const [label, config] of configs) {
        const worker = await timed(label, () => startWorkerProcess(config, timings));
        workers.push(worker);
        workerPids.push(worker.pid);
        closers.push(() => worker.stop());
      }
      flushTimings = async () => {
        await Promise.all(workers.map((w) => w.flush()));
      };
    }

    const tokenStore = new FileTokenStore(path.join(dir, 'tokens.json'));
    const token = (role: 'staff' | 'manager') =>
      tokenStore.create({ name: `bench-${role}`, role, createdBy: 'bench' }).token;
    const tokens = { staff: token('staff'), manager: token('manager') };
    const registrationDefaults: RegistrationDefaults = {
      delegate: {
        givenName: 'Mario',
        surname: 'Rossi',
        fiscalCode: 'RSSMRA85T10A562S',
        email: 'mario.rossi@partner.example',
      },
      authorizedCidrs: '203.0.113.10/32',
      logoRef: logo.sha256,
      supportUrl: 'https://assistenza.partner.example',
      contractDurationDays: CONTRACT_DURATION_DAYS,
      settings: {
        adhesionCheck: 'automatic',
        reviewPollInitialMinutes: 0.01,
        reviewPollMaxHours: 0.001,
        ...(options.servicesTaskQueue ? { servicesTaskQueue: options.servicesTaskQueue } : {}),
      },
    };
    // The API's failed requests (5xx) with their error, for the report of a broken run.
    const apiErrorLog = path.join(dir, 'api-errors.log');
    const apiLogger = pino(
      { name: 'bench-api', level: 'error', redact: { paths: redactedPaths, censor: '[REDACTED]' } },
      pino.destination({ dest: apiErrorLog, sync: true }),
    );
    const ctx: ApiContext = {
      client,
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUE,
      logger: apiLogger,
      documents,
      tokens: tokenStore,
      temporalUiUrl: 'http://localhost:8233',
      registrationDefaults,
      readModel: new ReadModelStore(readModelDir(dir)),
      manageKeys: {
        store: new ManageKeyStore(keysDir, { current: kek }),
        verify: createManageKeyVerifier({ baseUrl: sandbox.url, partnerAddresses: PARTNER_ADDRESSES }),
      },
    };
    closers.push(() => closePortfolio(ctx));
    // The bench drives thousands of steps with one staff token: the per-token write limit would throttle it.
    const app = createApp(ctx, [], { rateLimits: { writesPerMinute: 0, authFailures: 0 } });
    const server = await timed('API listening', async () => {
      const s: Server = await new Promise((resolve) => {
        const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
      });
      return s;
    });
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    return {
      dir,
      temporalPid: temporal.child.pid!,
      temporalAddress: temporal.address,
      client,
      sandbox,
      catcher,
      apiUrl,
      apiErrorLog,
      tokens,
      timings,
      flushTimings,
      workerPids,
      tuning: options.tuning,
      setup,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
