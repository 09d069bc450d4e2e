import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { stopWatchUpdate, type ComuneState } from '../../contracts/comune';
import { journeyTasks } from '../../domain/journey-tasks';
import { comuneStepRefusal, comuneSteps } from '../../domain/journey-model';
import { createTimeSkippingEnv } from '../support/temporal-env';
import {
  DAY_MS,
  HOUR_MS,
  ofKind,
  recordDelegationAndSignedForm,
  stateOf,
  waitForNotifications,
  waitForState,
  withComune,
  refusalOf,
} from './helpers';

/**
 * #14 item 3: a completed journey keeps watching that its services stay published in App IO (0.6.0). A service
 * unpublished, deleted or back in review is no longer secured, staff and managers are told, and it counts again once
 * published; a manager may stop the watch; the watch ends by itself after its period, across continue-as-new.
 */

type Seen = 'published' | 'unpublished' | 'deleted' | 'in_review';
const manager = 'Paolo Neri (manager)';

describe('the watch of the published services after completion', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('finds a service unpublished, no longer counts it, tells staff and managers, and counts it again when back', async () => {
    const visibility = new Map<string, Seen>();
    await withComune(
      env,
      {
        ipaCode: 'c_wa01',
        behaviour: {
          adherent: true,
          onboarding: 'active',
          publication: (name) => visibility.get(name) ?? 'published',
        },
        fixture: {
          settings: { adhesionCheck: 'automatic', watchAfterCompletionDays: 30, watchCheckEveryHours: 24 },
        },
      },
      async ({ handle, mocks, input }) => {
        await recordDelegationAndSignedForm(handle);
        const completed = await waitForState(
          handle,
          'completed and watching',
          (s) => s.stage === 'completed' && !!s.watch,
        );
        expect((await handle.describe()).status.name).toBe('RUNNING');
        expect(completed.watch).toMatchObject({ checks: 0, checkEveryHours: 24 });
        expect(Date.parse(completed.watch!.until) - Date.parse(completed.watch!.startedAt)).toBe(30 * DAY_MS);
        expect(journeyTasks(completed)).toEqual([]);
        const total = input.services.length;
        const rate = completed.funding.eurPerService;
        expect(completed.funding.securedEur).toBe(total * rate);
        // Managers may stop it now; staff have no step (the API enforces roles).
        expect(comuneStepRefusal(comuneSteps.stopWatch, completed)).toBeUndefined();

        // A check with everything published changes nothing and sends nothing.
        await env.sleep(25 * HOUR_MS);
        await waitForState(handle, 'the first check', (s) => s.watch!.checks === 1);
        expect(ofKind(mocks, 'service_unpublished')).toHaveLength(0);

        const name = input.services[1]!.card.service_name;
        const slug = input.services[1]!.slug;
        visibility.set(name, 'unpublished');
        await env.sleep(24 * HOUR_MS);
        const lost = await waitForState(handle, 'the service unpublished', (s) =>
          s.services.some((x) => x.slug === slug && x.status === 'unpublished'),
        );
        expect(lost.servicesActive).toBe(total - 1);
        expect(lost.funding.securedEur).toBe((total - 1) * rate);
        expect(lost.stage).toBe('completed');
        const tasks = journeyTasks(lost);
        expect(tasks).toEqual([
          expect.objectContaining({ kind: 'service', status: 'unpublished', slug, party: 'staff' }),
        ]);
        expect(lost.timeline.at(-1)).toMatchObject({
          step: `Servizio non più visibile in App IO: ${name}`,
          detail: 'tolto dalla pubblicazione su IO',
        });
        const [notice] = await waitForNotifications(mocks, 'service_unpublished', 1);
        expect(notice!.audience).toEqual({ staff: true, managers: true });
        expect(notice!.data).toMatchObject({
          changes: [{ serviceName: name, what: 'tolto dalla pubblicazione su IO', visible: false }],
          servicesActive: total - 1,
          fundingSecuredEur: (total - 1) * rate,
        });

        // Back in review on IO: still not counted, no second e-mail for the same service.
        visibility.set(name, 'in_review');
        await env.sleep(24 * HOUR_MS);
        await waitForState(handle, 'the third check', (s) => s.watch!.checks === 3);
        expect(ofKind(mocks, 'service_unpublished')).toHaveLength(1);

        visibility.set(name, 'published');
        await env.sleep(24 * HOUR_MS);
        const back = await waitForState(
          handle,
          'the service published again',
          (s) => s.servicesActive === total,
        );
        expect(back.funding.securedEur).toBe(total * rate);
        expect(journeyTasks(back)).toEqual([]);
        const notices = await waitForNotifications(mocks, 'service_unpublished', 2);
        expect(notices[1]!.data).toMatchObject({ changes: [{ serviceName: name, visible: true }] });

        // A manager stops the watch with a reason: the journey closes.
        expect(
          await refusalOf(
            handle.executeUpdate(stopWatchUpdate, { args: [{ actor: manager, reason: 'no' }] }),
          ),
        ).toMatch(/Richiesta non valida/);
        const stopped = await handle.executeUpdate(stopWatchUpdate, {
          args: [{ actor: manager, reason: 'fondi già liquidati: controllo non più necessario' }],
        });
        expect(stopped.watch!.stopped).toEqual({
          by: manager,
          reason: 'fondi già liquidati: controllo non più necessario',
        });
        const final = (await handle.result()) as ComuneState;
        expect(final.watch!.endedAt).toBeDefined();
        expect(final.timeline.map((t) => t.step)).toContain('Controllo dei servizi pubblicati interrotto');
        expect(final.timeline.map((t) => t.step)).not.toContain('Controllo dei servizi pubblicati concluso');
        expect(comuneStepRefusal(comuneSteps.stopWatch, final)).toBe(
          'Il controllo dei servizi pubblicati non è in corso per questo Comune.',
        );
      },
    );
  });
});

// Its own time-skipping server: the clock moves by days here, and a journey of the suite above could hold it back.
describe('the watch of the published services, to its end', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('ends by itself after its period, across continue-as-new, and a deleted service is reported', async () => {
    const visibility = new Map<string, Seen>();
    await withComune(
      env,
      {
        ipaCode: 'c_wa02',
        behaviour: {
          adherent: true,
          onboarding: 'active',
          publication: (name) => visibility.get(name) ?? 'published',
        },
        fixture: {
          settings: {
            adhesionCheck: 'automatic',
            watchAfterCompletionDays: 30,
            watchCheckEveryHours: 24,
            // Above the journey's own history at completion, below it plus 30 checks: one continue-as-new while
            // watching.
            continueAsNewAfterEvents: 300,
          },
        },
      },
      async ({ handle, mocks, input }) => {
        await recordDelegationAndSignedForm(handle);
        const completed = await waitForState(
          handle,
          'completed and watching',
          (s) => s.stage === 'completed' && !!s.watch,
        );
        visibility.set(input.services[0]!.card.service_name, 'deleted');
        await env.sleep(31 * DAY_MS);
        const final = (await handle.result()) as ComuneState;
        expect(final.watch).toMatchObject({ checks: 30, startedAt: completed.watch!.startedAt });
        expect(final.watch!.stopped).toBeUndefined();
        expect(final.timeline.map((t) => t.step)).toContain('Controllo dei servizi pubblicati concluso');
        expect(final.services[0]!.status).toBe('unpublished');
        expect(final.services[0]!.issues).toEqual([
          { field: 'pubblicazione', message: 'Servizio eliminato su IO' },
        ]);
        expect(ofKind(mocks, 'service_unpublished')).toHaveLength(1);
        const described = await handle.describe();
        expect(described.runId).not.toBe(handle.firstExecutionRunId);
        expect(await stateOf(handle)).toMatchObject({ stage: 'completed' });
      },
    );
  });
});
