import { createSandboxApp } from '../../sandbox';
import {
  ADMIN_TOKEN,
  capturingLogger,
  MANAGE_KEY,
  onboardedInstitutions,
  ORG_FC,
  OTHER_FC,
  PENDING_FC,
  servicePayload,
  startTestSandbox,
  type TestSandbox,
} from './harness';

const FORBIDDEN = {
  status: 403,
  title: 'You are not allowed here',
  detail: 'You do not have enough permission to complete the operation you requested',
};

describe('sandbox: a manage key per institution', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox({ reviewer: { mode: 'manual' }, institutions: onboardedInstitutions() });
  });
  afterAll(() => t.stop());

  describe('issued when the Comune is onboarded on prod-io (the back office\'s "Chiavi API di gestione")', () => {
    it('an onboarded institution has a primary and a secondary key, both accepted', async () => {
      const keys = await t.manageKeys(ORG_FC);
      expect(keys).toEqual({ primary_key: expect.any(String), secondary_key: expect.any(String) });
      expect(keys.primary_key).not.toBe(keys.secondary_key);
      expect((await t.manageKeys(OTHER_FC)).primary_key).not.toBe(keys.primary_key);
      expect((await t.manage('GET', '/services', undefined, keys.primary_key)).status).toBe(200);
      expect((await t.manage('GET', '/services', undefined, keys.secondary_key)).status).toBe(200);
    });

    it('a pending onboarding has no key (404) until Selfcare shows it ACTIVE', async () => {
      const before = await t.admin('GET', `/institutions/${PENDING_FC}/manage-keys`);
      expect(before.status).toBe(404);
      await t.admin('PUT', `/selfcare/institutions/${PENDING_FC}`, {
        description: 'Comune in attesa',
        onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }],
      });
      const keys = await t.manageKeys(PENDING_FC);
      expect((await t.manage('GET', '/services', undefined, keys.primary_key)).status).toBe(200);
      // A later Selfcare update keeps the same keys.
      await t.admin('PUT', `/selfcare/institutions/${PENDING_FC}`, {
        description: 'Comune in attesa (aggiornato)',
        onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }],
      });
      expect(await t.manageKeys(PENDING_FC)).toEqual(keys);
    });

    it('regenerating the primary key: the old one stops working at once, the secondary keeps working', async () => {
      const before = await t.manageKeys(ORG_FC);
      const regen = await t.admin('PUT', `/institutions/${ORG_FC}/manage-keys/primary`);
      expect(regen.status).toBe(200);
      const after = regen.body as { primary_key: string; secondary_key: string };
      expect(after.primary_key).not.toBe(before.primary_key);
      expect(after.secondary_key).toBe(before.secondary_key);
      expect(await t.manageKeys(ORG_FC)).toEqual(after);
      const old = await t.manage('GET', '/services', undefined, before.primary_key);
      expect(old.status).toBe(401);
      expect(old.headers.get('content-type')).toContain('application/problem+json');
      expect((await t.manage('GET', '/services', undefined, after.primary_key)).status).toBe(200);
      expect((await t.manage('GET', '/services', undefined, after.secondary_key)).status).toBe(200);
      expect((await t.admin('PUT', `/institutions/${ORG_FC}/manage-keys/tertiary`)).status).toBe(400);
    });

    it('the admin endpoints need the admin token', async () => {
      const res = await fetch(`${t.url}/__admin/institutions/${ORG_FC}/manage-keys`);
      expect(res.status).toBe(401);
    });
  });

  describe('ownership: a service belongs to the institution whose key created it', () => {
    it("another institution's key is refused with 403 on every operation (serviceOwnerCheckManageTask); unknown id 404", async () => {
      const mine = (await t.manageKeys(ORG_FC)).primary_key;
      const theirs = (await t.manageKeys(OTHER_FC)).primary_key;
      const created = await t.manage(
        'POST',
        '/services',
        servicePayload({ name: 'Servizio di Prova' }),
        mine,
      );
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect((await t.manage('GET', `/services/${id}`, undefined, mine)).status).toBe(200);

      const calls: [string, string, unknown?][] = [
        ['GET', `/services/${id}`],
        ['PUT', `/services/${id}`, servicePayload({ name: 'Servizio di Prova' })],
        ['DELETE', `/services/${id}`],
        ['PUT', `/services/${id}/review`, { auto_publish: false }],
        ['GET', `/services/${id}/keys`],
        ['PUT', `/services/${id}/keys/primary`],
        ['GET', `/services/${id}/release`],
        ['POST', `/services/${id}/release`],
        ['GET', `/services/${id}/history`],
      ];
      for (const [method, path, body] of calls) {
        const res = await t.manage(method, path, body, theirs);
        expect({ call: `${method} ${path}`, status: res.status }).toEqual({
          call: `${method} ${path}`,
          status: 403,
        });
        expect(res.body).toMatchObject(FORBIDDEN);
      }
      expect((await t.manage('GET', `/services/${id}`, undefined, mine)).body.status).toEqual({
        value: 'draft',
      });
      const list = await t.manage('GET', '/services?limit=100', undefined, theirs);
      expect(list.body.value.map((s: { id: string }) => s.id)).not.toContain(id);
      expect((await t.manage('GET', '/services/01ARZ3NDEKTSV4RRFFQ69G5FAV', undefined, theirs)).status).toBe(
        404,
      );
    });

    it("the legacy partner key (transitional mode) still manages every Comune's services", async () => {
      const mine = (await t.manageKeys(ORG_FC)).primary_key;
      const created = await t.manage(
        'POST',
        '/services',
        servicePayload({ name: 'Servizio condiviso' }),
        mine,
      );
      expect((await t.manage('GET', `/services/${created.body.id}`, undefined, MANAGE_KEY)).status).toBe(200);
      // And a service the legacy key creates belongs to the Comune named in it.
      const legacy = await t.manage('POST', '/services', servicePayload({ name: 'Creato col partner' }));
      expect((await t.manage('GET', `/services/${legacy.body.id}`, undefined, mine)).status).toBe(200);
    });
  });

  it("a legacy key's service moved to another organisation is listed by that one's key, not the first's", async () => {
    const first = (await t.manageKeys(ORG_FC)).primary_key;
    const other = (await t.manageKeys(OTHER_FC)).primary_key;
    const listed = async (key: string) =>
      ((await t.manage('GET', '/services?limit=100', undefined, key)).body.value as { id: string }[]).map(
        (s) => s.id,
      );
    const created = await t.manage('POST', '/services', servicePayload({ name: 'Servizio trasferito' }));
    const id = created.body.id as string;
    expect(await listed(first)).toContain(id);
    expect(await listed(other)).not.toContain(id);
    const moved = await t.manage(
      'PUT',
      `/services/${id}`,
      servicePayload({
        name: 'Servizio trasferito',
        organization: { name: 'Altro Comune', fiscal_code: OTHER_FC },
      }),
    );
    expect(moved.status).toBe(200);
    expect(await listed(first)).not.toContain(id);
    expect(await listed(other)).toContain(id);
  });

  describe('Selfcare group keys', () => {
    it('a group key marks its services with metadata.group_id and reaches only its group', async () => {
      const issued = await t.admin('PUT', `/institutions/${ORG_FC}/groups/tributi/manage-keys`);
      expect(issued.status).toBe(200);
      const tributi = (issued.body as { primary_key: string }).primary_key;
      const otherGroup = (
        (await t.admin('PUT', `/institutions/${ORG_FC}/groups/anagrafe/manage-keys`)).body as {
          primary_key: string;
        }
      ).primary_key;
      const institution = (await t.manageKeys(ORG_FC)).primary_key;

      const created = await t.manage('POST', '/services', servicePayload({ name: 'Tassa rifiuti' }), tributi);
      expect(created.status).toBe(201);
      expect(created.body.metadata.group_id).toBe('tributi');
      const id = created.body.id as string;
      // The institution's own key sees it; the other group's key is out of scope.
      expect((await t.manage('GET', `/services/${id}`, undefined, institution)).body.metadata.group_id).toBe(
        'tributi',
      );
      const refused = await t.manage('GET', `/services/${id}`, undefined, otherGroup);
      expect(refused.status).toBe(403);
      expect(refused.body.title).toBe('User has no valid scopes');
      const groupList = await t.manage('GET', '/services?limit=100', undefined, tributi);
      expect(groupList.body.value.map((s: { id: string }) => s.id)).toEqual([id]);
      // A group of another institution cannot be taken over.
      expect((await t.admin('PUT', `/institutions/${OTHER_FC}/groups/tributi/manage-keys`)).status).toBe(409);
    });
  });
});

describe('sandbox: authorised CIDRs of a manage key', () => {
  it('a call from outside the CIDRs is 403 Problem JSON; inside, or with no CIDRs, it passes', async () => {
    const t = await startTestSandbox({ institutions: onboardedInstitutions(), trustForwardedFor: true });
    try {
      const key = (await t.manageKeys(ORG_FC)).primary_key;
      const from = (ip: string) => ({ 'x-forwarded-for': ip });
      expect(await t.admin('GET', `/institutions/${ORG_FC}/manage-keys/cidrs`)).toEqual(
        expect.objectContaining({ status: 200, body: { cidrs: [] } }),
      );
      // No CIDRs: any address.
      expect((await t.manage('GET', '/services', undefined, key, from('198.51.100.7'))).status).toBe(200);

      const put = await t.admin('PUT', `/institutions/${ORG_FC}/manage-keys/cidrs`, {
        cidrs: ['203.0.113.0/24', '192.0.2.10'],
      });
      expect(put.body).toEqual({ cidrs: ['203.0.113.0/24', '192.0.2.10'] });
      const outside = await t.manage('GET', '/services', undefined, key, from('198.51.100.7'));
      expect(outside.status).toBe(403);
      expect(outside.headers.get('content-type')).toContain('application/problem+json');
      expect(outside.body).toMatchObject(FORBIDDEN);
      // Refused before anything happens: no service created.
      const create = await t.manage('POST', '/services', servicePayload(), key, from('198.51.100.7'));
      expect(create.status).toBe(403);
      expect((await t.manage('GET', '/services', undefined, key, from('203.0.113.99'))).body.value).toEqual(
        [],
      );
      expect((await t.manage('GET', '/services', undefined, key, from('192.0.2.10'))).status).toBe(200);
      // The CIDRs are the key's: another institution's key is not affected.
      const other = (await t.manageKeys(OTHER_FC)).primary_key;
      expect((await t.manage('GET', '/services', undefined, other, from('198.51.100.7'))).status).toBe(200);
      // Invalid CIDRs are refused naming the field.
      const bad = await t.admin('PUT', `/institutions/${ORG_FC}/manage-keys/cidrs`, { cidrs: ['nope'] });
      expect(bad.status).toBe(400);
    } finally {
      await t.stop();
    }
  });

  it('X-Forwarded-For is ignored unless trustForwardedFor: the socket address counts (tests run on 127.0.0.1)', async () => {
    const t = await startTestSandbox({ institutions: onboardedInstitutions() });
    try {
      const key = (await t.manageKeys(ORG_FC)).primary_key;
      await t.admin('PUT', `/institutions/${ORG_FC}/manage-keys/cidrs`, { cidrs: ['10.0.0.0/8'] });
      const spoofed = await t.manage('GET', '/services', undefined, key, { 'x-forwarded-for': '10.1.2.3' });
      expect(spoofed.status).toBe(403);
      await t.admin('PUT', `/institutions/${ORG_FC}/manage-keys/cidrs`, { cidrs: ['127.0.0.1/32'] });
      expect((await t.manage('GET', '/services', undefined, key)).status).toBe(200);
    } finally {
      await t.stop();
    }
  });
});

describe('sandbox: the legacy partner key is a transitional mode', () => {
  it('without legacyPartnerKeys (nor its former name manageKeys) a partner key is refused: 401', async () => {
    const t = await startTestSandbox({ legacyPartnerKeys: undefined, institutions: onboardedInstitutions() });
    try {
      expect((await t.manage('GET', '/services', undefined, MANAGE_KEY)).status).toBe(401);
      const key = (await t.manageKeys(ORG_FC)).primary_key;
      expect((await t.manage('POST', '/services', servicePayload(), key)).status).toBe(201);
    } finally {
      await t.stop();
    }
  });

  it('manageKeys, its former name, still turns it on', async () => {
    const app = createSandboxApp({
      manageKeys: [{ key: MANAGE_KEY, organizationFiscalCode: 'any' }],
      selfcareKey: 'selfcare-key',
      portalCredentials: [],
      adminToken: ADMIN_TOKEN,
      logger: capturingLogger().logger,
    });
    expect(app.sandbox.legacyPartnerKeys).toHaveLength(1);
  });
});

describe('sandbox: manage keys are kept and never logged', () => {
  it('survive a restart on the same data file, and no log line holds one', async () => {
    const { logger, output } = capturingLogger();
    const first = await startTestSandbox({ institutions: onboardedInstitutions(), logger });
    const keys = await first.manageKeys(ORG_FC);
    await first.admin('PUT', `/institutions/${ORG_FC}/manage-keys/cidrs`, { cidrs: ['127.0.0.1/32'] });
    await first.manage(
      'POST',
      '/services',
      servicePayload({ name: 'Servizio registrato' }),
      keys.primary_key,
    );
    await first.manage('GET', '/services', undefined, 'a-wrong-key-0000');
    await first.sb.close();

    const second = await startTestSandbox({ institutions: onboardedInstitutions(), logger }, first.dir);
    try {
      expect(await second.manageKeys(ORG_FC)).toEqual(keys);
      expect((await second.admin('GET', `/institutions/${ORG_FC}/manage-keys/cidrs`)).body).toEqual({
        cidrs: ['127.0.0.1/32'],
      });
      const list = await second.manage('GET', '/services', undefined, keys.secondary_key);
      expect(list.body.value.map((s: { name: string }) => s.name)).toEqual(['Servizio registrato']);
    } finally {
      await second.stop();
      await first.stop();
    }
    const logs = output();
    expect(logs).toContain('sandbox request');
    expect(logs).not.toContain(keys.primary_key);
    expect(logs).not.toContain(keys.secondary_key);
  });
});
