import { TypedSearchAttributes } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createLogger } from '../../common/logger';
import { registerSearchAttributes } from '../../common/temporal';
import { searchAttributes } from '../../contracts/search-attributes';
import { startComuneJourney } from '../../contracts/comune-start';
import { getComuneStateQuery } from '../../contracts/comune';
import { comuneInput } from '../support/fixtures';
import { createTimeSkippingEnv, workflowBundle, testReadModelSinks } from '../support/temporal-env';
import { mockActivities } from '../support/mock-activities';

describe('time-skipping test server (provisioned Java server)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('skips a 30-day deadline timer in moments, and the Comune turns late', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'ts-foundation',
      workflowBundle: workflowBundle(),
      sinks: testReadModelSinks(),
      activities: mockActivities().activities,
    });
    await worker.runUntil(async () => {
      const startedAt = new Date(await env.currentTimeMs());
      const input = comuneInput({ now: startedAt, deadlineInDays: 30 });
      const handle = await startComuneJourney(env.client, input, { taskQueue: 'ts-foundation' });
      expect((await handle.query(getComuneStateQuery)).late).toBe(false);

      const realStart = Date.now();
      await env.sleep('31 days');
      const state = await handle.query(getComuneStateQuery);

      expect(state.late).toBe(true);
      const lateAfterMs = Date.parse(state.lateSince!) - startedAt.getTime();
      expect(lateAfterMs).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000);
      expect(lateAfterMs).toBeLessThan(31 * 24 * 3600 * 1000);
      // 31 days of workflow time passed in (far) less than a minute of real time.
      expect(Date.now() - realStart).toBeLessThan(60_000);
    });
  });
});

describe('search attributes on the time-skipping server', () => {
  it('are registered without waiting for a count the server does not implement', async () => {
    const env = await createTimeSkippingEnv({ searchAttributes: false });
    try {
      const started = Date.now();
      await registerSearchAttributes(env.connection, 'default', createLogger('test', 'silent'));
      // The wait for a server's caches (common/temporal.ts) gives up after 15 s; here the count is UNIMPLEMENTED.
      expect(Date.now() - started).toBeLessThan(5_000);
      // Registered: a workflow started with them is accepted.
      await env.client.workflow.start('noSuchWorkflow', {
        taskQueue: 'nobody',
        workflowId: 'with-attributes',
        typedSearchAttributes: new TypedSearchAttributes([
          { key: searchAttributes.ipaCode, value: 'c_l378' },
        ]),
      });
    } finally {
      await env.teardown();
    }
  });
});
