import fs from 'node:fs';
import path from 'node:path';
import { startApiHarness, eventually, type ApiHarness } from './harness';

/**
 * #13 item 1: the Comune and service pages are read from the read model the workflows write at each change, so a
 * page answers without a workflow task, even with no worker running at all; every answer says how fresh it is.
 */
describe('API: pages read from the read model (dev server)', () => {
  let h: ApiHarness;
  const ipa = 'c_h330';

  beforeAll(async () => {
    h = await startApiHarness();
    await h.startComune({ ipaCode: ipa, name: 'Comune di Rovereto' });
  });
  afterAll(() => h?.teardown());

  const comune = () => h.as('staff').get(`/comuni/${ipa}`);

  it('answers the Comune page from the read model, saying as of when, and follows each step', async () => {
    const first = await eventually(
      'the page in the read model',
      async () => (await comune().expect(200)).body,
      (b) => b.freshness?.source === 'read-model',
    );
    expect(Date.parse(first.freshness.asOf)).not.toBeNaN();
    expect(Date.parse(first.freshness.writtenAt)).toBeGreaterThanOrEqual(Date.parse(first.freshness.asOf));
    expect(first.stage).toBe('adhesion_check');
    // The steps the caller may take are the model's, computed on the read model's state.
    expect(first.availableSteps.map((s: { id: string }) => s.id)).toContain('recordAdhesion');

    await h.as('staff').post(`/comuni/${ipa}/adhesion`).send({ adherent: true }).expect(200);
    const next = await eventually(
      'the step in the read model',
      async () => (await comune().expect(200)).body,
      (b) => b.stage === 'delegation_requested',
    );
    expect(next.freshness.source).toBe('read-model');
    expect(next.freshness.asOf > first.freshness.asOf).toBe(true);

    // A queued service's page comes from the Comune's plan in the read model, with the Comune's freshness.
    const queued =
      (await h
        .as('staff')
        .get(`/comuni/${ipa}/services`)
        .expect(200)
        .catch(() => undefined)) ?? null;
    void queued;
    const slug = next.services[0].slug as string;
    const service = (await h.as('staff').get(`/comuni/${ipa}/services/${slug}`).expect(200)).body;
    expect(service).toMatchObject({ started: false, freshness: { source: 'read-model' } });
    expect(service.card.service_name).toBe(next.services[0].name);
  });

  it('answers even with no worker running (a query would wait for a workflow task), and falls back to the workflow only without a page', async () => {
    await h.stopWorker();
    const started = Date.now();
    const page = (await comune().expect(200)).body;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(page).toMatchObject({ stage: 'delegation_requested', freshness: { source: 'read-model' } });
    // Without its page in the read model (a journey from before 0.6.0), the answer comes from the workflow.
    fs.rmSync(path.join(h.api.dir, 'read-model', 'comune', `${ipa}.json`));
    const withoutPage = await comune()
      .timeout(3_000)
      .then(
        (res) => res,
        (err: unknown) => err,
      );
    // The worker is gone, so the query cannot be answered: proof that the page above never asked the workflow.
    expect(withoutPage).toBeInstanceOf(Error);
    expect(await h.as('staff').get('/comuni/c_x999').timeout(30_000)).toMatchObject({ status: 404 });
  });
});
