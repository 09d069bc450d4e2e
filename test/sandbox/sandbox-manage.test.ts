import {
  MANAGE_KEY,
  ORG_FC,
  ORG_MANAGE_KEY,
  OTHER_FC,
  servicePayload,
  startTestSandbox,
  TINY_PNG_BASE64,
  type TestSandbox,
} from './harness';

describe('sandbox: IO manage API over HTTP', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox({ reviewer: { mode: 'manual' } });
  });
  afterAll(() => t.stop());

  describe('authentication', () => {
    it('401 Problem JSON without a key', async () => {
      const res = await fetch(`${t.url}/api/v1/manage/services`);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
    });

    it('401 with a wrong key', async () => {
      const res = await t.manage('GET', '/services', undefined, 'not-a-key');
      expect(res.status).toBe(401);
    });

    it('a key bound to an organization cannot create or see services of another', async () => {
      const other = await t.manage(
        'POST',
        '/services',
        servicePayload({ organization: { name: 'Comune di Altro', fiscal_code: OTHER_FC } }),
        ORG_MANAGE_KEY,
      );
      expect(other.status).toBe(403);
      const created = await t.manage(
        'POST',
        '/services',
        servicePayload({
          name: 'Servizio altro ente',
          organization: { name: 'Comune di Altro', fiscal_code: OTHER_FC },
        }),
      );
      expect(created.status).toBe(201);
      expect((await t.manage('GET', `/services/${created.body.id}`, undefined, ORG_MANAGE_KEY)).status).toBe(
        404,
      );
      expect((await t.manage('GET', `/services/${created.body.id}`, undefined, MANAGE_KEY)).status).toBe(200);
    });
  });

  describe('validation', () => {
    it('400 naming the field (organization.fiscal_code)', async () => {
      const res = await t.manage(
        'POST',
        '/services',
        servicePayload({ organization: { name: 'Comune di Prova', fiscal_code: '123' } }),
      );
      expect(res.status).toBe(400);
      expect(res.body.detail).toContain('organization.fiscal_code');
    });

    it('400 naming a missing field (name) and a bad scope', async () => {
      const { name: _name, ...noName } = servicePayload();
      const res = await t.manage('POST', '/services', { ...noName, metadata: { scope: 'GLOBAL' } });
      expect(res.status).toBe(400);
      expect(res.body.detail).toContain('name');
      expect(res.body.detail).toContain('metadata.scope');
    });

    it('400 on a body that is not JSON', async () => {
      const res = await fetch(`${t.url}/api/v1/manage/services`, {
        method: 'POST',
        headers: { 'Ocp-Apim-Subscription-Key': MANAGE_KEY, 'content-type': 'application/json' },
        body: '{oops',
      });
      expect(res.status).toBe(400);
    });
  });

  describe('services', () => {
    it('creates a draft with a ULID id and reads it back', async () => {
      const res = await t.manage('POST', '/services', servicePayload({ name: 'Servizi cimiteriali' }));
      expect(res.status).toBe(201);
      expect(res.body.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(res.body.status).toEqual({ value: 'draft' });
      expect(res.body.metadata.topic).toEqual({ id: 14, name: expect.any(String) });
      const got = await t.manage('GET', `/services/${res.body.id}`);
      expect(got.body.name).toBe('Servizi cimiteriali');
    });

    it('404 Problem for an unknown service', async () => {
      const res = await t.manage('GET', '/services/01ARZ3NDEKTSV4RRFFQ69G5FAV');
      expect(res.status).toBe(404);
      expect(res.body.status).toBe(404);
    });

    it('lists with limit and offset', async () => {
      for (const n of ['Lista A', 'Lista B', 'Lista C'])
        await t.manage('POST', '/services', servicePayload({ name: n }));
      const all = await t.manage('GET', '/services?limit=100');
      const page = await t.manage('GET', '/services?limit=2&offset=1');
      expect(page.body.value).toHaveLength(2);
      expect(page.body.pagination).toEqual({ offset: 1, limit: 2, count: all.body.pagination.count });
      expect(page.body.value[0].id).toBe(all.body.value[1].id);
      expect((await t.manage('GET', '/services?limit=0')).status).toBe(400);
    });

    it('edits a draft; deletes it; a deleted service stays listed, cannot be deleted again (409)', async () => {
      const { body } = await t.manage('POST', '/services', servicePayload({ name: 'Da cancellare' }));
      const edited = await t.manage(
        'PUT',
        `/services/${body.id}`,
        servicePayload({ name: 'Da cancellare 2' }),
      );
      expect(edited.status).toBe(200);
      expect(edited.body.name).toBe('Da cancellare 2');
      expect((await t.manage('DELETE', `/services/${body.id}`)).status).toBe(204);
      expect((await t.manage('GET', `/services/${body.id}`)).body.status.value).toBe('deleted');
      expect((await t.manage('DELETE', `/services/${body.id}`)).status).toBe(409);
      expect((await t.manage('PUT', `/services/${body.id}`, servicePayload())).status).toBe(409);
      expect((await t.manage('GET', `/services/${body.id}/keys`)).status).toBe(404);
      const list = await t.manage('GET', '/services?limit=100');
      expect(list.body.value).toContainEqual(
        expect.objectContaining({ id: body.id, status: { value: 'deleted' } }),
      );
    });

    it('logo: PNG accepted (204), anything else 400', async () => {
      const { body } = await t.manage('POST', '/services', servicePayload({ name: 'Con logo' }));
      expect((await t.manage('PUT', `/services/${body.id}/logo`, { logo: TINY_PNG_BASE64 })).status).toBe(
        204,
      );
      const notPng = Buffer.from('GIF89a this is not a png at all').toString('base64');
      const res = await t.manage('PUT', `/services/${body.id}/logo`, { logo: notPng });
      expect(res.status).toBe(400);
      expect(res.body.detail).toContain('logo');
    });

    it('keys: read and regenerate one', async () => {
      const { body } = await t.manage('POST', '/services', servicePayload({ name: 'Con chiavi' }));
      const keys = await t.manage('GET', `/services/${body.id}/keys`);
      expect(keys.body).toEqual({ primary_key: expect.any(String), secondary_key: expect.any(String) });
      const regen = await t.manage('PUT', `/services/${body.id}/keys/secondary`);
      expect(regen.body.primary_key).toBe(keys.body.primary_key);
      expect(regen.body.secondary_key).not.toBe(keys.body.secondary_key);
      expect((await t.manage('PUT', `/services/${body.id}/keys/tertiary`)).status).toBe(400);
    });
  });

  describe('illegal transitions → 409', () => {
    it('review when not draft, edit while submitted, publish when not approved', async () => {
      const { body } = await t.manage('POST', '/services', servicePayload({ name: 'Servizio in revisione' }));
      expect((await t.manage('POST', `/services/${body.id}/release`)).status).toBe(409);
      expect((await t.manage('PUT', `/services/${body.id}/review`, { auto_publish: false })).status).toBe(
        204,
      );
      expect((await t.manage('GET', `/services/${body.id}`)).body.status.value).toBe('submitted');
      const again = await t.manage('PUT', `/services/${body.id}/review`, { auto_publish: false });
      expect(again.status).toBe(409);
      expect(again.body.detail).toContain('submitted');
      expect((await t.manage('PUT', `/services/${body.id}`, servicePayload())).status).toBe(409);
      expect((await t.manage('POST', `/services/${body.id}/release`)).status).toBe(409);
    });

    it('review body is validated (400)', async () => {
      const { body } = await t.manage('POST', '/services', servicePayload({ name: 'Revisione senza corpo' }));
      const res = await t.manage('PUT', `/services/${body.id}/review`, {});
      expect(res.status).toBe(400);
      expect(res.body.detail).toContain('auto_publish');
    });

    it('release GET is 404 when never published; publish, read, unpublish once approved', async () => {
      const { body } = await t.manage(
        'POST',
        '/services',
        servicePayload({ name: 'Servizio da pubblicare' }),
      );
      expect((await t.manage('GET', `/services/${body.id}/release`)).status).toBe(404);
      expect((await t.manage('DELETE', `/services/${body.id}/release`)).status).toBe(404);
      await t.manage('PUT', `/services/${body.id}/review`, { auto_publish: false });
      expect((await t.admin('POST', `/services/${body.id}/review`, { decision: 'approve' })).status).toBe(
        200,
      );
      expect((await t.manage('POST', `/services/${body.id}/release`)).status).toBe(204);
      expect((await t.manage('GET', `/services/${body.id}/release`)).body.status).toBe('published');
      expect((await t.manage('DELETE', `/services/${body.id}/release`)).status).toBe(204);
      expect((await t.manage('GET', `/services/${body.id}/release`)).body.status).toBe('unpublished');
      // an approved service goes back to draft on edit
      const edited = await t.manage(
        'PUT',
        `/services/${body.id}`,
        servicePayload({ name: 'Servizio da pubblicare' }),
      );
      expect(edited.body.status.value).toBe('draft');
      const history = await t.manage('GET', `/services/${body.id}/history?order=ASC&limit=100`);
      expect(history.body.items.map((i: { status: { value: string } }) => i.status.value)).toEqual([
        'draft',
        'submitted',
        'approved',
        'published',
        'unpublished',
        'draft',
      ]);
    });
  });

  it('answers 404 Problem JSON for unknown endpoints and counts requests per route', async () => {
    const res = await fetch(`${t.url}/nope`);
    expect(res.status).toBe(404);
    const counters = await t.admin('GET', '/counters');
    expect(counters.body).toMatchObject({
      requests: expect.objectContaining({ 'POST /api/v1/manage/services': expect.any(Number) }),
    });
    expect(ORG_FC).toHaveLength(11);
  });
});
