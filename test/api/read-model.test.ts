import fs from 'node:fs';
import path from 'node:path';
import type { ComuneState } from '../../contracts/comune';
import { askEveryJourneyToWrite } from '../../api/read-model-refresh';
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
    // The documents (a write in progress leaves its temporary file beside them for a moment).
    expect(
      fs
        .readdirSync(folder)
        .filter((name) => name.endsWith('.json'))
        .sort(),
    ).toEqual(['comune.json', 'facts.json', 'plan.json']);

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

  it('a journey without documents (started before 0.9.0, a folder deleted) is asked to write them, not queried', async () => {
    // Trento waits for its delegation: no task of its own would write its documents again.
    const folder = path.join(h.api.dir, 'read-model', ipa);
    fs.rmSync(folder, { recursive: true, force: true });
    // The page signals the journey and reads what that task writes: every document, changed or not.
    const page = await comune(ipa);
    expect(page.freshness.source).toBe('read-model');
    expect(
      fs
        .readdirSync(folder)
        .filter((name) => name.endsWith('.json'))
        .sort(),
    ).toEqual(['comune.json', 'facts.json', 'plan.json']);
    // One document missing alone: the plan behind a queued service's page, a started service's own document.
    fs.rmSync(path.join(folder, 'plan.json'));
    const queued = (await h.as('staff').get(`/comuni/${ipa}/services/tari`).expect(200)).body;
    expect(queued).toMatchObject({ started: false, freshness: { source: 'read-model' } });
    expect(fs.existsSync(path.join(folder, 'plan.json'))).toBe(true);
    const tariFile = path.join(h.api.dir, 'read-model', rovereto, 'service-tari.json');
    fs.rmSync(tariFile);
    const tari = await service('tari');
    expect(tari).toMatchObject({ status: 'in_review', started: true, freshness: { source: 'read-model' } });
    expect(fs.existsSync(tariFile)).toBe(true);
  });

  it('npm run read-model -- write asks every open journey to write its documents again', async () => {
    const root = path.join(h.api.dir, 'read-model');
    fs.rmSync(root, { recursive: true, force: true });
    const outcome = await askEveryJourneyToWrite(h.env.client);
    // Both Comuni, and Rovereto's started services (Trento's are not started).
    const running = await h.env.client.workflow.count(`ExecutionStatus = 'Running'`);
    expect(outcome).toEqual({ signalled: running.count, failed: 0 });
    const expected = [
      path.join(ipa, 'comune.json'),
      path.join(ipa, 'facts.json'),
      path.join(ipa, 'plan.json'),
      path.join(rovereto, 'comune.json'),
      path.join(rovereto, 'facts.json'),
      path.join(rovereto, 'plan.json'),
      path.join(rovereto, 'service-tari.json'),
    ];
    const files = await eventually(
      'the documents written again',
      async () => (fs.existsSync(root) ? fs.readdirSync(root, { recursive: true }).map(String) : []),
      // The two Comuni's journey, facts and plan, and one document per started service.
      (found) => found.filter((f) => f.endsWith('.json')).length === 6 + (running.count - 2),
    );
    expect(files).toEqual(expect.arrayContaining(expected));
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
