import type { WorkflowHandle } from '@temporalio/client';
import type { ComuneState } from '../../contracts/comune';
import type { ServiceState } from '../../contracts/service';
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
  waitState,
} from './journeys';
import { stopwatch } from './stopwatch';

/** The 429 burst's length: a minute by default; FAULTS_RATE_LIMIT_BURST_MS shortens it for a quick run. */
const BURST_MS = Number(process.env.FAULTS_RATE_LIMIT_BURST_MS ?? 60_000);
const SEED = 7;

/**
 * PagoPA having a bad day: the sandbox answers 5xx to 30 % of the calls for the whole test, with a minute of 429
 * only (Retry-After 1 s) while the services are under way. The journeys slow down and complete; nothing fails, no
 * activity gives up, no service goes to staff.
 *
 * Each 429 retry still counts as an attempt, so a 5xx after the burst waits the retry policy's cap at once: 2 minutes
 * (workflows/activity-proxies.ts). With the first release's 10-minute cap this test took over ten minutes.
 */
describe('PagoPA answering 5xx to 30 % of calls, then 429 for a minute', () => {
  let cluster: Cluster;
  const clock = stopwatch('sandbox-faults');

  beforeAll(async () => {
    cluster = await startCluster({
      name: 'sandbox-faults',
      institutions: INSTITUTIONS,
      faults: { errorRate: 0.3, seed: SEED },
    });
    clock.mark('cluster up (30 % 5xx from the start)');
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
    clock.report();
  });

  it('two journeys slow down and complete with nothing failed', async () => {
    const inputs = [
      journeyInput('rovereto', 5, cluster.logoRef),
      journeyInput('pergine', 5, cluster.logoRef),
    ];
    const handles = await Promise.all(inputs.map((input) => startJourney(cluster, input)));
    await Promise.all(handles.map((handle) => driveToServices(cluster, handle)));
    const underWay = (handle: WorkflowHandle) =>
      waitState(cluster, handle, 'a service in review', (s) =>
        s.services.some((x) => ['in_review', 'publishing', 'active'].includes(x.status)),
      );
    const before = await Promise.all(handles.map(underWay));
    expect(before.map((s) => s.servicesActive < 5)).toEqual([true, true]);
    const fiveXxBefore = (await cluster.admin<{ injected5xx: number }>('GET', '/counters')).injected5xx;
    clock.mark(`services under way (${fiveXxBefore} × 5xx so far): 429 burst of ${BURST_MS / 1000} s begins`);
    await cluster.admin('PUT', '/faults', {
      errorRate: 0.3,
      seed: SEED,
      rateLimitBurst: { durationMs: BURST_MS, retryAfterSeconds: 1 },
    });
    const burstEnds = Date.now() + BURST_MS;
    await waitFor('the burst to end', async () => (Date.now() > burstEnds ? true : undefined), {
      timeoutMs: BURST_MS + 5_000,
      intervalMs: 500,
    });
    const pending = await Promise.all(
      inputs.flatMap((input) => journeyHandles(cluster, input)).map(async (h) => (await h.describe()).raw),
    );
    const attempts = pending.flatMap((d) => (d.pendingActivities ?? []).map((a) => a.attempt ?? 0));
    clock.mark(
      `burst over: ${attempts.length} activities retrying, up to attempt ${Math.max(0, ...attempts)}; 30 % 5xx go on`,
    );

    const results: ComuneState[] = await Promise.all(handles.map((handle) => handle.result()));
    clock.mark('both journeys completed');
    const fiveXxAfter = (await cluster.admin<{ injected5xx: number }>('GET', '/counters')).injected5xx;
    await cluster.admin('DELETE', '/faults');
    // Slowed down: every service needs PagoPA, which answered only 429 until the burst ended.
    expect(Date.now()).toBeGreaterThanOrEqual(burstEnds);
    for (const result of results) {
      expect(result.stage).toBe('completed');
      expect(result.servicesActive).toBe(5);
      expect(result.adhesionCheck).toBe('automatic');
      expect(result.adhesionCheckFallback).toBeUndefined();
      expect(result.timeline.filter((t) => t.step === 'E-mail non inviata')).toEqual([]);
    }

    const counters = await cluster.admin<{ injected5xx: number; injected429: number }>('GET', '/counters');
    clock.note(`injected: ${counters.injected5xx} × 5xx, ${counters.injected429} × 429`);
    expect(fiveXxBefore).toBeGreaterThan(0);
    // The 5xx went on during and after the burst: the journeys completed through them, not after them.
    expect(fiveXxAfter).toBeGreaterThan(fiveXxBefore);
    expect(counters.injected429).toBeGreaterThan(0);

    // No workflow failed, no activity's retry policy gave up, no service ever waited for staff.
    expect((await cluster.client.workflow.count('ExecutionStatus = "Failed"')).count).toBe(0);
    for (const input of inputs) {
      const journey = journeyHandles(cluster, input);
      const facts = await historyFacts(journey);
      expect(facts.activitiesGivenUp).toEqual([]);
      expect(facts.maxAttempt).toBeGreaterThan(1);
      clock.note(`${input.comune.ipaCode}: max activity attempt ${facts.maxAttempt}`);
      for (const service of journey.slice(1)) {
        expect((await service.describe()).status.name).toBe('COMPLETED');
        const state: ServiceState = await service.result();
        expect(state.timeline.filter((t) => t.step.startsWith('Bloccato'))).toEqual([]);
        expect(state.rounds).toHaveLength(1);
      }
      const onIo = await ioServicesOf(cluster, input.comune.fiscalCode);
      expect(onIo.map((s) => s.name).sort()).toEqual(input.services.map((s) => s.card.service_name).sort());
      const byId = await emailsById(cluster, input.comune.ipaCode);
      expect([...byId.values()].map((copies) => copies.map((c) => c.kind)).sort()).toEqual([
        ['delegation_instructions_b'],
        ['journey_completed'],
      ]);
    }
  }, 600_000);
});
