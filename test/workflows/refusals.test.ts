import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  moveDeadlineUpdate,
  recordAdhesionUpdate,
  recordDelegationDoneUpdate,
  recordManageKeyUpdate,
  recordSignedFormUpdate,
} from '../../contracts/comune';
import { correctCardUpdate } from '../../contracts/service';
import { createTimeSkippingEnv } from '../support/temporal-env';
import {
  manageKeyReference,
  serviceHandle,
  signedForm,
  stateOf,
  waitForService,
  waitForStage,
  withComune,
} from './helpers';

const UPDATE_ACCEPTED = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED;

/** Runs an update expected to be refused by its validator; returns the refusal's message. */
async function refused(run: () => Promise<unknown>): Promise<string> {
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

async function acceptedUpdateIds(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.eventType === UPDATE_ACCEPTED)
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId ?? '');
}

describe('Comune journey: steps out of order or malformed are refused before history', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('refuses wrong-stage, repeated, malformed and invalid steps, and none of them enters history', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_v001',
        behaviour: { reviewPending: true },
        fixture: { settings: { adhesionCheck: 'manual' } },
        adjust: (input) => {
          input.services.find((s) => s.slug === 'mensa')!.card.service_name = 'SERVIZI SCOLASTICI';
        },
      },
      async ({ handle, input }) => {
        const ipa = input.comune.ipaCode;
        const actor = 'Giulia Verdi (staff)';

        const early = await refused(() =>
          handle.executeUpdate(recordSignedFormUpdate, {
            args: [signedForm()],
            updateId: 'refused-signed-form',
          }),
        );
        expect(early).toContain('Registrare il modulo firmato');
        expect(early).toContain('non è possibile ora');
        expect(early).toContain('fase «Verifica adesione»');
        expect(early).toContain('In attesa del modulo firmato');
        expect((await stateOf(handle)).signedForm.record).toBeUndefined();

        await handle.executeUpdate(recordAdhesionUpdate, {
          args: [{ actor, adherent: false }],
          updateId: 'ok-adhesion',
        });
        await waitForStage(handle, 'delegation_requested');
        await handle.executeUpdate(recordDelegationDoneUpdate, {
          args: [{ actor }],
          updateId: 'ok-delegation',
        });
        const twice = await refused(() =>
          handle.executeUpdate(recordDelegationDoneUpdate, {
            args: [{ actor }],
            updateId: 'refused-delegation-twice',
          }),
        );
        expect(twice).toMatch(/delega è già registrata|non è possibile ora/);

        const badDate = await refused(() =>
          handle.executeUpdate(moveDeadlineUpdate, {
            args: [{ actor: 'Paolo Neri (manager)', deadline: '31/12/2026', reason: 'proroga' }],
            updateId: 'refused-bad-deadline',
          }),
        );
        expect(badDate).toContain('Scadenza non valida');
        expect(badDate).toContain('deadline');
        expect((await stateOf(handle)).deadline).toBe(input.deadline);

        await waitForStage(handle, 'awaiting_signed_form');
        await handle.executeUpdate(recordSignedFormUpdate, {
          args: [signedForm()],
          updateId: 'ok-signed-form',
        });
        await waitForStage(handle, 'io_access');
        // Never the key itself: a value that is not a key store reference is refused before history.
        const notARef = await refused(() =>
          handle.executeUpdate(recordManageKeyUpdate, {
            args: [{ ...manageKeyReference(ipa), ref: 'la-chiave-in-chiaro-0123456789' }],
            updateId: 'refused-key-not-a-reference',
          }),
        );
        expect(notARef).toContain('Chiave non valida');
        expect(notARef).toContain('riferimento alla chiave non valido');
        expect((await stateOf(handle)).ioAccess?.manageKey).toBeUndefined();
        await handle.executeUpdate(recordManageKeyUpdate, {
          args: [manageKeyReference(ipa)],
          updateId: 'ok-manage-key',
        });
        await waitForStage(handle, 'services');

        const tari = await waitForService(env, ipa, 'tari', 'in_review');
        const inReview = await refused(() =>
          serviceHandle(env, ipa, 'tari').executeUpdate(correctCardUpdate, {
            args: [{ actor, card: tari.card }],
            updateId: 'refused-card-in-review',
          }),
        );
        expect(inReview).toContain('«In revisione PagoPA»');

        const mensa = await waitForService(env, ipa, 'mensa', 'needs_correction');
        const stillInvalid = await refused(() =>
          serviceHandle(env, ipa, 'mensa').executeUpdate(correctCardUpdate, {
            args: [{ actor, card: { ...mensa.card, service_name: 'MENSA SCOLASTICA' } }],
            updateId: 'refused-card-still-invalid',
          }),
        );
        expect(stillInvalid).toContain('non rispetta ancora le regole PagoPA');
        expect(stillInvalid).toContain('service_name: non scrivere in maiuscolo');
        expect((await waitForService(env, ipa, 'mensa', 'needs_correction')).card.service_name).toBe(
          'SERVIZI SCOLASTICI',
        );

        // Accepted steps are in history (so the check below can see updates); refused ones left no trace.
        const comuneAccepted = await acceptedUpdateIds(handle);
        expect(comuneAccepted).toEqual(['ok-adhesion', 'ok-delegation', 'ok-signed-form', 'ok-manage-key']);
        expect(await acceptedUpdateIds(serviceHandle(env, ipa, 'tari'))).toEqual([]);
        expect(await acceptedUpdateIds(serviceHandle(env, ipa, 'mensa'))).toEqual([]);

        const state = await stateOf(handle);
        expect(state.timeline.filter((t) => t.step === 'Delega completata su Selfcare')).toHaveLength(1);
        expect(state.timeline.some((t) => t.step === 'Scadenza spostata')).toBe(false);
      },
    );
  });
});
