import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import request, { type Response } from 'supertest';
import { createApp } from '../../api/app';
import type { Role } from '../../api/auth/roles';
import type { ComuneState } from '../../contracts/comune';
import { servicePayload } from '../sandbox/harness';
import { PARTNER_ADDRESSES, problemFields, startApiHarness, type ApiHarness } from './harness';

/**
 * «Accesso a IO» over HTTP, against a real PagoPA sandbox: staff record Selfcare's onboarding outcome and the
 * Comune's own manage key. The key is verified with a real manage read (refused, outside the key's addresses,
 * another institution's, PagoPA down), sealed in the encrypted store, and only its reference reaches the journey:
 * no answer, and no file on disk, ever holds the key.
 */
describe('API: «Accesso a IO», the onboarding outcome and the Comune’s manage key (dev server, PagoPA sandbox)', () => {
  let h: ApiHarness;
  /** Every Comune of the fixtures has Trento's fiscal code: one institution in the sandbox, one key for all. */
  let fiscalCode: string;
  const OTHER_FC = '00987654321';
  const ipa = {
    /** The happy path: refused keys first, then its key, then the same again, then a regenerated one. */
    main: 'c_l378',
    /** Waits for the delegation: too early for the key and for the onboarding outcome. */
    early: 'c_h612',
    /** Selfcare rejects its onboarding: back to the delegation. */
    rejected: 'c_a116',
    /** Its onboarding recorded active by staff, then its key recorded by a manager. */
    manager: 'c_a520',
    /** Its key recorded by an admin. */
    admin: 'c_a821',
  };
  /** Every answer of the API in this file, as text: none may hold a key. */
  const answers: string[] = [];
  /** Every key sent or issued in this file. */
  const keysSeen = new Set<string>();

  const keep = (res: Response) => {
    answers.push(`${res.status} ${JSON.stringify(res.headers)} ${res.text}`);
    return res;
  };
  const post = async (
    role: Role | undefined,
    p: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    let req = role
      ? h.as(role).post(p)
      : request(h.app).post(`/api/v1${p}`).set('Content-Type', 'application/json');
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return keep(await req.send(body as object));
  };
  const get = async (role: Role, p: string) => keep(await h.as(role).get(p));
  const recordKey = (
    ipaCode: string,
    body: unknown,
    role: Role = 'staff',
    headers?: Record<string, string>,
  ) => post(role, `/comuni/${ipaCode}/manage-key`, body, headers);
  const recordOnboarding = (ipaCode: string, body: unknown, role: Role = 'staff') =>
    post(role, `/comuni/${ipaCode}/onboarding`, body);
  const state = async (ipaCode: string, role: Role = 'staff') =>
    (await get(role, `/comuni/${ipaCode}`)).body as ComuneState & {
      availableSteps: { id: string; path: string }[];
      waitsOn: string;
    };
  const keys = async (fc: string) => {
    const k = await h.sandbox.keys(fc);
    keysSeen.add(k.primary_key).add(k.secondary_key);
    return k;
  };
  const stepsOf = (s: { availableSteps: { id: string }[] }) => s.availableSteps.map((x) => x.id);
  const steps = (s: ComuneState) => s.timeline.map((t) => t.step);
  const fingerprint = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12);

  /** Nothing was recorded for the Comune: no sealed record, no reference in the journey, same stage. */
  async function expectNothingRecorded(ipaCode: string, stage: ComuneState['stage']) {
    expect(await h.keyStore!.describe(ipaCode)).toBeUndefined();
    const s = await state(ipaCode);
    expect(s.stage).toBe(stage);
    expect(s.ioAccess?.manageKey).toBeUndefined();
    expect(steps(s).filter((step) => /Chiave di gestione/.test(step))).toEqual([]);
  }

  beforeAll(async () => {
    // PagoPA never decides the reviews: a Comune whose key is recorded stays in the services stage.
    h = await startApiHarness({ mock: { reviewPending: true } });
    for (const [name, code] of Object.entries(ipa)) {
      await h.startComune({ ipaCode: code, name: `Comune ${name}` });
    }
    await h.as('staff').post(`/comuni/${ipa.early}/adhesion`).send({ adherent: true }).expect(200);
    const [atIoAccess] = await Promise.all([
      h.advanceToIoAccess(ipa.main),
      h.advanceToIoAccess(ipa.rejected),
      h.advanceToIoAccess(ipa.manager),
      h.advanceToIoAccess(ipa.admin),
      h.comuneState(ipa.early, (s) => s.stage === 'delegation_requested'),
    ]);
    fiscalCode = atIoAccess.fiscalCode!;
    expect(fiscalCode).toMatch(/^\d{11}$/);
    // Selfcare shows the Comune onboarded on prod-io: its IO back office issues its manage keys.
    h.sandbox.onboard(fiscalCode, 'Comune di Trento');
  });
  afterAll(() => h?.teardown());

  it('at «Accesso a IO» the Comune waits on staff, who may record the onboarding outcome and the manage key', async () => {
    const s = await state(ipa.main);
    expect(s.stage).toBe('io_access');
    expect(s.waitsOn).toBe('staff');
    expect(s.ioAccess).toMatchObject({ check: 'manual', pausedServices: [] });
    expect(s.availableSteps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: 'recordOnboarding',
          method: 'post',
          path: `/comuni/${ipa.main}/onboarding`,
        }),
        expect.objectContaining({
          id: 'recordManageKey',
          method: 'post',
          path: `/comuni/${ipa.main}/manage-key`,
        }),
      ]),
    );
    // The services are still queued: none starts before the key.
    expect(s.services.every((service) => service.status === 'pending')).toBe(true);
    // A Comune waiting for its delegation offers neither.
    const early = await state(ipa.early);
    expect(stepsOf(early)).not.toContain('recordOnboarding');
    expect(stepsOf(early)).not.toContain('recordManageKey');
  });

  it('refuses a malformed key with 400 naming «Chiave primaria», before anything is verified or stored', async () => {
    const long = 'K'.repeat(257);
    const cases: [string, unknown, RegExp][] = [
      ['empty', { primaryKey: '' }, /^Chiave primaria: obbligatoria$/],
      ['blank (only spaces)', { primaryKey: '    ' }, /^Chiave primaria: obbligatoria$/],
      ['missing', {}, /^Chiave primaria: obbligatoria$/],
      ['257 characters', { primaryKey: long }, /^Chiave primaria: al massimo 256 caratteri$/],
      [
        'a control character inside',
        { primaryKey: 'abc\u0007def0123' },
        /^Chiave primaria: solo lettere, cifre/,
      ],
      ['an inner space', { primaryKey: 'ab cd' }, /^Chiave primaria: .*senza spazi/],
      ['a newline inside', { primaryKey: 'abcd\nef0123' }, /^Chiave primaria: .*senza spazi/],
      ['not a string', { primaryKey: 12345678 }, /Chiave primaria/],
    ];
    for (const [what, body, message] of cases) {
      const res = await recordKey(ipa.main, body);
      expect({ what, status: res.status }).toEqual({ what, status: 400 });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect({ what, fields: problemFields(res) }).toEqual({
        what,
        fields: expect.arrayContaining(['body.primaryKey']),
      });
      const errors = res.body.errors as { field: string; message: string }[];
      expect({
        what,
        ok: errors.some((e) => e.field === 'body.primaryKey' && message.test(e.message)),
      }).toEqual({
        what,
        ok: true,
      });
    }
    // The offending value is not echoed back.
    expect(answers.some((a) => a.includes(long))).toBe(false);
    // The secondary key follows the same rules, under its own name.
    const secondary = await recordKey(ipa.main, { primaryKey: 'valida-0123456789', secondaryKey: 'ab cd' });
    expect(secondary.status).toBe(400);
    expect(problemFields(secondary)).toEqual(['body.secondaryKey']);
    expect(secondary.body.errors[0].message).toMatch(/^Chiave secondaria: /);
    // So does the group.
    expect(problemFields(await recordKey(ipa.main, { primaryKey: 'valida-0123456789', group: '' }))).toEqual([
      'body.group',
    ]);
    await expectNothingRecorded(ipa.main, 'io_access');
  });

  it('refuses the key with 409 and the journey model’s sentence while the Comune waits for its delegation', async () => {
    const { primary_key } = await keys(fiscalCode);
    const res = await recordKey(ipa.early, { primaryKey: primary_key });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      status: 409,
      title: 'Passo rifiutato',
      detail:
        '«Registrare la chiave di gestione» non è possibile ora: il Comune è nella fase «Delega richiesta» ' +
        '(ammessa in: Accesso a IO, Servizi in lavorazione).',
    });
    await expectNothingRecorded(ipa.early, 'delegation_requested');
    // An unknown Comune: 404, nothing verified.
    const unknown = await recordKey('c_zzzz', { primaryKey: primary_key });
    expect(unknown.status).toBe(404);
    expect(unknown.body.title).toBe('Comune non trovato');
  });

  it('refuses with 422 a key PagoPA does not know (401), storing nothing', async () => {
    const wrong = 'chiave-inesistente-0123456789abcdef';
    keysSeen.add(wrong);
    const res = await recordKey(ipa.main, { primaryKey: wrong });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      status: 422,
      title: 'Chiave di gestione non registrata',
      detail: expect.stringMatching(/^La chiave primaria è rifiutata da PagoPA \(401\)/),
      errors: [{ field: 'body.primaryKey', message: expect.stringMatching(/401/) }],
    });
    // A good primary with an unknown secondary: refused too, naming the secondary.
    const { primary_key } = await keys(fiscalCode);
    const secondary = await recordKey(ipa.main, { primaryKey: primary_key, secondaryKey: wrong });
    expect(secondary.status).toBe(422);
    expect(problemFields(secondary)).toEqual(['body.secondaryKey']);
    expect(secondary.body.detail).toMatch(/^La chiave secondaria è rifiutata da PagoPA \(401\)/);
    await expectNothingRecorded(ipa.main, 'io_access');
  });

  it('refuses with 422 naming the partner’s addresses a key whose CIDRs exclude them (403), storing nothing', async () => {
    const { primary_key } = await keys(fiscalCode);
    // The API calls from 127.0.0.1: outside the key's authorised addresses.
    const put = await h.sandbox.admin('PUT', `/institutions/${fiscalCode}/manage-keys/cidrs`, {
      cidrs: ['198.51.100.0/24'],
    });
    expect(put.status).toBe(200);
    try {
      const res = await recordKey(ipa.main, { primaryKey: primary_key });
      expect(res.status).toBe(422);
      expect(res.body.detail).toMatch(
        /^La chiave primaria non è utilizzabile dagli indirizzi del partner \(403\)/,
      );
      expect(res.body.detail).toContain(PARTNER_ADDRESSES[0]);
      expect(res.body.detail).toContain('203.0.113.10/32');
      expect(problemFields(res)).toEqual(['body.primaryKey']);
      await expectNothingRecorded(ipa.main, 'io_access');
    } finally {
      await h.sandbox.admin('PUT', `/institutions/${fiscalCode}/manage-keys/cidrs`, { cidrs: [] });
    }
  });

  it('refuses with 422 another institution’s key whose services name another fiscal code, storing nothing', async () => {
    h.sandbox.onboard(OTHER_FC, 'Comune di Rovereto');
    const theirs = (await keys(OTHER_FC)).primary_key;
    const created = await h.sandbox.manage(
      'POST',
      '/services',
      theirs,
      servicePayload({
        name: 'Servizio di Rovereto',
        organization: { name: 'Comune di Rovereto', fiscal_code: OTHER_FC },
      }),
    );
    expect(created.status).toBe(201);
    const res = await recordKey(ipa.main, { primaryKey: theirs });
    expect(res.status).toBe(422);
    expect(res.body.detail).toBe(
      `La chiave primaria appartiene a un altro ente: i suoi servizi sono di codice fiscale ${OTHER_FC}, ` +
        `non ${fiscalCode}. Copiala dal back office IO di questo Comune.`,
    );
    await expectNothingRecorded(ipa.main, 'io_access');
  });

  it('answers 503 when PagoPA does not answer the verification, or when no key store is configured', async () => {
    const { primary_key } = await keys(fiscalCode);
    // Both attempts of the verification (one quick retry) fail.
    h.sandbox.running.runtime.setFaults({ failNext: 2, errorStatus: 503, pathPrefix: '/api/v1/manage' });
    try {
      const res = await recordKey(ipa.main, { primaryKey: primary_key });
      expect(res.status).toBe(503);
      expect(res.body.detail).toMatch(/^PagoPA non ha risposto alla verifica della chiave \(503\)/);
    } finally {
      h.sandbox.running.runtime.setFaults({});
    }
    await expectNothingRecorded(ipa.main, 'io_access');

    const withoutStore = createApp({ ...h.api.ctx, manageKeys: undefined });
    const res = keep(
      await request(withoutStore)
        .post(`/api/v1/comuni/${ipa.main}/manage-key`)
        .set('Authorization', `Bearer ${h.api.tokens.staff}`)
        .send({ primaryKey: primary_key }),
    );
    expect(res.status).toBe(503);
    expect(res.body.title).toBe('Archivio delle chiavi non configurato');
    await expectNothingRecorded(ipa.main, 'io_access');
  });

  it('records the Comune’s key, verified and sealed: only its reference and fingerprint come back, and the services start', async () => {
    const { primary_key, secondary_key } = await keys(fiscalCode);
    // Pasted with blanks around it, as copied from the back office: they are trimmed.
    const res = await recordKey(ipa.main, { primaryKey: `  ${primary_key}\n`, secondaryKey: secondary_key });
    expect(res.status).toBe(200);
    const ref = `mk_${ipa.main}_${fingerprint(primary_key)}`;
    expect(res.body.ioAccess.manageKey).toEqual({
      ref,
      fingerprint: fingerprint(primary_key),
      hasSecondary: true,
      recordedAt: expect.any(String),
      recordedBy: 'staff:test-staff',
    });
    // The Update may answer after the journey moved on to the services: the key's entry, not the last one.
    expect(
      (res.body.timeline as { step: string }[]).filter((t) => t.step.startsWith('Chiave di gestione')),
    ).toEqual([
      expect.objectContaining({
        step: 'Chiave di gestione registrata',
        actor: 'staff:test-staff',
        detail: 'primaria e secondaria',
      }),
    ]);
    // A verified key proves the onboarding active (PagoPA issues keys only then).
    expect(res.body.ioAccess.onboardingActiveAt).toEqual(expect.any(String));
    expect(JSON.stringify(res.body)).not.toContain(primary_key);
    expect(JSON.stringify(res.body)).not.toContain(secondary_key);

    const s = await h.comuneState(ipa.main, (x) => x.stage === 'services');
    expect(s.ioAccess?.manageKey).toMatchObject({ ref, fingerprint: fingerprint(primary_key) });
    expect(steps(s)).toEqual(expect.arrayContaining(['Chiave di gestione registrata', 'Fase: services']));
    expect(JSON.stringify(s)).not.toContain(primary_key);

    // Sealed in the store: described without the key, opened only by the worker's resolve.
    expect(await h.keyStore!.describe(ipa.main)).toEqual({
      ref,
      ipaCode: ipa.main,
      organizationFiscalCode: fiscalCode,
      fingerprint: fingerprint(primary_key),
      hasSecondary: true,
      recordedAt: expect.any(String),
      recordedBy: 'staff:test-staff',
    });
    expect((await h.keyStore!.resolve(ipa.main))?.secret).toEqual({
      primary: primary_key,
      secondary: secondary_key,
    });
    const file = path.join(h.keyStoreDir, `${ipa.main}.json`);
    const sealed = await fs.readFile(file, 'utf8');
    expect(sealed).toContain(ref);
    expect(sealed).not.toContain(primary_key);
    expect(sealed).not.toContain(secondary_key);
    expect(sealed).not.toContain(Buffer.from(primary_key).toString('base64'));
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('recording the same key again is harmless; a new key in the services stage replaces the reference', async () => {
    const before = await state(ipa.main);
    const { primary_key } = await keys(fiscalCode);
    const again = await recordKey(ipa.main, { primaryKey: primary_key });
    expect(again.status).toBe(200);
    expect(again.body.stage).toBe('services');
    expect(again.body.ioAccess.manageKey.ref).toBe(before.ioAccess!.manageKey!.ref);
    expect(again.body.timeline.at(-1).step).toBe('Chiave di gestione registrata di nuovo (la stessa)');
    expect((await h.keyStore!.describe(ipa.main))?.ref).toBe(before.ioAccess!.manageKey!.ref);
    expect(stepsOf(await state(ipa.main))).toContain('recordManageKey');

    // The Comune regenerates its primary key in the back office: the old one is refused from now on.
    const regenerated = await h.sandbox.admin('PUT', `/institutions/${fiscalCode}/manage-keys/primary`);
    expect(regenerated.status).toBe(200);
    const { primary_key: renewed } = await keys(fiscalCode);
    expect(renewed).not.toBe(primary_key);
    const stale = await recordKey(ipa.main, { primaryKey: primary_key });
    expect(stale.status).toBe(422);
    expect((await h.keyStore!.describe(ipa.main))?.ref).toBe(before.ioAccess!.manageKey!.ref);

    const replaced = await recordKey(ipa.main, { primaryKey: renewed });
    expect(replaced.status).toBe(200);
    const ref = `mk_${ipa.main}_${fingerprint(renewed)}`;
    expect(ref).not.toBe(before.ioAccess!.manageKey!.ref);
    expect(replaced.body).toMatchObject({
      stage: 'services',
      ioAccess: { manageKey: { ref, fingerprint: fingerprint(renewed), hasSecondary: false } },
    });
    expect(replaced.body.timeline.at(-1).step).toBe('Chiave di gestione sostituita');
    expect(await h.keyStore!.describe(ipa.main)).toMatchObject({ ref, hasSecondary: false });
    expect((await h.keyStore!.resolve(ipa.main))?.secret).toEqual({ primary: renewed });
  });

  it('an Idempotency-Key: a retried request records once; a malformed one is refused before the key is verified or stored', async () => {
    const idempotent = { 'Idempotency-Key': 'chiave-c_l378-rinnovo-1' };
    const replacements = (s: ComuneState) =>
      steps(s).filter((step) => step === 'Chiave di gestione sostituita');
    const replacedBefore = replacements(await state(ipa.main)).length;
    await h.sandbox.admin('PUT', `/institutions/${fiscalCode}/manage-keys/primary`);
    const { primary_key: first } = await keys(fiscalCode);
    const sent = await recordKey(ipa.main, { primaryKey: first }, 'staff', idempotent);
    const retried = await recordKey(ipa.main, { primaryKey: first }, 'staff', idempotent);
    expect([sent.status, retried.status]).toEqual([200, 200]);
    expect(retried.body.ioAccess.manageKey).toEqual(sent.body.ioAccess.manageKey);
    expect(replacements(await state(ipa.main))).toHaveLength(replacedBefore + 1);

    // The same Idempotency-Key with another key (a client reusing it): the journey follows the store, not the
    // earlier answer.
    await h.sandbox.admin('PUT', `/institutions/${fiscalCode}/manage-keys/primary`);
    const { primary_key: second } = await keys(fiscalCode);
    const reused = await recordKey(ipa.main, { primaryKey: second }, 'staff', idempotent);
    expect(reused.status).toBe(200);
    const ref = `mk_${ipa.main}_${fingerprint(second)}`;
    expect(reused.body.ioAccess.manageKey.ref).toBe(ref);
    expect((await h.keyStore!.describe(ipa.main))?.ref).toBe(ref);
    expect((await state(ipa.main)).ioAccess?.manageKey?.ref).toBe(ref);

    // A malformed Idempotency-Key: 400 naming the header, and the (valid) key neither verified nor stored.
    const { primary_key } = await keys(fiscalCode);
    const bad = await recordKey(ipa.admin, { primaryKey: primary_key }, 'staff', {
      'Idempotency-Key': 'corta',
    });
    expect(bad.status).toBe(400);
    expect(problemFields(bad)).toEqual(['headers.idempotency-key']);
    await expectNothingRecorded(ipa.admin, 'io_access');
  });

  it('the onboarding outcome: 400 for an unknown outcome, 409 outside «Accesso a IO», «active» recorded once', async () => {
    const unknown = await recordOnboarding(ipa.manager, { outcome: 'approved' });
    expect(unknown.status).toBe(400);
    expect(problemFields(unknown)).toEqual(['body.outcome']);
    expect(problemFields(await recordOnboarding(ipa.manager, {}))).toEqual(['body.outcome']);
    expect(
      problemFields(await recordOnboarding(ipa.manager, { outcome: 'active', note: 'x'.repeat(501) })),
    ).toEqual(['body.note']);

    const early = await recordOnboarding(ipa.early, { outcome: 'active' });
    expect(early.status).toBe(409);
    expect(early.body.detail).toMatch(
      /^«Registrare l’esito dell’adesione su Selfcare» non è possibile ora: il Comune è nella fase «Delega richiesta»/,
    );
    const inServices = await recordOnboarding(ipa.main, { outcome: 'rejected' });
    expect(inServices.status).toBe(409);
    expect(inServices.body.detail).toMatch(/il Comune è nella fase «Servizi in lavorazione»/);
    expect((await state(ipa.main)).stage).toBe('services');

    const active = await recordOnboarding(ipa.manager, { outcome: 'active', note: 'visto su Selfcare' });
    expect(active.status).toBe(200);
    expect(active.body.stage).toBe('io_access');
    expect(active.body.ioAccess).toMatchObject({
      onboardingActiveAt: expect.any(String),
      onboardingRecordedBy: 'staff:test-staff',
    });
    expect(active.body.timeline.at(-1)).toMatchObject({
      step: 'Adesione ad App IO su Selfcare attiva',
      detail: 'visto su Selfcare',
    });
    const twice = await recordOnboarding(ipa.manager, { outcome: 'active' });
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toBe('L’adesione su Selfcare è già registrata come attiva.');
    // Still at «Accesso a IO»: the key is what lets it on; the outcome is no longer offered.
    const s = await state(ipa.manager);
    expect(s.stage).toBe('io_access');
    expect(stepsOf(s)).not.toContain('recordOnboarding');
    expect(stepsOf(s)).toContain('recordManageKey');
  });

  it('an onboarding Selfcare rejected sends the Comune back to the delegation, its round to be repeated', async () => {
    const res = await recordOnboarding(ipa.rejected, { outcome: 'rejected', note: 'rifiutata su Selfcare' });
    expect(res.status).toBe(200);
    expect(res.body.timeline.at(-1)).toMatchObject({
      step: 'Adesione ad App IO su Selfcare rifiutata',
      actor: 'staff:test-staff',
      detail: 'rifiutata su Selfcare',
    });
    const s = await h.comuneState(ipa.rejected, (x) => x.stage === 'delegation_requested');
    expect(s.delegation.completedAt).toBeUndefined();
    expect(s.delegation.requestCount).toBe(2);
    expect(s.signedForm.record).toBeUndefined();
    expect(s.ioAccess?.onboardingActiveAt).toBeUndefined();
    expect(steps(s)).toEqual(expect.arrayContaining(['Fase: io_access', 'Fase: delegation_requested']));
    expect(s.services.every((service) => service.status === 'pending')).toBe(true);
    // Neither step applies any more, and a key is refused.
    expect(stepsOf(await state(ipa.rejected))).not.toContain('recordManageKey');
    const { primary_key } = await keys(fiscalCode);
    expect((await recordKey(ipa.rejected, { primaryKey: primary_key })).status).toBe(409);
    expect(await h.keyStore!.describe(ipa.rejected)).toBeUndefined();
  });

  it('a manager and an admin may record a key; without a valid token, 401', async () => {
    const { primary_key } = await keys(fiscalCode);
    expect(
      (await post(undefined, `/comuni/${ipa.admin}/manage-key`, { primaryKey: primary_key })).status,
    ).toBe(401);
    const forged = keep(
      await request(h.app)
        .post(`/api/v1/comuni/${ipa.admin}/manage-key`)
        .set('Authorization', 'Bearer iob_aaaaaaaaaaaa_' + 'A'.repeat(43))
        .send({ primaryKey: primary_key }),
    );
    expect(forged.status).toBe(401);
    expect((await post(undefined, `/comuni/${ipa.admin}/onboarding`, { outcome: 'active' })).status).toBe(
      401,
    );
    expect(await h.keyStore!.describe(ipa.admin)).toBeUndefined();

    const byManager = await recordKey(ipa.manager, { primaryKey: primary_key }, 'manager');
    expect(byManager.status).toBe(200);
    expect(byManager.body.ioAccess.manageKey.recordedBy).toBe('manager:test-manager');
    const byAdmin = await recordKey(ipa.admin, { primaryKey: primary_key, group: 'tributi' }, 'admin');
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.ioAccess.manageKey).toMatchObject({
      recordedBy: 'admin:test-admin',
      group: 'tributi',
    });
    expect(await h.keyStore!.describe(ipa.admin)).toMatchObject({
      recordedBy: 'admin:test-admin',
      group: { id: 'tributi' },
    });
    await h.comuneState(ipa.manager, (s) => s.stage === 'services');
    await h.comuneState(ipa.admin, (s) => s.stage === 'services');
  });

  it('no role may read a key back: no answer of this suite holds one', async () => {
    for (const role of ['staff', 'manager', 'admin'] as const) {
      for (const code of Object.values(ipa)) await get(role, `/comuni/${code}`);
      await get(role, `/comuni/${ipa.main}/services/tari`);
      await get(role, '/comuni');
      await get(role, '/inbox');
    }
    await get('manager', '/portfolio/export.csv');
    await get('manager', '/portfolio/summary');
    expect(keysSeen.size).toBeGreaterThanOrEqual(6);
    expect(answers.length).toBeGreaterThan(40);
    for (const key of keysSeen) {
      expect({ key: fingerprint(key), leaked: answers.filter((a) => a.includes(key)).length }).toEqual({
        key: fingerprint(key),
        leaked: 0,
      });
    }
  });
});
