import { pagesIdle } from '../../api/journey-view';
import request from 'supertest';
import type { Express } from 'express';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp } from '../../api/app';
import { roleAllows, roles, type Role } from '../../api/auth/roles';
import { createDevServerEnv } from '../support/temporal-env';
import { testApiContext, type TestApiContext } from '../support/api-context';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
interface Operation {
  method: Method;
  path: string;
  role: Role | 'public';
}

const samples: Record<string, string> = {
  ipa: 'c_l378',
  slug: 'tari',
  id: 'aaaaaaaaaaaa',
  jobId: 'abcdef0123456789',
};

/** Every operation of the generated OpenAPI document, with the role it declares. */
function operations(app: Express): Promise<Operation[]> {
  return request(app)
    .get('/api/v1/openapi.json')
    .then((res) => {
      const ops: Operation[] = [];
      for (const [path, item] of Object.entries(
        res.body.paths as Record<string, Record<string, { 'x-required-role': Role | 'public' }>>,
      )) {
        for (const [method, op] of Object.entries(item)) {
          ops.push({
            method: method as Method,
            path: '/api/v1' + path.replace(/\{(\w+)\}/g, (_m, name: string) => samples[name] ?? 'x'),
            role: op['x-required-role'],
          });
        }
      }
      return ops;
    });
}

describe('authorisation matrix: every endpoint × every role, no token, forged and revoked tokens', () => {
  let env: TestWorkflowEnvironment;
  let api: TestApiContext;
  let app: Express;
  let ops: Operation[];
  let revoked: string;

  beforeAll(async () => {
    env = await createDevServerEnv();
    api = testApiContext(env.client);
    app = createApp(api.ctx);
    ops = await operations(app);
    const extra = api.ctx.tokens.create({ name: 'ex-collaboratore', role: 'admin', createdBy: 'test' });
    api.ctx.tokens.revoke(extra.info.id);
    revoked = extra.token;
  });
  afterAll(async () => {
    api?.cleanup();
    if (api) await pagesIdle(api.ctx); // background page refreshes end before the connection closes
    await env?.teardown();
  });

  const send = (op: Operation, token?: string) => {
    const req = request(app)[op.method](op.path);
    return token ? req.set('Authorization', `Bearer ${token}`) : req;
  };

  it('documents a required role for every operation, and covers the whole API', () => {
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const op of ops) expect(['public', ...roles]).toContain(op.role);
    // «Accesso a IO»: the onboarding outcome and the Comune's manage key are staff steps (managers and admins too).
    expect(ops.filter((op) => /\/(onboarding|manage-key)$/.test(op.path))).toEqual([
      { method: 'post', path: '/api/v1/comuni/c_l378/onboarding', role: 'staff' },
      { method: 'post', path: '/api/v1/comuni/c_l378/manage-key', role: 'staff' },
    ]);
  });

  it('answers 401 without a token, with a forged token and with a revoked one, on every protected endpoint', async () => {
    const forged = ['iob_aaaaaaaaaaaa_' + 'A'.repeat(43), 'not-a-token', 'a.b.c'];
    for (const op of ops.filter((o) => o.role !== 'public')) {
      for (const token of [undefined, ...forged, revoked]) {
        const res = await send(op, token);
        expect({ op: `${op.method} ${op.path}`, token, status: res.status }).toEqual({
          op: `${op.method} ${op.path}`,
          token,
          status: 401,
        });
        expect(res.headers['content-type']).toMatch(/problem\+json/);
      }
    }
  });

  it('answers 403 to every role below the required one, and lets the required roles through', async () => {
    for (const op of ops.filter((o) => o.role !== 'public')) {
      for (const role of roles) {
        const res = await send(op, api.tokens[role]);
        const label = `${op.method} ${op.path} as ${role}`;
        if (roleAllows(role, op.role as Role))
          expect({ label, status: res.status }).not.toEqual({ label, status: 403 });
        else expect({ label, status: res.status }).toEqual({ label, status: 403 });
        expect(res.status).not.toBe(401);
      }
    }
  });

  it('serves the public endpoints without a token', async () => {
    expect((await request(app).get('/api/v1/openapi.json')).status).toBe(200);
    expect((await request(app).get('/api/v1/docs/')).status).toBe(200);
  });
});
