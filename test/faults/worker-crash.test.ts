import type { WorkflowHandle } from '@temporalio/client';
import type { ComuneState } from '../../contracts/comune';
import { serviceWorkflowId } from '../../contracts/ids';
import { correctCardUpdate, getServiceStateQuery, type ServiceState } from '../../contracts/service';
import { waitFor } from '../support/wait';
import { startCluster, STAFF_EMAIL, type Cluster } from './cluster';
import {
  INSTITUTIONS,
  countStatus,
  emailsById,
  historyFacts,
  ioServicesOf,
  journeyHandles,
  journeyInput,
  recordDelegation,
  recordIoAccess,
  recordSignedForm,
  recordTrackingForm,
  startJourney,
  waitState,
} from './journeys';
import { stopwatch } from './stopwatch';

/**
 * One worker process at a time, SIGKILLed in the middle of every stage of an 11-service journey and replaced by a
 * new process: the journey completes, IO holds each service once, and each e-mail went out once.
 */
describe('a worker process SIGKILLed in every stage of a journey', () => {
  let cluster: Cluster;
  const clock = stopwatch('worker-crash');

  beforeAll(async () => {
    cluster = await startCluster({
      name: 'crash',
      institutions: INSTITUTIONS,
      reviewer: { mode: 'approve', reviewDelayMs: 0, rejectOnce: [/^Mensa scolastica$/i] },
    });
    clock.mark('cluster up');
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
    clock.report();
  });

  /** SIGKILL the running worker; `whileDown` starts at once (e.g. a staff step), then a new worker starts. */
  async function crash(when: string, whileDown?: () => Promise<unknown>): Promise<void> {
    await cluster.killWorker(cluster.workers.at(-1)!);
    clock.mark(`killed: ${when}`);
    const pending = whileDown?.().then(
      () => undefined,
      (err: unknown) => err,
    );
    await cluster.startWorker();
    clock.mark('new worker polling');
    const error = await pending;
    if (error) throw error;
  }

  const pendingActivities = async (handle: WorkflowHandle) =>
    (await handle.describe()).raw.pendingActivities ?? [];

  it('completes with 11 services on IO, none duplicated, every e-mail sent once', async () => {
    const input = journeyInput('trento', 11, cluster.logoRef);
    const ipa = input.comune.ipaCode;
    const fiscalCode = input.comune.fiscalCode;

    // 1. Adhesion check: Selfcare fails the first attempt (3 in-client tries); kill while the retry is pending.
    await cluster.admin('PUT', '/faults', { failNext: 3, pathPrefix: '/external' });
    const handle = await startJourney(cluster, input);
    await waitFor('the first adhesion check attempt to fail', async () => {
      const [activity] = await pendingActivities(handle);
      return activity?.activityType?.name === 'checkAdhesion' && (activity.attempt ?? 0) >= 2
        ? true
        : undefined;
    });
    await crash('adhesion check, retry pending');
    await cluster.admin('DELETE', '/faults');

    // 2. Delegation requested: the instructions went out; staff record the delegation while no worker runs.
    await waitState(cluster, handle, 'delegation requested', (s) => s.stage === 'delegation_requested');
    await waitFor('the delegation e-mail', async () =>
      (await emailsById(cluster, ipa)).size > 0 && (await pendingActivities(handle)).length === 0
        ? true
        : undefined,
    );
    await crash('delegation requested', async () => {
      await recordDelegation(handle);
      await recordTrackingForm(handle);
    });

    // 3. Awaiting the signed form: recorded while no worker runs.
    await waitState(cluster, handle, 'awaiting the signed form', (s) => s.stage === 'awaiting_signed_form');
    await crash('awaiting the signed form', () => recordSignedForm(handle));
    // «Accesso a IO»: the onboarding seen active on Selfcare, then the Comune's own manage key recorded.
    await recordIoAccess(cluster, handle);

    // 4. Services being set up: since 0.11.0 create, logo, portal keys, test message and submission are one activity
    // per service (setUpService). Kill while some are already on IO and a set-up activity is still running: its
    // retry on the new worker must find what the killed attempt did, not create a second service.
    await waitFor('services on IO with a set-up still running', async () => {
      if ((await ioServicesOf(cluster, fiscalCode)).length === 0) return undefined;
      const pending = await Promise.all(
        journeyHandles(cluster, input)
          .slice(1)
          .map((service) => pendingActivities(service).catch(() => [])), // not started yet
      );
      return pending.some((list) => list.some((a) => a.activityType?.name === 'setUpService'))
        ? true
        : undefined;
    });
    await crash('services being set up on IO');

    // 5. Some services in review (polled), others not yet.
    await waitState(
      cluster,
      handle,
      'a service in review',
      (s) => countStatus(s, 'in_review') > 0 && s.servicesActive < 11,
      120_000,
    );
    await crash('services in review');

    // 6. Mensa rejected: staff correct its card while no worker runs. Mensa may not have started yet: the services
    // killed while being set up hold their slots until their activities time out on the new worker (CI once waited
    // 120 s in vain; the query's own cause is kept, so that a failure says whether Mensa had started).
    const mensa = cluster.client.workflow.getHandle(serviceWorkflowId(ipa, 'mensa'));
    const rejected: ServiceState = await waitFor(
      'Mensa to be rejected',
      async () => {
        const s = await cluster.client.connection
          .withDeadline(Date.now() + 5_000, () => mensa.query(getServiceStateQuery))
          .catch((err: unknown) => {
            const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
            throw new Error(`${String(err)}${cause}`, { cause: err });
          });
        return s.status === 'rejected' ? s : undefined;
      },
      { timeoutMs: 180_000 },
    );
    await crash('Mensa rejected', () =>
      mensa.executeUpdate(correctCardUpdate, {
        args: [
          {
            actor: 'staff:laura.conti',
            card: { ...rejected.card, description: `${rejected.card.description} Menù e iscrizioni online.` },
          },
        ],
      }),
    );

    // 7. Some services published, others not.
    const partly = await waitState(
      cluster,
      handle,
      'a published service',
      (s) => s.servicesActive > 0,
      120_000,
    );
    if (partly.servicesActive < 11) await crash(`services: ${partly.servicesActive}/11 active`);

    const result: ComuneState = await handle.result();
    clock.mark('journey completed');
    expect(result.stage).toBe('completed');
    expect(result.servicesActive).toBe(11);
    expect(result.services.find((s) => s.slug === 'mensa')?.rejections).toHaveLength(1);
    expect(result.timeline.filter((t) => /^Modulo firmato registrato/.test(t.step))).toHaveLength(1);

    // IO holds exactly the 11 services of the Comune, each once, approved and published.
    const onIo = await ioServicesOf(cluster, fiscalCode);
    expect(onIo.map((s) => s.name).sort()).toEqual(input.services.map((s) => s.card.service_name).sort());
    const io = await cluster.ioAs(fiscalCode);
    for (const service of onIo) {
      expect(service.status.value).toBe('approved');
      expect((await io.getRelease(service.id))?.status).toBe('published');
    }

    // Each notification id reached the SMTP server once; the expected kinds are there, no staff alert.
    const byId = await emailsById(cluster, ipa);
    const duplicates = [...byId].filter(([, copies]) => copies.length > 1).map(([id]) => id);
    expect(duplicates).toEqual([]);
    const kinds = [...byId.values()].map(([first]) => first!.kind).sort();
    expect(kinds).toEqual(['delegation_instructions_b', 'journey_completed', 'service_rejected']);
    const rejection = (await cluster.outbox()).find((m) => m.kind === 'service_rejected');
    expect(rejection?.to).toContain(STAFF_EMAIL);

    // The work was done by the successive worker processes; nothing gave up.
    const facts = await historyFacts(journeyHandles(cluster, input));
    expect(facts.activitiesGivenUp).toEqual([]);
    const identities = cluster.workers.map((w) => w.identity);
    expect([...facts.identities.keys()].every((id) => identities.includes(id))).toBe(true);
    expect(cluster.workers.filter((w) => !w.alive())).toHaveLength(cluster.workers.length - 1);
    clock.note(`workers used: ${cluster.workers.length}; max activity attempt: ${facts.maxAttempt}`);
    const messages = await cluster.admin<{ messages: unknown[] }>('GET', '/messages');
    clock.note(`test messages sent: ${messages.messages.length}`);
  }, 390_000);
});
