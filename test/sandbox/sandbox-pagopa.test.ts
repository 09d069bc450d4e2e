import { PUBLICATION_DELAY_ENV, REJECTION_PREFIX } from '../../sandbox';
import {
  MANAGE_KEY,
  onboardedInstitutions,
  ORG_FC,
  OTHER_FC,
  servicePayload,
  startTestSandbox,
  type TestSandbox,
} from './harness';

/** The manage API as PagoPA answers it to an institution's own key. */
describe('sandbox: the manage API behaves like PagoPA', () => {
  let t: TestSandbox;
  let key: string;
  const io = (method: string, path: string, body?: unknown) => t.manage(method, path, body, key);
  const status = async (id: string) => (await io('GET', `/services/${id}`)).body.status;

  async function create(name: string): Promise<string> {
    const res = await io('POST', '/services', servicePayload({ name }));
    expect(res.status).toBe(201);
    return res.body.id as string;
  }
  async function approve(id: string, autoPublish = false): Promise<void> {
    expect((await io('PUT', `/services/${id}/review`, { auto_publish: autoPublish })).status).toBe(204);
    expect((await t.admin('POST', `/services/${id}/review`, { decision: 'approve' })).status).toBe(200);
  }

  beforeAll(async () => {
    t = await startTestSandbox({ reviewer: { mode: 'manual' }, institutions: onboardedInstitutions() });
    key = (await t.manageKeys(ORG_FC)).primary_key;
  });
  afterAll(() => t.stop());

  describe('GET /services paging (get-services.ts)', () => {
    let ids: string[];
    beforeAll(async () => {
      // A fresh account: OTHER_FC's key, whose first subscription is its MANAGE one.
      key = (await t.manageKeys(OTHER_FC)).primary_key;
      ids = [];
      for (const n of ['Uno', 'Due', 'Tre', 'Quattro', 'Cinque']) {
        const res = await io(
          'POST',
          '/services',
          servicePayload({
            name: `Servizio ${n}`,
            organization: { name: 'Comune di Altro', fiscal_code: OTHER_FC },
          }),
        );
        ids.push(res.body.id as string);
      }
    });
    afterAll(async () => {
      key = (await t.manageKeys(ORG_FC)).primary_key;
    });

    it('count is the items of this page; a page may hold fewer than limit while more follow', async () => {
      const first = await io('GET', '/services?limit=2&offset=0');
      expect(first.status).toBe(200);
      // The page is cut over [MANAGE subscription, service 1]: one service only.
      expect(first.body.value.map((s: { id: string }) => s.id)).toEqual([ids[0]]);
      expect(first.body.pagination).toEqual({ offset: 0, limit: 2, count: 1 });
      const second = await io('GET', '/services?limit=2&offset=2');
      expect(second.body.value.map((s: { id: string }) => s.id)).toEqual([ids[1], ids[2]]);
      expect(second.body.pagination).toEqual({ offset: 2, limit: 2, count: 2 });
    });

    it('walking offsets by limit reaches every service once; the end is an empty page', async () => {
      const seen: string[] = [];
      for (let offset = 0; ; offset += 2) {
        const page = await io('GET', `/services?limit=2&offset=${offset}`);
        expect(page.body.pagination.count).toBe(page.body.value.length);
        if (page.body.value.length === 0) break;
        seen.push(...page.body.value.map((s: { id: string }) => s.id));
      }
      expect(seen).toEqual(ids);
    });

    it('deleted services stay listed, with status deleted; limit is 1..100 (default 20)', async () => {
      expect((await io('DELETE', `/services/${ids[4]}`)).status).toBe(204);
      const all = await io('GET', '/services');
      expect(all.body.pagination).toEqual({ offset: 0, limit: 20, count: 5 });
      expect(all.body.value).toContainEqual(
        expect.objectContaining({ id: ids[4], status: { value: 'deleted' } }),
      );
      expect((await io('GET', '/services?limit=101')).status).toBe(400);
      expect((await io('GET', '/services?limit=0')).status).toBe(400);
    });
  });

  describe('deletion (service-lifecycle FSM)', () => {
    it('allowed from draft, rejected and approved; 409 from submitted and once deleted', async () => {
      const draft = await create('Da cancellare in bozza');
      expect((await io('DELETE', `/services/${draft}`)).status).toBe(204);
      expect((await io('DELETE', `/services/${draft}`)).status).toBe(409);

      const submitted = await create('Da cancellare in revisione');
      await io('PUT', `/services/${submitted}/review`, { auto_publish: false });
      const refused = await io('DELETE', `/services/${submitted}`);
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain('submitted');
      expect((await status(submitted)).value).toBe('submitted');

      await t.admin('POST', `/services/${submitted}/review`, { decision: 'reject', reason: 'no' });
      expect((await io('DELETE', `/services/${submitted}`)).status).toBe(204);
    });

    it('deleting an approved service removes its published copy (GET /release → 404)', async () => {
      const id = await create('Pubblicato poi cancellato');
      await approve(id, true);
      expect((await io('GET', `/services/${id}/release`)).body.status).toBe('published');
      expect((await io('DELETE', `/services/${id}`)).status).toBe(204);
      expect((await io('GET', `/services/${id}/release`)).status).toBe(404);
      expect((await io('POST', `/services/${id}/release`)).status).toBe(404);
      expect(t.sb.state.services[id]?.publication).toBeUndefined();
    });
  });

  describe('publication', () => {
    it('by default (publicationDelayMs 0) the copy exists as soon as the service is approved', async () => {
      const id = await create('Copia immediata');
      expect((await io('POST', `/services/${id}/release`)).status).toBe(404);
      await approve(id);
      expect((await io('GET', `/services/${id}/release`)).body.status).toBe('unpublished');
      expect((await io('POST', `/services/${id}/release`)).status).toBe(204);
      expect((await io('GET', `/services/${id}/release`)).body.status).toBe('published');
    });

    it('publishes the LAST APPROVED version, even after an edit back to draft, a submission, a rejection', async () => {
      const id = await create('Versione approvata');
      await approve(id);
      const edited = await io('PUT', `/services/${id}`, servicePayload({ name: 'Versione modificata' }));
      expect(edited.body.status.value).toBe('draft');
      expect((await io('POST', `/services/${id}/release`)).status).toBe(204);
      let release = await io('GET', `/services/${id}/release`);
      expect(release.body).toMatchObject({ status: 'published', name: 'Versione approvata', version: 1 });

      await io('PUT', `/services/${id}/review`, { auto_publish: false });
      expect((await io('POST', `/services/${id}/release`)).status).toBe(204);
      await t.admin('POST', `/services/${id}/review`, { decision: 'reject', reason: 'ancora no' });
      expect((await io('POST', `/services/${id}/release`)).status).toBe(204);
      release = await io('GET', `/services/${id}/release`);
      expect(release.body).toMatchObject({ status: 'published', name: 'Versione approvata' });
      expect((await io('GET', `/services/${id}`)).body.name).toBe('Versione modificata');
    });

    it('a new approval replaces the copy (published again only with auto_publish)', async () => {
      const id = await create('Seconda approvazione');
      await approve(id, true);
      await io('PUT', `/services/${id}`, servicePayload({ name: 'Seconda approvazione bis' }));
      await approve(id, false);
      const release = await io('GET', `/services/${id}/release`);
      expect(release.body).toMatchObject({
        status: 'unpublished',
        name: 'Seconda approvazione bis',
        version: 2,
      });
    });
  });

  describe('rejections', () => {
    it('status.reason only while rejected', async () => {
      const id = await create('Motivo solo se rifiutato');
      expect(await status(id)).toEqual({ value: 'draft' });
      await io('PUT', `/services/${id}/review`, { auto_publish: false });
      expect(await status(id)).toEqual({ value: 'submitted' });
      await t.admin('POST', `/services/${id}/review`, { decision: 'reject', reason: 'descrizione vaga' });
      expect(await status(id)).toEqual({ value: 'rejected', reason: 'descrizione vaga' });
      await io('PUT', `/services/${id}`, servicePayload({ name: 'Motivo solo se rifiutato' }));
      expect(await status(id)).toEqual({ value: 'draft' });
      await approve(id);
      expect(await status(id)).toEqual({ value: 'approved' });
    });

    it('an automatic rejection carries a technical validation report', async () => {
      const res = await io(
        'POST',
        '/services',
        servicePayload({
          name: 'Servizio senza contatti',
          metadata: { scope: 'LOCAL', privacy_url: 'www.comune.it/privacy', email: undefined },
        }),
      );
      await io('PUT', `/services/${res.body.id}/review`, { auto_publish: false });
      const s = await status(res.body.id);
      expect(s.value).toBe('rejected');
      const [first, ...rest] = (s.reason as string).slice(REJECTION_PREFIX.length).split('\n');
      expect(s.reason.startsWith(REJECTION_PREFIX)).toBe(true);
      expect(first).toBe(
        'value ["www.comune.it/privacy"] at [root.data.metadata.privacy_url] is not a valid [HttpOrHttpsUrlString]',
      );
      expect(rest).toEqual([
        expect.stringMatching(/^value \[undefined\] at \[root\.data\.metadata\] is not a valid \[/),
      ]);
    });

    it("a reviewer's rejection carries the reviewer's last comment", async () => {
      const id = await create('Rifiuto con commenti');
      await io('PUT', `/services/${id}/review`, { auto_publish: false });
      await t.admin('POST', `/services/${id}/review`, {
        decision: 'reject',
        comments: ['Prima osservazione', 'Manca il contratto di adesione firmato dal Sindaco'],
      });
      expect(await status(id)).toEqual({
        value: 'rejected',
        reason: 'Manca il contratto di adesione firmato dal Sindaco',
      });
    });

    it('the duplicate-name check ignores drafts and deleted services, not published copies', async () => {
      const draft = await create('Nome conteso');
      const deleted = await create('Nome conteso');
      await approve(deleted);
      await io('DELETE', `/services/${deleted}`);
      const first = await create('Nome conteso');
      await approve(first);
      expect(await status(first)).toEqual({ value: 'approved' });
      await io('PUT', `/services/${draft}/review`, { auto_publish: false });
      expect(await status(draft)).toEqual({
        value: 'rejected',
        reason: expect.stringContaining(`ID '${first}'`),
      });
    });
  });

  describe('history', () => {
    it('{items, continuationToken}: each item the full service data, its status and last_update', async () => {
      const id = await create('Storia del servizio');
      await io('PUT', `/services/${id}`, servicePayload({ name: 'Storia del servizio rinominato' }));
      await approve(id);
      await io('POST', `/services/${id}/release`);

      const all = await io('GET', `/services/${id}/history?order=ASC&limit=100`);
      expect(all.status).toBe(200);
      expect(all.body.continuationToken).toBeUndefined();
      expect(all.body.items.map((i: { status: { kind: string; value: string } }) => i.status)).toEqual([
        { kind: 'lifecycle', value: 'draft' },
        { kind: 'lifecycle', value: 'draft' },
        { kind: 'lifecycle', value: 'submitted' },
        { kind: 'lifecycle', value: 'approved' },
        { kind: 'publication', value: 'unpublished' },
        { kind: 'publication', value: 'published' },
      ]);
      const [created, renamed] = all.body.items;
      expect(created).toMatchObject({
        id,
        name: 'Storia del servizio',
        description: expect.any(String),
        organization: { fiscal_code: ORG_FC },
        metadata: { scope: 'LOCAL', topic: { id: 14 }, privacy_url: expect.any(String) },
        last_update: expect.any(String),
      });
      expect(renamed.name).toBe('Storia del servizio rinominato');

      // Pages of 4, newest first, through the continuation token.
      const p1 = await io('GET', `/services/${id}/history?limit=4`);
      expect(p1.body.items).toHaveLength(4);
      expect(p1.body.items[0].status.value).toBe('published');
      expect(p1.body.continuationToken).toEqual(expect.any(String));
      const p2 = await io(
        'GET',
        `/services/${id}/history?limit=4&continuationToken=${encodeURIComponent(p1.body.continuationToken)}`,
      );
      expect(p2.body.items).toHaveLength(2);
      expect(p2.body.continuationToken).toBeUndefined();
      expect([...p1.body.items, ...p2.body.items].reverse()).toEqual(all.body.items);

      const wrongOrder = await io(
        'GET',
        `/services/${id}/history?order=ASC&continuationToken=${encodeURIComponent(p1.body.continuationToken)}`,
      );
      expect(wrongOrder.status).toBe(400);
      expect((await io('GET', `/services/${id}/history?continuationToken=garbage`)).status).toBe(400);
    });

    it('the legacy partner key sees the history without the copies written by the queue', async () => {
      const id = await create('Storia vista dal partner');
      await approve(id);
      const legacy = await t.manage('GET', `/services/${id}/history?order=ASC`, undefined, MANAGE_KEY);
      expect(legacy.body.items.map((i: { status: { value: string } }) => i.status.value)).toEqual([
        'draft',
        'submitted',
        'approved',
      ]);
    });
  });
});

describe('sandbox: publication delay (publicationDelayMs)', () => {
  it('until the queue writes the copy, POST /release answers 404; then 204', async () => {
    const t = await startTestSandbox({
      reviewer: { mode: 'approve' },
      institutions: onboardedInstitutions(),
      publicationDelayMs: 300,
    });
    try {
      const key = (await t.manageKeys(ORG_FC)).primary_key;
      const { body } = await t.manage(
        'POST',
        '/services',
        servicePayload({ name: 'Pubblicazione lenta' }),
        key,
      );
      await t.manage('PUT', `/services/${body.id}/review`, { auto_publish: false }, key);
      expect((await t.manage('GET', `/services/${body.id}`, undefined, key)).body.status.value).toBe(
        'approved',
      );
      const early = await t.manage('POST', `/services/${body.id}/release`, undefined, key);
      expect(early.status).toBe(404);
      expect(early.headers.get('content-type')).toContain('application/problem+json');
      // The legacy key gets the same 404 for an approved service (only a never-approved one is 409 for it).
      expect((await t.manage('POST', `/services/${body.id}/release`)).status).toBe(404);
      expect((await t.manage('GET', `/services/${body.id}/release`, undefined, key)).status).toBe(404);
      await new Promise((r) => setTimeout(r, 350));
      expect((await t.manage('POST', `/services/${body.id}/release`, undefined, key)).status).toBe(204);
      expect((await t.manage('GET', `/services/${body.id}/release`, undefined, key)).body.status).toBe(
        'published',
      );
    } finally {
      await t.stop();
    }
  });

  it(`startSandbox reads ${PUBLICATION_DELAY_ENV} when the option is not given (the embedded demo)`, async () => {
    process.env[PUBLICATION_DELAY_ENV] = '60000';
    let t: TestSandbox | undefined;
    try {
      t = await startTestSandbox({ reviewer: { mode: 'approve' } });
      const { body } = await t.manage('POST', '/services', servicePayload({ name: 'Demo lenta' }));
      await t.manage('PUT', `/services/${body.id}/review`, { auto_publish: true });
      expect((await t.manage('GET', `/services/${body.id}/release`)).status).toBe(404);
      const admin = (await t.admin('GET', '/services')).body as {
        services: { id: string; publication_due_at: string | null }[];
      };
      expect(admin.services.find((s) => s.id === body.id)?.publication_due_at).toEqual(expect.any(String));
    } finally {
      delete process.env[PUBLICATION_DELAY_ENV];
      await t?.stop();
    }
  });
});

describe("sandbox: the gateway's limit of 10 concurrent service creations", () => {
  it('the 11th and 12th concurrent creations get 429 Problem JSON with Retry-After, across keys', async () => {
    const t = await startTestSandbox({ institutions: onboardedInstitutions(), createLatencyMs: 400 });
    try {
      const org = (await t.manageKeys(ORG_FC)).primary_key;
      const other = (await t.manageKeys(OTHER_FC)).primary_key;
      const keys = [org, other, MANAGE_KEY];
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          t.manage('POST', '/services', servicePayload({ name: `Servizio concorrente ${i}` }), keys[i % 3]),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(10);
      const limited = results.filter((r) => r.status === 429);
      expect(limited).toHaveLength(2);
      for (const r of limited) {
        expect(r.headers.get('content-type')).toContain('application/problem+json');
        expect(r.headers.get('retry-after')).toBe('1');
        expect(r.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
      }
      expect(Object.keys(t.sb.state.services)).toHaveLength(10);
      // Once they are done, creating works again; other calls were never limited.
      expect((await t.manage('POST', '/services', servicePayload({ name: 'Dopo' }), org)).status).toBe(201);
      expect(t.sb.runtime.creationsInFlight).toBe(0);
    } finally {
      await t.stop();
    }
  });
});
