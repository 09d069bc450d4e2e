import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  recordDelegationDoneUpdate,
  recordOnboardingUpdate,
  recordSignedFormUpdate,
  recordTrackingFormUpdate,
  undoStepUpdate,
} from '../../contracts/comune';
import { undoRefusal } from '../../domain/journey-model';
import { createTimeSkippingEnv } from '../support/temporal-env';
import {
  ofKind,
  recordManageKey,
  signedForm,
  stateOf,
  waitForNotifications,
  waitForStage,
  withComune,
  refusalOf,
} from './helpers';

/**
 * #12 item 12: a manager undoes a step recorded by mistake, with a reason, while nothing has been built on it yet.
 * The step stays in the timeline; the undo is added with its author and reason; nothing is sent again.
 */

const staff = 'Giulia Verdi (staff)';
const manager = 'Paolo Neri (manager)';

describe('a manager undoes a step recorded by mistake', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('undoes the delegation before the signed form: back to the same request, no new instructions', async () => {
    await withComune(
      env,
      { ipaCode: 'c_u001', fixture: { settings: { adhesionCheck: 'manual' } } },
      async ({ handle, mocks }) => {
        await handle.executeUpdate('recordAdhesion', { args: [{ actor: staff, adherent: true }] });
        await waitForStage(handle, 'delegation_requested');
        await waitForNotifications(mocks, 'delegation_instructions_b', 1);
        const before = await stateOf(handle);
        await handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: staff }] });
        await waitForStage(handle, 'awaiting_signed_form');

        // Staff may not undo: the step is a manager's (the API enforces roles; the model names the least role).
        const undone = await handle.executeUpdate(undoStepUpdate, {
          args: [
            {
              actor: manager,
              step: 'recordDelegationDone',
              reason: 'delega registrata sul Comune sbagliato',
            },
          ],
        });
        expect(undone.delegation.completedAt).toBeUndefined();
        const back = await waitForStage(handle, 'delegation_requested');
        expect(back.delegation.requestCount).toBe(before.delegation.requestCount);
        expect(back.delegation.requestedAt).toBe(before.delegation.requestedAt);
        const undoEntry = back.timeline.find((t) => t.step === 'Annullata la delega registrata');
        expect(undoEntry).toMatchObject({ actor: manager, detail: 'delega registrata sul Comune sbagliato' });
        expect(back.timeline.map((t) => t.step)).toContain('Delega completata su Selfcare');
        expect(ofKind(mocks, 'delegation_instructions_b')).toHaveLength(1);

        // Undone twice: refused with the model's sentence. Then the journey goes on as before.
        expect(
          await refusalOf(
            handle.executeUpdate(undoStepUpdate, {
              args: [{ actor: manager, step: 'recordDelegationDone', reason: 'di nuovo' }],
            }),
          ),
        ).toBe('Nessun passo registrato che si possa ancora annullare.');
        await handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: staff }] });
        await waitForStage(handle, 'awaiting_signed_form');
        await handle.executeUpdate(recordSignedFormUpdate, { args: [signedForm()] });
        await waitForStage(handle, 'io_access');
        // Once the signed form is built on it, the delegation can no longer be undone.
        const atAccess = await stateOf(handle);
        expect(
          await refusalOf(
            handle.executeUpdate(undoStepUpdate, {
              args: [{ actor: manager, step: 'recordDelegationDone', reason: 'troppo tardi' }],
            }),
          ),
        ).toBe(
          atAccess.trackingForm
            ? undoRefusal('recordDelegationDone', atAccess)
            : 'Nessun passo registrato che si possa ancora annullare.',
        );
        expect(ofKind(mocks, 'delegation_instructions_b')).toHaveLength(1);
      },
    );
  });

  it('undoes the onboarding recorded active before the key, and the tracking form', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_u002',
        fixture: { settings: { adhesionCheck: 'manual' } },
        // The services stay in review: the journey must not complete before the last refusal is asked for.
        behaviour: { reviewPending: true },
      },
      async ({ handle }) => {
        await handle.executeUpdate('recordAdhesion', { args: [{ actor: staff, adherent: false }] });
        await waitForStage(handle, 'delegation_requested');
        await handle.executeUpdate(recordTrackingFormUpdate, { args: [{ actor: staff }] });
        await handle.executeUpdate(recordDelegationDoneUpdate, { args: [{ actor: staff }] });
        await waitForStage(handle, 'awaiting_signed_form');
        await handle.executeUpdate(recordSignedFormUpdate, { args: [signedForm()] });
        await waitForStage(handle, 'io_access');
        await handle.executeUpdate(recordOnboardingUpdate, { args: [{ actor: staff, outcome: 'active' }] });

        const afterUndo = await handle.executeUpdate(undoStepUpdate, {
          args: [{ actor: manager, step: 'recordOnboarding', reason: 'Selfcare mostrava un altro ente' }],
        });
        expect(afterUndo.stage).toBe('io_access');
        expect(afterUndo.ioAccess?.onboardingActiveAt).toBeUndefined();
        // The onboarding can be recorded again.
        await handle.executeUpdate(recordOnboardingUpdate, { args: [{ actor: staff, outcome: 'active' }] });

        const noForm = await handle.executeUpdate(undoStepUpdate, {
          args: [{ actor: manager, step: 'recordTrackingForm', reason: 'modulo di un altro Comune' }],
        });
        expect(noForm.trackingForm).toBeUndefined();
        expect(noForm.missing).toContain('Modulo di tracciamento compilato dal Comune');

        // With the key recorded, the onboarding is built on: refused with the model's sentence.
        await recordManageKey(handle);
        const services = await stateOf(handle);
        expect(
          await refusalOf(
            handle.executeUpdate(undoStepUpdate, {
              args: [{ actor: manager, step: 'recordOnboarding', reason: 'troppo tardi' }],
            }),
          ),
        ).toBe('Nessun passo registrato che si possa ancora annullare.');
        expect(undoRefusal('recordOnboarding', services)).toBeDefined();
        expect((await stateOf(handle)).stage).toBe('services');
      },
    );
  });
});
