import { z } from 'zod';
import {
  createHttpClient,
  HttpNonRetryableError,
  HttpRetryableError,
  parseRetryAfter,
  type HttpClient,
} from '../../../integrations/http';
import { HttpIoManageClient } from '../../../integrations/io';
import {
  capturingLogger,
  MANAGE_KEY,
  servicePayload,
  silentLogger,
  startTestSandbox,
  type TestSandbox,
} from '../../sandbox/harness';

const pageSchema = z.object({ value: z.array(z.unknown()) });

describe('shared HTTP layer against the sandbox', () => {
  let t: TestSandbox;
  let http: HttpClient;
  const manageCount = async () =>
    ((await t.admin('GET', '/counters')).body as { requests: Record<string, number> }).requests;

  beforeAll(async () => {
    t = await startTestSandbox();
    http = createHttpClient({
      baseUrl: `${t.url}/api/v1/manage`,
      defaultHeaders: { 'Ocp-Apim-Subscription-Key': MANAGE_KEY },
      retry: { maxAttempts: 3, baseDelayMs: 10 },
      logger: silentLogger,
    });
  });
  afterAll(() => t.stop());
  afterEach(() => t.admin('DELETE', '/faults'));

  it('5xx injected twice: retried, then success on the third attempt', async () => {
    const before = (await manageCount())['GET (fault injected)'] ?? 0;
    await t.admin('PUT', '/faults', { failNext: 2 });
    const res = await http.request({ method: 'GET', path: '/services', schema: pageSchema });
    expect(res.value).toEqual(expect.any(Array));
    expect((await manageCount())['GET (fault injected)']).toBe(before + 2);
  });

  it('5xx beyond maxAttempts: the last HttpRetryableError is rethrown, with the Problem', async () => {
    await t.admin('PUT', '/faults', { failNext: 5, errorStatus: 503 });
    const err = await http
      .request({ method: 'GET', path: '/services', schema: pageSchema })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpRetryableError);
    expect(err).toMatchObject({ retryable: true, status: 503, kind: 'server_error', attempts: 3 });
    expect((err as HttpRetryableError).problem?.detail).toContain('Injected');
  });

  it('a POST is not retried on 5xx (it may have been processed)', async () => {
    await t.admin('PUT', '/faults', { failNext: 1 });
    const err = await http
      .request({ method: 'POST', path: '/services', body: servicePayload(), schema: z.unknown() })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true, status: 500, attempts: 1 });
    expect(((await t.admin('GET', '/faults')).body as { failNextRemaining: number }).failNextRemaining).toBe(
      0,
    );
  });

  it('429 with Retry-After: the retry waits at least Retry-After', async () => {
    await t.admin('PUT', '/faults', { rateLimitBurst: { requests: 1, retryAfterSeconds: 1 } });
    const started = Date.now();
    await http.request({ method: 'GET', path: '/services', schema: pageSchema });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('429 is retried for a POST too (the server did not process it)', async () => {
    await t.admin('PUT', '/faults', { rateLimitBurst: { requests: 1, retryAfterSeconds: 0 } });
    const created = await http.request({
      method: 'POST',
      path: '/services',
      body: servicePayload({ name: 'Creato dopo un 429' }),
      schema: z.object({ id: z.string() }),
    });
    expect(created.id).toHaveLength(26);
  });

  it('a Retry-After above maxRetryAfterMs is rethrown at once, carrying retryAfterMs', async () => {
    await t.admin('PUT', '/faults', { rateLimitBurst: { requests: 1, retryAfterSeconds: 120 } });
    const started = Date.now();
    const err = await http
      .request({ method: 'GET', path: '/services', schema: pageSchema })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toBeInstanceOf(HttpRetryableError);
    expect(err).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 120_000, attempts: 1 });
  });

  it('a timeout is retryable', async () => {
    await t.admin('PUT', '/faults', { latencyMs: 400 });
    const err = await http
      .request({
        method: 'GET',
        path: '/services',
        schema: pageSchema,
        timeoutMs: 100,
        retry: { maxAttempts: 2 },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpRetryableError);
    expect(err).toMatchObject({ kind: 'timeout', retryable: true, attempts: 2 });
  });

  it('a network error is retryable', async () => {
    const closed = createHttpClient({
      baseUrl: 'http://127.0.0.1:1',
      retry: { maxAttempts: 2, baseDelayMs: 1 },
      logger: silentLogger,
    });
    const err = await closed
      .request({ method: 'GET', path: '/x', schema: z.unknown() })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'network', retryable: true, attempts: 2 });
  });

  it('400/404 are non-retryable and carry the Problem detail', async () => {
    const bad = await http
      .request({ method: 'POST', path: '/services', body: { name: 'x' }, schema: z.unknown() })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(HttpNonRetryableError);
    expect(bad).toMatchObject({ retryable: false, status: 400, kind: 'client_error', attempts: 1 });
    expect((bad as HttpNonRetryableError).problem?.detail).toContain('organization');
    const missing = await http
      .request({ method: 'GET', path: '/services/nope', schema: z.unknown() })
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, retryable: false });
  });

  it('a body that fails the schema is a non-retryable invalid_response', async () => {
    const err = await http
      .request({ method: 'GET', path: '/services', schema: z.object({ items: z.array(z.string()) }) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpNonRetryableError);
    expect(err).toMatchObject({ kind: 'invalid_response', status: 200, retryable: false });
    expect((err as HttpNonRetryableError).issues).toEqual([expect.stringContaining('items')]);
  });

  it('the caller can abort (non-retryable, not a timeout)', async () => {
    await t.admin('PUT', '/faults', { latencyMs: 300 });
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 50);
    const err = await http
      .request({ method: 'GET', path: '/services', schema: pageSchema, signal: ctrl.signal })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'aborted', retryable: false });
  });

  it('never logs or reports the subscription key', async () => {
    const { logger, output } = capturingLogger();
    const client = new HttpIoManageClient({
      baseUrl: t.url,
      manageKey: MANAGE_KEY,
      logger,
      retry: { baseDelayMs: 1 },
    });
    await t.admin('PUT', '/faults', { failNext: 1 });
    await client.listServices({ limit: 1 });
    const err = await client.getService('01ARZ3NDEKTSV4RRFFQ69G5FAV').catch((e: unknown) => e);
    expect(output()).toContain('"attempt":2');
    expect(output()).not.toContain(MANAGE_KEY);
    expect(JSON.stringify(err)).not.toContain(MANAGE_KEY);
    expect(String(err)).not.toContain(MANAGE_KEY);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
