import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startComuneJourney } from '../../contracts/comune-start';
import { comuneInput } from '../support/fixtures';
import { createDevServerEnv, workflowBundle, testReadModelSinks } from '../support/temporal-env';
import { waitFor } from '../support/wait';

describe('dev server (provisioned Temporal CLI) with custom search attributes', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createDevServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('lists a started Comune by its province and deadline search attributes', async () => {
    const taskQueue = 'dev-foundation';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      sinks: testReadModelSinks(),
    });
    await worker.runUntil(async () => {
      const trento = comuneInput({ ipaCode: 'c_l378' });
      const bolzano = {
        ...comuneInput({ ipaCode: 'c_a952' }),
        comune: { ...comuneInput().comune, ipaCode: 'c_a952', name: 'Comune di Bolzano', province: 'BZ' },
      };
      for (const input of [trento, bolzano]) {
        await startComuneJourney(env.client, input, { taskQueue });
      }
      const listTrento = async () => {
        const ids: string[] = [];
        for await (const wf of env.client.workflow.list({
          query: `IoProvince = 'TN' AND IoStage = 'adhesion_check'`,
        })) {
          ids.push(wf.workflowId);
        }
        return ids.length > 0 ? ids : undefined;
      };
      expect(await waitFor('visibility to index the Comune', listTrento)).toEqual(['comune:c_l378']);

      const soon = new Date(Date.now() + 300 * 24 * 3600 * 1000).toISOString();
      const count = await env.client.workflow.count(`IoDeadline < '${soon}'`);
      expect(count.count).toBe(2);
    });
  });
});
