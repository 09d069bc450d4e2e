import type { ComuneState } from '../../contracts/comune';
import { waitFor } from '../support/wait';
import { startCluster, type Cluster } from './cluster';
import {
  INSTITUTIONS,
  driveToServices,
  emailsById,
  historyFacts,
  ioServicesOf,
  journeyHandles,
  journeyInput,
  startJourney,
  stateOf,
} from './journeys';
import { stopwatch } from './stopwatch';

/**
 * Two worker processes on one task queue: both poll, both run the journey's activities; one is SIGKILLed mid-run
 * and the other finishes the journey alone.
 */
describe('two worker processes on one task queue', () => {
  let cluster: Cluster;
  const clock = stopwatch('shared-queue');

  beforeAll(async () => {
    cluster = await startCluster({ name: 'shared', institutions: INSTITUTIONS, workers: 2 });
    clock.mark('cluster up, two workers polling');
  }, 150_000);
  afterAll(async () => {
    await cluster?.close();
    clock.report();
  });

  it('share the work, and the survivor finishes alone after the other is killed', async () => {
    const [first, second] = cluster.workers as [(typeof cluster.workers)[0], (typeof cluster.workers)[0]];
    const pollers = await cluster.pollers();
    expect(pollers).toEqual(expect.arrayContaining([first.identity, second.identity]));

    const input = journeyInput('trento', 8, cluster.logoRef);
    const handles = journeyHandles(cluster, input);
    const handle = await startJourney(cluster, input);
    await driveToServices(cluster, handle);
    const shared = await waitFor(
      'activities run by both workers',
      async () => {
        const facts = await historyFacts(handles);
        const both = [first, second].every((w) => (facts.activitiesBy.get(w.identity) ?? 0) > 0);
        return both ? facts : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const mid = await stateOf(cluster, handle);
    expect(mid.servicesActive).toBeLessThan(8);
    const split = (facts: typeof shared) =>
      [first, second].map((w) => facts.activitiesBy.get(w.identity) ?? 0).join(' / ');
    clock.note(`activities before the kill: ${split(shared)}, services active ${mid.servicesActive}/8`);

    await cluster.killWorker(first);
    const killedAt = Date.now();
    clock.mark('first worker SIGKILLed');

    const result: ComuneState = await handle.result();
    clock.mark('journey completed by the second worker');
    expect(result.stage).toBe('completed');
    expect(result.servicesActive).toBe(8);
    expect(second.alive()).toBe(true);

    const after = await historyFacts(handles);
    // Nothing ran on the killed worker after its death; the survivor went on.
    expect(after.identities.get(first.identity)!).toBeLessThanOrEqual(killedAt + 1_000);
    expect(after.activitiesBy.get(second.identity)!).toBeGreaterThan(
      shared.activitiesBy.get(second.identity)!,
    );
    expect([...after.identities.keys()].sort()).toEqual([first.identity, second.identity].sort());
    expect(after.activitiesGivenUp).toEqual([]);
    clock.note(`activities in all: ${split(after)}`);

    const onIo = await ioServicesOf(cluster, input.comune.fiscalCode);
    expect(onIo.map((s) => s.name).sort()).toEqual(input.services.map((s) => s.card.service_name).sort());
    const byId = await emailsById(cluster, input.comune.ipaCode);
    expect([...byId.values()].map((copies) => copies.map((c) => c.kind)).sort()).toEqual([
      ['delegation_instructions_b'],
      ['journey_completed'],
    ]);
  }, 300_000);
});
