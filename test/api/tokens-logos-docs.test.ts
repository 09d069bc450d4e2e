import { createHash } from 'node:crypto';
import request from 'supertest';
import { createSolidPng } from '../../integrations/documents/png';
import { caller, problemFields, startApiHarness, type ApiHarness } from './harness';

/** Every operation the API must document: a route added or removed shows up here. */
import { comuneSteps, serviceSteps } from '../../domain/journey-model';

const EXPECTED_OPERATIONS = [
  'get /comuni',
  'post /comuni',
  'get /comuni/{ipa}',
  'post /comuni/{ipa}/adhesion',
  'post /comuni/{ipa}/delegation',
  'post /comuni/{ipa}/tracking-form',
  'post /comuni/{ipa}/signed-form',
  'post /comuni/{ipa}/onboarding',
  'post /comuni/{ipa}/manage-key',
  'post /comuni/{ipa}/deadline',
  'post /comuni/{ipa}/undo',
  'post /comuni/{ipa}/watch/stop',
  'post /comuni/{ipa}/withdraw',
  'post /comuni/{ipa}/reminders',
  'post /comuni/{ipa}/restart',
  'get /comuni/{ipa}/dossier',
  'get /comuni/{ipa}/dossier.pdf',
  'get /comuni/{ipa}/services/{slug}',
  'put /comuni/{ipa}/services/{slug}/card',
  'post /comuni/{ipa}/services/{slug}/review-check',
  'post /comuni/{ipa}/services/{slug}/review-outcome',
  'post /comuni/{ipa}/services/{slug}/review-outcome/undo',
  'get /portfolio/summary',
  'get /portfolio/export.csv',
  'get /portfolio/funding',
  'get /portfolio/funding.csv',
  'get /portfolio/stalls',
  'get /inbox',
  'post /logos',
  'get /outbox',
  'get /outbox/{id}',
  'get /admin/tokens',
  'post /admin/tokens',
  'delete /admin/tokens/{id}',
  'get /me',
  'post /imports',
  'post /imports/json',
  'get /imports',
  'get /imports/template.csv',
  'get /imports/{jobId}',
  'post /bulk/reminders',
  'post /bulk/deadline',
  'get /bulk/{kind}/{jobId}',
].sort();

interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, { format?: string }> } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
  'x-required-role': string;
}

describe('API: tokens, logos and documentation (dev server)', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiHarness();
  });
  afterAll(() => h?.teardown());

  describe('admin tokens', () => {
    it('creates a token whose secret is shown once, lets it in, and shuts it out once revoked', async () => {
      const admin = h.as('admin');
      const created = await admin
        .post('/admin/tokens')
        .send({ name: 'Giulia Verdi', role: 'staff' })
        .expect(201);
      const { token, info } = created.body;
      expect(token).toMatch(new RegExp(`^iob_${info.id}_[A-Za-z0-9_-]{43}$`));
      expect(info).toEqual({
        id: expect.stringMatching(/^[a-z0-9]{12}$/),
        name: 'Giulia Verdi',
        role: 'staff',
        createdAt: expect.any(String),
        createdBy: 'admin:test-admin',
      });

      const list = await admin.get('/admin/tokens').expect(200);
      expect(list.body.items).toContainEqual(info);
      expect(list.body.items.map((i: { name: string }) => i.name)).toEqual(
        expect.arrayContaining(['test-staff', 'test-manager', 'test-admin']),
      );
      // The secret follows the id; it is base64url, so it may itself hold "_".
      expect(list.text).not.toContain(token.slice('iob_'.length + 12 + 1));
      expect(list.text).not.toMatch(/hash|secret|iob_/);

      const giulia = caller(h.app, token);
      expect((await giulia.get('/me').expect(200)).body).toEqual({
        name: 'Giulia Verdi',
        role: 'staff',
        via: 'token',
      });
      await giulia.get('/admin/tokens').expect(403);

      // Its use is noted (at most once a minute) and listed.
      const used = (await admin.get('/admin/tokens').expect(200)).body.items.find(
        (i: { id: string }) => i.id === info.id,
      );
      expect(Date.parse(used.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(info.createdAt));

      const revoked = await admin.delete(`/admin/tokens/${info.id}`).expect(200);
      expect(revoked.body).toEqual({ ...info, lastUsedAt: used.lastUsedAt, revokedAt: expect.any(String) });
      const after = await giulia.get('/me').expect(401);
      expect(after.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((await admin.get('/admin/tokens').expect(200)).body.items).toContainEqual(revoked.body);
    });

    it('says who is calling, and refuses malformed token requests', async () => {
      for (const role of ['staff', 'manager', 'admin'] as const) {
        expect((await h.as(role).get('/me').expect(200)).body).toEqual({
          name: `test-${role}`,
          role,
          via: 'token',
        });
      }
      const admin = h.as('admin');
      const future = new Date(Date.now() + 86_400_000).toISOString();
      const expiring = await admin
        .post('/admin/tokens')
        .send({ name: 'Ospite', role: 'manager', expiresAt: future });
      expect(expiring.status).toBe(201);
      expect(expiring.body.info.expiresAt).toBe(future);

      const cases: [object, string[]][] = [
        [{ name: 'X', role: 'staff' }, ['body.name']],
        [{ name: 'Mario Rossi', role: 'root' }, ['body.role']],
        [{ name: 'Mario Rossi', role: 'staff', expiresAt: '2020-01-01T00:00:00Z' }, ['body.expiresAt']],
        [{ name: 'Mario Rossi', role: 'staff', expiresAt: 'domani' }, ['body.expiresAt']],
      ];
      for (const [body, fields] of cases) {
        const res = await admin.post('/admin/tokens').send(body);
        expect({ body, status: res.status, fields: problemFields(res) }).toEqual({
          body,
          status: 400,
          fields,
        });
      }
      expect((await admin.delete('/admin/tokens/zzzzzzzzzzzz').expect(404)).body.title).toBe(
        'Token non trovato',
      );
      expect(problemFields(await admin.delete('/admin/tokens/NON-VALIDO').expect(400))).toEqual([
        'params.id',
      ]);
    });
  });

  describe('logos', () => {
    const upload = (file: Buffer, name = 'logo.png') =>
      h.as('staff').post('/logos').attach('file', file, name);

    it('stores a 300×300 PNG on a white or transparent background and returns its reference', async () => {
      for (const colour of [
        [255, 255, 255, 255],
        [0, 0, 0, 0],
      ] as const) {
        const png = createSolidPng(300, 300, [...colour]);
        const res = await upload(png).expect(201);
        expect(res.body).toEqual({
          logoRef: createHash('sha256').update(png).digest('hex'),
          size: png.length,
        });
        expect(await h.api.ctx.documents.get(res.body.logoRef)).toEqual(png);
      }
    });

    it('refuses a logo of the wrong size or background, or not a PNG, with 422 and the reason', async () => {
      const cases: [Buffer, RegExp][] = [
        [createSolidPng(200, 200, [255, 255, 255, 255]), /^il logo deve essere 300×300 pixel \(è 200×200\)$/],
        [createSolidPng(300, 300, [200, 0, 0, 255]), /^lo sfondo del logo deve essere bianco o trasparente$/],
        [Buffer.from('GIF89a questo non è un PNG'), /^il logo deve essere un’immagine PNG$/],
      ];
      for (const [file, detail] of cases) {
        const res = await upload(file);
        expect({ status: res.status, title: res.body.title, detail: res.body.detail }).toEqual({
          status: 422,
          title: 'Logo non conforme',
          detail: expect.stringMatching(detail),
        });
      }
      expect(problemFields(await h.as('staff').post('/logos').expect(400))).toEqual(['body.file']);
      expect(problemFields(await upload(Buffer.alloc(0)).expect(400))).toEqual(['body.file']);
      expect((await upload(Buffer.alloc(2 * 1024 * 1024 + 1)).expect(413)).body.title).toBe(
        'File troppo grande',
      );
    });
  });

  describe('OpenAPI document and docs', () => {
    it('documents every route as valid OpenAPI 3, with named schemas', async () => {
      const res = await request(h.app).get('/api/v1/openapi.json').expect(200);
      const doc = res.body;
      expect(doc).toMatchObject({
        openapi: expect.stringMatching(/^3\.0\.\d+$/),
        info: { title: expect.any(String), version: expect.any(String) },
        servers: [{ url: '/api/v1' }],
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      });
      const paths = doc.paths as Record<string, Record<string, Operation>>;
      const operations = Object.entries(paths).flatMap(([path, item]) =>
        Object.entries(item).map(([method, op]) => ({ key: `${method} ${path}`, path, op })),
      );
      expect(operations.map((o) => o.key).sort()).toEqual(EXPECTED_OPERATIONS);
      // Every step of the journey model names a real operation, with the role the API requires for it.
      for (const step of [...Object.values(comuneSteps), ...Object.values(serviceSteps)]) {
        const operation = operations.find((o) => o.key === `${step.api.method} ${step.api.path}`);
        expect({ step: step.id, role: operation?.op['x-required-role'] }).toEqual({
          step: step.id,
          role: step.role,
        });
      }

      for (const { key, path, op } of operations) {
        const where = { key };
        expect({ ...where, summary: typeof op.summary, tags: op.tags?.length ?? 0 }).toEqual({
          ...where,
          summary: 'string',
          tags: 1,
        });
        const statuses = Object.keys(op.responses);
        expect({ ...where, ok: statuses.some((s) => /^2\d\d$/.test(s)) }).toEqual({ ...where, ok: true });
        expect(statuses.every((s) => /^[1-5]\d\d$/.test(s))).toBe(true);
        expect(op.responses['400']?.content?.['application/problem+json']?.schema).toBeDefined();
        if (op['x-required-role'] !== 'public') {
          expect({ ...where, security: op.security, statuses }).toEqual({
            ...where,
            security: [{ bearer: [] }],
            statuses: expect.arrayContaining(['401', '403']),
          });
        }
        const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
        expect({ ...where, params: declared.map((p) => p.name).sort() }).toEqual({
          ...where,
          params: templated,
        });
        expect(declared.every((p) => p.required === true)).toBe(true);
      }

      const schemas = doc.components.schemas as Record<string, unknown>;
      for (const name of [
        'ComuneState',
        'ServiceState',
        'StepResult',
        'ComuneListItem',
        'PortfolioSummary',
        'InboxItem',
        'BulkJob',
        'TokenInfo',
        'OutboxMessage',
        'ComuneRegistration',
      ]) {
        expect({ name, schema: typeof schemas[name] }).toEqual({ name, schema: 'object' });
      }
      const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
      expect(refs.length).toBeGreaterThan(10);
      for (const ref of new Set(refs)) {
        expect({
          ref,
          resolves: ref.startsWith('#/components/schemas/') && ref.slice(21) in schemas,
        }).toEqual({ ref, resolves: true });
      }
      const json = (key: string, status: string) => {
        const [method, path] = key.split(' ') as [string, string];
        return paths[path]![method]!.responses[status]?.content?.['application/json']?.schema;
      };
      expect(json('get /comuni/{ipa}', '200')).toEqual({ $ref: '#/components/schemas/ComuneState' });
      expect(json('get /portfolio/summary', '200')).toEqual({
        $ref: '#/components/schemas/PortfolioSummary',
      });
      expect(json('post /comuni/{ipa}/adhesion', '200')).toEqual({ $ref: '#/components/schemas/StepResult' });
      for (const [path, field] of [
        ['/comuni/{ipa}/signed-form', 'file'],
        ['/imports', 'file'],
        ['/logos', 'file'],
      ] as const) {
        const form = paths[path]!.post!.requestBody?.content['multipart/form-data']?.schema;
        expect({ path, format: form?.properties?.[field]?.format }).toEqual({ path, format: 'binary' });
      }
    });

    it('serves the Swagger UI page and its assets', async () => {
      const page = await request(h.app).get('/api/v1/docs/').expect(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.text).toContain('<div id="swagger-ui"></div>');
      const bundle = await request(h.app).get('/api/v1/docs/assets/swagger-ui-bundle.js').expect(200);
      expect(bundle.headers['content-type']).toMatch(/javascript/);
      await request(h.app).get('/api/v1/docs/docs.js').expect(200);
    });
  });
});
