import type { ComuneState } from '../../contracts/comune';
import { startCluster, type Cluster } from './cluster';
import {
  INSTITUTIONS,
  driveToServices,
  historyFacts,
  ioServicesOf,
  journeyHandles,
  journeyInput,
  startJourney,
} from './journeys';
import { stopwatch } from './stopwatch';

/**
 * Two worker processes, one per task queue (WORKER_QUEUES=comuni and WORKER_QUEUES=services), as a deployment with
 * cores to spare runs them: each polls only its queue, and a journey completes with the Comune's tasks and activities
 * on the first and its services' on the second.
 */
describe('two worker processes, one per task queue (WORKER_QUEUES)', () => {
  let cluster: Cluster;
  const clock = stopwatch('split-queues');

  beforeAll(async () => {
    cluster = await startCluster({ name: 'split', institutions: INSTITUTIONS, workers: 0 });
    clock.mark('cluster up, no worker');
  }, 150_000);
  afterAll(async () => {
    await cluster?.close();
    clock.report();
  });

  it('each polls its own queue only, and a journey completes across the two', async () => {
    const servicesQueue = `${cluster.taskQueue}-services`;
    const comuni = await cluster.startWorker({ env: { WORKER_QUEUES: 'comuni' } });
    const services = await cluster.startWorker({ env: { WORKER_QUEUES: 'services' }, polls: servicesQueue });
    clock.mark('two workers polling');
    expect(await cluster.pollers()).toEqual([comuni.identity]);
    expect(await cluster.pollers(undefined, servicesQueue)).toEqual([services.identity]);

    const base = journeyInput('trento', 5, cluster.logoRef);
    const input = { ...base, settings: { ...base.settings, servicesTaskQueue: servicesQueue } };
    const [comuneHandle, ...serviceHandles] = journeyHandles(cluster, input);
    const handle = await startJourney(cluster, input);
    await driveToServices(cluster, handle);
    const result: ComuneState = await handle.result();
    clock.mark('journey completed');
    expect(result.stage).toBe('completed');
    expect(result.servicesActive).toBe(5);

    // The Comune's workflow tasks and activities on the Comuni's worker, every service's on the services' worker.
    const ofComune = await historyFacts([comuneHandle!]);
    const ofServices = await historyFacts(serviceHandles);
    expect([...ofComune.identities.keys()]).toEqual([comuni.identity]);
    expect([...ofServices.identities.keys()]).toEqual([services.identity]);
    // Each service's set-up and review poll (which also publishes, since 0.12.0), at least.
    expect(ofServices.activitiesBy.get(services.identity)).toBeGreaterThanOrEqual(5 * 2);
    expect(ofComune.activitiesGivenUp).toEqual([]);
    expect(ofServices.activitiesGivenUp).toEqual([]);
    const onIo = await ioServicesOf(cluster, input.comune.fiscalCode);
    expect(onIo.map((s) => s.name).sort()).toEqual(input.services.map((s) => s.card.service_name).sort());
  });
});
