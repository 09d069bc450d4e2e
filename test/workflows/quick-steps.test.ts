import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { workflowPatches } from '../../workflows/patches';
import { createTimeSkippingEnv } from '../support/temporal-env';
import {
  recordDelegationAndSignedForm,
  serviceHandle,
  waitForService,
  waitForState,
  withComune,
} from './helpers';

/**
 * #13 item 4, cheaper services (0.8.0): the short IO steps of a service (create, logo, portal, test message,
 * submission) run as local activities, one marker each in history instead of an activity task and a workflow task.
 * A step that keeps failing transiently is run again as the durable activity, whose retries live on the server.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const settings = { adhesionCheck: 'automatic' as const };
const automaticA = { adherent: false, onboarding: 'active' as const };
const QUICK = ['ensureService', 'uploadLogo', 'configurePortal', 'sendTestMessage', 'submitForReview'];

/** The activity type of each local-activity marker of a history, in order. */
function localActivities(events: HistoryEvent[]): { type: string; failed: boolean }[] {
  return events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return [];
    const data = marker.details?.data?.payloads?.[0];
    const { activity_type } = defaultPayloadConverter.fromPayload<{ activity_type: string }>(data!);
    return [{ type: activity_type, failed: Boolean(marker.failure) }];
  });
}

const scheduled = (events: HistoryEvent[]) =>
  events.flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });

const patchMarkers = (events: HistoryEvent[]) =>
  events.flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') return [];
    return [defaultPayloadConverter.fromPayload<{ id: string }>(m.details!['patch-data']!.payloads![0]!).id];
  });

describe('a service runs its short IO steps as local activities', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('five markers instead of five activity tasks; review and publication stay durable activities', async () => {
    await withComune(
      env,
      { ipaCode: 'c_qs01', behaviour: automaticA, fixture: { settings } },
      async ({ handle, input, mocks }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        const slug = input.services[0]!.slug;
        const active = await waitForService(env, ipa, slug, 'active');
        expect(active.timeline.map((t) => t.step)).toEqual(
          expect.arrayContaining([
            'Servizio creato su IO',
            'Chiavi configurate sul portale',
            'Servizio attivo su App IO',
          ]),
        );
        const events = (await serviceHandle(env, ipa, slug).fetchHistory()).events ?? [];
        expect(patchMarkers(events)).toContain(workflowPatches.serviceQuickSteps);
        expect(localActivities(events)).toEqual(QUICK.map((type) => ({ type, failed: false })));
        expect(scheduled(events)).toEqual(['awaitReviewDecision', 'ensurePublished']);
        // Each step ran once on PagoPA's side.
        expect(mocks.calls.filter((c) => c === `ensureService:${active.name}`)).toHaveLength(1);
        // 65 events per service in 0.7.0 (7 activities); the figure is reported in BENCHMARKS.md.
        expect(events.length).toBeLessThanOrEqual(45);
        await waitForState(handle, 'the Comune knows the service is active', (s) =>
          s.services.some((x) => x.slug === slug && x.status === 'active'),
        );
      },
    );
  });

  it('a step that keeps failing transiently is run again as a durable activity, and the service goes on', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_qs02',
        // Three quick attempts fail for the first service that uploads its logo; the durable activity succeeds.
        behaviour: { ...automaticA, transientFailures: { step: 'uploadLogo', times: 3 } },
        fixture: { settings },
      },
      async ({ handle, input, mocks }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        await waitForState(handle, 'every service active', (s) =>
          s.services.every((x) => x.status === 'active'),
        );
        expect(mocks.calls.filter((c) => c.startsWith('transient:uploadLogo:'))).toHaveLength(3);
        const histories = await Promise.all(
          input.services.map(
            async (s) => (await serviceHandle(env, ipa, s.slug).fetchHistory()).events ?? [],
          ),
        );
        const retried = histories.filter((events) => scheduled(events).includes('uploadLogo'));
        expect(retried).toHaveLength(1);
        const [events] = retried;
        expect(localActivities(events!)).toContainEqual({ type: 'uploadLogo', failed: true });
        expect(scheduled(events!)).toEqual(['uploadLogo', 'awaitReviewDecision', 'ensurePublished']);
        // No staff were bothered: a transient failure is not the card's fault.
        const state = await waitForService(env, ipa, input.services[0]!.slug, 'active');
        expect(state.issues).toEqual([]);
      },
    );
  });
});
