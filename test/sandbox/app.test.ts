import request from 'supertest';
import { createSandboxApp } from '../../sandbox';
import { MANAGE_KEY, servicePayload, silentLogger } from './harness';

describe('createSandboxApp (in memory, no listening socket)', () => {
  const app = createSandboxApp({
    legacyPartnerKeys: [{ key: MANAGE_KEY, organizationFiscalCode: 'any' }],
    selfcareKey: 'selfcare-key',
    portalCredentials: [],
    logger: silentLogger,
  });

  it('serves the manage API through supertest', async () => {
    const res = await request(app)
      .post('/api/v1/manage/services')
      .set('Ocp-Apim-Subscription-Key', MANAGE_KEY)
      .send(servicePayload());
    expect(res.status).toBe(201);
    expect(app.sandbox.state.services[res.body.id as string]?.status.value).toBe('draft');
  });

  it('admin endpoints are disabled without an admin token', async () => {
    const res = await request(app).get('/__admin/counters').set('authorization', 'Bearer anything');
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('health', async () => {
    expect((await request(app).get('/__health')).body).toEqual({ status: 'ok' });
  });
});
