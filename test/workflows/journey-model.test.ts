import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ComuneState } from '../../contracts/comune';
import type { ServiceState } from '../../contracts/service';
import {
  comuneStepRefusal,
  comuneSteps,
  isClosedStage,
  serviceStepRefusal,
  serviceSteps,
  stages,
  type ComuneStepId,
  type ServiceStepId,
  type Stage,
} from '../../domain/journey-model';
import { createTimeSkippingEnv } from '../support/temporal-env';
import {
  DAY_MS,
  manageKeyReference,
  serviceHandle,
  serviceStateOf,
  signedForm,
  stateOf,
  waitForService,
  waitForStage,
  waitForState,
  withComune,
  type Harness,
} from './helpers';

/**
 * The journey model (domain/journey-model.ts) and the workflows' Update validators agree: in every stage a journey
 * can be in, every staff and manager step is accepted exactly when the model allows it, and refused with the
 * model's own sentence otherwise. Likewise for the service steps in every status a person can act on.
 */

const staff = 'Giulia Verdi (staff)';
const manager = 'Paolo Neri (manager)';

function comuneArgs(id: ComuneStepId, state: ComuneState): unknown {
  switch (id) {
    case 'recordAdhesion':
      return { actor: staff, adherent: false };
    case 'recordSignedForm':
      return signedForm();
    case 'moveDeadline':
      return {
        actor: manager,
        deadline: new Date(Date.parse(state.deadline) + 10 * DAY_MS).toISOString(),
        reason: 'proroga concordata',
      };
    case 'withdraw':
      return { actor: manager, reason: 'il Comune rinuncia' };
    case 'stopWatch':
      return { actor: manager, reason: 'controllo non più necessario' };
    case 'remindNow':
      return { actor: manager };
    case 'recordOnboarding':
      return { actor: staff, outcome: 'active' };
    case 'recordManageKey':
      return manageKeyReference(state.ipaCode);
    case 'undoStep':
      // The one step the walk always has to undo once it is recorded (the others depend on the stage).
      return { actor: manager, step: 'recordTrackingForm', reason: 'registrato sul Comune sbagliato' };
    default:
      return { actor: staff };
  }
}

/** Sends an update; resolves to the validator's refusal, or undefined when it was accepted. */
async function attempt(handle: WorkflowHandle, name: string, arg: unknown): Promise<string | undefined> {
  try {
    await handle.executeUpdate(name, { args: [arg] });
    return undefined;
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    const cause = err.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('StepRefused');
    return cause!.message;
  }
}

/** Every refused Comune step is refused by the workflow with the model's sentence; returns the allowed ones. */
async function checkRefusals(h: Harness): Promise<{ state: ComuneState; allowed: ComuneStepId[] }> {
  const state = await stateOf(h.handle);
  const allowed: ComuneStepId[] = [];
  for (const [id, step] of Object.entries(comuneSteps) as [
    ComuneStepId,
    (typeof comuneSteps)[ComuneStepId],
  ][]) {
    const expected = comuneStepRefusal(step, state);
    if (expected === undefined) {
      allowed.push(id);
      continue;
    }
    expect(`${state.stage} ${id}: ${await attempt(h.handle, id, comuneArgs(id, state))}`).toBe(
      `${state.stage} ${id}: ${expected}`,
    );
  }
  return { state, allowed };
}

/** Takes `step`, which the model must allow, and checks the workflow accepts it. */
async function take(
  h: Harness,
  id: ComuneStepId,
  allowed: ComuneStepId[],
  state: ComuneState,
): Promise<void> {
  expect(allowed).toContain(id);
  expect(`${state.stage} ${id}: ${await attempt(h.handle, id, comuneArgs(id, state))}`).toBe(
    `${state.stage} ${id}: undefined`,
  );
}

/** Every open stage, where a manager may withdraw the Comune. */
const withdrawnIn = [
  'adhesion_check',
  'delegation_requested',
  'awaiting_signed_form',
  'io_access',
  'services',
] as const;

describe('The journey model and the workflows’ validators agree on every stage × step', () => {
  let env: TestWorkflowEnvironment;
  const seen = new Map<Stage, Set<ComuneStepId>>();
  const note = (stage: Stage, allowed: ComuneStepId[]) =>
    allowed.forEach((id) => (seen.get(stage) ?? seen.set(stage, new Set()).get(stage)!).add(id));

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('walks one journey through every open stage, taking each allowed step and trying every other', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_m001',
        behaviour: { reviewPending: true },
        fixture: { settings: { adhesionCheck: 'manual' } },
      },
      async (h) => {
        // Each stage: the steps that leave the stage as it is first, then the one that moves it on.
        const plan: [Stage, ComuneStepId[]][] = [
          ['adhesion_check', ['moveDeadline', 'recordAdhesion']],
          ['delegation_requested', ['remindNow', 'recordTrackingForm', 'recordDelegationDone']],
          ['awaiting_signed_form', ['remindNow', 'moveDeadline', 'recordSignedForm']],
          // Staff record the onboarding active (the check is manual here), then the key moves it on.
          ['io_access', ['moveDeadline', 'recordOnboarding', 'recordManageKey']],
          // A key recorded again at the services stage (a replacement) is accepted and leaves the stage as it is.
          ['services', ['moveDeadline', 'recordManageKey']],
        ];
        for (const [stage, steps] of plan) {
          await waitForStage(h.handle, stage);
          for (const id of steps) {
            const { state, allowed } = await checkRefusals(h);
            expect(state.stage).toBe(stage);
            note(stage, allowed);
            await take(h, id, allowed, state);
          }
          const after = await checkRefusals(h);
          note(after.state.stage, after.allowed);
        }
        // At «Accesso a IO» the onboarding, once recorded active, is refused again by its guard.
        const onboarded = await stateOf(h.handle);
        expect(onboarded.ioAccess?.onboardingActiveAt).toBeDefined();
        expect(onboarded.ioAccess?.manageKey?.ref).toBe(manageKeyReference(h.input.comune.ipaCode).ref);
        // At the services stage, the tracking form was recorded before: the manager's decisions (among them undoing
        // that form) and a new key remain.
        expect([...seen.get('services')!].sort()).toEqual([
          'moveDeadline',
          'recordManageKey',
          'undoStep',
          'withdraw',
        ]);
      },
    );
  });

  it.each(withdrawnIn)('withdraws in %s, after which the closed journey takes no step', async (stage) => {
    await withComune(
      env,
      {
        ipaCode: `c_w${stages.indexOf(stage)}`,
        // Reviews recorded by staff: at the services stage every service waits in review, with no polling.
        fixture: { settings: { adhesionCheck: 'manual', reviewTracking: 'manual' } },
      },
      async (h) => {
        const advance: Partial<Record<Stage, ComuneStepId>> = {
          adhesion_check: 'recordAdhesion',
          delegation_requested: 'recordDelegationDone',
          awaiting_signed_form: 'recordSignedForm',
          io_access: 'recordManageKey',
        };
        for (const s of stages.slice(0, stages.indexOf(stage))) {
          await waitForStage(h.handle, s);
          await h.handle.executeUpdate(advance[s]!, {
            args: [comuneArgs(advance[s]!, await stateOf(h.handle))],
          });
        }
        await waitForStage(h.handle, stage);
        if (stage === 'services') {
          // Withdrawn once every service waits in review: a child still starting would add the
          // cancellation-before-first-task race to what this test is about.
          await waitForState(h.handle, 'every service in review', (s) =>
            s.services.every((x) => x.status === 'in_review'),
          );
        }
        const { state, allowed } = await checkRefusals(h);
        note(stage, allowed);
        await take(h, 'withdraw', allowed, state);
        await expect(h.handle.result()).rejects.toThrow();
        const closed = await stateOf(h.handle);
        expect(closed.stage).toBe('withdrawn');
        for (const step of Object.values(comuneSteps)) expect(comuneStepRefusal(step, closed)).toBeDefined();
        // The workflow is closed: any step is refused (by Temporal now, not by a validator).
        await expect(
          h.handle.executeUpdate('recordTrackingForm', { args: [{ actor: staff }] }),
        ).rejects.toThrow();
      },
    );
  });

  it('agrees on the service steps in every status a person acts on', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_m003',
        behaviour: { reviewPending: true },
        fixture: { settings: { adhesionCheck: 'manual', reviewTracking: 'manual' } },
        adjust: (input) => {
          input.services[4]!.card.service_name = 'SERVIZI SCOLASTICI';
        },
      },
      async (h) => {
        const ipa = h.input.comune.ipaCode;
        await h.handle.executeUpdate('recordAdhesion', { args: [{ actor: staff, adherent: true }] });
        await waitForStage(h.handle, 'delegation_requested');
        await h.handle.executeUpdate('recordDelegationDone', { args: [{ actor: staff }] });
        await waitForStage(h.handle, 'awaiting_signed_form');
        await h.handle.executeUpdate('recordSignedForm', { args: [signedForm()] });
        await waitForStage(h.handle, 'io_access');
        await h.handle.executeUpdate('recordManageKey', { args: [manageKeyReference(ipa)] });
        await waitForStage(h.handle, 'services');
        const [first, second, , , broken] = h.input.services.map((s) => s.slug) as string[] as [
          string,
          string,
          string,
          string,
          string,
        ];
        const argsFor = (id: ServiceStepId, service: ServiceState, outcome: 'approved' | 'rejected') =>
          id === 'correctCard'
            ? { actor: staff, card: { ...service.card, service_name: 'Servizi scolastici' } }
            : id === 'undoReviewOutcome'
              ? { actor: 'Paolo Neri (manager)', reason: 'esito registrato sul servizio sbagliato' }
              : {
                  actor: staff,
                  outcome,
                  ...(outcome === 'rejected' ? { reason: 'manca l’informativa' } : {}),
                };
        const seenStatuses = new Set<string>();

        /** Checks every service step against the model on `slug`, then takes `take` (which must be allowed). */
        const check = async (
          slug: string,
          takeId?: ServiceStepId,
          outcome: 'approved' | 'rejected' = 'approved',
        ) => {
          const service = await serviceStateOf(env, ipa, slug);
          seenStatuses.add(service.status);
          const handle = serviceHandle(env, ipa, slug);
          for (const [id, step] of Object.entries(serviceSteps) as [
            ServiceStepId,
            (typeof serviceSteps)[ServiceStepId],
          ][]) {
            const expected = serviceStepRefusal(step, service);
            if (expected === undefined) continue;
            expect(takeId).not.toBe(id);
            if ((await handle.describe()).status.name !== 'RUNNING') {
              // A service whose workflow has ended (active) is refused by Temporal itself, as the model says.
              await expect(
                handle.executeUpdate(id, { args: [argsFor(id, service, outcome)] }),
              ).rejects.toThrow();
              continue;
            }
            expect(
              `${service.status} ${id}: ${await attempt(handle, id, argsFor(id, service, outcome))}`,
            ).toBe(`${service.status} ${id}: ${expected}`);
          }
          // The refusals changed nothing; now the step the model allows is accepted.
          if (takeId) {
            expect(serviceStepRefusal(serviceSteps[takeId], service)).toBeUndefined();
            expect(await attempt(handle, takeId, argsFor(takeId, service, outcome))).toBeUndefined();
          }
        };

        await waitForService(env, ipa, broken, 'needs_correction');
        await check(broken, 'correctCard');
        await waitForService(env, ipa, first, 'in_review');
        await check(first, 'recordReviewOutcome', 'rejected');
        await waitForService(env, ipa, first, 'rejected');
        // A rejection recorded by hand is undone by a manager: back in review in the same round, then rejected again.
        await check(first, 'undoReviewOutcome');
        await waitForService(
          env,
          ipa,
          first,
          'in_review',
          (s) => s.rounds.length === 1 && !s.rounds[0]!.outcome,
        );
        await check(first, 'recordReviewOutcome', 'rejected');
        await waitForService(env, ipa, first, 'rejected');
        await check(first);
        await waitForService(env, ipa, second, 'in_review');
        await check(second, 'recordReviewOutcome', 'approved');
        await waitForService(env, ipa, second, 'active');
        await check(second);
        expect([...seenStatuses].sort()).toEqual(['active', 'in_review', 'needs_correction', 'rejected']);
      },
    );
  });

  it('has seen every step allowed in some open stage, as the model declares it', () => {
    for (const [id, step] of Object.entries(comuneSteps) as [
      ComuneStepId,
      (typeof comuneSteps)[ComuneStepId],
    ][]) {
      const stagesSeen = [...seen.entries()].filter(([, ids]) => ids.has(id)).map(([s]) => s);
      // Steps of a completed journey (stopping the watch of its published services) are walked in watch.test.ts.
      const open = [...step.allowedIn].filter((s) => !isClosedStage(s));
      expect(`${id}: ${[...new Set(stagesSeen)].sort().join(', ')}`).toBe(`${id}: ${open.sort().join(', ')}`);
    }
  });
});

// Its own time-skipping server: it moves the clock by days, which a cancelled journey of the suite above (its
// withdrawals) could otherwise hold back on the Java test server.
describe('The journey model after the Selfcare link expired', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('asks for the delegation again after the Selfcare link expired, and the model follows', async () => {
    await withComune(
      env,
      {
        ipaCode: 'c_m002',
        fixture: { settings: { adhesionCheck: 'manual', signedFormLinkValidityDays: 3 } },
      },
      async (h) => {
        await h.handle.executeUpdate('recordAdhesion', { args: [{ actor: staff, adherent: true }] });
        await waitForStage(h.handle, 'delegation_requested');
        await h.handle.executeUpdate('recordDelegationDone', { args: [{ actor: staff }] });
        await waitForStage(h.handle, 'awaiting_signed_form');
        await env.sleep(4 * DAY_MS);
        const again = await waitForStage(h.handle, 'delegation_requested');
        expect(again.signedForm.expiredCount).toBe(1);
        const { state, allowed } = await checkRefusals(h);
        expect(allowed).toContain('recordDelegationDone');
        expect(allowed).toContain('remindNow');
        await take(h, 'remindNow', allowed, state);
        await take(h, 'recordDelegationDone', allowed, state);
        await waitForStage(h.handle, 'awaiting_signed_form');
      },
    );
  });
});
