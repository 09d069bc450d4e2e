import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { checkReviewNowUpdate } from '../../contracts/service';
import { serviceStepRefusal, serviceSteps } from '../../domain/journey-model';
import type { MockBehaviour } from '../support/mock-activities';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import {
  pendingAttempt,
  recordDelegationAndSignedForm,
  refusalOf,
  serviceHandle,
  waitForService,
  withComune,
} from './helpers';

/**
 * Staff read a review's outcome on IO now (serviceSteps.checkReviewNow) instead of waiting for the next poll, which
 * backs off to hours: the Update answers after the read, the timeline says who asked and what IO said, and an
 * outcome read so is PagoPA's, as a poll's would be.
 */

const staff = 'Giulia Verdi (staff)';
const other = 'Marco Gialli (staff)';
const settings = { adhesionCheck: 'automatic' as const };
const automaticA = { adherent: false, onboarding: 'active' as const };

/**
 * Whether the service's review poll has run once and found the review pending (its next attempt waits an hour). A
 * test flips what PagoPA answers only then: a poll answering while the read's task cancels it is a race the
 * time-skipping server loses (it refuses the task's cancel of an activity already completed, «ACTIVITY_UNKNOWN», and
 * never gives the task back), where a real server records the completion and lets the task complete.
 */
async function pollFoundPending(service: ReturnType<typeof serviceHandle>): Promise<true | undefined> {
  return ((await pendingAttempt(service, 'awaitReviewDecision')) ?? 0) >= 2 ? true : undefined;
}

describe('staff read a review outcome on IO now', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('answers after the read: still in review, then approved and published, each read in the timeline', async () => {
    const behaviour: MockBehaviour = { ...automaticA, reviewPending: true };
    await withComune(
      env,
      { ipaCode: 'c_rc01', behaviour, fixture: { settings } },
      async ({ input, handle, mocks }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        const slug = input.services[0]!.slug;
        const service = serviceHandle(env, ipa, slug);
        const inReview = await waitForService(env, ipa, slug, 'in_review');
        expect(inReview.reviewReadOnIo).toBe(true);
        expect(serviceStepRefusal(serviceSteps.checkReviewNow, inReview)).toBeUndefined();
        const reads = async () =>
          ((await service.fetchHistory()).events ?? []).filter(
            (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitReviewDecision',
          ).length;
        // The first poll found the review pending; the next is an hour away (the settings' first interval).
        await waitFor('the first review poll', () => pollFoundPending(service));
        expect(await reads()).toBe(1);

        const pending = await service.executeUpdate(checkReviewNowUpdate, { args: [{ actor: staff }] });
        expect(pending.status).toBe('in_review');
        expect(pending.timeline.at(-1)).toEqual({
          at: expect.any(String),
          step: 'Esito letto su IO a richiesta',
          actor: staff,
          detail: 'ancora in revisione',
        });
        expect(pending.rounds).toEqual([{ round: 1, submittedAt: inReview.rounds[0]!.submittedAt }]);
        // The poll was cancelled for the read, and polling starts again (at once, then from its first interval).
        await waitFor('the poll started again', () => pollFoundPending(service));
        expect(await reads()).toBe(3);

        // PagoPA approves; the next read finds it and the service is published at once.
        behaviour.reviewPending = false;
        const approved = await service.executeUpdate(checkReviewNowUpdate, { args: [{ actor: other }] });
        expect(approved.timeline.filter((t) => t.step === 'Esito letto su IO a richiesta')).toEqual([
          expect.objectContaining({ actor: staff, detail: 'ancora in revisione' }),
          expect.objectContaining({ actor: other, detail: 'approvato' }),
        ]);
        const active = await waitForService(env, ipa, slug, 'active');
        expect(active.rounds[0]).toMatchObject({ outcome: 'approved', decidedBy: 'PagoPA' });
        expect(active.timeline.at(-1)).toMatchObject({ step: 'Servizio attivo su App IO', actor: 'PagoPA' });
        expect(mocks.calls).toContain(`publishedInPoll:${active.name}`);
      },
    );
  });

  it('reads a rejection as PagoPA’s (not undoable), then is refused: the service is no longer in review', async () => {
    const reason = 'Descrizione non chiara: indicare a chi si rivolge il servizio';
    const behaviour: MockBehaviour = { ...automaticA, reviewPending: true };
    await withComune(
      env,
      { ipaCode: 'c_rc02', behaviour, fixture: { settings } },
      async ({ input, handle }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        const first = input.services[0]!.slug;
        await waitForService(env, ipa, first, 'in_review');
        await waitFor('the first review poll', () => pollFoundPending(serviceHandle(env, ipa, first)));
        behaviour.reviewPending = false;
        behaviour.review = () => ({ outcome: 'rejected', reason });
        const read = await serviceHandle(env, ipa, first).executeUpdate(checkReviewNowUpdate, {
          args: [{ actor: staff }],
        });
        expect(read.timeline).toContainEqual(
          expect.objectContaining({
            step: 'Esito letto su IO a richiesta',
            actor: staff,
            detail: 'rifiutato',
          }),
        );
        const rejected = await waitForService(env, ipa, first, 'rejected');
        expect(rejected.rounds[0]).toMatchObject({ outcome: 'rejected', reason, decidedBy: 'PagoPA' });
        expect(rejected.rejectionUndoable).toBeUndefined();
        const expected = serviceStepRefusal(serviceSteps.checkReviewNow, rejected);
        expect(expected).toBe(
          'L’esito si legge su IO solo per un servizio in revisione; ora il servizio è «Dati incompleti o incorretti».',
        );
        expect(
          await refusalOf(
            serviceHandle(env, ipa, first).executeUpdate(checkReviewNowUpdate, { args: [{ actor: staff }] }),
          ),
        ).toBe(expected);
      },
    );
  });

  it('is refused where the outcome is recorded by hand only', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_rc03',
        behaviour: { ...automaticA, reviewPending: true },
        fixture: { settings: { ...settings, reviewTracking: 'manual' } },
      },
      async ({ input, handle }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        const slug = input.services[0]!.slug;
        const inReview = await waitForService(env, ipa, slug, 'in_review');
        expect(inReview.reviewReadOnIo).toBeUndefined();
        const expected =
          'Per questo servizio l’esito della revisione non viene letto su IO: si registra a mano.';
        expect(serviceStepRefusal(serviceSteps.checkReviewNow, inReview)).toBe(expected);
        expect(
          await refusalOf(
            serviceHandle(env, ipa, slug).executeUpdate(checkReviewNowUpdate, { args: [{ actor: staff }] }),
          ),
        ).toBe(expected);
        expect(
          await refusalOf(
            serviceHandle(env, ipa, slug).executeUpdate(checkReviewNowUpdate, { args: [{ actor: '' }] }),
          ),
        ).toMatch(/^Richiesta non valida: /);
      },
    );
  });
});
