import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { WITHDRAWN_FAILURE_TYPE, withdrawUpdate, type ComuneState } from '../../contracts/comune';
import { correctCardUpdate } from '../../contracts/service';
import type { ServiceCard } from '../../domain/service-card';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { recordHistoriesIfAsked } from '../support/record-histories';
import { waitFor } from '../support/wait';
import {
  ofKind,
  recordDelegationAndSignedForm,
  serviceHandle,
  serviceStateOf,
  stateOf,
  statusesReportedToComune,
  waitForNotifications,
  waitForService,
  waitForState,
  withComune,
} from './helpers';

const automaticA = { adherent: false, onboarding: 'active' as const };
const settings = { adhesionCheck: 'automatic' as const };
const MENSA_REASONS = [
  'Logo non conforme: sfondo non bianco',
  'Descrizione incompleta: indicare come iscriversi al servizio',
];

describe('Comune journey: services under review', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('a service rejected twice is corrected, resubmitted and approved in the third round', async () => {
    const behaviour = {
      ...automaticA,
      review: (name: string, round: number) =>
        name === 'Mensa scolastica' && round <= 2
          ? { outcome: 'rejected' as const, reason: MENSA_REASONS[round - 1]! }
          : { outcome: 'approved' as const },
    };
    await withComune(
      env,
      { ipaCode: 'c_s001', behaviour, fixture: { settings } },
      async ({ handle, mocks, input }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        const original = input.services.find((s) => s.slug === 'mensa')!.card;

        for (const round of [1, 2]) {
          const rejected = await waitForService(
            env,
            ipa,
            'mensa',
            'rejected',
            (s) => s.rounds.length === round,
          );
          expect(rejected.rounds).toHaveLength(round);
          expect(rejected.rounds[round - 1]).toMatchObject({
            outcome: 'rejected',
            reason: MENSA_REASONS[round - 1],
          });
          const notices = await waitForNotifications(mocks, 'service_rejected', round);
          expect(notices[round - 1]!.audience).toEqual({ staff: true });
          expect(notices[round - 1]!.data).toMatchObject({
            serviceName: 'Mensa scolastica',
            reason: MENSA_REASONS[round - 1],
            round,
          });

          const corrected: ServiceCard = {
            ...original,
            description: `${original.description} Correzione n. ${round}: iscrizioni dal portale del Comune.`,
          };
          const afterCorrection = await serviceHandle(env, ipa, 'mensa').executeUpdate(correctCardUpdate, {
            args: [{ actor: 'Giulia Verdi (staff)', card: corrected }],
          });
          expect(afterCorrection.card.description).toBe(corrected.description);
          await waitFor(`resubmission ${round + 1}`, async () =>
            mocks.calls.includes(`submitForReview:Mensa scolastica:${round + 1}`) ? true : undefined,
          );
        }

        const final = (await handle.result()) as ComuneState;
        expect(final.stage).toBe('completed');
        expect(final.servicesActive).toBe(input.services.length);
        expect(ofKind(mocks, 'service_rejected')).toHaveLength(2);

        const mensaId = final.services.find((s) => s.slug === 'mensa')!.ioServiceId!;
        const mensaCalls = mocks.calls.filter((c) => c.includes(mensaId) || c.includes('Mensa scolastica'));
        expect(mensaCalls).toEqual([
          'ensureService:Mensa scolastica',
          `uploadLogo:${mensaId}`,
          `configurePortal:${mensaId}`,
          'submitForReview:Mensa scolastica:1',
          `updateService:${mensaId}`,
          'submitForReview:Mensa scolastica:2',
          `updateService:${mensaId}`,
          'submitForReview:Mensa scolastica:3',
          // Since 0.12.0 the poll that reads the approval publishes it.
          'publishedInPoll:Mensa scolastica',
        ]);

        const child = await serviceStateOf(env, ipa, 'mensa');
        expect(child.status).toBe('active');
        expect(child.rounds).toHaveLength(3);
        expect(child.rounds.map((r) => r.outcome)).toEqual(['rejected', 'rejected', 'approved']);
        expect(child.rounds.map((r) => r.reason)).toEqual([...MENSA_REASONS, undefined]);
        expect(child.timeline.filter((t) => t.step === 'Scheda corretta')).toHaveLength(2);

        const summary = final.services.find((s) => s.slug === 'mensa')!;
        expect(summary.status).toBe('active');
        expect(summary.rejections.map((r) => r.reason)).toEqual(MENSA_REASONS);
        expect((await serviceHandle(env, ipa, 'mensa').describe()).status.name).toBe('COMPLETED');

        // Since 0.3.0 the Comune hears of what matters to it, not of each automatic step (a signal costs a
        // workflow task on both sides): creation, configuration and publication are not reported.
        expect(await statusesReportedToComune(env, ipa, 'mensa')).toEqual([
          'in_review',
          'rejected',
          'in_review',
          'rejected',
          'in_review',
          'active',
        ]);
        expect(await statusesReportedToComune(env, ipa, 'tari')).toEqual(['in_review', 'active']);
      },
    );
  });

  it('the review poll publishes an approved service (0.12.0); when it cannot, the service publishes it itself', async () => {
    // PagoPA lets the poll publish every service at once but TARI's (its release not ready yet: a 404).
    const tari = 'Tassa sui rifiuti (TARI)';
    const behaviour = { ...automaticA, publishInPoll: (name: string) => name !== tari };
    await withComune(
      env,
      { ipaCode: 'c_s005', behaviour, fixture: { settings } },
      async ({ handle, mocks, input }) => {
        await recordDelegationAndSignedForm(handle);
        const final = await waitForState(handle, 'completed', (s) => s.stage === 'completed');
        expect(final.services.every((s) => s.status === 'active')).toBe(true);
        const names = input.services.map((s) => s.card.service_name);
        expect(names).toContain(tari);
        expect(mocks.calls.filter((c) => c.startsWith('publishedInPoll:')).sort()).toEqual(
          names
            .filter((n) => n !== tari)
            .map((n) => `publishedInPoll:${n}`)
            .sort(),
        );
        expect(mocks.calls.filter((c) => c.startsWith('ensurePublished:'))).toEqual([
          `ensurePublished:${tari}`,
        ]);
        // One activity fewer in the history of a service its poll published.
        const scheduled = async (slug: string) =>
          ((await serviceHandle(env, input.comune.ipaCode, slug).fetchHistory()).events ?? []).flatMap((e) =>
            e.activityTaskScheduledEventAttributes?.activityType?.name
              ? [e.activityTaskScheduledEventAttributes.activityType.name]
              : [],
          );
        expect(await scheduled('imu')).toEqual(['setUpService', 'awaitReviewDecision']);
        expect(await scheduled('tari')).toEqual(['setUpService', 'awaitReviewDecision', 'ensurePublished']);
        for (const slug of ['tari', 'imu']) {
          const service = await serviceStateOf(env, input.comune.ipaCode, slug);
          expect(service.timeline.map((t) => t.step)).toContain('Servizio attivo su App IO');
        }
      },
    );
  });

  it('an invalid card waits for staff instead of failing, and the Comune completes once it is corrected', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_s002',
        behaviour: automaticA,
        fixture: { settings },
        adjust: (input) => {
          input.services.find((s) => s.slug === 'mensa')!.card.service_name = 'SERVIZI SCOLASTICI';
        },
      },
      async ({ handle, mocks, input }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;

        const blocked = await waitForService(env, ipa, 'mensa', 'needs_correction');
        expect(blocked.issues.map((i) => i.field)).toContain('service_name');
        expect(blocked.issues.map((i) => i.message).join(' ')).toContain('maiuscolo');
        const [alert] = await waitForNotifications(mocks, 'staff_alert', 1);
        expect(alert!.audience).toEqual({ staff: true });
        expect(JSON.stringify(alert!.data)).toContain('SERVIZI SCOLASTICI');
        expect(mocks.calls).not.toContain('ensureService:SERVIZI SCOLASTICI');

        // The other services carry on meanwhile; the Comune waits on this one only.
        const waiting = await waitForState(
          handle,
          'the other services active',
          (s) => s.servicesActive === 4,
        );
        expect(waiting.stage).toBe('services');
        const summary = waiting.services.find((s) => s.slug === 'mensa')!;
        expect(summary.status).toBe('needs_correction');
        expect(summary.issues?.length).toBeGreaterThan(0);
        expect(waiting.missing.join('\n')).toContain('maiuscolo');
        expect((await serviceHandle(env, ipa, 'mensa').describe()).status.name).toBe('RUNNING');

        const card = { ...blocked.card, service_name: 'Servizi scolastici' };
        await serviceHandle(env, ipa, 'mensa').executeUpdate(correctCardUpdate, {
          args: [{ actor: 'Giulia Verdi (staff)', card }],
        });
        const final = (await handle.result()) as ComuneState;
        expect(final.stage).toBe('completed');
        expect(final.servicesActive).toBe(final.servicesTotal);
        expect(mocks.calls).toContain('ensureService:Servizi scolastici');
        const child = await serviceStateOf(env, ipa, 'mensa');
        expect(child).toMatchObject({ status: 'active', name: 'Servizi scolastici', issues: [] });
        // The Comune's summary follows the corrected name.
        expect(final.services.find((s) => s.slug === 'mensa')!.name).toBe('Servizi scolastici');
        // Once corrected, the Comune hears the service is being created again: it does not stay "to correct".
        expect(await statusesReportedToComune(env, ipa, 'mensa')).toEqual([
          'needs_correction',
          'creating',
          'in_review',
          'active',
        ]);
      },
    );
  });

  it('a set-up step that needs staff stops the one set-up activity: what was done is kept, and it resumes there', async () => {
    let portalFixed = false;
    const behaviour = { ...automaticA, portalMissing: (slug: string) => slug === 'mensa' && !portalFixed };
    await withComune(
      env,
      { ipaCode: 'c_s004', behaviour, fixture: { settings } },
      async ({ handle, mocks, input }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        const blocked = await waitForService(env, ipa, 'mensa', 'needs_correction');
        // Named for staff as when each step was an activity of its own; the service created before it is kept.
        expect(blocked.issues).toEqual([
          { field: 'configurazione portale', message: expect.stringContaining('non trovato sul portale') },
        ]);
        expect(blocked.ioServiceId).toMatch(/^01SERVICE/);
        expect(blocked).toMatchObject({
          logoUploaded: true,
          portalConfigured: false,
          testMessageSent: false,
        });
        expect(blocked.rounds).toEqual([]);
        expect(blocked.timeline.map((t) => t.step)).toEqual([
          'Servizio creato su IO',
          'Bloccato: configurazione portale',
        ]);
        const [alert] = await waitForNotifications(mocks, 'staff_alert', 1);
        expect(JSON.stringify(alert!.data)).toContain('configurazione portale');

        portalFixed = true; // staff added the service to the Comune's portal, then resend the card
        await serviceHandle(env, ipa, 'mensa').executeUpdate(correctCardUpdate, {
          args: [{ actor: 'Giulia Verdi (staff)', card: blocked.card }],
        });
        const final = (await handle.result()) as ComuneState;
        expect(final.stage).toBe('completed');
        const id = blocked.ioServiceId!;
        const name = blocked.card.service_name;
        // Resumed where it stopped: created and given its logo once, the portal tried twice, submitted once.
        expect(mocks.calls.filter((c) => c === `ensureService:${name}`)).toHaveLength(1);
        expect(mocks.calls.filter((c) => c === `uploadLogo:${id}`)).toHaveLength(1);
        expect(mocks.calls.filter((c) => c === `configurePortal:${id}`)).toHaveLength(2);
        expect(mocks.calls.filter((c) => c.startsWith(`submitForReview:${name}:`))).toEqual([
          `submitForReview:${name}:1`,
        ]);
        const child = await serviceStateOf(env, ipa, 'mensa');
        expect(child).toMatchObject({ status: 'active', portalConfigured: true, testMessageSent: true });
        expect(child.timeline.map((t) => t.step)).toEqual([
          'Servizio creato su IO',
          'Bloccato: configurazione portale',
          'Scheda corretta',
          'Chiavi configurate sul portale',
          'Servizio attivo su App IO',
        ]);
        // One activity per run of the set-up, none per step.
        const { events } = await serviceHandle(env, ipa, 'mensa').fetchHistory();
        const scheduled = events!
          .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
          .filter((n): n is string => typeof n === 'string');
        expect(scheduled.filter((n) => n === 'setUpService')).toHaveLength(2);
        expect(scheduled).not.toContain('ensureService');
        expect(scheduled).not.toContain('configurePortal');
        expect(scheduled).not.toContain('submitForReview');
        await recordHistoriesIfAsked('ts', [serviceHandle(env, ipa, 'mensa')]);
      },
    );
  });

  it('withdrawing a Comune cancels its services and fails the journey as ComuneWithdrawn', async () => {
    await withComune(
      env,
      { ipaCode: 'c_s003', behaviour: { ...automaticA, reviewPending: true }, fixture: { settings } },
      async ({ handle, input }) => {
        await recordDelegationAndSignedForm(handle);
        const ipa = input.comune.ipaCode;
        await waitForState(handle, 'every service in review', (s) =>
          s.services.every((service) => service.status === 'in_review'),
        );

        const withdrawn = await handle.executeUpdate(withdrawUpdate, {
          args: [{ actor: 'Paolo Neri (manager)', reason: 'il Comune rinuncia al finanziamento' }],
        });
        expect(withdrawn.stage).toBe('withdrawn');

        const failure = await handle.result().then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(failure).toBeInstanceOf(WorkflowFailedError);
        const cause = (failure as WorkflowFailedError).cause;
        expect(cause).toBeInstanceOf(ApplicationFailure);
        expect((cause as ApplicationFailure).type).toBe(WITHDRAWN_FAILURE_TYPE);
        expect(cause!.message).toContain('il Comune rinuncia al finanziamento');
        const detailsState = (cause as ApplicationFailure).details?.[0] as ComuneState;
        expect(detailsState.stage).toBe('withdrawn');

        const last = await stateOf(handle);
        expect(last.stage).toBe('withdrawn');
        expect(last.withdrawn).toMatchObject({
          by: 'Paolo Neri (manager)',
          reason: 'il Comune rinuncia al finanziamento',
        });
        expect(last.services.every((s) => s.status === 'cancelled')).toBe(true);
        expect(last.funding.atRiskEur).toBe(0);

        for (const { slug } of input.services) {
          // The children close on their own once the cancellation reaches them.
          const status = await waitFor(`service ${slug} closed`, async () => {
            const { status } = await serviceHandle(env, ipa, slug).describe();
            return status.name === 'RUNNING' ? undefined : status.name;
          });
          expect(status).toBe('CANCELLED');
          const child = await serviceStateOf(env, ipa, slug);
          expect(child.status).toBe('cancelled');
          expect(child.timeline.at(-1)!.step).toBe('Servizio annullato');
        }
      },
    );
  });
});
