import path from 'node:path';
import type { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Worker,
  bundleWorkflowCode,
  type ActivityExecuteInput,
  type ActivityInboundCallsInterceptor,
  type Next,
} from '@temporalio/worker';
import { createActivities } from '../activities';
import { createBulkActivities } from '../activities/bulk';
import { cachedClientFactory } from '../activities/manage-keys';
import { createLogger } from '../common/logger';
import { FileSystemDocumentStore } from '../integrations/documents/document-store';
import { createIoManageClient, createIoMessagesClient } from '../integrations/io';
import { ManageKeyStore } from '../integrations/keys/manage-key-store';
import { FileSentLedger, SmtpMailer } from '../integrations/mail';
import { createPortalClient } from '../integrations/portal';
import { createSelfcareClient } from '../integrations/selfcare';
import { ReadModelStore } from '../common/read-model-store';
import { workflowBundleOptions } from '../worker/create-worker';
import { readModelSinks } from '../worker/read-model-sink';
import type { BaselineActivities } from './baseline.workflow';

const silent = createLogger('bench-worker', 'silent');

export interface WorkerTuning {
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentWorkflowTaskPolls: number;
  maxConcurrentActivityTaskPolls: number;
  maxCachedWorkflows: number;
}

/**
 * What the bench's workers need, all serialisable: the worker process (bench/worker-process.ts) gets it as JSON,
 * as a production worker gets its environment. Folders are shared with the API (documents, manage keys).
 */
export interface BenchWorkerConfig {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** The services' own queue and worker (TEMPORAL_SERVICES_TASK_QUEUE), when set. */
  servicesTaskQueue?: string;
  /** Which queues this process polls (WORKER_QUEUES): both by default, or one when the workers are split. */
  queues?: 'comuni' | 'services';
  tuning: WorkerTuning;
  bulkConcurrency?: number;
  sandboxUrl: string;
  selfcareKey: string;
  portal: { username: string; password: string };
  smtp: { host: string; port: number };
  /** The run's folder: documents, manage keys and the mail ledger live under it. */
  dir: string;
  /** The manage keys' KEK (hex), the API's too. */
  kek: { id: string; keyHex: string };
}

export const documentsDir = (dir: string) => path.join(dir, 'documents');
export const manageKeysDir = (dir: string) => path.join(dir, 'manage-keys');
/** The pages' read model, written by the workers and read by the API (as READ_MODEL_DIR in production). */
export const readModelDir = (dir: string) => path.join(dir, 'read-model');

/** Called after each activity attempt with its type, its time inside the activity (ms) and whether it succeeded. */
export type ActivityRecorder = (type: string, ms: number, ok: boolean) => void;

class TimingInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly record: ActivityRecorder,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
    const started = performance.now();
    let ok = false;
    try {
      const result = await next(input);
      ok = true;
      return result;
    } finally {
      this.record(this.ctx.info.activityType, performance.now() - started, ok);
    }
  }
}

/**
 * The bench's workers: the Comuni's queue (the real activities over the sandbox, SMTP to the catcher, the bulk
 * activities, the baseline's no-op) and, when set, the services' queue with the same tuning, as worker/main.ts
 * runs them. Returns a stop function that shuts them down gracefully.
 */
export async function startBenchWorkers(
  config: BenchWorkerConfig,
  record: ActivityRecorder,
  timed: <T>(step: string, fn: () => Promise<T>) => Promise<T> = (_step, fn) => fn(),
): Promise<{ stop(): Promise<void> }> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const documents = new FileSystemDocumentStore(documentsDir(config.dir), { logger: silent });
    const mailer = new SmtpMailer(
      {
        host: config.smtp.host,
        port: config.smtp.port,
        secure: false,
        from: 'Back office App IO <noreply@partner.example>',
      },
      { ledger: new FileSentLedger(path.join(config.dir, 'ledger')), logger: silent },
    );
    stops.push(async () => mailer.close());
    const activities = createActivities({
      manageKeys: {
        store: new ManageKeyStore(manageKeysDir(config.dir), {
          current: { id: config.kek.id, key: Buffer.from(config.kek.keyHex, 'hex') },
        }),
        clientFor: cachedClientFactory((manageKey) =>
          createIoManageClient({ baseUrl: config.sandboxUrl, manageKey, logger: silent }),
        ),
      },
      messages: createIoMessagesClient({ baseUrl: config.sandboxUrl, logger: silent }),
      selfcare: createSelfcareClient({
        baseUrl: config.sandboxUrl,
        subscriptionKey: config.selfcareKey,
        logger: silent,
      }),
      portal: createPortalClient({
        baseUrl: `${config.sandboxUrl}/portal`,
        credentials: config.portal,
        logger: silent,
      }),
      mailer,
      documents,
      partner: {
        name: 'Consorzio dei Comuni (benchmark)',
        staffEmails: ['staff@partner.example'],
        managerEmails: ['direzione@partner.example'],
        contactEmail: 'innovazione@partner.example',
      },
    });
    const readModel = new ReadModelStore(readModelDir(config.dir));
    const baseline: BaselineActivities = { baselineNoop: async () => undefined };
    const bundle = await timed('workflow bundle (project workflows + baseline)', () =>
      bundleWorkflowCode({
        ...workflowBundleOptions,
        workflowsPath: require.resolve('./workflows'),
        logger: new DefaultLogger('ERROR'),
      }),
    );
    const connection = await NativeConnection.connect({ address: config.temporalAddress });
    stops.push(() => connection.close());
    const client = new Client({
      connection: await Connection.connect({ address: config.temporalAddress }),
      namespace: config.namespace,
    });
    stops.push(() => client.connection.close());
    const start = async (label: string, taskQueue: string, workerActivities: object) => {
      const worker = await timed(label, () =>
        Worker.create({
          connection,
          namespace: config.namespace,
          taskQueue,
          workflowBundle: bundle,
          activities: workerActivities,
          sinks: readModelSinks(readModel, silent),
          ...config.tuning,
          interceptors: { activity: [(ctx) => ({ inbound: new TimingInterceptor(ctx, record) })] },
        }),
      );
      const running = worker.run();
      stops.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      });
    };
    if (config.queues !== 'services')
      await start('worker created', config.taskQueue, {
        ...activities,
        ...createBulkActivities({
          client,
          taskQueue: config.taskQueue,
          documents,
          ...(config.bulkConcurrency ? { startConcurrency: config.bulkConcurrency } : {}),
        }),
        ...baseline,
      });
    if (config.servicesTaskQueue && config.queues !== 'comuni') {
      // The same settings as the Comuni's worker, as worker/main.ts does: its own slots, pollers and sticky queue.
      await start('services worker created', config.servicesTaskQueue, activities);
    }
    return { stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
