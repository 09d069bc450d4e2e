import { createHash } from 'node:crypto';
import { SANDBOX_FISCAL_CODE } from '../../integrations/io';
import {
  eventually,
  failureOf,
  runActivity,
  startActivityHarness,
  startSlowResponseProxy,
  TENANT,
  ULID,
  withCreateServiceFrom,
  type ActivityHarness,
} from './harness';

let h: ActivityHarness;

beforeAll(async () => {
  h = await startActivityHarness({ sandbox: { reviewer: { mode: 'manual' } } });
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
