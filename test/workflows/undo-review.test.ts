import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  correctCardUpdate,
  recordReviewOutcomeUpdate,
  undoReviewOutcomeUpdate,
  type ServiceState,
} from '../../contracts/service';
import { serviceStepRefusal, serviceSteps } from '../../domain/journey-model';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import {
  ofKind,
  recordDelegationAndSignedForm,
  serviceHandle,
  serviceStateOf,
  stateOf,
  statusesReportedToComune,
  waitForService,
  waitForState,
  withComune,
  refusalOf,
} from './helpers';

/**
 * #12 item 12, the review outcome: a rejection recorded by hand by mistake is undone by a manager, with a reason,
 * while nothing has been built on it (no corrected card yet). The service goes back in review in the same round,
 * without a new submission to PagoPA, and the review is awaited again. A rejection read from PagoPA is not undone.
 */

const staff = 'Giulia Verdi (staff)';
const manager = 'Paolo Neri (manager)';
const settings = { adhesionCheck: 'automatic' as const };
const automaticA = { adherent: false, onboarding: 'active' as const };

describe('a manager undoes a review outcome recorded by mistake', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('reopens the same round: no resubmission, the review polled again, the Comune forgets the rejection', async () => {
    await withComune(
      env,
      { ipaCode: 'c_ur01', behaviour: { ...automaticA, reviewPending: true }, fixture: { settings } },
      async ({ handle, mocks, input }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        const slug = input.services[0]!.slug;
        const service = serviceHandle(env, ipa, slug);
        const inReview = await waitForService(env, ipa, slug, 'in_review');
        const name = inReview.name;
        /** The review polls scheduled so far (the mock keeps no call for a poll that finds the review pending). */
        const polls = async () =>
          ((await service.fetchHistory()).events ?? []).filter(
            (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitReviewDecision',
          ).length;

        // The status says «in revisione» before the poll is scheduled (the Comune hears of it first): an outcome
        // recorded in between would cancel a poll never sent, and the count below would start at 0.
        await waitFor('the first review poll', async () => ((await polls()) === 1 ? true : undefined));
        await service.executeUpdate(recordReviewOutcomeUpdate, {
          args: [
            { actor: staff, outcome: 'rejected', reason: 'manca l’informativa sul trattamento dei dati' },
          ],
        });
        const rejected = await waitForService(env, ipa, slug, 'rejected');
        expect(rejected.rejectionUndoable).toEqual({ at: rejected.rounds[0]!.decidedAt, by: staff });
        expect(serviceStepRefusal(serviceSteps.undoReviewOutcome, rejected)).toBeUndefined();
        await waitForState(handle, 'the Comune knows the rejection', (s) =>
          s.services.some((x) => x.slug === slug && x.rejections.length === 1),
        );
        await waitFor('the staff e-mail of the rejection', async () =>
          ofKind(mocks, 'service_rejected').length === 1 ? true : undefined,
        );

        const undone = await service.executeUpdate(undoReviewOutcomeUpdate, {
          args: [{ actor: manager, reason: 'esito letto sul servizio di un altro Comune' }],
        });
        // The Update answers once the round is reopened.
        expect(undone.status).toBe('in_review');
        expect(undone.rounds).toHaveLength(1);
        expect(undone.rounds[0]).toEqual({ round: 1, submittedAt: rejected.rounds[0]!.submittedAt });
        expect(undone.rejectionUndoable).toBeUndefined();
        const steps = undone.timeline.map((t) => t.step);
        expect(steps).toContain('Rifiutato da PagoPA');
        expect(undone.timeline.at(-1)).toMatchObject({
          step: 'Rifiuto annullato',
          actor: manager,
          detail: 'esito letto sul servizio di un altro Comune',
        });

        // The Comune forgets the rejection: nothing left for staff to correct on it.
        const comune = await waitForState(handle, 'the Comune forgot the rejection', (s) =>
          s.services.some((x) => x.slug === slug && x.status === 'in_review' && x.rejections.length === 0),
        );
        expect(comune.missing.join(' ')).not.toContain('informativa');
        expect(await statusesReportedToComune(env, ipa, slug)).toEqual([
          'in_review',
          'rejected',
          'in_review',
        ]);

        // No new submission, and PagoPA's review is polled again for the same round.
        await waitFor('the review polled again', async () => ((await polls()) === 2 ? true : undefined));
        expect(mocks.calls.filter((c) => c.startsWith(`submitForReview:${name}:`))).toEqual([
          `submitForReview:${name}:1`,
        ]);
        // No e-mail for the undo.
        expect(ofKind(mocks, 'service_rejected')).toHaveLength(1);

        // Nothing left to undo now: refused with the model's sentence, and the service stays in review.
        const now = await serviceStateOf(env, ipa, slug);
        expect(
          await refusalOf(
            service.executeUpdate(undoReviewOutcomeUpdate, { args: [{ actor: manager, reason: 'ancora' }] }),
          ),
        ).toBe(serviceStepRefusal(serviceSteps.undoReviewOutcome, now));

        // The real outcome, recorded afterwards, is taken as usual.
        await service.executeUpdate(recordReviewOutcomeUpdate, {
          args: [{ actor: staff, outcome: 'approved' }],
        });
        const active = await waitForService(env, ipa, slug, 'active');
        expect(active.rounds).toEqual([
          expect.objectContaining({ round: 1, outcome: 'approved', decidedBy: staff }),
        ]);
        expect((await stateOf(handle)).services.find((x) => x.slug === slug)!.rejections).toEqual([]);
      },
    );
  });

  it('refuses the undo once the card is corrected', async () => {
    await withComune(
      env,
      { ipaCode: 'c_ur02', behaviour: { ...automaticA, reviewPending: true }, fixture: { settings } },
      async ({ handle, input }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        const slug = input.services[1]!.slug;
        const service = serviceHandle(env, ipa, slug);
        await waitForService(env, ipa, slug, 'in_review');
        await service.executeUpdate(recordReviewOutcomeUpdate, {
          args: [{ actor: staff, outcome: 'rejected', reason: 'descrizione incompleta' }],
        });
        const rejected = await waitForService(env, ipa, slug, 'rejected');
        const corrected = await service.executeUpdate(correctCardUpdate, {
          args: [
            {
              actor: staff,
              card: {
                ...rejected.card,
                description: `${rejected.card.description} Come iscriversi: dal portale.`,
              },
            },
          ],
        });
        expect(corrected.rejectionUndoable).toBeUndefined();
        const message = await refusalOf(
          service.executeUpdate(undoReviewOutcomeUpdate, {
            args: [{ actor: manager, reason: 'per errore' }],
          }),
        );
        expect(message).toMatch(/^Si annulla solo un rifiuto|finché la scheda non è stata corretta/);
        // The corrected card goes on: submitted again in round 2.
        const again = await waitForService(env, ipa, slug, 'in_review', (s) => s.rounds.length === 2);
        expect(again.rounds[0]).toMatchObject({ outcome: 'rejected', reason: 'descrizione incompleta' });
      },
    );
  });

  it('does not undo a rejection read from PagoPA', async () => {
    const behaviour = {
      ...automaticA,
      review: (_name: string, round: number) =>
        round === 1
          ? { outcome: 'rejected' as const, reason: 'Logo non conforme: sfondo non bianco' }
          : { outcome: 'approved' as const },
    };
    await withComune(
      env,
      { ipaCode: 'c_ur03', behaviour, fixture: { settings } },
      async ({ handle, input }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        const slug = input.services[0]!.slug;
        const rejected: ServiceState = await waitForService(env, ipa, slug, 'rejected');
        expect(rejected.rounds[0]!.decidedBy).toBe('PagoPA');
        expect(rejected.rejectionUndoable).toBeUndefined();
        const expected = serviceStepRefusal(serviceSteps.undoReviewOutcome, rejected);
        expect(expected).toContain('un rifiuto letto su IO viene da PagoPA');
        expect(
          await refusalOf(
            serviceHandle(env, ipa, slug).executeUpdate(undoReviewOutcomeUpdate, {
              args: [{ actor: manager, reason: 'per errore' }],
            }),
          ),
        ).toBe(expected);
      },
    );
  });
});
