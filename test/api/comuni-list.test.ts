import { eventually, problemFields, startApiHarness, type ApiHarness, type Caller } from './harness';

const SECOND_IN_DAYS = 1 / 86_400;

/**
 * The portfolio list over visibility: every filter, sort key and page, on five Comuni started in different
 * situations. Visibility is eventually consistent: each expectation polls until the list matches.
 */
describe('API: GET /comuni filters, sorting and pagination (dev server)', () => {
  let h: ApiHarness;
  let staff: Caller;
  const ipa = { arco: 'c_a001', bolzano: 'c_b002', cles: 'c_c003', dro: 'c_d004', egna: 'c_e005' };
  const byName = [ipa.arco, ipa.bolzano, ipa.cles, ipa.dro, ipa.egna];

  beforeAll(async () => {
    h = await startApiHarness();
    staff = h.as('staff');
    // Dro's deadline passes a few seconds from now: the escalation timer turns it late on the server's clock.
    await h.startComune({ ipaCode: ipa.dro, name: 'Comune di Dro', deadlineInDays: 8 * SECOND_IN_DAYS });
    await h.startComune({ ipaCode: ipa.arco, name: 'Comune di Arco' });
    await h.startComune({
      ipaCode: ipa.bolzano,
      name: 'Comune di Bolzano',
      province: 'BZ',
      deadlineInDays: 10,
    });
    await h.startComune({ ipaCode: ipa.cles, name: 'Comune di Cles', deadlineInDays: 1 });
    await h.startComune({ ipaCode: ipa.egna, name: 'Comune di Egna', province: 'BZ' });
    await staff.post(`/comuni/${ipa.arco}/adhesion`).send({ adherent: true }).expect(200);
    await staff
      .post(`/comuni/${ipa.bolzano}/adhesion`)
      .send({ adherent: false, note: 'nessuna adesione' })
      .expect(200);
  });
  afterAll(() => h?.teardown());

  const list = async (query: string) =>
    (await staff.get(`/comuni?${query}`).expect(200)).body as {
      total: number;
      limit: number;
      offset: number;
      items: { ipaCode: string; [key: string]: unknown }[];
    };
  const codes = async (query: string) => (await list(query)).items.map((i) => i.ipaCode);
  const expectList = async (query: string, expected: string[]) => {
    const same = (v: string[]) => JSON.stringify(v) === JSON.stringify(expected);
    expect(await eventually(`GET /comuni?${query}`, () => codes(query), same)).toEqual(expected);
  };

  it('lists every Comune with its attributes, by name by default', async () => {
    await expectList('stage=delegation_requested', [ipa.arco, ipa.bolzano]);
    await expectList('', byName);
    const arco = (await list('q=arco')).items[0];
    expect(arco).toEqual({
      ipaCode: ipa.arco,
      name: 'Comune di Arco',
      province: 'TN',
      stage: 'delegation_requested',
      scenario: 'B',
      deadline: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      stageSince: expect.any(String),
      servicesActive: 0,
      servicesTotal: 5,
      atRisk: false,
      late: false,
      fundingAtRiskEur: 5 * 1_099,
      fundingSecuredEur: 0,
      fundingLostEur: 0,
      serviceStatusCounts: { pending: 5 },
      fiscalCode: '00355870221',
      workflowStatus: 'RUNNING',
      workflowId: `comune:${ipa.arco}`,
    });
  });

  it('searches names without regard to case or accents, abbreviations included, and by IPA or fiscal code', async () => {
    await expectList('q=ARCO', [ipa.arco]);
    await expectList('q=c.%20di%20arco', [ipa.arco]);
    await expectList(`q=${ipa.egna.toUpperCase()}`, [ipa.egna]);
    // The fixtures' Comuni share one fiscal code: it finds them all, and no other text does.
    await expectList('q=00355870221', byName);
    await expectList('q=0035587022', []);
  });

  it('filters by stage, province and scenario', async () => {
    await expectList('stage=adhesion_check', [ipa.cles, ipa.dro, ipa.egna]);
    await expectList('stage=completed', []);
    await expectList('province=TN', [ipa.arco, ipa.cles, ipa.dro]);
    await expectList('province=bz', [ipa.bolzano, ipa.egna]);
    await expectList('scenario=A', [ipa.bolzano]);
    await expectList('scenario=B', [ipa.arco]);
    await expectList('province=TN&stage=adhesion_check', [ipa.cles, ipa.dro]);
  });

  it('filters the Comuni at risk, and the late one once its deadline has passed', async () => {
    await expectList('atRisk=true', [ipa.bolzano, ipa.cles, ipa.dro]);
    await expectList('atRisk=false', [ipa.arco, ipa.egna]);
    await expectList('late=true', [ipa.dro]);
    await expectList('late=false', [ipa.arco, ipa.bolzano, ipa.cles, ipa.egna]);
    const dro = await h.comuneState(ipa.dro);
    expect(dro.late).toBe(true);
    expect(dro.timeline.map((t) => t.step)).toContain('Scadenza superata: Comune in ritardo');
    expect(dro.funding).toMatchObject({ securedEur: 0, atRiskEur: 0, lostEur: 5 * 1_099 });
  });

  it('filters by deadline and searches names and IPA codes', async () => {
    const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    await expectList(`deadlineBefore=${inDays(30)}`, [ipa.bolzano, ipa.cles, ipa.dro]);
    await expectList(`deadlineBefore=${inDays(5)}`, [ipa.cles, ipa.dro]);
    await expectList(`deadlineBefore=${inDays(365)}`, byName);
    expect(await codes('q=BOLZ')).toEqual([ipa.bolzano]);
    expect(await codes('q=comune%20di%20e')).toEqual([ipa.egna]);
    expect(await codes(`q=${ipa.cles}`)).toEqual([ipa.cles]);
    expect(await codes('q=milano')).toEqual([]);
    expect(await codes('q=c&province=BZ&atRisk=true')).toEqual([ipa.bolzano]);
  });

  it('sorts by name and deadline, both ways', async () => {
    await expectList('', byName);
    expect(await codes('sort=name&order=desc')).toEqual([...byName].reverse());
    const byDeadline = [ipa.dro, ipa.cles, ipa.bolzano, ipa.arco, ipa.egna];
    expect(await codes('sort=deadline')).toEqual(byDeadline);
    expect(await codes('sort=deadline&order=desc')).toEqual([...byDeadline].reverse());
    const deadlines = (await list('sort=deadline')).items.map((i) => Date.parse(i.deadline as string));
    expect(deadlines).toEqual([...deadlines].sort((a, b) => a - b));
  });

  it('pages with limit and offset, the total counting every match', async () => {
    await expectList('', byName);
    expect(await list('limit=2&offset=1')).toMatchObject({
      total: 5,
      limit: 2,
      offset: 1,
      items: [{ ipaCode: ipa.bolzano }, { ipaCode: ipa.cles }],
    });
    expect(await codes('limit=2&offset=4')).toEqual([ipa.egna]);
    expect(await list('limit=2&offset=10')).toMatchObject({ total: 5, items: [] });
    expect(await list('')).toMatchObject({ limit: 50, offset: 0 });
  });

  it('refuses invalid filters with 400, naming the field', async () => {
    const cases: [string, string][] = [
      ['stage=finished', 'query.stage'],
      ['province=TRE', 'query.province'],
      ['scenario=C', 'query.scenario'],
      ['atRisk=yes', 'query.atRisk'],
      ['late=1', 'query.late'],
      ['deadlineBefore=31/12/2026', 'query.deadlineBefore'],
      ['q=', 'query.q'],
      ['sort=population', 'query.sort'],
      ['order=up', 'query.order'],
      ['limit=0', 'query.limit'],
      ['limit=501', 'query.limit'],
      ['offset=-1', 'query.offset'],
    ];
    for (const [query, field] of cases) {
      const res = await staff.get(`/comuni?${query}`);
      expect({ query, status: res.status, fields: problemFields(res) }).toEqual({
        query,
        status: 400,
        fields: [field],
      });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });
});
