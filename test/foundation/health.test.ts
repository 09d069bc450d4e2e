import request from 'supertest';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp } from '../../api/app';
import { testApiContext } from '../support/api-context';
import { createWorker } from '../../worker/create-worker';
import { createLogger } from '../../common/logger';
import { createDevServerEnv, workflowBundle } from '../support/temporal-env';
import { waitFor } from '../support/wait';

describe('GET /health', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createDevServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('answers 503 until a worker polls the task queue, then 200', async () => {
    const taskQueue = 'health-check';
    const { ctx, cleanup } = testApiContext(env.client, { taskQueue });
    const app = createApp(ctx);

    const before = await request(app).get('/health');
    expect(before.status).toBe(503);
    expect(before.body.temporal.reachable).toBe(true);
    expect(before.body.worker.polling).toBe(false);

    const worker = await createWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle: workflowBundle(),
      readModel: { store: ctx.readModel!, logger: createLogger('health-test', 'silent') },
    });
    await worker.runUntil(async () => {
      const healthy = await waitFor('the worker to poll', async () => {
        const res = await request(app).get('/health');
        return res.status === 200 ? res : undefined;
      });
      expect(healthy.body.worker.polling).toBe(true);
      expect(healthy.body.status).toBe('ok');
    });
    cleanup();
  });

  it('wants a worker on the services’ own task queue too: one process each (WORKER_QUEUES) or one for both', async () => {
    const taskQueue = 'health-comuni';
    const servicesTaskQueue = 'health-comuni-services';
    const { ctx, cleanup } = testApiContext(env.client, { taskQueue, servicesTaskQueue });
    const app = createApp(ctx);
    const logger = createLogger('health-test', 'silent');
    const workerOn = (queue: string) =>
      createWorker({
        connection: env.nativeConnection,
        namespace: 'default',
        taskQueue: queue,
        workflowBundle: workflowBundle(),
        readModel: { store: ctx.readModel!, logger },
      });
    // The Comuni's worker alone (WORKER_QUEUES=comuni): no service would ever run.
    const comuni = await workerOn(taskQueue);
    await comuni.runUntil(async () => {
      const half = await waitFor('the Comuni’s worker to poll', async () => {
        const res = await request(app).get('/health');
        return res.body.taskQueues?.[0]?.polling ? res : undefined;
      });
      expect(half.status).toBe(503);
      expect(half.body.worker.polling).toBe(false);
      expect(half.body.taskQueues).toEqual([
        expect.objectContaining({ name: taskQueue, polling: true }),
        { name: servicesTaskQueue, polling: false, pollers: 0 },
      ]);
      // Then the services' worker (WORKER_QUEUES=services), in a process of its own in production.
      const services = await workerOn(servicesTaskQueue);
      await services.runUntil(async () => {
        const healthy = await waitFor('both queues polled', async () => {
          const res = await request(app).get('/health');
          return res.status === 200 ? res : undefined;
        });
        expect(healthy.body.taskQueues).toEqual([
          expect.objectContaining({ name: taskQueue, polling: true }),
          expect.objectContaining({ name: servicesTaskQueue, polling: true }),
        ]);
        expect(healthy.body.worker.pollers).toBe(
          healthy.body.taskQueues[0].pollers + healthy.body.taskQueues[1].pollers,
        );
      });
    });
    cleanup();
  });

  it('answers 503 when Temporal cannot be reached', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const client = new Client({ connection });
    const { ctx, cleanup } = testApiContext(client, { taskQueue: 'x' });
    const app = createApp(ctx);
    const res = await request(app).get('/health');
    expect(res.status).toBe(503);
    expect(res.body.temporal.reachable).toBe(false);
    await connection.close();
    cleanup();
  });
});
