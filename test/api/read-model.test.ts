import fs from 'node:fs';
import path from 'node:path';
import type { ComuneState } from '../../contracts/comune';
import { startApiHarness, eventually, type ApiHarness } from './harness';

/**
 * #13 item 1: the Comune and service pages are read from the read model the worker writes at the end of each workflow
 * task (common/read-model-store.ts), never from a workflow task: they answer at once with the journey's state even
 * with no worker running, say as of when, and a step's answer is never newer than the next page.
 */
describe('API: pages read from the read model, without a workflow task (dev server)', () => {
  let h: ApiHarness;
  const ipa = 'c_l378';
  /** A second Comune, driven to its services. */
  const rovereto = 'c_h330';

  beforeAll(async () => {
    h = await startApiHarness({ mock: { reviewPending: true } });
    await h.startComune({ ipaCode: ipa, name: 'Comune di Trento' });
    await h.startComune({ ipaCode: rovereto, name: 'Comune di Rovereto' });
  });
  afterAll(() => h?.teardown());

  const comune = async (of = ipa) =>
    (await h.as('staff').get(`/comuni/${of}`).expect(200)).body as ComuneState & {
      freshness: { source: string; asOf: string };
    };
  const service = async (slug: string) =>
    (await h.as('staff').get(`/comuni/${rovereto}/services/${slug}`).expect(200)).body as {
      status: string;
      started: boolean;
      freshness: { source: string; asOf: string };
    };

  it('reads the Comune page from the read model, and a step’s answer is on the next page at once', async () => {
    const first = await eventually(
      'the read model',
      () => comune(),
      (b) => b.freshness.source === 'read-model',
    );
    expect(first.stage).toBe('adhesion_check');
    expect(Number.isNaN(Date.parse(first.freshness.asOf))).toBe(false);
    const folder = path.join(h.api.dir, 'read-model', ipa);
    expect(fs.readdirSync(folder).sort()).toEqual(['comune.json', 'plan.json']);

    // Written before the step's workflow task completes: the very next read shows it, with no query.
    const step = await h.as('staff').post(`/comuni/${ipa}/adhesion`).send({ adherent: true }).expect(200);
    expect(step.body.scenario).toBe('B');
    const next = await comune();
    expect(next).toMatchObject({ scenario: 'B', freshness: { source: 'read-model' } });
    expect(Date.parse(next.freshness.asOf)).toBeGreaterThanOrEqual(Date.parse(first.freshness.asOf));
  });

  it('reads a queued service from the Comune’s plan and a started one from its own document', async () => {
    const queued = await service('tari');
    expect(queued).toMatchObject({ started: false, status: 'pending', freshness: { source: 'read-model' } });

    await h.advanceToServices(rovereto);
    const started = await eventually(
      'the service in review',
      () => service('tari'),
      (s) => s.started && s.status === 'in_review',
    );
    expect(started.freshness.source).toBe('read-model');
    expect(fs.existsSync(path.join(h.api.dir, 'read-model', rovereto, 'service-tari.json'))).toBe(true);
  });

  it('answers at once with the journey’s state when no worker runs (a query would wait)', async () => {
    const before = await comune();
    await h.stopWorker();
    const started = Date.now();
    const page = await comune();
    const tari = await service('tari');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(page).toMatchObject({
      stage: before.stage,
      servicesActive: before.servicesActive,
      freshness: { source: 'read-model', asOf: before.freshness.asOf },
    });
    expect(tari).toMatchObject({ status: 'in_review', freshness: { source: 'read-model' } });
  });
});
