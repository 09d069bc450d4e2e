import { createHash } from 'node:crypto';
import { SANDBOX_FISCAL_CODE } from '../../sandbox';
import { ORG_FC, PORTAL, SELFCARE_KEY, servicePayload, startTestSandbox, type TestSandbox } from './harness';

const CITIZEN = 'RSSMRA80A01H501U';
const markdown = 'Gentile cittadino, questo è un messaggio di prova inviato dal servizio del Comune. '.repeat(
  2,
);

async function post(url: string, key: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Ocp-Apim-Subscription-Key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('sandbox: messages, Selfcare, portal, faults', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox({
      reviewer: { mode: 'manual' },
      institutions: {
        [ORG_FC]: {
          description: 'Comune di Prova',
          onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }],
        },
      },
    });
  });
  afterAll(() => t.stop());

  describe('messages', () => {
    let keys: { primary_key: string; secondary_key: string };
    let id: string;
    beforeAll(async () => {
      const created = await t.manage(
        'POST',
        '/services',
        servicePayload({ name: 'Servizio messaggi', authorized_recipients: ['VRDGPP80A01H501X'] }),
      );
      id = created.body.id as string;
      keys = (await t.manage('GET', `/services/${id}/keys`)).body;
    });
    const msg = (fiscal_code: string, subject = 'Oggetto del messaggio') => ({
      fiscal_code,
      content: { subject, markdown },
    });

    it('201 to the sandbox fiscal code and to authorized recipients, with either key', async () => {
      const a = await post(`${t.url}/api/v1/messages`, keys.primary_key, msg(SANDBOX_FISCAL_CODE));
      expect(a.status).toBe(201);
      expect(a.body.id).toEqual(expect.any(String));
      expect(
        (await post(`${t.url}/api/v1/messages`, keys.secondary_key, msg('VRDGPP80A01H501X'))).status,
      ).toBe(201);
    });

    it('403 to anyone else while unpublished; 201 once published', async () => {
      expect((await post(`${t.url}/api/v1/messages`, keys.primary_key, msg(CITIZEN))).status).toBe(403);
      await t.manage('PUT', `/services/${id}/review`, { auto_publish: true });
      await t.admin('POST', `/services/${id}/review`, { decision: 'approve' });
      expect((await post(`${t.url}/api/v1/messages`, keys.primary_key, msg(CITIZEN))).status).toBe(201);
    });

    it('400 on subject/markdown length; 401 with a manage key or none', async () => {
      const short = await post(
        `${t.url}/api/v1/messages`,
        keys.primary_key,
        msg(SANDBOX_FISCAL_CODE, 'Breve'),
      );
      expect(short.status).toBe(400);
      expect(short.body.detail).toContain('content.subject');
      const md = await post(`${t.url}/api/v1/messages`, keys.primary_key, {
        fiscal_code: SANDBOX_FISCAL_CODE,
        content: { subject: 'Oggetto valido', markdown: 'troppo corto' },
      });
      expect(md.body.detail).toContain('content.markdown');
      expect((await post(`${t.url}/api/v1/messages`, 'nope', msg(SANDBOX_FISCAL_CODE))).status).toBe(401);
    });

    it("a regenerated key stops at once, its replacement works at once; a deleted service's key is refused", async () => {
      const other = await t.manage('POST', '/services', servicePayload({ name: 'Servizio chiavi ruotate' }));
      const otherId = other.body.id as string;
      const old = (await t.manage('GET', `/services/${otherId}/keys`)).body;
      expect((await post(`${t.url}/api/v1/messages`, old.primary_key, msg(SANDBOX_FISCAL_CODE))).status).toBe(
        201,
      );
      const rotated = await t.manage('PUT', `/services/${otherId}/keys/primary`);
      expect(rotated.status).toBe(200);
      expect((await post(`${t.url}/api/v1/messages`, old.primary_key, msg(SANDBOX_FISCAL_CODE))).status).toBe(
        401,
      );
      expect(
        (await post(`${t.url}/api/v1/messages`, rotated.body.primary_key, msg(SANDBOX_FISCAL_CODE))).status,
      ).toBe(201);
      expect(
        (await post(`${t.url}/api/v1/messages`, old.secondary_key, msg(SANDBOX_FISCAL_CODE))).status,
      ).toBe(201);
      // The first service's keys are still its own.
      expect(
        (await post(`${t.url}/api/v1/messages`, keys.primary_key, msg(SANDBOX_FISCAL_CODE))).status,
      ).toBe(201);
      expect((await t.manage('DELETE', `/services/${otherId}`)).status).toBeLessThan(300);
      expect(
        (await post(`${t.url}/api/v1/messages`, old.secondary_key, msg(SANDBOX_FISCAL_CODE))).status,
      ).toBe(401);
    });

    it('profiles: sender_allowed', async () => {
      const res = await fetch(`${t.url}/api/v1/profiles/${CITIZEN}`, {
        headers: { 'Ocp-Apim-Subscription-Key': keys.primary_key },
      });
      expect(await res.json()).toMatchObject({ sender_allowed: true });
    });
  });

  describe('Selfcare', () => {
    const get = (taxCode: string, key = SELFCARE_KEY) =>
      fetch(`${t.url}/external/v2/institutions?taxCode=${taxCode}`, {
        headers: { 'Ocp-Apim-Subscription-Key': key },
      });

    it('seeded institution; unknown tax code 404; wrong key 401', async () => {
      const res = await get(ORG_FC);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        institutions: [
          {
            taxCode: ORG_FC,
            // Required by Selfcare's description: defaults when not seeded.
            origin: 'IPA',
            originId: ORG_FC,
            onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }],
          },
        ],
      });
      expect((await get('99999999999')).status).toBe(404);
      expect((await get(ORG_FC, 'wrong')).status).toBe(401);
    });

    it('admin PUT decides the scenario', async () => {
      await t.admin('PUT', '/selfcare/institutions/01234567890', {
        description: 'Comune di Nuovo',
        onboarding: [{ productId: 'prod-io', status: 'PENDING' }],
      });
      expect(await (await get('01234567890')).json()).toMatchObject({
        institutions: [{ onboarding: [{ status: 'PENDING' }] }],
      });
    });
  });

  describe('portal', () => {
    const base = () => `${t.url}/portal/${PORTAL.tenant}/api`;
    const auth = async () => {
      const res = await fetch(`${base()}/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: PORTAL.username, password: PORTAL.password }),
      });
      return ((await res.json()) as { token: string }).token;
    };

    it('auth, lookup, patch; admin view shows fingerprints only', async () => {
      expect(
        (
          await fetch(`${base()}/auth`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: PORTAL.username, password: 'wrong' }),
          })
        ).status,
      ).toBe(401);
      await t.admin('PUT', `/portal/tenants/${PORTAL.tenant}/services`, [
        { name: 'Iscrizione mensa', identifier: 'mensa' },
      ]);
      const token = await auth();
      expect((await fetch(`${base()}/services?identifier=mensa`)).status).toBe(401);
      const list = (await (
        await fetch(`${base()}/services?identifier=mensa`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { id: string }[];
      expect(list).toHaveLength(1);
      const patch = await fetch(`${base()}/services/${list[0]!.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          io_service_parameters: {
            IOserviceId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
            primaryKey: 'pk-secret-1',
            secondaryKey: 'sk-secret-2',
          },
        }),
      });
      expect(patch.status).toBe(200);
      const adminView = await t.admin('GET', `/portal/tenants/${PORTAL.tenant}/services`);
      const text = JSON.stringify(adminView.body);
      expect(text).not.toContain('pk-secret-1');
      expect(text).not.toContain('sk-secret-2');
      expect(text).toContain(createHash('sha256').update('pk-secret-1').digest('hex').slice(0, 16));
    });

    it('expired tokens are refused', async () => {
      const token = await auth();
      await t.admin('POST', '/portal/tokens/expire');
      expect(
        (await fetch(`${base()}/services`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(401);
    });
  });

  describe('faults', () => {
    afterEach(() => t.admin('DELETE', '/faults'));

    it('failNext answers 5xx on non-admin routes and counts them', async () => {
      const before = ((await t.admin('GET', '/counters')).body as { injected5xx: number }).injected5xx;
      await t.admin('PUT', '/faults', { failNext: 2, errorStatus: 503 });
      expect((await t.manage('GET', '/services')).status).toBe(503);
      expect((await t.admin('GET', '/faults')).status).toBe(200);
      expect((await t.manage('GET', '/services')).status).toBe(503);
      expect((await t.manage('GET', '/services')).status).toBe(200);
      expect(((await t.admin('GET', '/counters')).body as { injected5xx: number }).injected5xx).toBe(
        before + 2,
      );
    });

    it('rate limit burst answers 429 with Retry-After', async () => {
      await t.admin('PUT', '/faults', { rateLimitBurst: { requests: 1, retryAfterSeconds: 2 } });
      const res = await fetch(`${t.url}/api/v1/manage/services`);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
      expect((await t.manage('GET', '/services')).status).toBe(200);
    });

    it('errorRate is deterministic for a given seed', async () => {
      const run = async () => {
        await t.admin('PUT', '/faults', { errorRate: 0.5, seed: 7 });
        const statuses: number[] = [];
        for (let i = 0; i < 12; i++) statuses.push((await t.manage('GET', '/services')).status);
        return statuses;
      };
      const first = await run();
      expect(first).toContain(500);
      expect(first).toContain(200);
      expect(await run()).toEqual(first);
    });

    it('pathPrefix limits faults to one API', async () => {
      await t.admin('PUT', '/faults', { errorRate: 1, pathPrefix: '/external' });
      expect((await t.manage('GET', '/services')).status).toBe(200);
      expect(
        (
          await fetch(`${t.url}/external/v2/institutions?taxCode=${ORG_FC}`, {
            headers: { 'Ocp-Apim-Subscription-Key': SELFCARE_KEY },
          })
        ).status,
      ).toBe(500);
    });
  });
});
