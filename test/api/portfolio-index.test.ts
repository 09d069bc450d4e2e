import fs from 'node:fs';
import path from 'node:path';
import { PortfolioIndex, portfolioReader } from '../../api/portfolio-index';
import { listComuni, type ComuneListItem, type ListFilters } from '../../api/portfolio';
import { createLogger } from '../../common/logger';
import { ReadModelStore } from '../../common/read-model-store';
import { comuneWorkflowId } from '../../contracts/ids';
import { startApiHarness, eventually, type ApiHarness } from './harness';

const SECOND_IN_DAYS = 1 / 86_400;

/**
 * #13: the portfolio (list, summary, inbox, funding, stalls) is read from the read model the worker writes, kept in
 * memory by the API's portfolio index, not read from visibility per request. The index must say what visibility
 * says: the same items, field by field, and the same Comuni for every filter, because both come from one journey
 * state through the same domain functions.
 */
describe('API: the portfolio index over the read model (dev server)', () => {
  let h: ApiHarness;
  const ipa = {
    trento: 'c_l378',
    rovereto: 'c_h330',
    pergine: 'c_g452',
    arco: 'c_a372',
    bolzano: 'c_a952',
  };

  beforeAll(async () => {
    h = await startApiHarness({ mock: { reviewPending: true } });
    await h.startComune({ ipaCode: ipa.trento, name: 'Comune di Trento' });
    await h.startComune({ ipaCode: ipa.rovereto, name: 'Comune di Rovereto' });
    await h.startComune({
      ipaCode: ipa.pergine,
      name: 'Comune di Pergine Valsugana',
      deadlineInDays: 2 * SECOND_IN_DAYS,
    });
    await h.startComune({ ipaCode: ipa.arco, name: 'Comune di Arco', deadlineInDays: 20 });
    await h.startComune({ ipaCode: ipa.bolzano, name: 'Comune di Bolzano', province: 'BZ' });
    await h.advanceToServices(ipa.rovereto);
    await h.as('staff').post(`/comuni/${ipa.trento}/adhesion`).send({ adherent: false }).expect(200);
    await h.comuneState(ipa.pergine, (s) => s.late);
  });
  afterAll(() => h?.teardown());

  const comparable = ({ workflowStatus: _status, ...item }: ComuneListItem) => item;
  const byIpa = <T extends { ipaCode: string }>(items: T[]) =>
    Object.fromEntries(
      [...items].sort((a, b) => a.ipaCode.localeCompare(b.ipaCode)).map((i) => [i.ipaCode, i]),
    );

  it('holds the same items as visibility, field by field, and the same Comuni for every filter', async () => {
    const index = portfolioReader(h.api.ctx);
    // Visibility lags the workflows: compare once both have settled on the same states.
    const settled = await eventually(
      'the index and visibility agreeing',
      async () => {
        const a = byIpa((await index.list({})).map(comparable));
        const b = byIpa((await listComuni(h.env.client, {})).map(comparable));
        // What differs, field by field: the failure shows it.
        const differences = [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((code) => {
          const x = (a[code] ?? {}) as Record<string, unknown>;
          const y = (b[code] ?? {}) as Record<string, unknown>;
          return [...new Set([...Object.keys(x), ...Object.keys(y)])]
            .filter((field) => JSON.stringify(x[field]) !== JSON.stringify(y[field]))
            .map((field) => ({ code, field, index: x[field], visibility: y[field] }));
        });
        return { items: Object.values(a), differences };
      },
      ({ items, differences }) => items.length === 5 && differences.length === 0,
    );
    const item = byIpa(settled.items);
    expect(item[ipa.pergine]).toMatchObject({ late: true, atRisk: true, stage: 'adhesion_check' });
    expect(item[ipa.arco]).toMatchObject({ late: false, atRisk: true });
    expect(item[ipa.trento]).toMatchObject({ atRisk: false, scenario: 'A' });
    expect(item[ipa.rovereto]?.serviceStatusCounts).toBeDefined();
    expect(item[ipa.rovereto]?.tasks?.length).toBeGreaterThan(0);
    expect(item[ipa.bolzano]).toMatchObject({ province: 'BZ', population: expect.any(Number) });

    const filters: ListFilters[] = [
      { stage: 'delegation_requested' },
      { province: 'BZ' },
      { scenario: 'A' },
      { atRisk: true },
      { atRisk: false },
      { late: true },
      { deadlineBefore: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10) },
      { q: 'pergine' },
      { q: ipa.rovereto },
      { province: 'TN', late: false },
    ];
    for (const filter of filters) {
      const ipas = async (list: Promise<ComuneListItem[]>) => (await list).map((i) => i.ipaCode).sort();
      expect({ filter, ipas: await ipas(index.list(filter)) }).toEqual({
        filter,
        ipas: await ipas(listComuni(h.env.client, filter)),
      });
    }
  });

  it('shows a step in the list within a second, saying it was read from the read model', async () => {
    await eventually(
      'Bolzano in the list',
      async () => (await h.as('manager').get('/comuni?q=bolzano').expect(200)).body,
      (b) => b.total === 1 && b.items[0].stage === 'adhesion_check',
    );
    await h.as('staff').post(`/comuni/${ipa.bolzano}/adhesion`).send({ adherent: true }).expect(200);
    const started = Date.now();
    const list = await eventually(
      'the step in the list',
      async () => (await h.as('manager').get('/comuni?q=bolzano').expect(200)).body,
      (b) => b.items[0].stage === 'delegation_requested',
      5_000,
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(list.freshness.source).toBe('read-model');
    expect(Math.abs(Date.parse(list.freshness.asOf) - Date.now())).toBeLessThan(5_000);
  });

  it('a rescan that finds every document unchanged keeps the lists already worked out', async () => {
    const index = new PortfolioIndex({
      store: h.api.ctx.readModel!,
      client: h.env.client,
      logger: createLogger('portfolio-index-test', 'silent'),
      defaultLadderDays: [],
      pollMs: 20,
      rescanMs: 40,
    });
    try {
      const first = await index.list({});
      expect(first.length).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 400)); // several full rescans, nothing written
      // The same array: no Comune filtered and sorted again (at 7,904 Comuni each rescan made every list request
      // redo it while the rescan lasted).
      expect(await index.list({})).toBe(first);
    } finally {
      await index.close();
    }
  });

  it('says a journey was terminated by hand, lists Comuni without documents from visibility, and asks them to write', async () => {
    const store = h.api.ctx.readModel!;
    const open = (options: { store?: ReadModelStore; askAfterStartMs?: number } = {}) =>
      new PortfolioIndex({
        store: options.store ?? store,
        client: h.env.client,
        logger: createLogger('portfolio-index-test', 'silent'),
        defaultLadderDays: [],
        pollMs: 50,
        reconcileMs: 200,
        ...(options.askAfterStartMs !== undefined ? { askAfterStartMs: options.askAfterStartMs } : {}),
      });
    const indexes: PortfolioIndex[] = [];
    try {
      const index = open();
      indexes.push(index);
      await h.env.client.workflow.getHandle(comuneWorkflowId(ipa.arco)).terminate('prova: chiuso a mano');
      const arco = await eventually(
        'Arco terminated in the index',
        async () => (await index.list({ q: 'arco' }))[0],
        (item) => item?.workflowStatus === 'TERMINATED',
      );
      expect(arco?.fundingAtRiskEur).toBeGreaterThan(0);

      // An index over a folder nobody writes (documents never written, a store moved): every Comune is listed as
      // visibility has it, the terminated one too.
      const empty = open({ store: new ReadModelStore(fs.mkdtempSync(path.join(h.api.dir, 'empty-'))) });
      indexes.push(empty);
      const fromVisibility = byIpa(await empty.list({}));
      expect(Object.keys(fromVisibility)).toEqual(Object.keys(byIpa(await index.list({}))));
      expect(fromVisibility[ipa.arco]?.workflowStatus).toBe('TERMINATED');
      expect(fromVisibility[ipa.trento]).toMatchObject({
        stage: 'delegation_requested',
        workflowStatus: 'RUNNING',
      });

      // Trento's documents deleted by hand: a new index lists it from visibility and asks the journey to write them.
      const folder = path.join(store.dir, ipa.trento);
      fs.rmSync(folder, { recursive: true, force: true });
      const asking = open({ askAfterStartMs: 0 });
      indexes.push(asking);
      expect((await asking.list({ q: 'trento' })).map((i) => i.stage)).toEqual(['delegation_requested']);
      await eventually(
        'Trento’s documents written again',
        async () =>
          fs.existsSync(path.join(folder, 'comune.json')) && fs.existsSync(path.join(folder, 'facts.json')),
        (written) => written,
      );
    } finally {
      await Promise.all(indexes.map((i) => i.close()));
    }
  });

  it('answers at once with no worker running', async () => {
    await h.stopWorker();
    const started = Date.now();
    const summary = (await h.as('manager').get('/portfolio/summary').expect(200)).body;
    const inbox = (await h.as('staff').get('/inbox').expect(200)).body;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(summary.comuni).toBe(5);
    expect(summary.freshness.source).toBe('read-model');
    expect(inbox.items.length).toBeGreaterThan(0);
  });
});
