import { MANAGE_KEY_MISSING, MANAGE_KEY_REFUSED } from '../../contracts/service';
import type { Activities } from '../../activities';
import {
  ADHERENT_FC,
  COMUNE,
  failureOf,
  runActivity,
  startActivityHarness,
  type ActivityHarness,
} from './harness';

/**
 * The IO activities call PagoPA with each Comune's own manage key (activities/manage-keys.ts), resolved from the
 * encrypted key store at each call, over real HTTP against the sandbox: a service lands in the institution whose key
 * created it; a key regenerated in the back office or restricted to other addresses is refused as
 * `ManageKeyRefused` (the service workflow pauses on it), and the key recorded since is used from the next call,
 * with no restart; a Comune with no key is `ManageKeyMissing`. The legacy partner-wide key is used only for the
 * legacy scope, where configured.
 */
const ROVERETO = { ipaCode: 'c_h612', name: 'Comune di Rovereto', fiscalCode: '00125390229' };
/** A Comune with no key recorded. */
const PERGINE_IPA = 'c_g452';

let h: ActivityHarness;
/** The worker's activities: the Comuni's own keys, no partner-wide client. */
let own: Activities;

beforeAll(async () => {
  // The sandbox also accepts the legacy partner key, for the one test of the legacy scope below.
  h = await startActivityHarness({ legacyPartnerKey: true, sandbox: { reviewer: { mode: 'manual' } } });
  const { io: _partner, ...withoutPartner } = h.deps;
  own = h.build(withoutPartner);
  await h.activate(ROVERETO.fiscalCode, ROVERETO.name);
  await h.sealKey(COMUNE.ipaCode, ADHERENT_FC);
  await h.sealKey(ROVERETO.ipaCode, ROVERETO.fiscalCode);
});
afterAll(() => h?.close());

const roveretoCard = (slug: string) =>
  h.card(slug, { organization_fiscal_code: ROVERETO.fiscalCode, organization_name: ROVERETO.name });

describe("the IO activities use each Comune's own manage key", () => {
  it('two Comuni: each service is created in its own institution, and each key sees only its own', async () => {
    const trento = await runActivity(own.ensureService, { card: h.card('tari'), key: h.scope() });
    const rovereto = await runActivity(own.ensureService, {
      card: roveretoCard('tari'),
      key: h.scope(ROVERETO.ipaCode),
    });
    expect(trento.created).toBe(true);
    expect(rovereto.created).toBe(true);
    const { body } = await h.admin('GET', '/services');
    const owner = (id: string) => body.services.find((s: { id: string }) => s.id === id)?.owner;
    expect(owner(trento.serviceId)).toBe(ADHERENT_FC);
    expect(owner(rovereto.serviceId)).toBe(ROVERETO.fiscalCode);
    // The following steps reach each service with its Comune's key.
    expect(
      await runActivity(own.uploadLogo, {
        serviceId: rovereto.serviceId,
        logoRef: h.logoRef,
        key: h.scope(ROVERETO.ipaCode),
      }),
    ).toEqual({ sha256: expect.any(String) });
    // Through the other Comune's key the service is out of reach (PagoPA's ownership check: 403).
    const crossed = await failureOf(
      runActivity(own.updateService, {
        serviceId: rovereto.serviceId,
        card: roveretoCard('tari'),
        key: h.scope(),
      }),
    );
    expect(crossed.type).toBe(MANAGE_KEY_REFUSED);
    expect(crossed.nonRetryable).toBe(true);
  });

  it('a key regenerated in the back office is refused (ManageKeyRefused with its ref); the key recorded since works at the next call', async () => {
    const card = h.card('imu');
    const { serviceId } = await runActivity(own.ensureService, { card, key: h.scope() });
    const recorded = (await h.keyStore.describe(COMUNE.ipaCode))!;
    const before = await h.institutionKeys(ADHERENT_FC);
    const after = await h.regenerateKey(ADHERENT_FC);
    expect(after.primary_key).not.toBe(before.primary_key);

    const refused = await failureOf(runActivity(own.updateService, { serviceId, card, key: h.scope() }));
    expect(refused.type).toBe(MANAGE_KEY_REFUSED);
    expect(refused.nonRetryable).toBe(true);
    expect(refused.message).toMatch(/401/);
    expect(refused.details?.[0]).toEqual({ ref: recorded.ref });
    // Neither key is in the failure the workflow would record.
    const text = JSON.stringify({ message: refused.message, details: refused.details });
    expect(text).not.toContain(before.primary_key);
    expect(text).not.toContain(after.primary_key);

    // Staff record the new key (only the primary: the secondary was not regenerated): same activities, no restart.
    const renewed = await h.sealKey(COMUNE.ipaCode, ADHERENT_FC, {
      primary_key: after.primary_key,
      secondary_key: after.secondary_key,
    });
    expect(renewed.ref).not.toBe(recorded.ref);
    expect(await runActivity(own.updateService, { serviceId, card, key: h.scope() })).toEqual({
      status: 'draft',
    });
    // And no duplicate: the retried creation finds the service.
    expect(await runActivity(own.ensureService, { card, key: h.scope() })).toEqual({
      serviceId,
      created: false,
    });
  });

  it("a key whose authorised CIDRs exclude the partner's address is refused (403): ManageKeyRefused", async () => {
    const cidrs = `/institutions/${ROVERETO.fiscalCode}/manage-keys/cidrs`;
    expect((await h.admin('PUT', cidrs, { cidrs: ['203.0.113.0/24'] })).status).toBe(200);
    try {
      const refused = await failureOf(
        runActivity(own.ensureService, { card: roveretoCard('imu'), key: h.scope(ROVERETO.ipaCode) }),
      );
      expect(refused.type).toBe(MANAGE_KEY_REFUSED);
      expect(refused.message).toMatch(/403/);
      expect(refused.details?.[0]).toEqual({ ref: (await h.keyStore.describe(ROVERETO.ipaCode))!.ref });
      expect(
        (await h.servicesOwnedBy(ROVERETO.fiscalCode)).map((s: { name: string }) => s.name),
      ).not.toContain(roveretoCard('imu').service_name);
    } finally {
      await h.admin('PUT', cidrs, { cidrs: [] });
    }
    // Once the partner's address is authorised on the key, the same call passes.
    await h.admin('PUT', cidrs, { cidrs: ['127.0.0.1/32'] });
    expect(
      (await runActivity(own.ensureService, { card: roveretoCard('imu'), key: h.scope(ROVERETO.ipaCode) }))
        .created,
    ).toBe(true);
  });

  it("no key recorded for the Comune (source 'comune'): ManageKeyMissing, even with a partner key configured", async () => {
    for (const activities of [own, h.activities]) {
      const missing = await failureOf(
        runActivity(activities.ensureService, {
          card: h.card('cie'),
          key: { comuneIpa: PERGINE_IPA, source: 'comune' },
        }),
      );
      expect(missing.type).toBe(MANAGE_KEY_MISSING);
      expect(missing.nonRetryable).toBe(true);
      expect(missing.details?.[0]).toEqual({ ref: 'none' });
    }
  });

  it("a legacy service (source 'partner', no Comune key) uses the partner-wide client where configured, else ManageKeyMissing", async () => {
    const card = h.card('biblioteca');
    const legacyScope = { comuneIpa: PERGINE_IPA, source: 'partner' } as const;
    const created = await runActivity(h.activities.ensureService, { card, key: legacyScope });
    expect(created.created).toBe(true);
    // Made with the partner key: the service is reachable with it.
    expect((await h.io.getService(created.serviceId)).name).toBe(card.service_name);
    const missing = await failureOf(runActivity(own.ensureService, { card, key: legacyScope }));
    expect(missing.type).toBe(MANAGE_KEY_MISSING);
  });
});
