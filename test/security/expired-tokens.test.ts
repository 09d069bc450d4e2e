import path from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import type { Client } from '@temporalio/client';
import { createApp } from '../../api/app';
import { roles } from '../../api/auth/roles';
import { FileTokenStore } from '../../api/auth/token-store';
import { testApiContext, type TestApiContext } from '../support/api-context';
import { fillPath, loadOperations, type Operation } from './openapi';
import { expectClearProblem } from './support';

/**
 * In the spirit of the authorisation matrix (test/api/auth-matrix.test.ts): a token whose `expiresAt` has passed is
 * refused 401 on every protected endpoint, whatever its role, like an unknown or revoked one. Every request is
 * refused before a handler runs, so the app runs on a client that is never called.
 */
const samples = {
  ipa: 'c_l378',
  slug: 'tari',
  id: 'aaaaaaaaaaaa',
  jobId: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
  kind: 'remind',
};

describe('expired tokens', () => {
  let api: TestApiContext;
  let app: Express;
  let ops: Operation[];

  beforeAll(async () => {
    api = testApiContext({} as Client);
    // The limit on failed authentications is tested in hardening.test.ts; this matrix fails on purpose.
    app = createApp(api.ctx, [], { rateLimits: { authFailures: 0 } });
    ops = (await loadOperations(app)).filter((op) => op.role !== 'public');
  });
  afterAll(() => api?.cleanup());

  const send = (op: Operation, token: string) =>
    request(app)
      [op.method](`/api/v1${fillPath(op.template, samples)}`)
      .set('Authorization', `Bearer ${token}`);

  it('refuses a token of every role once its expiry has passed, on every protected endpoint', async () => {
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const role of roles) {
      const { token, info } = api.ctx.tokens.create({
        name: `scaduto-${role}`,
        role,
        createdBy: 'test',
        expiresAt: new Date(Date.now() - 60_000).toISOString(),
      });
      // The token is well formed and known: only its expiry refuses it.
      expect(api.ctx.tokens.verify(token, new Date(Date.parse(info.expiresAt!) - 1_000))).toMatchObject({
        role,
      });
      expect(api.ctx.tokens.verify(token)).toBeUndefined();
      for (const op of ops) {
        expectClearProblem(await send(op, token), `${op.key} with an expired ${role} token`, {
          status: 401,
          detail: /scaduto/,
        });
      }
    }
  });

  it('lets a token in until its expiry and refuses it from then on', async () => {
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const { token } = api.ctx.tokens.create({ name: 'a tempo', role: 'staff', createdBy: 'test', expiresAt });
    const me = () => request(app).get('/api/v1/me').set('Authorization', `Bearer ${token}`);
    expect((await me()).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now()) + 50));
    expectClearProblem(await me(), 'after expiry', { status: 401, detail: /scaduto/ });
  });

  it('keeps refusing it after a restart (the expiry is stored with the token)', async () => {
    const { token } = api.ctx.tokens.create({
      name: 'scaduto ieri',
      role: 'admin',
      createdBy: 'test',
      expiresAt: new Date(Date.now() - 86_400_000).toISOString(),
    });
    // A new app over the same token file, as after a restart.
    const again = testApiContext({} as Client);
    try {
      const restarted = createApp({
        ...again.ctx,
        tokens: new FileTokenStore(path.join(api.dir, 'tokens.json')),
      });
      const res = await request(restarted)
        .get('/api/v1/admin/tokens')
        .set('Authorization', `Bearer ${token}`);
      expectClearProblem(res, 'expired token after a restart', { status: 401 });
      // While the unexpired admin token of the same file still works.
      const ok = await request(restarted)
        .get('/api/v1/admin/tokens')
        .set('Authorization', `Bearer ${api.tokens.admin}`);
      expect(ok.status).toBe(200);
      const listed = (ok.body as { items: { name: string; expiresAt?: string }[] }).items.find(
        (t) => t.name === 'scaduto ieri',
      );
      expect(listed?.expiresAt).toBeDefined();
    } finally {
      again.cleanup();
    }
  });
});
