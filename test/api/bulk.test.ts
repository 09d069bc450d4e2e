import {
  completedJob,
  eventually,
  problemFields,
  startApiHarness,
  type ApiHarness,
  type Caller,
} from './harness';

/**
 * Bulk actions over HTTP: reminders and deadline moves for every open Comune a filter selects, run as background
 * jobs (the bulk-job workflow and its activity on the API's task queue) and followed by polling.
 */
describe('API: bulk reminders and deadline moves (dev server)', () => {
  let h: ApiHarness;
  let manager: Caller;
  const ipa = { ala: 'c_a116', avio: 'c_a520', cembra: 'c_b006', trento: 'c_l378', bolzano: 'c_a952' };

  beforeAll(async () => {
    h = await startApiHarness();
    manager = h.as('manager');
    await h.startComune({ ipaCode: ipa.ala, name: 'Comune di Ala' });
    await h.startComune({ ipaCode: ipa.avio, name: 'Comune di Avio' });
    await h.startComune({ ipaCode: ipa.cembra, name: 'Comune di Cembra' });
    await h.startComune({ ipaCode: ipa.trento, name: 'Comune di Trento' });
    await h.startComune({ ipaCode: ipa.bolzano, name: 'Comune di Bolzano', province: 'BZ' });
    await h.as('staff').post(`/comuni/${ipa.cembra}/adhesion`).send({ adherent: true }).expect(200);
    await manager.post(`/comuni/${ipa.trento}/withdraw`).send({ reason: 'Il Comune rinuncia' }).expect(200);
    // The filters read visibility: wait until it shows every Comune in its stage.
    const expected = [
      `${ipa.ala}:adhesion_check`,
      `${ipa.avio}:adhesion_check`,
      `${ipa.cembra}:delegation_requested`,
      `${ipa.trento}:withdrawn`,
    ].join();
    await eventually(
      'the Comuni of Trento settled in visibility',
      async () =>
        (
          (await manager.get('/comuni?province=TN&sort=name').expect(200)).body.items as {
            ipaCode: string;
            stage: string;
          }[]
        )
          .map((i) => `${i.ipaCode}:${i.stage}`)
          .join(),
      (list) => list === expected,
    );
  });
  afterAll(() => h?.teardown());

  it('reminds every open Comune of a province, skipping with their reason those not waiting on the Comune', async () => {
    const res = await manager
      .post('/bulk/reminders')
      .send({ filter: { province: 'TN' } })
      .expect(202);
    expect(res.body).toEqual({ jobId: expect.stringMatching(/^[0-9A-Z]{26}$/), kind: 'remind', total: 3 });

    const job = await completedJob(manager, `/bulk/remind/${res.body.jobId}`);
    expect(job).toMatchObject({
      kind: 'remind',
      total: 3,
      processed: 3,
      applied: 1,
      skipped: 2,
      failed: 0,
      rejectedCount: 0,
    });
    const notWaiting = expect.stringMatching(
      /^«Inviare un sollecito» non è possibile ora: il Comune è nella fase «Verifica adesione»/,
    );
    expect((job.errors as { item: string }[]).sort((a, b) => a.item.localeCompare(b.item))).toEqual([
      { item: ipa.ala, message: notWaiting },
      { item: ipa.avio, message: notWaiting },
    ]);
    const cembra = await h.comuneState(ipa.cembra, (s) => s.reminders.total === 1);
    expect(cembra.timeline.at(-1)).toMatchObject({
      step: 'Sollecito richiesto',
      actor: 'manager:test-manager',
    });
    expect((await h.comuneState(ipa.bolzano)).timeline.map((t) => t.step)).not.toContain(
      'Sollecito richiesto',
    );

    expect((await manager.get(`/bulk/move_deadline/${res.body.jobId}`).expect(404)).body.title).toBe(
      'Job non trovato',
    );
    expect((await manager.get(`/imports/${res.body.jobId}`).expect(404)).body.title).toBe('Job non trovato');
  });

  it('moves the deadline of every open Comune a filter selects', async () => {
    const before = await h.comuneState(ipa.cembra);
    const res = await manager
      .post('/bulk/deadline')
      .send({
        filter: { province: 'tn', stage: 'adhesion_check' },
        deadline: '2027-06-30',
        reason: 'proroga concessa dal Dipartimento',
      })
      .expect(202);
    expect(res.body).toMatchObject({ kind: 'move_deadline', total: 2 });

    const job = await completedJob(manager, `/bulk/move_deadline/${res.body.jobId}`);
    expect(job).toMatchObject({ total: 2, applied: 2, skipped: 0, failed: 0, errors: [] });
    for (const code of [ipa.ala, ipa.avio]) {
      const state = await h.comuneState(code);
      expect(state.deadline).toBe('2027-06-30T23:59:59+02:00');
      expect(state.timeline.at(-1)).toMatchObject({
        step: 'Scadenza spostata',
        actor: 'manager:test-manager',
      });
    }
    expect((await h.comuneState(ipa.cembra)).deadline).toBe(before.deadline);
    await eventually(
      'the moved deadlines in the list',
      async () =>
        (await manager.get('/comuni?deadlineBefore=2027-07-01').expect(200)).body.items.map(
          (i: { ipaCode: string }) => i.ipaCode,
        ),
      (codes: string[]) => codes.join() === [ipa.ala, ipa.avio].join(),
    );
  });

  it('refuses a filter that selects no open Comune (422) and malformed requests (400)', async () => {
    const none = await manager
      .post('/bulk/reminders')
      .send({ filter: { province: 'RM' } })
      .expect(422);
    expect(none.body).toMatchObject({ status: 422, title: 'Nessun Comune nel filtro' });
    const withdrawn = await manager
      .post('/bulk/reminders')
      .send({ filter: { stage: 'withdrawn' } })
      .expect(422);
    expect(withdrawn.body.title).toBe('Nessun Comune nel filtro');

    const cases: [string, object, string[]][] = [
      ['/bulk/reminders', { filter: { stage: 'archiviato' } }, ['body.filter.stage']],
      ['/bulk/reminders', { filter: { atRisk: true } }, ['body.filter.atRisk']],
      ['/bulk/deadline', { filter: {}, deadline: '31/12/2027', reason: 'proroga' }, ['body.deadline']],
      ['/bulk/deadline', { filter: {}, deadline: '2027-12-31' }, ['body.reason']],
    ];
    for (const [path, body, fields] of cases) {
      const res = await manager.post(path).send(body);
      expect({ path, body, status: res.status, fields: problemFields(res) }).toEqual({
        path,
        body,
        status: 400,
        fields,
      });
    }
    const jobId = '01JCQ6V9M4W5Y6Z7A8B9C0D1E2';
    expect(problemFields(await manager.get(`/bulk/import/${jobId}`).expect(400))).toEqual(['params.kind']);
    expect(problemFields(await manager.get('/bulk/remind/42').expect(400))).toEqual(['params.jobId']);
    expect((await manager.get(`/bulk/remind/${jobId}`).expect(404)).body.title).toBe('Job non trovato');
  });
});
