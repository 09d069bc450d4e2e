import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../common/config';
import type { Logger } from '../common/logger';
import type { ReadModelStore } from '../common/read-model-store';
import { readModelSinks } from './read-model-sink';

/** Where the workflow code is: TypeScript sources in tests, compiled JavaScript under dist/. */
export const workflowsPath = require.resolve('../workflows');

/**
 * The workflow interceptor modules every bundle of the workflow code includes (`bundleWorkflowCode`'s
 * `workflowInterceptorModules`): the journeys' read model, handed to the worker at the end of each activation.
 */
export const workflowInterceptorModules = [require.resolve('../workflows/read-model-interceptor')];

/**
 * What a workflow thread loads once and every workflow shares (`bundleWorkflowCode`'s `preloadModules`): zod
 * (workflows/preloaded-modules.ts). Without it, each workflow created or replayed ran zod's module bodies again,
 * until V8 optimised those bodies themselves: one compilation of about 10 s, holding some 400 MiB of the worker's
 * memory that the process did not give back (bench/findings.md, «zod loaded once per workflow thread»).
 */
export const preloadModules = [require.resolve('../workflows/preloaded-modules')];

/** How every bundle of the workflow code is built (worker/main.ts, the tests' global setup, the bench). */
export const workflowBundleOptions = {
  workflowsPath,
  workflowInterceptorModules,
  preloadModules,
};

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities?: WorkerOptions['activities'];
  /** A prebuilt bundle (tests build it once per run); otherwise the worker bundles workflowsPath. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
  /** Payload codecs (common/payload-codec.ts): the same as the clients', or payloads cannot be read. */
  dataConverter?: WorkerOptions['dataConverter'];
  /** WORKER_MAX_CACHED_WORKFLOWS: what bounds the worker's memory (README, «Sizing a worker»). */
  maxCachedWorkflows?: number;
  /** Where the journeys' read model is written (worker/read-model-sink.ts): every bundle's interceptor needs it. */
  readModel: { store: ReadModelStore; logger: Logger };
}

/**
 * The task queues a worker process polls (WORKER_QUEUES): the Comuni's, the services' (when they have their own), or
 * both. A shared queue is always polled: it carries both.
 */
export function pollsQueues(
  config: Pick<Config, 'WORKER_QUEUES' | 'TEMPORAL_TASK_QUEUE' | 'TEMPORAL_SERVICES_TASK_QUEUE'>,
): { comuni: boolean; services: boolean } {
  const ownServicesQueue = config.TEMPORAL_SERVICES_TASK_QUEUE !== config.TEMPORAL_TASK_QUEUE;
  return {
    comuni: config.WORKER_QUEUES !== 'services' || !ownServicesQueue,
    services: ownServicesQueue && config.WORKER_QUEUES !== 'comuni',
  };
}

/** The one place worker options live, shared by worker/main.ts and the tests. */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities ?? {},
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : {
          workflowsPath,
          interceptors: { workflowModules: workflowInterceptorModules },
          bundlerOptions: { preloadModules },
        }),
    ...(options.readModel
      ? { sinks: readModelSinks(options.readModel.store, options.readModel.logger) }
      : {}),
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    // Journeys wait for months: keep cached workflows modest, the history is the source of truth. Tests and the bench
    // keep the earlier 2,000; worker/main.ts passes WORKER_MAX_CACHED_WORKFLOWS (README, «Sizing a worker»).
    maxCachedWorkflows: options.maxCachedWorkflows ?? 2_000,
  });
}
