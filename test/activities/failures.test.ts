import { msToNumber } from '@temporalio/common/lib/time';
import { createSelfcareClient } from '../../integrations/selfcare';
import {
  failureOf,
  overrideClient,
  runActivity,
  runAttempt,
  silentLogger,
  startActivityHarness,
  type ActivityHarness,
} from './harness';

/** A syntactically valid ULID that names no service. */
const UNKNOWN_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

let h: ActivityHarness;

beforeAll(async () => {
  // The activities over a plain partner-wide client (the legacy scope); each Comune's own key: manage-keys.test.ts.
  h = await startActivityHarness({ legacyPartnerKey: true, sandbox: { reviewer: { mode: 'manual' } } });
});

afterAll(async () => {
  await h?.close();
});

afterEach(async () => {
  await h.admin('DELETE', '/faults');
});

describe('failure mapping', () => {
  it("a 404 is non-retryable, typed Http404, with PagoPA's Problem in the details", async () => {
    const failure = await failureOf(
      runActivity(h.activities.updateService, { serviceId: UNKNOWN_ID, card: h.card('tari') }),
    );
    expect(failure).toMatchObject({ type: 'Http404', nonRetryable: true });
    expect(failure.message).toContain('404');
    expect(failure.details?.[0]).toMatchObject({ status: 404 });
  });

  it('a 401 (a wrong subscription key) is non-retryable', async () => {
    const selfcare = createSelfcareClient({
      baseUrl: h.url,
      subscriptionKey: 'not-the-selfcare-key',
      logger: silentLogger,
    });
    const activities = h.build({ ...h.deps, selfcare });
    const failure = await failureOf(runActivity(activities.checkAdhesion, { fiscalCode: '00355870221' }));
    expect(failure).toMatchObject({ type: 'Http401', nonRetryable: true });
  });

  it('a 503 on every attempt (errorRate 1) is retryable, typed Http503, paced from 2 seconds', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('imu') });
    await h.admin('PUT', '/faults', { errorRate: 1, errorStatus: 503 });
    const { outcome, heartbeats } = await runAttempt({}, h.activities.awaitReviewDecision, { serviceId });
    const failure = await failureOf(outcome);
    expect(failure).toMatchObject({ type: 'Http503', nonRetryable: false });
    expect(msToNumber(failure.nextRetryDelay!)).toBe(2_000);
    expect(heartbeats).toEqual([{ transientFailures: 1 }]);
  });

  it('the next retry after a 503 grows with the 503s in a row, up to 2 minutes, whatever the attempt number', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('suap') });
    await h.admin('PUT', '/faults', { errorRate: 1, errorStatus: 503 });
    const delays: number[] = [];
    for (const before of [1, 3, 6, 7, 40]) {
      const { outcome, heartbeats } = await runAttempt(
        { heartbeatDetails: { transientFailures: before } },
        h.activities.awaitReviewDecision,
        { serviceId },
      );
      delays.push(msToNumber((await failureOf(outcome)).nextRetryDelay!));
      expect(heartbeats).toEqual([{ transientFailures: before + 1 }]);
    }
    expect(delays).toEqual([4_000, 16_000, 120_000, 120_000, 120_000]);
  });

  it('a 429 with Retry-After resets the count: the first 503 after a burst of 429s waits 2 seconds, not 2 minutes', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('edilizia') });
    await h.admin('PUT', '/faults', { rateLimitBurst: { requests: 5, retryAfterSeconds: 30 } });
    const limited = await runAttempt(
      { heartbeatDetails: { transientFailures: 6 } },
      h.activities.awaitReviewDecision,
      {
        serviceId,
      },
    );
    expect(msToNumber((await failureOf(limited.outcome)).nextRetryDelay!)).toBe(30_000);
    expect(limited.heartbeats).toEqual([{ transientFailures: 0 }]);
    await h.admin('PUT', '/faults', { errorRate: 1, errorStatus: 503 });
    const after = await runAttempt(
      { heartbeatDetails: limited.heartbeats.at(-1) },
      h.activities.awaitReviewDecision,
      {
        serviceId,
      },
    );
    expect(msToNumber((await failureOf(after.outcome)).nextRetryDelay!)).toBe(2_000);
  });

  it('a local activity keeps its own short policy: no pacing, no heartbeat', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('elettorale') });
    await h.admin('PUT', '/faults', { errorRate: 1, errorStatus: 503 });
    const { outcome, heartbeats } = await runAttempt({ isLocal: true }, h.activities.awaitReviewDecision, {
      serviceId,
    });
    expect((await failureOf(outcome)).nextRetryDelay).toBeUndefined();
    expect(heartbeats).toEqual([]);
  });

  it('a 503 on the create (failNext) is not retried in-client, as it may hide a success: Temporal retries', async () => {
    const card = h.card('anagrafe');
    const io = overrideClient(h.io, {
      // The lookup is done: the next request, the create, fails.
      createService: async (...args) => {
        await h.admin('PUT', '/faults', { failNext: 1, errorStatus: 503 });
        return h.io.createService(...args);
      },
    });
    const failure = await failureOf(runActivity(h.build({ ...h.deps, io }).ensureService, { card }));
    expect(failure).toMatchObject({ type: 'Http503', nonRetryable: false });
    expect((await h.admin('GET', '/faults')).body.failNextRemaining).toBe(0);
    expect(await h.servicesNamed(card.service_name)).toHaveLength(0);
    // Temporal's next attempt creates it.
    expect((await runActivity(h.activities.ensureService, { card })).created).toBe(true);
    expect(await h.servicesNamed(card.service_name)).toHaveLength(1);
  });

  it('a 429 with a long Retry-After is retryable and sets the next retry delay', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('mensa') });
    await h.admin('PUT', '/faults', { rateLimitBurst: { requests: 5, retryAfterSeconds: 30 } });
    const failure = await failureOf(runActivity(h.activities.awaitReviewDecision, { serviceId }));
    expect(failure).toMatchObject({ type: 'Http429', nonRetryable: false });
    expect(failure.nextRetryDelay).toBeDefined();
    expect(msToNumber(failure.nextRetryDelay!)).toBe(30_000);
  });

  it('a 429 with a short Retry-After is waited for in-client: the activity succeeds', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('cie') });
    await h.admin('PUT', '/faults', { rateLimitBurst: { requests: 1, retryAfterSeconds: 0 } });
    expect(await runActivity(h.activities.updateService, { serviceId, card: h.card('cie') })).toEqual({
      status: 'draft',
    });
    const { body } = await h.admin('GET', '/counters');
    expect(body.injected429).toBeGreaterThanOrEqual(1);
  });

  it('an invalid request body never leaves the process: non-retryable', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('biblioteca') });
    const card = h.card('biblioteca', { organization_fiscal_code: 'ABC' });
    const failure = await failureOf(runActivity(h.activities.updateService, { serviceId, card }));
    expect(failure).toMatchObject({ type: 'Http_invalid_request', nonRetryable: true });
  });
});
