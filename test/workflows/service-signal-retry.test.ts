import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { startComuneJourney } from '../../contracts/comune-start';
import { serviceWorkflowId } from '../../contracts/ids';
import { getServiceStateQuery } from '../../contracts/service';
import { workflowPatches } from '../../workflows/patches';
import { comuneInput } from '../support/fixtures';
import { mockActivities } from '../support/mock-activities';
import { recordHistoriesIfAsked } from '../support/record-histories';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { stateOf, testWorker } from './helpers';

const { EventType } = temporal.api.enums.v1;

/**
 * A service reports its milestones to its Comune by signal. When the Comune's workflow cannot be found for a moment
 * (between two runs of a continue-as-new, on the time-skipping server), the milestone must not be lost: since 0.7.0
 * the service tells its Comune again. Here the Comune starts only after the service's first signal was refused.
 */
describe('a service tells its Comune again when a signal is refused', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('retries the refused milestone, and the Comune started meanwhile sees the service', async () => {
    const taskQueue = 'wf-c_sr01';
    const mocks = mockActivities({ adherent: false });
    const worker = await testWorker(env, taskQueue, mocks);
    await worker.runUntil(async () => {
      const now = new Date(await env.currentTimeMs());
      const input = comuneInput({ ipaCode: 'c_sr01', now, settings: { adhesionCheck: 'manual' } });
      const planned = input.services[0]!;
      const comuneWorkflowId = `comune:${input.comune.ipaCode}`;
      const service = await env.client.workflow.start('serviceWorkflow', {
        taskQueue,
        workflowId: serviceWorkflowId(input.comune.ipaCode, planned.slug),
        args: [
          {
            comune: {
              ipaCode: input.comune.ipaCode,
              name: input.comune.name,
              fiscalCode: input.comune.fiscalCode,
              portalTenant: 'c-sr01',
            },
            slug: planned.slug,
            card: planned.card,
            parentWorkflowId: comuneWorkflowId,
            reviewTracking: 'poll',
            reviewPollInitialMinutes: 1,
            reviewPollMaxHours: 1,
          },
        ],
      });
      try {
        // The service's first milestone finds no Comune.
        await waitFor('a refused signal', async () => {
          const history = await service.fetchHistory();
          return history.events?.some(
            (e) => e.eventType === EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
          )
            ? true
            : undefined;
        });
        const comune = await startComuneJourney(env.client, input, { taskQueue });
        expect(comune.workflowId).toBe(comuneWorkflowId);

        // The retried signal reaches it: the Comune's copy of the service follows the service's own status.
        const seen = await waitFor(
          'the Comune to hear of its service',
          async () => {
            const [state, own] = await Promise.all([stateOf(comune), service.query(getServiceStateQuery)]);
            const copy = state.services.find((s) => s.slug === planned.slug)!;
            return copy.status !== 'pending' && copy.status === own.status ? copy : undefined;
          },
          { timeoutMs: 30_000 },
        );
        expect(seen.name).toBe(planned.card.service_name);

        const history = await service.fetchHistory();
        const markers = history.events!.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
        const patchMarkers = markers.map(
          (e) =>
            (
              JSON.parse(
                Buffer.from(
                  e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data ??
                    new Uint8Array(),
                ).toString('utf8'),
              ) as { id: string }
            ).id,
        );
        // Since 0.12.0 the release's one marker stands for the retry's (the 0.7.0 histories keep theirs).
        expect(patchMarkers).toEqual([workflowPatches.release012]);
        const delivered = history.events!.filter(
          (e) => e.eventType === EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
        );
        expect(delivered.length).toBeGreaterThan(0);
        await recordHistoriesIfAsked('ts', [service]);
      } finally {
        for (const id of [comuneWorkflowId, service.workflowId]) {
          await env.client.workflow
            .getHandle(id)
            .terminate('test over')
            .catch(() => undefined);
        }
      }
    });
  });
});
