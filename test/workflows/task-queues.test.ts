import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { ComuneState } from '../../contracts/comune';
import { comuneInputSchema } from '../../contracts/comune';
import { createTimeSkippingEnv, workflowBundle, testReadModelSinks } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { recordDelegationAndSignedForm, serviceHandle, withComune } from './helpers';

/**
 * TEMPORAL_SERVICES_TASK_QUEUE (settings.servicesTaskQueue): the service workflows run on their own queue, so a
 * staff step on a Comune does not wait behind thousands of services' workflow tasks (BENCHMARKS.md).
 */
describe('Comune journey: services on their own task queue', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('starts every service on the configured queue, served by its own worker, and completes', async () => {
    const servicesTaskQueue = 'wf-c_q001-services';
    await withComune(
      env,
      {
        ipaCode: 'c_q001',
        behaviour: { adherent: true },
        fixture: { settings: { adhesionCheck: 'automatic', servicesTaskQueue } },
      },
      async ({ handle, mocks, input, taskQueue }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        // No worker polls the services' queue yet: they are started there and wait for one.
        const first = await waitFor('the first service started', () =>
          serviceHandle(env, ipa, input.services[0]!.slug)
            .describe()
            .catch(() => undefined),
        );
        expect(first.taskQueue).toBe(servicesTaskQueue);
        expect(first.status.name).toBe('RUNNING');
        expect(mocks.calls.some((c) => c.startsWith('ensureService:'))).toBe(false);

        const servicesWorker = await Worker.create({
          connection: env.nativeConnection,
          taskQueue: servicesTaskQueue,
          workflowBundle: workflowBundle(),
          sinks: testReadModelSinks(),
          activities: mocks.activities,
        });
        const final = await servicesWorker.runUntil(() => handle.result() as Promise<ComuneState>);
        expect(final.stage).toBe('completed');
        expect(final.servicesActive).toBe(input.services.length);
        for (const s of input.services) {
          expect((await serviceHandle(env, ipa, s.slug).describe()).taskQueue).toBe(servicesTaskQueue);
        }
        expect((await handle.describe()).taskQueue).toBe(taskQueue);
      },
    );
  });

  it('refuses a queue name Temporal would not take', () => {
    const parsed = comuneInputSchema.safeParse({ settings: { servicesTaskQueue: 'coda con spazi' } });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('servicesTaskQueue');
  });
});
