import request from 'supertest';
import type { Express } from 'express';
import type { Client } from '@temporalio/client';
import { createApp } from '../../api/app';
import {
  AUTH_FAILURE_WINDOW_MS,
  rateLimitsFromConfig,
  rateLimitsFromEnv,
  type HardeningOptions,
} from '../../api/hardening';
import { MAX_SIGNED_FORM_BYTES } from '../../api/routes/steps';
import { ConfigError, parseConfig } from '../../common/config';
import { testApiContext, type TestApiContext } from '../support/api-context';
import { expectClearProblem } from './support';

/**
 * HTTP hardening: helmet's security headers, the body and upload size limits, and the rate limits (failed
 * authentications per IP, writes per token). Every request here is answered before any handler reaches Temporal
 * (401, 413, 400 validation, 429), so the apps run on a client that is never called.
 */
const unusedClient = {} as Client;
const MB = 1024 * 1024;
const forged = `iob_aaaaaaaaaaaa_${'A'.repeat(43)}`;
/** A write refused by validation (400) before any handler. */
const adhesion = (server: Express, token: string) =>
  request(server).post('/api/v1/comuni/c_l378/adhesion').set('Authorization', `Bearer ${token}`).send({});

describe('HTTP hardening', () => {
  const contexts: TestApiContext[] = [];
  function app(hardening?: HardeningOptions): { app: Express; api: TestApiContext } {
    const api = testApiContext(unusedClient);
    contexts.push(api);
    return { app: createApp(api.ctx, [], hardening), api };
  }
  afterAll(() => {
    for (const api of contexts) api.cleanup();
  });

  describe('security headers (helmet)', () => {
    it('sets CSP, nosniff, frame protection and referrer policy, and hides the framework, on every kind of answer', async () => {
      const { app: server, api } = app();
      const answers = [
        await request(server).get('/'), // the console
        await request(server).get('/api/v1/openapi.json'),
        await request(server).get('/api/v1/me').set('Authorization', `Bearer ${api.tokens.staff}`),
        await request(server).get('/api/v1/me'), // 401 Problem
        await request(server).get('/api/v1/no-such-endpoint'), // 404 Problem
        await request(server).post('/api/v1/logos').set('Authorization', `Bearer ${api.tokens.staff}`), // 400
      ];
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 401, 404, 400]);
      for (const res of answers) {
        const h = res.headers;
        const csp = String(h['content-security-policy']);
        for (const directive of [
          "default-src 'self'",
          "script-src 'self'",
          "script-src-attr 'none'",
          "object-src 'none'",
          "base-uri 'self'",
          "form-action 'self'",
          "frame-ancestors 'self'",
        ]) {
          expect(csp).toContain(directive);
        }
        expect(csp).not.toMatch(/unsafe-eval/);
        expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
        expect(h['x-content-type-options']).toBe('nosniff');
        expect(h['x-frame-options']).toBe('SAMEORIGIN');
        expect(h['referrer-policy']).toBe('no-referrer');
        expect(h['strict-transport-security']).toMatch(/max-age=\d+/);
        expect(h['cross-origin-opener-policy']).toBe('same-origin');
        expect(h['cross-origin-resource-policy']).toBe('same-origin');
        expect(h['x-powered-by']).toBeUndefined();
      }
    });
  });

  describe('body and upload size limits', () => {
    it('reads JSON up to 1 MB and refuses more with 413 Problem JSON', async () => {
      const { app: server, api } = app();
      const post = (body: string) =>
        request(server)
          .post('/api/v1/admin/tokens')
          .set('Authorization', `Bearer ${api.tokens.admin}`)
          .set('Content-Type', 'application/json')
          .send(body);
      // Just under 1 MB: read and validated (the name is too long), not refused for its size.
      const under = await post(JSON.stringify({ name: 'x'.repeat(MB - 100), role: 'staff' }));
      expectClearProblem(under, 'JSON just under 1 MB', { status: 400, names: ['body.name'] });
      const over = await post(JSON.stringify({ name: 'x'.repeat(MB + 1), role: 'staff' }));
      expectClearProblem(over, 'JSON over 1 MB', { status: 413, detail: /too large/i });
    });

    it('limits uploads per kind: signed form 10 MB, logo 2 MB, CSV 20 MB (413 one byte over)', async () => {
      const { app: server, api } = app();
      const upload = (
        path: string,
        role: 'staff' | 'manager',
        size: number,
        fields: Record<string, string> = {},
      ) => {
        let req = request(server).post(`/api/v1${path}`).set('Authorization', `Bearer ${api.tokens[role]}`);
        for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
        // Starts with a CSV quoting error, so a file read in full is refused at once (a CSV of 20 MB that parses
        // keeps the event loop busy for seconds: see the report).
        const data = Buffer.alloc(size, 0x41);
        data.write('"a"b,');
        return req.attach('file', data, 'file.bin');
      };
      expect(MAX_SIGNED_FORM_BYTES).toBe(10 * MB);
      // At the limit the file is read (and the request refused for its note, before Temporal); over it, 413.
      const tooLongNote = { note: 'x'.repeat(501) };
      expectClearProblem(
        await upload('/comuni/c_l378/signed-form', 'staff', 10 * MB, tooLongNote),
        'signed form 10 MB',
        {
          status: 400,
          names: ['body.note'],
        },
      );
      expectClearProblem(
        await upload('/comuni/c_l378/signed-form', 'staff', 10 * MB + 1),
        'signed form over 10 MB',
        {
          status: 413,
          detail: /too large/i,
        },
      );
      expectClearProblem(await upload('/logos', 'staff', 2 * MB), 'logo 2 MB', { status: 422 });
      expectClearProblem(await upload('/logos', 'staff', 2 * MB + 1), 'logo over 2 MB', { status: 413 });
      expectClearProblem(await upload('/imports', 'manager', 20 * MB), 'CSV 20 MB', {
        status: 400,
        detail: /Quote/,
      });
      expectClearProblem(await upload('/imports', 'manager', 20 * MB + 1), 'CSV over 20 MB', { status: 413 });
    });

    it('refuses an upload without a valid token before reading it', async () => {
      const { app: server } = app();
      const res = await request(server)
        .post('/api/v1/comuni/c_l378/signed-form')
        .set('Authorization', `Bearer ${forged}`)
        .attach('file', Buffer.alloc(11 * MB, 0x41), 'big.p7m');
      expectClearProblem(res, 'forged token with an 11 MB upload', { status: 401 });
    });
  });

  describe('rate limit on failed authentication (per IP)', () => {
    const me = (server: Express, token?: string, ip?: string) => {
      let req = request(server).get('/api/v1/me');
      if (token) req = req.set('Authorization', `Bearer ${token}`);
      if (ip) req = req.set('X-Forwarded-For', ip);
      return req;
    };

    it('answers 429 Problem JSON with Retry-After after N failures, and still lets valid tokens in', async () => {
      const { app: server, api } = app({ rateLimits: { authFailures: 5 } });
      for (let i = 0; i < 5; i++)
        expectClearProblem(await me(server, forged), `failure ${i + 1}`, { status: 401 });
      const blocked = await me(server, forged);
      const problem = expectClearProblem(blocked, 'sixth failure', { status: 429, detail: /autenticazione/ });
      expect(problem.title).toBe('Troppe richieste');
      const retryAfter = Number(blocked.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(AUTH_FAILURE_WINDOW_MS / 1000);
      // No token, another forged one, a malformed header: all refused the same way now.
      expectClearProblem(await me(server), 'no token', { status: 429 });
      expectClearProblem(await me(server, 'not-a-token'), 'malformed token', { status: 429 });
      // A valid token is never locked out by someone else's failures from the same address.
      expect((await me(server, api.tokens.staff)).status).toBe(200);
      // Another client address (behind the trusted local proxy) has its own budget.
      expectClearProblem(await me(server, forged, '203.0.113.7'), 'another IP', { status: 401 });
    });

    it('counts only failures: successful requests do not use the budget', async () => {
      const { app: server, api } = app({ rateLimits: { authFailures: 3 } });
      for (let i = 0; i < 20; i++) expect((await me(server, api.tokens.manager)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await me(server, forged)).status).toBe(401);
      expect((await me(server, forged)).status).toBe(429);
    });

    it('opens again when the window ends', async () => {
      const { app: server } = app({ rateLimits: { authFailures: 2, authFailureWindowMs: 1_000 } });
      for (let i = 0; i < 2; i++) expect((await me(server, forged)).status).toBe(401);
      expect((await me(server, forged)).status).toBe(429);
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await me(server, forged)).status).toBe(401);
    });

    it('by default allows what a whole authorisation matrix produces from one address', async () => {
      expect(rateLimitsFromEnv({}).authFailures).toBeGreaterThanOrEqual(200);
      const { app: server } = app();
      const statuses = new Set<number>();
      for (let i = 0; i < 200; i++) statuses.add((await me(server, forged)).status);
      expect([...statuses]).toEqual([401]);
    });
  });

  describe('rate limit on writes (per token)', () => {
    it('answers 429 Problem JSON past the limit, per token, writes only, with RateLimit headers', async () => {
      const { app: server, api } = app({ rateLimits: { writesPerMinute: 5 } });
      for (let i = 0; i < 5; i++) {
        const res = await adhesion(server, api.tokens.staff);
        expectClearProblem(res, `write ${i + 1}`, { status: 400, names: ['body.adherent'] });
        expect(res.headers['ratelimit']).toMatch(/limit=5, remaining=\d+, reset=\d+/);
      }
      const blocked = await adhesion(server, api.tokens.staff);
      expectClearProblem(blocked, 'sixth write', { status: 429, detail: /al massimo 5 al minuto/ });
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
      // PUT and DELETE count too; reads do not.
      const put = await request(server)
        .put('/api/v1/comuni/c_l378/services/tari/card')
        .set('Authorization', `Bearer ${api.tokens.staff}`)
        .send({});
      expect(put.status).toBe(429);
      expect(
        (await request(server).get('/api/v1/me').set('Authorization', `Bearer ${api.tokens.staff}`)).status,
      ).toBe(200);
      // Another token has its own budget.
      expectClearProblem(await adhesion(server, api.tokens.manager), 'other token', { status: 400 });
      const del = await request(server)
        .delete('/api/v1/admin/tokens/short')
        .set('Authorization', `Bearer ${api.tokens.admin}`);
      expectClearProblem(del, 'admin delete', { status: 400 });
    });

    it('is off with 0, generous by default', async () => {
      const { app: server, api } = app({ rateLimits: { writesPerMinute: 0 } });
      for (let i = 0; i < 50; i++) expect((await adhesion(server, api.tokens.staff)).status).toBe(400);
      expect(rateLimitsFromEnv({}).writesPerMinute).toBeGreaterThanOrEqual(300);
    });
  });

  describe('configuration', () => {
    it('reads RATE_LIMIT_AUTH_FAILURES and RATE_LIMIT_WRITES_PER_MINUTE, refusing bad values by name', () => {
      expect(rateLimitsFromConfig(parseConfig({}))).toEqual({
        authFailures: 300,
        authFailureWindowMs: 15 * 60_000,
        writesPerMinute: 300,
      });
      expect(
        rateLimitsFromEnv({ RATE_LIMIT_AUTH_FAILURES: '20', RATE_LIMIT_WRITES_PER_MINUTE: '60' }),
      ).toMatchObject({ authFailures: 20, writesPerMinute: 60 });
      // Blank is unset, not 0 (which would turn the limit off).
      expect(rateLimitsFromEnv({ RATE_LIMIT_AUTH_FAILURES: ' ' }).authFailures).toBe(300);
      expect(rateLimitsFromEnv({ RATE_LIMIT_WRITES_PER_MINUTE: '0' }).writesPerMinute).toBe(0);
      for (const [variable, value] of [
        ['RATE_LIMIT_WRITES_PER_MINUTE', 'abc'],
        ['RATE_LIMIT_WRITES_PER_MINUTE', '-1'],
        ['RATE_LIMIT_AUTH_FAILURES', '2.5'],
      ] as const) {
        let error: unknown;
        try {
          parseConfig({ [variable]: value });
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).issues.map((i) => i.variable)).toEqual([variable]);
      }
    });

    it('takes its defaults from the environment when createApp is given none', async () => {
      const saved = process.env.RATE_LIMIT_WRITES_PER_MINUTE;
      process.env.RATE_LIMIT_WRITES_PER_MINUTE = '2';
      try {
        const { app: server, api } = app();
        expect((await adhesion(server, api.tokens.staff)).status).toBe(400);
        expect((await adhesion(server, api.tokens.staff)).status).toBe(400);
        expect((await adhesion(server, api.tokens.staff)).status).toBe(429);
      } finally {
        if (saved === undefined) delete process.env.RATE_LIMIT_WRITES_PER_MINUTE;
        else process.env.RATE_LIMIT_WRITES_PER_MINUTE = saved;
      }
    });
  });
});
