import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createLogger } from '../../common/logger';
import { devServerArgs, registerSearchAttributes } from '../../common/temporal';
import { resolveTemporalBinaries } from '../../common/temporal-binaries';
import { FileSystemDocumentStore } from '../../integrations/documents/document-store';
import { createSolidPng } from '../../integrations/documents/png';
import { createIoManageClient, type IoManageClient } from '../../integrations/io';
import { ManageKeyStore } from '../../integrations/keys';
import { startSmtpCatcher, type OutboxMessage, type SmtpCatcher } from '../../integrations/mail';
import {
  startSandbox,
  type FaultOptions,
  type InstitutionSeed,
  type ReviewerOptions,
  type RunningSandbox,
} from '../../sandbox';
import { waitFor } from '../support/wait';
import { freePort, isRunning, kill, sleep, spawnLogged } from './processes';

/**
 * A whole back office made of real processes for fault tests: a Temporal dev server (Temporal CLI, SQLite file) and N
 * worker processes (`worker/main.ts` through tsx, configured only by environment) as children this file can SIGKILL,
 * plus the PagoPA sandbox and the SMTP catcher in-process.
 */

const ROOT = path.resolve(__dirname, '../..');
const SELFCARE_KEY = 'faults-selfcare-key-0002';
const ADMIN_TOKEN = 'faults-admin-token-0003';
const PORTAL = { username: 'partner', password: 'faults-portal-password-0004' };
export const STAFF_EMAIL = 'staff@comunitrentini.it';
export const MANAGER_EMAIL = 'direzione@comunitrentini.it';
const silent = createLogger('faults', 'silent');

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** The worker's Temporal identity (the SDK default, `pid@host`): what histories and pollers show. */
  identity: string;
  logFile: string;
  startedAt: number;
  /** Whether the process is still running. */
  alive(): boolean;
}

export interface ClusterOptions {
  /** Short name, used for the temporary folder and the task queue. */
  name: string;
  reviewer?: ReviewerOptions;
  faults?: FaultOptions;
  /** Selfcare institutions by tax code. */
  institutions?: Record<string, InstitutionSeed>;
  /** Worker processes started (and waited for) before `startCluster` returns. Default 1. */
  workers?: number;
  /**
   * How a worker process runs: the TypeScript sources through tsx (default), or `dist/worker/main.js` as `npm start`
   * and production run it (`npm run build` first), with these Node options (e.g. `--max-old-space-size=512`).
   */
  workerProcess?: { compiled?: boolean; nodeOptions?: string[] };
}

export interface Cluster {
  dir: string;
  taskQueue: string;
  address: string;
  client: Client;
  sandbox: RunningSandbox;
  catcher: SmtpCatcher;
  /** A manage client calling with this institution's current own key (read in the sandbox's back office). */
  ioAs(fiscalCode: string): Promise<IoManageClient>;
  /** The institution's manage keys, as its IO back office shows them (sandbox admin API). */
  institutionKeys(fiscalCode: string): Promise<{ primary_key: string; secondary_key: string }>;
  /**
   * The Comuni's manage-key store the workers read: the same folder (`<DATA_DIR>/manage-keys`) and KEK
   * (`MANAGE_KEYS_KEK`) as the worker processes, so a key sealed here is the one their activities resolve.
   */
  keyStore: ManageKeyStore;
  /** The sha256 of a 300×300 white PNG in the workers' document store. */
  logoRef: string;
  workers: WorkerProcess[];
  /**
   * Spawns a worker process and waits until it polls the task queue (or `polls`, a worker given `env` such as
   * WORKER_QUEUES=services). `env` adds to the worker's environment.
   */
  startWorker(options?: { env?: NodeJS.ProcessEnv; polls?: string }): Promise<WorkerProcess>;
  /** SIGKILL (default) a worker and wait for it to be gone. */
  killWorker(worker: WorkerProcess, signal?: NodeJS.Signals): Promise<void>;
  /** SIGKILL the dev server, wait `downMs`, start it again on the same port and data file. */
  restartDevServer(downMs?: number): Promise<void>;
  /** Identities polling the workflow task queue (or `queue`), seen by the server in the last `freshMs`. */
  pollers(freshMs?: number, queue?: string): Promise<string[]>;
  /** Calls the sandbox admin API. */
  admin<T = unknown>(method: string, p: string, body?: unknown): Promise<T>;
  /** Every e-mail the SMTP catcher received. */
  outbox(): Promise<OutboxMessage[]>;
  close(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `io-faults-${options.name}-`));
  const dataDir = path.join(dir, 'data');
  // The KEK sealing the Comuni's manage keys, shared by the workers (env) and the tests' store (as by the API).
  const kek = randomBytes(32).toString('base64');
  const keyStore = new ManageKeyStore(path.join(dataDir, 'manage-keys'), {
    current: { id: 'kek1', key: Buffer.from(kek, 'base64') },
  });
  const taskQueue = `faults-${options.name}`;
  const { cliPath } = resolveTemporalBinaries();
  if (!cliPath) throw new Error('no Temporal CLI: run scripts/provision-temporal.sh');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const dbFile = path.join(dir, 'temporal.db');
  let server: ChildProcess | undefined;
  const workers: WorkerProcess[] = [];
  let client: Client | undefined;
  let sandbox: RunningSandbox | undefined;
  let catcher: SmtpCatcher | undefined;

  const spawnDevServer = () => {
    const args = ['server', 'start-dev', `--db-filename=${dbFile}`, '--ip=127.0.0.1', `--port=${port}`];
    args.push('--headless', '--namespace=default', '--log-level=error', ...devServerArgs());
    server = spawnLogged(cliPath, args, path.join(dir, 'temporal.log'));
  };
  const serverAnswers = async () => {
    await waitFor(
      'the dev server to answer',
      async () => {
        const c = client!;
        await c.connection.withDeadline(Date.now() + 2_000, () =>
          c.workflowService.describeNamespace({ namespace: 'default' }),
        );
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  };

  const cluster: Cluster = {
    dir,
    taskQueue,
    address,
    get client() {
      return client!;
    },
    get sandbox() {
      return sandbox!;
    },
    get catcher() {
      return catcher!;
    },
    async institutionKeys(fiscalCode) {
      return cluster.admin<{ primary_key: string; secondary_key: string }>(
        'GET',
        `/institutions/${fiscalCode}/manage-keys`,
      );
    },
    async ioAs(fiscalCode) {
      const keys = await cluster.institutionKeys(fiscalCode);
      return createIoManageClient({ baseUrl: sandbox!.url, manageKey: keys.primary_key, logger: silent });
    },
    keyStore,
    logoRef: '',
    workers,
    async startWorker(start = {}) {
      const logFile = path.join(dir, `worker-${workers.length + 1}.log`);
      const compiled = options.workerProcess?.compiled === true;
      const main = compiled
        ? path.join(ROOT, 'dist', 'worker', 'main.js')
        : path.join(ROOT, 'worker', 'main.ts');
      if (compiled && !fs.existsSync(main)) throw new Error(`${main} missing: run \`npm run build\` first`);
      const args = [
        ...(options.workerProcess?.nodeOptions ?? []),
        ...(compiled ? [] : ['--import', 'tsx']),
        main,
      ];
      const child = spawnLogged(process.execPath, args, logFile, {
        cwd: ROOT,
        env: { ...process.env, ...workerEnv(), ...start.env },
      });
      const worker: WorkerProcess = {
        child,
        pid: child.pid!,
        identity: `${child.pid}@${os.hostname()}`,
        logFile,
        startedAt: Date.now(),
        alive: () => isRunning(child),
      };
      workers.push(worker);
      const polls = start.polls ?? taskQueue;
      await waitFor(
        `worker ${worker.identity} to poll ${polls}`,
        async () => {
          if (!worker.alive()) {
            throw new Error(`worker exited (${child.exitCode}): ${fs.readFileSync(logFile, 'utf8')}`);
          }
          return (await cluster.pollers(undefined, polls)).includes(worker.identity) ? true : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 250 },
      );
      return worker;
    },
    killWorker: (worker, signal = 'SIGKILL') => kill(worker.child, signal),
    async restartDevServer(downMs = 1_000) {
      await kill(server!);
      await sleep(downMs);
      spawnDevServer();
      await serverAnswers();
    },
    async pollers(freshMs = 60_000, queue = taskQueue) {
      const response = await client!.connection.withDeadline(Date.now() + 3_000, () =>
        client!.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: queue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        }),
      );
      const now = Date.now();
      return (response.pollers ?? [])
        .filter((p) => now - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < freshMs)
        .map((p) => p.identity ?? '');
    },
    async admin<T>(method: string, p: string, body?: unknown): Promise<T> {
      const res = await fetch(`${sandbox!.url}/__admin${p}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`sandbox admin ${method} ${p}: ${res.status} ${await res.text()}`);
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async outbox() {
      return (await catcher!.outbox.listOutbox({ limit: 500 })).items;
    },
    async close() {
      await Promise.all(workers.map((w) => kill(w.child)));
      if (server) await kill(server);
      await client?.connection.close().catch(() => undefined);
      await catcher?.close();
      await sandbox?.close();
      if (process.env.FAULTS_KEEP_DIRS !== '1') fs.rmSync(dir, { recursive: true, force: true });
    },
  };

  const workerEnv = (): NodeJS.ProcessEnv => ({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATA_DIR: dataDir,
    IO_MANAGE_BASE_URL: sandbox!.url,
    // Each Comune's own key, sealed under <DATA_DIR>/manage-keys; no partner-wide key (legacy journeys only).
    MANAGE_KEYS_KEK: kek,
    MANAGE_KEYS_KEK_ID: 'kek1',
    MANAGE_KEYS_DIR: '',
    MANAGE_KEYS_PREVIOUS_KEKS: '',
    IO_MANAGE_API_KEY: '',
    IO_MESSAGES_BASE_URL: sandbox!.url,
    SELFCARE_BASE_URL: sandbox!.url,
    SELFCARE_API_KEY: SELFCARE_KEY,
    PORTAL_BASE_URL: `${sandbox!.url}/portal`,
    PORTAL_USERNAME: PORTAL.username,
    PORTAL_PASSWORD: PORTAL.password,
    SMTP_HOST: catcher!.host,
    SMTP_PORT: String(catcher!.port),
    SMTP_SECURE: 'false',
    STAFF_EMAILS: STAFF_EMAIL,
    MANAGER_EMAILS: MANAGER_EMAIL,
    PARTNER_NAME: 'Consorzio dei Comuni Trentini',
    LOG_LEVEL: 'warn',
    // Nothing from the caller's shell that the tests' plain client could not follow (TLS, encrypted payloads).
    TEMPORAL_TLS: 'false',
    TEMPORAL_API_KEY: '',
    TEMPORAL_TLS_CERT_PATH: '',
    PAYLOAD_ENCRYPTION_KEY: '',
    PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: '',
  });

  try {
    spawnDevServer();
    const connection = await waitFor(
      'a connection to the dev server',
      () => Connection.connect({ address }),
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
    client = new Client({ connection, namespace: 'default' });
    await serverAnswers();
    await registerSearchAttributes(connection, 'default', silent);

    sandbox = await startSandbox({
      port: 0,
      dataFile: path.join(dataDir, 'sandbox', 'state.json'),
      selfcareKey: SELFCARE_KEY,
      adminToken: ADMIN_TOKEN,
      portalCredentials: [{ tenant: '*', ...PORTAL }],
      institutions: options.institutions ?? {},
      reviewer: options.reviewer ?? { mode: 'approve', reviewDelayMs: 0 },
      portal: { autoCreateServices: true },
      ...(options.faults ? { faults: options.faults } : {}),
      logger: silent,
    });
    catcher = await startSmtpCatcher({ port: 0, outboxDir: path.join(dir, 'outbox'), logger: silent });

    const documents = new FileSystemDocumentStore(path.join(dataDir, 'documents'), { logger: silent });
    const logo = await documents.put(createSolidPng(300, 300, [255, 255, 255, 255]), {
      contentType: 'image/png',
      originalName: 'stemma.png',
    });
    cluster.logoRef = logo.sha256;

    // Started one after the other: each bundles the workflows (webpack) and 2 cores are shared with another file.
    for (let i = 0; i < (options.workers ?? 1); i++) await cluster.startWorker();
    return cluster;
  } catch (err) {
    await cluster.close().catch(() => undefined);
    throw err;
  }
}
