import { pagesIdle } from '../../api/journey-view';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createApp } from '../../api/app';
import type { ComuneState } from '../../contracts/comune';
import { testApiContext, type TestApiContext } from '../support/api-context';
import { startCluster, type Cluster } from './cluster';
import { INSTITUTIONS, journeyInput, startJourney, waitState } from './journeys';

/**
 * Staff steps sent twice and ten times at once through the HTTP API, against worker processes: with one
 * Idempotency-Key the step applies once and every request gets 200; without a key one applies and the others get 409.
 */
describe('a staff step sent twice and concurrently through the API', () => {
  let cluster: Cluster;
  let api: TestApiContext;
  let server: Server;
  let handle: WorkflowHandle;
  let base: string;
  const ipa = 'c_l378';

  beforeAll(async () => {
    cluster = await startCluster({ name: 'idempotency', institutions: INSTITUTIONS });
    api = testApiContext(cluster.client, { taskQueue: cluster.taskQueue });
    server = createApp(api.ctx).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    handle = await startJourney(cluster, journeyInput('trento', 5, cluster.logoRef, 'manual'));
  }, 120_000);
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (api) await pagesIdle(api.ctx); // background page refreshes end before the connection closes
    api?.cleanup();
    await cluster?.close();
  });

  async function post(path: string, body: unknown, key?: string) {
    const res = await fetch(`${base}/comuni/${ipa}/${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${api.tokens.staff}`,
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as ComuneState & { detail?: string } };
  }
  const times = (n: number, send: () => ReturnType<typeof post>) =>
    Promise.all(Array.from({ length: n }, send));
  const steps = (s: ComuneState, step: RegExp) => s.timeline.filter((t) => step.test(t.step));

  /** Updates the workflow accepted into its history, by name. */
  async function acceptedUpdates(name: string): Promise<number> {
    const { events } = await handle.fetchHistory();
    return (events ?? []).filter(
      (e) =>
        e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED &&
        e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === name,
    ).length;
  }

  it('with one Idempotency-Key: applied once, every request answered 200 with the same state', async () => {
    await waitState(cluster, handle, 'the adhesion check', (s) => s.stage === 'adhesion_check');
    const key = 'adesione-c_l378-20260601';
    const concurrent = await times(10, () => post('adhesion', { adherent: true }, key));
    const again = await post('adhesion', { adherent: true }, key);

    for (const answer of [...concurrent, again]) {
      expect(answer.status).toBe(200);
      const recorded = steps(answer.body, /^Adesione registrata/);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]!.at).toBe(steps(concurrent[0]!.body, /^Adesione registrata/)[0]!.at);
    }
    // A different key is a new request: refused, the adhesion is already recorded.
    const other = await post('adhesion', { adherent: false }, 'adesione-c_l378-altra');
    expect(other.status).toBe(409);

    const state = await waitState(
      cluster,
      handle,
      'delegation requested',
      (s) => s.stage === 'delegation_requested',
    );
    expect(steps(state, /^Adesione registrata: scenario B/)).toHaveLength(1);
    expect(await acceptedUpdates('recordAdhesion')).toBe(1);
  });

  it('without a key: one request applies, the other nine (and a later one) get 409', async () => {
    const concurrent = await times(10, () => post('delegation', {}));
    const again = await post('delegation', {});

    const statuses = concurrent.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    expect(again.status).toBe(409);
    for (const refused of [...concurrent, again].filter((a) => a.status === 409)) {
      expect(refused.body.detail).toMatch(/già registrata|non è possibile ora/);
    }

    const state = await waitState(
      cluster,
      handle,
      'the signed form',
      (s) => s.stage === 'awaiting_signed_form',
    );
    expect(steps(state, /^Delega completata/)).toHaveLength(1);
    expect(await acceptedUpdates('recordDelegationDone')).toBe(1);
  });
});
