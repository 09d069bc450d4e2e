import { createHash } from 'node:crypto';
import {
  buildDataContentInfo,
  buildSignedDataWithoutSigners,
  buildSignedForm,
  createCa,
  createSigner,
  tamperWithContent,
  type KeyedCertificate,
} from '../integrations/documents/cms-fixtures';
import { problemFields, startApiHarness, type ApiHarness, type Caller } from './harness';

/**
 * A Comune's staff steps over HTTP, in the journey's order: its state, steps refused out of order (409 with the
 * workflow's sentence), adhesion, tracking form, the delegation sent twice with one Idempotency-Key, and the
 * Mayor's signed form, refused in every broken shape before a valid one is recorded.
 */
describe('API: one Comune and its staff steps (dev server)', () => {
  let h: ApiHarness;
  let staff: Caller;
  let ca: KeyedCertificate;
  let mayor: KeyedCertificate;
  let validForm: Buffer;
  const ipa = 'c_l378';

  beforeAll(async () => {
    // PagoPA never decides: the services stay in review, so the Comune stays in the services stage.
    h = await startApiHarness({ mock: { reviewPending: true } });
    staff = h.as('staff');
    ca = await createCa();
    mayor = await createSigner(ca);
    validForm = await buildSignedForm({ signers: [mayor], chain: [ca] });
    await h.startComune({ ipaCode: ipa });
  });
  afterAll(() => h?.teardown());

  const steps = async () => (await h.comuneState(ipa)).timeline.map((t) => t.step);
  const uploadForm = (file: Buffer, name = 'modulo.pdf.p7m') =>
    staff.post(`/comuni/${ipa}/signed-form`).attach('file', file, name);

  it('shows a Comune’s state: stage, timeline, services, funding and its Temporal UI link; 404 when unknown', async () => {
    const res = await staff.get(`/comuni/${ipa}`).expect(200);
    expect(res.body).toMatchObject({
      ipaCode: ipa,
      name: 'Comune di Trento',
      province: 'TN',
      stage: 'adhesion_check',
      late: false,
      deadline: expect.any(String),
      timeline: [{ step: 'Percorso avviato', actor: 'sistema', at: expect.any(String) }],
      funding: { eurPerService: 1_099, securedEur: 0, atRiskEur: 5 * 1_099, lostEur: 0 },
      temporalUiUrl: `http://localhost:8233/namespaces/default/workflows/comune%3A${ipa}`,
    });
    expect(res.body.services).toHaveLength(5);
    expect(res.body.services[0]).toMatchObject({
      slug: 'tari',
      name: 'Tassa sui rifiuti (TARI)',
      status: 'pending',
    });
    expect(res.body.missing).toEqual(
      expect.arrayContaining([expect.stringMatching(/Verifica dell’adesione/)]),
    );

    const unknown = await staff.get('/comuni/c_zzzz').expect(404);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(unknown.body).toMatchObject({ status: 404, title: 'Comune non trovato' });
    expect(problemFields(await staff.get('/comuni/NON-VALIDO!').expect(400))).toEqual(['params.ipa']);
    // Every service has a page from the day its Comune is imported: a queued one shows its card and its place.
    const queued = (await staff.get(`/comuni/${ipa}/services/tari`).expect(200)).body;
    expect(queued).toMatchObject({
      slug: 'tari',
      name: 'Tassa sui rifiuti (TARI)',
      status: 'pending',
      started: false,
      card: expect.objectContaining({ service_name: 'Tassa sui rifiuti (TARI)' }),
      rounds: [],
      availableSteps: [],
      place: {
        comuneStage: 'adhesion_check',
        comuneStageLabel: 'Verifica adesione',
        waitsOn: 'staff',
        waitingFor: expect.stringMatching(/quando il Comune arriva alla fase «Servizi in lavorazione»/),
        queue: { position: 1, of: 5 },
      },
    });
    expect((await staff.get(`/comuni/${ipa}/services/non-esiste`).expect(404)).body.title).toBe(
      'Servizio non trovato',
    );
    expect((await staff.get(`/comuni/c_zzzz/services/tari`).expect(404)).body.title).toBe(
      'Comune non trovato',
    );
  });

  it('answers the steps the caller may take now, from the journey model', async () => {
    const asStaff = (await staff.get(`/comuni/${ipa}`).expect(200)).body;
    expect(asStaff.waitsOn).toBe('staff');
    expect(asStaff.availableSteps).toEqual([
      {
        id: 'recordAdhesion',
        label: 'Esito della verifica di adesione',
        method: 'post',
        path: `/comuni/${ipa}/adhesion`,
      },
    ]);
    const asManager = (await h.as('manager').get(`/comuni/${ipa}`).expect(200)).body;
    expect(asManager.availableSteps.map((s: { id: string }) => s.id)).toEqual([
      'recordAdhesion',
      'moveDeadline',
      'withdraw',
    ]);
    expect(asManager.services[0].availableSteps).toEqual([]);
  });

  it('refuses steps out of order with 409 and the workflow’s sentence, recording nothing', async () => {
    const delegation = await staff.post(`/comuni/${ipa}/delegation`).send({}).expect(409);
    expect(delegation.body).toMatchObject({
      status: 409,
      title: 'Passo rifiutato',
      detail: expect.stringMatching(
        /^«Registrare la delega» non è possibile ora: il Comune è nella fase «Verifica adesione»/,
      ),
    });
    const tracking = await staff.post(`/comuni/${ipa}/tracking-form`).send({}).expect(409);
    expect(tracking.body.detail).toMatch(/«Registrare il modulo di tracciamento» non è possibile ora/);
    const remind = await h.as('manager').post(`/comuni/${ipa}/reminders`).send({}).expect(409);
    expect(remind.body.detail).toMatch(/«Inviare un sollecito» non è possibile ora/);
    const form = await uploadForm(validForm).expect(409);
    expect(form.body.detail).toMatch(
      /^«Registrare il modulo firmato» non è possibile ora: il Comune è nella fase «Verifica adesione»/,
    );

    expect(
      problemFields(await staff.post(`/comuni/${ipa}/adhesion`).send({ adherent: 'sì' }).expect(400)),
    ).toEqual(['body.adherent']);
    const longNote = await staff
      .post(`/comuni/${ipa}/adhesion`)
      .send({ adherent: true, note: 'x'.repeat(501) })
      .expect(400);
    expect(problemFields(longNote)).toEqual(['body.note']);
    expect(
      (await staff.post('/comuni/c_zzzz/adhesion').send({ adherent: true }).expect(404)).body.title,
    ).toBe('Comune non trovato');
    expect(await steps()).toEqual(['Percorso avviato']);
  });

  it('records the adhesion, the tracking form, and the delegation once for one Idempotency-Key', async () => {
    const adhesion = await staff
      .post(`/comuni/${ipa}/adhesion`)
      .send({ adherent: false, note: 'nessuna adesione su Selfcare' })
      .expect(200);
    expect(adhesion.body.scenario).toBe('A');
    // Where the step's time went: the Update on Temporal, within the handler's whole time (api/timing.ts).
    const timing = /^temporal;dur=(\d+\.\d), app;dur=(\d+\.\d)$/.exec(
      adhesion.headers['server-timing'] ?? '',
    );
    expect(timing).not.toBeNull();
    expect(Number(timing![1])).toBeGreaterThan(0);
    expect(Number(timing![2])).toBeGreaterThanOrEqual(Number(timing![1]));
    expect(adhesion.body.timeline).toContainEqual({
      at: expect.any(String),
      step: 'Adesione registrata: scenario A',
      actor: 'staff:test-staff',
      detail: 'nessuna adesione su Selfcare',
    });
    expect(
      (await staff.post(`/comuni/${ipa}/adhesion`).send({ adherent: true }).expect(409)).body.detail,
    ).toMatch(/adesione/);
    await h.comuneState(ipa, (s) => s.stage === 'delegation_requested');

    const tracking = await staff
      .post(`/comuni/${ipa}/tracking-form`)
      .send({ note: 'ricevuto via PEC' })
      .expect(200);
    expect(tracking.body.trackingForm).toEqual({
      recordedAt: expect.any(String),
      recordedBy: 'staff:test-staff',
    });
    expect((await staff.post(`/comuni/${ipa}/tracking-form`).send({}).expect(409)).body.detail).toBe(
      'Il modulo di tracciamento è già registrato.',
    );

    const badKey = await staff
      .post(`/comuni/${ipa}/delegation`)
      .set('Idempotency-Key', 'corta')
      .send({})
      .expect(400);
    expect(problemFields(badKey)).toEqual(['headers.idempotency-key']);
    const key = 'delega-c_l378-20261123';
    const first = await staff
      .post(`/comuni/${ipa}/delegation`)
      .set('Idempotency-Key', key)
      .send({})
      .expect(200);
    const second = await staff
      .post(`/comuni/${ipa}/delegation`)
      .set('Idempotency-Key', key)
      .send({})
      .expect(200);
    expect(second.body.delegation).toEqual(first.body.delegation);
    // The answer is where the step led, not the state the Update's handler left: the journey moved on in the same task,
    // and the step just recorded is no longer offered.
    for (const answer of [first, second]) {
      expect(answer.body.stage).toBe('awaiting_signed_form');
      expect(answer.body.timeline.map((t: { step: string }) => t.step)).toContain(
        'Fase: awaiting_signed_form',
      );
      expect(answer.body.availableSteps.map((s: { id: string }) => s.id)).not.toContain(
        'recordDelegationDone',
      );
    }
    expect((await steps()).filter((s) => s === 'Delega completata su Selfcare')).toHaveLength(1);
    expect((await staff.post(`/comuni/${ipa}/delegation`).send({}).expect(409)).body.detail).toMatch(
      /delega/,
    );
  });

  it('refuses a broken signed form with 400 or 422 and its reason, recording nothing', async () => {
    await h.comuneState(ipa, (s) => s.stage === 'awaiting_signed_form');
    const cases: [string, Buffer, number, RegExp][] = [
      ['empty', Buffer.alloc(0), 400, /manca il modulo firmato/],
      ['garbage', Buffer.from('questo non è un file firmato'), 422, /^malformed: /],
      ['plain data, no signature', buildDataContentInfo(), 422, /^not_signed_data: /],
      ['signed data without signers', buildSignedDataWithoutSigners([mayor, ca]), 422, /^unsigned: /],
      [
        'detached',
        await buildSignedForm({ signers: [mayor], chain: [ca], detached: true }),
        422,
        /^detached_signature: /,
      ],
      [
        'not a PDF',
        await buildSignedForm({ signers: [mayor], chain: [ca], content: Buffer.from('solo testo') }),
        422,
        /^content_not_pdf: Il documento firmato non è un PDF/,
      ],
      ['tampered', tamperWithContent(validForm), 422, /^signature_invalid: La firma digitale non è valida/],
    ];
    for (const [what, file, status, detail] of cases) {
      const res = await uploadForm(file);
      expect({ what, status: res.status, detail: res.body.detail }).toEqual({
        what,
        status,
        detail: expect.stringMatching(detail),
      });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect(problemFields(await staff.post(`/comuni/${ipa}/signed-form`).expect(400))).toEqual(['body.file']);

    const state = await h.comuneState(ipa);
    expect(state.stage).toBe('awaiting_signed_form');
    expect(state.signedForm.record).toBeUndefined();
    expect(state.timeline.map((t) => t.step)).not.toContain('Modulo firmato registrato');
  });

  it('records a valid signed form (CAdES around a PDF): the Comune moves on to «Accesso a IO»', async () => {
    const res = await uploadForm(validForm).expect(200);
    const sha256 = createHash('sha256').update(validForm).digest('hex');
    expect(res.body.signedForm.record).toEqual({
      sha256,
      signerName: 'Mario Rossi',
      signerFiscalCode: 'RSSMRA85T10A562S',
      signingTime: '2025-03-10T09:30:00.000Z',
      recordedAt: expect.any(String),
      recordedBy: 'staff:test-staff',
    });
    expect(await h.api.ctx.documents.get(sha256)).toEqual(validForm);

    const state = await h.comuneState(ipa, (s) => s.stage === 'io_access');
    expect(state.timeline.map((t) => t.step)).toEqual(
      expect.arrayContaining(['Modulo firmato registrato', 'Fase: io_access']),
    );
    expect(state.timeline.map((t) => t.step)).not.toContain('Fase: services');
    const again = await uploadForm(validForm).expect(409);
    expect(again.body.detail).toMatch(/«Registrare il modulo firmato» non è possibile ora: .*«Accesso a IO»/);
  });

  it('records the Comune’s own manage key, verified with PagoPA (the sandbox): the Comune moves on to its services', async () => {
    const fiscalCode = (await h.comuneState(ipa)).fiscalCode!;
    h.sandbox.onboard(fiscalCode, 'Comune di Trento');
    const { primary_key } = await h.sandbox.keys(fiscalCode);
    const res = await staff.post(`/comuni/${ipa}/manage-key`).send({ primaryKey: primary_key }).expect(200);
    expect(res.body.ioAccess.manageKey).toMatchObject({
      ref: expect.stringMatching(/^mk_c_l378_[0-9a-f]{12}$/),
    });
    expect(JSON.stringify(res.body)).not.toContain(primary_key);

    const state = await h.comuneState(ipa, (s) => s.stage === 'services');
    expect(state.timeline.map((t) => t.step)).toEqual(
      expect.arrayContaining(['Chiave di gestione registrata', 'Fase: services']),
    );
    const form = await uploadForm(validForm).expect(409);
    expect(form.body.detail).toMatch(
      /«Registrare il modulo firmato» non è possibile ora: .*«Servizi in lavorazione»/,
    );
  });
});
