import { NativeConnection, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import { loadConfigOrExit } from '../common/config';
import { createLogger } from '../common/logger';
import { dataConverterFromConfig } from '../common/payload-codec';
import { connectClient, temporalConnectionOptions } from '../common/temporal';
import { createBulkActivities } from '../activities/bulk';
import { createActivities } from '../activities';
import { createWorker, pollsQueues, workflowBundleOptions } from './create-worker';
import { payloadCodecFromConfig } from '../common/payload-codec';
import { readModelStoreFromConfig } from '../common/read-model-store';
import { buildActivityDependencies } from './dependencies';
import { PinoTemporalLogger } from './temporal-logger';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('worker', config.LOG_LEVEL);
  Runtime.install({ logger: new PinoTemporalLogger(logger) });

  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  // Bulk jobs start Comuni and send them updates: their activities need a client.
  const client = await connectClient(config);
  const deps = buildActivityDependencies(config, logger);
  const activities = createActivities(deps);
  const dataConverter = dataConverterFromConfig(config);
  // One bundle of the workflow code for both workers (the Comuni's and the services'): bundling is slow and large.
  const workflowBundle = await bundleWorkflowCode({
    ...workflowBundleOptions,
    logger: new PinoTemporalLogger(logger),
  });
  const readModel = { store: readModelStoreFromConfig(config, payloadCodecFromConfig(config)), logger };
  const polled = pollsQueues(config);
  /** One worker of this process: the same connection, bundle, cache and read model for both queues. */
  const workerOn = (taskQueue: string, queueActivities: typeof activities) =>
    createWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue,
      dataConverter,
      workflowBundle,
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      readModel,
      activities: queueActivities,
    });
  // The Comuni's queue: their journeys, the staff steps' Updates and the bulk jobs (whose activities need a client).
  const worker = polled.comuni
    ? await workerOn(config.TEMPORAL_TASK_QUEUE, {
        ...activities,
        ...createBulkActivities({ client, taskQueue: config.TEMPORAL_TASK_QUEUE, documents: deps.documents }),
      })
    : undefined;
  // The service workflows' own queue (by default): the same code and activities, their own slots and pollers.
  const servicesWorker = polled.services
    ? await workerOn(config.TEMPORAL_SERVICES_TASK_QUEUE, activities)
    : undefined;
  logger.info(
    {
      address: config.temporalAddress,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueues: [
        ...(worker ? [config.TEMPORAL_TASK_QUEUE] : []),
        ...(servicesWorker ? [config.TEMPORAL_SERVICES_TASK_QUEUE] : []),
      ],
      workerQueues: config.WORKER_QUEUES,
      payloadEncryption: config.PAYLOAD_ENCRYPTION_KEY ? config.PAYLOAD_ENCRYPTION_KEY_ID : 'off',
    },
    'worker polling',
  );
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM (in-flight activities finish first).
  await Promise.all([worker?.run(), servicesWorker?.run()]);
  await client.connection.close();
  await connection.close();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  createLogger('worker').fatal({ err }, 'worker failed');
  process.exit(1);
});
