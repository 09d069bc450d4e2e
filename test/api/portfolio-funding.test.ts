import type { components } from '../../api/console/api-types';
import type { comuneWorkflow } from '../../workflows/comune.workflow';
import { comuneWorkflowId } from '../../contracts/ids';
import { catalogue } from '../../domain/catalogue';
import { populationBands } from '../../domain/funding';
import { comuneInput } from '../support/fixtures';
import { eventually, problemFields, startApiHarness, type ApiHarness, type Caller } from './harness';

const SECOND_IN_DAYS = 1 / 86_400;
const rate = (id: string) => populationBands.find((b) => b.id === id)!.eurPerService;

interface Figures {
  comuni: number;
  servicesActive: number;
  servicesTotal: number;
  servicesFunded: number;
  securedEur: number;
  atRiskEur: number;
  lostEur: number;
}
interface FundingReport {
  bands: (Figures & { id: string; label: string; eurPerService: number; minimumServices: number })[];
  unassigned?: Figures & { label: string };
  totals: Figures;
}

/** The CSV's cells, unquoted. */
const cells = (line: string) => line.split(';').map((c) => c.replace(/^"|"$/g, '').replace(/""/g, '"'));

/**
 * The funding report (issue #14) over a mixed portfolio: Comuni of five population bands, one completed with its
 * services approved, one with some services active (the others rejected by PagoPA), one past its deadline, two
 * waiting for the adhesion check, one of them started without the start memo (before the report existed). Its
 * totals are the dashboard summary's funding to the euro, the CSV says what the JSON says, and it filters like the
 * list.
 */
describe('API: funding report by population band (dev server)', () => {
  let h: ApiHarness;
  let manager: Caller;
  /** Services PagoPA rejects from now on (by name): the partly active Comune's last three. */
  const rejected = new Set<string>();
  const ipa = {
    ala: 'c_a116', // 4,000 inhabitants: completed, 3 services approved
    avio: 'c_a520', // 30,000: 2 services of 5 active, 3 rejected
    besenello: 'c_a821', // 10,000 (BZ): past its deadline
    cembra: 'c_b006', // 117,417: adhesion check
    dro: 'c_d371', // 4,500: adhesion check, started without the start memo
    roma: 'c_h501', // 2,800,000 (RM): adhesion check
  };

  beforeAll(async () => {
    h = await startApiHarness({
      mock: {
        review: (name) =>
          rejected.has(name)
            ? { outcome: 'rejected', reason: 'Descrizione incompleta' }
            : { outcome: 'approved' },
      },
    });
    manager = h.as('manager');
    await h.startComune({ ipaCode: ipa.ala, name: 'Comune di Ala', population: 4_000, services: 3 });
    await h.startComune({ ipaCode: ipa.avio, name: 'Comune di Avio', population: 30_000, services: 5 });
    await h.startComune({
      ipaCode: ipa.besenello,
      name: 'Comune di Besenello',
      province: 'BZ',
      population: 10_000,
      services: 3,
      deadlineInDays: 3 * SECOND_IN_DAYS,
    });
    await h.startComune({ ipaCode: ipa.cembra, name: 'Comune di Cembra' });
    await h.startComune({
      ipaCode: ipa.roma,
      name: 'Comune di Roma',
      province: 'RM',
      population: 2_800_000,
      services: 5,
    });
    // As a journey started before the report: no start memo, so its population is read from its start event.
    await h.env.client.workflow.start<typeof comuneWorkflow>('comuneWorkflow', {
      taskQueue: h.api.ctx.taskQueue,
      workflowId: comuneWorkflowId(ipa.dro),
      args: [comuneInput({ ipaCode: ipa.dro, name: 'Comune di Dro', population: 4_500, services: 3 })],
    });

    await h.advanceToServices(ipa.ala);
    await h.comuneState(ipa.ala, (s) => s.stage === 'completed');
    for (const entry of catalogue.slice(2, 5)) rejected.add(entry.service_name);
    await h.advanceToServices(ipa.avio);
    await h.comuneState(
      ipa.avio,
      (s) => s.servicesActive === 2 && s.services.filter((x) => x.status === 'rejected').length === 3,
    );
    await h.comuneState(ipa.besenello, (s) => s.late);
    // Visibility is eventually consistent: every view below reads it.
    await eventually(
      'the six Comuni settled in visibility',
      async () =>
        (
          (await manager.get('/comuni').expect(200)).body.items as {
            ipaCode: string;
            stage: string;
            late: boolean;
            servicesActive: number;
          }[]
        ).map((i) => `${i.ipaCode}:${i.stage}:${i.late}:${i.servicesActive}`),
      (list) =>
        list.join() ===
        [
          `${ipa.ala}:completed:false:3`,
          `${ipa.avio}:services:false:2`,
          `${ipa.besenello}:adhesion_check:true:0`,
          `${ipa.cembra}:adhesion_check:false:0`,
          `${ipa.dro}:adhesion_check:false:0`,
          `${ipa.roma}:adhesion_check:false:0`,
        ].join(),
    );
  });
  afterAll(() => h?.teardown());

  const report = async (query = '') =>
    (await manager.get(`/portfolio/funding${query}`).expect(200)).body as FundingReport & {
      freshness: { source: string };
    };

  it('totals the funding by population band, to the euro of the dashboard summary', async () => {
    const summary = (await manager.get('/portfolio/summary').expect(200)).body as {
      comuni: number;
      services: { active: number; total: number };
      funding: { securedEur: number; atRiskEur: number; lostEur: number };
    };
    const funding = await report();
    expect(funding.freshness.source).toBe('read-model');

    const expected = {
      securedEur: 3 * rate('a') + 2 * rate('c'),
      atRiskEur: 3 * rate('a') + 3 * rate('c') + 5 * rate('d') + 5 * rate('e'),
      lostEur: 3 * rate('b'),
    };
    expect(summary.funding).toEqual(expected);
    expect(funding.totals).toEqual({
      comuni: summary.comuni,
      servicesActive: summary.services.active,
      servicesTotal: summary.services.total,
      servicesFunded: summary.services.total,
      ...summary.funding,
    });
    expect(funding.unassigned).toBeUndefined();

    const row = (
      comuni: number,
      active: number,
      total: number,
      secured: number,
      atRisk: number,
      lost: number,
    ) => ({
      comuni,
      servicesActive: active,
      servicesTotal: total,
      servicesFunded: total,
      securedEur: secured,
      atRiskEur: atRisk,
      lostEur: lost,
    });
    expect(funding.bands).toEqual([
      // Ala (completed) and Dro (read from its start event).
      { ...band('a'), ...row(2, 3, 6, 3 * rate('a'), 3 * rate('a'), 0) },
      // Besenello, past its deadline: all it had not secured is lost.
      { ...band('b'), ...row(1, 0, 3, 0, 0, 3 * rate('b')) },
      // Avio: two services active, three rejected and still in time.
      { ...band('c'), ...row(1, 2, 5, 2 * rate('c'), 3 * rate('c'), 0) },
      { ...band('d'), ...row(1, 0, 5, 0, 5 * rate('d'), 0) },
      { ...band('e'), ...row(1, 0, 5, 0, 5 * rate('e'), 0) },
    ]);
    // The bands add up to the totals.
    for (const key of ['comuni', 'securedEur', 'atRiskEur', 'lostEur'] as const) {
      expect(funding.bands.reduce((sum, b) => sum + b[key], 0)).toBe(funding.totals[key]);
    }
  });

  function band(id: string) {
    const b = populationBands.find((x) => x.id === id)!;
    return { id: b.id, label: b.label, eurPerService: b.eurPerService, minimumServices: b.minimumServices };
  }

  it('exports one row per Comune and the summary by band as CSV, saying what the JSON says', async () => {
    const res = await manager.get('/portfolio/funding.csv').expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="report-fondi-comuni-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(res.text.startsWith('\ufeff"Codice IPA";')).toBe(true);
    const [comuniPart, bandsPart] = res.text.replace(/^\ufeff/, '').split('\r\n\r\n');
    const [header, ...rows] = comuniPart!.split('\r\n').map(cells);
    expect(header).toEqual([
      'Codice IPA',
      'Comune',
      'Provincia',
      'Abitanti',
      'Fascia di popolazione',
      'Fase',
      'Scadenza',
      'Completato il',
      'Servizi attivi',
      'Servizi totali',
      'Servizi finanziabili (max 50)',
      'Importo per servizio (EUR)',
      'Fondi ottenuti (EUR)',
      'Fondi a rischio (EUR)',
      'Fondi persi (EUR)',
      'In ritardo',
    ]);
    expect(rows.map((r) => r[0])).toEqual([ipa.ala, ipa.avio, ipa.besenello, ipa.cembra, ipa.dro, ipa.roma]);
    const byCode = Object.fromEntries(rows.map((r) => [r[0], r]));
    expect(byCode[ipa.ala]).toEqual([
      ipa.ala,
      'Comune di Ala',
      'TN',
      '4000',
      'fino a 5.000 abitanti',
      'Completato',
      expect.stringMatching(/^\d{4}-\d\d-\d\d$/),
      new Date().toISOString().slice(0, 10),
      '3',
      '3',
      '3',
      String(rate('a')),
      String(3 * rate('a')),
      '0',
      '0',
      'no',
    ]);
    expect(byCode[ipa.besenello]).toEqual([
      ipa.besenello,
      'Comune di Besenello',
      'BZ',
      '10000',
      '5.001 - 20.000 abitanti',
      'Verifica adesione',
      expect.stringMatching(/^\d{4}-\d\d-\d\d$/),
      '',
      '0',
      '3',
      '3',
      String(rate('b')),
      '0',
      '0',
      String(3 * rate('b')),
      'sì',
    ]);
    expect(byCode[ipa.dro]!.slice(3, 5)).toEqual(['4500', 'fino a 5.000 abitanti']);

    // Each row's euros are the list's, and by band they add up to the JSON's bands.
    const list = (await manager.get('/comuni?limit=500').expect(200)).body.items as {
      ipaCode: string;
      fundingSecuredEur: number;
      fundingAtRiskEur: number;
      fundingLostEur: number;
    }[];
    for (const item of list) {
      expect(byCode[item.ipaCode]!.slice(12, 15).map(Number)).toEqual([
        item.fundingSecuredEur,
        item.fundingAtRiskEur,
        item.fundingLostEur,
      ]);
    }
    const json = await report();
    for (const b of json.bands) {
      const inBand = rows.filter((r) => r[4] === b.label);
      const sum = (col: number) => inBand.reduce((s, r) => s + Number(r[col]), 0);
      expect([inBand.length, sum(8), sum(9), sum(10), sum(12), sum(13), sum(14)]).toEqual([
        b.comuni,
        b.servicesActive,
        b.servicesTotal,
        b.servicesFunded,
        b.securedEur,
        b.atRiskEur,
        b.lostEur,
      ]);
    }

    // The second part: the summary by band, as the JSON has it, and its total.
    const [title, bandHeader, ...bandRows] = bandsPart!.split('\r\n').map(cells);
    expect(title).toEqual(['Riepilogo per fascia di popolazione']);
    expect(bandHeader).toEqual([
      'Fascia di popolazione',
      'Importo per servizio (EUR)',
      'Comuni',
      'Servizi attivi',
      'Servizi totali',
      'Servizi finanziabili (max 50)',
      'Fondi ottenuti (EUR)',
      'Fondi a rischio (EUR)',
      'Fondi persi (EUR)',
    ]);
    const figures = (f: Figures) =>
      [
        f.comuni,
        f.servicesActive,
        f.servicesTotal,
        f.servicesFunded,
        f.securedEur,
        f.atRiskEur,
        f.lostEur,
      ].map(String);
    expect(bandRows).toEqual([
      ...json.bands.map((b) => [b.label, String(b.eurPerService), ...figures(b)]),
      ['Totale', '', ...figures(json.totals)],
    ]);
  });

  it('filters like the list, and names the bad filter in Italian', async () => {
    const roma = await report('?province=rm');
    expect(roma.totals).toMatchObject({ comuni: 1, atRiskEur: 5 * rate('e'), securedEur: 0, lostEur: 0 });
    expect(roma.bands.find((b) => b.id === 'e')!.comuni).toBe(1);
    expect(roma.bands.filter((b) => b.id !== 'e').every((b) => b.comuni === 0)).toBe(true);

    const late = await report('?late=true');
    expect(late.totals).toMatchObject({ comuni: 1, lostEur: 3 * rate('b'), atRiskEur: 0, securedEur: 0 });
    expect((await report('?stage=completed')).totals).toMatchObject({ comuni: 1, securedEur: 3 * rate('a') });
    expect((await report('?q=avio')).bands.find((b) => b.id === 'c')!.securedEur).toBe(2 * rate('c'));

    const csv = (await manager.get('/portfolio/funding.csv?late=true').expect(200)).text;
    const [comuniPart] = csv.replace(/^\ufeff/, '').split('\r\n\r\n');
    expect(
      comuniPart!
        .split('\r\n')
        .slice(1)
        .map((l) => cells(l)[0]),
    ).toEqual([ipa.besenello]);

    for (const path of ['/portfolio/funding', '/portfolio/funding.csv']) {
      const bad = await manager.get(`${path}?stage=archiviato&late=forse`).expect(400);
      expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(problemFields(bad).sort()).toEqual(['query.late', 'query.stage']);
    }
    await h.as('staff').get('/portfolio/funding').expect(403);
  });

  it('tells managers where journeys stall: each stage now and the time spent in it, by whom it waits on', async () => {
    type StallReport = components['schemas']['StallReport'];
    const stalls = (query = '') =>
      manager
        .get(`/portfolio/stalls${query}`)
        .expect(200)
        .then((r) => r.body as StallReport);
    const all = await stalls();
    expect(all.freshness.source).toBe('read-model');
    expect(all.comuni).toBe(6);
    const stage = (id: string) => all.stages.find((s) => s.stage === id)!;
    // Only the stages a journey can wait in, in the journey's order, with the model's labels and parties.
    expect(all.stages.map((s) => s.stage)).toEqual([
      'adhesion_check',
      'delegation_requested',
      'awaiting_signed_form',
      'io_access',
      'services',
    ]);
    expect(stage('delegation_requested')).toMatchObject({ waitsOn: 'comune', waitsOnLabel: 'Comune' });
    expect(stage('services').label).toBe('Servizi in lavorazione');

    // Now: four Comuni wait for the adhesion check, Avio in its services; Ala is completed and waits on nobody.
    expect(all.stages.map((s) => s.now.comuni)).toEqual([4, 0, 0, 0, 1]);
    expect(stage('services').now.longest).toMatchObject({ ipaCode: ipa.avio, name: 'Comune di Avio' });
    // The funding still to obtain of the Comuni in each stage adds up to the dashboard's (Besenello's is lost).
    const summary = (await manager.get('/portfolio/summary').expect(200)).body as {
      funding: { atRiskEur: number };
    };
    expect(all.stages.reduce((sum, s) => sum + s.now.fundingAtRiskEur, 0)).toBe(summary.funding.atRiskEur);
    expect(stage('services').now.fundingAtRiskEur).toBe(3 * rate('c'));
    // Minutes old, nobody is stalled yet.
    expect(all.stalledAfterDays).toBe(30);
    expect(all.stages.every((s) => s.now.stalled === 0)).toBe(true);

    // Spent: Ala and Avio went through every stage up to the services; every journey keeps its stage times.
    expect(all.withoutStageHistory).toBe(0);
    for (const id of ['delegation_requested', 'awaiting_signed_form', 'io_access']) {
      expect(stage(id).spent.comuni).toBe(2);
    }
    expect(stage('adhesion_check').spent.comuni).toBe(6);
    expect(stage('services').spent.comuni).toBe(2);
    // The days by party are the stages' days added up by whom each stage waits on.
    const byStages = (party: string) =>
      all.stages.filter((s) => s.waitsOn === party).reduce((sum, s) => sum + s.spent.totalDays, 0);
    for (const p of all.byParty) expect(p.days).toBeCloseTo(byStages(p.party), 0);
    expect(all.byParty.map((p) => p.party).slice(0, 3)).toEqual(['comune', 'staff', 'pagopa']);
    // Avio's three rejected services wait on staff to correct them (its memo is read from visibility: eventually).
    await eventually(
      'the rejected services in visibility',
      async () => (await stalls()).servicesWaitingOn.find((p) => p.party === 'staff')!.services,
      (n) => n === 3,
    );

    // Filtered like the list; bad filters are named; managers only.
    const roma = await stalls('?province=rm');
    expect(roma.comuni).toBe(1);
    expect(roma.stages.map((s) => s.now.comuni)).toEqual([1, 0, 0, 0, 0]);
    const bad = await manager.get('/portfolio/stalls?stage=archiviato').expect(400);
    expect(problemFields(bad)).toEqual(['query.stage']);
    await h.as('staff').get('/portfolio/stalls').expect(403);
  });
});
