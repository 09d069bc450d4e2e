import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startActivityHarness, type ActivityHarness } from '../activities/harness';
import { driveElevenServiceJourney, elevenServiceTrento } from '../support/eleven-service-journey';
import { createDevServerEnv, workflowBundle, testReadModelSinks } from '../support/temporal-env';
import { recordHistoriesIfAsked } from '../support/record-histories';

/**
 * End to end on a real dev server: the real activities and clients against the sandbox over HTTP, a real SMTP
 * server, one Comune with 11 services, one of them rejected once, driven to completion by staff steps. The same
 * journey runs on temporal-server with PostgreSQL in test/engine.
 */
describe('a Comune journey end to end (dev server, sandbox, SMTP)', () => {
  let env: TestWorkflowEnvironment;
  let harness: ActivityHarness;
  const taskQueue = 'e2e-journey';

  beforeAll(async () => {
    [env, harness] = await Promise.all([
      createDevServerEnv(),
      startActivityHarness({
        sandbox: {
          reviewer: { mode: 'approve', reviewDelayMs: 0, rejectOnce: [/^Mensa scolastica$/i] },
          portal: { autoCreateServices: true },
        },
      }),
    ]);
  });
  afterAll(async () => {
    await harness?.close();
    await env?.teardown();
  });

  it('completes 11 services, one after a rejection, with no duplicate and no key in history', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      sinks: testReadModelSinks(),
      activities: harness.activities,
    });
    await worker.runUntil(async () => {
      const { handles, mensa } = await driveElevenServiceJourney(
        env.client,
        harness,
        taskQueue,
        elevenServiceTrento(harness),
      );
      await recordHistoriesIfAsked('e2e', [handles[0]!, mensa, handles[1]!]);
    });
  }, 300_000);
});
