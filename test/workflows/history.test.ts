import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { type ComuneState } from '../../contracts/comune';
import { ComuneJourneyExistsError, startComuneJourney } from '../../contracts/comune-start';
import { correctCardUpdate } from '../../contracts/service';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import {
  TRENTO_EUR_PER_SERVICE,
  ofKind,
  recordDelegationAndSignedForm,
  serviceHandle,
  serviceStateOf,
  stateOf,
  withComune,
} from './helpers';

const { EventType } = temporal.api.enums.v1;
const REJECTED_ONCE = ['Mensa scolastica', 'Asilo nido'];

describe('Comune journey: bounded history and idempotent start', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('continues as new when its history grows, and still completes 11 services with its state intact', async () => {
    const behaviour = {
      adherent: false,
      review: (name: string, round: number) =>
        REJECTED_ONCE.includes(name) && round === 1
          ? { outcome: 'rejected' as const, reason: 'Descrizione da completare con le modalità di accesso' }
          : { outcome: 'approved' as const },
    };
    await withComune(
      env,
      {
        ipaCode: 'c_h001',
        behaviour,
        fixture: { services: 11, settings: { adhesionCheck: 'automatic', continueAsNewAfterEvents: 100 } },
      },
      async ({ handle, mocks, input }) => {
        const ipa = input.comune.ipaCode;
        await recordDelegationAndSignedForm(handle);

        // Staff correct each rejected card once; the services stage ends when all 11 are active. They correct them
        // only once the first run has continued as new: until then the journey cannot complete, so it must continue as
        // new once its services have all started. (Corrected earlier, the last services may all turn active in the
        // task that would have continued as new: the journey then rightly completes instead, as two loaded CI runs
        // saw, and this test would not see a continue-as-new.)
        const firstRun = env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
        const corrected = new Set<string>();
        const final = await waitFor(
          'all 11 services active',
          async () => {
            const state = await stateOf(handle);
            const continued = (await firstRun.describe()).status.name !== 'RUNNING';
            for (const service of state.services) {
              if (!continued || service.status !== 'rejected' || corrected.has(service.slug)) continue;
              const child = await serviceStateOf(env, ipa, service.slug);
              if (child.status !== 'rejected') continue;
              await serviceHandle(env, ipa, service.slug).executeUpdate(correctCardUpdate, {
                args: [
                  {
                    actor: 'Giulia Verdi (staff)',
                    card: { ...child.card, description: `${child.card.description} Accesso con SPID o CIE.` },
                  },
                ],
              });
              corrected.add(service.slug);
            }
            return state.stage === 'completed' ? state : undefined;
          },
          { timeoutMs: 60_000 },
        ).catch(async (err: Error) => {
          // Say where each service stands, in the Comune's copy and in its own workflow, so a hang is diagnosable.
          const state = await stateOf(handle);
          const lines = await Promise.all(
            state.services.map(async (s) => {
              const own = await serviceStateOf(env, ipa, s.slug).then(
                (child) => child.status,
                (e: unknown) => String(e),
              );
              return `${s.slug}: Comune ${s.status}, service ${own}`;
            }),
          );
          throw new Error(`${err.message} (stage ${state.stage})\n${lines.join('\n')}`);
        });
        expect(corrected.size).toBe(2);

        // The first run ended by continuing as new; the workflow id now points at a later run.
        // The stage may read «completed» a task before the run closes (the completion notice still to send).
        await waitFor('the first run closed', async () =>
          (await firstRun.describe()).status.name !== 'RUNNING' ? true : undefined,
        );
        const firstHistory = await firstRun.fetchHistory();
        // On a mismatch, say what the server holds for that run (a CI run once read «completed» here).
        const firstRunSeen = {
          runId: handle.firstExecutionRunId,
          status: (await firstRun.describe()).status.name,
          events: firstHistory.events!.length,
          last: firstHistory.events!.slice(-4).map((e) => EventType[e.eventType!]),
          runs: (await handle.describe()).runId,
        };
        expect({ ...firstRunSeen, lastEvent: firstHistory.events!.at(-1)!.eventType }).toEqual({
          ...firstRunSeen,
          lastEvent: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
        });
        const latest = await handle.describe();
        expect(latest.runId).not.toBe(handle.firstExecutionRunId);
        // A Comune's task may take a minute before it moves to another worker, in every run.
        for (const run of [await firstRun.describe(), latest]) {
          expect(run.raw.executionConfig?.defaultWorkflowTaskTimeout?.seconds?.toString()).toBe('60');
        }

        const result = (await handle.result()) as ComuneState;
        expect(result).toEqual(await stateOf(handle));
        expect(final.stage).toBe('completed');
        expect(result.servicesTotal).toBe(11);
        expect(result.servicesActive).toBe(11);
        expect(result.services.every((s) => s.status === 'active')).toBe(true);
        expect(result.funding.securedEur).toBe(11 * TRENTO_EUR_PER_SERVICE);
        const rejected = result.services.filter((s) => s.rejections.length > 0);
        expect(rejected.map((s) => s.name).sort()).toEqual([...REJECTED_ONCE].sort());
        expect(rejected.every((s) => s.rejections.length === 1)).toBe(true);
        expect(ofKind(mocks, 'service_rejected')).toHaveLength(2);

        // What happened before the continue-as-new is still there, once.
        const steps = result.timeline.map((t) => t.step);
        for (const step of [
          'Percorso avviato',
          'Adesione verificata su Selfcare: scenario A',
          'Delega completata su Selfcare',
          'Modulo firmato registrato',
          'Fase: services',
          'Fase: completed',
        ]) {
          expect(steps.filter((s) => s === step)).toHaveLength(1);
        }
        expect(result.delegation.requestCount).toBe(1);
        expect(result.signedForm.record?.recordedBy).toBe('Giulia Verdi (staff)');
        expect(ofKind(mocks, 'delegation_instructions_a')).toHaveLength(1);
        // No service was started twice across runs.
        const creations = mocks.calls.filter((c) => c.startsWith('ensureService:'));
        expect(creations).toHaveLength(11);
      },
    );
  });

  it('starting the same Comune twice hits the same workflow id and is refused', async () => {
    await withComune(
      env,
      { ipaCode: 'c_h002', fixture: { settings: { adhesionCheck: 'manual' } } },
      async ({ handle, input, taskQueue }) => {
        const again = startComuneJourney(env.client, input, { taskQueue });
        await expect(again).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
        await expect(again).rejects.toBeInstanceOf(ComuneJourneyExistsError);
        await expect(again).rejects.toThrow('Il percorso di Comune di Trento è già in corso');
        expect(handle.workflowId).toBe('comune:c_h002');
        const description = await handle.describe();
        expect(description.status.name).toBe('RUNNING');
        expect(description.runId).toBe(handle.firstExecutionRunId);
      },
    );
  });
});
