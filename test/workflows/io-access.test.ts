import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import {
  recordAdhesionUpdate,
  recordDelegationDoneUpdate,
  recordManageKeyUpdate,
  recordOnboardingUpdate,
  recordSignedFormUpdate,
  type ComuneState,
} from '../../contracts/comune';
import type { ServiceWorkflowInput } from '../../contracts/service';
import { comuneStepRefusal, comuneSteps } from '../../domain/journey-model';
import { JOURNEY_MEMO_KEY, journeyReadModel, type JourneyReadModel } from '../../domain/journey-tasks';
import type { MockBehaviour } from '../support/mock-activities';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import {
  HOUR_MS,
  manageKeyReference,
  notifyIds,
  ofKind,
  recordManageKey,
  serviceHandle,
  serviceStateOf,
  signedForm,
  stateOf,
  statusesReportedToComune,
  waitForNotifications,
  waitForService,
  waitForStage,
  waitForState,
  withComune,
  type ComuneHandle,
  type Mocks,
} from './helpers';

/**
 * The stage «Accesso a IO» (0.5.0): after the signed form, Selfcare activates the onboarding (checked by the
 * journey or recorded by staff), staff record the Comune's own manage key, and only then do the services start.
 * A key PagoPA refuses mid-journey pauses the services until staff record a new one.
 */

const staff = 'Giulia Verdi (staff)';
const KEY_ALERT = 'Chiave di gestione da aggiornare';

/** Refused by the Update's validator: its message. */
async function refusal(run: () => Promise<unknown>): Promise<string> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe('StepRefused');
  return cause!.message;
}

/** Delegation then signed form, as staff record them; resolves once the Comune is at «Accesso a IO». */
async function delegationAndSignedForm(handle: ComuneHandle): Promise<ComuneState> {
  await signedFormRecorded(handle);
  return waitForStage(handle, 'io_access');
}

/** Delegation then signed form, as staff record them; the Comune may leave «Accesso a IO» at once after. */
async function signedFormRecorded(handle: ComuneHandle): Promise<ComuneState> {
  await waitForStage(handle, 'delegation_requested');
  await handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: staff }] });
  await waitForStage(handle, 'awaiting_signed_form');
  return handle.executeUpdate(recordSignedFormUpdate, { args: [signedForm()] });
}

const keyAlerts = (mocks: Mocks) =>
  ofKind(mocks, 'staff_alert').filter((n) => JSON.stringify(n.data).includes(KEY_ALERT));

/** How many times each service name was created on IO (the mock finds an existing service by name). */
function createdNames(mocks: Mocks): string[] {
  return [...mocks.services.values()].map((s) => s.name).sort();
}

/** The Comune's stage task (the tracking form has its own, beside it). */
const stageTasks = (state: ComuneState) => journeyReadModel(state).tasks.filter((t) => t.kind === 'stage');

async function memoOf(handle: ComuneHandle): Promise<JourneyReadModel | undefined> {
  const { memo } = await handle.describe();
  return memo?.[JOURNEY_MEMO_KEY] as JourneyReadModel | undefined;
}

describe('Comune journey: the stage «Accesso a IO»', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('automatic check: Selfcare shows the onboarding active, no service starts before the key, then completes', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_k001',
        behaviour: { adherent: false, onboarding: 'active' },
        fixture: { settings: { adhesionCheck: 'automatic' } },
      },
      async ({ handle, mocks, input }) => {
        await delegationAndSignedForm(handle);
        const active = await waitForState(
          handle,
          'onboarding active',
          (s) => s.ioAccess?.onboardingActiveAt !== undefined,
        );
        expect(active.stage).toBe('io_access');
        expect(active.ioAccess).toMatchObject({ check: 'automatic', onboardingRecordedBy: 'sistema' });
        expect(active.ioAccess?.manageKey).toBeUndefined();
        const entry = active.timeline.find((t) => t.step === 'Adesione ad App IO su Selfcare attiva');
        expect(entry).toMatchObject({ actor: 'sistema', detail: 'Selfcare: ACTIVE' });
        expect(mocks.calls.filter((c) => c === 'awaitIoOnboarding')).toHaveLength(1);
        // The stage task is staff's now: read the key in the back office IO and record it.
        expect(stageTasks(active)).toEqual([
          expect.objectContaining({ kind: 'stage', status: 'io_access', party: 'staff' }),
        ]);

        // Time passes, the Comune stays at «Accesso a IO» and no service is created without the key.
        await env.sleep(2 * HOUR_MS);
        const still = await stateOf(handle);
        expect(still.stage).toBe('io_access');
        expect(still.services.every((s) => s.status === 'pending')).toBe(true);
        expect(mocks.calls.some((c) => c.startsWith('ensureService:'))).toBe(false);

        const services = await recordManageKey(handle);
        expect(services.ioAccess?.manageKey).toMatchObject({
          ref: manageKeyReference(input.comune.ipaCode).ref,
          fingerprint: 'a1b2c3d4e5f6',
          hasSecondary: false,
          recordedBy: staff,
        });
        // The onboarding recorded by the journey stays as it was.
        expect(services.ioAccess?.onboardingRecordedBy).toBe('sistema');

        const final = (await handle.result()) as ComuneState;
        expect(final.stage).toBe('completed');
        expect(final.servicesActive).toBe(input.services.length);
        // Every service calls IO with the Comune's own key, resolved by scope (never the key itself).
        for (const { slug } of input.services) {
          const history = await serviceHandle(env, input.comune.ipaCode, slug).fetchHistory();
          const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
          expect(defaultPayloadConverter.fromPayload<ServiceWorkflowInput>(payload!).keySource).toBe(
            'comune',
          );
        }
        expect(createdNames(mocks)).toEqual(input.services.map((s) => s.card.service_name).sort());
        const steps = final.timeline.map((t) => t.step);
        const at = (step: string) => steps.indexOf(step);
        expect(at('Modulo firmato registrato')).toBeGreaterThan(-1);
        expect(at('Modulo firmato registrato')).toBeLessThan(at('Adesione ad App IO su Selfcare attiva'));
        expect(at('Adesione ad App IO su Selfcare attiva')).toBeLessThan(at('Chiave di gestione registrata'));
        expect(ofKind(mocks, 'staff_alert')).toHaveLength(0);
      },
    );
  });

  it('automatic check: an onboarding Selfcare rejects sends the Comune back to the delegation', async () => {
    const behaviour: MockBehaviour = { adherent: false, onboarding: 'rejected' };
    await withComune(
      env,
      { ipaCode: 'c_k002', behaviour, fixture: { settings: { adhesionCheck: 'automatic' } } },
      async ({ handle, mocks, input }) => {
        // Selfcare answers at once: the Comune passes through «Accesso a IO» faster than a test can poll it.
        await signedFormRecorded(handle);
        const back = await waitForState(
          handle,
          'delegation requested again',
          (s) => s.stage === 'delegation_requested' && s.delegation.requestCount === 2,
        );
        expect(back.delegation.completedAt).toBeUndefined();
        expect(back.signedForm.record).toBeUndefined();
        expect(back.ioAccess?.onboardingActiveAt).toBeUndefined();
        const stagesEntered = back.timeline.filter((t) => t.step.startsWith('Fase: ')).map((t) => t.step);
        expect(stagesEntered.slice(-3)).toEqual([
          'Fase: awaiting_signed_form',
          'Fase: io_access',
          'Fase: delegation_requested',
        ]);
        expect(
          back.timeline.find((t) => t.step === 'Adesione ad App IO su Selfcare rifiutata'),
        ).toMatchObject({
          actor: 'sistema',
          detail: 'Selfcare: REJECTED',
        });

        const [alert] = await waitForNotifications(mocks, 'staff_alert', 1);
        expect(alert!.audience).toEqual({ staff: true });
        expect((alert!.data as { alert: string }).alert).toContain('rifiutata');
        const instructions = await waitForNotifications(mocks, 'delegation_instructions_a', 2);
        expect(instructions).toHaveLength(2);
        expect(new Set(instructions.map((n) => n.id)).size).toBe(2);

        // The delegation of the rejected round no longer counts: the signed form waits for a new one.
        const early = await refusal(() =>
          handle.executeUpdate(recordSignedFormUpdate, { args: [signedForm()] }),
        );
        expect(early).toBe(comuneStepRefusal(comuneSteps.recordSignedForm, back));

        // Selfcare decides nothing yet on the second round: the journey polls until staff record the key.
        behaviour.onboarding = 'pending';
        const again = await delegationAndSignedForm(handle);
        expect(again.ioAccess?.check).toBe('automatic');
        expect(again.ioAccess?.onboardingActiveAt).toBeUndefined();
        expect(stageTasks(again)).toEqual([
          expect.objectContaining({ kind: 'stage', status: 'io_access', party: 'pagopa' }),
        ]);
        await recordManageKey(handle);
        const final = (await handle.result()) as ComuneState;
        expect(final.stage).toBe('completed');
        expect(final.delegation.requestCount).toBe(2);
        expect(final.timeline.filter((t) => t.step === 'Modulo firmato registrato')).toHaveLength(2);
        // A verified key proves the onboarding active: recorded by the staff member who recorded the key.
        expect(final.ioAccess?.onboardingRecordedBy).toBe(staff);
        expect(ofKind(mocks, 'staff_alert')).toHaveLength(1);
        expect(final.servicesActive).toBe(input.services.length);
        const ids = notifyIds(mocks);
        expect(new Set(ids).size).toBe(ids.length);
      },
    );
  });

  it('manual check: staff record an expired onboarding (back to the delegation), then an active one and the key', async () => {
    await withComune(
      env,
      { ipaCode: 'c_k003', fixture: { settings: { adhesionCheck: 'manual' } } },
      async ({ handle, mocks }) => {
        await handle.executeUpdate(recordAdhesionUpdate, { args: [{ actor: staff, adherent: false }] });
        const first = await delegationAndSignedForm(handle);
        expect(first.ioAccess).toMatchObject({ check: 'manual', pausedServices: [] });
        expect(stageTasks(first)).toEqual([
          expect.objectContaining({ kind: 'stage', status: 'io_access', party: 'staff' }),
        ]);

        await handle.executeUpdate(recordOnboardingUpdate, {
          args: [{ actor: staff, outcome: 'expired', note: 'richiesta scaduta su Selfcare' }],
        });
        const back = await waitForState(
          handle,
          'delegation requested again',
          (s) => s.stage === 'delegation_requested' && s.delegation.requestCount === 2,
        );
        expect(
          back.timeline.find((t) => t.step === 'Adesione ad App IO su Selfcare scaduta o annullata'),
        ).toMatchObject({ actor: staff, detail: 'richiesta scaduta su Selfcare' });
        const [alert] = await waitForNotifications(mocks, 'staff_alert', 1);
        expect((alert!.data as { alert: string }).alert).toContain('scaduta');
        await waitForNotifications(mocks, 'delegation_instructions_a', 2);

        await delegationAndSignedForm(handle);
        const active = await handle.executeUpdate(recordOnboardingUpdate, {
          args: [{ actor: staff, outcome: 'active' }],
        });
        expect(active.ioAccess?.onboardingActiveAt).toBeDefined();
        expect(active.ioAccess?.onboardingRecordedBy).toBe(staff);
        // Recorded active once: a second outcome is refused with the model's sentence.
        const twice = await refusal(() =>
          handle.executeUpdate(recordOnboardingUpdate, { args: [{ actor: staff, outcome: 'rejected' }] }),
        );
        expect(twice).toBe(comuneStepRefusal(comuneSteps.recordOnboarding, active));
        expect((await stateOf(handle)).stage).toBe('io_access');

        const services = await recordManageKey(handle);
        expect(services.stage).toBe('services');
        // Each run ends closed: a journey left open would hold back the clock of the later tests' sleeps.
        const final = (await handle.result()) as ComuneState;
        expect(final.stage).toBe('completed');
        // The manual check never asks Selfcare.
        expect(mocks.calls).not.toContain('awaitIoOnboarding');
        expect(ofKind(mocks, 'staff_alert')).toHaveLength(1);
      },
    );
  });

  it('an automatic check that cannot run (no Selfcare key) falls back to staff with an alert', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_k004',
        behaviour: { adherent: false },
        fixture: { settings: { adhesionCheck: 'automatic' } },
      },
      async ({ handle, mocks }) => {
        await delegationAndSignedForm(handle);
        const fallback = await waitForState(handle, 'manual fallback', (s) => s.ioAccess?.check === 'manual');
        expect(fallback.stage).toBe('io_access');
        expect(fallback.ioAccess?.checkFallback).toContain('nessuna chiave Selfcare configurata');
        expect(mocks.calls).toContain('awaitIoOnboarding');
        const [alert] = await waitForNotifications(mocks, 'staff_alert', 1);
        expect(alert!.audience).toEqual({ staff: true });
        expect((alert!.data as { alert: string }).alert).toContain(
          'Verifica automatica dell’adesione attiva',
        );
        expect(JSON.stringify(alert!.data)).toContain('nessuna chiave Selfcare configurata');
        expect(stageTasks(fallback)).toEqual([
          expect.objectContaining({ kind: 'stage', status: 'io_access', party: 'staff' }),
        ]);

        await handle.executeUpdate(recordOnboardingUpdate, { args: [{ actor: staff, outcome: 'active' }] });
        await recordManageKey(handle);
        expect(((await handle.result()) as ComuneState).stage).toBe('completed');
        expect(mocks.calls.filter((c) => c === 'awaitIoOnboarding')).toHaveLength(1);
      },
    );
  });

  it('refuses the key before «Accesso a IO» with the model’s sentence, and a malformed reference', async () => {
    await withComune(
      env,
      { ipaCode: 'c_k005', fixture: { settings: { adhesionCheck: 'manual' } } },
      async ({ handle, input }) => {
        const ipa = input.comune.ipaCode;
        await handle.executeUpdate(recordAdhesionUpdate, { args: [{ actor: staff, adherent: false }] });
        await waitForStage(handle, 'delegation_requested');
        await handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: staff }] });
        const awaiting = await waitForStage(handle, 'awaiting_signed_form');

        const early = await refusal(() =>
          handle.executeUpdate(recordManageKeyUpdate, { args: [manageKeyReference(ipa)] }),
        );
        const expected = comuneStepRefusal(comuneSteps.recordManageKey, awaiting);
        expect(expected).toBeDefined();
        expect(early).toBe(expected);
        expect(early).toContain('«In attesa del modulo firmato»');
        expect(early).toContain('Accesso a IO');
        const onboardingEarly = await refusal(() =>
          handle.executeUpdate(recordOnboardingUpdate, { args: [{ actor: staff, outcome: 'active' }] }),
        );
        expect(onboardingEarly).toBe(comuneStepRefusal(comuneSteps.recordOnboarding, awaiting));

        await handle.executeUpdate(recordSignedFormUpdate, { args: [signedForm()] });
        await waitForStage(handle, 'io_access');
        const malformed = await refusal(() =>
          handle.executeUpdate(recordManageKeyUpdate, {
            args: [{ ...manageKeyReference(ipa), fingerprint: 'not-hex' }],
          }),
        );
        expect(malformed).toContain('Chiave non valida');
        const state = await stateOf(handle);
        expect(state.ioAccess?.manageKey).toBeUndefined();
        expect(state.timeline.some((t) => t.step.startsWith('Chiave di gestione'))).toBe(false);
      },
    );
  });
});

// Its own time-skipping server: these tests move the clock, which a journey of the suite above closed while an
// activity was in flight could otherwise hold back on the Java test server.
describe('Comune journey: a manage key PagoPA refuses mid-journey', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('a key PagoPA refuses mid-journey pauses every service, one staff task, until a new key resumes them', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_k006',
        behaviour: { adherent: false, onboarding: 'active' },
        fixture: { settings: { adhesionCheck: 'automatic' } },
      },
      async ({ handle, mocks, input }) => {
        const ipa = input.comune.ipaCode;
        await delegationAndSignedForm(handle);
        // PagoPA refuses the key about to be recorded (regenerated in the back office meanwhile).
        const refusedRef = manageKeyReference(ipa, '0123456789ab').ref;
        mocks.key.refusedRef = refusedRef;
        await recordManageKey(handle, '0123456789ab');

        // The services started meanwhile pause on the key; no other service starts while it is refused.
        const paused = await waitForState(handle, 'the started services paused', (s) => {
          const waiting = s.services.filter((x) => x.status === 'awaiting_key').map((x) => x.slug);
          return (
            s.ioAccess?.keyRefused !== undefined &&
            waiting.length > 0 &&
            s.services.every((x) => x.status === 'awaiting_key' || x.status === 'pending') &&
            [...s.ioAccess.pausedServices].sort().join() === waiting.sort().join()
          );
        });
        const pausedSlugs = paused.ioAccess!.pausedServices;
        const pendingSlugs = paused.services.filter((x) => x.status === 'pending').map((x) => x.slug);
        for (const slug of pausedSlugs) await waitForService(env, ipa, slug, 'awaiting_key');
        await env.sleep(HOUR_MS);
        const still = await stateOf(handle);
        expect(still.services.filter((x) => x.status === 'pending').map((x) => x.slug)).toEqual(pendingSlugs);
        for (const slug of pendingSlugs) {
          const name = input.services.find((x) => x.slug === slug)!.card.service_name;
          expect(mocks.calls.some((c) => c.endsWith(`ensureService:${name}`))).toBe(false);
        }
        expect(paused.stage).toBe('services');
        expect(paused.ioAccess?.keyRefused).toMatchObject({ ref: refusedRef });
        expect(paused.ioAccess?.keyRefused?.cause).toContain('401');
        expect(
          paused.timeline.filter(
            (t) => t.step === 'Chiave di gestione rifiutata da PagoPA: servizi in pausa',
          ),
        ).toHaveLength(1);
        const child = await serviceStateOf(env, ipa, pausedSlugs[0]!);
        expect(child.timeline.some((t) => t.step === 'In pausa: creazione su IO')).toBe(true);
        expect(child.issues).toEqual([]);

        // One staff alert and one task for the Comune, whatever the number of paused services.
        await waitForNotifications(mocks, 'staff_alert', 1);
        const alerts = keyAlerts(mocks);
        expect(alerts).toHaveLength(1);
        expect((alerts[0]!.data as { alert: string }).alert).toBe(`${KEY_ALERT}: ${input.comune.name}`);
        const model = journeyReadModel(paused);
        expect(model.tasks.filter((t) => t.kind === 'manage_key')).toEqual([
          expect.objectContaining({
            party: 'staff',
            status: 'services',
            since: paused.ioAccess!.keyRefused!.at,
          }),
        ]);
        // Paused services wait on the key, not on their own tasks.
        expect(model.tasks.filter((t) => t.kind === 'service')).toEqual([]);
        expect(model.serviceStatusCounts).toEqual({
          awaiting_key: pausedSlugs.length,
          ...(pendingSlugs.length > 0 ? { pending: pendingSlugs.length } : {}),
        });
        const memo = await waitFor('memo with the manage_key task', async () => {
          const published = await memoOf(handle);
          return published?.tasks.some((t) => t.kind === 'manage_key') ? published : undefined;
        });
        expect(memo.tasks.filter((t) => t.kind === 'manage_key')).toHaveLength(1);
        expect(mocks.services.size).toBe(0);

        // Staff read the current key and record it: every paused service resumes and the journey completes.
        mocks.key.refusedRef = undefined;
        const renewed = await handle.executeUpdate(recordManageKeyUpdate, {
          args: [manageKeyReference(ipa, 'fedcba987654')],
        });
        expect(renewed.ioAccess?.keyRefused).toBeUndefined();
        expect(renewed.ioAccess?.pausedServices).toEqual([]);
        expect(renewed.ioAccess?.manageKey?.fingerprint).toBe('fedcba987654');
        expect(journeyReadModel(renewed).tasks.some((t) => t.kind === 'manage_key')).toBe(false);

        const final = (await handle.result()) as ComuneState;
        expect(final.stage).toBe('completed');
        expect(final.servicesActive).toBe(input.services.length);
        // Each service created once on IO, however many times its creation was tried.
        expect(createdNames(mocks)).toEqual(input.services.map((s) => s.card.service_name).sort());
        for (const { slug, card } of input.services) {
          expect(mocks.calls.filter((c) => c === `ensureService:${card.service_name}`)).toHaveLength(1);
          expect(
            mocks.calls.filter((c) => c === `keyRefused:ensureService:${card.service_name}`),
          ).toHaveLength(pausedSlugs.includes(slug) ? 1 : 0);
        }
        expect(keyAlerts(mocks)).toHaveLength(1);
        expect(final.timeline.map((t) => t.step)).toContain('Chiave di gestione sostituita');
        const ids = notifyIds(mocks);
        expect(new Set(ids).size).toBe(ids.length);
      },
    );
  });

  it('a key refused while the services are in review pauses them, and a new key takes them back to review and approval', async () => {
    const behaviour: MockBehaviour = { adherent: false, onboarding: 'active', reviewPending: true };
    await withComune(
      env,
      { ipaCode: 'c_k007', behaviour, fixture: { settings: { adhesionCheck: 'automatic' } } },
      async ({ handle, mocks, input }) => {
        const ipa = input.comune.ipaCode;
        await delegationAndSignedForm(handle);
        await recordManageKey(handle, '0123456789ab');
        for (const { slug } of input.services) {
          const inReview = await waitForService(env, ipa, slug, 'in_review');
          expect(inReview.rounds).toHaveLength(1);
        }

        mocks.key.refusedRef = manageKeyReference(ipa, '0123456789ab').ref;
        await env.sleep(2 * HOUR_MS); // the next review poll
        for (const { slug } of input.services) {
          const waiting = await waitForService(env, ipa, slug, 'awaiting_key');
          expect(waiting.timeline.some((t) => t.step === 'In pausa: verifica della revisione')).toBe(true);
        }
        const paused = await waitForState(
          handle,
          'every service paused',
          (s) => s.ioAccess?.pausedServices.length === input.services.length,
        );
        expect(paused.ioAccess?.keyRefused).toBeDefined();
        await waitForNotifications(mocks, 'staff_alert', 1);
        expect(keyAlerts(mocks)).toHaveLength(1);

        mocks.key.refusedRef = undefined;
        behaviour.reviewPending = false;
        await handle.executeUpdate(recordManageKeyUpdate, {
          args: [manageKeyReference(ipa, 'fedcba987654')],
        });
        const final = (await handle.result()) as ComuneState;
        expect(final.stage).toBe('completed');
        for (const { slug } of input.services) {
          const service = await serviceStateOf(env, ipa, slug);
          expect(service.status).toBe('active');
          // Still the first review round: the pause did not submit the service again.
          expect(service.rounds).toHaveLength(1);
          expect(service.rounds[0]!.outcome).toBe('approved');
          expect(await statusesReportedToComune(env, ipa, slug)).toEqual([
            'in_review',
            'awaiting_key',
            'in_review',
            'active',
          ]);
        }
        expect(mocks.calls.filter((c) => c.startsWith('submitForReview:'))).toHaveLength(
          input.services.length,
        );
        expect(keyAlerts(mocks)).toHaveLength(1);
      },
    );
  });
});
