import type { ComuneState } from '../../contracts/comune';
import { waitFor } from '../support/wait';
import { startCluster, type Cluster } from './cluster';
import {
  INSTITUTIONS,
  countStatus,
  driveToServices,
  emailsById,
  historyFacts,
  ioServicesOf,
  journeyHandles,
  journeyInput,
  recordDelegation,
  recordIoAccess,
  recordSignedForm,
  startJourney,
  waitState,
} from './journeys';
import { stopwatch } from './stopwatch';

/**
 * The dev server SIGKILLed and started again on the same port and SQLite file while one journey is creating its
 * services and another waits for the signed form: both resume and complete, and the worker process reconnects by
 * itself (the same process, never restarted).
 */
describe('the Temporal dev server killed and restarted mid-journeys', () => {
  let cluster: Cluster;
  const clock = stopwatch('server-restart');

  beforeAll(async () => {
    cluster = await startCluster({ name: 'restart', institutions: INSTITUTIONS });
    clock.mark('cluster up');
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
    clock.report();
  });

  it('resumes a journey in services and one awaiting the signed form; the worker reconnects', async () => {
    const working = journeyInput('rovereto', 5, cluster.logoRef);
    const waiting = journeyInput('pergine', 5, cluster.logoRef);
    const [inServices, awaitingForm] = await Promise.all([
      startJourney(cluster, working),
      startJourney(cluster, waiting),
    ]);
    await Promise.all([
      driveToServices(cluster, inServices),
      (async () => {
        await waitState(
          cluster,
          awaitingForm,
          'delegation requested',
          (s) => s.stage === 'delegation_requested',
        );
        await recordDelegation(awaitingForm);
        await waitState(cluster, awaitingForm, 'the signed form', (s) => s.stage === 'awaiting_signed_form');
      })(),
    ]);
    const before = await waitState(
      cluster,
      inServices,
      'services under way',
      (s) => countStatus(s, 'creating') + countStatus(s, 'in_review') > 0 && s.servicesActive < 5,
    );
    clock.note(`before the kill: ${before.services.map((s) => s.status).join(', ')}`);

    const [worker] = cluster.workers;
    await cluster.restartDevServer(2_000);
    clock.mark('dev server killed, down 2 s, answering again');
    // The restarted server knows only the pollers that reached it since it started.
    await waitFor(
      'the same worker process to poll the restarted server',
      async () => ((await cluster.pollers()).includes(worker!.identity) ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    clock.mark('worker polling the new server');
    expect(worker!.alive()).toBe(true);

    // The restarted server kept both journeys where they were.
    await waitState(
      cluster,
      awaitingForm,
      'the signed form, after restart',
      (s) => s.stage === 'awaiting_signed_form',
    );
    await recordSignedForm(awaitingForm);
    await recordIoAccess(cluster, awaitingForm);
    const results: ComuneState[] = await Promise.all([inServices.result(), awaitingForm.result()]);
    clock.mark('both journeys completed');

    expect(results.map((r) => [r.stage, r.servicesActive])).toEqual([
      ['completed', 5],
      ['completed', 5],
    ]);
    // One worker process the whole time: it was never restarted.
    expect(cluster.workers).toHaveLength(1);
    expect(worker!.alive()).toBe(true);
    for (const input of [working, waiting]) {
      const onIo = await ioServicesOf(cluster, input.comune.fiscalCode);
      expect(onIo.map((s) => s.name).sort()).toEqual(input.services.map((s) => s.card.service_name).sort());
      const byId = await emailsById(cluster, input.comune.ipaCode);
      expect([...byId.values()].map((copies) => copies.map((c) => c.kind)).sort()).toEqual([
        ['delegation_instructions_b'],
        ['journey_completed'],
      ]);
      const facts = await historyFacts(journeyHandles(cluster, input));
      expect(facts.activitiesGivenUp).toEqual([]);
      clock.note(`${input.comune.ipaCode}: max activity attempt ${facts.maxAttempt}`);
    }
  }, 300_000);
});
