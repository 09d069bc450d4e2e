import { TypedSearchAttributes } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createLogger } from '../../common/logger';
import { registerSearchAttributes } from '../../common/temporal';
import { startComuneJourney } from '../../contracts/comune-start';
import { searchAttributes } from '../../contracts/search-attributes';
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

describe('search attributes registered while the server runs (an existing data file, a later release)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    // A dev server as the project starts it (no forced cache refresh), but without the attributes at its start.
    env = await createDevServerEnv({ searchAttributes: false });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('are accepted by a workflow started as soon as the registration returns', async () => {
    // The server has read its search attributes before, as a running one has.
    await env.client.workflow.start('noSuchWorkflow', { taskQueue: 'nobody', workflowId: 'before' });
    expect((await env.client.workflow.count(`WorkflowId = 'before'`)).count).toBeLessThanOrEqual(1);

    await registerSearchAttributes(env.connection, 'default', createLogger('test', 'silent'));

    // Refused for about a second after the registration unless registerSearchAttributes waits for the server.
    await env.client.workflow.start('noSuchWorkflow', {
      taskQueue: 'nobody',
      workflowId: 'after',
      typedSearchAttributes: new TypedSearchAttributes([
        { key: searchAttributes.ipaCode, value: 'c_l378' },
        { key: searchAttributes.servicesTotal, value: 11 },
        { key: searchAttributes.deadline, value: new Date('2027-03-01T00:00:00Z') },
      ]),
    });
    const indexed = async () =>
      (await env.client.workflow.count(`IoIpaCode = 'c_l378' AND IoServicesTotal = 11`)).count === 1 ||
      undefined;
    expect(await waitFor('visibility to index the new attributes', indexed)).toBe(true);
  });
});
