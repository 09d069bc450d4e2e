import { HttpNonRetryableError } from '../../../integrations/http';
import { HttpPortalClient } from '../../../integrations/portal';
import {
  capturingLogger,
  PORTAL,
  silentLogger,
  startTestSandbox,
  type TestSandbox,
} from '../../sandbox/harness';

const PARAMS = {
  IOserviceId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
  primaryKey: 'primary-key-secret-abc',
  secondaryKey: 'secondary-key-secret-def',
};
const AUTH_ROUTE = 'POST /portal/:tenant/api/auth';

describe('portal client against the sandbox', () => {
  let t: TestSandbox;
  const authCount = async () =>
    ((await t.admin('GET', '/counters')).body as { requests: Record<string, number> }).requests[AUTH_ROUTE] ??
    0;

  beforeAll(async () => {
    t = await startTestSandbox({ portal: { autoCreateServices: true } });
    await t.admin('PUT', `/portal/tenants/${PORTAL.tenant}/services`, [
      { name: 'Pagamento TARI', slug: 'pagamento-tari', identifier: 'tari' },
      { name: 'Iscrizione mensa', identifier: 'mensa' },
    ]);
  });
  afterAll(() => t.stop());

  it('authenticates once, finds a service, writes the IO parameters, never returns the keys', async () => {
    const { logger, output } = capturingLogger();
    const client = new HttpPortalClient({ baseUrl: `${t.url}/portal`, credentials: PORTAL, logger });
    const before = await authCount();
    const [tari] = await client.findServices(PORTAL.tenant, { identifier: 'tari' });
    expect(tari?.slug).toBe('pagamento-tari');
    expect((await client.findServices(PORTAL.tenant, { slug: 'pagamento-tari' }))[0]?.id).toBe(tari!.id);

    const updated = await client.setIoServiceParameters(PORTAL.tenant, tari!.id, PARAMS);
    expect(updated.io).toEqual({
      ioServiceId: PARAMS.IOserviceId,
      primaryKeySet: true,
      secondaryKeySet: true,
    });
    const again = await client.getService(PORTAL.tenant, tari!.id);
    for (const result of [updated, again]) {
      const text = JSON.stringify(result);
      expect(text).not.toContain(PARAMS.primaryKey);
      expect(text).not.toContain(PARAMS.secondaryKey);
    }
    expect(await authCount()).toBe(before + 1); // the token was cached
    expect(output()).not.toContain(PARAMS.primaryKey);
    expect(output()).not.toContain(PORTAL.password);

    const admin = (await t.admin('GET', `/portal/tenants/${PORTAL.tenant}/services`)).body as {
      services: { id: string; io: { primaryKey: { set: boolean } } | null }[];
    };
    expect(admin.services.find((s) => s.id === tari!.id)?.io?.primaryKey.set).toBe(true);
  });

  it('re-authenticates once after a 401 (token expired server-side)', async () => {
    const client = new HttpPortalClient({
      baseUrl: `${t.url}/portal`,
      credentials: PORTAL,
      logger: silentLogger,
    });
    await client.findServices(PORTAL.tenant, { identifier: 'mensa' });
    const before = await authCount();
    await t.admin('POST', '/portal/tokens/expire');
    const [mensa] = await client.findServices(PORTAL.tenant, { identifier: 'mensa' });
    expect(mensa?.name).toBe('Iscrizione mensa');
    expect(await authCount()).toBe(before + 1);
  });

  it('renews the token before its exp without waiting for a 401', async () => {
    let offset = 0;
    const client = new HttpPortalClient({
      baseUrl: `${t.url}/portal`,
      credentials: () => PORTAL,
      logger: silentLogger,
      now: () => Date.now() + offset,
    });
    await client.findServices(PORTAL.tenant, { identifier: 'mensa' });
    const before = await authCount();
    offset = 2 * 3_600_000; // past the sandbox's 1 h token lifetime, by the client's clock
    await client.findServices(PORTAL.tenant, { identifier: 'mensa' });
    expect(await authCount()).toBe(before + 1);
  });

  it('auto-creates a service on first lookup when the sandbox is told to', async () => {
    const client = new HttpPortalClient({
      baseUrl: `${t.url}/portal`,
      credentials: PORTAL,
      logger: silentLogger,
    });
    const [created] = await client.findServices(PORTAL.tenant, { identifier: 'certificati-anagrafici' });
    expect(created).toMatchObject({ identifier: 'certificati-anagrafici', io: { primaryKeySet: false } });
  });

  it('wrong credentials: a non-retryable 401 that does not echo the password', async () => {
    const client = new HttpPortalClient({
      baseUrl: `${t.url}/portal`,
      credentials: { username: PORTAL.username, password: 'wrong-password-xyz' },
      logger: silentLogger,
    });
    const err = await client.findServices(PORTAL.tenant, { identifier: 'tari' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpNonRetryableError);
    expect(err).toMatchObject({ status: 401 });
    expect(JSON.stringify(err)).not.toContain('wrong-password-xyz');
  });

  it('404 for an unknown portal service', async () => {
    const client = new HttpPortalClient({
      baseUrl: `${t.url}/portal`,
      credentials: PORTAL,
      logger: silentLogger,
    });
    await expect(client.setIoServiceParameters(PORTAL.tenant, 'no-such-id', PARAMS)).rejects.toMatchObject({
      status: 404,
      retryable: false,
    });
  });
});
