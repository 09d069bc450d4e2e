import { startApiHarness, eventually, type ApiHarness } from './harness';

/**
 * #13 item 1, the fallback for journeys that have not written their read model yet (test/api/read-model.test.ts is
 * the usual path; here the API has no read model): a Comune's page never waits long for a busy worker. It answers
 * with the workflow's state when the
 * worker responds within 250 ms, otherwise at once with the last known state (the query goes on and refreshes it),
 * even with no worker running; every answer says how fresh it is; a step's answer is the page's new state at once.
 */
describe('API: pages that never wait on a busy worker (dev server)', () => {
  let h: ApiHarness;
  const ipa = 'c_h330';

  beforeAll(async () => {
    h = await startApiHarness({ context: { readModel: undefined } });
    await h.startComune({ ipaCode: ipa, name: 'Comune di Rovereto' });
  });
  afterAll(() => h?.teardown());

  const comune = () => h.as('staff').get(`/comuni/${ipa}`);

  it('answers from the workflow while it responds in time, saying as of when', async () => {
    const first = (await comune().expect(200)).body;
    expect(first.freshness.source).toBe('workflow');
    expect(first.stage).toBe('adhesion_check');
    const again = (await comune().expect(200)).body;
    expect(again.freshness).toEqual({ source: 'workflow', asOf: expect.any(String) });
    expect(Date.parse(again.freshness.asOf)).toBeGreaterThanOrEqual(Date.parse(first.freshness.asOf));
    // The steps the caller may take are the model's, computed on that state.
    expect(again.availableSteps.map((s: { id: string }) => s.id)).toContain('recordAdhesion');

    // A step's answer is the page's state at once, and the page follows the journey.
    const step = await h.as('staff').post(`/comuni/${ipa}/adhesion`).send({ adherent: true }).expect(200);
    expect(step.body.scenario).toBe('B');
    expect((await comune().expect(200)).body.scenario).toBe('B');
    await eventually(
      'the next stage',
      async () => (await comune().expect(200)).body,
      (b) => b.stage === 'delegation_requested',
    );
  });

  it('answers at once with the last known state when no worker answers (a query would wait), saying as of when', async () => {
    const before = (await comune().expect(200)).body;
    await h.stopWorker();
    const started = Date.now();
    const page = (await comune().expect(200)).body;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(page).toMatchObject({ stage: before.stage, freshness: { source: 'cache' } });
    expect(await h.as('staff').get('/comuni/c_x999').timeout(30_000)).toMatchObject({ status: 404 });
  });
});
