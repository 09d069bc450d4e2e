import type { ServiceState } from '../../contracts/service';
import type { MockBehaviour } from '../support/mock-activities';
import { eventually, problemFields, startApiHarness, type ApiHarness, type Caller } from './harness';

/**
 * «Leggi ora l’esito su IO» over HTTP: a service whose review the back office polls is read on IO at once when staff
 * ask; the answer comes after the read, the page offers the step only while it can be taken.
 */
describe('API: staff read a review outcome on IO now (dev server)', () => {
  let h: ApiHarness;
  let staff: Caller;
  const ipa = 'c_l378';
  const tari = `/comuni/${ipa}/services/tari`;
  // PagoPA has not decided yet; the test decides when it does (the worker's activities read this at each call).
  const mock: MockBehaviour = { reviewPending: true };

  beforeAll(async () => {
    h = await startApiHarness({ mock });
    staff = h.as('staff');
    await h.startComune({ ipaCode: ipa });
    await h.advanceToServices(ipa);
  });
  afterAll(() => h?.teardown());

  type ServicePage = ServiceState & { availableSteps: { id: string; path: string }[] };
  const service = (accept: (s: ServicePage) => boolean) =>
    eventually(
      'the service tari',
      async () => (await staff.get(tari).expect(200)).body as ServicePage,
      (s) => s.slug === 'tari' && accept(s),
    );

  it('reads IO now: still in review, then approved and published; each read in the timeline', async () => {
    const inReview = await service((s) => s.status === 'in_review');
    expect(inReview.availableSteps).toContainEqual(
      expect.objectContaining({ id: 'checkReviewNow', path: `${tari}/review-check` }),
    );

    const pending = await staff.post(`${tari}/review-check`).send({}).expect(200);
    expect(pending.body.status).toBe('in_review');
    expect(pending.body.timeline.at(-1)).toMatchObject({
      step: 'Esito letto su IO a richiesta',
      actor: 'staff:test-staff',
      detail: 'ancora in revisione',
    });

    mock.reviewPending = false;
    const read = await staff
      .post(`${tari}/review-check`)
      .set('Idempotency-Key', 'leggi-tari-0001')
      .send({})
      .expect(200);
    expect(read.body.timeline).toContainEqual(
      expect.objectContaining({ step: 'Esito letto su IO a richiesta', detail: 'approvato' }),
    );
    const active = await service((s) => s.status === 'active');
    expect(active.rounds[0]).toMatchObject({ outcome: 'approved', decidedBy: 'PagoPA' });
    expect(active.availableSteps.map((s) => s.id)).not.toContain('checkReviewNow');
  });

  it('refuses a read for a service no longer in review (409), an unknown service (404) and a bad name (400)', async () => {
    await service((s) => s.status === 'active');
    // The service's workflow has ended: Temporal refuses the Update, the API says why in Italian.
    const ended = await staff.post(`${tari}/review-check`).send({}).expect(409);
    expect(ended.body.title).toEqual(expect.any(String));
    expect(
      (await staff.post(`/comuni/${ipa}/services/biblioteca/review-check`).send({}).expect(404)).body.title,
    ).toBe('Servizio non trovato');
    expect(
      problemFields(await staff.post(`/comuni/${ipa}/services/TARI!/review-check`).send({}).expect(400)),
    ).toEqual(['params.slug']);
  });
});
