import { REJECTION_PREFIX } from '../../sandbox';
import { servicePayload, startTestSandbox, type TestSandbox } from './harness';

const status = async (t: TestSandbox, id: string) => (await t.manage('GET', `/services/${id}`)).body.status;

async function createAndSubmit(
  t: TestSandbox,
  payload = servicePayload(),
  autoPublish = false,
): Promise<string> {
  const created = await t.manage('POST', '/services', payload);
  expect(created.status).toBe(201);
  expect(
    (await t.manage('PUT', `/services/${created.body.id}/review`, { auto_publish: autoPublish })).status,
  ).toBe(204);
  return created.body.id as string;
}

describe('sandbox: simulated reviewer', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox({ reviewer: { mode: 'approve', rejectOnce: [/tari/i] } });
  });
  afterAll(() => t.stop());
  afterEach(async () => {
    await t.admin('PUT', '/reviewer', { mode: 'approve', rejectOnce: ['tari'] });
  });

  describe('automatic checks reject at once, with a reason in Italian', () => {
    it('privacy_url that is not http(s)', async () => {
      const id = await createAndSubmit(
        t,
        servicePayload({
          name: 'Servizio privacy errata',
          metadata: { scope: 'LOCAL', privacy_url: 'www.comune.it/privacy', email: 'a@b.it' },
        }),
      );
      const s = await status(t, id);
      expect(s.value).toBe('rejected');
      expect(s.reason).toMatch(new RegExp(`^${REJECTION_PREFIX}`));
      expect(s.reason).toContain('privacy_url');
    });

    it('no contact among phone, email, pec, support_url', async () => {
      const id = await createAndSubmit(
        t,
        servicePayload({
          name: 'Servizio senza contatti',
          metadata: { scope: 'LOCAL', privacy_url: 'https://comune.it/privacy', email: undefined },
        }),
      );
      expect(await status(t, id)).toEqual({
        value: 'rejected',
        reason: expect.stringContaining('almeno un contatto'),
      });
    });

    it("duplicate name: only against the organisation's published copies (case-insensitive)", async () => {
      // A draft with the same name does not count: PagoPA looks in the publication store only.
      await t.manage('POST', '/services', servicePayload({ name: 'Servizi scolastici' }));
      const first = await createAndSubmit(t, servicePayload({ name: 'Servizi scolastici' }));
      expect((await status(t, first)).value).toBe('approved');
      // Now the first one has a published copy: a second one with the same name is refused.
      const second = await createAndSubmit(t, servicePayload({ name: 'servizi SCOLASTICI' }));
      expect(await status(t, second)).toEqual({
        value: 'rejected',
        reason: expect.stringContaining(`stesso nome di un altro servizio con ID '${first}'`),
      });
      // Another organisation may use the name.
      const other = await createAndSubmit(
        t,
        servicePayload({
          name: 'Servizi scolastici',
          organization: { name: 'Comune di Altro', fiscal_code: '00987654321' },
        }),
      );
      expect((await status(t, other)).value).toBe('approved');
    });

    it('a name written in capitals', async () => {
      const id = await createAndSubmit(t, servicePayload({ name: 'SERVIZI DEMOGRAFICI' }));
      expect((await status(t, id)).reason).toContain('maiuscolo');
    });

    it('after a rejection, edit then submit again', async () => {
      const id = await createAndSubmit(
        t,
        servicePayload({
          name: 'Servizio da correggere',
          metadata: { scope: 'LOCAL', privacy_url: 'ftp://x', email: 'a@b.it' },
        }),
      );
      expect((await status(t, id)).value).toBe('rejected');
      expect((await t.manage('PUT', `/services/${id}/review`, { auto_publish: false })).status).toBe(409);
      await t.manage('PUT', `/services/${id}`, servicePayload({ name: 'Servizio da correggere' }));
      expect((await t.manage('PUT', `/services/${id}/review`, { auto_publish: false })).status).toBe(204);
      expect((await status(t, id)).value).toBe('approved');
    });
  });

  it('approve mode with auto_publish publishes on approval', async () => {
    const id = await createAndSubmit(t, servicePayload({ name: 'Servizio pubblicato da solo' }), true);
    expect((await status(t, id)).value).toBe('approved');
    expect((await t.manage('GET', `/services/${id}/release`)).body.status).toBe('published');
  });

  it('rejectOnce rule: the first submission of "Tari" is rejected, the next approved', async () => {
    const id = await createAndSubmit(t, servicePayload({ name: 'Tari - tassa rifiuti' }));
    expect((await status(t, id)).value).toBe('rejected');
    await t.manage('PUT', `/services/${id}`, servicePayload({ name: 'Tari - tassa rifiuti' }));
    await t.manage('PUT', `/services/${id}/review`, { auto_publish: false });
    expect((await status(t, id)).value).toBe('approved');
  });

  it('reject mode uses the configured reason', async () => {
    await t.admin('PUT', '/reviewer', {
      mode: 'reject',
      rejectReason: `${REJECTION_PREFIX}manca il contratto di adesione`,
    });
    const id = await createAndSubmit(t, servicePayload({ name: 'Servizio rifiutato' }));
    expect(await status(t, id)).toEqual({
      value: 'rejected',
      reason: `${REJECTION_PREFIX}manca il contratto di adesione`,
    });
  });

  it('approval after reviewDelayMs (polling sees submitted, then approved)', async () => {
    await t.admin('PUT', '/reviewer', { mode: 'approve', reviewDelayMs: 300 });
    const id = await createAndSubmit(t, servicePayload({ name: 'Servizio lento' }));
    expect((await status(t, id)).value).toBe('submitted');
    const pending = await t.admin('GET', '/reviews');
    expect(pending.body).toMatchObject({
      pending: expect.arrayContaining([
        expect.objectContaining({ id, scheduled: expect.objectContaining({ outcome: 'approve' }) }),
      ]),
    });
    await new Promise((r) => setTimeout(r, 350));
    expect((await status(t, id)).value).toBe('approved');
  });

  it('a shorter review submitted after a longer one is decided at its own time', async () => {
    await t.admin('PUT', '/reviewer', { mode: 'approve', reviewDelayMs: 1_500 });
    const slow = await createAndSubmit(t, servicePayload({ name: 'Servizio lentissimo' }));
    expect((await status(t, slow)).value).toBe('submitted'); // the sandbox now knows nothing is due for 1.5 s
    await t.admin('PUT', '/reviewer', { mode: 'approve', reviewDelayMs: 100 });
    const quick = await createAndSubmit(t, servicePayload({ name: 'Servizio veloce' }));
    await new Promise((r) => setTimeout(r, 250));
    expect((await status(t, quick)).value).toBe('approved');
    expect((await status(t, slow)).value).toBe('submitted');
    await new Promise((r) => setTimeout(r, 1_400));
    expect((await status(t, slow)).value).toBe('approved');
  });

  it('manual mode: stays submitted until decided through the admin API', async () => {
    await t.admin('PUT', '/reviewer', { mode: 'manual' });
    const a = await createAndSubmit(t, servicePayload({ name: 'Servizio manuale A' }), true);
    const b = await createAndSubmit(t, servicePayload({ name: 'Servizio manuale B' }));
    expect((await status(t, a)).value).toBe('submitted');
    const pending = (await t.admin('GET', '/reviews')).body as { pending: { id: string }[] };
    expect(pending.pending.map((p) => p.id)).toEqual(expect.arrayContaining([a, b]));

    const approved = await t.admin('POST', `/services/${a}/review`, { decision: 'approve' });
    expect(approved.status).toBe(200);
    expect((await t.manage('GET', `/services/${a}/release`)).body.status).toBe('published');
    await t.admin('POST', `/services/${b}/review`, {
      decision: 'reject',
      reason: `${REJECTION_PREFIX}descrizione insufficiente`,
    });
    expect(await status(t, b)).toEqual({
      value: 'rejected',
      reason: `${REJECTION_PREFIX}descrizione insufficiente`,
    });
    // deciding again is a 409; unknown service 404; bad decision 400
    expect((await t.admin('POST', `/services/${b}/review`, { decision: 'approve' })).status).toBe(409);
    expect(
      (await t.admin('POST', '/services/01ARZ3NDEKTSV4RRFFQ69G5FAV/review', { decision: 'approve' })).status,
    ).toBe(404);
    expect((await t.admin('POST', `/services/${b}/review`, { decision: 'maybe' })).status).toBe(400);
  });

  it('rules list: a manual rule by name pattern', async () => {
    await t.admin('PUT', '/reviewer', { mode: 'approve', rules: [{ name: 'anagrafe', outcome: 'manual' }] });
    const manual = await createAndSubmit(t, servicePayload({ name: 'Certificati anagrafe' }));
    const auto = await createAndSubmit(t, servicePayload({ name: 'Mensa scolastica' }));
    expect((await status(t, manual)).value).toBe('submitted');
    expect((await status(t, auto)).value).toBe('approved');
  });

  it('admin API needs the admin token', async () => {
    expect((await fetch(`${t.url}/__admin/reviews`)).status).toBe(401);
    expect(
      (await fetch(`${t.url}/__admin/reviews`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401);
  });
});
