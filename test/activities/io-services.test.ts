import { createHash } from 'node:crypto';
import type { Logger as TemporalLogger } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { MockActivityEnvironment } from '@temporalio/testing';
import { withFailureMapping } from '../../activities/failures';
import {
  createIoServiceActivities,
  CREATION_THROTTLED,
  PUBLICATION_NOT_READY,
  PUBLICATION_PENDING,
  type IoServiceSettings,
} from '../../activities/io-services';
import { ioLimitsFromEnv } from '../../common/config';
import {
  ConcurrencyLimiter,
  processCreationLimiter,
  SANDBOX_FISCAL_CODE,
  type IoManageClient,
} from '../../integrations/io';
import {
  eventually,
  failureOf,
  overrideClient,
  runActivity,
  runAttempt,
  startActivityHarness,
  startSlowResponseProxy,
  TENANT,
  ULID,
  withCreateServiceFrom,
  type ActivityHarness,
} from './harness';

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

describe('ensureService', () => {
  it('creates the service once; a retry after a crash finds it instead of creating a second one', async () => {
    const card = h.card('tari');
    const first = await runActivity(h.activities.ensureService, { card });
    expect(first.created).toBe(true);
    expect(first.serviceId).toMatch(ULID);

    const again = await runActivity(h.activities.ensureService, { card });
    expect(again).toEqual({ serviceId: first.serviceId, created: false });

    const listed = await h.io.listServices({ limit: 100 });
    expect(listed.value.filter((s) => s.name === card.service_name)).toHaveLength(1);
    expect(await h.servicesNamed(card.service_name)).toHaveLength(1);

    // The card became the manage API's body.
    const service = await h.io.getService(first.serviceId);
    expect(service).toMatchObject({
      status: { value: 'draft' },
      name: 'Tassa sui rifiuti (TARI)',
      organization: { name: 'Comune di Trento', fiscal_code: '00355870221' },
      authorized_cidrs: ['127.0.0.1/32'],
      metadata: {
        scope: 'LOCAL',
        privacy_url: 'https://www.comune.trento.it/privacy',
        pec: 'servizio.protocollo@pec.comune.trento.it',
        support_url: 'https://www.comune.trento.it/assistenza',
      },
    });
  });

  it('finds the service whatever the case and spacing of its name', async () => {
    const card = h.card('anagrafe');
    const first = await runActivity(h.activities.ensureService, { card });
    const sloppy = h.card('anagrafe', { service_name: 'servizi   ANAGRAFICI' });
    expect(await runActivity(h.activities.ensureService, { card: sloppy })).toEqual({
      serviceId: first.serviceId,
      created: false,
    });
    expect(await h.servicesNamed(card.service_name)).toHaveLength(1);
  });

  it('lost response (slow answer): the first attempt times out retryably, the retry finds what it created', async () => {
    const card = h.card('cie');
    const proxy = await startSlowResponseProxy(h.url, 600);
    try {
      const impatient = h.build({
        ...h.deps,
        io: withCreateServiceFrom(h.io, h.ioClient({ baseUrl: proxy.url, timeoutMs: 150 })),
      });
      const failure = await failureOf(runActivity(impatient.ensureService, { card }));
      expect(failure.nonRetryable).toBe(false);
      expect(failure.type).toBe('Http_timeout');
      // The sandbox did create it: only the answer was lost.
      expect(await h.servicesNamed(card.service_name)).toHaveLength(1);
    } finally {
      await proxy.close();
    }

    const retry = await runActivity(h.activities.ensureService, { card });
    expect(retry.created).toBe(false);
    const stored = await h.servicesNamed(card.service_name);
    expect(stored).toHaveLength(1);
    expect(stored[0].id).toBe(retry.serviceId);
  });

  it('lost response (sandbox latency): a create whose client timed out is still carried out by the sandbox', async () => {
    const card = h.card('mensa');
    const impatient = h.build({
      ...h.deps,
      io: withCreateServiceFrom(h.io, h.ioClient({ timeoutMs: 150, retry: { maxAttempts: 1 } })),
    });
    await h.admin('PUT', '/faults', { latencyMs: 500, pathPrefix: '/api/v1/manage/services' });
    const failure = await failureOf(runActivity(impatient.ensureService, { card }));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe('Http_timeout');

    // The sandbox's latency fault promises "a timeout may hide a success": the create must happen.
    const created = await eventually(
      async () => (await h.servicesNamed(card.service_name)).length === 1,
      1_500,
    );
    await h.admin('DELETE', '/faults');
    const retry = await runActivity(h.activities.ensureService, { card });
    expect(await h.servicesNamed(card.service_name)).toHaveLength(1);
    expect(created).toBe(true);
    expect(retry.created).toBe(false);
  });
});

describe('updateService', () => {
  it('writes the card again and answers the lifecycle status', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('asilo-nido') });
    const card = h.card('asilo-nido', {
      description: 'Graduatorie e avvisi di pagamento delle rette del nido.',
    });
    expect(await runActivity(h.activities.updateService, { serviceId, card })).toEqual({ status: 'draft' });
    expect((await h.io.getService(serviceId)).description).toBe(card.description);
  });
});

describe('uploadLogo', () => {
  it('uploads the logo from the document store', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('imu') });
    const result = await runActivity(h.activities.uploadLogo, { serviceId, logoRef: h.logoRef });
    expect(result).toEqual({ sha256: h.logoRef });
    const [stored] = await h.servicesNamed(h.card('imu').service_name);
    expect(stored.logo).toMatchObject({ sha256: h.logoRef });
  });

  it('an unknown logo is a non-retryable LogoNotFound', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('imu') });
    const failure = await failureOf(
      runActivity(h.activities.uploadLogo, { serviceId, logoRef: 'ab'.repeat(32) }),
    );
    expect(failure).toMatchObject({ type: 'LogoNotFound', nonRetryable: true });
  });
});

describe('configurePortal', () => {
  beforeAll(async () => {
    const seeded = await h.admin('PUT', `/portal/tenants/${TENANT}/services`, [
      { name: 'Pagamento TARI', slug: 'pagamento-tari', identifier: 'tari' },
      { name: 'Iscrizione al servizio di trasporto scolastico', slug: 'trasporto-scolastico' },
    ]);
    expect(seeded.status).toBe(200);
  });

  it('copies the keys to the portal without returning them', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('tari') });
    const result = await runActivity(h.activities.configurePortal, {
      serviceId,
      tenant: TENANT,
      slug: 'tari',
    });

    const keys = await h.io.getKeys(serviceId);
    const returned = JSON.stringify(result);
    expect(returned).not.toContain(keys.primary_key);
    expect(returned).not.toContain(keys.secondary_key);
    expect(result.primaryKeyFingerprint).toBe(
      createHash('sha256').update(keys.primary_key).digest('hex').slice(0, 12),
    );

    const { body } = await h.admin('GET', `/portal/tenants/${TENANT}/services`);
    const onPortal = body.services.find((s: { id: string }) => s.id === result.portalServiceId);
    expect(onPortal).toMatchObject({
      identifier: 'tari',
      io: {
        IOserviceId: serviceId,
        primaryKey: { set: true },
        secondaryKey: { set: true },
        matchesIoService: true,
      },
    });
    expect(JSON.stringify(body)).not.toContain(keys.primary_key);

    // A retry writes the same values: harmless.
    expect(
      await runActivity(h.activities.configurePortal, { serviceId, tenant: TENANT, slug: 'tari' }),
    ).toEqual(result);
  });

  it('after a key rotation, configuring again puts the new keys on the portal', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('tari') });
    await runActivity(h.activities.configurePortal, { serviceId, tenant: TENANT, slug: 'tari' });
    await h.io.regenerateKey(serviceId, 'primary');
    let { body } = await h.admin('GET', `/portal/tenants/${TENANT}/services`);
    expect(
      body.services.find((s: { identifier: string }) => s.identifier === 'tari').io.matchesIoService,
    ).toBe(false);
    await runActivity(h.activities.configurePortal, { serviceId, tenant: TENANT, slug: 'tari' });
    ({ body } = await h.admin('GET', `/portal/tenants/${TENANT}/services`));
    expect(
      body.services.find((s: { identifier: string }) => s.identifier === 'tari').io.matchesIoService,
    ).toBe(true);
  });

  it('a portal service that does not exist is a non-retryable PortalServiceNotFound', async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card('tari') });
    const failure = await failureOf(
      runActivity(h.activities.configurePortal, { serviceId, tenant: TENANT, slug: 'servizio-inesistente' }),
    );
    expect(failure).toMatchObject({ type: 'PortalServiceNotFound', nonRetryable: true });
    const other = await failureOf(
      runActivity(h.activities.configurePortal, { serviceId, tenant: 'comune-sconosciuto', slug: 'tari' }),
    );
    expect(other).toMatchObject({ type: 'PortalServiceNotFound', nonRetryable: true });
  });

  it("the `slug` input is the catalogue slug, matched against the portal's identifier, not its URL slug", async () => {
    const { serviceId } = await runActivity(h.activities.ensureService, {
      card: h.card('trasporto-scolastico'),
    });
    // A portal service with that URL slug but no identifier is not a match.
    const failure = await failureOf(
      runActivity(h.activities.configurePortal, { serviceId, tenant: TENANT, slug: 'trasporto-scolastico' }),
    );
    expect(failure).toMatchObject({ type: 'PortalServiceNotFound', nonRetryable: true });
    // Nor is the URL slug of a service that has an identifier.
    const bySlug = await failureOf(
      runActivity(h.activities.configurePortal, { serviceId, tenant: TENANT, slug: 'pagamento-tari' }),
    );
    expect(bySlug).toMatchObject({ type: 'PortalServiceNotFound' });
  });
});

describe('setUpService: the IO steps before review, in one activity', () => {
  const portalService = { name: 'Pagamento TARI', slug: 'pagamento-tari', identifier: 'tari' };
  beforeAll(async () => {
    expect((await h.admin('PUT', `/portal/tenants/${TENANT}/services`, [portalService])).status).toBe(200);
  });
  const input = (serviceName: string, slug = 'tari') => ({
    card: h.card('tari', { service_name: serviceName }),
    tenant: TENANT,
    slug,
    done: {},
    submit: true,
  });

  it('creates, uploads the logo, configures the portal, sends the test message and submits, heartbeating each step', async () => {
    const { outcome, heartbeats } = await runAttempt(
      {},
      h.activities.setUpService,
      input('TARI (set-up completo)'),
    );
    const done = await outcome;
    expect(done).toMatchObject({
      serviceId: expect.stringMatching(ULID),
      logoUploaded: true,
      portalConfigured: true,
      testMessageSent: true,
    });
    for (const at of [done.createdAt, done.portalConfiguredAt, done.submittedAt]) {
      expect(Number.isNaN(Date.parse(at!))).toBe(false);
    }
    // What each step did, kept for a later attempt: no key is in it.
    expect(heartbeats.map((d) => Object.keys((d as { setUp: object }).setUp).length)).toEqual([
      2, 3, 5, 6, 7,
    ]);
    expect(JSON.stringify(heartbeats)).not.toMatch(/primary_key|secondary_key/);
    const [stored] = await h.servicesNamed('TARI (set-up completo)');
    expect(stored.logo).toMatchObject({ sha256: h.logoRef });
    expect((await h.io.getReviewStatus(done.serviceId!)).value).toBe('submitted');
  });

  it('a transient failure keeps what was done for the retry, beside the retry pacing; the retry resumes there', async () => {
    const name = 'TARI (set-up ripreso)';
    await h.admin('PUT', '/faults', { failNext: 50, errorStatus: 503, pathPrefix: '/portal' });
    const first = await runAttempt({}, h.activities.setUpService, input(name));
    expect(await failureOf(first.outcome)).toMatchObject({ type: 'Http503', nonRetryable: false });
    const last = first.heartbeats.at(-1) as { setUp: Record<string, unknown>; transientFailures: number };
    expect(last.transientFailures).toBe(1);
    expect(last.setUp).toMatchObject({ serviceId: expect.stringMatching(ULID), logoUploaded: true });
    expect(last.setUp.portalConfigured).toBeUndefined();
    await h.admin('DELETE', '/faults');

    // The next attempt starts from those details: it neither looks for nor creates the service, nor uploads the logo.
    const refused = () => Promise.reject(new Error('step already done: must not run again'));
    const io = overrideClient(h.io, {
      findServiceByName: refused,
      createService: refused,
      uploadLogo: refused,
    });
    // As the workflow asks: it records none of these steps yet (its `false` must not undo the heartbeat's).
    const second = await runAttempt({ heartbeatDetails: last }, ioActivities(io).setUpService, {
      ...input(name),
      done: { logoUploaded: false, portalConfigured: false, testMessageSent: false },
    });
    const done = await second.outcome;
    expect(done).toMatchObject({
      serviceId: last.setUp.serviceId,
      portalConfigured: true,
      testMessageSent: true,
    });
    expect(await h.servicesNamed(name)).toHaveLength(1);
    expect((await h.io.getReviewStatus(done.serviceId!)).value).toBe('submitted');
  });

  it('a step retrying cannot fix fails for staff with its failure, the step and what was done', async () => {
    const failure = await failureOf(
      runActivity(h.activities.setUpService, input('TARI (portale mancante)', 'servizio-inesistente')),
    );
    expect(failure).toMatchObject({ type: 'PortalServiceNotFound', nonRetryable: true });
    expect(failure.message).toContain('non trovato sul portale');
    expect(failure.details?.at(-1)).toEqual({
      serviceSetUp: {
        step: 'portal',
        progress: {
          serviceId: expect.stringMatching(ULID),
          createdAt: expect.any(String),
          logoUploaded: true,
        },
      },
    });
  });

  it('skips what the workflow already records, and submits only when asked', async () => {
    const name = 'TARI (set-up parziale)';
    const { serviceId } = await runActivity(h.activities.ensureService, {
      card: h.card('tari', { service_name: name }),
    });
    const done = await runActivity(h.activities.setUpService, {
      ...input(name),
      done: { serviceId, logoUploaded: true },
      submit: false,
    });
    expect(done).toEqual({
      serviceId,
      logoUploaded: true,
      portalConfigured: true,
      portalConfiguredAt: expect.any(String),
      testMessageSent: true,
    });
    const [stored] = await h.servicesNamed(name);
    expect(stored.logo ?? null).toBeNull(); // the workflow said it was uploaded: not sent again
    expect((await h.io.getReviewStatus(serviceId)).value).toBe('draft');
  });
});

describe('sendTestMessage', () => {
  it('an unpublished service writes to the sandbox fiscal code', async () => {
    const card = h.card('biblioteca');
    const { serviceId } = await runActivity(h.activities.ensureService, { card });
    const { messageId } = await runActivity(h.activities.sendTestMessage, {
      serviceId,
      serviceName: card.service_name,
    });
    expect(messageId).toMatch(ULID);
    const { body } = await h.admin('GET', '/messages');
    expect(body.messages).toContainEqual(
      expect.objectContaining({
        id: messageId,
        service_id: serviceId,
        fiscal_code: SANDBOX_FISCAL_CODE,
        subject: 'Messaggio di prova: Biblioteca comunale',
      }),
    );
  });
});

const quietTemporalLogger: TemporalLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Runs an activity whose first attempt was scheduled `minutesAgo` (Temporal keeps that time across retries). */
function runScheduled<P extends unknown[], R>(
  minutesAgo: number,
  fn: (...args: P) => Promise<R>,
  ...args: P
): Promise<R> {
  const info = { scheduledTimestampMs: Date.now() - minutesAgo * 60_000, attempt: 3 };
  return new MockActivityEnvironment(info, { logger: quietTemporalLogger }).run(fn, ...args);
}

/** The IO activities over another manage client (and settings), with the worker's failure mapping. */
function ioActivities(io: IoManageClient, ioSettings?: Partial<IoServiceSettings>) {
  return withFailureMapping(createIoServiceActivities({ ...h.deps, io, ioSettings }));
}

/** A fetch that answers `status` (problem JSON) to the requests `matches` selects and passes the others on. */
function answering(status: number, matches: (method: string, url: URL) => boolean): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    if (!matches(request.method, new URL(request.url))) return fetch(input, init);
    return new Response(JSON.stringify({ title: 'Not Found', status, detail: 'no item found' }), {
      status,
      headers: { 'content-type': 'application/problem+json' },
    });
  };
}

describe('configuration of the IO limits', () => {
  it('defaults: 30 minutes of publication wait, 5 concurrent creations; out-of-range values are refused', () => {
    expect(ioLimitsFromEnv({})).toEqual({ IO_PUBLICATION_WAIT_MINUTES: 30, IO_MAX_CONCURRENT_CREATIONS: 5 });
    expect(ioLimitsFromEnv({ IO_PUBLICATION_WAIT_MINUTES: '45', IO_MAX_CONCURRENT_CREATIONS: '2' })).toEqual({
      IO_PUBLICATION_WAIT_MINUTES: 45,
      IO_MAX_CONCURRENT_CREATIONS: 2,
    });
    expect(() => ioLimitsFromEnv({ IO_MAX_CONCURRENT_CREATIONS: '11' })).toThrow();
    expect(() => ioLimitsFromEnv({ IO_PUBLICATION_WAIT_MINUTES: '0' })).toThrow();
  });

  it('one creation limiter per process, sized by IO_MAX_CONCURRENT_CREATIONS', () => {
    expect(processCreationLimiter()).toBe(processCreationLimiter());
    expect(processCreationLimiter().max).toBe(ioLimitsFromEnv().IO_MAX_CONCURRENT_CREATIONS);
  });
});

describe('ensureService: the duplicate guard and the creation limit', () => {
  it('finds a service listed after a short page (count < limit) instead of creating a second one', async () => {
    const card = h.card('suolo-pubblico');
    const { serviceId } = await runActivity(h.activities.ensureService, { card });
    const service = await h.io.getService(serviceId);
    const posts: string[] = [];
    // As PagoPA may answer: a first page holding only a deleted twin (count 1 < limit 100), then the page with the
    // service, then the empty page.
    const pages: Record<string, unknown[]> = {
      '0': [{ ...service, id: '01234567890', status: { value: 'deleted' } }],
      '100': [service],
    };
    const io = h.ioClient({
      pageSize: 100,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        const url = new URL(request.url);
        if (request.method === 'POST') posts.push(url.pathname);
        if (request.method !== 'GET' || url.pathname !== '/api/v1/manage/services') return fetch(input, init);
        const offset = url.searchParams.get('offset') ?? '0';
        const value = pages[offset] ?? [];
        return Response.json({
          value,
          pagination: { offset: Number(offset), limit: 100, count: value.length },
        });
      },
    });
    expect(await runActivity(ioActivities(io).ensureService, { card })).toEqual({
      serviceId,
      created: false,
    });
    expect(posts).toEqual([]);
  });

  it('a 429 on create is retryable and carries Retry-After as the next retry delay', async () => {
    const card = h.card('imu', { service_name: 'Imposta municipale (prova 429)' });
    const io = overrideClient(h.io, { findServiceByName: () => Promise.resolve(null) });
    await h.admin('PUT', '/faults', {
      rateLimitBurst: { requests: 1, retryAfterSeconds: 30 },
      pathPrefix: '/api/v1/manage/services',
    });
    const failure = await failureOf(runActivity(ioActivities(io).ensureService, { card }));
    expect(failure).toMatchObject({ type: 'Http429', nonRetryable: false });
    expect(msToNumber(failure.nextRetryDelay ?? 0)).toBe(30_000);
    expect(await h.servicesNamed(card.service_name)).toHaveLength(0);

    // A short Retry-After is waited for in the client: the create goes through.
    await h.admin('PUT', '/faults', {
      rateLimitBurst: { requests: 1, retryAfterSeconds: 0 },
      pathPrefix: '/api/v1/manage/services',
    });
    expect(await runActivity(ioActivities(io).ensureService, { card })).toMatchObject({ created: true });
  });

  it('at most IO_MAX_CONCURRENT_CREATIONS creations are in flight at once in the process', async () => {
    let inFlight = 0;
    let peak = 0;
    const io = h.ioClient({
      creationLimiter: new ConcurrencyLimiter(2),
      fetch: async (input, init) => {
        const creating = init?.method === 'POST';
        if (creating) peak = Math.max(peak, ++inFlight);
        try {
          return await fetch(input, init);
        } finally {
          if (creating) inFlight--;
        }
      },
    });
    await h.admin('PUT', '/faults', { latencyMs: 60, pathPrefix: '/api/v1/manage/services' });
    const activities = ioActivities(io);
    const names = ['Uno', 'Due', 'Tre', 'Quattro', 'Cinque', 'Sei'].map((n) => `Servizio limitato ${n}`);
    const results = await Promise.all(
      names.map((service_name) =>
        runActivity(activities.ensureService, { card: h.card('tari', { service_name }) }),
      ),
    );
    expect(results.every((r) => r.created)).toBe(true);
    expect(peak).toBe(2);
  });

  it('no free creation slot for too long: a retryable CreationThrottled, nothing sent', async () => {
    const limiter = new ConcurrencyLimiter(1, 50);
    let release!: () => void;
    const busy = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
    const card = h.card('imu', { service_name: 'Servizio in attesa di uno slot' });
    try {
      const failure = await failureOf(
        runActivity(ioActivities(h.ioClient({ creationLimiter: limiter })).ensureService, { card }),
      );
      expect(failure).toMatchObject({ type: CREATION_THROTTLED, nonRetryable: false });
    } finally {
      release();
      await busy;
    }
    expect(await h.servicesNamed(card.service_name)).toHaveLength(0);
  });
});

describe('ensurePublished: POST /release answering 404 right after approval', () => {
  const releaseNotFound = () =>
    h.ioClient({
      fetch: answering(404, (method, url) => method === 'POST' && url.pathname.endsWith('/release')),
    });

  async function approved(slug: string): Promise<string> {
    const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card(slug) });
    await runActivity(h.activities.submitForReview, { serviceId });
    await h.admin('POST', `/services/${serviceId}/review`, { decision: 'approve' });
    return serviceId;
  }

  it('within IO_PUBLICATION_WAIT_MINUTES: a retryable PublicationPending (Temporal retries it)', async () => {
    const serviceId = await approved('anagrafe');
    const activities = ioActivities(releaseNotFound(), { publicationWaitMinutes: 30 });
    const failure = await failureOf(runScheduled(5, activities.ensurePublished, { serviceId }));
    expect(failure).toMatchObject({ type: PUBLICATION_PENDING, nonRetryable: false });
    expect(failure.message).toContain('30 minuti');
  });

  it('after the window: a non-retryable PublicationNotReady, so staff are told', async () => {
    const serviceId = await approved('cie');
    const activities = ioActivities(releaseNotFound(), { publicationWaitMinutes: 30 });
    const failure = await failureOf(runScheduled(31, activities.ensurePublished, { serviceId }));
    expect(failure).toMatchObject({ type: PUBLICATION_NOT_READY, nonRetryable: true });
    expect(failure.details?.[0]).toMatchObject({ status: 404 });
    // The window is configurable.
    const short = ioActivities(releaseNotFound(), { publicationWaitMinutes: 1 });
    expect(await failureOf(runScheduled(2, short.ensurePublished, { serviceId }))).toMatchObject({
      type: PUBLICATION_NOT_READY,
    });
  });

  it('a review poll asked to publish answers the approval without `published`: ensurePublished takes over', async () => {
    const serviceId = await approved('lampade-votive');
    const activities = ioActivities(releaseNotFound(), { publicationWaitMinutes: 30 });
    expect(await runActivity(activities.awaitReviewDecision, { serviceId, publish: true })).toEqual({
      outcome: 'approved',
    });
    expect((await h.io.getRelease(serviceId))?.status).not.toBe('published');
    // With PagoPA's release ready, the workflow's own publication does it.
    expect(await runActivity(h.activities.ensurePublished, { serviceId })).toEqual({
      published: true,
      alreadyPublished: false,
    });
  });

  it('the same 404 for a service that does not exist is the non-retryable Http404 at once', async () => {
    const activities = ioActivities(releaseNotFound(), { publicationWaitMinutes: 30 });
    const failure = await failureOf(
      runScheduled(0, activities.ensurePublished, { serviceId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }),
    );
    expect(failure).toMatchObject({ type: 'Http404', nonRetryable: true });
  });

  it('once the published copy exists, the retry publishes', async () => {
    const serviceId = await approved('mensa');
    const result = await runScheduled(10, ioActivities(h.io).ensurePublished, { serviceId });
    expect(result).toEqual({ published: true, alreadyPublished: false });
  });
});
