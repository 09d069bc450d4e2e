import type { ServiceState } from '../../contracts/service';
import { comuneInput } from '../support/fixtures';
import { eventually, problemFields, startApiHarness, type ApiHarness, type Caller } from './harness';

/**
 * A service's detail and its staff steps over HTTP: the review outcome recorded by hand (the Comune tracks reviews
 * manually), the corrected card after a rejection, and the refusals when the service is not in the right status.
 */
describe('API: services of a Comune (dev server)', () => {
  let h: ApiHarness;
  let staff: Caller;
  const ipa = 'c_l378';
  const card = comuneInput().services[0]!.card;
  const tari = `/comuni/${ipa}/services/tari`;

  beforeAll(async () => {
    h = await startApiHarness();
    staff = h.as('staff');
    await h.startComune({ ipaCode: ipa, settings: { reviewTracking: 'manual' } });
    await h.advanceToServices(ipa);
  });
  afterAll(() => h?.teardown());

  const service = (accept: (s: ServiceState) => boolean) =>
    eventually(
      'the service tari',
      async () => (await staff.get(tari)).body as ServiceState & { temporalUiUrl: string },
      (s) => s.slug === 'tari' && accept(s),
    );

  it('shows a service: status, card, issues, review rounds and its Temporal UI link; 404 when unknown', async () => {
    const state = await service((s) => s.status === 'in_review');
    expect(state).toMatchObject({
      slug: 'tari',
      name: 'Tassa sui rifiuti (TARI)',
      card: { service_name: 'Tassa sui rifiuti (TARI)', organization_fiscal_code: '00355870221' },
      issues: [],
      rounds: [{ round: 1, submittedAt: expect.any(String) }],
      ioServiceId: expect.any(String),
      temporalUiUrl: `http://localhost:8233/namespaces/default/workflows/service%3A${ipa}%3Atari`,
    });
    expect(state.timeline.map((t) => t.step)).toContain('Servizio creato su IO');
    const comune = await h.comuneState(ipa, (s) => s.services.every((x) => x.status === 'in_review'));
    expect(comune.stage).toBe('services');
    // Reviews recorded by hand are not read on IO: the page does not offer the read, the API refuses it.
    expect(
      ((await staff.get(tari).expect(200)).body as { availableSteps: { id: string }[] }).availableSteps.map(
        (s) => s.id,
      ),
    ).not.toContain('checkReviewNow');
    expect((await staff.post(`${tari}/review-check`).send({}).expect(409)).body.detail).toBe(
      'Per questo servizio l’esito della revisione non viene letto su IO: si registra a mano.',
    );

    expect((await staff.get(`/comuni/${ipa}/services/biblioteca`).expect(404)).body.title).toBe(
      'Servizio non trovato',
    );
    expect(problemFields(await staff.get(`/comuni/${ipa}/services/TARI!`).expect(400))).toEqual([
      'params.slug',
    ]);
  });

  it('refuses a corrected card while the service is in review (409), and an invalid card (400)', async () => {
    const inReview = await staff.put(`${tari}/card`).send({ card }).expect(409);
    expect(inReview.body.detail).toBe(
      'La scheda si corregge quando è da correggere o rifiutata; ora il servizio è «In revisione PagoPA».',
    );
    const cases: [unknown, string[]][] = [
      [{ card: { ...card, topic_id: 99 } }, ['body.card.topic_id']],
      [{ card: { ...card, logo_ref: 'logo.png' } }, ['body.card.logo_ref']],
      [{ card: { ...card, service_name: undefined } }, ['body.card.service_name']],
      [{}, ['body.card']],
    ];
    for (const [body, fields] of cases) {
      const res = await staff.put(`${tari}/card`).send(body as object);
      expect({ status: res.status, fields: problemFields(res) }).toEqual({ status: 400, fields });
    }
  });

  it('records a rejection by hand, then refuses another outcome for a service no longer in review', async () => {
    expect(
      problemFields(await staff.post(`${tari}/review-outcome`).send({ outcome: 'forse' }).expect(400)),
    ).toEqual(['body.outcome']);
    const noReason = await staff.post(`${tari}/review-outcome`).send({ outcome: 'rejected' }).expect(400);
    expect(problemFields(noReason)).toEqual(['body.reason']);

    const reason = 'La descrizione non indica come pagare la TARI';
    await staff.post(`${tari}/review-outcome`).send({ outcome: 'rejected', reason }).expect(200);
    const rejected = await service((s) => s.status === 'rejected');
    expect(rejected.rounds[0]).toMatchObject({ outcome: 'rejected', reason, decidedBy: 'staff:test-staff' });
    const comune = await h.comuneState(ipa, (s) => s.services[0]!.status === 'rejected');
    expect(comune.missing).toContain(
      `Servizio «Tassa sui rifiuti (TARI)»: dati incompleti o incorretti: ${reason}`,
    );

    const inbox = await eventually(
      'the rejected service in the inbox',
      async () => (await staff.get('/inbox?status=rejected').expect(200)).body,
      (body) => body.total === 1,
    );
    expect(inbox.items[0]).toMatchObject({
      kind: 'service',
      ipaCode: ipa,
      comuneName: 'Comune di Trento',
      serviceSlug: 'tari',
      who: 'staff',
      action: expect.stringMatching(/motivo del rifiuto/),
      since: expect.any(String),
    });

    const again = await staff.post(`${tari}/review-outcome`).send({ outcome: 'approved' }).expect(409);
    expect(again.body.detail).toBe(
      'Un esito si registra solo per un servizio in revisione; ora è «Dati incompleti o incorretti».',
    );
  });

  it('lets a manager undo the rejection recorded by mistake: the service is back in review in the same round', async () => {
    const manager = h.as('manager');
    const before = await service((s) => s.status === 'rejected');
    const offered = (await manager.get(tari).expect(200)).body as {
      availableSteps: { id: string; path: string }[];
    };
    expect(offered.availableSteps).toContainEqual(
      expect.objectContaining({ id: 'undoReviewOutcome', path: `${tari}/review-outcome/undo` }),
    );
    expect(
      ((await staff.get(tari).expect(200)).body as typeof offered).availableSteps.map((s) => s.id),
    ).not.toContain('undoReviewOutcome');
    await staff.post(`${tari}/review-outcome/undo`).send({ reason: 'esito sbagliato' }).expect(403);
    expect(problemFields(await manager.post(`${tari}/review-outcome/undo`).send({}).expect(400))).toEqual([
      'body.reason',
    ]);
    expect((await service(() => true)).status).toBe('rejected');

    const undone = await manager
      .post(`${tari}/review-outcome/undo`)
      .set('Idempotency-Key', 'annulla-tari-0001')
      .send({ reason: 'esito letto sul servizio di un altro Comune' })
      .expect(200);
    expect(undone.body.status).toBe('in_review');
    expect(undone.body.rounds).toEqual([{ round: 1, submittedAt: before.rounds[0]!.submittedAt }]);
    expect(undone.body.timeline.at(-1)).toMatchObject({
      step: 'Rifiuto annullato',
      actor: 'manager:test-manager',
      detail: 'esito letto sul servizio di un altro Comune',
    });
    const comune = await h.comuneState(ipa, (s) => s.services[0]!.status === 'in_review');
    expect(comune.services[0]!.rejections).toEqual([]);

    const again = await manager.post(`${tari}/review-outcome/undo`).send({ reason: 'ancora' }).expect(409);
    expect(again.body.detail).toBe('Si annulla solo un rifiuto; ora il servizio è «In revisione PagoPA».');

    // The outcome PagoPA really gave is recorded again, and the journey goes on as before.
    const reason = 'La descrizione non indica come pagare la TARI';
    await staff.post(`${tari}/review-outcome`).send({ outcome: 'rejected', reason }).expect(200);
    await service((s) => s.status === 'rejected' && s.rounds[0]!.outcome === 'rejected');
  });

  it('accepts a corrected card only when it follows PagoPA’s rules, and the service goes back to review', async () => {
    const shouting = await staff
      .put(`${tari}/card`)
      .send({ card: { ...card, service_name: 'PAGA LA TARI' } })
      .expect(409);
    expect(shouting.body.detail).toMatch(
      /^La scheda corretta non rispetta ancora le regole PagoPA: service_name: /,
    );

    const description = `${card.description} Il pagamento si effettua con pagoPA direttamente dall’app.`;
    const corrected = await staff
      .put(`${tari}/card`)
      .set('Idempotency-Key', 'scheda-tari-0001')
      .send({ card: { ...card, description } })
      .expect(200);
    expect(corrected.body.card.description).toBe(description);
    expect(corrected.body.timeline.at(-1)).toMatchObject({
      step: 'Scheda corretta',
      actor: 'staff:test-staff',
    });

    const round2 = await service((s) => s.status === 'in_review' && s.rounds.length === 2);
    expect(round2.card.description).toBe(description);
  });

  it('records an approval by hand: the service becomes active and its card can no longer be corrected', async () => {
    await staff.post(`${tari}/review-outcome`).send({ outcome: 'approved' }).expect(200);
    const active = await service((s) => s.status === 'active');
    expect(active.rounds[1]).toMatchObject({ outcome: 'approved', decidedBy: 'staff:test-staff' });
    const comune = await h.comuneState(ipa, (s) => s.servicesActive === 1);
    expect(comune.funding).toMatchObject({ securedEur: 1_099, atRiskEur: 4 * 1_099 });
    // The service's workflow has ended: a step sent to it is a conflict, not an unknown service.
    const closed = await staff.put(`${tari}/card`).send({ card }).expect(409);
    expect(closed.body).toMatchObject({
      title: 'Percorso concluso',
      detail: expect.stringMatching(/già concluso/),
    });
    expect(
      (await staff.post('/comuni/c_zzzz/services/tari/review-outcome').send({ outcome: 'approved' })).status,
    ).toBe(404);
  });
});
