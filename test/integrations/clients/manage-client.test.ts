import { HttpNonRetryableError, HttpRetryableError } from '../../../integrations/http';
import { HttpIoManageClient, serviceToPayload, type IoManageClient } from '../../../integrations/io';
import {
  MANAGE_KEY,
  ORG_FC,
  servicePayload,
  silentLogger,
  startTestSandbox,
  TINY_PNG_BASE64,
  type TestSandbox,
} from '../../sandbox/harness';

describe('IO manage client against the sandbox', () => {
  let t: TestSandbox;
  let client: IoManageClient;

  beforeAll(async () => {
    t = await startTestSandbox({ reviewer: { mode: 'manual' } });
    client = new HttpIoManageClient({
      baseUrl: t.url,
      manageKey: MANAGE_KEY,
      logger: silentLogger,
      pageSize: 2,
      retry: { baseDelayMs: 5 },
    });
  });
  afterAll(() => t.stop());
  afterEach(() => t.admin('DELETE', '/faults'));

  it('full journey: create, card, logo, keys, review, approval, publication, history', async () => {
    const created = await client.createService(servicePayload({ name: 'Iscrizione asilo nido' }));
    expect(created.status.value).toBe('draft');
    expect(created.organization.fiscal_code).toBe(ORG_FC);

    const edited = await client.updateService(created.id, {
      ...serviceToPayload(created),
      metadata: { ...serviceToPayload(created).metadata, phone: '+39 0461 000000' },
    });
    expect(edited.metadata.phone).toBe('+39 0461 000000');
    expect(edited.metadata.topic?.id).toBe(14);

    await client.uploadLogo(created.id, TINY_PNG_BASE64);
    const keys = await client.getKeys(created.id);
    const regenerated = await client.regenerateKey(created.id, 'primary');
    expect(regenerated.primary_key).not.toBe(keys.primary_key);
    expect(regenerated.secondary_key).toBe(keys.secondary_key);

    expect(await client.getRelease(created.id)).toBeNull();
    await client.submitForReview(created.id, { auto_publish: false });
    expect(await client.getReviewStatus(created.id)).toEqual({ value: 'submitted' });
    await t.admin('POST', `/services/${created.id}/review`, { decision: 'approve' });
    expect((await client.getReviewStatus(created.id)).value).toBe('approved');

    await client.publish(created.id);
    await client.publish(created.id); // idempotent
    expect((await client.getRelease(created.id))?.status).toBe('published');
    await client.unpublish(created.id);
    expect((await client.getRelease(created.id))?.status).toBe('unpublished');

    const history = await client.getHistory(created.id, { order: 'ASC', limit: 100 });
    expect(history.items.map((i) => i.status.value)).toEqual([
      'draft',
      'draft',
      'submitted',
      'approved',
      'published',
      'published',
      'unpublished',
    ]);

    await client.deleteService(created.id);
    expect((await client.getService(created.id)).status.value).toBe('deleted');
  });

  it('a rejection is read by polling, with its reason', async () => {
    const s = await client.createService(
      servicePayload({
        name: 'Servizio senza privacy',
        metadata: { scope: 'LOCAL', privacy_url: 'comune.it/privacy', email: 'a@b.it' },
      }),
    );
    await client.submitForReview(s.id, { auto_publish: true });
    const status = await client.getReviewStatus(s.id);
    expect(status.value).toBe('rejected');
    expect(status.reason).toMatch(/^dati incompleti o incorretti: /);
  });

  it('lists with paging and findServiceByName pages through', async () => {
    const names = [
      'Tributi locali',
      'Servizi sociali',
      'Polizia locale',
      'Biblioteca comunale',
      'Ufficio tecnico',
    ];
    for (const name of names) await client.createService(servicePayload({ name }));
    const page = await client.listServices({ limit: 2, offset: 0 });
    expect(page.value).toHaveLength(2);
    expect(page.pagination?.count).toBeGreaterThanOrEqual(2);

    const found = await client.findServiceByName(ORG_FC, '  ufficio   TECNICO ');
    expect(found?.name).toBe('Ufficio tecnico');
    expect(await client.findServiceByName('00000000000', 'Ufficio tecnico')).toBeNull();
    expect(await client.findServiceByName(ORG_FC, 'Non esiste')).toBeNull();
  });

  it('findServiceByName ignores deleted services (a retry after delete creates anew)', async () => {
    const s = await client.createService(servicePayload({ name: 'Servizio cancellato' }));
    await client.deleteService(s.id);
    expect(await client.findServiceByName(ORG_FC, 'Servizio cancellato')).toBeNull();
  });

  it('400: the sandbox refuses, the error is non-retryable with the Problem detail', async () => {
    const s = await client.createService(servicePayload({ name: 'Servizio logo' }));
    const err = await client
      .uploadLogo(s.id, Buffer.from('not a png, just text here').toString('base64'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpNonRetryableError);
    expect(err).toMatchObject({
      status: 400,
      retryable: false,
      problem: { detail: expect.stringContaining('PNG') },
    });
  });

  it('an invalid body never leaves the client (invalid_request naming the field)', async () => {
    const err = await client
      .createService(servicePayload({ organization: { name: 'Comune', fiscal_code: 'ABC' } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpNonRetryableError);
    expect(err).toMatchObject({ kind: 'invalid_request', attempts: 0 });
    expect((err as HttpNonRetryableError).issues?.[0]).toContain('organization.fiscal_code');
  });

  it('a payload without metadata.topic_id (required by PagoPA on create and update) never leaves the client', async () => {
    const { topic_id: _topic, ...metadata } = servicePayload().metadata;
    const err = await client
      .createService({ ...servicePayload({ name: 'Servizio senza argomento' }), metadata })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid_request', attempts: 0 });
    expect((err as HttpNonRetryableError).issues?.[0]).toContain('metadata.topic_id');
  });

  it('404 and 409 are non-retryable', async () => {
    const missing = await client.getService('01ARZ3NDEKTSV4RRFFQ69G5FAV').catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, retryable: false });
    const s = await client.createService(servicePayload({ name: 'Servizio conflitto' }));
    const publish = await client.publish(s.id).catch((e: unknown) => e);
    expect(publish).toBeInstanceOf(HttpNonRetryableError);
    expect(publish).toMatchObject({ status: 409, problem: { detail: expect.stringContaining('approved') } });
    await client.submitForReview(s.id, { auto_publish: false });
    const again = await client.submitForReview(s.id, { auto_publish: false }).catch((e: unknown) => e);
    expect(again).toMatchObject({ status: 409, retryable: false });
    const edit = await client
      .updateService(s.id, servicePayload({ name: 'Servizio conflitto' }))
      .catch((e: unknown) => e);
    expect(edit).toMatchObject({ status: 409 });
  });

  it('401 with a wrong manage key', async () => {
    const wrong = new HttpIoManageClient({ baseUrl: t.url, manageKey: 'wrong-key', logger: silentLogger });
    await expect(wrong.listServices()).rejects.toMatchObject({ status: 401, retryable: false });
  });

  it('5xx injected: GET retried to success; create not retried (caller looks up by name)', async () => {
    await t.admin('PUT', '/faults', { failNext: 2 });
    expect((await client.listServices({ limit: 1 })).value).toHaveLength(1);
    await t.admin('PUT', '/faults', { failNext: 1 });
    const err = await client
      .createService(servicePayload({ name: 'Servizio dopo errore' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpRetryableError);
    expect(await client.findServiceByName(ORG_FC, 'Servizio dopo errore')).toBeNull();
  });
});
