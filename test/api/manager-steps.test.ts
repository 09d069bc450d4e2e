import { eventually, problemFields, startApiHarness, type ApiHarness, type Caller } from './harness';

/** The manager's steps over HTTP: moving the deadline, reminding the Comune now, withdrawing it. */
describe('API: manager steps (dev server)', () => {
  let h: ApiHarness;
  let manager: Caller;
  const mori = 'c_f728';
  const nago = 'c_f837';

  beforeAll(async () => {
    h = await startApiHarness();
    manager = h.as('manager');
    await h.startComune({ ipaCode: mori, name: 'Comune di Mori' });
    await h.startComune({ ipaCode: nago, name: 'Comune di Nago-Torbole' });
  });
  afterAll(() => h?.teardown());

  const moveDeadline = (ipa: string, body: object) => manager.post(`/comuni/${ipa}/deadline`).send(body);
  const reason = 'proroga concessa dal Dipartimento';

  it('refuses a malformed deadline move with 400, naming the fields', async () => {
    const cases: [object, string[]][] = [
      [{ deadline: '2027-06-30' }, ['body.reason']],
      [{ deadline: '2027-06-30', reason: 'ok' }, ['body.reason']],
      [{ deadline: '30/06/2027', reason }, ['body.deadline']],
      [{ deadline: '2027-06-30T12:00:00', reason }, ['body.deadline']],
      [{ reason }, ['body.deadline']],
      [{}, ['body.deadline', 'body.reason']],
    ];
    for (const [body, fields] of cases) {
      const res = await moveDeadline(mori, body);
      expect({ body, status: res.status, fields: problemFields(res).sort() }).toEqual({
        body,
        status: 400,
        fields,
      });
    }
    expect((await h.comuneState(mori)).timeline.map((t) => t.step)).toEqual(['Percorso avviato']);
  });

  it('moves the deadline to the end of a day in Italy, or to an exact instant', async () => {
    const summer = await moveDeadline(mori, { deadline: '2027-06-30', reason }).expect(200);
    expect(summer.body.deadline).toBe('2027-06-30T23:59:59+02:00');
    expect(summer.body.timeline.at(-1)).toMatchObject({
      step: 'Scadenza spostata',
      actor: 'manager:test-manager',
      detail: expect.stringMatching(/→ 2027-06-30T23:59:59\+02:00: proroga concessa dal Dipartimento$/),
    });
    const winter = await moveDeadline(mori, { deadline: '2027-01-31', reason }).expect(200);
    expect(winter.body.deadline).toBe('2027-01-31T23:59:59+01:00');

    const instant = '2027-03-15T12:00:00+01:00';
    await moveDeadline(mori, { deadline: instant, reason }).expect(200);
    expect((await h.comuneState(mori)).deadline).toBe(instant);
    const same = await moveDeadline(mori, { deadline: instant, reason }).expect(409);
    expect(same.body.detail).toBe('La nuova scadenza è uguale a quella attuale.');
    await eventually(
      'the new deadline in the list',
      async () => (await manager.get(`/comuni?q=${mori}`).expect(200)).body.items[0]?.deadline,
      (deadline) => deadline === new Date(instant).toISOString(),
    );
  });

  it('turns a Comune late when its deadline is moved into the past, and back when moved ahead', async () => {
    await moveDeadline(mori, { deadline: '2026-01-15', reason: 'data del contratto originale' }).expect(200);
    const late = await h.comuneState(mori, (s) => s.late);
    expect(late.funding).toMatchObject({ atRiskEur: 0, lostEur: 5 * 1_099 });
    await eventually(
      'Mori listed as late',
      async () =>
        (await manager.get('/comuni?late=true').expect(200)).body.items.map(
          (i: { ipaCode: string }) => i.ipaCode,
        ),
      (codes) => codes.join() === mori,
    );
    await moveDeadline(mori, { deadline: '2027-09-30', reason }).expect(200);
    expect(await h.comuneState(mori, (s) => !s.late)).toMatchObject({
      deadline: '2027-09-30T23:59:59+02:00',
    });
  });

  it('sends a reminder now only while the Comune is the one to act', async () => {
    const early = await manager.post(`/comuni/${mori}/reminders`).send({}).expect(409);
    expect(early.body.detail).toMatch(
      /^«Inviare un sollecito» non è possibile ora: il Comune è nella fase «Verifica adesione»/,
    );

    await h.as('staff').post(`/comuni/${mori}/adhesion`).send({ adherent: true }).expect(200);
    await h.comuneState(mori, (s) => s.stage === 'delegation_requested');
    const reminded = await manager
      .post(`/comuni/${mori}/reminders`)
      .set('Idempotency-Key', 'sollecito-0001')
      .send({});
    expect(reminded.status).toBe(200);
    expect(reminded.body.timeline.at(-1)).toMatchObject({
      step: 'Sollecito richiesto',
      actor: 'manager:test-manager',
    });
    await manager
      .post(`/comuni/${mori}/reminders`)
      .set('Idempotency-Key', 'sollecito-0001')
      .send({})
      .expect(200);
    const state = await h.comuneState(mori, (s) => s.reminders.total === 1);
    expect(state.timeline.filter((t) => t.step === 'Sollecito richiesto')).toHaveLength(1);
    expect(state.reminders).toMatchObject({ sentInStage: 1, lastAt: expect.any(String) });
  });

  it('withdraws a Comune; afterwards every step is refused with 409', async () => {
    expect(problemFields(await manager.post(`/comuni/${nago}/withdraw`).send({}).expect(400))).toEqual([
      'body.reason',
    ]);
    expect(
      problemFields(await manager.post(`/comuni/${nago}/withdraw`).send({ reason: ' x ' }).expect(400)),
    ).toEqual(['body.reason']);

    const res = await manager
      .post(`/comuni/${nago}/withdraw`)
      .send({ reason: 'Il Comune rinuncia al finanziamento' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      stage: 'withdrawn',
      withdrawn: { by: 'manager:test-manager', reason: 'Il Comune rinuncia al finanziamento' },
    });
    const state = await h.comuneState(nago, (s) => s.services.every((x) => x.status === 'cancelled'));
    expect(state).toMatchObject({ stage: 'withdrawn', funding: { atRiskEur: 0, lostEur: 5 * 1_099 } });

    await eventually(
      'the withdrawn Comune in the list',
      async () => (await manager.get('/comuni?stage=withdrawn').expect(200)).body.items,
      (items: { ipaCode: string; workflowStatus: string }[]) =>
        items.length === 1 && items[0]!.ipaCode === nago && items[0]!.workflowStatus === 'FAILED',
    );
    for (const [path, body] of [
      ['withdraw', { reason: 'di nuovo' }],
      ['deadline', { deadline: '2027-12-31', reason }],
      ['reminders', {}],
    ] as const) {
      const refused = await manager.post(`/comuni/${nago}/${path}`).send(body);
      expect({ path, status: refused.status, title: refused.body.title }).toEqual({
        path,
        status: 409,
        title: 'Percorso concluso',
      });
    }
  });
  it('undoes a delegation recorded by mistake (manager, with a reason); staff may not', async () => {
    const ipa = 'c_u101';
    await h.startComune({ ipaCode: ipa, name: 'Comune di Ala' });
    await h.as('staff').post(`/comuni/${ipa}/adhesion`).send({ adherent: true }).expect(200);
    await h.comuneState(ipa, (s) => s.stage === 'delegation_requested');
    await h.as('staff').post(`/comuni/${ipa}/delegation`).send({}).expect(200);
    const waiting = await h.comuneState(ipa, (s) => s.stage === 'awaiting_signed_form');
    expect(
      (waiting as unknown as { availableSteps: { id: string }[] }).availableSteps.map((s) => s.id),
    ).not.toContain('undoStep'); // the staff's answer: undoing is a manager's step
    const body = { step: 'recordDelegationDone', reason: 'registrata sul Comune sbagliato' };
    await h.as('staff').post(`/comuni/${ipa}/undo`).send(body).expect(403);
    const bad = await manager.post(`/comuni/${ipa}/undo`).send({ step: 'recordSignedForm', reason: 'no' });
    expect({ status: bad.status, fields: problemFields(bad).sort() }).toEqual({
      status: 400,
      fields: ['body.reason', 'body.step'],
    });
    const undone = await manager.post(`/comuni/${ipa}/undo`).send(body).expect(200);
    expect(undone.body.timeline.map((t: { step: string }) => t.step)).toContain(
      'Annullata la delega registrata',
    );
    await h.comuneState(ipa, (s) => s.stage === 'delegation_requested' && !s.delegation.completedAt);
    const again = await manager.post(`/comuni/${ipa}/undo`).send(body).expect(409);
    expect(again.body.detail).toContain('Nessun passo registrato che si possa ancora annullare.');
  });
});
