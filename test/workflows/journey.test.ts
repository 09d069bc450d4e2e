import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  recordAdhesionUpdate,
  recordDelegationDoneUpdate,
  recordSignedFormUpdate,
  type ComuneState,
} from '../../contracts/comune';
import { createTimeSkippingEnv } from '../support/temporal-env';
import {
  TRENTO_EUR_PER_SERVICE,
  ofKind,
  recordManageKey,
  signedForm,
  stateOf,
  waitForNotifications,
  waitForStage,
  waitForState,
  withComune,
} from './helpers';

describe('Comune journey: adhesion scenarios and the happy path', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('scenario A: automatic check, delegation, signed form, every service approved → completed', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_a001',
        behaviour: { adherent: false, onboarding: 'active' },
        fixture: { settings: { adhesionCheck: 'automatic' } },
      },
      async ({ handle, mocks, input }) => {
        const requested = await waitForStage(handle, 'delegation_requested');
        expect(requested.scenario).toBe('A');
        expect(requested.adhesionCheck).toBe('automatic');
        expect(mocks.calls).toContain('checkAdhesion');

        const [instructions] = await waitForNotifications(mocks, 'delegation_instructions_a', 1);
        expect(instructions!.audience.to).toEqual([input.contacts.secretary.email]);
        expect(instructions!.audience.cc).toEqual(
          expect.arrayContaining([input.contacts.mayor.email, input.comune.pec]),
        );
        expect(ofKind(mocks, 'delegation_instructions_b')).toHaveLength(0);

        const afterDelegation = await handle.executeUpdate(recordDelegationDoneUpdate, {
          args: [{ actor: 'Giulia Verdi (staff)', note: 'Delegato aggiunto su Selfcare' }],
        });
        expect(afterDelegation.delegation.completedAt).toBeDefined();
        await waitForStage(handle, 'awaiting_signed_form');
        const afterForm = await handle.executeUpdate(recordSignedFormUpdate, { args: [signedForm()] });
        expect(afterForm.signedForm.record?.recordedBy).toBe('Giulia Verdi (staff)');

        // «Accesso a IO»: Selfcare shows the onboarding active, then staff record the Comune's manage key.
        const onboarded = await waitForState(
          handle,
          'onboarding active',
          (s) => s.ioAccess?.onboardingActiveAt !== undefined,
        );
        expect(onboarded.stage).toBe('io_access');
        expect(onboarded.ioAccess?.check).toBe('automatic');
        expect(mocks.calls).toContain('awaitIoOnboarding');
        const withKey = await recordManageKey(handle);
        expect(withKey.ioAccess?.manageKey).toMatchObject({
          ref: `mk_${input.comune.ipaCode}_a1b2c3d4e5f6`,
          recordedBy: 'Giulia Verdi (staff)',
        });

        const result = (await handle.result()) as ComuneState;
        const final = await stateOf(handle);
        expect(result).toEqual(final);

        expect(final.stage).toBe('completed');
        expect(final.completedAt).toBeDefined();
        expect(final.servicesTotal).toBe(input.services.length);
        expect(final.servicesActive).toBe(final.servicesTotal);
        expect(final.services.every((s) => s.status === 'active' && s.ioServiceId)).toBe(true);
        expect(final.funding.securedEur).toBe(final.servicesTotal * TRENTO_EUR_PER_SERVICE);
        expect(final.funding.atRiskEur).toBe(0);
        expect(final.funding.lostEur).toBe(0);
        expect(final.late).toBe(false);
        expect(final.timeline.length).toBeGreaterThan(5);
        for (const entry of final.timeline) expect(entry.actor.trim()).not.toBe('');
        const steps = final.timeline.map((t) => t.step);
        expect(steps).toEqual(
          expect.arrayContaining([
            'Percorso avviato',
            'Adesione verificata su Selfcare: scenario A',
            'Delega completata su Selfcare',
            'Modulo firmato registrato',
            'Adesione ad App IO su Selfcare attiva',
            'Chiave di gestione registrata',
            'Fase: completed',
          ]),
        );
        const staffSteps = final.timeline.filter((t) => t.actor === 'Giulia Verdi (staff)');
        expect(staffSteps.map((t) => t.step)).toEqual([
          'Delega completata su Selfcare',
          'Modulo firmato registrato',
          'Chiave di gestione registrata',
        ]);

        // The Comune hears it is done, once, with every service (patched in 0.2.0: journey-completed-notice).
        const completed = ofKind(mocks, 'journey_completed');
        expect(completed).toHaveLength(1);
        expect(completed[0]!.audience).toEqual(
          expect.objectContaining({ to: [input.contacts.secretary.email], staff: true }),
        );
        expect(completed[0]!.data).toEqual(
          expect.objectContaining({
            completedAt: final.completedAt,
            services: final.services.map((s) => s.name),
            deadline: final.deadline,
          }),
        );
      },
    );
  });

  it('scenario B: staff record an adherent Comune, which gets the "add an administrator" instructions', async () => {
    await withComune(
      env,
      { ipaCode: 'c_b001', fixture: { settings: { adhesionCheck: 'manual' } } },
      async ({ handle, mocks, input }) => {
        const waiting = await stateOf(handle);
        expect(waiting.stage).toBe('adhesion_check');
        expect(waiting.scenario).toBeUndefined();

        const recorded = await handle.executeUpdate(recordAdhesionUpdate, {
          args: [{ actor: 'Giulia Verdi (staff)', adherent: true, note: 'verificato su Selfcare' }],
        });
        expect(recorded.scenario).toBe('B');

        const requested = await waitForStage(handle, 'delegation_requested');
        expect(requested.scenario).toBe('B');
        const [instructions] = await waitForNotifications(mocks, 'delegation_instructions_b', 1);
        expect(instructions!.audience.to).toEqual([input.contacts.secretary.email]);
        expect(ofKind(mocks, 'delegation_instructions_a')).toHaveLength(0);
        // The manual check never asks Selfcare.
        expect(mocks.calls).not.toContain('checkAdhesion');
        const entry = requested.timeline.find((t) => t.step === 'Adesione registrata: scenario B');
        expect(entry).toMatchObject({ actor: 'Giulia Verdi (staff)', detail: 'verificato su Selfcare' });
      },
    );
  });

  it('an automatic check that fails (no Selfcare key) falls back to staff with an alert', async () => {
    await withComune(
      env,
      { ipaCode: 'c_b002', fixture: { settings: { adhesionCheck: 'automatic' } } },
      async ({ handle, mocks }) => {
        const fallback = await waitForState(handle, 'manual fallback', (s) => s.adhesionCheck === 'manual');
        expect(fallback.stage).toBe('adhesion_check');
        expect(fallback.adhesionCheckFallback).toContain('nessuna chiave Selfcare configurata');
        expect(mocks.calls).toContain('checkAdhesion');

        const [alert] = await waitForNotifications(mocks, 'staff_alert', 1);
        expect(alert!.audience).toEqual({ staff: true });
        expect(JSON.stringify(alert!.data)).toContain('nessuna chiave Selfcare configurata');

        await handle.executeUpdate(recordAdhesionUpdate, {
          args: [{ actor: 'Giulia Verdi (staff)', adherent: false }],
        });
        const requested = await waitForStage(handle, 'delegation_requested');
        expect(requested.scenario).toBe('A');
        await waitForNotifications(mocks, 'delegation_instructions_a', 1);
      },
    );
  });
});
