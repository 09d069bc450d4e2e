import { status as grpcStatus } from '@grpc/grpc-js';
import { Worker } from '@temporalio/worker';
import { listComuni, visibilityQuery } from '../../api/portfolio';
import type { ComuneState } from '../../contracts/comune';
import { comuneWorkflowId, serviceWorkflowId } from '../../contracts/ids';
import { searchAttributes as sa } from '../../contracts/search-attributes';
import { startActivityHarness, type ActivityHarness } from '../activities/harness';
import { driveElevenServiceJourney, elevenServiceTrento } from '../support/eleven-service-journey';
import { workflowBundle, testReadModelSinks } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { connectToEngine, describeOnEngine, uniqueTaskQueue, type EngineEnv } from './engine-env';

/**
 * The end-to-end journey of test/e2e/journey.test.ts (test/support/eleven-service-journey.ts) on the real engine: temporal-server with PostgreSQL persistence and PostgreSQL (SQL) visibility, as in production
 * (docker-compose.yml). Start it with `npm run engine:setup`; `npm run test:engine` does both. Skipped unless
 * TEMPORAL_ENGINE_ADDRESS is set.
 *
 * The engine keeps earlier runs (same workflow ids, closed): each run has its own task queue, and the visibility
 * queries are narrowed by it.
 */
describeOnEngine('a Comune journey end to end on temporal-server + PostgreSQL', () => {
  let env: EngineEnv;
  let harness: ActivityHarness;
  const taskQueue = uniqueTaskQueue('engine-journey');
  const input = () => elevenServiceTrento(harness);
  let completed: ComuneState | undefined;

  beforeAll(async () => {
    [env, harness] = await Promise.all([
      connectToEngine(),
      startActivityHarness({
        sandbox: {
          reviewer: { mode: 'approve', reviewDelayMs: 0, rejectOnce: [/^Mensa scolastica$/i] },
          portal: { autoCreateServices: true },
        },
      }),
    ]);
    // A run interrupted earlier may have left these ids running on its own (dead) task queue: end them, so the
    // start below is not refused. Closed runs are harmless (the default reuse policy allows a new run).
    const ipa = 'c_l378';
    const ids = [comuneWorkflowId(ipa), ...input().services.map((s) => serviceWorkflowId(ipa, s.slug))];
    for (const id of ids) {
      await env.client.workflow
        .getHandle(id)
        .terminate('stale run before an engine test')
        .catch(() => undefined);
    }
  });
  afterAll(async () => {
    await harness?.close();
    await env?.close();
  });

  it('completes 11 services, one after a rejection, with no duplicate and no key in history', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      workflowBundle: workflowBundle(),
      sinks: testReadModelSinks(),
      activities: harness.activities,
    });
    await worker.runUntil(async () => {
      completed = (await driveElevenServiceJourney(env.client, harness, taskQueue, input())).result;
    });
  }, 600_000);

  describe('visibility on PostgreSQL (SQL: filters on search attributes, no ORDER BY)', () => {
    it("lists the completed Comune by the portfolio's own query, with its search attributes current", async () => {
      expect(completed?.stage).toBe('completed'); // set by the journey above
      // The API's query (api/portfolio.ts), narrowed to this run's task queue. Visibility is written
      // asynchronously (transfer tasks): wait for the closed run to show.
      const query = `TaskQueue = '${taskQueue}' AND ${visibilityQuery({ province: 'TN', stage: 'completed' })}`;
      const found = await waitFor(
        'the completed Comune in visibility',
        async () => {
          const rows = [];
          for await (const wf of env.client.workflow.list({ query })) rows.push(wf);
          return rows.length > 0 && rows.every((wf) => wf.status.name === 'COMPLETED') ? rows : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(found.map((wf) => wf.workflowId)).toEqual(['comune:c_l378']);
      const attrs = found[0]!.typedSearchAttributes;
      expect(attrs.get(sa.ipaCode)).toBe('c_l378');
      expect(attrs.get(sa.province)).toBe('TN');
      expect(attrs.get(sa.scenario)).toBe('B');
      expect(attrs.get(sa.servicesActive)).toBe(11);
      expect(attrs.get(sa.servicesTotal)).toBe(11);
      expect(attrs.get(sa.fundingSecuredEur)).toBe(11 * 1_099);
      expect(attrs.get(sa.late)).toBe(false);
      expect(attrs.get(sa.deadline)).toBeInstanceOf(Date);

      // The API's listing itself (query + mapping), unchanged: the run is there, read from search attributes only.
      const items = await listComuni(env.client, { province: 'TN', stage: 'completed' });
      expect(items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            workflowId: 'comune:c_l378',
            ipaCode: 'c_l378',
            name: 'Comune di Trento',
            servicesActive: 11,
            fundingSecuredEur: 11 * 1_099,
          }),
        ]),
      );
    });

    it('filters and counts by custom attributes of every type (keyword, int, bool, double, datetime)', async () => {
      const base = `TaskQueue = '${taskQueue}'`;
      const count = async (where: string) => (await env.client.workflow.count(`${base} AND ${where}`)).count;
      // The 11 service workflows carry the Comune's code and their last status.
      await waitFor(
        'the 11 closed services in visibility',
        async () =>
          (await count(
            `WorkflowType = 'serviceWorkflow' AND ${sa.ipaCode.name} = 'c_l378' AND ${sa.serviceStatus.name} = 'active' AND ExecutionStatus = 'Completed'`,
          )) === 11
            ? true
            : undefined,
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      const soon = new Date(Date.now() + 300 * 24 * 3600 * 1000).toISOString();
      expect(await count(`${sa.deadline.name} < '${soon}' AND ${sa.stage.name} = 'completed'`)).toBe(1);
      expect(await count(`${sa.servicesActive.name} >= 11 AND ${sa.atRisk.name} = false`)).toBe(1);
      expect(await count(`${sa.fundingSecuredEur.name} > 12000.5`)).toBe(1);
      expect(await count(`${sa.stage.name} IN ('adhesion_check', 'delegation_requested')`)).toBe(0);
      // GROUP BY is allowed on ExecutionStatus only: the 12 workflows of this run, all completed.
      const grouped = await env.client.workflow.count(`${base} GROUP BY ExecutionStatus`);
      expect(grouped.count).toBe(12);
      expect(grouped.groups.map((g) => [g.groupValues.map(String), g.count])).toEqual([[['Completed'], 12]]);
    });

    it('refuses ORDER BY, even on a system attribute: the portfolio sorts in memory (api/portfolio.ts)', async () => {
      const listOrdered = async (orderBy: string) => {
        for await (const wf of env.client.workflow.list({
          query: `TaskQueue = '${taskQueue}' ORDER BY ${orderBy}`,
        })) {
          void wf;
        }
      };
      // Elasticsearch visibility accepts ORDER BY; PostgreSQL (SQL) visibility refuses every one.
      for (const orderBy of [sa.deadline.name, 'StartTime']) {
        await expect(listOrdered(orderBy)).rejects.toMatchObject({
          cause: { code: grpcStatus.INVALID_ARGUMENT, details: expect.stringMatching(/ORDER BY/) },
        });
      }
    });
  });
});
